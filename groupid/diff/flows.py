"""Who may sign in to each app: its own browser flow, compared by alias.

A flow is created when missing, and updated when the role it checks differs, when its client does not use it
(the binding is gone, or the client was recreated) or when a step of it is missing. The flows whose alias
begins with :data:`~groupid.keycloak_terms.SIGN_IN_FLOW_PREFIX` are groupid's. The flow of an app whose
audience is now everyone is deleted by the plan that takes the access role from the audience; the flow of an
app gone from the spec is pruned like any owned object (kept without ``--prune``, it keeps refusing everyone,
for the app's grants are gone: a client left behind fails closed).
"""

from __future__ import annotations

from groupid.diff.context import RealmComparison, field_changes
from groupid.keycloak_terms import ATTR_MANAGED
from groupid.payloads import SignInFlowPayload
from groupid.plan import Create, Delete, Update

KIND = "sign-in-flow"


def diff_sign_in_flows(comparison: RealmComparison) -> None:
    """Create, update and prune the sign-in flows of the realm's apps."""
    live = {flow.alias: flow for flow in comparison.live.sign_in_flows}
    # a client made by hand gets no flow of groupid's bound to it, unless adopted (its diff says so already)
    by_hand = {c.client_id for c in comparison.live.clients if c.attributes.get(ATTR_MANAGED) != "true"}
    for node in comparison.desired.sign_in_flows:
        label = f"sign-in flow of client {node.client_id} (only holders of {node.role})"
        if node.client_id in by_hand and not comparison.options.adopt:
            continue
        current = live.get(node.alias)
        if current is None:
            fields = field_changes({"client": (None, node.client_id), "role": (None, node.role)})
            comparison.changes.append(Create(KIND, node.alias, label, SignInFlowPayload(node.alias, node.client_id, node.role),
                                             fields))
            continue
        fields = field_changes({
            "client": (current.client_id, node.client_id),
            "role": (current.role, node.role),
            "steps": ("incomplete" if not current.complete else "complete", "complete"),
        })
        if fields:
            payload = SignInFlowPayload(node.alias, node.client_id, node.role, current.id)
            comparison.changes.append(Update(KIND, node.alias, label, payload, fields))
    wanted = {node.alias for node in comparison.desired.sign_in_flows}
    apps = {client.client_id for client in comparison.desired.clients}
    for alias, current in live.items():
        if alias not in wanted:
            payload = SignInFlowPayload(alias, current.client_id, current.role, current.id)
            bound = f"client {current.client_id}" if current.client_id else "no client"
            delete = Delete(KIND, alias, f"sign-in flow {alias} (of {bound})", payload)
            if current.client_id in apps:
                # the app stays and its audience is now everyone: its grants go in this plan, and a flow kept
                # would refuse everyone; an audience change is part of the plan, pruning or not
                comparison.changes.append(delete)
            else:
                comparison.prune_or_report(delete)
