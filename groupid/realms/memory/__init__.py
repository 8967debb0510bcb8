"""An in-memory stand-in for a Keycloak server, for tests that need no server.

:class:`MemoryRealms` holds several realms and behaves as :class:`~groupid.realms.keycloak.KeycloakServer`
observably does — the contract tests (``tests/realm_contract.py``) run against both. It is built in layers:

- :mod:`~groupid.realms.memory.store`: what is kept of a realm, and the lookups and refusals shared below;
- :mod:`~groupid.realms.memory.people`: users, memberships, realm attributes and locks;
- :mod:`~groupid.realms.memory.realms`: :class:`MemoryRealms`, the realms with their groups, roles,
  organizations, clients and identity providers.
"""

from groupid.realms.memory.realms import MemoryRealms

__all__ = ["MemoryRealms"]
