"""The desired state of Keycloak realms, compiled from the model.

Under topology ``groups`` the whole group lives in one realm: a group tree ``/<company>/<department>/...``
with subsidiaries nested under their parent company and realm roles with their composites. Under topology
``organizations`` each company is also an Organization; under ``realm-per-company`` the companies marked
``own_realm`` get a realm of their own, linked to the group's realm.

Each company and department group carries its code in the attribute ``groupid.code``: the code, not the
name, is its identity, so a rename is an update and never a delete-and-create.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from groupid import limits
from groupid.checks import topology_problems
from groupid.errors import SpecError
from groupid.keycloak_terms import ATTR_CODE, ATTR_KIND, ATTR_MANAGED
from groupid.model import (
    Company,
    Department,
    Group,
    Role,
    Topology,
    link_redirect_uri,
    organization_alias,
    own_realm_name,
)
from groupid.state.apps import with_apps
from groupid.state.federation import with_federations
from groupid.state.nodes import (
    Attributes,
    ClientNode,
    GroupNode,
    IdentityProviderNode,
    OrganizationNode,
    RealmState,
    RoleNode,
)


def compile_realms(group: Group) -> list[RealmState]:
    """The desired state of each realm the group needs, the group's own realm first.

    A group that :func:`groupid.checks.topology_problems` finds fault with (one a spec that validates never
    has) raises :class:`SpecError`: what validation refuses, render and plan refuse alike.
    """
    problems = topology_problems(group)
    if problems:
        raise SpecError(problems)
    return with_federations(group, with_apps(group, _realm_states(group)))


def _realm_states(group: Group) -> list[RealmState]:
    tree = _Tree(group)
    top = [c for c in group.companies if c.parent is None and c.code not in tree.split_off]
    main = _realm_state(group, tree, group.realm, group.name, top)
    if group.topology is Topology.ORGANIZATIONS:
        organizations = tuple(_organization_node(company) for company in group.companies)
        return [replace(main, organizations_enabled=True, organizations=organizations)]
    if group.topology is Topology.REALM_PER_COMPANY and tree.split_off:
        base_url = (group.public_url or "").rstrip("/")  # topology_problems saw to it that it is set
        links = [_RealmLink(group, company, base_url) for company in group.companies if company.code in tree.split_off]
        others = [
            _without_foreign_client_roles(replace(_realm_state(group, tree, link.realm, link.company.name, [link.company]),
                                                  identity_providers=(link.identity_provider(),)))
            for link in links
        ]
        return [replace(main, clients=tuple(link.client() for link in links)), *others]
    return [main]


def _realm_state(group: Group, tree: _Tree, realm: str, display_name: str, companies: list[Company]) -> RealmState:
    return RealmState(
        realm=realm,
        display_name=display_name,
        groups=tuple(tree.company_node(c) for c in companies),
        roles=tuple(_role_node(role) for role in group.roles),
        default_roles=tuple(group.default_roles),
        declare_user_attributes=group.declare_user_attributes,
    )


def _without_foreign_client_roles(state: RealmState) -> RealmState:
    """A company realm keeps every realm role but only the client roles its own groups use.

    The apps' clients live where their users are; a client role nobody in the company realm holds has no
    client there to belong to.
    """
    composites = {role.ref: role.composites for role in state.roles}
    needed = {ref for _, node in state.walk_groups() for ref in node.roles} | set(state.default_roles)
    stack = list(needed)
    while stack:
        for ref in composites.get(stack.pop(), ()):
            if ref not in needed:
                needed.add(ref)
                stack.append(ref)
    kept = [r for r in state.roles if r.client is None or r.ref in needed]
    dropped = {r.ref for r in state.roles} - {r.ref for r in kept}
    roles = tuple(replace(r, composites=tuple(c for c in r.composites if c not in dropped)) for r in kept)
    return replace(state, roles=roles)


def _organization_node(company: Company) -> OrganizationNode:
    attributes = {ATTR_CODE: [company.code], ATTR_MANAGED: ["true"]}
    if company.parent:
        attributes["parent_company"] = [company.parent]  # organizations do not nest; the tree stays readable
    if company.uscc:
        attributes["uscc"] = [company.uscc]
    domains = tuple(dict.fromkeys(company.email_domains))
    return OrganizationNode(company.code, company.name, organization_alias(company), domains, attributes)


@dataclass(frozen=True)
class _RealmLink:
    """How a company realm trusts the group realm: a client there, an identity provider here.

    One group account then reaches the apps of every company, while each company keeps its users and
    their data in its own realm.
    """

    group: Group
    company: Company
    base_url: str  #: the group's public_url: where people reach Keycloak

    @property
    def realm(self) -> str:
        return own_realm_name(self.group.realm, self.company)

    @property
    def client_id(self) -> str:
        return f"groupid-link-{self.realm}"

    def client(self) -> ClientNode:
        alias = self.group.realm
        return ClientNode(self.client_id, {
            "clientId": self.client_id,
            "name": _client_name(self.company.name, self.realm),
            "enabled": True,
            "publicClient": False,
            "protocol": "openid-connect",
            "standardFlowEnabled": True,
            "directAccessGrantsEnabled": False,
            "rootUrl": "${authBaseUrl}",
            "redirectUris": [link_redirect_uri(self.realm, alias)],
            "attributes": {ATTR_MANAGED: "true"},
        })

    def identity_provider(self) -> IdentityProviderNode:
        issuer = f"{self.base_url}/realms/{self.group.realm}"
        endpoints = f"{issuer}/protocol/openid-connect"
        return IdentityProviderNode(self.group.realm, {
            "alias": self.group.realm,
            "displayName": self.group.name,
            "providerId": "keycloak-oidc",
            "enabled": True,
            "trustEmail": True,
            "config": {
                "issuer": issuer,
                "authorizationUrl": f"{endpoints}/auth",
                "tokenUrl": f"{endpoints}/token",
                "userInfoUrl": f"{endpoints}/userinfo",
                "jwksUrl": f"{endpoints}/certs",
                "logoutUrl": f"{endpoints}/logout",
                "clientId": self.client_id,
                "clientAuthMethod": "client_secret_post",
                "defaultScope": "openid profile email",
                "syncMode": "IMPORT",
                "validateSignature": "true",
                "useJwksUrl": "true",
                ATTR_MANAGED: "true",
            },
        }, (self.group.realm, self.client_id))


def _client_name(company_name: str, realm: str) -> str:
    """The link client's display name, "<company> (<realm>)", with the company's name cut to fit Keycloak's
    column: both parts may be long on their own."""
    suffix = f" ({realm})"
    room = limits.CLIENT_NAME - len(suffix)
    name = company_name if len(company_name) <= room else company_name[: room - 1] + "…"
    return name + suffix


class _Tree:
    """Builds the group tree: subsidiaries under their parent company, departments under their company."""

    def __init__(self, group: Group):
        split = group.topology is Topology.REALM_PER_COMPANY
        self.split_off = {c.code for c in group.companies if split and c.own_realm}  #: companies with a realm of their own
        self.subsidiaries: dict[str, list[Company]] = {}
        self.departments: dict[str, list[Department]] = {}
        for company in group.companies:
            if company.parent:
                self.subsidiaries.setdefault(company.parent, []).append(company)
        for dept in group.departments:
            self.departments.setdefault(dept.parent or f"company:{dept.company}", []).append(dept)

    def company_node(self, company: Company) -> GroupNode:
        attributes = _owned(company.code, "company")
        if company.uscc:
            attributes["uscc"] = [company.uscc]
        if company.region:
            attributes["region"] = [company.region]
        if company.email_domains:
            attributes["email_domains"] = list(company.email_domains)
        children = [self.company_node(c) for c in self.subsidiaries.get(company.code, []) if c.code not in self.split_off]
        children += [self.department_node(d) for d in self.departments.get(f"company:{company.code}", [])]
        return GroupNode(company.code, "company", company.name, attributes, tuple(children), tuple(company.roles))

    def department_node(self, dept: Department) -> GroupNode:
        attributes = _owned(dept.code, "department")
        attributes["company_code"] = [dept.company]
        children = tuple(self.department_node(d) for d in self.departments.get(dept.code, []))
        return GroupNode(dept.code, "department", dept.name, attributes, children, tuple(dept.roles))


def _owned(code: str, kind: str) -> Attributes:
    return {ATTR_CODE: [code], ATTR_KIND: [kind], ATTR_MANAGED: ["true"]}


def _role_node(role: Role) -> RoleNode:
    return RoleNode(role.name, role.description, tuple(role.composites), role.client)
