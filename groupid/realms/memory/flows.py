"""The sign-in flows of the in-memory Keycloak: an app's own browser flow, kept as little as reading it needs.

Keycloak keeps a flow as a tree of steps (:mod:`groupid.realms.keycloak.flows` builds it); the store keeps what
groupid reads back of one: its alias and id, and the role its condition checks, spelled as Keycloak's
configuration spells it (``clientId.role``). A client's binding is in its representation, as Keycloak answers
it: ``authenticationFlowBindingOverrides.browser`` holds the flow's id.
"""

from __future__ import annotations

import uuid

from groupid.keycloak_terms import SIGN_IN_FLOW_PREFIX, role_from_string, role_string
from groupid.realms.live import LiveSignInFlow
from groupid.realms.memory.store import RealmState, found
from groupid.realms.representations import browser_flow_bindings


def live_flows(state: RealmState) -> list[LiveSignInFlow]:
    """The realm's sign-in flows, by alias, as the real server's are read."""
    bindings = browser_flow_bindings(state.clients.values())
    client_ids = {client["clientId"] for client in state.clients.values()}
    return [
        LiveSignInFlow(flow["alias"], flow["id"], role_from_string(flow["role"], client_ids), bindings.get(flow["id"]))
        for alias, flow in sorted(state.flows.items()) if alias.startswith(SIGN_IN_FLOW_PREFIX)
    ]


def put_flow(state: RealmState, alias: str, client: dict, role: str) -> None:
    """Make ``alias`` the browser flow of ``client`` (its stored representation), checking ``role`` (a reference
    known to exist); a flow of that alias gets the new role."""
    flow = state.flows.setdefault(alias, {"id": str(uuid.uuid4()), "alias": alias})
    flow["role"] = role_string(role)
    bind(client, flow["id"])


def delete_flow(state: RealmState, alias: str, action: str) -> None:
    """Unbind the flow ``alias`` from every client whose browser flow it is, then delete it (HTTP 404 when none)."""
    flow = found(state.flows, alias, action, "Could not find flow")
    for client in state.clients.values():
        if (client.get("authenticationFlowBindingOverrides") or {}).get("browser") == flow["id"]:
            bind(client, "")
    del state.flows[alias]


def bind(client: dict, flow_id: str) -> None:
    """Make ``flow_id`` the client's browser flow; an empty one gives it the realm's back, as Keycloak does."""
    overrides = dict(client.get("authenticationFlowBindingOverrides") or {})
    if flow_id:
        overrides["browser"] = flow_id
    else:
        overrides.pop("browser", None)
    client["authenticationFlowBindingOverrides"] = overrides
