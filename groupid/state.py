"""The desired state of Keycloak realms, compiled from the model.

Under topology ``groups`` the whole group lives in one realm: a group tree ``/<company>/<department>/...``
with subsidiaries nested under their parent company, realm roles with their composites, and a user profile
that declares every user attribute groupid writes (Keycloak 24+ silently drops undeclared attributes).

Each company and department group carries its code in the attribute ``groupid.code``: the code, not the
name, is its identity, so a rename is an update and never a delete-and-create.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from groupid.errors import ConfigurationError, SourceError
from groupid.model import Company, Department, Group, Role, Topology
from groupid.spec import load_spec

ATTR_CODE = "groupid.code"
ATTR_KIND = "groupid.kind"
ATTR_MANAGED = "groupid.managed"
"""Marks an object groupid created and owns; only owned objects are ever pruned."""

USER_ATTRIBUTES: tuple[tuple[str, str], ...] = (
    ("employee_id", "工号"),
    ("company_code", "公司编码"),
    ("department_code", "部门编码"),
    ("title", "职位"),
    ("manager_id", "直属上级工号"),
    ("phone", "手机"),
    ("employment_type", "员工类型"),
    ("employment_status", "在职状态"),
    ("start_date", "入职日期"),
    ("end_date", "离职日期"),
)
"""User attributes groupid writes, with the display names the admin console shows."""

USER_PROFILE_GROUP = "groupid"

Attributes = dict[str, list[str]]


@dataclass(frozen=True)
class GroupNode:
    """A desired Keycloak group: a company or a department, with its sub-groups."""

    code: str
    kind: str
    name: str
    attributes: Attributes
    children: tuple[GroupNode, ...] = ()
    roles: tuple[str, ...] = ()  #: realm roles granted to the group

    def walk(self, parent_path: str = "") -> Iterator[tuple[str, GroupNode]]:
        """Yield (path, node) for this node and every node below it, depth first."""
        path = f"{parent_path}/{self.name}"
        yield path, self
        for child in self.children:
            yield from child.walk(path)


@dataclass(frozen=True)
class RoleNode:
    """A desired realm role and the realm roles it includes."""

    name: str
    description: str | None
    composites: tuple[str, ...]


@dataclass(frozen=True)
class RealmState:
    """Everything groupid wants in one realm."""

    realm: str
    display_name: str
    groups: tuple[GroupNode, ...]
    roles: tuple[RoleNode, ...]
    default_roles: tuple[str, ...] = ()
    declare_user_attributes: bool = True

    def walk_groups(self) -> Iterator[tuple[str, GroupNode]]:
        """Every group of the realm as (path, node), parents before children."""
        for root in self.groups:
            yield from root.walk()


def compile_realms(group: Group) -> list[RealmState]:
    """The desired state of each realm the group needs."""
    if group.topology is not Topology.GROUPS:
        raise ConfigurationError(
            f"topology '{group.topology.value}' cannot be rendered yet; "
            f"use topology 'groups' ({group.where('topology') or 'group:'})"
        )
    tree = _Tree(group)
    return [
        RealmState(
            realm=group.realm,
            display_name=group.name,
            groups=tuple(tree.company_node(c) for c in group.companies if c.parent is None),
            roles=tuple(_role_node(role) for role in group.roles),
            default_roles=tuple(group.default_roles),
            declare_user_attributes=group.declare_user_attributes,
        )
    ]


class _Tree:
    """Builds the group tree: subsidiaries under their parent company, departments under their company."""

    def __init__(self, group: Group):
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
        children = [self.company_node(c) for c in self.subsidiaries.get(company.code, [])]
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
    return RoleNode(role.name, role.description, tuple(role.composites))


def default_role_name(realm: str) -> str:
    """The composite role Keycloak grants every user of ``realm``; default roles are its composites."""
    return f"default-roles-{realm}"


KEYCLOAK_DEFAULT_ROLES = {"offline_access": "${role_offline-access}", "uma_authorization": "${role_uma_authorization}"}
"""The roles Keycloak puts in a new realm's default role (with their descriptions); groupid leaves them there."""


def realm_representation(state: RealmState) -> dict:
    """The realm as a Keycloak RealmRepresentation, ready for Keycloak's own import."""
    default_role = {
        "name": default_role_name(state.realm),
        "description": "${role_default-roles}",
        "composite": True,
        "composites": {"realm": [*KEYCLOAK_DEFAULT_ROLES, *state.default_roles]},
    }
    return {
        "realm": state.realm,
        "displayName": state.display_name,
        "enabled": True,
        "groups": [_group_representation(node) for node in state.groups],
        "roles": {
            "realm": [
                *(_role_representation(role) for role in state.roles),
                # an import names every role its default role includes, Keycloak's own ones too
                *({"name": name, "description": text} for name, text in KEYCLOAK_DEFAULT_ROLES.items()),
                default_role,
            ]
        },
        "defaultRole": {"name": default_role["name"], "composite": True},
        "components": {
            "org.keycloak.userprofile.UserProfileProvider": [
                {
                    "providerId": "declarative-user-profile",
                    "subComponents": {},
                    "config": {"kc.user.profile.config": [json.dumps(user_profile(), ensure_ascii=False)]},
                }
            ]
        },
    }


def _group_representation(node: GroupNode) -> dict:
    return {
        "name": node.name,
        "attributes": node.attributes,
        "realmRoles": list(node.roles),
        "subGroups": [_group_representation(child) for child in node.children],
    }


def _role_representation(role: RoleNode) -> dict:
    representation: dict = {"name": role.name, "composite": bool(role.composites), "attributes": {ATTR_MANAGED: ["true"]}}
    if role.description:
        representation["description"] = role.description
    if role.composites:
        representation["composites"] = {"realm": list(role.composites)}
    return representation


def user_profile() -> dict:
    """The realm's user profile: Keycloak's defaults plus every attribute groupid writes.

    Users may read their own groupid attributes but only admins (and so groupid) may change them: an
    employee ID or a department is HR's to set, not the employee's.
    """
    own = [
        {
            "name": name,
            "displayName": display,
            "group": USER_PROFILE_GROUP,
            "permissions": {"view": ["admin", "user"], "edit": ["admin"]},
            "multivalued": False,
        }
        for name, display in USER_ATTRIBUTES
    ]
    return {
        "attributes": [*_DEFAULT_PROFILE_ATTRIBUTES, *own],
        "groups": [
            {
                "name": "user-metadata",
                "displayHeader": "User metadata",
                "displayDescription": "Attributes, which refer to user metadata",
            },
            {"name": USER_PROFILE_GROUP, "displayHeader": "员工信息", "displayDescription": "Maintained by groupid from HR data"},
        ],
    }


def _default_attribute(name: str, validations: dict, required: bool) -> dict:
    attribute: dict = {
        "name": name,
        "displayName": "${" + name + "}",
        "validations": validations,
        "permissions": {"view": ["admin", "user"], "edit": ["admin", "user"]},
        "multivalued": False,
    }
    if required:
        attribute["required"] = {"roles": ["user"]}
    return attribute


# Keycloak's own default user profile for a new realm (26.x), kept so that declaring ours keeps theirs.
_DEFAULT_PROFILE_ATTRIBUTES = (
    _default_attribute(
        "username",
        {"length": {"min": 3, "max": 255}, "username-prohibited-characters": {}, "up-username-not-idn-homograph": {}},
        required=False,
    ),
    _default_attribute("email", {"email": {}, "length": {"max": 255}}, required=True),
    _default_attribute("firstName", {"length": {"max": 255}, "person-name-prohibited-characters": {}}, required=True),
    _default_attribute("lastName", {"length": {"max": 255}, "person-name-prohibited-characters": {}}, required=True),
)


def render_spec(spec: Path | str, out: Path | str) -> list[Path]:
    """Load the spec at ``spec`` and write one ``<realm>.json`` per realm into ``out``; return the paths."""
    out = Path(out)
    states = compile_realms(load_spec(spec))
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise SourceError(f"{out}: cannot create the output directory: {exc.strerror}") from None
    written = []
    for state in states:
        path = out / f"{state.realm}.json"
        text = json.dumps(realm_representation(state), ensure_ascii=False, indent=2) + "\n"
        try:
            path.write_text(text, encoding="utf-8")
        except OSError as exc:
            raise SourceError(f"{path}: cannot write: {exc.strerror}") from None
        written.append(path)
    return written
