"""An in-memory stand-in for a Keycloak server, for tests that need no server.

:class:`MemoryRealms` holds several realms and behaves as :class:`~groupid.realms.keycloak.KeycloakServer`
observably does — the contract tests (``tests/realm_contract.py``) run against both. That includes the
refusals: a sibling group, role, realm or username that exists already is a :class:`Conflict` (Keycloak's
409); an unknown realm, group, role or user is a :class:`KeycloakError` saying HTTP 404. A new realm
comes with Keycloak's default roles and user profile, and user attributes the profile does not declare are
dropped silently, as Keycloak 24+ does.
"""

from __future__ import annotations

import copy
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field

from groupid.errors import Conflict, KeycloakError, RealmExists
from groupid.realms.base import LiveGroup, LiveRealm, LiveRole, RealmAdapter
from groupid.realms.keycloak import parents_first
from groupid.state import USER_PROFILE_GROUP, user_profile

WHERE = "Keycloak (in memory)"

_Edit = Callable[[list[str], list[str]], None]  # _add or _remove: changes a list of role names in place

# the realm roles Keycloak gives every new realm, with the descriptions it gives them
_BUILT_IN_ROLES = {"offline_access": "${role_offline-access}", "uma_authorization": "${role_uma_authorization}"}

# user profile policies under which Keycloak keeps attributes the profile does not declare, when an admin writes
_KEEPS_UNDECLARED = {"ENABLED", "ADMIN_EDIT"}

# fields of a UserRepresentation that are not attributes, though the user profile declares some of them
_USER_FIELDS = ("username", "email", "firstName", "lastName", "enabled", "emailVerified")


@dataclass
class _Group:
    id: str
    name: str
    parent_id: str | None
    attributes: dict[str, list[str]]
    realm_roles: list[str] = field(default_factory=list)
    members: list[str] = field(default_factory=list)


@dataclass
class _Role:
    name: str
    description: str | None
    attributes: dict[str, list[str]]
    composites: list[str] = field(default_factory=list)


@dataclass
class _Realm:
    name: str
    display_name: str | None
    roles: dict[str, _Role]
    user_profile: dict
    groups: dict[str, _Group] = field(default_factory=dict)
    users: dict[str, dict] = field(default_factory=dict)

    @property
    def default_role(self) -> str:
        """The name of the realm's default role, as Keycloak names it."""
        return f"default-roles-{self.name}"


class MemoryRealms(RealmAdapter):
    """Realms kept in memory, with Keycloak's observable behaviour.

    ``requests`` counts the calls made, one for each (the round trips an ideal server would need), so that a
    test can check how often code under test goes to the server.

    >>> realms = MemoryRealms()
    >>> realms.create_realm("xinghe", "星河集团")
    >>> group_id = realms.create_group("xinghe", None, "星河集团", {"groupid.code": ["XH"]})
    >>> [g.name for g in realms.read("xinghe").groups]
    ['星河集团']
    """

    def __init__(self):
        self.realms: dict[str, _Realm] = {}
        self.requests = 0

    # -- realms ------------------------------------------------------------------------------------------

    def read(self, realm: str) -> LiveRealm:
        """The live state of ``realm``; ``exists=False`` when there is no such realm."""
        self.requests += 1
        if realm not in self.realms:
            return LiveRealm(realm, exists=False)
        state = self.realms[realm]
        # copies: what a caller does with the answer must not change the realm, as with a server
        groups = [
            LiveGroup(g.id, g.name, g.parent_id, copy.deepcopy(g.attributes), sorted(g.realm_roles)) for g in state.groups.values()
        ]
        roles = [LiveRole(r.name, r.description, copy.deepcopy(r.attributes), sorted(r.composites)) for r in state.roles.values()]
        return LiveRealm(
            name=realm,
            display_name=state.display_name,
            groups=parents_first(groups),
            roles=sorted(roles, key=lambda role: role.name),
            default_roles=sorted(state.roles[state.default_role].composites) if state.default_role in state.roles else [],
            user_profile=copy.deepcopy(state.user_profile),
        )

    def create_realm(self, realm: str, display_name: str | None) -> None:
        """Create an empty realm with Keycloak's default roles and user profile."""
        self.requests += 1
        if realm in self.realms:
            raise RealmExists(f"realm '{realm}' already exists at {WHERE}; nothing was changed")
        roles = {name: _Role(name, description, {}) for name, description in _BUILT_IN_ROLES.items()}
        state = _Realm(realm, display_name or None, roles, _default_user_profile())
        roles[state.default_role] = _Role(state.default_role, "${role_default-roles}", {}, list(_BUILT_IN_ROLES))
        self.realms[realm] = state

    def update_realm(self, realm: str, display_name: str | None) -> None:
        """Change the realm's display name (None clears it)."""
        self._realm(realm, f"update realm {realm}").display_name = display_name or None

    # -- groups ------------------------------------------------------------------------------------------

    def create_group(self, realm: str, parent_id: str | None, name: str, attributes: dict[str, list[str]]) -> str:
        """Create a group (top-level when ``parent_id`` is None); return its id."""
        action = f"create group '{name}' in {realm}"
        state = self._realm(realm, action)
        if parent_id is not None:
            _group(state, parent_id, action)
        _check_free(state, parent_id, name, action)
        group = _Group(str(uuid.uuid4()), name, parent_id, copy.deepcopy(attributes))
        state.groups[group.id] = group
        return group.id

    def update_group(self, realm: str, group_id: str, name: str, attributes: dict[str, list[str]]) -> None:
        """Rename a group and replace its attributes; members, role mappings and sub-groups stay."""
        action = f"update group {group_id} of {realm}"
        state = self._realm(realm, action)
        group = _group(state, group_id, action)
        if name != group.name:
            _check_free(state, group.parent_id, name, action)
        group.name, group.attributes = name, copy.deepcopy(attributes)

    def move_group(self, realm: str, group_id: str, parent_id: str | None) -> None:
        """Move a group under another parent (top level when None); members, role mappings and sub-groups stay."""
        action = f"move group {group_id} of {realm}"
        state = self._realm(realm, action)
        group = _group(state, group_id, action)
        if parent_id is not None and group_id in _ancestry(state, _group(state, parent_id, action)):
            # Keycloak answers a move under the group itself or its own descendant with a bare HTTP 500
            raise KeycloakError(f"{WHERE} refused to {action}: HTTP 500: a group cannot move under itself")
        if parent_id != group.parent_id:
            _check_free(state, parent_id, group.name, action)
            group.parent_id = parent_id

    def delete_group(self, realm: str, group_id: str) -> None:
        """Delete a group, its sub-groups and their memberships."""
        action = f"delete group {group_id} of {realm}"
        state = self._realm(realm, action)
        doomed = {_group(state, group_id, action).id}
        # groups know their parent only: grow the subtree until no other group hangs below it
        while grown := {g.id for g in state.groups.values() if g.parent_id in doomed} - doomed:
            doomed |= grown
        for doomed_id in doomed:
            del state.groups[doomed_id]

    # -- roles -------------------------------------------------------------------------------------------

    def create_role(self, realm: str, name: str, description: str | None, attributes: dict[str, list[str]]) -> None:
        """Create a realm role."""
        action = f"create role '{name}' in {realm}"
        state = self._realm(realm, action)
        if name in state.roles:
            raise _conflict(action, f"Role with name {name} already exists")
        state.roles[name] = _Role(name, description, copy.deepcopy(attributes))

    def update_role(self, realm: str, name: str, description: str | None, attributes: dict[str, list[str]]) -> None:
        """Replace a realm role's description (None clears it) and attributes."""
        action = f"update role '{name}' of {realm}"
        role = _role(self._realm(realm, action), name, action)
        role.description, role.attributes = description, copy.deepcopy(attributes)

    def delete_role(self, realm: str, name: str) -> None:
        """Delete a realm role, and with it its place in composites and group mappings."""
        action = f"delete role '{name}' of {realm}"
        state = self._realm(realm, action)
        _role(state, name, action)
        del state.roles[name]
        for other in state.roles.values():
            _remove(other.composites, [name])
        for group in state.groups.values():
            _remove(group.realm_roles, [name])

    def add_composites(self, realm: str, role: str, names: list[str]) -> None:
        """Make the realm roles ``names`` part of ``role``."""
        self._edit_composites(realm, role, names, _add, f"add composites to role '{role}' of {realm}")

    def remove_composites(self, realm: str, role: str, names: list[str]) -> None:
        """Take the realm roles ``names`` out of ``role``."""
        self._edit_composites(realm, role, names, _remove, f"remove composites from role '{role}' of {realm}")

    def add_group_roles(self, realm: str, group_id: str, names: list[str]) -> None:
        """Grant realm roles to a group."""
        self._edit_group_roles(realm, group_id, names, _add, f"grant roles to group {group_id} of {realm}")

    def remove_group_roles(self, realm: str, group_id: str, names: list[str]) -> None:
        """Revoke realm roles from a group."""
        self._edit_group_roles(realm, group_id, names, _remove, f"revoke roles from group {group_id} of {realm}")

    def _edit_composites(self, realm: str, role: str, names: list[str], edit: _Edit, action: str) -> None:
        state = self._realm(realm, action)
        edit(_role(state, role, action).composites, _known_roles(state, names, action))

    def _edit_group_roles(self, realm: str, group_id: str, names: list[str], edit: _Edit, action: str) -> None:
        state = self._realm(realm, action)
        edit(_group(state, group_id, action).realm_roles, _known_roles(state, names, action))

    # -- user profile and people -------------------------------------------------------------------------

    def set_user_profile(self, realm: str, profile: dict) -> None:
        """Replace the realm's user profile configuration."""
        self._realm(realm, f"update the user profile of {realm}").user_profile = copy.deepcopy(profile)

    def create_user(self, realm: str, user: dict) -> str:
        """Create a user; attributes the user profile does not declare are dropped, as Keycloak does."""
        action = f"create a user in {realm}"
        state = self._realm(realm, action)
        # Keycloak keeps usernames in lower case
        username = str(user.get("username", "")).lower()
        if any(known["username"] == username for known in state.users.values()):
            raise _conflict(action, "User exists with same username")
        stored = {key: user[key] for key in _USER_FIELDS if key in user}
        stored.update(id=str(uuid.uuid4()), username=username)
        attributes = _kept_attributes(state.user_profile, user.get("attributes") or {})
        if attributes:
            # Keycloak leaves the key out when there is nothing in it
            stored["attributes"] = attributes
        state.users[stored["id"]] = stored
        return stored["id"]

    def read_user(self, realm: str, user_id: str) -> dict:
        """A user's representation, with its attributes."""
        action = f"read user {user_id} of {realm}"
        return copy.deepcopy(_user(self._realm(realm, action), user_id, action))

    def add_member(self, realm: str, group_id: str, user_id: str) -> None:
        """Make a user a member of a group (nothing changes when it is one already)."""
        action = f"add user {user_id} to group {group_id} of {realm}"
        state = self._realm(realm, action)
        _user(state, user_id, action)
        _add(_group(state, group_id, action).members, [user_id])

    def members(self, realm: str, group_id: str) -> list[str]:
        """The ids of the direct members of a group."""
        action = f"read the members of group {group_id} of {realm}"
        return list(_group(self._realm(realm, action), group_id, action).members)

    def _realm(self, realm: str, action: str) -> _Realm:
        """The realm a call works on, counting the call as one request."""
        self.requests += 1
        if realm not in self.realms:
            raise _missing(action, "Realm not found.")
        return self.realms[realm]


def _default_user_profile() -> dict:
    """Keycloak's user profile for a new realm: groupid's profile without groupid's own attributes."""
    profile = user_profile()
    return {
        "attributes": [a for a in profile["attributes"] if a.get("group") != USER_PROFILE_GROUP],
        "groups": [g for g in profile["groups"] if g["name"] != USER_PROFILE_GROUP],
    }


def _kept_attributes(profile: dict, attributes: dict[str, list[str]]) -> dict[str, list[str]]:
    """The attributes Keycloak stores for a user: those the profile declares, unless it keeps all."""
    if profile.get("unmanagedAttributePolicy") in _KEEPS_UNDECLARED:
        return copy.deepcopy(attributes)
    declared = {attribute["name"] for attribute in profile.get("attributes", [])}
    return {name: list(values) for name, values in attributes.items() if name in declared}


def _group(state: _Realm, group_id: str, action: str) -> _Group:
    if group_id not in state.groups:
        raise _missing(action, "Could not find group by id")
    return state.groups[group_id]


def _role(state: _Realm, name: str, action: str) -> _Role:
    if name not in state.roles:
        raise _missing(action, "Could not find role")
    return state.roles[name]


def _user(state: _Realm, user_id: str, action: str) -> dict:
    if user_id not in state.users:
        raise _missing(action, "User not found")
    return state.users[user_id]


def _known_roles(state: _Realm, names: list[str], action: str) -> list[str]:
    """``names``, each checked to be a realm role: Keycloak refuses the whole request for one unknown name."""
    return [_role(state, name, action).name for name in names]


def _check_free(state: _Realm, parent_id: str | None, name: str, action: str) -> None:
    """Refuse a group name that a sibling has already, as Keycloak does."""
    if any(g.parent_id == parent_id and g.name == name for g in state.groups.values()):
        where = "Top level group" if parent_id is None else "Sibling group"
        raise _conflict(action, f"{where} named '{name}' already exists.")


def _ancestry(state: _Realm, group: _Group) -> set[str]:
    """The ids of ``group`` and of all its ancestors."""
    ids = {group.id}
    while group.parent_id is not None:
        group = state.groups[group.parent_id]
        ids.add(group.id)
    return ids


def _add(values: list[str], new: list[str]) -> None:
    values += [value for value in dict.fromkeys(new) if value not in values]


def _remove(values: list[str], gone: list[str]) -> None:
    values[:] = [value for value in values if value not in gone]


def _missing(action: str, detail: str) -> KeycloakError:
    return KeycloakError(f"{WHERE} refused to {action}: HTTP 404: {detail}")


def _conflict(action: str, detail: str) -> Conflict:
    return Conflict(f"{WHERE} refused to {action}: it already exists (HTTP 409): {detail}")
