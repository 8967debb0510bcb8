"""Who may sign in to an app, proven with a real OIDC client against the real Keycloak.

The spec's app is planned and applied by groupid into a fresh realm; people are then signed in through
Keycloak's own login form by authlib (authorization code with PKCE, :mod:`tests.oidc_login`). Inside the audience
they get tokens whose ID token verifies against the realm's keys; outside it, Keycloak's error page; and a mover
who leaves the audience is refused at the next sign-in, with or without the session Keycloak still holds.
"""

from __future__ import annotations

import textwrap

import pytest

from groupid.apply import apply_plans
from groupid.diff import DiffOptions
from groupid.keycloak_terms import ACCESS_ROLE, ATTR_CODE, sign_in_flow_alias
from groupid.operations import plan_spec
from groupid.plan import load_plans, save_plans
from groupid.realms import KeycloakServer
from groupid.realms.keycloak.flows import DENY_MESSAGE, shape
from groupid.realms.memory import MemoryRealms
from groupid.views import as_text
from tests.oidc_login import Browser, Client, sign_in, verified_id_token

CALLBACK = "http://127.0.0.1:9/callback"  # never followed: the code is taken from the redirect to it

SPEC = """\
group: {code: BC, name: 北辰集团, realm: REALM, public_url: URL}
companies:
  - {code: BC, name: 北辰集团有限公司}
  - {code: BC-TECH, name: 北辰科技有限公司, parent: BC}
  - {code: BC-MFG, name: 北辰制造有限公司, parent: BC}
departments:
  - {code: BC-TECH-OPS, name: 运维部, company: BC-TECH}
roles:
  - {name: auditor, description: 审计}
apps:
  - id: wiki
    name: 集团知识库
    template: generic-oidc
    redirect_uris: [CALLBACK]
    audience: {companies: [BC-TECH], roles: [auditor]}
    roles: [reader, editor]
    role_map: {editor: [BC-TECH-OPS]}
"""

TECH, OPS, MFG = "/北辰集团有限公司/北辰科技有限公司", "/北辰集团有限公司/北辰科技有限公司/运维部", "/北辰集团有限公司/北辰制造有限公司"


@pytest.fixture(scope="module")
def server(keycloak) -> KeycloakServer:
    return KeycloakServer(keycloak)


@pytest.fixture(scope="module")
def spec(tmp_path_factory, keycloak, realm_name):
    path = tmp_path_factory.mktemp("spec")
    text = SPEC.replace("REALM", realm_name).replace("URL", keycloak.server_url).replace("CALLBACK", CALLBACK)
    (path / "group.yaml").write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def plan(spec, server, **options):
    (only,) = plan_spec(spec, server, options=DiffOptions(**options))
    return only


@pytest.fixture(scope="module")
def applied(spec, server, realm_name):
    """The spec applied to a fresh realm; the plan that did it."""
    first = plan(spec, server)
    apply_plans([first], server)
    return first


@pytest.fixture(scope="module")
def groups(applied, server, realm_name) -> dict[str, str]:
    """The ids of the realm's groups, by path."""
    live = server.read(realm_name)
    return {path: group_id for group_id, path in live.paths().items()}


@pytest.fixture(scope="module")
def client(applied, server, keycloak, realm_name) -> Client:
    """The app's client as the app holds it: the issuer groupid tells it, its id, secret and redirect URI."""
    return Client(f"{keycloak.server_url}/realms/{realm_name}", "wiki", CALLBACK, server.client_secret(realm_name, "wiki"))


def person(server, realm, groups, username: str, *paths: str) -> str:
    """A user with a password, a member of the groups at ``paths``; its id."""
    user_id = server.create_user(realm, {
        "username": username, "enabled": True, "email": f"{username}@beichen.example.cn", "emailVerified": True,
        "firstName": username, "lastName": "测试", "credentials": [{"type": "password", "value": f"pw-{username}",
                                                                   "temporary": False}]})
    for path in paths:
        server.add_member(realm, groups[path], user_id)
    return user_id


def test_the_plan_makes_the_flow_and_a_second_plan_is_empty(applied, spec, server, realm_name):
    # the client comes before its roles, the flow after the grants of the role it checks
    kinds = [change.kind for change in applied.changes]
    assert kinds.index("client") < kinds.index("role") and kinds.index("group-roles") < kinds.index("sign-in-flow")
    assert 'who may sign in to wiki: "everyone in the realm" → "holders of wiki/groupid-access only"' in as_text([applied])
    (flow,) = server.read(realm_name).sign_in_flows
    assert (flow.alias, flow.client_id, flow.role, flow.complete) == (sign_in_flow_alias("wiki"), "wiki", f"wiki/{ACCESS_ROLE}", True)
    assert plan(spec, server).empty


def test_the_flow_has_the_steps_that_keep_others_out(applied, server, realm_name):
    executions = server.flows.executions(realm_name, sign_in_flow_alias("wiki"))
    assert [(e["level"], "flow" if e.get("authenticationFlow") else e["providerId"], e["requirement"]) for e in executions] == shape()


def test_an_insider_signs_in_and_the_id_token_says_who(applied, server, realm_name, groups, client):
    person(server, realm_name, groups, "insider", OPS)
    result = sign_in(client, "insider", "pw-insider")
    assert result.signed_in, result.refusal
    claims = verified_id_token(client, result)
    assert claims["iss"] == client.discovery()["issuer"] == client.issuer
    assert claims["aud"] == "wiki" or "wiki" in claims["aud"]
    assert claims["email"] == "insider@beichen.example.cn" and claims["preferred_username"] == "insider"
    assert claims["groups"] == [OPS]
    # its client roles: the access role from the company, editor from the department
    assert sorted(claims["roles"]) == sorted([ACCESS_ROLE, "editor"])


def test_a_holder_of_an_audience_role_signs_in_from_anywhere(applied, server, realm_name, groups, client):
    user_id = person(server, realm_name, groups, "auditor1", MFG)
    assert not sign_in(client, "auditor1", "pw-auditor1").signed_in
    server.transport.request("POST", f"admin/realms/{realm_name}/users/{user_id}/role-mappings/realm", "grant",
                             body=[server.transport.request("GET", f"admin/realms/{realm_name}/roles/auditor", "find")])
    assert sign_in(client, "auditor1", "pw-auditor1").signed_in


def test_an_outsider_is_refused_by_keycloak(applied, server, realm_name, groups, client):
    person(server, realm_name, groups, "outsider", MFG)
    result = sign_in(client, "outsider", "pw-outsider")
    assert not result.signed_in
    assert result.status == 401 and DENY_MESSAGE in result.refusal
    # the right password still matters: a wrong one is the login form again, not the refusal
    wrong = sign_in(client, "outsider", "not-the-password")
    assert not wrong.signed_in and DENY_MESSAGE not in wrong.refusal


def test_a_mover_who_leaves_the_audience_is_refused_at_the_next_sign_in(applied, server, realm_name, groups, client):
    user_id = person(server, realm_name, groups, "mover", TECH)
    cookies = Browser()
    assert sign_in(client, "mover", "pw-mover", cookies).signed_in
    # a session open: the next sign-in needs no password
    assert sign_in(client, "mover", "", cookies).signed_in

    server.remove_member(realm_name, groups[TECH], user_id)
    server.add_member(realm_name, groups[MFG], user_id)

    # no apply needed: the grant is the group's. Refused with the session Keycloak still holds, and without it
    again = sign_in(client, "mover", "", cookies)
    assert not again.signed_in and DENY_MESSAGE in again.refusal
    fresh = sign_in(client, "mover", "pw-mover")
    assert not fresh.signed_in and DENY_MESSAGE in fresh.refusal


def test_a_flow_missing_a_step_is_rebuilt(applied, spec, server, realm_name, groups, client):
    # someone switches the audience check off in the admin console: everyone may sign in, and the plan says so
    person(server, realm_name, groups, "guest", MFG)
    alias = sign_in_flow_alias("wiki")
    check = next(e for e in server.flows.executions(realm_name, alias) if e["displayName"] == f"{alias} audience")
    server.transport.request("PUT", f"admin/realms/{realm_name}/authentication/flows/{alias}/executions", "damage",
                             body={"id": check["id"], "requirement": "DISABLED", "priority": check["priority"]})
    assert sign_in(client, "guest", "pw-guest").signed_in
    assert not server.read(realm_name).sign_in_flows[0].complete

    (change,) = plan(spec, server).changes
    assert (change.kind, [(f.name, f.old, f.new) for f in change.fields]) == \
        ("sign-in-flow", [("steps", "incomplete", "complete")])
    apply_plans([plan(spec, server)], server)
    assert server.read(realm_name).sign_in_flows[0].complete and plan(spec, server).empty
    assert not sign_in(client, "guest", "pw-guest").signed_in


def test_an_audience_of_everyone_drops_the_flow(applied, spec, server, realm_name, groups, client):
    person(server, realm_name, groups, "visitor", MFG)
    assert not sign_in(client, "visitor", "pw-visitor").signed_in
    text = (spec / "group.yaml").read_text(encoding="utf-8")
    (spec / "group.yaml").write_text(text.replace("    audience: {companies: [BC-TECH], roles: [auditor]}\n", ""),
                                     encoding="utf-8")

    # the app stays: its flow goes without --prune, with the grants of the access role (the role is kept)
    changed = plan(spec, server)
    assert ("delete", "sign-in-flow") in {(change.action.value, change.kind) for change in changed.changes}
    assert any(finding.kind == "role" and finding.key == f"wiki/{ACCESS_ROLE}" for finding in changed.findings)
    assert 'who may sign in to wiki: "holders of wiki/groupid-access only" → "everyone in the realm"' in as_text([changed])
    apply_plans([changed], server)
    assert server.read(realm_name).sign_in_flows == []
    assert sign_in(client, "visitor", "pw-visitor").signed_in
    assert plan(spec, server).empty
    # the group that held the access role holds it no more
    company = next(g for g in server.read(realm_name).groups if g.attribute(ATTR_CODE) == "BC-TECH")
    assert f"wiki/{ACCESS_ROLE}" not in company.role_refs()


def test_in_memory_the_flow_is_planned_brought_back_and_pruned(tmp_path):
    # the same plan against the in-memory Keycloak: created, idempotent, rebound when unbound, saved and pruned
    memory, path = MemoryRealms(), tmp_path / "spec"
    path.mkdir()
    text = SPEC.replace("REALM", "beichen").replace("URL", "https://sso.beichen.example").replace("CALLBACK", CALLBACK)
    (path / "group.yaml").write_text(text, encoding="utf-8")
    apply_plans([plan(path, memory)], memory)
    assert [(f.client_id, f.role) for f in memory.read("beichen").sign_in_flows] == [("wiki", f"wiki/{ACCESS_ROLE}")]
    assert plan(path, memory).empty

    wiki = next(c for c in memory.read("beichen").clients if c.client_id == "wiki")
    memory.update_client("beichen", wiki.id, {"authenticationFlowBindingOverrides": {"browser": ""}})
    rebind = plan(path, memory)
    (change,) = rebind.changes
    assert (change.action.value, change.kind, [(f.name, f.old, f.new) for f in change.fields]) == \
        ("update", "sign-in-flow", [("client", None, "wiki")])
    save_plans([rebind], tmp_path / "plan.json")
    apply_plans(load_plans(tmp_path / "plan.json"), memory, saved=True)
    assert plan(path, memory).empty

    (path / "group.yaml").write_text(text.replace("    audience: {companies: [BC-TECH], roles: [auditor]}\n", ""),
                                     encoding="utf-8")
    apply_plans([plan(path, memory)], memory)
    assert memory.read("beichen").sign_in_flows == [] and plan(path, memory).empty

    # an app gone from the spec: its flow is pruned with it, and kept without --prune
    memory.put_sign_in_flow("beichen", sign_in_flow_alias("wiki"), "wiki", f"wiki/{ACCESS_ROLE}")
    (path / "group.yaml").write_text(text.split("apps:")[0], encoding="utf-8")
    assert "sign-in-flow" in {finding.kind for finding in plan(path, memory).findings}
    assert ("delete", "sign-in-flow") in {(c.action.value, c.kind) for c in plan(path, memory, prune=True).changes}
