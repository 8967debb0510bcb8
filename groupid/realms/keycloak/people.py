"""Users, their memberships and realm attributes, over the Admin REST API.

Reading scales to a realm of 100,000 users and thousands of groups: the users come in pages and the
memberships from each asked-for group's (and organization's) member list, both a few requests at a time in
parallel; only a user in none of the asked-for groups may cost a request of its own (:data:`USERS_ALONE`).
Creating goes in bulk through Keycloak's partial import, skipping who exists.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from contextlib import closing
from typing import NamedTuple

from groupid.errors import Conflict, KeycloakError
from groupid.keycloak_terms import shown_to_admins
from groupid.realms.base import IMPORT_CHUNK
from groupid.realms.keycloak.transport import AdminTransport, admin_url, created_id
from groupid.realms.live import LiveUser
from groupid.realms.representations import UsersRead

USER_PAGE_SIZE = 200
"""Users per page when reading them all, with their attributes. Larger pages cost Keycloak 26.5 more per user,
not less (on a busy 2-core machine, 5,000 users with attributes: 2.1–2.4 s in pages of 200, 19 s in pages of
500, 33–45 s in pages of 1,000; 12,000 users of a realm of 100,000: 35–44 s in pages of 200, 50 s in pages of
500), so pages stay small; 100,000 users are about 500 requests."""

MEMBER_PAGE_SIZE = 1000
"""Members per page of a group's or organization's member list. Larger pages cost no more per member, brief or
in full: a group of 5,000 members reads brief in 0.45 s in pages of 1,000, 1.9 s in pages of 100; in full, with
their attributes, in 1.4–2.3 s in pages of 1,000 and 2.2–7.7 s in pages of 200."""

USER_READERS = 3
"""How many pages of users are read at once. Keycloak builds a page of full users on one thread, so one page
at a time leaves the server's other cores idle: on a 2-core machine, 12,000 users of a realm of 100,000
read in 35–44 s one page at a time, 24 s two at a time and 22 s three at a time."""

READERS = 5
"""How many member lists are read at once, beside the :data:`USER_READERS` pages of users: enough to hide the
round trips, and together with those within the connection's pool of 10."""

MEMBER_LISTS_WAIT = False
"""Whether the member lists wait for the last page of users, instead of being read beside the pages. Beside is
no slower: the first re-sync after a bulk load of 20,000 people took 1.18× a raw read of the users and lists
with them beside, 1.21× with them waiting (docs/benchmarks.md); ``bench/first_resync.py`` compares the two."""

USERS_FROM_LISTS = True
"""Whether a read that asks for group memberships takes each user in full from its groups' member lists, and
only brief entries from the pages of users. A page of users in full carries the whole user-profile metadata
once per user, and costs Keycloak 26.5 several times what the same users cost in a group's member list (which
has their attributes and ``notBefore``, without the metadata): 20,000 people in 1,010 groups, on a warm
2-core server, read in 21–52 s as full pages, in 7–11 s as brief pages and in 5–11 s as full member lists
(docs/benchmarks.md)."""

USERS_ALONE = 100
"""How many users in none of the asked-for groups (or federated: a member list shows a federated user's stored
attributes, not those its provider adds) are read one request each, at the least, among the enabled ones and
among the disabled ones. Past that many, and past half of all the users so enabled (or disabled), they come
instead from the realm's full pages of users so enabled (or disabled), a request per :data:`USER_PAGE_SIZE`:
those pages read everyone in that state, so they only pay when most of them are wanted. A leaver whose
memberships were removed is one such user, disabled; an account made by hand, outside the org chart, another."""

USER_IMPORT_TIMEOUT = 300.0
"""Seconds one partial import of users (:meth:`PeopleClient.import_users`) may take, whatever the connection's timeout: a cold or loaded server is slow."""


class _Import(NamedTuple):
    """What importing users into one realm needs to know of it."""

    realm: str
    unique_emails: bool  #: the realm refuses a second user with an email another one has


class _InFull(NamedTuple):
    """How the members of a member list read in full become users (:meth:`PeopleClient._members`)."""

    read: UsersRead
    shown: Callable[[str], bool]  #: the attribute names kept (:func:`~groupid.keycloak_terms.shown_to_admins`)
    into: dict[str, LiveUser]  #: the users by id, shared by every list of the read


class PeopleClient:
    """The people side of a :class:`~groupid.realms.keycloak.KeycloakServer`, over its transport: users,
    memberships and realm attributes. Safe to call from several threads at once."""

    def __init__(self, transport: AdminTransport):
        self.transport = transport

    # -- reading ---------------------------------------------------------------------------------------

    def read_users(self, realm: str, group_ids: Iterable[str] = (),
                   organization_ids: Iterable[str] = ()) -> list[LiveUser]:
        """Every user of the realm (service accounts excluded), with the asked-for memberships filled in.

        A request per :data:`USER_PAGE_SIZE` users, :data:`USER_READERS` at a time, and per
        :data:`MEMBER_PAGE_SIZE` members of each asked-for group and organization, :data:`READERS` at a time,
        beside the pages of users (after them, with :data:`MEMBER_LISTS_WAIT`). With groups asked for (and
        :data:`USERS_FROM_LISTS`), the pages are brief and each user comes from its groups' member lists in
        full; a user in none of them, or federated, is read alone, or from the full pages of the users as
        enabled (or disabled) as it is when most of those are wanted (:data:`USERS_ALONE`).
        """
        lists = [("groups", group_id) for group_id in dict.fromkeys(group_ids)]
        lists += [("organizations", org_id) for org_id in dict.fromkeys(organization_ids)]
        from_lists = USERS_FROM_LISTS and any(kind == "groups" for kind, _ in lists)
        url, action = admin_url(realm, "users"), f"read the users of {realm}"
        listed = self.transport.pages(url, action, size=USER_PAGE_SIZE, at_once=USER_READERS,
                                      briefRepresentation="true" if from_lists else "false")
        # the list leaves service accounts out already; the check keeps them out of full pages on a server that
        # lists them, and a member list's are dropped below, as they are in no page
        read = UsersRead()
        users: dict[str, LiveUser] = {}  # by id: from full pages, or, from_lists, from the member lists in full
        listed_only: dict[str, bool] = {}  # from brief pages: every user, and whether it is enabled
        # closing: a failed read ends the pages' own readers too, instead of leaving them to the collector
        with ThreadPoolExecutor(max_workers=READERS) as pool, closing(listed):
            members = None
            try:
                for entry in listed:
                    if entry.get("serviceAccountClientId"):
                        continue
                    if members is None and not MEMBER_LISTS_WAIT:
                        # Only once the realm has a user: the first load of an empty realm skips a request per
                        # group. From then on the member lists are read beside the pages of users, not after
                        # them: Keycloak answers a page of users on one thread, so the lists take the cores the
                        # pages leave idle.
                        members = self._send_lists(pool, realm, lists, read, users if from_lists else None)
                    if from_lists:
                        listed_only[entry["id"]] = bool(entry.get("enabled"))
                    else:
                        users[entry["id"]] = read.user(entry)
                if members is None and (users or listed_only):  # MEMBER_LISTS_WAIT: the lists go now
                    members = self._send_lists(pool, realm, lists, read, users if from_lists else None)
                joined = [(user_id, kind, owner_id) for (kind, owner_id), listing in zip(lists, members or ())
                          for user_id in listing.result()]
            except BaseException:
                pool.shutdown(cancel_futures=True)  # a failed read sends no more member lists
                raise
            if from_lists:
                # a user created while the pages were read may be in a list and in no page: it waits for the
                # next read, as its memberships do when it is in a page and in no list read before it joined
                users = {user_id: users[user_id] for user_id in listed_only if user_id in users}
                users.update(self._read_unlisted(realm, listed_only, users.keys(), read, pool))
        for user_id, kind, owner_id in joined:
            if user_id in users:
                read.join(users[user_id], kind, owner_id)
        return sorted(users.values(), key=lambda user: user.username)

    def _send_lists(self, pool: ThreadPoolExecutor, realm: str, lists: list[tuple[str, str]], read: UsersRead,
                    into: dict[str, LiveUser] | None) -> list:
        """Send the member lists to ``pool``; with ``into``, the groups' in full, their members converted into
        it by id (see :meth:`_members`)."""
        full = None
        if into is not None:  # a member list answers every stored attribute; the user profile says which the pages show
            url = admin_url(realm, "users", "profile")
            full = _InFull(read, shown_to_admins(self.transport.request("GET", url, f"read the user profile of {realm}")), into)
        return [pool.submit(self._members, realm, kind, owner_id, full if kind == "groups" else None) for kind, owner_id in lists]

    def _members(self, realm: str, kind: str, owner_id: str, full: _InFull | None = None) -> list[str]:
        """The ids of the members of a group or an organization (``kind``: ``groups`` or ``organizations``).

        With ``full``, the list is read in full, and each member not yet in ``full.into`` is converted into it:
        here, on the list's own thread, so that a read holds no page of JSON longer than it takes, and each user
        once however many lists it is in. A federated user is not: its provider's attributes are not in the list.
        """
        url = admin_url(realm, kind, owner_id, "members")
        action = f"read the members of {kind[:-1]} {owner_id} of {realm}"
        entries = self.transport.pages(url, action, size=MEMBER_PAGE_SIZE, briefRepresentation="false" if full else "true")
        if full is None:
            return [entry["id"] for entry in entries]
        ids = []
        for entry in entries:
            ids.append(entry["id"])
            if entry["id"] not in full.into and not entry.get("federationLink"):
                full.into.setdefault(entry["id"], full.read.user(entry, full.shown))
        return ids

    def _read_unlisted(self, realm: str, listed: dict[str, bool], read_already, read: UsersRead,
                       pool: ThreadPoolExecutor) -> dict[str, LiveUser]:
        """The users of ``listed`` (id: enabled, every user of the brief pages) not in ``read_already``, in full:
        each alone, or from the full pages of the realm's users as enabled (or disabled) as they are (see
        :data:`USERS_ALONE`); a user gone since is left out."""
        found: dict[str, LiveUser] = {}
        alone = []
        for enabled in (True, False):
            in_state = [user_id for user_id, state in listed.items() if state is enabled]
            wanted = {user_id for user_id in in_state if user_id not in read_already}
            if len(wanted) > USERS_ALONE and 2 * len(wanted) > len(in_state):
                url, action = admin_url(realm, "users"), f"read the {'enabled' if enabled else 'disabled'} users of {realm}"
                for entry in self.transport.pages(url, action, size=USER_PAGE_SIZE, at_once=USER_READERS,
                                                  briefRepresentation="false", enabled=str(enabled).lower()):
                    if entry["id"] in wanted:
                        found[entry["id"]] = read.user(entry)
            alone += sorted(wanted - found.keys())  # and whoever was enabled or disabled since the brief page

        for entry in pool.map(lambda user_id: self.read_user(realm, user_id, missing_ok=True), alone):
            if entry is not None and not entry.get("serviceAccountClientId"):
                found[entry["id"]] = read.user(entry)
        return found

    def members(self, realm: str, group_id: str) -> list[str]:
        """The ids of the direct members of a group."""
        return self._members(realm, "groups", group_id)

    def read_user(self, realm: str, user_id: str, missing_ok: bool = False) -> dict | None:
        """One user, with its attributes; None for a user that is not there, with ``missing_ok``."""
        return self.transport.request("GET", admin_url(realm, "users", user_id), f"read user {user_id} of {realm}",
                                      missing_ok=missing_ok)

    def read_user_roles(self, realm: str, user_id: str) -> list[str]:
        """The names of the realm roles granted to a user directly (not through a group or a composite)."""
        url = admin_url(realm, "users", user_id, "role-mappings", "realm")
        return sorted(role["name"] for role in self.transport.request("GET", url, f"read the roles of user {user_id} of {realm}"))

    # -- creating --------------------------------------------------------------------------------------

    def create_user(self, realm: str, user: dict) -> str:
        """Create a user; return its id. Attributes the user profile does not declare are dropped by Keycloak."""
        return created_id(self.transport.request("POST", admin_url(realm, "users"), f"create a user in {realm}", body=user, raw=True))

    def import_users(self, realm: str, users: list[dict], chunk_size: int = IMPORT_CHUNK) -> dict[str, str | None]:
        """Create users in bulk through the partial import, ``chunk_size`` to a request, skipping who exists.

        Keycloak's partial import leaves out what a user created alone gets: the realm's default roles. So each
        user is sent with the default role among its ``realmRoles``. Two of Keycloak's failures are made plain:
        a group path that does not exist (a bare HTTP 500) is an error naming the path; a user skipped for its
        email alone (Keycloak then fails the whole chunk with a bare HTTP 500) is found and reported skipped,
        and the rest of its chunk imported. Two users of one chunk with the same username or email are a
        :class:`Conflict` (HTTP 409) for the chunk.
        """
        representation = self.transport.request("GET", admin_url(realm), f"read realm {realm}")
        default_role = (representation.get("defaultRole") or {}).get("name")
        importing = _Import(realm, unique_emails=not representation.get("duplicateEmailsAllowed"))
        results: dict[str, str | None] = {}
        for start in range(0, len(users), chunk_size):
            chunk = [_with_role(user, default_role) for user in users[start:start + chunk_size]]
            results.update(self._import_chunk(importing, chunk))
        return results

    def _import_chunk(self, importing: _Import, chunk: list[dict]) -> dict[str, str | None]:
        """Import one chunk; on Keycloak's bare HTTP 500, find the user that caused it (see :meth:`import_users`)."""
        action = f"import {len(chunk)} users into {importing.realm}"
        body = {"ifResourceExists": "SKIP", "users": chunk}
        answer = self.transport.request("POST", admin_url(importing.realm, "partialImport"), action, body=body, none_for=(500,),
                               timeout=USER_IMPORT_TIMEOUT)
        if answer is None:
            return self._import_around(importing, chunk)
        return {result["resourceName"]: result["id"] if result["action"] == "ADDED" else None
                for result in answer.get("results") or () if result.get("resourceType") == "USER"}

    def _import_around(self, importing: _Import, chunk: list[dict]) -> dict[str, str | None]:
        """Import a chunk Keycloak failed, halving it until the user that fails it is alone.

        A failed import keeps nothing (it is one transaction), so every half is sent again; a bad user costs
        a few requests more (four in a request of ten).
        """
        if len(chunk) > 1:
            half = len(chunk) // 2
            return {**self._import_chunk(importing, chunk[:half]), **self._import_chunk(importing, chunk[half:])}
        user, realm = chunk[0], importing.realm
        refused = f"Keycloak at {self.transport.settings.server_url} refused to import user '{user.get('username')}' into {realm}"
        for path in user.get("groups") or ():
            url = admin_url(realm, "group-by-path", *path.strip("/").split("/"))
            if self.transport.request("GET", url, f"find group {path} in {realm}", missing_ok=True) is None:
                raise KeycloakError(f"{refused}: there is no group {path}")
        if user.get("email") and importing.unique_emails and self._email_taken(realm, user["email"]):
            return {user["username"]: None}
        raise KeycloakError(f"{refused}: HTTP 500 (the server's log says why)")

    def _email_taken(self, realm: str, email: str) -> bool:
        """Whether a user of the realm has that email."""
        params = {"email": email, "exact": "true", "briefRepresentation": "true", "max": 1}
        return bool(self.transport.request("GET", admin_url(realm, "users"), f"find a user by email in {realm}", params=params))

    # -- changing --------------------------------------------------------------------------------------

    def update_user(self, realm: str, user_id: str, representation: dict) -> None:
        """Change the fields of a user that ``representation`` holds; the others stay.

        Keycloak merges the top-level fields of a PUT but takes ``attributes`` as the whole user profile: the
        attributes left out are removed (and those the profile does not declare dropped), and so are firstName,
        lastName and email — the profile's own attributes — unless they are given beside them. So a
        representation with ``attributes`` carries all of them, and the names and email too.
        """
        url, action = admin_url(realm, "users", user_id), f"update user {user_id} of {realm}"
        self.transport.request("PUT", url, action, body=representation)

    def logout_user(self, realm: str, user_id: str) -> None:
        """End every session of a user."""
        url = admin_url(realm, "users", user_id, "logout")
        self.transport.request("POST", url, f"sign user {user_id} of {realm} out")

    def delete_user(self, realm: str, user_id: str) -> None:
        """Delete a user, and with it its memberships."""
        self.transport.request("DELETE", admin_url(realm, "users", user_id), f"delete user {user_id} of {realm}")

    def add_member(self, realm: str, group_id: str, user_id: str) -> None:
        """Make a user a member of a group (nothing changes when it is one already)."""
        url = admin_url(realm, "users", user_id, "groups", group_id)
        self.transport.request("PUT", url, f"add user {user_id} to group {group_id} of {realm}")

    def remove_member(self, realm: str, group_id: str, user_id: str) -> None:
        """Take a user out of a group (nothing changes when it is not a member)."""
        url = admin_url(realm, "users", user_id, "groups", group_id)
        self.transport.request("DELETE", url, f"remove user {user_id} from group {group_id} of {realm}")

    def add_organization_member(self, realm: str, org_id: str, user_id: str) -> None:
        """Make a user a member of an organization (nothing changes when it is one already)."""
        url, action = admin_url(realm, "organizations", org_id, "members"), f"add user {user_id} to organization {org_id} of {realm}"
        try:
            # Keycloak takes the bare id, as a JSON string
            self.transport.request("POST", url, action, body=user_id)
        except Conflict:
            pass

    def remove_organization_member(self, realm: str, org_id: str, user_id: str) -> None:
        """Take a user out of an organization; one that is not a member is an error saying HTTP 404."""
        url = admin_url(realm, "organizations", org_id, "members", user_id)
        self.transport.request("DELETE", url, f"remove user {user_id} from organization {org_id} of {realm}")

    # -- realm attributes --------------------------------------------------------------------

    def read_realm_attributes(self, realm: str) -> dict[str, str]:
        """The realm's attributes, Keycloak's own settings kept there included."""
        representation = self.transport.request("GET", admin_url(realm), f"read realm {realm}")
        return {key: str(value) for key, value in (representation.get("attributes") or {}).items()}

    def set_realm_attributes(self, realm: str, attributes: dict[str, str]) -> None:
        """Set the given realm attributes; the others stay.

        The realm's attributes are read and sent back with the given ones laid over them, so that what stays
        does not depend on how a Keycloak version treats the keys a PUT leaves out.
        """
        body = {"attributes": {**self.read_realm_attributes(realm), **attributes}}
        self.transport.request("PUT", admin_url(realm), f"set attributes of realm {realm}", body=body)


def _with_role(user: dict, role: str | None) -> dict:
    """``user`` with the realm role ``role`` among its ``realmRoles``."""
    if role is None or role in (user.get("realmRoles") or ()):
        return user
    return {**user, "realmRoles": [*(user.get("realmRoles") or ()), role]}
