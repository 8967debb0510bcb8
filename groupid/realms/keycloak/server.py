"""The Keycloak server itself: signing in, the realms, and every write groupid makes."""

from __future__ import annotations

import threading
from collections import defaultdict
from collections.abc import Iterable
from urllib.parse import quote

from groupid.errors import Conflict, KeycloakError, RealmExists
from groupid.keycloak_terms import role_reference, split_reference
from groupid.realms.base import IMPORT_CHUNK, RealmAdapter, refuse_a_move_below_itself
from groupid.realms.connection import ConnectionSettings
from groupid.realms.keycloak.clients import ClientParts
from groupid.realms.keycloak.components import Components
from groupid.realms.keycloak.flows import SignInFlows
from groupid.realms.keycloak.people import MEMBER_PAGE_SIZE, PeopleClient
from groupid.realms.keycloak.reading import RealmReader
from groupid.realms.keycloak.scopes import ClientScopes
from groupid.realms.keycloak.transport import PAGE_SIZE, AdminTransport, KeycloakAnswer, admin_url, created_id
from groupid.realms.live import LiveRealm, LiveUser
from groupid.realms.representations import SECRET_MASK
from groupid.text import escape

REALM_IMPORT_TIMEOUT = 900.0
"""Seconds Keycloak's import of a whole realm may take, whatever the connection's timeout: it imports the realm
in one transaction, and thousands of groups take minutes, not seconds."""


class KeycloakServer(RealmAdapter):
    """One Keycloak server, reached with the admin credentials of ``settings``.

    It has a :class:`~groupid.realms.keycloak.transport.AdminTransport` (``transport``), which signs in and
    sends every admin request, and hands it to a :class:`RealmReader` (``reader``) and a :class:`PeopleClient`
    (``people``), and a :class:`ClientParts` (``clients``); it makes the other writes to a realm's design itself. ``page_size`` is how many entries each
    paginated request asks for; ``requests`` counts the admin requests sent so far (compare it before and
    after a call to know what the call cost). Its methods may be called from several threads at once.
    ``transport`` may be given, signed in already (one that observes or scripts the requests).

    >>> server = KeycloakServer(ConnectionSettings.from_env())  # doctest: +SKIP
    >>> server.read("xinghe").exists  # doctest: +SKIP
    """

    def __init__(self, settings: ConnectionSettings, page_size: int = PAGE_SIZE,
                 transport: AdminTransport | None = None):
        self.transport = transport if transport is not None else AdminTransport(settings, page_size)
        self.reader = RealmReader(self.transport)
        self.people = PeopleClient(self.transport)
        self.clients = ClientParts(self.transport)
        self.flows = SignInFlows(self.transport)
        self.components = Components(self.transport)
        self.scopes = ClientScopes(self.transport)
        self._realm_roles: dict[tuple[str, str], dict] = {}  #: (realm, name) -> the role's representation
        self._roles_lock = threading.Lock()

    @property
    def settings(self) -> ConnectionSettings:
        """The connection settings of the server."""
        return self.transport.settings

    @property
    def page_size(self) -> int:
        """Entries per paginated request."""
        return self.transport.page_size

    @property
    def requests(self) -> int:
        """The admin requests sent so far (the sign-in is not one)."""
        return self.transport.requests

    # -- reading -----------------------------------------------------------------------------------------

    def read_raw(self, realm: str) -> LiveRealm:
        """Everything ``realm`` holds: see :meth:`RealmReader.read_raw`."""
        return self.reader.read_raw(realm)

    def read_user_profile(self, realm: str) -> dict:
        """The user profile configuration of ``realm``."""
        return self.reader.read_user_profile(realm)

    # -- realms ------------------------------------------------------------------------------------------

    def realm_exists(self, realm: str) -> bool:
        """Whether a realm of that name exists."""
        return self.transport.request("GET", admin_url(realm), f"read realm {realm}", missing_ok=True) is not None

    def import_realm(self, representation: dict) -> None:
        """Create a realm from a full RealmRepresentation (Keycloak's own import); refuse to overwrite one."""
        realm = representation.get("realm", "")
        try:
            self.transport.request("POST", "admin/realms", f"create realm {realm}", body=representation,
                                   timeout=REALM_IMPORT_TIMEOUT)
        except Conflict:
            raise RealmExists(f"realm '{realm}' already exists at {self.settings.server_url}; nothing was changed") from None
        # Keycloak checks admin rights against the roles in the access token, and a token issued before the realm
        # existed lacks its management roles: a service account would be refused its next write (HTTP 403)
        self.transport.sign_in_again(f"sign in again after creating realm {realm}")

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
        self.transport.request("PUT", admin_url(realm), f"update realm {realm}", body=body)

    def delete_realm(self, realm: str) -> None:
        """Delete a realm and everything in it."""
        self.transport.request("DELETE", admin_url(realm), f"delete realm {realm}")
    # -- groups ------------------------------------------------------------------------------------------

    def create_group(self, realm: str, parent_id: str | None, name: str, attributes: dict[str, list[str]]) -> str:
        """Create a group (top-level when ``parent_id`` is None); return its id."""
        body = {"name": name, "attributes": attributes}
        response = self.transport.request("POST", _parent_url(realm, parent_id), f"create group '{name}' in {realm}", body=body, raw=True)
        return created_id(response)

    def update_group(self, realm: str, group_id: str, name: str, attributes: dict[str, list[str]]) -> None:
        """Rename a group and replace its attributes; members, role mappings and sub-groups stay."""
        body = {"name": name, "attributes": attributes}
        self.transport.request("PUT", admin_url(realm, "groups", group_id), f"update group {group_id} of {realm}", body=body)

    def move_group(self, realm: str, group_id: str, parent_id: str | None) -> None:
        """Move a group under another parent (top level when None); members, role mappings and sub-groups stay."""
        action = f"move group {group_id} of {realm}"
        # Keycloak moves a group when its id is posted as a new child; it wants a name there and ignores it,
        # so the current one is sent (a name clash with the new siblings is still refused with 409)
        name = self.transport.request("GET", admin_url(realm, "groups", group_id), action)["name"]
        refuse_a_move_below_itself(group_id, parent_id, lambda other: self.transport.request(
            "GET", admin_url(realm, "groups", other), action).get("parentId"), action)
        self.transport.request("POST", _parent_url(realm, parent_id), action, body={"id": group_id, "name": name})

    def delete_group(self, realm: str, group_id: str) -> None:
        """Delete a group, its sub-groups and their memberships."""
        self.transport.request("DELETE", admin_url(realm, "groups", group_id), f"delete group {group_id} of {realm}")

    # -- roles -------------------------------------------------------------------------------------------

    def create_role_of(self, realm: str, client_id: str | None, name: str, description: str | None,
                     attributes: dict[str, list[str]]) -> None:
        """Create a role of the realm (``client_id`` None) or of a client."""
        action = f"create role '{role_reference(client_id, name)}' in {realm}"
        url = self._roles_url(realm, client_id, action)
        self.transport.request("POST", url, action, body=_role_body(name, description, attributes))

    def update_role_by_reference(self, realm: str, ref: str, description: str | None, attributes: dict[str, list[str]]) -> None:
        """Replace the description and attributes of the role ``ref``.

        Keycloak's PUT clears a null description but keeps the attributes when they are left out: both are sent.
        """
        action = f"update role '{ref}' of {realm}"
        body = _role_body(split_reference(ref)[1], description, attributes)
        self.transport.request("PUT", self._role_url(realm, ref, action), action, body=body)

    def delete_role_by_reference(self, realm: str, ref: str) -> None:
        """Delete the role ``ref``."""
        action = f"delete role '{ref}' of {realm}"
        self.transport.request("DELETE", self._role_url(realm, ref, action), action)

    def read_role_attributes(self, realm: str, name: str) -> dict[str, list[str]] | None:
        """A realm role's attributes; None when there is no such role."""
        role = self.transport.request("GET", admin_url(realm, "roles", name), f"read role '{name}' of {realm}", missing_ok=True)
        return None if role is None else role.get("attributes") or {}

    def discard_role(self, realm: str, name: str) -> None:
        """Delete a realm role; nothing happens when there is none."""
        self.transport.request("DELETE", admin_url(realm, "roles", name), f"delete role '{name}' of {realm}", missing_ok=True)

    # -- client scopes: see :class:`~groupid.realms.keycloak.scopes.ClientScopes` ----------------------------

    def create_client_scope(self, realm: str, name: str, description: str | None, attributes: dict[str, str]) -> None:
        """Create a client scope; one of that name is a :class:`~groupid.errors.Conflict`."""
        self.scopes.create(realm, name, description, attributes)

    def read_client_scope_attributes(self, realm: str, name: str) -> dict[str, str] | None:
        """A client scope's attributes; None when there is no such scope."""
        return self.scopes.read_attributes(realm, name)

    def update_client_scope(self, realm: str, name: str, description: str | None, attributes: dict[str, str]) -> None:
        """Replace a client scope's description and attributes."""
        self.scopes.update(realm, name, description, attributes)

    def discard_client_scope(self, realm: str, name: str) -> None:
        """Delete a client scope; nothing happens when there is none."""
        self.scopes.discard(realm, name)

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
            self.transport.request(method, self._role_url(realm, role, action) + "/composites", action, body=roles)

    def _edit_group_roles(self, method: str, realm: str, group_id: str, names: list[str], action: str) -> None:
        """Post or delete a group's role mappings: the realm roles in one request, each client's in one more.

        Every role is looked up before the first mapping is sent, so an unknown one changes nothing.
        """
        by_client: dict[str | None, list[dict]] = defaultdict(list)
        for role in self._representations(realm, names):
            by_client[role["containerId"] if role.get("clientRole") else None].append(role)
        for client_uuid, roles in by_client.items():
            mappings = ("realm",) if client_uuid is None else ("clients", client_uuid)
            self.transport.request(method, admin_url(realm, "groups", group_id, "role-mappings", *mappings), action, body=roles)

    def _representations(self, realm: str, refs: list[str]) -> list[dict]:
        """The representations of the roles ``refs``: composites and mappings find roles by id, not by name.

        A request per role, and one per client named (an unknown client or role is an error naming the reference).
        """
        client_uuids: dict[str, str] = {}
        roles = []
        for ref in dict.fromkeys(refs):
            action = f"find role '{ref}' of {realm}"
            roles.append(self.transport.request("GET", self._role_url(realm, ref, action, client_uuids), action))
        return roles

    def _roles_url(self, realm: str, client_id: str | None, action: str,
                   client_uuids: dict[str, str] | None = None) -> str:
        """The admin path of the realm's roles (``client_id`` None) or of a client's; see :meth:`_client_uuid`."""
        if client_id is None:
            return admin_url(realm, "roles")
        return admin_url(realm, "clients", self._client_uuid(realm, client_id, action, client_uuids), "roles")

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
            found = self.transport.request("GET", admin_url(realm, "clients"), action, params={"clientId": client_id})
            if not found:
                raise self.transport.refusal(action, KeycloakAnswer(404, None, f"no client has the clientId '{escape(client_id)}'"))
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
        url, action = admin_url(realm, "organizations"), f"create organization '{name}' in {realm}"
        clash = self._domain_clash(realm, None, domains, action)
        return created_id(self.transport.request("POST", url, action, body=body, raw=True, refusal=clash))

    def update_organization(self, realm: str, org_id: str, name: str, domains: list[str],
                            attributes: dict[str, list[str]]) -> None:
        """Change an organization's name and replace its domains and attributes; the rest stays.

        Keycloak's PUT replaces the whole organization (what it leaves out is cleared or reset, ``enabled``
        included) and refuses any alias but the current one, so the organization is read and changed: its alias,
        description, redirect URL, enabled flag and the verified flags of the domains it keeps stay as they are.
        """
        url, action = admin_url(realm, "organizations", org_id), f"update organization {org_id} of {realm}"
        current = self.transport.request("GET", url, action)
        verified = {domain["name"] for domain in current.get("domains") or () if domain.get("verified")}
        body = {**current, "name": name, "domains": _domains(domains, verified), "attributes": attributes}
        self.transport.request("PUT", url, action, body=body, refusal=self._domain_clash(realm, org_id, domains, action))

    def _domain_clash(self, realm: str, org_id: str | None, domains: list[str], action: str):
        """What an HTTP 400 to a write of organization ``org_id`` (None: a new one) with ``domains`` is: a
        :class:`Conflict` when another organization has one of the domains, else left to the usual translation.

        Keycloak answers a domain another organization has with HTTP 400, as it answers a malformed one, and
        with words that change between versions; so the organizations are read to tell which it is.
        """
        wanted = {domain.lower() for domain in domains}

        def refusal(answer: KeycloakAnswer) -> Conflict | None:
            if answer.status != 400 or not wanted:
                return None
            for other in self.reader.read_organizations(realm):
                taken = sorted(wanted.intersection(other.domains)) if other.id != org_id else []
                if taken:
                    return Conflict(
                        f"Keycloak at {self.settings.server_url} refused to {action}: the email domain {taken[0]} "
                        f"belongs to organization '{escape(other.name)}' already, and two organizations cannot "
                        "share one"
                    )
            return None

        return refusal

    def delete_organization(self, realm: str, org_id: str) -> None:
        """Delete an organization; its members stay users of the realm."""
        self.transport.request("DELETE", admin_url(realm, "organizations", org_id), f"delete organization {org_id} of {realm}")

    # -- clients -----------------------------------------------------------------------------------------

    def create_client(self, realm: str, representation: dict) -> str:
        """Create a client, with its mappers and default client scopes; return its id. A confidential one gets a
        secret from Keycloak unless it brings one."""
        return self.clients.create(realm, representation)

    def update_client(self, realm: str, client_uuid: str, representation: dict) -> None:
        """Change the fields of a client that ``representation`` holds; the others stay. Its protocol mappers and
        default client scopes, when given, become what it holds: see :class:`ClientParts`."""
        self.clients.update(realm, client_uuid, representation)

    def delete_client(self, realm: str, client_uuid: str) -> None:
        """Delete a client."""
        self.transport.request("DELETE", admin_url(realm, "clients", client_uuid), f"delete client {client_uuid} of {realm}")

    def client_secret(self, realm: str, client_id: str) -> str:
        """The secret of the confidential client whose clientId is ``client_id``; never logged or stored.

        No such client is a :class:`KeycloakError` saying HTTP 404; a public or bearer-only one, which has no
        secret, a :class:`KeycloakError` too.
        """
        action = f"read the secret of client '{client_id}' of {realm}"
        url = admin_url(realm, "clients", self._client_uuid(realm, client_id, action), "client-secret")
        secret = self.transport.request("GET", url, action)
        if not secret.get("value"):
            raise KeycloakError(f"Keycloak at {self.settings.server_url} cannot {action}: it is a public or bearer-only client")
        return secret["value"]

    def rotate_client_secret(self, realm: str, client_id: str) -> str:
        """Give the confidential client whose clientId is ``client_id`` a new secret; return it, never logged."""
        action = f"rotate the secret of client '{client_id}' of {realm}"
        found = self.transport.request("GET", admin_url(realm, "clients"), action, params={"clientId": client_id})
        if not found:
            raise self.transport.refusal(action, KeycloakAnswer(404, None, f"no client has the clientId '{escape(client_id)}'"))
        if found[0].get("publicClient") or found[0].get("bearerOnly"):
            # Keycloak would give it a secret that nothing checks
            raise KeycloakError(f"Keycloak at {self.settings.server_url} cannot {action}: it is a public or bearer-only client")
        return self.clients.rotate_secret(realm, found[0]["id"], client_id)

    def client_session_users(self, realm: str, client_id: str) -> list[str]:
        """The ids of the users holding a session with the client whose clientId is ``client_id``."""
        action = f"read the sessions of client '{client_id}' of {realm}"
        return self.clients.session_users(realm, self._client_uuid(realm, client_id, action), client_id)

    def user_client_roles(self, realm: str, user_id: str, client_id: str) -> list[str]:
        """The names of the roles of the client ``client_id`` a user holds in effect."""
        action = f"read the roles of client '{client_id}' of user {user_id} of {realm}"
        return self.clients.effective_roles(realm, user_id, self._client_uuid(realm, client_id, action))

    # -- identity providers ------------------------------------------------------------------------------

    def create_identity_provider(self, realm: str, representation: dict) -> None:
        """Create an identity provider; an alias another one has is a :class:`Conflict`."""
        action = f"create identity provider '{representation.get('alias')}' in {realm}"
        self.transport.request("POST", admin_url(realm, "identity-provider", "instances"), action, body=representation)

    def update_identity_provider(self, realm: str, alias: str, representation: dict) -> None:
        """Change the fields of an identity provider that ``representation`` holds; a config given replaces the
        config, except that one without ``clientSecret`` keeps the stored secret.

        Keycloak's PUT replaces the whole provider, and a config without ``clientSecret`` drops the stored secret;
        the masked value sent back keeps it. So the provider is read, the given fields are laid over it and a
        config without a secret gets the mask (with no secret stored, Keycloak then stores none).
        """
        url, action = admin_url(realm, "identity-provider", "instances", alias), f"update identity provider '{alias}' of {realm}"
        body = {**self.transport.request("GET", url, action), **representation, "alias": alias}
        body["config"] = {"clientSecret": SECRET_MASK, **(body.get("config") or {})}
        self.transport.request("PUT", url, action, body=body)

    def delete_identity_provider(self, realm: str, alias: str) -> None:
        """Delete an identity provider; the links of users to it go with it."""
        url = admin_url(realm, "identity-provider", "instances", alias)
        self.transport.request("DELETE", url, f"delete identity provider '{alias}' of {realm}")

    def read_identity_provider(self, realm: str, alias: str) -> dict:
        """An identity provider's representation as Keycloak answers it: secrets masked, vault references
        (``${vault.key}``) shown as they are."""
        url = admin_url(realm, "identity-provider", "instances", alias)
        return self.transport.request("GET", url, f"read identity provider '{alias}' of {realm}")

    # -- user profile -------------------------------------------------------------------------------------

    def set_user_profile(self, realm: str, profile: dict) -> None:
        """Replace the realm's user profile configuration."""
        self.transport.request("PUT", admin_url(realm, "users", "profile"), f"update the user profile of {realm}", body=profile)

    # -- components: see :class:`~groupid.realms.keycloak.components.Components` -----------------------------

    def create_component(self, realm: str, representation: dict) -> str:
        """Create a component; one without ``parentId`` belongs to the realm. Return its id."""
        return self.components.create(realm, representation)

    def read_component(self, realm: str, component_id: str) -> dict:
        """A component's representation, its bind password masked."""
        return self.components.read(realm, component_id)

    def update_component(self, realm: str, component_id: str, representation: dict) -> None:
        """Change a component's name and the config keys given."""
        self.components.update(realm, component_id, representation)

    def delete_component(self, realm: str, component_id: str) -> None:
        """Delete a component and its mappers."""
        self.components.delete(realm, component_id)

    # -- sign-in flows: see :class:`~groupid.realms.keycloak.flows.SignInFlows` ------------------------------

    def put_sign_in_flow(self, realm: str, alias: str, client_id: str, role: str) -> None:
        """Make ``alias`` the client's browser flow, refusing whoever lacks ``role``: see :meth:`SignInFlows.put`."""
        self.flows.put(realm, alias, client_id, role)

    def delete_sign_in_flow(self, realm: str, alias: str) -> None:
        """Unbind and delete a sign-in flow: see :meth:`SignInFlows.delete`."""
        self.flows.delete(realm, alias)

    # -- people: see :class:`PeopleClient` ----------------------------------------------------------------

    def read_users(self, realm: str, group_ids: Iterable[str] = (), organization_ids: Iterable[str] = ()) -> list[LiveUser]:
        """Every user of the realm, with the asked-for memberships: see :meth:`PeopleClient.read_users`."""
        return self.people.read_users(realm, group_ids, organization_ids)

    def members(self, realm: str, group_id: str) -> list[str]:
        """The ids of the direct members of a group."""
        return self.people.members(realm, group_id)

    def read_user(self, realm: str, user_id: str) -> dict:
        """One user, with its attributes."""
        return self.people.read_user(realm, user_id)

    def read_user_roles(self, realm: str, user_id: str) -> list[str]:
        """The names of the realm roles granted to a user directly."""
        return self.people.read_user_roles(realm, user_id)

    def role_holders(self, realm: str, ref: str) -> list[str]:
        """The ids of the users granted the role ``ref`` directly, a page of :data:`MEMBER_PAGE_SIZE` at a time."""
        action = f"read the users holding role '{ref}' of {realm}"
        client_id, name = split_reference(ref)
        owner = ("clients", self._client_uuid(realm, client_id, action)) if client_id else ()
        url = admin_url(realm, *owner, "roles", name, "users")
        return [user["id"] for user in self.transport.pages(url, action, size=MEMBER_PAGE_SIZE, briefRepresentation="true")]

    def add_user_roles(self, realm: str, user_id: str, names: list[str]) -> None:
        """Grant realm roles to a user directly, in one request (see :meth:`_edit_user_roles`)."""
        self._edit_user_roles("POST", realm, user_id, names, f"grant roles to user {user_id} of {realm}")

    def remove_user_roles(self, realm: str, user_id: str, names: list[str]) -> None:
        """Take realm roles granted directly away from a user, in one request; one it lacks changes nothing."""
        self._edit_user_roles("DELETE", realm, user_id, names, f"revoke roles from user {user_id} of {realm}")

    def _edit_user_roles(self, method: str, realm: str, user_id: str, names: list[str], action: str) -> None:
        """Post or delete a user's realm role mappings.

        Keycloak wants each role's id beside its name. A sync grants the same few roles to thousands of people,
        so each role is read once by this adapter, not once per user; a role made again since (another id, and
        Keycloak answers HTTP 404) is read again, once.
        """
        if not names:
            return
        url = admin_url(realm, "users", user_id, "role-mappings", "realm")
        sent = self.transport.request(method, url, action, body=self._realm_role_bodies(realm, names), raw=True,
                                      none_for=(404,))
        if sent is None:  # a stale role id, or no such user: then the second answer says so
            with self._roles_lock:
                for name in names:
                    self._realm_roles.pop((realm, name), None)
            self.transport.request(method, url, action, body=self._realm_role_bodies(realm, names), raw=True)

    def _realm_role_bodies(self, realm: str, names: list[str]) -> list[dict]:
        """The representations of the realm roles ``names``, read once each; an unknown one is an error saying
        HTTP 404, before anything is sent."""
        # held while a role is read: the workers granting it at once wait for that one read
        with self._roles_lock:
            for name in dict.fromkeys(names):
                if (realm, name) not in self._realm_roles:
                    action = f"find role '{name}' of {realm}"
                    role = self.transport.request("GET", admin_url(realm, "roles", name), action)
                    self._realm_roles[(realm, name)] = {"id": role["id"], "name": role["name"]}
            return [self._realm_roles[(realm, name)] for name in dict.fromkeys(names)]

    def create_user(self, realm: str, user: dict) -> str:
        """Create a user; return its id."""
        return self.people.create_user(realm, user)

    def import_users(self, realm: str, users: list[dict], chunk_size: int = IMPORT_CHUNK) -> dict[str, str | None]:
        """Create users in bulk, skipping who exists: see :meth:`PeopleClient.import_users`."""
        return self.people.import_users(realm, users, chunk_size)

    def update_user(self, realm: str, user_id: str, representation: dict) -> None:
        """Change the fields of a user that ``representation`` holds: see :meth:`PeopleClient.update_user`."""
        self.people.update_user(realm, user_id, representation)

    def logout_user(self, realm: str, user_id: str) -> None:
        """End every session of a user."""
        self.people.logout_user(realm, user_id)

    def delete_user(self, realm: str, user_id: str) -> None:
        """Delete a user, and with it its memberships."""
        self.people.delete_user(realm, user_id)

    def add_member(self, realm: str, group_id: str, user_id: str) -> None:
        """Make a user a member of a group."""
        self.people.add_member(realm, group_id, user_id)

    def remove_member(self, realm: str, group_id: str, user_id: str) -> None:
        """Take a user out of a group."""
        self.people.remove_member(realm, group_id, user_id)

    def add_organization_member(self, realm: str, org_id: str, user_id: str) -> None:
        """Make a user a member of an organization."""
        self.people.add_organization_member(realm, org_id, user_id)

    def remove_organization_member(self, realm: str, org_id: str, user_id: str) -> None:
        """Take a user out of an organization."""
        self.people.remove_organization_member(realm, org_id, user_id)

    def read_realm_attributes(self, realm: str) -> dict[str, str]:
        """The realm's attributes."""
        return self.people.read_realm_attributes(realm)

    def set_realm_attributes(self, realm: str, attributes: dict[str, str]) -> None:
        """Set the given realm attributes; the others stay."""
        self.people.set_realm_attributes(realm, attributes)



def _role_body(name: str, description: str | None, attributes: dict[str, list[str]]) -> dict:
    """The RoleRepresentation groupid writes."""
    return {"name": name, "description": description, "attributes": attributes}


def _domains(names: list[str], verified: set[str] = frozenset()) -> list[dict]:
    """The domain representations of an organization; those in ``verified`` keep their verified flag."""
    return [{"name": name, "verified": name.lower() in verified} for name in names]


def _parent_url(realm: str, parent_id: str | None) -> str:
    """Where to post a group so that it lands under ``parent_id`` (top level when None)."""
    return admin_url(realm, "groups") if parent_id is None else admin_url(realm, "groups", parent_id, "children")
