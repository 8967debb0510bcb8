"""The adapter to a real Keycloak server, over its Admin REST API (through python-keycloak).

This is the one place where python-keycloak and requests errors are caught; they leave it as groupid errors
(:class:`KeycloakUnreachable`, :class:`AuthenticationFailed`, :class:`KeycloakError`, :class:`Conflict`).

Reading a realm never goes N+1 (one request per group): the managed groups come from a paginated attribute
search (``q=groupid.managed:true``), which answers each match inside its ancestors, so a realm groupid owns
costs about one request per page of groups. Only groups that have more sub-groups than the search showed —
subtrees made by hand — are explored further, page by page, with ``/groups/{id}/children``. Organizations,
clients and identity providers come in full from their lists, a request per page of each.

Secrets stay out of the state: a client's secret is read only on demand (:meth:`KeycloakServer.client_secret`),
and an identity provider's ``clientSecret``, which Keycloak answers masked, is left out of its config.
"""

from __future__ import annotations

import copy
import json
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from urllib.parse import quote

import requests
from keycloak import KeycloakOpenIDConnection
from keycloak import exceptions as kc

from groupid.errors import AuthenticationFailed, Conflict, KeycloakError, KeycloakUnreachable, RealmExists
from groupid.realms.base import LiveClient, LiveGroup, LiveIdentityProvider, LiveOrganization, LiveRealm, LiveRole, RealmAdapter
from groupid.realms.connection import ConnectionSettings
from groupid.state import ATTR_MANAGED

PAGE_SIZE = 100
"""Entries per paginated request. Keycloak 26.5 answers a group search page in a time that grows faster than its
size (on a laptop about 0.07 s for 100 matches, 0.6 s for 500, 2 s for 1000), so larger pages save requests but
not time: 100 reads 3,000 managed groups in 31 search requests and about 1.5 s."""

SECRET_MASK = "**********"
"""What Keycloak answers in place of a stored secret. Sent back in an identity provider's config, it keeps the
stored secret; a config without ``clientSecret`` would drop it."""

SECRET_KEYS = frozenset({"clientSecret"})
"""Identity provider config keys that hold a secret (Keycloak masks them; vault references it shows as they are)."""

CLASHES_ANSWERED_400 = ("is already linked to another organization",)
"""Keycloak answers some clashes with what exists with HTTP 400, not 409: these words in the answer say it is one
(an email domain another organization has). They are :class:`Conflict` here, like any 409."""


class KeycloakServer(RealmAdapter):
    """One Keycloak server, reached with the admin credentials of ``settings``.

    ``page_size`` is how many entries each paginated request asks for; ``requests`` counts the admin
    requests sent so far (compare it before and after a call to know what the call cost).

    >>> server = KeycloakServer(ConnectionSettings.from_env())  # doctest: +SKIP
    >>> server.read("xinghe").exists  # doctest: +SKIP
    """

    def __init__(self, settings: ConnectionSettings, page_size: int = PAGE_SIZE):
        self.settings = settings
        self.page_size = page_size
        self.requests = 0
        with self._translated("sign in"):
            self._connection = KeycloakOpenIDConnection(
                server_url=settings.server_url + "/",
                username=settings.admin_user,
                password=settings.admin_password,
                client_id=settings.client_id or "admin-cli",
                client_secret_key=settings.client_secret,
                realm_name=settings.auth_realm,
                user_realm_name=settings.auth_realm,
                verify=settings.verify,
                timeout=settings.timeout,
            )
            self._connection.get_token()

    # -- realms ------------------------------------------------------------------------------------------

    def realm_exists(self, realm: str) -> bool:
        """Whether a realm of that name exists."""
        return self._request("GET", _url(realm), f"read realm {realm}", missing_ok=True) is not None

    def import_realm(self, representation: dict) -> None:
        """Create a realm from a full RealmRepresentation (Keycloak's own import); refuse to overwrite one."""
        realm = representation.get("realm", "")
        try:
            self._request("POST", "admin/realms", f"create realm {realm}", body=representation)
        except Conflict:
            raise RealmExists(f"realm '{realm}' already exists at {self.settings.server_url}; nothing was changed") from None

    def create_realm(self, realm: str, display_name: str | None) -> None:
        """Create an empty, enabled realm; :class:`RealmExists` (a :class:`Conflict`) if it is there already."""
        self.import_realm({"realm": realm, "displayName": display_name, "enabled": True})

    def update_realm(self, realm: str, display_name: str | None, organizations_enabled: bool | None = None) -> None:
        """Change the realm's display name (None clears it) and, unless None, whether Organizations are enabled.

        Turning Organizations off hides the realm's organizations without deleting them: on again, they are back.
        """
        # Keycloak leaves the display name alone when it is null: an empty one is how to clear it
        body: dict = {"displayName": display_name or ""}
        if organizations_enabled is not None:
            body["organizationsEnabled"] = organizations_enabled
        self._request("PUT", _url(realm), f"update realm {realm}", body=body)

    def delete_realm(self, realm: str) -> None:
        """Delete a realm and everything in it."""
        self._request("DELETE", _url(realm), f"delete realm {realm}")

    # -- reading state -----------------------------------------------------------------------------------

    def read(self, realm: str) -> LiveRealm:
        """The live state of ``realm`` in a handful of requests per page of groups, never one per group."""
        representation = self._request("GET", _url(realm), f"read realm {realm}", missing_ok=True)
        if representation is None:
            return LiveRealm(realm, exists=False)
        roles = self._read_roles(realm)
        default_role = (representation.get("defaultRole") or {}).get("name")
        organizations_enabled = bool(representation.get("organizationsEnabled"))
        return LiveRealm(
            name=realm,
            display_name=representation.get("displayName") or None,
            groups=self._read_groups(realm),
            roles=roles,
            # the default role is a composite like any other: its composites were read with the roles
            default_roles=next((role.composites for role in roles if role.name == default_role), []),
            user_profile=self.read_user_profile(realm),
            organizations_enabled=organizations_enabled,
            # Keycloak refuses to list the organizations of a realm that has them off (HTTP 404)
            organizations=self._read_organizations(realm) if organizations_enabled else [],
            clients=self._read_clients(realm),
            identity_providers=self._read_identity_providers(realm),
        )

    def _read_groups(self, realm: str) -> list[LiveGroup]:
        """Every group of ``realm``, parents before children."""
        tree = _GroupTree()
        url, action = _url(realm, "groups"), f"read the groups of {realm}"
        # every managed group: a request per page of matches, not per group. Flat (populateHierarchy=false)
        # is twice as fast as Keycloak's default of nesting each match in its ancestors; the ancestors that
        # are not managed are found below like any group made by hand
        search = {"q": f"{ATTR_MANAGED}:true", "briefRepresentation": "false", "populateHierarchy": "false"}
        tree.add(self._pages(url, action, matched=_managed_count, **search))
        # every top-level group, managed or not
        tree.add(self._pages(url, action, briefRepresentation="false"))
        # groups with more children than seen so far hold subtrees made by hand: read those level by level
        pending = tree.incomplete(list(tree.groups))
        while pending:
            parent_id = pending.pop()
            children = self._pages(_url(realm, "groups", parent_id, "children"), action, briefRepresentation="false")
            pending += tree.incomplete(tree.add(children, parent_id))
        return parents_first(tree.groups.values())

    def _read_roles(self, realm: str) -> list[LiveRole]:
        """Every realm role of ``realm`` with its realm-role composites, by name."""
        roles = []
        for role in self._pages(_url(realm, "roles"), f"read the roles of {realm}", briefRepresentation="false"):
            composites = self._realm_composites(realm, role["name"]) if role.get("composite") else []
            roles.append(LiveRole(role["name"], role.get("description"), role.get("attributes") or {}, composites))
        return sorted(roles, key=lambda role: role.name)

    def _realm_composites(self, realm: str, role: str) -> list[str]:
        composites = self._request("GET", _url(realm, "roles", role, "composites", "realm"), f"read role {role} of {realm}")
        return sorted(composite["name"] for composite in composites)

    def _read_organizations(self, realm: str) -> list[LiveOrganization]:
        """Every organization of ``realm``; the full list entries carry the attributes, so nothing more is asked."""
        url, action = _url(realm, "organizations"), f"read the organizations of {realm}"
        return [live_organization(o) for o in self._pages(url, action, briefRepresentation="false")]

    def _read_clients(self, realm: str) -> list[LiveClient]:
        """Every client of ``realm``, Keycloak's own included; their secrets are not kept."""
        return [live_client(c) for c in self._pages(_url(realm, "clients"), f"read the clients of {realm}")]

    def _read_identity_providers(self, realm: str) -> list[LiveIdentityProvider]:
        """Every identity provider of ``realm`` with its config, secrets left out."""
        url, action = _url(realm, "identity-provider", "instances"), f"read the identity providers of {realm}"
        return [live_identity_provider(p) for p in self._pages(url, action, briefRepresentation="false")]

    def read_user_profile(self, realm: str) -> dict:
        """The user profile configuration of ``realm``."""
        return self._request("GET", _url(realm, "users", "profile"), f"read the user profile of {realm}")

    # -- groups ------------------------------------------------------------------------------------------

    def create_group(self, realm: str, parent_id: str | None, name: str, attributes: dict[str, list[str]]) -> str:
        """Create a group (top-level when ``parent_id`` is None); return its id."""
        body = {"name": name, "attributes": attributes}
        response = self._request("POST", _parent_url(realm, parent_id), f"create group '{name}' in {realm}", body=body, raw=True)
        return _created_id(response)

    def update_group(self, realm: str, group_id: str, name: str, attributes: dict[str, list[str]]) -> None:
        """Rename a group and replace its attributes; members, role mappings and sub-groups stay."""
        body = {"name": name, "attributes": attributes}
        self._request("PUT", _url(realm, "groups", group_id), f"update group {group_id} of {realm}", body=body)

    def move_group(self, realm: str, group_id: str, parent_id: str | None) -> None:
        """Move a group under another parent (top level when None); members, role mappings and sub-groups stay."""
        action = f"move group {group_id} of {realm}"
        # Keycloak moves a group when its id is posted as a new child; it wants a name there and ignores it,
        # so the current one is sent (a name clash with the new siblings is still refused with 409)
        name = self._request("GET", _url(realm, "groups", group_id), action)["name"]
        self._request("POST", _parent_url(realm, parent_id), action, body={"id": group_id, "name": name})

    def delete_group(self, realm: str, group_id: str) -> None:
        """Delete a group, its sub-groups and their memberships."""
        self._request("DELETE", _url(realm, "groups", group_id), f"delete group {group_id} of {realm}")

    # -- roles -------------------------------------------------------------------------------------------

    def create_role(self, realm: str, name: str, description: str | None, attributes: dict[str, list[str]]) -> None:
        """Create a realm role."""
        body = {"name": name, "description": description, "attributes": attributes}
        self._request("POST", _url(realm, "roles"), f"create role '{name}' in {realm}", body=body)

    def update_role(self, realm: str, name: str, description: str | None, attributes: dict[str, list[str]]) -> None:
        """Replace a realm role's description (None clears it) and attributes."""
        body = {"name": name, "description": description, "attributes": attributes}
        self._request("PUT", _url(realm, "roles", name), f"update role '{name}' of {realm}", body=body)

    def delete_role(self, realm: str, name: str) -> None:
        """Delete a realm role; Keycloak drops it from composites and group mappings too."""
        self._request("DELETE", _url(realm, "roles", name), f"delete role '{name}' of {realm}")

    def add_composites(self, realm: str, role: str, names: list[str]) -> None:
        """Make the realm roles ``names`` part of ``role``."""
        url = _url(realm, "roles", role, "composites")
        self._send_roles("POST", realm, url, f"add composites to role '{role}' of {realm}", names)

    def remove_composites(self, realm: str, role: str, names: list[str]) -> None:
        """Take the realm roles ``names`` out of ``role``."""
        url = _url(realm, "roles", role, "composites")
        self._send_roles("DELETE", realm, url, f"remove composites from role '{role}' of {realm}", names)

    def add_group_roles(self, realm: str, group_id: str, names: list[str]) -> None:
        """Grant realm roles to a group (and so to its members and sub-groups' members)."""
        url = _url(realm, "groups", group_id, "role-mappings", "realm")
        self._send_roles("POST", realm, url, f"grant roles to group {group_id} of {realm}", names)

    def remove_group_roles(self, realm: str, group_id: str, names: list[str]) -> None:
        """Revoke realm roles from a group."""
        url = _url(realm, "groups", group_id, "role-mappings", "realm")
        self._send_roles("DELETE", realm, url, f"revoke roles from group {group_id} of {realm}", names)

    def _send_roles(self, method: str, realm: str, url: str, action: str, names: list[str]) -> None:
        """Send the representations of the roles ``names``: composites and mappings find roles by id, not name."""
        if not names:
            return
        roles = [self._request("GET", _url(realm, "roles", name), f"read role '{name}' of {realm}") for name in names]
        self._request(method, url, action, body=roles)

    # -- organizations -----------------------------------------------------------------------------------

    def create_organization(self, realm: str, name: str, alias: str, domains: list[str],
                            attributes: dict[str, list[str]]) -> str:
        """Create an enabled organization; return its id.

        A name or alias another organization has, or an email domain it has, is a :class:`Conflict`; a realm
        without Organizations enabled is a :class:`KeycloakError` (HTTP 404).
        """
        body = {"name": name, "alias": alias, "domains": _domains(domains), "attributes": attributes, "enabled": True}
        url = _url(realm, "organizations")
        return _created_id(self._request("POST", url, f"create organization '{name}' in {realm}", body=body, raw=True))

    def update_organization(self, realm: str, org_id: str, name: str, domains: list[str],
                            attributes: dict[str, list[str]]) -> None:
        """Change an organization's name and replace its domains and attributes; the rest stays.

        Keycloak's PUT replaces the whole organization (what it leaves out is cleared or reset, ``enabled``
        included) and refuses any alias but the current one, so the organization is read and changed: its alias,
        description, redirect URL, enabled flag and the verified flags of the domains it keeps stay as they are.
        """
        url, action = _url(realm, "organizations", org_id), f"update organization {org_id} of {realm}"
        current = self._request("GET", url, action)
        verified = {domain["name"] for domain in current.get("domains") or () if domain.get("verified")}
        body = {**current, "name": name, "domains": _domains(domains, verified), "attributes": attributes}
        self._request("PUT", url, action, body=body)

    def delete_organization(self, realm: str, org_id: str) -> None:
        """Delete an organization; its members stay users of the realm."""
        self._request("DELETE", _url(realm, "organizations", org_id), f"delete organization {org_id} of {realm}")

    # -- clients -----------------------------------------------------------------------------------------

    def create_client(self, realm: str, representation: dict) -> str:
        """Create a client; return its id. A confidential one gets a secret from Keycloak unless it brings one."""
        action = f"create client '{representation.get('clientId')}' in {realm}"
        return _created_id(self._request("POST", _url(realm, "clients"), action, body=representation, raw=True))

    def update_client(self, realm: str, client_uuid: str, representation: dict) -> None:
        """Change the fields of a client that ``representation`` holds; the others stay.

        Keycloak's PUT on a client is a merge already: fields left out (or null) stay, and ``attributes`` are
        merged key by key — a key given an empty value is removed, the keys not given stay. So the
        representation is sent as it is, in one request.
        """
        url, action = _url(realm, "clients", client_uuid), f"update client {client_uuid} of {realm}"
        self._request("PUT", url, action, body=representation)

    def delete_client(self, realm: str, client_uuid: str) -> None:
        """Delete a client."""
        self._request("DELETE", _url(realm, "clients", client_uuid), f"delete client {client_uuid} of {realm}")

    def client_secret(self, realm: str, client_id: str) -> str:
        """The secret of the confidential client whose clientId is ``client_id``; never logged or stored.

        No such client is a :class:`KeycloakError` saying HTTP 404; a public or bearer-only one, which has no
        secret, a :class:`KeycloakError` too.
        """
        action = f"read the secret of client '{client_id}' of {realm}"
        # clientId= matches exactly (search=true would match a part)
        found = self._request("GET", _url(realm, "clients"), action, params={"clientId": client_id})
        if not found:
            raise self._refusal(action, 404, "no client has that clientId")
        secret = self._request("GET", _url(realm, "clients", found[0]["id"], "client-secret"), action)
        if not secret.get("value"):
            raise KeycloakError(f"Keycloak at {self.settings.server_url} cannot {action}: it is a public or bearer-only client")
        return secret["value"]

    # -- identity providers ------------------------------------------------------------------------------

    def create_identity_provider(self, realm: str, representation: dict) -> None:
        """Create an identity provider; an alias another one has is a :class:`Conflict`."""
        action = f"create identity provider '{representation.get('alias')}' in {realm}"
        self._request("POST", _url(realm, "identity-provider", "instances"), action, body=representation)

    def update_identity_provider(self, realm: str, alias: str, representation: dict) -> None:
        """Change the fields of an identity provider that ``representation`` holds; a config given replaces the
        config, except that one without ``clientSecret`` keeps the stored secret.

        Keycloak's PUT replaces the whole provider, and a config without ``clientSecret`` drops the stored secret;
        the masked value sent back keeps it. So the provider is read, the given fields are laid over it and a
        config without a secret gets the mask (with no secret stored, Keycloak then stores none).
        """
        url, action = _url(realm, "identity-provider", "instances", alias), f"update identity provider '{alias}' of {realm}"
        body = {**self._request("GET", url, action), **representation, "alias": alias}
        body["config"] = {"clientSecret": SECRET_MASK, **(body.get("config") or {})}
        self._request("PUT", url, action, body=body)

    def delete_identity_provider(self, realm: str, alias: str) -> None:
        """Delete an identity provider; the links of users to it go with it."""
        url = _url(realm, "identity-provider", "instances", alias)
        self._request("DELETE", url, f"delete identity provider '{alias}' of {realm}")

    def read_identity_provider(self, realm: str, alias: str) -> dict:
        """An identity provider's representation as Keycloak answers it: secrets masked, vault references
        (``${vault.key}``) shown as they are."""
        url = _url(realm, "identity-provider", "instances", alias)
        return self._request("GET", url, f"read identity provider '{alias}' of {realm}")

    # -- user profile and people -------------------------------------------------------------------------

    def set_user_profile(self, realm: str, profile: dict) -> None:
        """Replace the realm's user profile configuration."""
        self._request("PUT", _url(realm, "users", "profile"), f"update the user profile of {realm}", body=profile)

    def create_user(self, realm: str, user: dict) -> str:
        """Create a user; return its id. Attributes the user profile does not declare are dropped by Keycloak."""
        return _created_id(self._request("POST", _url(realm, "users"), f"create a user in {realm}", body=user, raw=True))

    def read_user(self, realm: str, user_id: str) -> dict:
        """One user, with its attributes."""
        return self._request("GET", _url(realm, "users", user_id), f"read user {user_id} of {realm}")

    def add_member(self, realm: str, group_id: str, user_id: str) -> None:
        """Make a user a member of a group (nothing changes when it is one already)."""
        url = _url(realm, "users", user_id, "groups", group_id)
        self._request("PUT", url, f"add user {user_id} to group {group_id} of {realm}")

    def members(self, realm: str, group_id: str) -> list[str]:
        """The ids of the direct members of a group."""
        url, action = _url(realm, "groups", group_id, "members"), f"read the members of group {group_id} of {realm}"
        return [user["id"] for user in self._pages(url, action, briefRepresentation="true")]

    # -- transport ---------------------------------------------------------------------------------------

    def _pages(self, url: str, action: str, *, matched: Callable[[list], int] = len, **params) -> Iterator[dict]:
        """Every entry of a paginated list; ``matched`` counts the entries of a page that ``max`` limits."""
        first = 0
        while True:
            page = self._request("GET", url, action, params={**params, "first": first, "max": self.page_size})
            yield from page
            if matched(page) < self.page_size:
                return
            first += self.page_size

    def _request(self, method: str, path: str, action: str, *, body=None, params=None, missing_ok=False, raw=False):
        """Send one admin request; translate every failure into a groupid error."""
        self.requests += 1
        data = None if body is None else json.dumps(body)
        with self._translated(action):
            if method == "GET":
                response = self._connection.raw_get(path, **(params or {}))
            elif method == "POST":
                response = self._connection.raw_post(path, data=data)
            elif method == "PUT":
                response = self._connection.raw_put(path, data=data)
            else:
                response = self._connection.raw_delete(path, data=data)
            if missing_ok and response.status_code == 404:
                return None
            if response.status_code >= 400:
                raise self._refusal(action, response.status_code, response.content)
            if raw:
                return response
            return response.json() if response.content else None

    def _refusal(self, action: str, code: int | None, content) -> KeycloakError:
        """The groupid error for an HTTP error status answered to ``action``."""
        where = self.settings.server_url
        detail = _error_detail(content)
        if code == 401:
            return AuthenticationFailed(f"Keycloak at {where} refused the credentials of {self.settings.identity}")
        if code == 403:
            return AuthenticationFailed(f"{self.settings.identity} may not {action} at {where} (HTTP 403): it lacks admin rights")
        if code == 409:
            return Conflict(f"Keycloak at {where} refused to {action}: it already exists (HTTP 409){': ' + detail if detail else ''}")
        if code == 400 and any(words in detail for words in CLASHES_ANSWERED_400):
            return Conflict(f"Keycloak at {where} refused to {action}: it clashes with what exists (HTTP 400): {detail}")
        return KeycloakError(f"Keycloak at {where} refused to {action}: HTTP {code}{': ' + detail if detail else ''}")

    @contextmanager
    def _translated(self, action: str):
        """Turn python-keycloak and requests errors raised inside the block into groupid errors."""
        where = self.settings.server_url
        try:
            yield
        except kc.KeycloakConnectionError as exc:
            raise KeycloakUnreachable(f"Keycloak at {where} does not answer ({action}): {_short(exc.__cause__ or exc)}") from None
        except kc.KeycloakError as exc:
            if exc.response_code == 404:
                raise KeycloakError(
                    f"{where} answered HTTP 404 to {action}: no realm '{self.settings.auth_realm}' there; "
                    "is the server URL right (Keycloak before 17 needs the /auth suffix)?"
                ) from None
            raise self._refusal(action, exc.response_code, exc.error_message) from None
        except (ValueError, TypeError) as exc:
            # a JSON body that is not JSON, or python-keycloak's "unexpected response type": not a Keycloak
            raise KeycloakError(
                f"{where} did not answer like Keycloak to {action} ({_short(exc)}); is the server URL right?"
            ) from None
        except requests.RequestException as exc:
            raise KeycloakUnreachable(f"Keycloak at {where} does not answer ({action}): {_short(exc)}") from None


class _GroupTree:
    """The groups read so far, by id, with how many children each has according to the server.

    A search answers each match inside its ancestors, and the same ancestor comes back on several pages:
    adding by id makes every answer safe to add, in any order and more than once.
    """

    def __init__(self):
        self.groups: dict[str, LiveGroup] = {}
        self._expected: dict[str, int] = {}  # subGroupCount: the real number of children
        self._seen: Counter[str | None] = Counter()

    def add(self, representations: Iterable[dict], parent_id: str | None = None) -> list[str]:
        """Add group representations, with whatever sub-groups are filled into them; return the new ids."""
        new = []
        for representation, parent in _walk(representations, parent_id):
            group_id = representation["id"]
            if group_id in self.groups:
                continue
            # a flat search answer says where a match hangs only in its parentId
            parent = representation.get("parentId") or parent
            attributes = representation.get("attributes") or {}
            roles = sorted(representation.get("realmRoles") or [])
            self.groups[group_id] = LiveGroup(group_id, representation["name"], parent, attributes, roles)
            self._expected[group_id] = representation.get("subGroupCount", 0)
            self._seen[parent] += 1
            new.append(group_id)
        return new

    def incomplete(self, group_ids: Iterable[str]) -> list[str]:
        """Those of ``group_ids`` that have children not read yet."""
        return [group_id for group_id in group_ids if self._seen[group_id] < self._expected[group_id]]


def parents_first(groups: Iterable[LiveGroup]) -> list[LiveGroup]:
    """``groups`` depth first, parents before their children, siblings by name (as Keycloak lists them)."""
    children: dict[str | None, list[LiveGroup]] = defaultdict(list)
    for group in groups:
        children[group.parent_id].append(group)
    ordered: list[LiveGroup] = []
    stack = sorted(children[None], key=lambda g: g.name, reverse=True)
    while stack:
        group = stack.pop()
        ordered.append(group)
        stack += sorted(children[group.id], key=lambda g: g.name, reverse=True)
    return ordered


def _walk(representations: Iterable[dict], parent_id: str | None) -> Iterator[tuple[dict, str | None]]:
    """Each group representation and the id of its parent, sub-groups included (iterative: trees run deep)."""
    stack = [(representation, parent_id) for representation in representations]
    while stack:
        representation, parent = stack.pop()
        yield representation, parent
        stack += [(child, representation["id"]) for child in representation.get("subGroups") or ()]


def _managed_count(page: list[dict]) -> int:
    """How many groups of a search page carry the managed mark: at least the matches ``max`` counted.

    A flat page holds the matches only. A server that nests them in their ancestors anyway (one that does not
    know ``populateHierarchy``) lists fewer entries than matches; its managed ancestors make the count larger
    than the matches, which costs at most one more, empty, page.
    """
    managed = {g["id"] for g, _ in _walk(page, None) if (g.get("attributes") or {}).get(ATTR_MANAGED) == ["true"]}
    return len(managed)


def live_organization(representation: dict) -> LiveOrganization:
    """An OrganizationRepresentation (in full: with attributes) as groupid sees it; domains sorted."""
    return LiveOrganization(
        id=representation["id"],
        name=representation["name"],
        alias=representation["alias"],
        domains=sorted(domain["name"] for domain in representation.get("domains") or ()),
        attributes=copy.deepcopy(representation.get("attributes") or {}),
        enabled=representation.get("enabled", True),
    )


def live_client(representation: dict) -> LiveClient:
    """A ClientRepresentation reduced to what groupid manages; the secret is not kept."""
    return LiveClient(
        id=representation["id"],
        client_id=representation["clientId"],
        name=representation.get("name"),
        enabled=representation.get("enabled", True),
        public_client=representation.get("publicClient", False),
        # Keycloak keeps a cleared root URL as an empty string
        root_url=representation.get("rootUrl") or None,
        redirect_uris=list(representation.get("redirectUris") or ()),
        attributes=dict(representation.get("attributes") or {}),
    )


def live_identity_provider(representation: dict) -> LiveIdentityProvider:
    """An IdentityProviderRepresentation as groupid sees it: its config without secrets, masked or not."""
    config = representation.get("config") or {}
    return LiveIdentityProvider(
        alias=representation["alias"],
        provider_id=representation["providerId"],
        display_name=representation.get("displayName") or None,
        enabled=representation.get("enabled", True),
        config={key: value for key, value in config.items() if key not in SECRET_KEYS and value != SECRET_MASK},
    )


def _domains(names: list[str], verified: set[str] = frozenset()) -> list[dict]:
    """The domain representations of an organization; those in ``verified`` keep their verified flag."""
    return [{"name": name, "verified": name.lower() in verified} for name in names]


def _url(realm: str, *segments: str) -> str:
    """The admin path of ``realm`` or of something in it, every segment quoted."""
    return "/".join(["admin/realms", *(quote(segment, safe="") for segment in (realm, *segments))])


def _parent_url(realm: str, parent_id: str | None) -> str:
    """Where to post a group so that it lands under ``parent_id`` (top level when None)."""
    return _url(realm, "groups") if parent_id is None else _url(realm, "groups", parent_id, "children")


def _created_id(response) -> str:
    """The id of what a POST created, from its Location header."""
    return response.headers["Location"].rstrip("/").rsplit("/", 1)[-1]


def _error_detail(content) -> str:
    """The human part of a Keycloak error body (JSON with errorMessage / error_description), or its text."""
    text = content.decode("utf-8", "replace") if isinstance(content, bytes) else str(content or "")
    try:
        data = json.loads(text)
    except ValueError:
        return text.strip()[:300]
    if isinstance(data, dict):
        for key in ("errorMessage", "error_description", "error"):
            if data.get(key):
                return str(data[key])
    return text.strip()[:300]


def _short(exc: BaseException) -> str:
    """A one-line reason for a connection failure, without the nested urllib3 retry noise."""
    text = str(exc)
    for marker in ("Connection refused", "Name or service not known", "timed out", "certificate verify failed"):
        if marker in text:
            return marker
    return text.splitlines()[0][:200] if text else type(exc).__name__
