"""The contract every realm adapter fulfils: read a realm's live state, write single changes.

Two adapters implement it: :class:`~groupid.realms.keycloak.KeycloakServer` (the real server, over the Admin
REST API) and :class:`~groupid.realms.memory.MemoryRealms` (in memory, for fast tests). Both pass the same
contract test suite (``tests/realm_contract.py``), so what the in-memory one does in a unit test is what
Keycloak does in production.

Roles are named by *references*: ``name`` for a realm role, ``clientId/name`` for a role of a client (role
names never contain ``/``). Wherever a method takes or returns role names — composites, a group's roles —
both kinds may appear.

The contract is three focused parts, which :class:`RealmAdapter` combines: :class:`RealmConfiguration` (a
realm's design: read it, write single changes), :class:`People` (users and their memberships) and
:class:`RealmRecords` (what runs keep beside the design). What they do above the primitives — roles by kind,
groupid's view of a realm, the lock — is written once, here and in :mod:`groupid.realms.view` and
:mod:`groupid.realms.locks`, not in each adapter.

The live state is read in one go (:meth:`RealmConfiguration.read`) and indexed by the planner; writes are small
and targeted — never a delete-and-create of something that has members or mappings.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable

from groupid.errors import KeycloakError
from groupid.keycloak_terms import role_reference
from groupid.realms import locks
from groupid.realms.live import LiveRealm, LiveUser
from groupid.realms.view import realm_as_groupid_sees_it

IMPORT_CHUNK = 10
"""Users per request of :meth:`RealmAdapter.import_users`, by default. Keycloak 26.5 imports a request in one
transaction whose cost per user grows with its size (each query and flush in it walks every entity the
transaction holds), while small requests pay their own overhead. Measured loading 100,000 users with
attributes and a group each into a realm of 5,000 groups, three requests in flight, dev database, one 2-core
machine: 760 users a second in requests of 5, 1,020 in requests of 10, 890 in 20, 660 in 50."""



class RealmConfiguration(ABC):
    """A realm's design, read and written: the realm, its groups, roles, composites, user profile,
    organizations, clients, identity providers and LDAP federations."""

    @abstractmethod
    def read_raw(self, realm: str) -> LiveRealm:
        """Everything ``realm`` holds, lock roles and the roles of Keycloak's own clients too (but see
        :meth:`~groupid.realms.keycloak.KeycloakServer.read_raw`); ``exists=False`` when there is no such realm."""

    def read(self, realm: str) -> LiveRealm:
        """The live state of ``realm`` as groupid sees it (:func:`~groupid.realms.view.realm_as_groupid_sees_it`);
        ``exists=False`` when there is no such realm."""
        return realm_as_groupid_sees_it(self.read_raw(realm))

    def realm_exists(self, realm: str) -> bool:
        """Whether a realm of that name exists (adapters answer it more cheaply than a whole read)."""
        return self.read(realm).exists

    @abstractmethod
    def create_realm(self, realm: str, display_name: str | None) -> None:
        """Create an empty, enabled realm."""

    @abstractmethod
    def update_realm(self, realm: str, display_name: str | None, organizations_enabled: bool | None = None) -> None:
        """Change the realm's display name and, unless None, whether Organizations are enabled."""

    @abstractmethod
    def create_group(self, realm: str, parent_id: str | None, name: str, attributes: dict[str, list[str]]) -> str:
        """Create a group (top-level when ``parent_id`` is None); return its id."""

    @abstractmethod
    def update_group(self, realm: str, group_id: str, name: str, attributes: dict[str, list[str]]) -> None:
        """Rename a group and replace its attributes; members and role mappings stay."""

    @abstractmethod
    def move_group(self, realm: str, group_id: str, parent_id: str | None) -> None:
        """Move a group under another parent (top level when None); members and role mappings stay."""

    @abstractmethod
    def delete_group(self, realm: str, group_id: str) -> None:
        """Delete a group and its sub-groups."""

    @abstractmethod
    def create_role_of(self, realm: str, client_id: str | None, name: str, description: str | None,
                       attributes: dict[str, list[str]]) -> None:
        """Create a role of the realm (``client_id`` None) or of the client whose clientId is ``client_id``; its
        name is unique there (a :class:`Conflict` otherwise), and no such client is an error (HTTP 404)."""

    @abstractmethod
    def update_role_by_reference(self, realm: str, ref: str, description: str | None,
                                 attributes: dict[str, list[str]]) -> None:
        """Replace the description (None clears it) and the attributes of the role ``ref``."""

    @abstractmethod
    def delete_role_by_reference(self, realm: str, ref: str) -> None:
        """Delete the role ``ref``; composites and group mappings lose it too."""

    def create_role(self, realm: str, name: str, description: str | None, attributes: dict[str, list[str]]) -> None:
        """Create a realm role; one of that name is a :class:`Conflict`."""
        self.create_role_of(realm, None, name, description, attributes)

    def update_role(self, realm: str, name: str, description: str | None, attributes: dict[str, list[str]]) -> None:
        """Replace a realm role's description (None clears it) and attributes."""
        self.update_role_by_reference(realm, name, description, attributes)

    def delete_role(self, realm: str, name: str) -> None:
        """Delete a realm role; composites and group mappings lose it too."""
        self.delete_role_by_reference(realm, name)

    def create_client_role(self, realm: str, client_id: str, name: str, description: str | None,
                           attributes: dict[str, list[str]]) -> None:
        """Create a role of the client whose clientId is ``client_id``; no such client is an error (HTTP 404)."""
        self.create_role_of(realm, client_id, name, description, attributes)

    def update_client_role(self, realm: str, client_id: str, name: str, description: str | None,
                           attributes: dict[str, list[str]]) -> None:
        """Replace a client role's description (None clears it) and attributes."""
        self.update_role_by_reference(realm, role_reference(client_id, name), description, attributes)

    def delete_client_role(self, realm: str, client_id: str, name: str) -> None:
        """Delete a client role; composites and group mappings lose it too."""
        self.delete_role_by_reference(realm, role_reference(client_id, name))

    @abstractmethod
    def add_composites(self, realm: str, role: str, names: list[str]) -> None:
        """Make the roles ``names`` part of the role ``role`` (all references: ``name`` or ``clientId/name``)."""

    @abstractmethod
    def remove_composites(self, realm: str, role: str, names: list[str]) -> None:
        """Take the roles ``names`` out of the role ``role`` (references, as for :meth:`add_composites`)."""

    @abstractmethod
    def add_group_roles(self, realm: str, group_id: str, names: list[str]) -> None:
        """Grant roles (references) to a group, and so to its members and sub-groups' members."""

    @abstractmethod
    def remove_group_roles(self, realm: str, group_id: str, names: list[str]) -> None:
        """Revoke roles (references) from a group."""

    @abstractmethod
    def set_user_profile(self, realm: str, profile: dict) -> None:
        """Replace the realm's user profile configuration."""

    # -- organizations (topology "organizations"; the realm must have them enabled) ----------------------

    @abstractmethod
    def create_organization(self, realm: str, name: str, alias: str, domains: list[str],
                            attributes: dict[str, list[str]]) -> str:
        """Create an organization; return its id."""

    @abstractmethod
    def update_organization(self, realm: str, org_id: str, name: str, domains: list[str],
                            attributes: dict[str, list[str]]) -> None:
        """Change an organization's name, domains and attributes (its alias never changes)."""

    @abstractmethod
    def delete_organization(self, realm: str, org_id: str) -> None:
        """Delete an organization (its members stay users of the realm)."""

    # -- clients and identity providers (topology "realm-per-company": linking realms) -----------------

    @abstractmethod
    def create_client(self, realm: str, representation: dict) -> str:
        """Create a client from a ClientRepresentation; return its id."""

    @abstractmethod
    def update_client(self, realm: str, client_uuid: str, representation: dict) -> None:
        """Change a client (fields present in ``representation`` only; attributes key by key, an empty value
        removing one). ``protocolMappers`` and ``defaultClientScopes``, when given, become the client's: mappers
        matched by name, scopes the realm's client scopes by name."""

    @abstractmethod
    def delete_client(self, realm: str, client_uuid: str) -> None:
        """Delete a client."""

    @abstractmethod
    def client_secret(self, realm: str, client_id: str) -> str:
        """The secret of a confidential client, looked up by its clientId. Never logged or stored."""

    @abstractmethod
    def rotate_client_secret(self, realm: str, client_id: str) -> str:
        """Give a confidential client, looked up by its clientId, a new generated secret; return it. Never logged."""

    @abstractmethod
    def client_session_users(self, realm: str, client_id: str) -> list[str]:
        """The ids of the users holding a session with the client whose clientId is ``client_id``."""

    @abstractmethod
    def user_client_roles(self, realm: str, user_id: str, client_id: str) -> list[str]:
        """The names of the roles of the client ``client_id`` a user holds in effect: granted directly, through
        its groups (and their parents), through composites and the realm's default roles."""

    @abstractmethod
    def create_identity_provider(self, realm: str, representation: dict) -> None:
        """Create an identity provider from an IdentityProviderRepresentation."""

    @abstractmethod
    def read_identity_provider(self, realm: str, alias: str) -> dict:
        """One identity provider's representation; a stored secret shows masked (or as its vault reference)."""

    @abstractmethod
    def update_identity_provider(self, realm: str, alias: str, representation: dict) -> None:
        """Change an identity provider; a config without ``clientSecret`` keeps the stored secret."""

    @abstractmethod
    def delete_identity_provider(self, realm: str, alias: str) -> None:
        """Delete an identity provider."""

    # -- components: LDAP federations and their mappers -------------------------------------------------

    @abstractmethod
    def create_component(self, realm: str, representation: dict) -> str:
        """Create a component from a ComponentRepresentation and return its id; one without ``parentId`` belongs
        to the realm (a user federation). A new LDAP federation gets Keycloak's default mappers below it."""

    @abstractmethod
    def read_component(self, realm: str, component_id: str) -> dict:
        """One component's representation; a bind password shows masked. No such component is HTTP 404."""

    @abstractmethod
    def update_component(self, realm: str, component_id: str, representation: dict) -> None:
        """Change a component's name, its ``subType`` when given, and the config keys ``representation`` gives
        (those its provider declares): a key with no value is
        removed, a masked ``bindCredential`` keeps the stored password, and keys not given stay as they are."""

    @abstractmethod
    def delete_component(self, realm: str, component_id: str) -> None:
        """Delete a component with the components below it (a federation's mappers, and the users it imported)."""

    @abstractmethod
    def read_user_profile(self, realm: str) -> dict:
        """The realm's user profile configuration."""

    # -- sign-in flows (who may sign in to an app) -------------------------------------------------------

    @abstractmethod
    def put_sign_in_flow(self, realm: str, alias: str, client_id: str, role: str) -> None:
        """Make ``alias`` the browser flow of the client ``client_id``: it signs users in as the realm's browser
        flow does, then refuses whoever lacks the role ``role`` (a reference). A flow of that alias is brought in
        line (its role replaced, a damaged one rebuilt); no such client or role is an error (HTTP 404)."""

    @abstractmethod
    def delete_sign_in_flow(self, realm: str, alias: str) -> None:
        """Delete the sign-in flow ``alias``; the clients it is the browser flow of fall back to the realm's.
        No such flow is an error (HTTP 404)."""


class People(ABC):
    """The people of a realm: users, their group and organization memberships, bulk import and sign-out."""


    @abstractmethod
    def create_user(self, realm: str, user: dict) -> str:
        """Create a user from a UserRepresentation; return its id."""

    @abstractmethod
    def read_user(self, realm: str, user_id: str) -> dict:
        """A user's representation, with its attributes."""

    @abstractmethod
    def add_member(self, realm: str, group_id: str, user_id: str) -> None:
        """Make a user a member of a group."""

    @abstractmethod
    def members(self, realm: str, group_id: str) -> list[str]:
        """The ids of the direct members of a group."""

    @abstractmethod
    def read_users(self, realm: str, group_ids=(), organization_ids=()) -> list[LiveUser]:
        """Every user of the realm (service accounts excluded), by username.

        Each user's ``groups`` holds those of ``group_ids`` it is a direct member of, ``organizations`` those of
        ``organization_ids`` it is a member of; memberships of other groups and organizations are not read.
        """

    @abstractmethod
    def import_users(self, realm: str, users: list[dict], chunk_size: int = IMPORT_CHUNK) -> dict[str, str | None]:
        """Create users in bulk, ``chunk_size`` to a request; an existing one is skipped, never overwritten.

        ``users`` are UserRepresentations; their ``groups`` are full group paths. A user is skipped when its
        username is taken, or its email when the realm does not allow duplicate emails. Each new user gets the
        realm's default roles, as one created alone does. Returns the id of each new user and None for each
        skipped one, by username as given. A group path that does not exist is a :class:`KeycloakError` naming
        it; users imported before the error stay. Two users of one chunk with the same username (or email) are a
        :class:`Conflict`.
        """

    @abstractmethod
    def update_user(self, realm: str, user_id: str, representation: dict) -> None:
        """Change the fields of a user that ``representation`` holds; the others stay.

        ``attributes``, when given, replace the user's whole attribute map: send all of them. Attributes the
        user profile does not declare are dropped. Keycloak takes the attributes for the whole user profile:
        ``firstName``, ``lastName`` and ``email`` not given beside them are cleared — give them too.
        """

    @abstractmethod
    def read_user_roles(self, realm: str, user_id: str) -> list[str]:
        """The names of the realm roles granted to a user directly (not through a group or a composite)."""

    @abstractmethod
    def role_holders(self, realm: str, ref: str) -> list[str]:
        """The ids of the users granted the role ``ref`` (``name`` or ``clientId/name``) directly, not through a
        group or a composite; an unknown role or client is an error (HTTP 404)."""

    @abstractmethod
    def add_user_roles(self, realm: str, user_id: str, names: list[str]) -> None:
        """Grant the realm roles ``names`` to a user directly (one it holds already stays); an unknown role is an
        error (HTTP 404) and grants none of them."""

    @abstractmethod
    def remove_user_roles(self, realm: str, user_id: str, names: list[str]) -> None:
        """Take the realm roles ``names`` granted directly away from a user (one it does not hold changes
        nothing); an unknown role is an error (HTTP 404) and takes none of them away. Grants through groups and
        composites stay."""

    @abstractmethod
    def logout_user(self, realm: str, user_id: str) -> None:
        """End every session of a user."""

    @abstractmethod
    def remove_member(self, realm: str, group_id: str, user_id: str) -> None:
        """Take a user out of a group (nothing changes when it is not a member)."""

    @abstractmethod
    def delete_user(self, realm: str, user_id: str) -> None:
        """Delete a user, and with it its memberships."""

    @abstractmethod
    def add_organization_member(self, realm: str, org_id: str, user_id: str) -> None:
        """Make a user a member of an organization (nothing changes when it is one already)."""

    @abstractmethod
    def remove_organization_member(self, realm: str, org_id: str, user_id: str) -> None:
        """Take a user out of an organization; a user that is not a member is an error (HTTP 404)."""


class RealmRecords(ABC):
    """What a run keeps in a realm beside its design: realm attributes (its run records), and the primitives
    its lock is made of (:mod:`groupid.realms.locks`)."""

    @abstractmethod
    def read_realm_attributes(self, realm: str) -> dict[str, str]:
        """The realm's attributes (Keycloak keeps some of its own settings there too)."""

    @abstractmethod
    def set_realm_attributes(self, realm: str, attributes: dict[str, str]) -> None:
        """Set the given realm attributes; the others stay as they are."""

    @abstractmethod
    def create_client_scope(self, realm: str, name: str, description: str | None, attributes: dict[str, str]) -> None:
        """Create a client scope (of the OpenID Connect protocol, in no client's tokens); one of that name is a
        :class:`~groupid.errors.Conflict`, however close together the two creations come."""

    @abstractmethod
    def read_client_scope_attributes(self, realm: str, name: str) -> dict[str, str] | None:
        """A client scope's attributes; None when there is no such scope."""

    @abstractmethod
    def update_client_scope(self, realm: str, name: str, description: str | None, attributes: dict[str, str]) -> None:
        """Replace a client scope's description and attributes; no such scope is an error (HTTP 404)."""

    @abstractmethod
    def discard_client_scope(self, realm: str, name: str) -> None:
        """Delete a client scope; nothing happens when there is none."""

    @abstractmethod
    def read_role_attributes(self, realm: str, name: str) -> dict[str, list[str]] | None:
        """A realm role's attributes; None when there is no such role."""

    @abstractmethod
    def discard_role(self, realm: str, name: str) -> None:
        """Delete a realm role; nothing happens when there is none."""


class RealmAdapter(RealmConfiguration, People, RealmRecords):
    """Reads and writes realms of one Keycloak (or a stand-in for one): all of :class:`RealmConfiguration`,
    :class:`People` and :class:`RealmRecords`, and the lock (:mod:`groupid.realms.locks`) made of them."""

    def acquire_lock(self, realm: str, name: str, holder: dict[str, str]) -> dict[str, str] | None:
        """Take the lock ``name`` of the realm for ``holder``, atomically: None when taken, or — changing
        nothing — the holder of whoever has it. A lock is held until :meth:`release_lock`, whatever happens to
        the process that took it. See :mod:`groupid.realms.locks`."""
        return locks.acquire_lock(self, realm, name, holder)

    def renew_lock(self, realm: str, name: str, holder: dict[str, str]) -> None:
        """Write the record of ``holder``, who holds the lock ``name``, anew (its lease renewed)."""
        locks.renew_lock(self, realm, name, holder)

    def release_lock(self, realm: str, name: str, holder: dict[str, str] | None = None) -> None:
        """Give the lock ``name`` up (nothing happens when nobody holds it). ``holder``: the record
        :meth:`acquire_lock` returned, when the lock broken is another run's."""
        locks.release_lock(self, realm, name, holder)

    def sign_out_without(self, realm: str, client_id: str, role: str) -> int:
        """End every session of the users signed in to the client ``client_id`` who no longer hold its role
        ``role`` (a name of the client's role): they must sign in again, and are refused if they may not. Returns
        how many users were signed out."""
        gone = [user for user in self.client_session_users(realm, client_id)
                if role not in self.user_client_roles(realm, user, client_id)]
        for user in gone:
            self.logout_user(realm, user)
        return len(gone)


Connector = RealmAdapter | Callable[[], RealmAdapter]
"""An adapter, or a callable that connects one: a command checks its input first and connects only then, so
that a bad input is reported as such even when no server answers."""


def connected(connector: Connector) -> RealmAdapter:
    """The adapter of ``connector``, connecting now if it is a callable."""
    return connector() if callable(connector) else connector


def refuse_a_move_below_itself(group_id: str, parent_id: str | None, parent_of: Callable[[str], str | None],
                               action: str) -> None:
    """Raise :class:`~groupid.errors.KeycloakError` when ``parent_id`` is the group itself or one of its sub-groups;
    ``parent_of`` names a group's parent (None at the top level).

    Keycloak does not check this: it follows the loop it was asked to make until its stack overflows and answers
    HTTP 500. On Keycloak 26.7 the overflow can strike while its realm cache holds the eviction lock, and every
    later request to the server then waits forever. So the move is refused before it is sent."""
    current = parent_id
    while current is not None:
        if current == group_id:
            raise KeycloakError(f"cannot {action}: the new parent is the group itself or one of its sub-groups")
        current = parent_of(current)
