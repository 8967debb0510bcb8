"""The nodes of a desired realm state: groups, roles, organizations, clients, sign-in flows, identity providers,
LDAP federations, and the realm that holds them. Frozen values; :mod:`groupid.state.desired` builds them from the model."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

Attributes = dict[str, list[str]]


@dataclass(frozen=True)
class GroupNode:
    """A desired Keycloak group: a company or a department, with its sub-groups."""

    code: str
    kind: str
    name: str
    attributes: Attributes
    children: tuple[GroupNode, ...] = ()
    roles: tuple[str, ...] = ()  #: roles granted to the group, as references (``name`` or ``clientId/name``)

    def walk(self, parent_path: str = "") -> Iterator[tuple[str, GroupNode]]:
        """Yield (path, node) for this node and every node below it, depth first."""
        path = f"{parent_path}/{self.name}"
        yield path, self
        for child in self.children:
            yield from child.walk(path)


@dataclass(frozen=True)
class RoleNode:
    """A desired role — a realm role, or a client's when ``client`` is set — and the roles it includes."""

    name: str
    description: str | None
    composites: tuple[str, ...]  #: references: ``name`` or ``clientId/name``
    client: str | None = None

    @property
    def ref(self) -> str:
        """How the role is referenced: ``name`` or ``clientId/name``."""
        return f"{self.client}/{self.name}" if self.client else self.name


@dataclass(frozen=True)
class OrganizationNode:
    """A desired Keycloak Organization: one per company under topology ``organizations``."""

    code: str
    name: str
    alias: str
    domains: tuple[str, ...]
    attributes: Attributes


@dataclass(frozen=True)
class ClientNode:
    """A desired client; ``representation`` holds the fields groupid sets, never a secret."""

    client_id: str
    representation: dict
    secret_file: str | None = None  #: the file whose content becomes the secret, read at apply time
    spec_directory: str | None = None  #: the directory ``secret_file`` is relative to (the spec's)


@dataclass(frozen=True)
class SignInFlowNode:
    """A client's own browser flow: only holders of ``role`` (a reference) may sign in to the client."""

    alias: str
    client_id: str
    role: str


@dataclass(frozen=True)
class IdentityProviderNode:
    """A desired identity provider; its client secret is looked up at apply time, never kept in a plan."""

    alias: str
    representation: dict  #: without the secret
    secret_from: tuple[str, str] | None = None  #: (realm, clientId) of the client whose secret it uses


Config = dict[str, list[str]]
"""A component's config as Keycloak keeps it: each key with a list of texts."""


@dataclass(frozen=True)
class FederationNode:
    """A desired LDAP user federation: the config groupid sets (never the bind password), the environment
    variable apply reads the password from, and the config of its group mapper, if it has one."""

    name: str
    config: Config
    bind_password_env: str
    group_mapper: Config | None = None

    @property
    def mapper_key(self) -> str:
        """How a plan names its group mapper: ``<federation>/groups``."""
        return f"{self.name}/{GROUP_MAPPER_NAME}"


GROUP_MAPPER_NAME = "groups"
"""The name of the group mapper groupid gives a federation."""


@dataclass(frozen=True)
class RealmState:
    """Everything groupid wants in one realm."""

    realm: str
    display_name: str
    groups: tuple[GroupNode, ...]
    roles: tuple[RoleNode, ...]
    default_roles: tuple[str, ...] = ()
    declare_user_attributes: bool = True
    organizations_enabled: bool = False
    organizations: tuple[OrganizationNode, ...] = ()
    clients: tuple[ClientNode, ...] = ()
    identity_providers: tuple[IdentityProviderNode, ...] = ()
    sign_in_flows: tuple[SignInFlowNode, ...] = ()
    federations: tuple[FederationNode, ...] = ()

    def walk_groups(self) -> Iterator[tuple[str, GroupNode]]:
        """Every group of the realm as (path, node), parents before children."""
        for root in self.groups:
            yield from root.walk()
