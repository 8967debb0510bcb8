"""Adapters to Keycloak realms: read the live state, write changes.

The contract is :class:`RealmAdapter`: :class:`RealmConfiguration`, :class:`People` and :class:`RealmRecords`
together. :class:`KeycloakServer` fulfils it against a real server, :class:`MemoryRealms` in memory for fast
tests. Both read a realm whole; :func:`realm_as_groupid_sees_it` is what groupid leaves out of it.
:func:`connect` signs in to the Keycloak the environment names.
"""

from __future__ import annotations

from groupid.realms.base import IMPORT_CHUNK, People, RealmAdapter, RealmConfiguration, RealmRecords
from groupid.realms.connection import ConnectionSettings
from groupid.realms.keycloak import KeycloakServer
from groupid.realms.live import (
    LiveClient,
    LiveGroup,
    LiveIdentityProvider,
    LiveOrganization,
    LiveRealm,
    LiveRole,
    LiveUser,
)
from groupid.realms.memory import MemoryRealms
from groupid.realms.view import realm_as_groupid_sees_it

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
    "People",
    "RealmAdapter",
    "RealmConfiguration",
    "RealmRecords",
    "connect",
    "realm_as_groupid_sees_it",
]


def connect(server_url: str | None = None) -> KeycloakServer:
    """The Keycloak named by the environment (``GROUPID_*``), signed in; ``server_url`` overrides the URL."""
    return KeycloakServer(ConnectionSettings.from_env(server_url=server_url))
