"""groupid: identity for a corporate group (集团) on Keycloak.

The flow: sources fill the model (:mod:`groupid.spec`) → the model compiles to a desired realm state
(:mod:`groupid.state`) → the state is written out or applied to Keycloak (:mod:`groupid.realms`).
"""

from groupid.errors import GroupidError
from groupid.model import Group
from groupid.spec import load_spec
from groupid.state import compile_realms, render_spec

__version__ = "0.1.0"
__all__ = ["Group", "GroupidError", "compile_realms", "load_spec", "render_spec", "__version__"]
