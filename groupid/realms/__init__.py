"""Adapters to Keycloak realms: read the live state, write changes.

:class:`RealmAdapter` is the contract; :class:`KeycloakServer` fulfils it against a real server,
:class:`MemoryRealms` in memory for fast tests. :func:`connect` signs in to the Keycloak the environment names.
"""

from __future__ import annotations

from groupid.realms.base import IMPORT_CHUNK, LiveClient, LiveGroup, LiveIdentityProvider, LiveOrganization, LiveRealm, LiveRole
from groupid.realms.base import LiveUser, RealmAdapter
from groupid.realms.connection import ConnectionSettings
from groupid.realms.keycloak import KeycloakServer
from groupid.realms.memory import MemoryRealms

__all__ = [
    "IMPORT_CHUNK",
    "ConnectionSettings",
    "KeycloakServer",
    "LiveClient",
    "LiveGroup",
    "LiveIdentityProvider",
    "LiveOrganization",
    "LiveRealm",
    "LiveRole",
    "LiveUser",
    "MemoryRealms",
    "RealmAdapter",
    "connect",
]


def connect(server_url: str | None = None) -> KeycloakServer:
    """The Keycloak named by the environment (``GROUPID_*``), signed in; ``server_url`` overrides the URL."""
    return KeycloakServer(ConnectionSettings.from_env(server_url=server_url))
