"""The adapter to a real Keycloak server, over its Admin REST API (through python-keycloak).

This is the one place where python-keycloak and requests errors are caught; they leave it as groupid errors
(:class:`KeycloakUnreachable`, :class:`AuthenticationFailed`, :class:`KeycloakError`, :class:`Conflict`).

Reading a realm never goes N+1 (one request per group). The groups, the roles (realm and client roles, with
their composites) and the clients come from one partial export (``POST /partial-export``), which answers the
whole group tree, every role with its composites and every client in a single request. The realm itself, its
user profile, organizations and identity providers come from their own small lists, a request per page of each.

A server that refuses the partial export (HTTP 403: an identity without the rights it asks for) is read the
paged way instead: the managed groups from a paginated attribute search (``q=groupid.managed:true``), the
top-level groups, and ``/groups/{id}/children`` for the groups that have more sub-groups than seen so far —
subtrees made by hand, and groups the search skipped (it orders by name only, so among groups of the same name
its pages may overlap); then the roles, the roles of each client but Keycloak's own, and one request per
composite role for all its composites.

Roles are named by references (``name``, ``clientId/name``): a group's client roles come with the group, and a
composite's client is known from the clients read alongside.

Secrets stay out of the state: a client's secret is read only on demand (:meth:`KeycloakServer.client_secret`),
and an identity provider's ``clientSecret``, which Keycloak answers masked, is left out of its config.
"""

from __future__ import annotations

import copy
import json
from abc import ABC, abstractmethod
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import NamedTuple
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

EXPORT_TIMEOUT = 600.0
"""Seconds the partial export may take, whatever the connection's timeout. Warm, it answers 5,000 groups in
0.1–0.4 s; cold — the first export after Keycloak starts or imports the realm, while its caches fill — the same
realm took 105–130 s on 2 loaded cores (Keycloak 26.5, H2), far beyond the usual 30 s."""

SECRET_MASK = "**********"
"""What Keycloak answers in place of a stored secret. Sent back in an identity provider's config, it keeps the
stored secret; a config without ``clientSecret`` would drop it."""

SECRET_KEYS = frozenset({"clientSecret"})
"""Identity provider config keys that hold a secret (Keycloak masks them; vault references it shows as they are)."""

KEYCLOAK_CLIENTS = frozenset(
    {"account", "account-console", "admin-cli", "broker", "realm-management", "security-admin-console"}
)
"""The clientIds of the clients Keycloak gives every realm. Their roles are Keycloak's: they are not read into
:attr:`LiveRealm.client_roles <groupid.realms.base.LiveRealm.client_roles>`, though references to them are fine."""

CLASHES_ANSWERED_400 = ("is already linked to another organization",)
"""Keycloak answers some clashes with what exists with HTTP 400, not 409: these words in the answer say it is one
(an email domain another organization has). They are :class:`Conflict` here, like any 409."""


class RolesByReference(ABC):
    """The role methods of :class:`~groupid.realms.base.RealmAdapter`, for realm and client roles alike, in terms
    of three that an adapter provides and that name a role by its reference (``name`` or ``clientId/name``)."""

    @abstractmethod
    def _create_role(self, realm: str, client_id: str | None, name: str, description: str | None,
                     attributes: dict[str, list[str]]) -> None:
        """Create a role of the realm (``client_id`` None) or of a client; its name is unique there."""

    @abstractmethod
    def _update_role(self, realm: str, ref: str, description: str | None, attributes: dict[str, list[str]]) -> None:
        """Replace the description (None clears it) and the attributes of the role ``ref``."""

    @abstractmethod
    def _delete_role(self, realm: str, ref: str) -> None:
        """Delete the role ``ref``; composites and group mappings lose it too."""

    def create_role(self, realm: str, name: str, description: str | None, attributes: dict[str, list[str]]) -> None:
        """Create a realm role."""
        self._create_role(realm, None, name, description, attributes)

    def update_role(self, realm: str, name: str, description: str | None, attributes: dict[str, list[str]]) -> None:
        """Replace a realm role's description (None clears it) and attributes."""
        self._update_role(realm, name, description, attributes)

    def delete_role(self, realm: str, name: str) -> None:
        """Delete a realm role; composites and group mappings lose it too."""
        self._delete_role(realm, name)

    def create_client_role(self, realm: str, client_id: str, name: str, description: str | None,
                           attributes: dict[str, list[str]]) -> None:
        """Create a role of the client whose clientId is ``client_id``; no such client is an error (HTTP 404)."""
        self._create_role(realm, client_id, name, description, attributes)

    def update_client_role(self, realm: str, client_id: str, name: str, description: str | None,
                           attributes: dict[str, list[str]]) -> None:
        """Replace a client role's description (None clears it) and attributes."""
        self._update_role(realm, role_reference(client_id, name), description, attributes)

    def delete_client_role(self, realm: str, client_id: str, name: str) -> None:
        """Delete a client role; composites and group mappings lose it too."""
        self._delete_role(realm, role_reference(client_id, name))


class KeycloakServer(RolesByReference, RealmAdapter):
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
        """The live state of ``realm`` in a handful of requests, never one per group: see the module's docstring."""
        representation = self._request("GET", _url(realm), f"read realm {realm}", missing_ok=True)
        if representation is None:
            return LiveRealm(realm, exists=False)
        content = self._exported_content(realm) or self._listed_content(realm)
        default_role = (representation.get("defaultRole") or {}).get("name")
        organizations_enabled = bool(representation.get("organizationsEnabled"))
        return LiveRealm(
            name=realm,
            display_name=representation.get("displayName") or None,
            groups=content.groups,
            roles=content.roles,
            client_roles=content.client_roles,
            # the default role is a composite like any other: its composites were read with the roles
            default_roles=next((role.composites for role in content.roles if role.name == default_role), []),
            user_profile=self.read_user_profile(realm),
            organizations_enabled=organizations_enabled,
            # Keycloak refuses to list the organizations of a realm that has them off (HTTP 404)
            organizations=self._read_organizations(realm) if organizations_enabled else [],
            clients=content.clients,
            identity_providers=self._read_identity_providers(realm),
        )

    def _exported_content(self, realm: str) -> _RealmContent | None:
        """The groups, roles and clients of ``realm`` from one partial export; None when Keycloak refuses it (403).

        The export nests the whole group tree in ``subGroups`` and names each composite by its client's clientId;
        the clients' secrets come masked and are not kept anyway.
        """
        params = {"exportGroupsAndRoles": "true", "exportClients": "true"}
        action = f"export the groups, roles and clients of {realm}"
        exported = self._request("POST", _url(realm, "partial-export"), action, params=params, forbidden_ok=True,
                                 timeout=EXPORT_TIMEOUT)
        if exported is None:
            return None
        tree = _GroupTree()
        tree.add(exported.get("groups") or ())
        roles = exported.get("roles") or {}
        client_roles = [
            _live_role(role, _exported_composites(role), client_id)
            for client_id, listed in (roles.get("client") or {}).items() if client_id not in KEYCLOAK_CLIENTS
            for role in listed
        ]
        return _RealmContent(
            groups=parents_first(tree.groups.values()),
            roles=_in_order(_live_role(role, _exported_composites(role), None) for role in roles.get("realm") or ()),
            client_roles=_in_order(client_roles),
            clients=[live_client(client) for client in exported.get("clients") or ()],
        )

    def _listed_content(self, realm: str) -> _RealmContent:
        """The groups, roles and clients of ``realm`` from their paginated lists: the way without partial export."""
        listed_roles = self._list_roles(_url(realm, "roles"), f"read the roles of {realm}")
        groups = self._read_groups(realm)
        # composites name their client by its id: they are read once the clients are known
        clients = self._read_clients(realm)
        client_ids = {client.id: client.client_id for client in clients}
        return _RealmContent(
            groups=groups,
            roles=_in_order(self._live_roles(realm, listed_roles, None, client_ids)),
            client_roles=self._read_client_roles(realm, clients, client_ids),
            clients=clients,
        )

    def _read_groups(self, realm: str) -> list[LiveGroup]:
        """Every group of ``realm``, parents before children, from the paged search and lists."""
        tree = _GroupTree()
        url, action = _url(realm, "groups"), f"read the groups of {realm}"
        # every managed group: a request per page of matches, not per group. Flat (populateHierarchy=false)
        # is twice as fast as Keycloak's default of nesting each match in its ancestors; the ancestors that
        # are not managed are found below like any group made by hand
        search = {"q": f"{ATTR_MANAGED}:true", "briefRepresentation": "false", "populateHierarchy": "false"}
        tree.add(self._search_pages(url, action, **search))
        # every top-level group, managed or not
        tree.add(self._pages(url, action, briefRepresentation="false"))
        # groups with more children than seen so far hold subtrees made by hand: read those level by level
        pending = tree.incomplete(list(tree.groups))
        while pending:
            parent_id = pending.pop()
            children = self._pages(_url(realm, "groups", parent_id, "children"), action, briefRepresentation="false")
            pending += tree.incomplete(tree.add(children, parent_id))
        return parents_first(tree.groups.values())

    def _read_client_roles(self, realm: str, clients: list[LiveClient], client_ids: dict[str, str]) -> list[LiveRole]:
        """The roles of every client but Keycloak's own, by clientId and name: a request per page of each client."""
        roles = []
        for client in clients:
            if client.client_id not in KEYCLOAK_CLIENTS:
                url, action = _url(realm, "clients", client.id, "roles"), f"read the roles of client '{client.client_id}' of {realm}"
                roles += self._live_roles(realm, self._list_roles(url, action), client.client_id, client_ids)
        return _in_order(roles)

    def _list_roles(self, url: str, action: str) -> list[dict]:
        """The role representations listed at ``url`` (the realm's or a client's), attributes included."""
        return list(self._pages(url, action, briefRepresentation="false"))

    def _live_roles(self, realm: str, listed: list[dict], client: str | None, client_ids: dict[str, str]) -> list[LiveRole]:
        """Listed roles (the realm's, or the client ``client``'s) with their composites; ``client_ids`` maps the
        ids of clients to their clientIds."""
        return [_live_role(role, self._composites(realm, role, client_ids), client) for role in listed]

    def _composites(self, realm: str, role: dict, client_ids: dict[str, str]) -> list[str]:
        """The references of a role's composites, realm and client roles alike: one request, for a composite only.

        Without ``first`` and ``max`` Keycloak answers them all at once; each says in ``containerId`` whose it is.
        """
        if not role.get("composite"):
            return []
        url = _url(realm, "roles-by-id", role["id"], "composites")
        action = f"read the composites of role '{role['name']}' of {realm}"
        return sorted(_reference(composite, client_ids) for composite in self._request("GET", url, action))

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

    def _create_role(self, realm: str, client_id: str | None, name: str, description: str | None,
                     attributes: dict[str, list[str]]) -> None:
        """Create a role of the realm (``client_id`` None) or of a client."""
        action = f"create role '{role_reference(client_id, name)}' in {realm}"
        url = self._roles_url(realm, client_id, action)
        self._request("POST", url, action, body=_role_body(name, description, attributes))

    def _update_role(self, realm: str, ref: str, description: str | None, attributes: dict[str, list[str]]) -> None:
        """Replace the description and attributes of the role ``ref``.

        Keycloak's PUT clears a null description but keeps the attributes when they are left out: both are sent.
        """
        action = f"update role '{ref}' of {realm}"
        body = _role_body(split_reference(ref)[1], description, attributes)
        self._request("PUT", self._role_url(realm, ref, action), action, body=body)

    def _delete_role(self, realm: str, ref: str) -> None:
        """Delete the role ``ref``."""
        action = f"delete role '{ref}' of {realm}"
        self._request("DELETE", self._role_url(realm, ref, action), action)

    def add_composites(self, realm: str, role: str, names: list[str]) -> None:
        """Make the roles ``names`` part of ``role`` (references, realm and client roles alike)."""
        self._edit_composites("POST", realm, role, names, f"add composites to role '{role}' of {realm}")

    def remove_composites(self, realm: str, role: str, names: list[str]) -> None:
        """Take the roles ``names`` out of ``role`` (references)."""
        self._edit_composites("DELETE", realm, role, names, f"remove composites from role '{role}' of {realm}")

    def add_group_roles(self, realm: str, group_id: str, names: list[str]) -> None:
        """Grant roles (references) to a group, and so to its members and sub-groups' members."""
        self._edit_group_roles("POST", realm, group_id, names, f"grant roles to group {group_id} of {realm}")

    def remove_group_roles(self, realm: str, group_id: str, names: list[str]) -> None:
        """Revoke roles (references) from a group."""
        self._edit_group_roles("DELETE", realm, group_id, names, f"revoke roles from group {group_id} of {realm}")

    def _edit_composites(self, method: str, realm: str, role: str, names: list[str], action: str) -> None:
        """Post or delete the composites ``names`` of ``role``: one request takes roles of any kind."""
        if names:
            roles = self._representations(realm, names)
            self._request(method, self._role_url(realm, role, action) + "/composites", action, body=roles)

    def _edit_group_roles(self, method: str, realm: str, group_id: str, names: list[str], action: str) -> None:
        """Post or delete a group's role mappings: the realm roles in one request, each client's in one more.

        Every role is looked up before the first mapping is sent, so an unknown one changes nothing.
        """
        by_client: dict[str | None, list[dict]] = defaultdict(list)
        for role in self._representations(realm, names):
            by_client[role["containerId"] if role.get("clientRole") else None].append(role)
        for client_uuid, roles in by_client.items():
            mappings = ("realm",) if client_uuid is None else ("clients", client_uuid)
            self._request(method, _url(realm, "groups", group_id, "role-mappings", *mappings), action, body=roles)

    def _representations(self, realm: str, refs: list[str]) -> list[dict]:
        """The representations of the roles ``refs``: composites and mappings find roles by id, not by name.

        A request per role, and one per client named (an unknown client or role is an error naming the reference).
        """
        client_uuids: dict[str, str] = {}
        roles = []
        for ref in dict.fromkeys(refs):
            action = f"find role '{ref}' of {realm}"
            roles.append(self._request("GET", self._role_url(realm, ref, action, client_uuids), action))
        return roles

    def _roles_url(self, realm: str, client_id: str | None, action: str,
                   client_uuids: dict[str, str] | None = None) -> str:
        """The admin path of the realm's roles (``client_id`` None) or of a client's; see :meth:`_client_uuid`."""
        if client_id is None:
            return _url(realm, "roles")
        return _url(realm, "clients", self._client_uuid(realm, client_id, action, client_uuids), "roles")

    def _role_url(self, realm: str, ref: str, action: str, client_uuids: dict[str, str] | None = None) -> str:
        """The admin path of the role ``ref`` (``name`` or ``clientId/name``)."""
        client_id, name = split_reference(ref)
        return f"{self._roles_url(realm, client_id, action, client_uuids)}/{quote(name, safe='')}"

    def _client_uuid(self, realm: str, client_id: str, action: str, known: dict[str, str] | None = None) -> str:
        """The id of the client whose clientId is ``client_id``; none is a :class:`KeycloakError` saying HTTP 404.

        ``known`` (clientId to id) saves asking twice within one call.
        """
        known = {} if known is None else known
        if client_id not in known:
            # clientId= matches exactly (search=true would match a part)
            found = self._request("GET", _url(realm, "clients"), action, params={"clientId": client_id})
            if not found:
                raise self._refusal(action, 404, f"no client has the clientId '{client_id}'")
            known[client_id] = found[0]["id"]
        return known[client_id]

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
        url = _url(realm, "clients", self._client_uuid(realm, client_id, action), "client-secret")
        secret = self._request("GET", url, action)
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

    def _search_pages(self, url: str, action: str, **params) -> Iterator[dict]:
        """Every match of a group search, in pages that never split a run of equal names.

        Keycloak orders a search by name alone, and among equal names (every company has a 财务部) the order
        changes from one request to the next: fixed pages would miss some groups and repeat others. So each
        page ends where the run of its last name begins, and the next page starts there, holding the whole
        run; a run longer than a page doubles the page. A server that nests the matches in their ancestors
        (no ``populateHierarchy``) is paged the plain way.
        """
        first, size = 0, self.page_size
        while True:
            page = self._request("GET", url, action, params={**params, "first": first, "max": size})
            if any(entry.get("subGroups") for entry in page):
                yield from page
                yield from self._pages(url, action, matched=_managed_count, start=first + size, **params)
                return
            if len(page) < size:
                yield from page
                return
            run = next(i for i, entry in enumerate(page) if entry["name"] == page[-1]["name"])
            if run == 0:
                size *= 2
                continue
            yield from page[:run]
            first, size = first + run, self.page_size

    def _pages(self, url: str, action: str, *, matched: Callable[[list], int] = len, start: int = 0,
               **params) -> Iterator[dict]:
        """Every entry of a paginated list; ``matched`` counts the entries of a page that ``max`` limits."""
        first = start
        while True:
            page = self._request("GET", url, action, params={**params, "first": first, "max": self.page_size})
            yield from page
            if matched(page) < self.page_size:
                return
            first += self.page_size

    def _request(self, method: str, path: str, action: str, *, body=None, params=None, missing_ok=False,
                 forbidden_ok=False, raw=False, timeout: float | None = None):
        """Send one admin request; translate every failure into a groupid error.

        ``missing_ok`` answers None for HTTP 404, ``forbidden_ok`` None for HTTP 403, instead of raising;
        ``timeout`` lets this request take that many seconds when the connection's timeout is shorter.
        """
        self.requests += 1
        data = None if body is None else json.dumps(body)
        with self._translated(action), self._timeout_at_least(timeout):
            if method == "GET":
                response = self._connection.raw_get(path, **(params or {}))
            elif method == "POST":
                response = self._connection.raw_post(path, data=data, **(params or {}))
            elif method == "PUT":
                response = self._connection.raw_put(path, data=data)
            else:
                response = self._connection.raw_delete(path, data=data)
            if (missing_ok and response.status_code == 404) or (forbidden_ok and response.status_code == 403):
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
    def _timeout_at_least(self, seconds: float | None):
        """Within the block, requests may take ``seconds`` (None: the connection's timeout) if that is longer."""
        usual = self._connection.timeout
        self._connection.timeout = max(usual or 0, seconds or 0) or usual
        try:
            yield
        finally:
            self._connection.timeout = usual

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


class _RealmContent(NamedTuple):
    """What one realm holds of groups, roles and clients, however it was read."""

    groups: list[LiveGroup]  #: parents before their children
    roles: list[LiveRole]  #: realm roles, by name
    client_roles: list[LiveRole]  #: roles of clients other than Keycloak's own, by clientId and name
    clients: list[LiveClient]


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
            # the names of the client roles granted, by clientId
            granted = representation.get("clientRoles") or {}
            client_roles = {client: sorted(granted[client]) for client in sorted(granted)}
            self.groups[group_id] = LiveGroup(group_id, representation["name"], parent, attributes, roles, client_roles)
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


def _live_role(representation: dict, composites: list[str], client: str | None) -> LiveRole:
    """A RoleRepresentation (of the realm, or of the client ``client``) with the references of its composites."""
    return LiveRole(representation["name"], representation.get("description"), representation.get("attributes") or {},
                    composites, client)


def _exported_composites(representation: dict) -> list[str]:
    """The references of a role's composites as a partial export gives them: ``{realm: [name], client: {clientId:
    [name]}}``, sorted."""
    composites = representation.get("composites") or {}
    client_refs = (role_reference(client_id, name) for client_id, names in (composites.get("client") or {}).items()
                   for name in names)
    return sorted([*(composites.get("realm") or ()), *client_refs])


def _in_order(roles: Iterable[LiveRole]) -> list[LiveRole]:
    """Roles in the order :class:`LiveRealm` lists them: by clientId (realm roles have none), then by name."""
    return sorted(roles, key=lambda role: (role.client or "", role.name))


def split_reference(ref: str) -> tuple[str | None, str]:
    """The clientId (None for a realm role) and the name of the role ``ref`` refers to.

    Role names never contain ``/``; clientIds may (a SAML client's is often a URL): the name is what follows the
    last one.
    """
    client_id, _, name = ref.rpartition("/")
    return client_id or None, name


def role_reference(client_id: str | None, name: str) -> str:
    """How a role is referred to: ``name`` for a realm role, ``clientId/name`` for a client's."""
    return f"{client_id}/{name}" if client_id else name


def _reference(representation: dict, client_ids: dict[str, str]) -> str:
    """The reference of a RoleRepresentation; a client role's ``containerId`` is its client's id (in ``client_ids``)."""
    client_id = client_ids[representation["containerId"]] if representation.get("clientRole") else None
    return role_reference(client_id, representation["name"])


def _role_body(name: str, description: str | None, attributes: dict[str, list[str]]) -> dict:
    """The RoleRepresentation groupid writes."""
    return {"name": name, "description": description, "attributes": attributes}


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
