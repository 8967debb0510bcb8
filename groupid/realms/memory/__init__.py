"""An in-memory stand-in for a Keycloak server, for tests that need no server.

:class:`MemoryRealms` holds several realms and behaves as :class:`~groupid.realms.keycloak.KeycloakServer`
observably does — the contract tests (``tests/realm_contract.py``) run against both. It is built in layers:

- :mod:`~groupid.realms.memory.defaults`: its frozen copy of what Keycloak puts in a new realm;
- :mod:`~groupid.realms.memory.store`: what is kept of a realm, and the lookups and refusals shared below;
- :mod:`~groupid.realms.memory.people`: :class:`MemoryPeople`, users, memberships and realm attributes, in a
  store;
- :mod:`~groupid.realms.memory.realms`: :class:`MemoryRealms`, which has a store, hands it to its people part,
  and keeps the realms with their groups, roles, organizations, clients and identity providers.
"""

from groupid.realms.memory.realms import MemoryRealms

__all__ = ["MemoryRealms"]
