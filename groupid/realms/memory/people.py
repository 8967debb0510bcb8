"""The people side of the in-memory Keycloak: users, memberships and realm attributes.

It behaves as the real server does: usernames and emails are kept in lower case; a partial import skips a user
whose username is taken, or whose email is when the realm wants emails unique, and gives each new user the
realm's default role; attributes the user profile does not declare are dropped. Every call holds the store's
guard, so calls from several threads at once are as safe as they are against Keycloak.
"""

from __future__ import annotations

import copy
import time
import uuid
from collections.abc import Iterable

from groupid.errors import KeycloakError
from groupid.realms.base import IMPORT_CHUNK
from groupid.realms.live import LiveGroup, LiveRealm, LiveUser
from groupid.realms.memory.store import (
    USER_FIELDS,
    WHERE,
    MemoryStore,
    RealmState,
    add_values,
    conflict,
    group_of,
    kept_attributes,
    not_found,
    organization_of,
    remove_values,
    user_of,
)
from groupid.realms.representations import UsersRead, parents_first

# the user profile's own attributes that Keycloak keeps as fields: a PUT with ``attributes`` replaces them too
_PROFILE_FIELDS = ("firstName", "lastName", "email")


class MemoryPeople:
    """Users, memberships and realm attributes of :class:`~groupid.realms.memory.MemoryRealms`, in its store."""

    def __init__(self, store: MemoryStore):
        self.store = store

    # -- reading ---------------------------------------------------------------------------------------

    def read_users(self, realm: str, group_ids: Iterable[str] = (),
                   organization_ids: Iterable[str] = ()) -> list[LiveUser]:
        """Every user of the realm, by username, with the asked-for memberships filled in."""
        action = f"read the users of {realm}"
        with self.store.guard:
            state = self.store.realm(realm, action)
            read = UsersRead()
            users = {user_id: read.user(user) for user_id, user in state.users.items()}
            for group_id in group_ids:
                for user_id in group_of(state, group_id, action).members:
                    read.join(users[user_id], "groups", group_id)
            for org_id in organization_ids:
                for user_id in _organization_members(state, org_id, action):
                    read.join(users[user_id], "organizations", org_id)
        return sorted(users.values(), key=lambda user: user.username)

    def read_user(self, realm: str, user_id: str) -> dict:
        """A user's representation, with its attributes."""
        action = f"read user {user_id} of {realm}"
        with self.store.guard:
            return copy.deepcopy(user_of(self.store.realm(realm, action), user_id, action))

    def read_user_roles(self, realm: str, user_id: str) -> list[str]:
        """The names of the realm roles granted to a user directly."""
        action = f"read the roles of user {user_id} of {realm}"
        with self.store.guard:
            state = self.store.realm(realm, action)
            user_of(state, user_id, action)
            return sorted(name for client, name in state.user_roles[user_id] if client is None)

    def members(self, realm: str, group_id: str) -> list[str]:
        """The ids of the direct members of a group."""
        action = f"read the members of group {group_id} of {realm}"
        with self.store.guard:
            return list(group_of(self.store.realm(realm, action), group_id, action).members)

    def read_user_profile(self, realm: str) -> dict:
        """The realm's user profile configuration."""
        with self.store.guard:
            return copy.deepcopy(self.store.realm(realm, f"read the user profile of {realm}").user_profile)

    # -- creating --------------------------------------------------------------------------------------

    def create_user(self, realm: str, user: dict) -> str:
        """Create a user with the realm's default role; attributes the profile does not declare are dropped."""
        action = f"create a user in {realm}"
        with self.store.guard:
            state = self.store.realm(realm, action)
            taken = _taken(state, user)
            if taken:
                raise conflict(action, f"User exists with same {taken}")
            return _store_user(state, user)

    def import_users(self, realm: str, users: list[dict], chunk_size: int = IMPORT_CHUNK) -> dict[str, str | None]:
        """Create users in bulk, skipping who exists, as Keycloak's partial import (with SKIP) does.

        A chunk holding two users of the same username or email is refused whole (HTTP 409); a user in a group
        that does not exist is an error, the users before it staying — as against the real server.
        """
        action = f"import users into {realm}"
        results: dict[str, str | None] = {}
        with self.store.guard:
            state = self.store.realm(realm, action)
            paths = {path: group_id for group_id, path in _paths(state).items()}
            # indexed once: a bulk create of 100,000 users must not scan every user for each one
            usernames = {other["username"] for other in state.users.values()}
            emails = {other["email"] for other in state.users.values() if other.get("email")}
            for start in range(0, len(users), chunk_size):
                chunk = users[start:start + chunk_size]
                _check_distinct(state, chunk, action)
                for user in chunk:
                    username, email = str(user.get("username") or "").lower(), str(user.get("email") or "").lower()
                    skipped = username in usernames or (email in emails and email != "" and not state.duplicate_emails_allowed)
                    results[user["username"]] = None if skipped else self._import_one(state, paths, user)
                    usernames.add(username)
                    emails.add(email)
        return results

    def _import_one(self, state: RealmState, paths: dict[str, str], user: dict) -> str:
        """Import one user that is not skipped: its new id."""
        missing = [path for path in user.get("groups") or () if path not in paths]
        if missing:
            raise KeycloakError(f"{WHERE} refused to import user '{user['username']}' into {state.name}: "
                                f"there is no group {missing[0]}")
        user_id = _store_user(state, user)
        # realm roles named in the import are granted directly, as Keycloak's partial import grants them
        state.user_roles[user_id] += [(None, name) for name in user.get("realmRoles") or ()
                                      if (None, name) in state.roles and (None, name) not in state.user_roles[user_id]]
        for path in user.get("groups") or ():
            add_values(state.groups[paths[path]].members, [user_id])
        return user_id

    # -- changing --------------------------------------------------------------------------------------

    def update_user(self, realm: str, user_id: str, representation: dict) -> None:
        """Change the fields of a user that ``representation`` holds, as Keycloak merges them; ``attributes``
        replace the whole attribute map (undeclared ones dropped) — with the profile's own: firstName, lastName
        and email not given beside them are cleared. The username stays."""
        action = f"update user {user_id} of {realm}"
        with self.store.guard:
            state = self.store.realm(realm, action)
            stored = user_of(state, user_id, action)
            if representation.get("email") and _taken(state, {"email": representation["email"]}, user_id) == "email":
                raise conflict(action, "User exists with same email")
            for key in USER_FIELDS:
                if key != "username" and representation.get(key) is not None:
                    stored[key] = representation[key].lower() if key == "email" else representation[key]
            if representation.get("attributes") is not None:
                _set_attributes(stored, kept_attributes(state.user_profile, representation["attributes"]))
                for key in _PROFILE_FIELDS:
                    if representation.get(key) is None:
                        stored.pop(key, None)

    def logout_user(self, realm: str, user_id: str) -> None:
        """End every session of a user; as Keycloak does, remember when."""
        action = f"sign user {user_id} of {realm} out"
        with self.store.guard:
            state = self.store.realm(realm, action)
            user_of(state, user_id, action)["notBefore"] = int(time.time())
            for users in state.sessions.values():
                remove_values(users, [user_id])

    def delete_user(self, realm: str, user_id: str) -> None:
        """Delete a user and its memberships."""
        action = f"delete user {user_id} of {realm}"
        with self.store.guard:
            state = self.store.realm(realm, action)
            del state.users[user_of(state, user_id, action)["id"]]
            del state.user_roles[user_id]
            for members in [*(group.members for group in state.groups.values()), *state.organization_members.values(),
                            *state.sessions.values()]:
                remove_values(members, [user_id])

    def add_member(self, realm: str, group_id: str, user_id: str) -> None:
        """Make a user a member of a group (nothing changes when it is one already)."""
        self._edit_membership(realm, group_id, user_id, add_values, f"add user {user_id} to group {group_id} of {realm}")

    def remove_member(self, realm: str, group_id: str, user_id: str) -> None:
        """Take a user out of a group (nothing changes when it is not a member)."""
        self._edit_membership(realm, group_id, user_id, remove_values, f"remove user {user_id} from group {group_id} of {realm}")

    def _edit_membership(self, realm: str, group_id: str, user_id: str, edit, action: str) -> None:
        """Add a user to a group's members, or remove it (``edit``: ``add_values`` or ``remove_values``)."""
        with self.store.guard:
            state = self.store.realm(realm, action)
            user_of(state, user_id, action)
            edit(group_of(state, group_id, action).members, [user_id])

    def add_organization_member(self, realm: str, org_id: str, user_id: str) -> None:
        """Make a user a member of an organization (nothing changes when it is one already)."""
        action = f"add user {user_id} to organization {org_id} of {realm}"
        with self.store.guard:
            state = self.store.realm(realm, action)
            members = _organization_members(state, org_id, action)
            add_values(members, [user_of(state, user_id, action)["id"]])

    def remove_organization_member(self, realm: str, org_id: str, user_id: str) -> None:
        """Take a user out of an organization; one that is not a member is an error saying HTTP 404."""
        action = f"remove user {user_id} from organization {org_id} of {realm}"
        with self.store.guard:
            members = _organization_members(self.store.realm(realm, action), org_id, action)
            if user_id not in members:
                raise not_found(action, "Not a member of the organization")
            members.remove(user_id)

    # -- realm attributes --------------------------------------------------------------------

    def read_realm_attributes(self, realm: str) -> dict[str, str]:
        """The realm's attributes."""
        with self.store.guard:
            return dict(self.store.realm(realm, f"read realm {realm}").attributes)

    def set_realm_attributes(self, realm: str, attributes: dict[str, str]) -> None:
        """Set the given realm attributes; the others stay."""
        with self.store.guard:
            self.store.realm(realm, f"set attributes of realm {realm}").attributes.update(attributes)


def _taken(state: RealmState, user: dict, own_id: str | None = None) -> str | None:
    """What of ``user`` another user of the realm has: ``username``, ``email`` (when the realm wants emails
    unique), or None."""
    username, email = str(user.get("username") or "").lower(), str(user.get("email") or "").lower()
    others = [other for other in state.users.values() if other["id"] != own_id]
    if username and any(other["username"] == username for other in others):
        return "username"
    if email and not state.duplicate_emails_allowed and any(other.get("email") == email for other in others):
        return "email"
    return None


def _check_distinct(state: RealmState, chunk: list[dict], action: str) -> None:
    """Refuse a chunk in which two users have the same username, or email, as Keycloak does (HTTP 409)."""
    usernames = [str(user.get("username") or "").lower() for user in chunk]
    emails = [str(user["email"]).lower() for user in chunk if user.get("email")]
    if len(set(usernames)) < len(usernames) or (not state.duplicate_emails_allowed and len(set(emails)) < len(emails)):
        raise conflict(action, "Duplicate resource error")


def _store_user(state: RealmState, user: dict) -> str:
    """Keep a new user as Keycloak stores it, with the realm's default role; return its id."""
    stored = {key: user[key] for key in USER_FIELDS if key in user}
    stored.update(id=str(uuid.uuid4()), username=str(user.get("username", "")).lower())
    if stored.get("email"):
        stored["email"] = stored["email"].lower()
    _set_attributes(stored, kept_attributes(state.user_profile, user.get("attributes") or {}))
    state.users[stored["id"]] = stored
    state.user_roles[stored["id"]] = [state.default_role]
    return stored["id"]


def _set_attributes(stored: dict, attributes: dict[str, list[str]]) -> None:
    """Give a stored user these attributes; Keycloak leaves the key out when there are none."""
    stored.pop("attributes", None)
    if attributes:
        stored["attributes"] = attributes


def _organization_members(state: RealmState, org_id: str, action: str) -> list[str]:
    """The member list of an organization; 404 while Organizations are off, as Keycloak answers."""
    if not state.organizations_enabled:
        raise not_found(action, "Organizations not enabled for this realm.")
    organization_of(state, org_id, action)
    return state.organization_members.setdefault(org_id, [])


def _paths(state: RealmState) -> dict[str, str]:
    """Each group's full path by its id."""
    groups = parents_first(LiveGroup(group.id, group.name, group.parent_id) for group in state.groups.values())
    return LiveRealm(state.name, groups=groups).paths()
