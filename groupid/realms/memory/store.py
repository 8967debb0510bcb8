"""What the in-memory Keycloak keeps of a realm, and the lookups and refusals both its halves share."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

from groupid.errors import Conflict, KeycloakError
from groupid.keycloak_terms import keeps_attribute, role_reference

WHERE = "Keycloak (in memory)"

_Key = tuple[str | None, str]  # a role: the id of its client (None for a realm role) and its name

# fields of a UserRepresentation that are not attributes, though the user profile declares some of them
_USER_FIELDS = ("username", "email", "firstName", "lastName", "enabled", "emailVerified")


@dataclass
class _Group:
    id: str
    name: str
    parent_id: str | None
    attributes: dict[str, list[str]]
    roles: list[_Key] = field(default_factory=list)
    members: list[str] = field(default_factory=list)


@dataclass
class _Role:
    name: str
    description: str | None
    attributes: dict[str, list[str]]
    composites: list[_Key] = field(default_factory=list)


@dataclass
class _Realm:
    name: str
    display_name: str | None
    user_profile: dict
    roles: dict[_Key, _Role] = field(default_factory=dict)  # realm and client roles
    groups: dict[str, _Group] = field(default_factory=dict)
    users: dict[str, dict] = field(default_factory=dict)
    organizations_enabled: bool = False
    # the rest as Keycloak would answer them: organizations and clients by id, identity providers by alias
    organizations: dict[str, dict] = field(default_factory=dict)
    clients: dict[str, dict] = field(default_factory=dict)
    identity_providers: dict[str, dict] = field(default_factory=dict)
    attributes: dict[str, str] = field(default_factory=dict)
    duplicate_emails_allowed: bool = False
    user_roles: dict[str, list[_Key]] = field(default_factory=dict)  # user id -> the roles granted to it directly
    organization_members: dict[str, list[str]] = field(default_factory=dict)  # organization id -> user ids

    @property
    def default_role(self) -> _Key:
        """The realm's default role, as Keycloak names it."""
        return None, f"default-roles-{self.name}"

    def client_id(self, client_uuid: str | None) -> str | None:
        """The current clientId of the client with that id; None for None (the realm)."""
        return self.clients[client_uuid]["clientId"] if client_uuid else None

    def reference(self, key: _Key) -> str:
        """How the role ``key`` is referred to, under its client's current clientId."""
        return role_reference(self.client_id(key[0]), key[1])

    def references(self, keys: list[_Key]) -> list[str]:
        """The references of the roles ``keys``, sorted."""
        return sorted(self.reference(key) for key in keys)


def _kept_attributes(profile: dict, attributes: dict[str, list[str]]) -> dict[str, list[str]]:
    """The attributes Keycloak stores for a user: those the profile declares, unless it keeps all."""
    return {name: list(values) for name, values in attributes.items() if keeps_attribute(profile, name)}


def _found(items: dict, key: str, action: str, detail: str):
    """``items[key]``; when it is not there, Keycloak's HTTP 404 with Keycloak's ``detail``."""
    if key not in items:
        raise _missing(action, detail)
    return items[key]


def _organization(state: _Realm, org_id: str, action: str) -> dict:
    return _found(state.organizations, org_id, action, "Organization not found.")


def _group(state: _Realm, group_id: str, action: str) -> _Group:
    return _found(state.groups, group_id, action, "Could not find group by id")


def _user(state: _Realm, user_id: str, action: str) -> dict:
    return _found(state.users, user_id, action, "User not found")


def _add(values: list[str], new: list[str]) -> None:
    values += [value for value in dict.fromkeys(new) if value not in values]


def _remove(values: list[str], gone: list[str]) -> None:
    values[:] = [value for value in values if value not in gone]


def _missing(action: str, detail: str) -> KeycloakError:
    return KeycloakError(f"{WHERE} refused to {action}: HTTP 404: {detail}")


def _conflict(action: str, detail: str) -> Conflict:
    return Conflict(f"{WHERE} refused to {action}: it already exists (HTTP 409): {detail}")


class MemoryStore:
    """The realms an in-memory adapter holds, and its ``requests`` counter.

    The people calls may come from several threads at once, as they may to the real server: each holds
    ``_guard`` throughout, which makes it atomic, as a single request to Keycloak is.
    """

    def __init__(self):
        self.realms: dict[str, _Realm] = {}
        self.requests = 0
        self._guard = threading.RLock()

    def _count(self) -> None:
        """Count one call as one request."""
        with self._guard:
            self.requests += 1

    def _realm(self, realm: str, action: str) -> _Realm:
        """The realm a call works on, counting the call as one request."""
        self._count()
        if realm not in self.realms:
            raise _missing(action, "Realm not found.")
        return self.realms[realm]
