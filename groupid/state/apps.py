"""The group's apps in the desired realm state: a client per app, its client roles, who holds them, and the
sign-in flow that keeps everyone else out.

Who may sign in is enforced by Keycloak itself. An app with an audience gets the client role
:data:`~groupid.keycloak_terms.ACCESS_ROLE`, granted to the audience's company and department groups (members of
sub-groups inherit it) and made part of the audience's realm roles; the app's own browser flow refuses whoever
lacks it (docs/apps.md). ``role_map`` grants the app's client roles the same way. Every grant is an ordinary
group-role mapping or composite, so an audience change is part of the plan like any other.
"""

from __future__ import annotations

from dataclasses import replace

from groupid.apps import app_realm, catalog_for
from groupid.apps.clients import client_representation
from groupid.apps.context import client_id
from groupid.keycloak_terms import ACCESS_ROLE, role_reference, sign_in_flow_alias, split_reference
from groupid.model import App, Group
from groupid.state.nodes import ClientNode, GroupNode, RealmState, RoleNode, SignInFlowNode


def with_apps(group: Group, states: list[RealmState]) -> list[RealmState]:
    """``states`` with the group's apps compiled into the realm each app lives in."""
    if not group.apps:
        return states
    catalog = catalog_for(group)
    client_ids = {app.id: client_id(app, catalog.get(app.template)) for app in group.apps}
    by_realm = {state.realm: state for state in states}
    for app in group.apps:
        realm = app_realm(group, app)
        if realm in by_realm:
            by_realm[realm] = _with_app(by_realm[realm], app, client_ids[app.id], catalog, group.directory)
    return [_client_refs(by_realm[state.realm], client_ids) for state in states]


def _with_app(state: RealmState, app: App, cid: str, catalog, directory: str | None) -> RealmState:
    template = catalog.get(app.template)
    client = ClientNode(cid, client_representation(app, template), app.secret_file, directory)
    roles = [RoleNode(name, None, (), cid) for name in app.roles]
    grants: dict[str, list[str]] = {}  # holder (a group code or a realm role) -> references of client roles
    for name, holders in app.role_map.items():
        for holder in holders:
            grants.setdefault(holder, []).append(role_reference(cid, name))
    flows = ()
    if not app.audience.everyone:
        access = role_reference(cid, ACCESS_ROLE)
        roles.append(RoleNode(ACCESS_ROLE, f"may sign in to {app.name or app.id}", (), cid))
        for holder in [*app.audience.companies, *app.audience.departments, *app.audience.roles]:
            grants.setdefault(holder, []).append(access)
        flows = (SignInFlowNode(sign_in_flow_alias(cid), cid, access),)
    realm_roles = {role.name for role in state.roles if role.client is None}
    return replace(
        state,
        clients=(*state.clients, client),
        roles=tuple(_grant_role(role, grants) for role in state.roles) + tuple(roles),
        groups=tuple(_grant_group(node, grants, realm_roles) for node in state.groups),
        sign_in_flows=(*state.sign_in_flows, *flows),
    )


def _grant_role(role: RoleNode, grants: dict[str, list[str]]) -> RoleNode:
    added = [ref for ref in grants.get(role.name, []) if role.client is None and ref not in role.composites]
    return replace(role, composites=(*role.composites, *added)) if added else role


def _grant_group(node: GroupNode, grants: dict[str, list[str]], realm_roles: set[str]) -> GroupNode:
    added = [ref for ref in grants.get(node.code, []) if ref not in node.roles] if node.code not in realm_roles else []
    children = tuple(_grant_group(child, grants, realm_roles) for child in node.children)
    return replace(node, roles=(*node.roles, *added), children=children)


def _client_refs(state: RealmState, client_ids: dict[str, str]) -> RealmState:
    """The spec names an app's roles ``<app id>/<role>``; Keycloak by the clientId, which a SAML app's differs."""
    if all(app_id == cid for app_id, cid in client_ids.items()):
        return state

    def ref(value: str) -> str:
        client, name = split_reference(value)
        return role_reference(client_ids.get(client, client), name) if client else value

    def node(group: GroupNode) -> GroupNode:
        return replace(group, roles=tuple(map(ref, group.roles)), children=tuple(map(node, group.children)))

    roles = tuple(replace(r, composites=tuple(map(ref, r.composites))) for r in state.roles)
    return replace(state, roles=roles, groups=tuple(map(node, state.groups)),
                   default_roles=tuple(map(ref, state.default_roles)))
