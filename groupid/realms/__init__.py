"""Adapters to Keycloak realms: read the live state, write changes.

:class:`RealmAdapter` is the contract — :class:`RealmConfiguration`, :class:`People` and :class:`RealmRecords`
together; :class:`KeycloakServer` fulfils it against a real server, :class:`MemoryRealms` in memory for fast
tests. Both read a realm whole; :func:`realm_as_groupid_sees_it` is what groupid leaves out of it.

:func:`import_realm` loads a rendered realm (``groupid render``) into a server with Keycloak's own import.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path

from groupid.files import read_json
from groupid.model import checked_realm_name
from groupid.keycloak_terms import KEYCLOAK_DEFAULT_ROLES, default_role_name
from groupid.errors import RealmExists, SourceError
from groupid.realms.base import IMPORT_CHUNK, People, RealmAdapter, RealmConfiguration, RealmRecords
from groupid.realms.live import LiveClient, LiveGroup, LiveIdentityProvider, LiveOrganization, LiveRealm, LiveRole, LiveUser
from groupid.realms.connection import ConnectionSettings
from groupid.realms.keycloak import KeycloakServer
from groupid.realms.memory import MemoryRealms
from groupid.realms.view import realm_as_groupid_sees_it

__all__ = [
    "IMPORT_CHUNK",
    "ConnectionSettings",
    "ImportResult",
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
    "import_realm",
    "read_representation",
    "realm_as_groupid_sees_it",
]


@dataclass(frozen=True)
class ImportResult:
    """What :func:`import_realm` did."""

    realm: str
    server_url: str
    created: bool  #: False when the realm existed and ``skip_existing`` left it alone
    groups: int
    roles: int


REALM_IMPORT_TIMEOUT = 900.0
"""Seconds a realm import (:func:`import_realm`) may take: Keycloak imports a realm in one transaction, and
thousands of groups take minutes."""


def read_representation(path: Path | str) -> dict:
    """Read a realm representation (JSON) written by ``groupid render`` or by Keycloak's export."""
    data = read_json(path, "a realm representation")
    if not isinstance(data, dict) or not isinstance(data.get("realm"), str) or not data["realm"]:
        raise SourceError(f"{path}: not a realm representation (no \"realm\" name)")
    for key, kind in (("groups", list), ("roles", dict), ("users", list), ("clients", list)):
        if key in data and not isinstance(data[key], kind):
            raise SourceError(f"{path}: \"{key}\" must be a JSON {'list' if kind is list else 'object'}")
    realm_roles = (data.get("roles") or {}).get("realm", [])
    if not isinstance(realm_roles, list) or not all(isinstance(role, dict) for role in realm_roles):
        raise SourceError(f"{path}: \"roles\": \"realm\" must be a JSON list of role objects")
    _check_groups(data.get("groups") or [], path)
    return data


def _check_groups(groups: list, path: Path | str) -> None:
    """Refuse a group tree that is not made of group objects with lists of sub-groups."""
    pending = [groups]
    while pending:  # a walk, not a recursion: the file decides how deep the tree is
        level = pending.pop()
        if not isinstance(level, list) or not all(isinstance(group, dict) for group in level):
            raise SourceError(f"{path}: \"groups\" and each \"subGroups\" must be JSON lists of group objects")
        pending += [group["subGroups"] for group in level if group.get("subGroups") is not None]


def import_realm(
    path: Path | str,
    settings: ConnectionSettings | None = None,
    *,
    server_url: str | None = None,
    realm: str | None = None,
    skip_existing: bool = False,
) -> ImportResult:
    """Create a new realm from the representation in ``path``; ``realm`` renames it on the way in.

    ``settings`` default to the environment (``GROUPID_*``, with ``server_url`` overriding the URL). An
    existing realm is never overwritten: :class:`RealmExists` is raised, or with ``skip_existing`` the
    realm is left as it is and the result says so.
    """
    representation = read_representation(path)
    if realm:
        representation = _renamed(representation, checked_realm_name(realm))
    else:
        checked_realm_name(representation["realm"], f"{path}: realm")
    settings = settings or ConnectionSettings.from_env(server_url=server_url)
    # the realm's own roles: Keycloak's (offline_access, default-roles-…) come with every realm
    builtin = {*KEYCLOAK_DEFAULT_ROLES, default_role_name(representation["realm"])}
    roles = [r for r in representation.get("roles", {}).get("realm", []) if r.get("name") not in builtin]
    result = ImportResult(representation["realm"], settings.server_url, True, _count_groups(representation), len(roles))
    try:
        # Keycloak imports a realm in one transaction: thousands of groups take minutes, not seconds
        KeycloakServer(dataclasses.replace(settings, timeout=max(settings.timeout, REALM_IMPORT_TIMEOUT))).import_realm(representation)
    except RealmExists:
        if not skip_existing:
            raise
        return dataclasses.replace(result, created=False)
    return result


def _renamed(representation: dict, realm: str) -> dict:
    """The representation under another realm name; its default role (``default-roles-<realm>``) follows."""
    old, new = default_role_name(representation["realm"]), default_role_name(realm)
    roles = representation.get("roles") or {}
    realm_roles = [{**r, "name": new} if r.get("name") == old else r for r in roles.get("realm", [])]
    renamed = {**representation, "realm": realm, "roles": {**roles, "realm": realm_roles}}
    if (representation.get("defaultRole") or {}).get("name") == old:
        renamed["defaultRole"] = {**representation["defaultRole"], "name": new}
    return renamed


def _count_groups(parent: dict) -> int:
    groups = parent.get("groups", parent.get("subGroups")) or []
    return sum(1 + _count_groups(group) for group in groups)


def connect(server_url: str | None = None) -> KeycloakServer:
    """The Keycloak named by the environment (``GROUPID_*``), signed in; ``server_url`` overrides the URL."""
    return KeycloakServer(ConnectionSettings.from_env(server_url=server_url))
