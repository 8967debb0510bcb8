"""What the in-memory Keycloak keeps of a realm, and the lookups and refusals both its halves share."""

from __future__ import annotations

import threading
import uuid
from dataclasses import dataclass, field

from groupid.errors import Conflict, KeycloakError
from groupid.keycloak_terms import keeps_attribute, role_reference

WHERE = "Keycloak (in memory)"

RoleKey = tuple[str | None, str]
"""How the store keys a role: the id of its client (None for a realm role) and its name."""

USER_FIELDS = ("username", "email", "firstName", "lastName", "enabled", "emailVerified")
"""The fields of a UserRepresentation that are not attributes, though the user profile declares some of them."""


@dataclass
class StoredGroup:
    """A group as the store keeps it: its granted roles by key, its direct members by user id."""

    id: str
    name: str
    parent_id: str | None
    attributes: dict[str, list[str]]
    roles: list[RoleKey] = field(default_factory=list)
    members: list[str] = field(default_factory=list)


@dataclass
class StoredRole:
    """A realm or client role as the store keeps it, its composites by key."""

    name: str
    description: str | None
    attributes: dict[str, list[str]]
    composites: list[RoleKey] = field(default_factory=list)


@dataclass
class StoredScope:
    """A client scope as the store keeps it: what groupid writes of one."""

    description: str | None
    attributes: dict[str, str]


@dataclass
class RealmState:
    """Everything the store keeps of one realm."""

    name: str
    display_name: str | None
    user_profile: dict
    roles: dict[RoleKey, StoredRole] = field(default_factory=dict)  # realm and client roles
    groups: dict[str, StoredGroup] = field(default_factory=dict)
    users: dict[str, dict] = field(default_factory=dict)
    organizations_enabled: bool = False
    # the rest as Keycloak would answer them: organizations and clients by id, identity providers by alias
    organizations: dict[str, dict] = field(default_factory=dict)
    clients: dict[str, dict] = field(default_factory=dict)
    identity_providers: dict[str, dict] = field(default_factory=dict)
    flows: dict[str, dict] = field(default_factory=dict)  # the sign-in flows, by alias
    attributes: dict[str, str] = field(default_factory=dict)
    duplicate_emails_allowed: bool = False
    user_roles: dict[str, list[RoleKey]] = field(default_factory=dict)  # user id -> the roles granted to it directly
    organization_members: dict[str, list[str]] = field(default_factory=dict)  # organization id -> user ids
    sessions: dict[str, list[str]] = field(default_factory=dict)  # client id -> the users signed in to it
    components: dict[str, dict] = field(default_factory=dict)  # LDAP federations and their mappers, by id
    client_scopes: dict[str, StoredScope] = field(default_factory=dict)  # those made after Keycloak's own, by name
    id: str = field(default_factory=lambda: str(uuid.uuid4()))  # the realm's id: the parent of its federations

    @property
    def default_role(self) -> RoleKey:
        """The realm's default role, as Keycloak names it."""
        return None, f"default-roles-{self.name}"

    def client_id(self, client_uuid: str | None) -> str | None:
        """The current clientId of the client with that id; None for None (the realm)."""
        return self.clients[client_uuid]["clientId"] if client_uuid else None

    def reference(self, key: RoleKey) -> str:
        """How the role ``key`` is referred to, under its client's current clientId."""
        return role_reference(self.client_id(key[0]), key[1])

    def references(self, keys: list[RoleKey]) -> list[str]:
        """The references of the roles ``keys``, sorted."""
        return sorted(self.reference(key) for key in keys)


def kept_attributes(profile: dict, attributes: dict[str, list[str]]) -> dict[str, list[str]]:
    """The attributes Keycloak stores for a user: those the profile declares, unless it keeps all."""
    return {name: list(values) for name, values in attributes.items() if keeps_attribute(profile, name)}


def found(items: dict, key: str, action: str, detail: str):
    """``items[key]``; when it is not there, Keycloak's HTTP 404 with Keycloak's ``detail``."""
    if key not in items:
        raise not_found(action, detail)
    return items[key]


def organization_of(state: RealmState, org_id: str, action: str) -> dict:
    """The organization ``org_id``, or Keycloak's HTTP 404."""
    return found(state.organizations, org_id, action, "Organization not found.")


def group_of(state: RealmState, group_id: str, action: str) -> StoredGroup:
    """The group ``group_id``, or Keycloak's HTTP 404."""
    return found(state.groups, group_id, action, "Could not find group by id")


def user_of(state: RealmState, user_id: str, action: str) -> dict:
    """The stored representation of user ``user_id``, or Keycloak's HTTP 404."""
    return found(state.users, user_id, action, "User not found")


def add_values(values: list, new: list) -> None:
    """Append those of ``new`` that ``values`` lacks, once each, in order."""
    values += [value for value in dict.fromkeys(new) if value not in values]


def remove_values(values: list, gone: list) -> None:
    """Take every one of ``gone`` out of ``values``, in place."""
    values[:] = [value for value in values if value not in gone]


def not_found(action: str, detail: str) -> KeycloakError:
    """The error Keycloak's HTTP 404 to ``action`` becomes, with Keycloak's ``detail``."""
    return KeycloakError(f"{WHERE} refused to {action}: HTTP 404: {detail}")


def conflict(action: str, detail: str) -> Conflict:
    """The :class:`Conflict` Keycloak's HTTP 409 to ``action`` becomes, with Keycloak's ``detail``."""
    return Conflict(f"{WHERE} refused to {action}: it already exists (HTTP 409): {detail}")


class MemoryStore:
    """The realms an in-memory adapter holds, and its ``requests`` counter.

    The people calls (and the creation of a role, which takes a lock) may come from several threads at once, as
    they may to the real server: each holds ``guard`` throughout, which makes it atomic, as a single request to
    Keycloak is.
    """

    def __init__(self):
        self.realms: dict[str, RealmState] = {}
        self.requests = 0
        self.guard = threading.RLock()

    def count(self) -> None:
        """Count one call as one request."""
        with self.guard:
            self.requests += 1

    def realm(self, realm: str, action: str) -> RealmState:
        """The realm a call works on, counting the call as one request."""
        self.count()
        if realm not in self.realms:
            raise not_found(action, "Realm not found.")
        return self.realms[realm]
