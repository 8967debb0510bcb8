"""Keycloak's JSON for a desired realm: the RealmRepresentation its own import accepts, and the user profile.

The user profile declares every user attribute groupid writes: Keycloak 24+ silently drops undeclared ones.
"""

from __future__ import annotations

import json

from groupid.keycloak_terms import (
    ATTR_MANAGED,
    KEYCLOAK_CLIENTS,
    KEYCLOAK_DEFAULT_ROLES,
    default_role_name,
    split_reference,
)
from groupid.state.desired import GroupNode, RealmState, RoleNode

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
    ("disabled_on", "停用日期"),  # set by a sync when it disables a leaver; the grace period counts from it
    ("source_anchor", "来源系统标识"),  # the person's immutable ID in a source that has one (a directory entry's)
)
"""User attributes groupid writes, with the display names the admin console shows."""

USER_PROFILE_GROUP = "groupid"


def realm_representation(state: RealmState) -> dict:
    """The realm as a Keycloak RealmRepresentation, ready for Keycloak's own import."""
    default_role = {
        "name": default_role_name(state.realm),
        "description": "${role_default-roles}",
        "composite": True,
        "composites": _composites_representation([*KEYCLOAK_DEFAULT_ROLES, *state.default_roles]),
    }
    return {
        "realm": state.realm,
        "displayName": state.display_name,
        "enabled": True,
        "groups": [_group_representation(node) for node in state.groups],
        "roles": {
            "realm": [
                *(_role_representation(role) for role in state.roles if role.client is None),
                # an import names every role its default role includes, Keycloak's own ones too
                *({"name": name, "description": text} for name, text in KEYCLOAK_DEFAULT_ROLES.items()),
                default_role,
            ]
        },
        "defaultRole": {"name": default_role["name"], "composite": True},
        **_organizations_representation(state),
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


def _organizations_representation(state: RealmState) -> dict:
    """Organizations for an import. Links between realms (clients, identity providers) are left to apply:
    they need a client secret, and rendered files never carry secrets."""
    if not state.organizations_enabled:
        return {}
    return {
        "organizationsEnabled": True,
        "organizations": [
            {"name": org.name, "alias": org.alias, "enabled": True, "attributes": org.attributes,
             "domains": [{"name": domain} for domain in org.domains]}
            for org in state.organizations
        ],
    }


def _group_representation(node: GroupNode) -> dict:
    return {
        "name": node.name,
        "attributes": node.attributes,
        **_mappings_representation(node.roles),
        "subGroups": [_group_representation(child) for child in node.children],
    }


def _role_representation(role: RoleNode) -> dict:
    representation: dict = {"name": role.name, "composite": bool(role.composites), "attributes": {ATTR_MANAGED: ["true"]}}
    if role.description:
        representation["description"] = role.description
    if role.composites:
        representation["composites"] = _composites_representation(role.composites)
    return representation


def _importable(refs) -> tuple[list[str], dict[str, list[str]]]:
    """Realm role names and client roles by clientId, for an import.

    Roles of the apps' clients are left out: an import of the realm alone has no such clients yet;
    ``groupid apply`` grants them once the clients exist.
    """
    realm, clients = [], {}
    for ref in refs:
        client, name = split_reference(ref)
        if not client:
            realm.append(name)
        elif client in KEYCLOAK_CLIENTS:
            clients.setdefault(client, []).append(name)
    return realm, clients


def _composites_representation(refs) -> dict:
    realm, clients = _importable(refs)
    return {"realm": realm, **({"client": clients} if clients else {})}


def _mappings_representation(refs) -> dict:
    realm, clients = _importable(refs)
    return {"realmRoles": realm, **({"clientRoles": clients} if clients else {})}


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
