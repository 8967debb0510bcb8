"""What groupid reads of a realm: the ``Live*`` values every realm adapter answers, whatever its server.

They are plain values, free of any adapter: the planner, the people engine and the exporter work on them alone.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any


class Attributed:
    """Objects whose ``attributes`` map names to lists of values, as Keycloak's groups and organizations do."""

    __slots__ = ()  # no instance dict of its own: a user has slots
    attributes: dict[str, list[str]]

    def attribute(self, name: str) -> str | None:
        """The first value of an attribute, or None."""
        values = self.attributes.get(name) or [None]
        return values[0]


@dataclass
class LiveGroup(Attributed):
    """A group as it is in Keycloak."""

    id: str
    name: str
    parent_id: str | None
    attributes: dict[str, list[str]] = field(default_factory=dict)
    realm_roles: list[str] = field(default_factory=list)
    client_roles: dict[str, list[str]] = field(default_factory=dict)  #: clientId -> names of its roles granted

    def role_refs(self) -> list[str]:
        """Every role granted to the group, as references (``name``, ``clientId/name``), sorted."""
        refs = [*self.realm_roles, *(f"{client}/{name}" for client, names in self.client_roles.items() for name in names)]
        return sorted(refs)


@dataclass
class LiveRole:
    """A role as it is in Keycloak — a realm role, or a client's role when ``client`` is set — with the
    references of its composites (realm and client roles alike)."""

    name: str
    description: str | None = None
    attributes: dict[str, list[str]] = field(default_factory=dict)
    composites: list[str] = field(default_factory=list)
    client: str | None = None  #: the clientId of the client the role belongs to

    @property
    def ref(self) -> str:
        """How the role is referenced: ``name`` or ``clientId/name``."""
        return f"{self.client}/{self.name}" if self.client else self.name


@dataclass
class LiveOrganization(Attributed):
    """A Keycloak Organization (26+) as it is: one per company under topology ``organizations``."""

    id: str
    name: str
    alias: str
    domains: list[str] = field(default_factory=list)
    attributes: dict[str, list[str]] = field(default_factory=dict)
    enabled: bool = True


@dataclass
class LiveClient:
    """A client as it is, reduced to what groupid manages. Its secret is never read into the state."""

    id: str
    client_id: str
    name: str | None = None
    enabled: bool = True
    public_client: bool = False
    root_url: str | None = None
    redirect_uris: list[str] = field(default_factory=list)
    attributes: dict[str, str] = field(default_factory=dict)
    description: str | None = None
    base_url: str | None = None  #: where the account console and the portal send people
    #: the representation's other top-level fields (flows, URLs, web origins …), never the secret
    settings: dict[str, Any] = field(default_factory=dict)
    protocol_mappers: list[dict] = field(default_factory=list)  #: each with name, protocolMapper and config
    default_client_scopes: list[str] = field(default_factory=list)  #: names of the realm's client scopes, sorted
    optional_client_scopes: list[str] = field(default_factory=list)  #: the scopes it may ask for by name, sorted


@dataclass
class LiveIdentityProvider:
    """An identity provider as it is. Secrets in its config come back masked from Keycloak and are left out."""

    alias: str
    provider_id: str
    display_name: str | None = None
    enabled: bool = True
    config: dict[str, str] = field(default_factory=dict)


@dataclass
class LiveComponent:
    """A component of a realm as it is — an LDAP federation, or one of its mappers — its config without the bind
    password, which Keycloak answers masked."""

    id: str
    name: str
    provider_id: str
    parent_id: str | None = None
    config: dict[str, list[str]] = field(default_factory=dict)
    sub_type: str | None = None  #: groupid's mark on what it made (:data:`~groupid.keycloak_terms.MANAGED_SUBTYPE`)


@dataclass
class LiveFederation:
    """An LDAP user federation as it is, with its group mappers; Keycloak's own default mappers (username,
    email, names, dates) are not read."""

    component: LiveComponent
    group_mappers: list[LiveComponent] = field(default_factory=list)  #: by name

    @property
    def name(self) -> str:
        """The component's name: how the spec names the federation."""
        return self.component.name


@dataclass
class LiveSignInFlow:
    """An app's own browser flow as it is: the role a user must hold to pass it, and the client it is bound to.

    Only flows whose alias begins with :data:`~groupid.keycloak_terms.SIGN_IN_FLOW_PREFIX` are read: groupid made
    them. ``complete`` is False when the flow lacks one of the steps groupid puts in it (someone edited it).
    """

    alias: str
    id: str
    role: str | None  #: the reference of the role it checks; None when it checks none
    client_id: str | None = None  #: the clientId of the client whose browser flow it is; None when unbound
    complete: bool = True


class LiveUser(Attributed):
    """A user as it is in Keycloak, with the memberships that were asked for (:meth:`RealmAdapter.read_users`).

    A sync holds every user of a realm at once, so a user is kept compact: slotted, its attributes a tuple of
    values (one value as itself, several as a tuple) beside a tuple of their names that users with the same
    names share. :attr:`attributes` makes the usual dict of lists from them at each call (changing it changes
    nothing); :meth:`attribute` reads one without. Users compare by what they hold, attributes as a dict.
    """

    __slots__ = ("id", "username", "enabled", "first_name", "last_name", "email", "email_verified", "groups",
                 "organizations", "not_before", "_names", "_values")

    def __init__(self, id: str, username: str, enabled: bool = True, first_name: str | None = None,
                 last_name: str | None = None, email: str | None = None, email_verified: bool = False,
                 attributes: Mapping[str, Iterable[str]] | None = None, groups: Iterable[str] = frozenset(),
                 organizations: Iterable[str] = frozenset(), not_before: int = 0):
        self.id, self.username, self.enabled = id, username, enabled
        self.first_name, self.last_name, self.email, self.email_verified = first_name, last_name, email, email_verified
        self.groups: frozenset[str] = frozenset(groups)  #: ids of the asked-for groups it is a direct member of
        self.organizations: frozenset[str] = frozenset(organizations)  #: ids of the asked-for organizations it is in
        self.not_before = not_before  #: when all its sessions were last ended (Unix seconds; 0: never)
        attributes = attributes or {}
        names = tuple(attributes)
        self._names = _NAME_SETS.setdefault(names, names)
        self._values = tuple(_packed(list(values)) for values in attributes.values())

    @property
    def attributes(self) -> dict[str, list[str]]:
        """Its attributes, each a list of values: a new dict at each call."""
        return {name: list(value) if type(value) is tuple else [value] for name, value in zip(self._names, self._values)}

    def attribute(self, name: str) -> str | None:
        """The first value of an attribute, or None."""
        try:
            value = self._values[self._names.index(name)]
        except ValueError:
            return None
        if type(value) is tuple:
            return value[0] if value else None
        return value

    def _fields(self) -> tuple:
        return (self.id, self.username, self.enabled, self.first_name, self.last_name, self.email,
                self.email_verified, self.attributes, self.groups, self.organizations, self.not_before)

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        return self._fields() == other._fields()

    __hash__ = None  # compared by value, and its memberships are filled in after it is made

    def __repr__(self) -> str:
        names = ("id", "username", "enabled", "first_name", "last_name", "email", "email_verified", "attributes",
                 "groups", "organizations", "not_before")
        return f"LiveUser({', '.join(f'{name}={value!r}' for name, value in zip(names, self._fields()))})"


_NAME_SETS: dict[tuple[str, ...], tuple[str, ...]] = {}
"""The tuples of attribute names users have, one of each: a realm's users have a handful between them."""


def _packed(values: list) -> Any:
    """An attribute's values as a user keeps them: one value as itself, any other number as a tuple."""
    return values[0] if len(values) == 1 and type(values[0]) is not tuple else tuple(values)


@dataclass
class LiveRealm:
    """Everything groupid manages in one realm, as read from the server.

    ``groups`` lists parents before their children. ``exists`` is False for a realm that is not there yet:
    everything else is then empty. As groupid sees a realm (:func:`~groupid.realms.view.realm_as_groupid_sees_it`)
    ``roles`` holds no lock roles and ``client_roles`` no roles of Keycloak's own clients; read raw, they may.
    """

    name: str
    exists: bool = True
    display_name: str | None = None
    groups: list[LiveGroup] = field(default_factory=list)
    roles: list[LiveRole] = field(default_factory=list)  #: realm roles
    client_roles: list[LiveRole] = field(default_factory=list)  #: roles of clients (see below)
    default_roles: list[str] = field(default_factory=list)
    user_profile: dict = field(default_factory=dict)
    organizations_enabled: bool = False
    organizations: list[LiveOrganization] = field(default_factory=list)
    clients: list[LiveClient] = field(default_factory=list)
    identity_providers: list[LiveIdentityProvider] = field(default_factory=list)
    sign_in_flows: list[LiveSignInFlow] = field(default_factory=list)  #: by alias
    federations: list[LiveFederation] = field(default_factory=list)  #: the realm's LDAP federations, by name

    def paths(self) -> dict[str, str]:
        """Each group's path (``/company/department``) by group id."""
        paths: dict[str, str] = {}
        for group in self.groups:
            paths[group.id] = f"{paths.get(group.parent_id, '') if group.parent_id else ''}/{group.name}"
        return paths
