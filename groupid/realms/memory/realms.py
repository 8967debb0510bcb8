"""An in-memory stand-in for a Keycloak server, for tests that need no server.

:class:`MemoryRealms` holds several realms and behaves as :class:`~groupid.realms.keycloak.KeycloakServer`
observably does — the contract tests (``tests/realm_contract.py``) run against both. That includes the
refusals: a sibling group, role, realm, username, clientId, identity provider alias, organization name or alias,
or an email domain another organization has, is a :class:`Conflict`; an unknown realm, group, role, user,
client, identity provider or organization is a :class:`KeycloakError` saying HTTP 404, and so is any
organization call on a realm without Organizations enabled. A new realm comes with Keycloak's default roles,
clients (with the roles of Keycloak's own clients) and user profile, and user attributes the profile does not
declare are dropped silently, as Keycloak 24+ does.

Roles are kept by client id and name, as Keycloak keeps them by id: a renamed client keeps its roles and their
grants, and a deleted client or role leaves no composite or group mapping behind.

Organizations, clients and identity providers are kept as the representations Keycloak would answer, and read
through the same conversions as the real server's (:func:`~groupid.realms.representations.live_client` and
its siblings). Keycloak's defaults for a new realm are the frozen copy in :mod:`~groupid.realms.memory.defaults`.
"""

from __future__ import annotations

import copy
import json
import secrets
import time
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterable

from groupid.errors import KeycloakError, RealmExists
from groupid.keycloak_terms import KEYCLOAK_DEFAULT_ROLES, role_reference, split_reference
from groupid.realms.base import IMPORT_CHUNK, RealmAdapter, refuse_a_move_below_itself
from groupid.realms.live import LiveGroup, LiveRealm, LiveRole, LiveUser
from groupid.realms.memory import clients, components, flows
from groupid.realms.memory.defaults import (
    BUILT_IN_CLIENT_ROLES,
    BUILT_IN_CLIENTS,
    CLIENT_DEFAULTS,
    DEFAULT_ROLE_COMPOSITES,
    REALM_CLIENT_SCOPES,
)
from groupid.realms.memory.people import MemoryPeople
from groupid.realms.memory.store import (
    WHERE,
    MemoryStore,
    RealmState,
    RoleKey,
    StoredGroup,
    StoredRole,
    StoredScope,
    add_values,
    conflict,
    found,
    group_of,
    not_found,
    organization_of,
    remove_values,
    user_of,
)
from groupid.realms.representations import (
    SECRET_KEYS,
    SECRET_MASK,
    live_client,
    live_identity_provider,
    live_organization,
    parents_first,
)
from groupid.state import USER_PROFILE_GROUP, user_profile

_Edit = Callable[[list[RoleKey], list[RoleKey]], None]  # add_values or remove_values: changes a list of roles in place

# what import_realm keeps of a RealmRepresentation
_IMPORTED_KEYS = frozenset({"realm", "displayName", "enabled", "groups", "roles", "defaultRole", "organizationsEnabled",
                            "organizations", "components"})
_USER_PROFILE_PROVIDER = "org.keycloak.userprofile.UserProfileProvider"


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
        self.store = MemoryStore()
        self.people = MemoryPeople(self.store)

    @property
    def realms(self) -> dict[str, RealmState]:
        """The realms held, by name; two adapters given the same dict share them."""
        return self.store.realms

    @realms.setter
    def realms(self, realms: dict[str, RealmState]) -> None:
        self.store.realms = realms

    @property
    def requests(self) -> int:
        """The calls made so far, one request each."""
        return self.store.requests

    # -- realms ------------------------------------------------------------------------------------------

    def read_raw(self, realm: str) -> LiveRealm:
        """Everything ``realm`` holds, lock roles and the roles of Keycloak's own clients included; ``exists=False``
        when there is no such realm."""
        self.store.count()
        if realm not in self.store.realms:
            return LiveRealm(realm, exists=False)
        state = self.store.realms[realm]
        roles = [_live_role(state, key, role) for key, role in state.roles.items()]
        default_role = state.roles.get(state.default_role)
        return LiveRealm(
            name=realm,
            display_name=state.display_name,
            groups=parents_first(_live_group(state, group) for group in state.groups.values()),
            roles=sorted((role for role in roles if role.client is None), key=lambda role: role.name),
            client_roles=sorted((role for role in roles if role.client), key=lambda role: (role.client, role.name)),
            default_roles=state.references(default_role.composites) if default_role else [],
            user_profile=copy.deepcopy(state.user_profile),
            organizations_enabled=state.organizations_enabled,
            # turned off, Organizations are hidden, not gone
            organizations=_listed(state.organizations, live_organization, "name") if state.organizations_enabled else [],
            clients=_listed(state.clients, live_client, "clientId"),
            identity_providers=_listed(state.identity_providers, live_identity_provider, "alias"),
            sign_in_flows=flows.live_flows(state),
            federations=components.live_federations(state),
        )

    def create_realm(self, realm: str, display_name: str | None) -> None:
        """Create an empty realm with Keycloak's default roles and user profile."""
        self.store.count()
        if realm in self.store.realms:
            raise RealmExists(f"realm '{realm}' already exists at {WHERE}; nothing was changed")
        state = RealmState(realm, display_name or None, _default_user_profile())
        state.roles = {(None, name): StoredRole(name, description, {}) for name, description in KEYCLOAK_DEFAULT_ROLES.items()}
        for built_in in BUILT_IN_CLIENTS:
            client = _new_client(_for_realm(built_in, realm))
            client["name"] = f"${{client_{client['clientId']}}}"
            state.clients[client["id"]] = client
            _give_built_in_roles(state, client)
        default_role = StoredRole(state.default_role[1], "${role_default-roles}", {})
        default_role.composites = [_key(state, ref, "create realm") for ref in DEFAULT_ROLE_COMPOSITES]
        state.roles[state.default_role] = default_role
        self.store.realms[realm] = state

    def import_realm(self, representation: dict) -> None:
        """Create a realm from a RealmRepresentation, all or nothing, as Keycloak's own import does.

        Kept are what ``groupid render`` writes: the display name, realm roles and their composites (the default
        role's too), groups with their role mappings, Organizations and the user profile. A representation with
        anything else (users, clients, …) is refused: this stand-in would silently lose it.
        """
        realm = representation.get("realm", "")
        unknown = sorted(set(representation) - _IMPORTED_KEYS)
        if unknown:
            raise KeycloakError(f"{WHERE} cannot import {', '.join(unknown)} of realm {realm}")
        before = self.requests
        self.create_realm(realm, representation.get("displayName"))
        try:
            self._import_content(realm, representation)
        except Exception:
            del self.realms[realm]  # one transaction: a failed import leaves no realm behind
            raise
        finally:
            self.store.requests = before + 1

    def _import_content(self, realm: str, representation: dict) -> None:
        roles = (representation.get("roles") or {}).get("realm", [])
        state = self.realms[realm]
        for role in roles:
            if (None, role["name"]) not in state.roles:
                self.create_role(realm, role["name"], role.get("description"), role.get("attributes") or {})
        for role in roles:
            composites = role.get("composites") or {}
            refs = [*composites.get("realm", []),
                    *(role_reference(client, name) for client, names in (composites.get("client") or {}).items()
                      for name in names)]
            if refs:
                self.add_composites(realm, role["name"], refs)
        pending = [(None, group) for group in representation.get("groups") or []]
        while pending:  # parents before their sub-groups
            parent_id, group = pending.pop(0)
            group_id = self.create_group(realm, parent_id, group["name"], group.get("attributes") or {})
            refs = [*group.get("realmRoles", []),
                    *(role_reference(client, name) for client, names in (group.get("clientRoles") or {}).items()
                      for name in names)]
            if refs:
                self.add_group_roles(realm, group_id, refs)
            pending += [(group_id, child) for child in group.get("subGroups") or []]
        if representation.get("organizationsEnabled"):
            self.update_realm(realm, representation.get("displayName"), organizations_enabled=True)
            for org in representation.get("organizations") or []:
                self.create_organization(realm, org["name"], org["alias"], [d["name"] for d in org.get("domains", [])],
                                         org.get("attributes") or {})
        for provider in (representation.get("components") or {}).get(_USER_PROFILE_PROVIDER, []):
            for config in (provider.get("config") or {}).get("kc.user.profile.config", []):
                self.set_user_profile(realm, json.loads(config))

    def update_realm(self, realm: str, display_name: str | None, organizations_enabled: bool | None = None) -> None:
        """Change the realm's display name (None clears it) and, unless None, whether Organizations are enabled.

        Turning Organizations off hides the realm's organizations without deleting them: on again, they are back.
        """
        state = self.store.realm(realm, f"update realm {realm}")
        state.display_name = display_name or None
        if organizations_enabled is not None:
            state.organizations_enabled = organizations_enabled

    # -- groups ------------------------------------------------------------------------------------------

    def create_group(self, realm: str, parent_id: str | None, name: str, attributes: dict[str, list[str]]) -> str:
        """Create a group (top-level when ``parent_id`` is None); return its id."""
        action = f"create group '{name}' in {realm}"
        state = self.store.realm(realm, action)
        if parent_id is not None:
            group_of(state, parent_id, action)
        _check_free(state, parent_id, name, action)
        group = StoredGroup(str(uuid.uuid4()), name, parent_id, copy.deepcopy(attributes))
        state.groups[group.id] = group
        return group.id

    def update_group(self, realm: str, group_id: str, name: str, attributes: dict[str, list[str]]) -> None:
        """Rename a group and replace its attributes; members, role mappings and sub-groups stay."""
        action = f"update group {group_id} of {realm}"
        state = self.store.realm(realm, action)
        group = group_of(state, group_id, action)
        if name != group.name:
            _check_free(state, group.parent_id, name, action)
        group.name, group.attributes = name, copy.deepcopy(attributes)

    def move_group(self, realm: str, group_id: str, parent_id: str | None) -> None:
        """Move a group under another parent (top level when None); members, role mappings and sub-groups stay."""
        action = f"move group {group_id} of {realm}"
        state = self.store.realm(realm, action)
        group = group_of(state, group_id, action)
        refuse_a_move_below_itself(group_id, parent_id, lambda other: group_of(state, other, action).parent_id, action)
        if parent_id != group.parent_id:
            _check_free(state, parent_id, group.name, action)
            group.parent_id = parent_id

    def delete_group(self, realm: str, group_id: str) -> None:
        """Delete a group, its sub-groups and their memberships."""
        action = f"delete group {group_id} of {realm}"
        state = self.store.realm(realm, action)
        doomed = {group_of(state, group_id, action).id}
        # groups know their parent only: grow the subtree until no other group hangs below it
        while grown := {g.id for g in state.groups.values() if g.parent_id in doomed} - doomed:
            doomed |= grown
        for doomed_id in doomed:
            del state.groups[doomed_id]

    # -- roles -------------------------------------------------------------------------------------------

    def create_role_of(self, realm: str, client_id: str | None, name: str, description: str | None,
                     attributes: dict[str, list[str]]) -> None:
        """Create a role of the realm (``client_id`` None) or of a client; its name is unique there."""
        action = f"create role '{role_reference(client_id, name)}' in {realm}"
        with self.store.guard:  # atomic, as on the real server: a lock is taken by creating a role
            state = self.store.realm(realm, action)
            key = (_client_uuid(state, client_id, action), name)
            if key in state.roles:
                raise conflict(action, f"Role with name {name} already exists")
            state.roles[key] = StoredRole(name, description, copy.deepcopy(attributes))

    def update_role_by_reference(self, realm: str, ref: str, description: str | None, attributes: dict[str, list[str]]) -> None:
        """Replace the description and attributes of the role ``ref``."""
        action = f"update role '{ref}' of {realm}"
        state = self.store.realm(realm, action)
        role = state.roles[_key(state, ref, action)]
        role.description, role.attributes = description, copy.deepcopy(attributes)

    def delete_role_by_reference(self, realm: str, ref: str) -> None:
        """Delete the role ``ref``."""
        action = f"delete role '{ref}' of {realm}"
        state = self.store.realm(realm, action)
        _drop_roles(state, [_key(state, ref, action)])

    def read_role_attributes(self, realm: str, name: str) -> dict[str, list[str]] | None:
        """A realm role's attributes; None when there is no such role."""
        with self.store.guard:
            role = self.store.realm(realm, f"read role '{name}' of {realm}").roles.get((None, name))
            return None if role is None else copy.deepcopy(role.attributes)

    def discard_role(self, realm: str, name: str) -> None:
        """Delete a realm role; nothing happens when there is none."""
        with self.store.guard:
            state = self.store.realm(realm, f"delete role '{name}' of {realm}")
            if (None, name) in state.roles:
                _drop_roles(state, [(None, name)])

    # -- client scopes ------------------------------------------------------------------------------------

    def create_client_scope(self, realm: str, name: str, description: str | None, attributes: dict[str, str]) -> None:
        """Create a client scope; its name is unique in the realm, Keycloak's own scopes' names included."""
        action = f"create client scope '{name}' in {realm}"
        with self.store.guard:  # atomic, as on the real server: a lock is taken by creating a client scope
            state = self.store.realm(realm, action)
            if name in state.client_scopes or name in REALM_CLIENT_SCOPES:
                raise conflict(action, f"Client Scope {name} already exists")
            state.client_scopes[name] = StoredScope(description, dict(attributes))

    def read_client_scope_attributes(self, realm: str, name: str) -> dict[str, str] | None:
        """A client scope's attributes; None when there is no such scope."""
        with self.store.guard:
            scope = self.store.realm(realm, f"read client scope '{name}' of {realm}").client_scopes.get(name)
            return None if scope is None else dict(scope.attributes)

    def update_client_scope(self, realm: str, name: str, description: str | None, attributes: dict[str, str]) -> None:
        """Replace a client scope's description and attributes."""
        action = f"update client scope '{name}' of {realm}"
        with self.store.guard:
            scopes = self.store.realm(realm, action).client_scopes
            if name not in scopes:
                raise not_found(action, "Could not find client scope")
            scopes[name] = StoredScope(description, dict(attributes))

    def discard_client_scope(self, realm: str, name: str) -> None:
        """Delete a client scope; nothing happens when there is none."""
        with self.store.guard:
            self.store.realm(realm, f"delete client scope '{name}' of {realm}").client_scopes.pop(name, None)

    def add_composites(self, realm: str, role: str, names: list[str]) -> None:
        """Make the roles ``names`` part of ``role`` (references, realm and client roles alike)."""
        self._edit_composites(realm, role, names, add_values, f"add composites to role '{role}' of {realm}")

    def remove_composites(self, realm: str, role: str, names: list[str]) -> None:
        """Take the roles ``names`` out of ``role`` (references)."""
        self._edit_composites(realm, role, names, remove_values, f"remove composites from role '{role}' of {realm}")

    def add_group_roles(self, realm: str, group_id: str, names: list[str]) -> None:
        """Grant roles (references) to a group."""
        self._edit_group_roles(realm, group_id, names, add_values, f"grant roles to group {group_id} of {realm}")

    def remove_group_roles(self, realm: str, group_id: str, names: list[str]) -> None:
        """Revoke roles (references) from a group."""
        self._edit_group_roles(realm, group_id, names, remove_values, f"revoke roles from group {group_id} of {realm}")

    def _edit_composites(self, realm: str, role: str, names: list[str], edit: _Edit, action: str) -> None:
        state = self.store.realm(realm, action)
        composites = _known_roles(state, realm, names)
        edit(state.roles[_key(state, role, action)].composites, composites)

    def _edit_group_roles(self, realm: str, group_id: str, names: list[str], edit: _Edit, action: str) -> None:
        state = self.store.realm(realm, action)
        group = group_of(state, group_id, action)
        edit(group.roles, _known_roles(state, realm, names))

    # -- organizations -----------------------------------------------------------------------------------

    def create_organization(self, realm: str, name: str, alias: str, domains: list[str],
                            attributes: dict[str, list[str]]) -> str:
        """Create an enabled organization; return its id. Domains are kept in lower case, as Keycloak does."""
        action = f"create organization '{name}' in {realm}"
        state = self._organizations(realm, action)
        organization = {"id": str(uuid.uuid4()), "name": name, "alias": alias, "enabled": True}
        if any(other["alias"] == alias for other in state.organizations.values()):
            raise conflict(action, "A organization with the same alias already exists")
        _set_organization(state, organization, name, domains, attributes, action)
        state.organizations[organization["id"]] = organization
        return organization["id"]

    def update_organization(self, realm: str, org_id: str, name: str, domains: list[str],
                            attributes: dict[str, list[str]]) -> None:
        """Change an organization's name and replace its domains and attributes; alias and the rest stay."""
        action = f"update organization {org_id} of {realm}"
        state = self._organizations(realm, action)
        _set_organization(state, organization_of(state, org_id, action), name, domains, attributes, action)

    def delete_organization(self, realm: str, org_id: str) -> None:
        """Delete an organization; its members stay users of the realm."""
        action = f"delete organization {org_id} of {realm}"
        state = self._organizations(realm, action)
        del state.organizations[organization_of(state, org_id, action)["id"]]
        state.organization_members.pop(org_id, None)

    def _organizations(self, realm: str, action: str) -> RealmState:
        """The realm an organization call works on; Keycloak answers 404 while Organizations are off."""
        state = self.store.realm(realm, action)
        if not state.organizations_enabled:
            raise not_found(action, "Organizations not enabled for this realm.")
        return state

    # -- clients -----------------------------------------------------------------------------------------

    def create_client(self, realm: str, representation: dict) -> str:
        """Create a client; return its id. A confidential one gets a random secret unless it brings one."""
        action = f"create client '{representation.get('clientId')}' in {realm}"
        state = self.store.realm(realm, action)
        _check_client_id_free(state, representation.get("clientId"), None, action)
        client = _new_client(representation)
        state.clients[client["id"]] = client
        return client["id"]

    def update_client(self, realm: str, client_uuid: str, representation: dict) -> None:
        """Change the fields of a client that ``representation`` holds, as Keycloak merges them.

        Fields left out or null stay; ``attributes`` are merged key by key, an empty or null value removing a
        key. A client made public loses its secret; made confidential again, it gets a new one. Mappers and
        default client scopes, when given, become the client's (:func:`~groupid.realms.memory.clients.updated_parts`).
        """
        action = f"update client {client_uuid} of {realm}"
        state = self.store.realm(realm, action)
        client = _client(state, client_uuid, action)
        given = {key: copy.deepcopy(value) for key, value in representation.items() if value is not None and key != "id"}
        if "clientId" in given:
            _check_client_id_free(state, given["clientId"], client_uuid, action)
        clients.updated_parts(client, given, action)
        attributes = {**client["attributes"], **given.pop("attributes", {})}
        client.update(given, attributes={key: value for key, value in attributes.items() if value not in ("", None)})
        _give_secret(client)

    def delete_client(self, realm: str, client_uuid: str) -> None:
        """Delete a client."""
        action = f"delete client {client_uuid} of {realm}"
        state = self.store.realm(realm, action)
        del state.clients[_client(state, client_uuid, action)["id"]]
        state.sessions.pop(client_uuid, None)
        # its roles go with it, and so do their grants
        _drop_roles(state, [key for key in state.roles if key[0] == client_uuid])

    def client_secret(self, realm: str, client_id: str) -> str:
        """The secret of the confidential client whose clientId is ``client_id``."""
        action = f"read the secret of client '{client_id}' of {realm}"
        client = _client_named(self.store.realm(realm, action), client_id, action)
        if not client.get("secret"):
            raise KeycloakError(f"{WHERE} cannot {action}: it is a public or bearer-only client")
        return client["secret"]

    def rotate_client_secret(self, realm: str, client_id: str) -> str:
        """Give the confidential client whose clientId is ``client_id`` a new random secret; return it."""
        action = f"rotate the secret of client '{client_id}' of {realm}"
        return clients.rotate_secret(_client_named(self.store.realm(realm, action), client_id, action), action)

    def client_session_users(self, realm: str, client_id: str) -> list[str]:
        """The ids of the users signed in to the client whose clientId is ``client_id``."""
        action = f"read the sessions of client '{client_id}' of {realm}"
        state = self.store.realm(realm, action)
        return list(state.sessions.get(_client_named(state, client_id, action)["id"], ()))

    def user_client_roles(self, realm: str, user_id: str, client_id: str) -> list[str]:
        """The names of the roles of the client ``client_id`` a user holds in effect."""
        action = f"read the roles of client '{client_id}' of user {user_id} of {realm}"
        state = self.store.realm(realm, action)
        client_uuid = _client_named(state, client_id, action)["id"]
        user_of(state, user_id, action)
        return sorted(name for owner, name in clients.effective_roles(state, user_id) if owner == client_uuid)

    def open_session(self, realm: str, user_id: str, client_id: str) -> None:
        """The stand-in for a user signing in to a client (in memory only): the session lasts until the user is
        signed out."""
        action = f"sign user {user_id} in to client '{client_id}' of {realm}"
        state = self.store.realm(realm, action)
        clients.open_session(state, user_id, _client_named(state, client_id, action)["id"], action)
    # -- sign-in flows: see :mod:`groupid.realms.memory.flows` --------------------------------------------

    def put_sign_in_flow(self, realm: str, alias: str, client_id: str, role: str) -> None:
        """Make ``alias`` the client's browser flow, refusing whoever lacks ``role``; an unknown client or role is
        HTTP 404, as it is to the real server."""
        action = f"set the sign-in flow of client '{client_id}' of {realm}"
        state = self.store.realm(realm, action)
        client = _client_named(state, client_id, action)
        _key(state, role, action)
        flows.put_flow(state, alias, client, role)

    def delete_sign_in_flow(self, realm: str, alias: str) -> None:
        """Unbind and delete a sign-in flow; none of that alias is HTTP 404."""
        action = f"delete the sign-in flow '{alias}' of {realm}"
        flows.delete_flow(self.store.realm(realm, action), alias, action)

    # -- identity providers ------------------------------------------------------------------------------

    def create_identity_provider(self, realm: str, representation: dict) -> None:
        """Create an identity provider; an alias another one has is a :class:`Conflict`."""
        alias = representation.get("alias")
        action = f"create identity provider '{alias}' in {realm}"
        state = self.store.realm(realm, action)
        if alias in state.identity_providers:
            raise conflict(action, f"Identity Provider {alias} already exists")
        provider = {"enabled": True, "config": {}, **copy.deepcopy(representation)}
        state.identity_providers[alias] = provider

    def update_identity_provider(self, realm: str, alias: str, representation: dict) -> None:
        """Change the fields of an identity provider that ``representation`` holds; a config given replaces the
        config, except that one without ``clientSecret`` (or with it masked) keeps the stored secret."""
        action = f"update identity provider '{alias}' of {realm}"
        provider = _identity_provider(self.store.realm(realm, action), alias, action)
        config = copy.deepcopy(representation.get("config", provider["config"]))
        for key in SECRET_KEYS:
            if config.get(key, SECRET_MASK) == SECRET_MASK:
                _copy_key(provider["config"], config, key)
        provider.update(copy.deepcopy(representation), alias=alias, config=config)

    def delete_identity_provider(self, realm: str, alias: str) -> None:
        """Delete an identity provider."""
        action = f"delete identity provider '{alias}' of {realm}"
        state = self.store.realm(realm, action)
        del state.identity_providers[_identity_provider(state, alias, action)["alias"]]

    def read_identity_provider(self, realm: str, alias: str) -> dict:
        """An identity provider's representation as Keycloak answers it: secrets masked, vault references
        (``${vault.key}``) shown as they are."""
        action = f"read identity provider '{alias}' of {realm}"
        provider = copy.deepcopy(_identity_provider(self.store.realm(realm, action), alias, action))
        for key in SECRET_KEYS & provider["config"].keys():
            if not provider["config"][key].startswith("${vault."):
                provider["config"][key] = SECRET_MASK
        return provider

    # -- components: see :mod:`groupid.realms.memory.components` -----------------------------------------

    def create_component(self, realm: str, representation: dict) -> str:
        """Create a component; one without ``parentId`` belongs to the realm."""
        action = f"create component '{representation.get('name')}' in {realm}"
        return components.create_component(self.store.realm(realm, action), representation, action)

    def read_component(self, realm: str, component_id: str) -> dict:
        """A component's representation, its bind password masked."""
        action = f"read component {component_id} of {realm}"
        return components.read_component(self.store.realm(realm, action), component_id, action)

    def update_component(self, realm: str, component_id: str, representation: dict) -> None:
        """Change a component's name and the config keys given."""
        action = f"update component {component_id} of {realm}"
        components.update_component(self.store.realm(realm, action), component_id, representation, action)

    def delete_component(self, realm: str, component_id: str) -> None:
        """Delete a component and what is below it."""
        action = f"delete component {component_id} of {realm}"
        components.delete_component(self.store.realm(realm, action), component_id, action)

    # -- user profile -------------------------------------------------------------------------------------

    def set_user_profile(self, realm: str, profile: dict) -> None:
        """Replace the realm's user profile configuration."""
        self.store.realm(realm, f"update the user profile of {realm}").user_profile = copy.deepcopy(profile)

    # -- people: see :class:`~groupid.realms.memory.people.MemoryPeople` ------------------------------------

    def read_users(self, realm: str, group_ids: Iterable[str] = (), organization_ids: Iterable[str] = ()) -> list[LiveUser]:
        """Every user of the realm, by username, with the asked-for memberships filled in."""
        return self.people.read_users(realm, group_ids, organization_ids)

    def read_user(self, realm: str, user_id: str) -> dict:
        """A user's representation, with its attributes."""
        return self.people.read_user(realm, user_id)

    def read_user_roles(self, realm: str, user_id: str) -> list[str]:
        """The names of the realm roles granted to a user directly."""
        return self.people.read_user_roles(realm, user_id)

    def members(self, realm: str, group_id: str) -> list[str]:
        """The ids of the direct members of a group."""
        return self.people.members(realm, group_id)

    def role_holders(self, realm: str, ref: str) -> list[str]:
        """The ids of the users granted the role ``ref`` directly."""
        action = f"read the users holding role '{ref}' of {realm}"
        with self.store.guard:
            state = self.store.realm(realm, action)
            key = _key(state, ref, action)
            return [user_id for user_id, keys in state.user_roles.items() if key in keys]

    def add_user_roles(self, realm: str, user_id: str, names: list[str]) -> None:
        """Grant realm roles to a user directly; an unknown role changes nothing (HTTP 404)."""
        self._edit_user_roles(realm, user_id, names, add_values, f"grant roles to user {user_id} of {realm}")

    def remove_user_roles(self, realm: str, user_id: str, names: list[str]) -> None:
        """Take realm roles granted directly away from a user; one it does not hold changes nothing."""
        self._edit_user_roles(realm, user_id, names, remove_values, f"revoke roles from user {user_id} of {realm}")

    def _edit_user_roles(self, realm: str, user_id: str, names: list[str], edit: _Edit, action: str) -> None:
        with self.store.guard:  # the sync grants roles from several threads at once
            state = self.store.realm(realm, action)
            user_of(state, user_id, action)
            keys = [(None, name) for name in names]  # realm roles only: a name is never read as clientId/name
            for key in keys:  # every role looked up before the first is granted, as on the real server
                found(state.roles, key, action, "Could not find role")
            edit(state.user_roles[user_id], keys)

    def read_user_profile(self, realm: str) -> dict:
        """The realm's user profile configuration."""
        return self.people.read_user_profile(realm)

    def create_user(self, realm: str, user: dict) -> str:
        """Create a user with the realm's default role; return its id."""
        return self.people.create_user(realm, user)

    def import_users(self, realm: str, users: list[dict], chunk_size: int = IMPORT_CHUNK) -> dict[str, str | None]:
        """Create users in bulk, skipping who exists: see :meth:`MemoryPeople.import_users`."""
        return self.people.import_users(realm, users, chunk_size)

    def update_user(self, realm: str, user_id: str, representation: dict) -> None:
        """Change the fields of a user that ``representation`` holds: see :meth:`MemoryPeople.update_user`."""
        self.people.update_user(realm, user_id, representation)

    def logout_user(self, realm: str, user_id: str) -> None:
        """End every session of a user."""
        self.people.logout_user(realm, user_id)

    def delete_user(self, realm: str, user_id: str) -> None:
        """Delete a user and its memberships."""
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



def _give_built_in_roles(state: RealmState, client: dict) -> None:
    """Give one of Keycloak's own clients the roles Keycloak gives it."""
    roles = BUILT_IN_CLIENT_ROLES.get(client["clientId"], {})
    for name in roles:
        state.roles[client["id"], name] = StoredRole(name, f"${{role_{name}}}", {})
    for name, composites in roles.items():
        state.roles[client["id"], name].composites = [(client["id"], composite) for composite in composites]


def _live_role(state: RealmState, key: RoleKey, role: StoredRole) -> LiveRole:
    """A stored role as the live state shows it; a copy, as a server's answer is."""
    composites = state.references(role.composites)
    return LiveRole(role.name, role.description, copy.deepcopy(role.attributes), composites, state.client_id(key[0]))


def _live_group(state: RealmState, group: StoredGroup) -> LiveGroup:
    """A stored group as the live state shows it: its realm roles, and its client roles by clientId."""
    names: dict[str | None, list[str]] = defaultdict(list)
    for client_uuid, name in group.roles:
        names[state.client_id(client_uuid)].append(name)
    realm_roles = sorted(names.pop(None, []))
    client_roles = {client_id: sorted(names[client_id]) for client_id in sorted(names)}
    return LiveGroup(group.id, group.name, group.parent_id, copy.deepcopy(group.attributes), realm_roles, client_roles)


def _default_user_profile() -> dict:
    """Keycloak's user profile for a new realm: groupid's profile without groupid's own attributes."""
    profile = user_profile()
    return {
        "attributes": [a for a in profile["attributes"] if a.get("group") != USER_PROFILE_GROUP],
        "groups": [g for g in profile["groups"] if g["name"] != USER_PROFILE_GROUP],
    }


def _listed(representations: dict[str, dict], live: Callable, order: str) -> list:
    """Stored representations as ``live`` makes them, in Keycloak's order (by the field ``order``)."""
    return [live(r) for r in sorted(representations.values(), key=lambda r: r[order])]


def _for_realm(value, realm: str):
    """``value`` (a built-in client, or part of one) with ``{realm}`` in its strings filled in."""
    if isinstance(value, dict):
        return {key: _for_realm(item, realm) for key, item in value.items()}
    if isinstance(value, list):
        return [_for_realm(item, realm) for item in value]
    return value.replace("{realm}", realm) if isinstance(value, str) else value


def _new_client(representation: dict) -> dict:
    """A client as Keycloak stores a new one: defaults filled in, a secret when it is confidential."""
    client = {**CLIENT_DEFAULTS, **copy.deepcopy(representation), "id": str(uuid.uuid4())}
    client["attributes"] = {"realm_client": "false", **client.get("attributes", {})}
    clients.new_parts(client)
    _give_secret(client)
    return client


def _give_secret(client: dict) -> None:
    """A confidential client keeps its secret, or gets a new random one; a public or bearer-only one has none."""
    if client["publicClient"] or client["bearerOnly"]:
        client.pop("secret", None)
    elif not client.get("secret"):
        client["secret"] = secrets.token_urlsafe(24)
        client["attributes"]["client.secret.creation.time"] = str(int(time.time()))


def _set_organization(state: RealmState, organization: dict, name: str, domains: list[str],
                      attributes: dict[str, list[str]], action: str) -> None:
    """Give an organization a name, domains and attributes, refusing what another organization has."""
    others = [other for other in state.organizations.values() if other["id"] != organization["id"]]
    if any(other["name"] == name for other in others):
        raise conflict(action, "A organization with the same name already exists.")
    names = list(dict.fromkeys(domain.lower() for domain in domains))
    taken = {domain["name"] for other in others for domain in other.get("domains", ())}
    clash = next((domain for domain in names if domain in taken), None)
    if clash:
        # Keycloak says this with HTTP 400; KeycloakServer makes it the Conflict it is
        raise conflict(action, f"Domain {clash} is already linked to another organization in realm {state.name}")
    verified = {domain["name"] for domain in organization.get("domains", ()) if domain["verified"]}
    organization.update(name=name, attributes=copy.deepcopy(attributes))
    organization["domains"] = [{"name": domain, "verified": domain in verified} for domain in names]


def _check_client_id_free(state: RealmState, client_id: str | None, own_id: str | None, action: str) -> None:
    """Refuse a clientId another client of the realm has, as Keycloak does."""
    if any(c["clientId"] == client_id and c["id"] != own_id for c in state.clients.values()):
        raise conflict(action, f"Client {client_id} already exists")


def _copy_key(source: dict, target: dict, key: str) -> None:
    """Make ``target[key]`` what it is in ``source``, or absent when ``source`` has none."""
    if key in source:
        target[key] = source[key]
    else:
        target.pop(key, None)


def _client(state: RealmState, client_uuid: str, action: str) -> dict:
    return found(state.clients, client_uuid, action, "Could not find client")


def _identity_provider(state: RealmState, alias: str, action: str) -> dict:
    return found(state.identity_providers, alias, action, "Identity provider not found")


def _client_named(state: RealmState, client_id: str, action: str) -> dict:
    """The client whose clientId is ``client_id`` (matched exactly)."""
    found = [client for client in state.clients.values() if client["clientId"] == client_id]
    if not found:
        raise not_found(action, f"no client has the clientId '{client_id}'")
    return found[0]


def _client_uuid(state: RealmState, client_id: str | None, action: str) -> str | None:
    """The id of the client whose clientId is ``client_id``; None for None (a realm role's)."""
    return None if client_id is None else _client_named(state, client_id, action)["id"]


def _key(state: RealmState, ref: str, action: str) -> RoleKey:
    """The role a reference (``name`` or ``clientId/name``) refers to; an unknown client or role is HTTP 404."""
    client_id, name = split_reference(ref)
    key = (_client_uuid(state, client_id, action), name)
    found(state.roles, key, action, "Could not find role")
    return key


def _known_roles(state: RealmState, realm: str, refs: list[str]) -> list[RoleKey]:
    """The roles ``refs``, each looked up as Keycloak looks them up: one unknown changes nothing."""
    return [_key(state, ref, f"find role '{ref}' of {realm}") for ref in refs]


def _drop_roles(state: RealmState, keys: list[RoleKey]) -> None:
    """Delete roles, and with them their place in composites and group mappings."""
    for key in keys:
        del state.roles[key]
    for role in state.roles.values():
        remove_values(role.composites, keys)
    for granted in [*(group.roles for group in state.groups.values()), *state.user_roles.values()]:
        remove_values(granted, keys)


def _check_free(state: RealmState, parent_id: str | None, name: str, action: str) -> None:
    """Refuse a group name that a sibling has already, as Keycloak does."""
    if any(g.parent_id == parent_id and g.name == name for g in state.groups.values()):
        where = "Top level group" if parent_id is None else "Sibling group"
        raise conflict(action, f"{where} named '{name}' already exists.")


