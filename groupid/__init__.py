"""groupid: identity for a corporate group (集团) on Keycloak.

The flow: sources fill the model (:mod:`groupid.spec`) → the model compiles to a desired realm state
(:mod:`groupid.state`) → the state is written out, or planned against and applied to Keycloak
(:mod:`groupid.realms`). :mod:`groupid.operations` does each command's job; the command line calls it.
"""

from groupid.errors import GroupidError
from groupid.model import Group
from groupid.operations import render_spec
from groupid.spec import load_spec
from groupid.state import compile_realms

__version__ = "0.1.0"
__all__ = ["Group", "GroupidError", "compile_realms", "load_spec", "render_spec", "__version__"]
