"""An app's own browser flow, over the Admin REST API: who may sign in to the app, enforced by Keycloak at login.

Keycloak runs the executions of one level of a flow by their requirements, and it ignores ALTERNATIVE ones that
stand beside a REQUIRED or CONDITIONAL one. So the sign-in is a REQUIRED sub-flow of its own, holding the
alternatives the realm's browser flow offers, and the check of the role comes after it in a CONDITIONAL
sub-flow (:data:`STEPS`)::

    groupid-sign-in-<clientId>                      basic-flow, top level
    ├── … authenticate                     REQUIRED
    │   ├── Cookie (auth-cookie)                  ALTERNATIVE   a session already open signs in
    │   ├── Identity Provider Redirector          ALTERNATIVE   kc_idp_hint still works
    │   └── … forms                        ALTERNATIVE
    │       ├── Username Password Form            REQUIRED
    │       └── … one-time code            CONDITIONAL   asked of whoever set one up
    │           ├── Condition - user configured   REQUIRED
    │           └── OTP Form                      REQUIRED
    └── … audience                         CONDITIONAL   runs when the user lacks the role (negated)
        ├── Condition - user role                 REQUIRED      condUserRole = clientId.role, negate = true
        └── Deny access                           REQUIRED      Keycloak's error page, with groupid's words

The flow is made once and bound to the client (its ``authenticationFlowBindingOverrides.browser``); later
changes of the role replace the condition's configuration only. A flow that lacks one of these steps (someone
edited it) reads as not ``complete`` and is rebuilt. Sub-flow aliases are unique within a realm, so each begins
with the flow's own alias.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote

from groupid.keycloak_terms import SIGN_IN_FLOW_PREFIX, role_from_string, role_string, split_reference
from groupid.realms.keycloak.clients import PARTS
from groupid.realms.keycloak.transport import AdminTransport, KeycloakAnswer, admin_url, created_id
from groupid.realms.live import LiveSignInFlow
from groupid.text import escape

DENY_MESSAGE = "您不在此应用的使用范围内，无法登录。You are not among the people who may sign in to this app."
"""What Keycloak's error page says to whoever the flow refuses."""

ROLE_CONDITION = "conditional-user-role"
DENY = "deny-access-authenticator"


@dataclass(frozen=True)
class Step:
    """One execution of the flow: an authenticator (``provider``) or, with ``steps``, a sub-flow called ``name``."""

    name: str
    requirement: str
    provider: str | None = None
    steps: tuple[Step, ...] = ()


STEPS = (
    Step("authenticate", "REQUIRED", steps=(
        Step("cookie", "ALTERNATIVE", "auth-cookie"),
        Step("identity provider", "ALTERNATIVE", "identity-provider-redirector"),
        Step("forms", "ALTERNATIVE", steps=(
            Step("password", "REQUIRED", "auth-username-password-form"),
            Step("one-time code", "CONDITIONAL", steps=(
                Step("configured", "REQUIRED", "conditional-user-configured"),
                Step("code", "REQUIRED", "auth-otp-form"),
            )),
        )),
    )),
    Step("audience", "CONDITIONAL", steps=(
        Step("role", "REQUIRED", ROLE_CONDITION),
        Step("deny", "REQUIRED", DENY),
    )),
)
"""The steps of a sign-in flow, in order (see the module's docstring)."""


def shape(steps: tuple[Step, ...] = STEPS, level: int = 0) -> list[tuple[int, str, str]]:
    """The executions a complete flow lists, depth first: (level, provider or ``flow``, requirement)."""
    rows = []
    for step in steps:
        rows.append((level, step.provider or "flow", step.requirement))
        rows += shape(step.steps, level + 1)
    return rows


def sub_flow_alias(alias: str, step: Step) -> str:
    """The alias of a sub-flow of the flow ``alias``: unique within the realm, as Keycloak wants it."""
    return f"{alias} {step.name}"


class SignInFlows:
    """The sign-in flows of a :class:`~groupid.realms.keycloak.KeycloakServer`, read and written over its transport."""

    def __init__(self, transport: AdminTransport):
        self.transport = transport

    # -- reading -----------------------------------------------------------------------------------------

    def read(self, realm: str, bindings: dict[str, str], client_ids: set[str]) -> list[LiveSignInFlow]:
        """The realm's sign-in flows, by alias: one request for the list, then two for each sign-in flow.

        ``bindings`` maps the id of each client's browser flow override to the clientId; ``client_ids`` are the
        clients of the realm, to tell a client role from a realm role with a dot in its name.
        """
        url, action = admin_url(realm, "authentication", "flows"), f"read the authentication flows of {realm}"
        flows = [f for f in self.transport.request("GET", url, action) or () if f["alias"].startswith(SIGN_IN_FLOW_PREFIX)]
        return [self._live(realm, flow, bindings, client_ids) for flow in sorted(flows, key=lambda f: f["alias"])]

    def _live(self, realm: str, flow: dict, bindings: dict[str, str], client_ids: set[str]) -> LiveSignInFlow:
        """One sign-in flow as groupid sees it: the role its condition checks, its client, whether it is whole."""
        executions = self.executions(realm, flow["alias"])
        condition = next((e for e in executions if e.get("providerId") == ROLE_CONDITION), None)
        config = self._config(realm, condition) if condition else {}
        role = config.get("condUserRole")
        return LiveSignInFlow(
            alias=flow["alias"], id=flow["id"],
            role=role_from_string(role, client_ids) if role else None,
            client_id=bindings.get(flow["id"]),
            complete=_rows(executions) == shape() and config.get("negate") == "true",
        )

    def executions(self, realm: str, alias: str) -> list[dict]:
        """Every execution of the flow ``alias``, its sub-flows' included, depth first, with their levels."""
        url = admin_url(realm, "authentication", "flows", alias, "executions")
        return self.transport.request("GET", url, f"read the steps of flow '{escape(alias)}' of {realm}") or []

    def _config(self, realm: str, execution: dict) -> dict[str, str]:
        """The configuration of an execution; empty when it has none."""
        if not execution.get("authenticationConfig"):
            return {}
        url = admin_url(realm, "authentication", "config", execution["authenticationConfig"])
        answer = self.transport.request("GET", url, f"read the configuration of a step of {realm}", missing_ok=True)
        return (answer or {}).get("config") or {}

    # -- writing -----------------------------------------------------------------------------------------

    def put(self, realm: str, alias: str, client_id: str, role: str) -> None:
        """Make ``alias`` the browser flow of ``client_id``, refusing whoever lacks ``role``; see the module."""
        action = f"set the sign-in flow of client '{escape(client_id)}' of {realm}"
        client_uuid = self._client_uuid(realm, client_id, action)
        self._check_role(realm, role, action)
        flow = self._flow(realm, alias)
        executions = self.executions(realm, alias) if flow else []
        condition = next((e for e in executions if e.get("providerId") == ROLE_CONDITION), None)
        if flow and _rows(executions) == shape() and condition and condition.get("authenticationConfig"):
            url = admin_url(realm, "authentication", "config", condition["authenticationConfig"])
            self.transport.request("PUT", url, action, body={"alias": f"{alias} role", "config": _condition(role)})
            flow_id = flow["id"]
        else:
            if flow:
                self._remove(realm, flow, action)
            flow_id = self._build(realm, alias, role, action)
        self._bind(realm, client_uuid, flow_id, action)

    def delete(self, realm: str, alias: str) -> None:
        """Unbind the flow ``alias`` from every client that has it as its browser flow, then delete it."""
        action = f"delete the sign-in flow '{escape(alias)}' of {realm}"
        flow = self._flow(realm, alias)
        if flow is None:
            raise self.transport.refusal(action, KeycloakAnswer(404, None, f"no flow has the alias '{escape(alias)}'"))
        self._remove(realm, flow, action)

    def _remove(self, realm: str, flow: dict, action: str) -> None:
        """Delete a flow, after giving every client that uses it the realm's browser flow back."""
        # Keycloak refuses to delete a flow a client uses (26.5 answers HTTP 500): the clients go back to the
        # realm's flow first
        clients = self.transport.pages(admin_url(realm, "clients"), action)
        for client in [c for c in clients if (c.get("authenticationFlowBindingOverrides") or {}).get("browser") == flow["id"]]:
            self._bind(realm, client["id"], "", action)
        self.transport.request("DELETE", admin_url(realm, "authentication", "flows", flow["id"]), action)

    def _build(self, realm: str, alias: str, role: str, action: str) -> str:
        """Create the flow ``alias`` with every step of :data:`STEPS`; return its id."""
        body = {"alias": alias, "providerId": "basic-flow", "topLevel": True, "builtIn": False,
                "description": f"groupid: only holders of {role} may sign in"}
        flow_id = created_id(self.transport.request("POST", admin_url(realm, "authentication", "flows"), action,
                                                    body=body, raw=True))
        self._add_steps(realm, alias, alias, STEPS, role, action)
        return flow_id

    def _add_steps(self, realm: str, top: str, parent: str, steps: tuple[Step, ...], role: str, action: str) -> None:
        """Add ``steps`` to the flow ``parent`` (part of the flow ``top``), each with its requirement and config."""
        base = admin_url(realm, "authentication", "flows", parent, "executions")
        for number, step in enumerate(steps, 1):
            # Keycloak orders the steps of a level by priority; without one, those it gives may tie
            priority = number * 10
            if step.steps:
                sub = sub_flow_alias(top, step)
                body = {"alias": sub, "type": "basic-flow", "provider": "registration-page-form", "description": "",
                        "priority": priority}
                sub_id = created_id(self.transport.request("POST", f"{base}/flow", action, body=body, raw=True))
                # Keycloak answers the new sub-flow's id; its execution in the parent is found by it
                execution_id = next(e["id"] for e in self.executions(realm, parent) if e.get("flowId") == sub_id)
            else:
                response = self.transport.request("POST", f"{base}/execution", action, body={"provider": step.provider,
                                                  "priority": priority}, raw=True)
                execution_id = created_id(response)
            # Keycloak adds every execution DISABLED; a change that leaves its priority out sets it to 0
            body = {"id": execution_id, "requirement": step.requirement, "priority": priority}
            self.transport.request("PUT", base, action, body=body)
            config = {ROLE_CONDITION: _condition(role), DENY: {"denyErrorMessage": DENY_MESSAGE}}.get(step.provider)
            if config:
                url = admin_url(realm, "authentication", "executions", execution_id, "config")
                self.transport.request("POST", url, action, body={"alias": f"{top} {step.name}", "config": config})
            if step.steps:
                self._add_steps(realm, top, sub_flow_alias(top, step), step.steps, role, action)

    def _flow(self, realm: str, alias: str) -> dict | None:
        """The top-level flow ``alias``, or None."""
        flows = self.transport.request("GET", admin_url(realm, "authentication", "flows"),
                                       f"read the authentication flows of {realm}") or ()
        return next((f for f in flows if f["alias"] == alias), None)

    def _bind(self, realm: str, client_uuid: str, flow_id: str, action: str) -> None:
        """Make ``flow_id`` the client's browser flow; an empty one gives it the realm's back."""
        url = admin_url(realm, "clients", client_uuid)
        # a PUT without webOrigins makes Keycloak derive them from the redirect URIs: the client is sent back
        # whole, with only its binding changed (its mappers and scopes have their own endpoints)
        client = self.transport.request("GET", url, action)
        body = {key: value for key, value in client.items() if key not in PARTS}
        body["authenticationFlowBindingOverrides"] = {**(client.get("authenticationFlowBindingOverrides") or {}),
                                                      "browser": flow_id}
        self.transport.request("PUT", url, action, body=body)

    def _client_uuid(self, realm: str, client_id: str, action: str) -> str:
        """The id of the client ``client_id`` (matched exactly); none is an error saying HTTP 404."""
        found = self.transport.request("GET", admin_url(realm, "clients"), action, params={"clientId": client_id})
        if not found:
            raise self.transport.refusal(action, KeycloakAnswer(404, None, f"no client has the clientId '{escape(client_id)}'"))
        return found[0]["id"]

    def _check_role(self, realm: str, ref: str, action: str) -> None:
        """Refuse a role that does not exist: Keycloak's condition would let everyone through (it reads a
        missing role as not held, and the condition is negated)."""
        client_id, name = split_reference(ref)
        url = admin_url(realm, "roles", name) if client_id is None else \
            f"{admin_url(realm, 'clients', self._client_uuid(realm, client_id, action), 'roles')}/{quote(name, safe='')}"
        if self.transport.request("GET", url, action, missing_ok=True) is None:
            raise self.transport.refusal(action, KeycloakAnswer(404, None, f"no role '{escape(ref)}'"))


def _rows(executions: list[dict]) -> list[tuple[int, str, str]]:
    """Executions as :func:`shape` lists them."""
    return [(e["level"], "flow" if e.get("authenticationFlow") else e.get("providerId"), e["requirement"])
            for e in executions]


def _condition(role: str) -> dict[str, str]:
    """The configuration of the role condition: true when the user lacks ``role``."""
    return {"condUserRole": role_string(role), "negate": "true"}
