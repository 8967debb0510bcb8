"""Plan and apply, end to end: each test runs against the in-memory realm and against the real Keycloak."""

from __future__ import annotations

import copy
import json
import textwrap
import uuid
from pathlib import Path

import pytest

from groupid.apply import apply_plans
from groupid.diff import DiffOptions
from groupid.errors import ApplyFailed, ConfigurationError, SafetyGuardRefused, SourceError, StalePlan
from groupid.keycloak_terms import ATTR_CODE, ATTR_MANAGED
from groupid.operations import plan_spec
from groupid.plan import PLAN_FORMAT, Plan, load_plans, save_plans
from groupid.realms import KeycloakServer
from groupid.realms.memory import MemoryRealms
from groupid.state import USER_ATTRIBUTES
from groupid.views import as_markdown, as_text
from tests.test_example import EXAMPLE

SPEC = """\
group: {code: BC, name: 北辰集团, realm: REALM, default_roles: [employee]}
companies:
  - {code: BC, name: 北辰集团有限公司, roles: [employee]}
  - {code: BC-TECH, name: 北辰科技有限公司, parent: BC}
departments:
  - {code: BC-HR, name: 人力资源部, company: BC, roles: [hr-admin]}
  - {code: BC-TECH-RD, name: 研发中心, company: BC-TECH}
  - {code: BC-TECH-RD-QA, name: 测试组, company: BC-TECH, parent: BC-TECH-RD}
  - {code: BC-TECH-OPS, name: 运维部, company: BC-TECH}
roles:
  - {name: employee, description: 员工}
  - {name: hr-admin, description: 人事管理员, composites: [employee]}
"""


@pytest.fixture(params=["memory", pytest.param("keycloak", marks=pytest.mark.keycloak)])
def adapter(request):
    if request.param == "memory":
        return MemoryRealms()
    return KeycloakServer(request.getfixturevalue("keycloak"))


@pytest.fixture
def realm(adapter):
    name = f"t-plan-{uuid.uuid4().hex[:8]}"
    yield name
    if isinstance(adapter, KeycloakServer) and adapter.realm_exists(name):
        adapter.delete_realm(name)


@pytest.fixture
def spec(tmp_path, realm):
    """A spec directory; ``spec.write(text)`` replaces its content (REALM stands for the test's realm)."""

    class Spec:
        path = tmp_path / "spec"

        def write(self, text: str) -> None:
            self.path.mkdir(exist_ok=True)
            (self.path / "group.yaml").write_text(textwrap.dedent(text).replace("REALM", realm), encoding="utf-8")

        def edit(self, old: str, new: str) -> None:
            text = (self.path / "group.yaml").read_text(encoding="utf-8")
            assert old in text
            (self.path / "group.yaml").write_text(text.replace(old, new), encoding="utf-8")

    spec = Spec()
    spec.write(SPEC)
    return spec


def plan(spec, adapter, **options) -> Plan:
    (only,) = plan_spec(spec.path, adapter, options=DiffOptions(**options))
    return only


def apply(spec, adapter, **options) -> Plan:
    made = plan(spec, adapter, **options)
    apply_plans([made], adapter)
    return made


def groups_by_code(adapter, realm):
    live = adapter.read(realm)
    paths = live.paths()
    return {g.attribute(ATTR_CODE): (g, paths[g.id]) for g in live.groups if g.attribute(ATTR_CODE)}


def test_apply_from_empty_then_nothing_to_change(spec, adapter, realm):
    first = apply(spec, adapter)
    assert first.counts()["create"] > 0 and first.counts()["delete"] == 0
    groups = groups_by_code(adapter, realm)
    assert groups["BC-TECH-RD-QA"][1] == "/北辰集团有限公司/北辰科技有限公司/研发中心/测试组"
    assert groups["BC-HR"][0].realm_roles == ["hr-admin"]
    assert groups["BC"][0].attributes[ATTR_MANAGED] == ["true"]
    live = adapter.read(realm)
    roles = {r.name: r for r in live.roles}
    assert roles["hr-admin"].composites == ["employee"]
    assert "employee" in live.default_roles
    declared = {a["name"] for a in live.user_profile["attributes"]}
    assert {name for name, _ in USER_ATTRIBUTES} <= declared
    assert plan(spec, adapter).empty


def test_hand_made_drift_is_shown_and_reverted(spec, adapter, realm):
    apply(spec, adapter)
    groups = groups_by_code(adapter, realm)
    rd = groups["BC-TECH-RD"][0]
    adapter.update_group(realm, rd.id, "研发部（手改）", {**rd.attributes, "region": ["火星"]})
    adapter.remove_group_roles(realm, groups["BC-HR"][0].id, ["hr-admin"])
    adapter.update_role(realm, "employee", "被改过", {ATTR_MANAGED: ["true"]})

    drift = plan(spec, adapter)
    changed = {(c.kind, c.key): {f.name: (f.old, f.new) for f in c.fields} for c in drift.changes}
    assert changed[("group", "BC-TECH-RD")] == {"name": ("研发部（手改）", "研发中心"), "attributes.region": ("火星", None)}
    assert changed[("group-roles", "BC-HR")] == {"roles": ([], ["hr-admin"])}
    assert changed[("role", "employee")] == {"description": ("被改过", "员工")}

    apply_plans([drift], adapter)
    assert plan(spec, adapter).empty
    assert groups_by_code(adapter, realm)["BC-TECH-RD"][0].id == rd.id


def test_rename_and_move_keep_members_and_role_mappings(spec, adapter, realm):
    apply(spec, adapter)
    qa = groups_by_code(adapter, realm)["BC-TECH-RD-QA"][0]
    user = adapter.create_user(realm, {"username": "lina", "enabled": True, "firstName": "娜", "lastName": "李",
                                       "email": "lina@example.cn"})
    adapter.add_member(realm, qa.id, user)
    adapter.add_group_roles(realm, qa.id, ["employee"])  # drift that the spec must see as such
    spec.edit("{code: BC-TECH-RD-QA, name: 测试组, company: BC-TECH, parent: BC-TECH-RD}",
              "{code: BC-TECH-RD-QA, name: 质量保障组, company: BC-TECH, parent: BC-TECH-OPS, roles: [employee]}")

    moved = plan(spec, adapter)
    (change,) = [c for c in moved.changes if c.key == "BC-TECH-RD-QA"]
    assert change.action == "update"
    assert {f.name: (f.old, f.new) for f in change.fields} == {
        "name": ("测试组", "质量保障组"), "parent": ("BC-TECH-RD", "BC-TECH-OPS")}

    apply_plans([moved], adapter)
    group, path = groups_by_code(adapter, realm)["BC-TECH-RD-QA"]
    assert group.id == qa.id
    assert path == "/北辰集团有限公司/北辰科技有限公司/运维部/质量保障组"
    assert adapter.members(realm, qa.id) == [user]
    assert group.realm_roles == ["employee"]
    assert plan(spec, adapter).empty


def test_move_a_department_to_another_company(spec, adapter, realm):
    apply(spec, adapter)
    ops = groups_by_code(adapter, realm)["BC-TECH-OPS"][0]
    spec.edit("{code: BC-TECH-OPS, name: 运维部, company: BC-TECH}", "{code: BC-TECH-OPS, name: 运维部, company: BC}")
    apply(spec, adapter)
    group, path = groups_by_code(adapter, realm)["BC-TECH-OPS"]
    assert (group.id, path) == (ops.id, "/北辰集团有限公司/运维部")
    assert group.attributes["company_code"] == ["BC"]


def test_prune_deletes_only_owned_objects(spec, adapter, realm):
    apply(spec, adapter)
    groups = groups_by_code(adapter, realm)
    handmade_top = adapter.create_group(realm, None, "手工建的组", {})
    handmade_child = adapter.create_group(realm, groups["BC-TECH-OPS"][0].id, "值班小组", {})
    adapter.create_role(realm, "handmade-role", None, {})
    spec.edit("  - {code: BC-TECH-RD-QA, name: 测试组, company: BC-TECH, parent: BC-TECH-RD}\n", "")
    spec.edit("  - {code: BC-TECH-OPS, name: 运维部, company: BC-TECH}\n", "")
    spec.edit("  - {name: hr-admin, description: 人事管理员, composites: [employee]}\n", "")
    spec.edit("roles: [hr-admin]", "roles: []")

    kept = plan(spec, adapter)
    assert not [c for c in kept.changes if c.action == "delete"]
    assert {f.key for f in kept.findings} == {"BC-TECH-RD-QA", "BC-TECH-OPS", "hr-admin"}

    pruned = plan(spec, adapter, prune=True)
    assert sorted((c.kind, c.key) for c in pruned.changes if c.action == "delete") == [
        ("group", "BC-TECH-RD-QA"), ("role", "hr-admin")]
    ops_finding = next(f for f in pruned.findings if f.key == "BC-TECH-OPS")
    assert "值班小组" in ops_finding.message  # an owned group holding a hand-made one is kept
    apply_plans([pruned], adapter)

    live = adapter.read(realm)
    ids = {g.id for g in live.groups}
    assert {handmade_top, handmade_child, groups["BC-TECH-OPS"][0].id} <= ids
    assert groups["BC-TECH-RD-QA"][0].id not in ids
    assert {r.name for r in live.roles} >= {"handmade-role", "employee"} and "hr-admin" not in {r.name for r in live.roles}


def test_unmanaged_match_is_reported_and_adopted_on_request(spec, adapter, realm):
    adapter.create_realm(realm, "北辰集团")
    top = adapter.create_group(realm, None, "北辰集团有限公司", {"cost_center": ["0001"]})
    adapter.create_role(realm, "employee", "手工建的", {})

    first = plan(spec, adapter)
    assert {(f.kind, f.key) for f in first.findings} >= {("group", "BC"), ("role", "employee")}
    assert not [c for c in first.changes if c.key == "BC" and c.kind == "group"]
    apply_plans([first], adapter)  # creates the rest under the unmanaged group, leaves it alone
    assert groups_by_code(adapter, realm)["BC-TECH"][1] == "/北辰集团有限公司/北辰科技有限公司"
    assert ATTR_CODE not in next(g for g in adapter.read(realm).groups if g.id == top).attributes

    apply(spec, adapter, adopt=True)
    adopted = groups_by_code(adapter, realm)["BC"][0]
    assert adopted.id == top
    assert adopted.attributes["cost_center"] == ["0001"]  # attributes groupid does not manage are kept
    assert plan(spec, adapter).empty


def test_saved_plan_is_refused_when_the_realm_changed(spec, adapter, realm, tmp_path):
    apply(spec, adapter)
    spec.edit("name: 研发中心", "name: 研发与创新中心")
    save_plans([plan(spec, adapter)], tmp_path / "plan.json")
    (saved,) = load_plans(tmp_path / "plan.json")
    assert [c.key for c in saved.changes] == ["BC-TECH-RD"]

    adapter.create_group(realm, None, "别人刚建的组", {})
    before = adapter.read(realm)
    with pytest.raises(StalePlan, match=r"changed after the plan was made \(or the plan was applied already\); nothing was written"):
        apply_plans([saved], adapter, saved=True)
    assert adapter.read(realm) == before


def test_saved_plan_applies_as_reviewed(spec, adapter, realm, tmp_path):
    apply(spec, adapter)
    spec.edit("name: 研发中心", "name: 研发与创新中心")
    save_plans([plan(spec, adapter)], tmp_path / "plan.json")
    apply_plans(load_plans(tmp_path / "plan.json"), adapter, saved=True)
    assert groups_by_code(adapter, realm)["BC-TECH-RD"][1] == "/北辰集团有限公司/北辰科技有限公司/研发与创新中心"


def test_deletion_guard_refuses_and_writes_nothing(spec, adapter, realm):
    many = "".join(f"  - {{code: BC-D{i:02}, name: 部门{i:02}, company: BC}}\n" for i in range(12))
    spec.edit("departments:\n", "departments:\n" + many)
    apply(spec, adapter)
    for i in range(12):
        spec.edit(f"  - {{code: BC-D{i:02}, name: 部门{i:02}, company: BC}}\n", "")
    risky = plan(spec, adapter, prune=True)
    assert risky.counts()["delete"] == 12
    before = adapter.read(realm)
    with pytest.raises(SafetyGuardRefused, match=r"deletes 12 of 18 managed groups .* nothing was written"):
        apply_plans([risky], adapter)
    assert adapter.read(realm) == before
    apply_plans([risky], adapter, force=True)
    assert plan(spec, adapter, prune=True).empty


def test_the_example_applies_cleanly(adapter, realm):
    (made,) = plan_spec(EXAMPLE, adapter, realm=realm)
    apply_plans([made], adapter)
    (again,) = plan_spec(EXAMPLE, adapter, realm=realm)
    assert again.empty, [c.label for c in again.changes]
    assert len(groups_by_code(adapter, realm)) == 51


def topology_example(tmp_path, realm: str, topology: str) -> object:
    """examples/xinghe under another topology and realm name, with its own directory."""
    spec = tmp_path / f"xinghe-{topology}"
    spec.mkdir()
    for name in ("roles.yaml", "org.csv"):
        (spec / name).write_bytes((EXAMPLE / name).read_bytes())
    text = (EXAMPLE / "group.yaml").read_text(encoding="utf-8")
    text = text.replace("realm: xinghe, topology: groups",
                        f"realm: {realm}, topology: {topology}, public_url: 'https://sso.xinghe.example.cn'")
    text = text.replace("region: 苏州, email_domains: [mfg.xinghe.example.cn]", "region: 苏州, email_domains: [sz.xinghe.example.cn]")
    (spec / "group.yaml").write_text(text, encoding="utf-8")
    return spec


def test_organizations_topology_applies_and_reads_back(adapter, realm, tmp_path):
    spec = topology_example(tmp_path, realm, "organizations")
    (made,) = plan_spec(spec, adapter)
    apply_plans([made], adapter)
    live = adapter.read(realm)
    assert live.organizations_enabled
    organizations = {o.attribute(ATTR_CODE): o for o in live.organizations}
    assert set(organizations) == {"XH", "XH-TECH", "XH-FIN", "XH-MFG", "XH-MFG-SZ", "XH-HK"}
    assert organizations["XH-TECH"].domains == ["tech.xinghe.example.cn"]
    assert organizations["XH-MFG-SZ"].attributes["parent_company"] == ["XH-MFG"]
    assert len(groups_by_code(adapter, realm)) == 51
    (again,) = plan_spec(spec, adapter)
    assert again.empty, [c.label for c in again.changes]

    text = (spec / "group.yaml").read_text(encoding="utf-8").replace("星河科技有限公司", "星河数字科技有限公司")
    (spec / "group.yaml").write_text(text, encoding="utf-8")
    (renamed,) = plan_spec(spec, adapter)
    assert {(c.kind, c.key) for c in renamed.changes} == {("organization", "XH-TECH"), ("group", "XH-TECH")}
    apply_plans([renamed], adapter)
    assert {o.name for o in adapter.read(realm).organizations} >= {"星河数字科技有限公司"}


def test_realm_per_company_gives_sovereign_companies_their_realm(adapter, realm, tmp_path):
    spec = topology_example(tmp_path, realm, "realm-per-company")
    plans = plan_spec(spec, adapter)
    assert [p.realm for p in plans] == [realm, f"{realm}-xh-fin"]
    try:
        apply_plans(plans, adapter)
        main, finance = adapter.read(realm), adapter.read(f"{realm}-xh-fin")
        assert "XH-FIN" not in {g.attribute(ATTR_CODE) for g in main.groups}
        assert {g.attribute(ATTR_CODE) for g in finance.groups if g.parent_id is None} == {"XH-FIN"}
        (client,) = [c for c in main.clients if c.client_id == f"groupid-link-{realm}-xh-fin"]
        assert client.redirect_uris == [f"/realms/{realm}-xh-fin/broker/{realm}/endpoint"]
        (idp,) = finance.identity_providers
        assert (idp.alias, idp.provider_id, idp.config["clientId"]) == (realm, "keycloak-oidc", client.client_id)
        assert idp.config["issuer"] == f"https://sso.xinghe.example.cn/realms/{realm}"
        assert "clientSecret" not in idp.config
        assert all(p.empty for p in plan_spec(spec, adapter)), "a second apply changes nothing"
    finally:
        if isinstance(adapter, KeycloakServer) and adapter.realm_exists(f"{realm}-xh-fin"):
            adapter.delete_realm(f"{realm}-xh-fin")


def test_plans_never_carry_secrets(adapter, realm, tmp_path):
    spec = topology_example(tmp_path, realm, "realm-per-company")
    plans = plan_spec(spec, adapter)
    save_plans(plans, tmp_path / "plan.json")
    (create,) = [c for c in plans[1].changes if c.kind == "identity-provider"]
    secret = next(f for f in create.fields if f.name == "config.clientSecret")
    assert secret.sensitive and create.to_dict()["fields"][-1]["new"] == "(sensitive)"
    assert "clientSecret" not in (tmp_path / "plan.json").read_text(encoding="utf-8").replace('"config.clientSecret"', "")


def test_client_roles_are_planned_granted_and_kept_in_line(spec, adapter, realm):
    spec.edit("  - {name: hr-admin, description: 人事管理员, composites: [employee]}\n",
              "  - {name: hr-admin, description: 人事管理员, composites: [employee]}\n"
              "  - {name: approve, client: oa, description: OA 审批, composites: [employee]}\n")
    spec.edit("{code: BC-HR, name: 人力资源部, company: BC, roles: [hr-admin]}",
              "{code: BC-HR, name: 人力资源部, company: BC, roles: [hr-admin, oa/approve, realm-management/view-users]}")
    with pytest.raises(ConfigurationError, match="the client of role oa/approve does not exist there"):
        plan(spec, adapter)

    adapter.create_realm(realm, "北辰集团")
    adapter.create_client(realm, {"clientId": "oa", "name": "OA", "enabled": True, "publicClient": False})
    apply(spec, adapter)
    live = adapter.read(realm)
    (approve,) = [r for r in live.client_roles if r.ref == "oa/approve"]
    assert (approve.description, approve.composites) == ("OA 审批", ["employee"])
    hr = groups_by_code(adapter, realm)["BC-HR"][0]
    assert hr.role_refs() == ["hr-admin", "oa/approve", "realm-management/view-users"]
    assert plan(spec, adapter).empty

    adapter.update_client_role(realm, "oa", "approve", "手改", {ATTR_MANAGED: ["true"]})
    adapter.remove_group_roles(realm, hr.id, ["realm-management/view-users"])
    drift = plan(spec, adapter)
    assert {(c.kind, c.key) for c in drift.changes} == {("role", "oa/approve"), ("group-roles", "BC-HR")}
    apply_plans([drift], adapter)
    assert plan(spec, adapter).empty


def test_the_deletion_guard_counts_the_groups_a_delete_takes_with_it(spec, adapter, realm):
    subs = "".join(f"  - {{code: BC-OPS-{i:02}, name: 小组{i:02}, company: BC-TECH, parent: BC-TECH-OPS}}\n" for i in range(12))
    spec.edit("departments:\n", "departments:\n" + subs)
    apply(spec, adapter)
    spec.edit(subs, "")
    spec.edit("  - {code: BC-TECH-OPS, name: 运维部, company: BC-TECH}\n", "")
    risky = plan(spec, adapter, prune=True)
    (delete,) = [c for c in risky.changes if c.action == "delete"]
    assert delete.label == "group BC-TECH-OPS (/北辰集团有限公司/北辰科技有限公司/运维部) and the 12 groups below it"
    assert delete.payload.cascade == 12 and not delete.fields  # the cascade is the payload's, not a field's
    below = "/北辰集团有限公司/北辰科技有限公司/运维部/小组00"
    assert f'deletes with it: (none) → ["{below}", ' in as_text([risky])
    assert "deletes with it: (none) → \\[" in as_markdown([risky]) and below in as_markdown([risky])
    with pytest.raises(SafetyGuardRefused, match="deletes 13 of 18 managed groups"):
        apply_plans([risky], adapter)


def test_a_new_code_never_takes_over_a_group_groupid_made_for_another(spec, adapter, realm):
    apply(spec, adapter)
    ops = groups_by_code(adapter, realm)["BC-TECH-OPS"][0]
    spec.edit("{code: BC-TECH-OPS, name: 运维部, company: BC-TECH}", "{code: BC-TECH-IT, name: 运维部, company: BC-TECH}")
    recoded = plan(spec, adapter, adopt=True, prune=True)
    assert [c for c in recoded.changes if c.key == "BC-TECH-IT"] == []
    assert any(f.key == "BC-TECH-IT" and "groupid's group BC-TECH-OPS is there" in f.message for f in recoded.findings)
    apply_plans([recoded], adapter)  # deletes BC-TECH-OPS
    apply(spec, adapter)  # now BC-TECH-IT is created
    groups = groups_by_code(adapter, realm)
    assert "BC-TECH-OPS" not in groups and groups["BC-TECH-IT"][0].id != ops.id


def test_a_move_takes_a_name_that_is_taken_under_the_old_parent(spec, adapter, realm):
    apply(spec, adapter)
    spec.edit("{code: BC-TECH-RD-QA, name: 测试组, company: BC-TECH, parent: BC-TECH-RD}",
              "{code: BC-TECH-RD-QA, name: 研发中心, company: BC-TECH, parent: BC-TECH-OPS}")
    apply(spec, adapter)
    assert groups_by_code(adapter, realm)["BC-TECH-RD-QA"][1] == "/北辰集团有限公司/北辰科技有限公司/运维部/研发中心"


def test_a_recreated_link_client_gives_its_new_secret_to_the_identity_provider(adapter, realm, tmp_path):
    spec = topology_example(tmp_path, realm, "realm-per-company")
    try:
        apply_plans(plan_spec(spec, adapter), adapter)
        (client,) = [c for c in adapter.read(realm).clients if c.client_id.startswith("groupid-link-")]
        adapter.delete_client(realm, client.id)
        main, finance = plan_spec(spec, adapter)
        assert [(c.action, c.kind) for c in main.changes] == [("create", "client")]
        (renew,) = finance.changes
        assert (renew.action, renew.kind, renew.payload.secret_from) == ("update", "identity-provider", (realm, client.client_id))
        assert [f.shown(f.new) for f in renew.fields] == ["(sensitive)"]
        apply_plans([main, finance], adapter)
        assert all(p.empty for p in plan_spec(spec, adapter))
    finally:
        if isinstance(adapter, KeycloakServer) and adapter.realm_exists(f"{realm}-xh-fin"):
            adapter.delete_realm(f"{realm}-xh-fin")


def test_a_damaged_saved_plan_is_an_error_not_a_crash(spec, adapter, realm, tmp_path):
    apply(spec, adapter)
    spec.edit("name: 研发中心", "name: 研发与创新中心")
    save_plans([plan(spec, adapter)], tmp_path / "plan.json")
    document = json.loads((tmp_path / "plan.json").read_text(encoding="utf-8"))
    payload = document["plans"][0]["changes"][0]["payload"]

    def damaged(**edits) -> Path:
        changed = copy.deepcopy(document)
        changed["plans"][0]["changes"][0]["payload"] = {k: v for k, v in {**payload, **edits}.items() if v != "DROP"}
        (tmp_path / "damaged.json").write_text(json.dumps(changed), encoding="utf-8")
        return tmp_path / "damaged.json"

    # a plan that reads back but names a group that is not there: the apply says how far it got
    before = adapter.read(realm)
    with pytest.raises(ApplyFailed, match=r"failed after 0 of 1 changes were applied"):
        apply_plans(load_plans(damaged(id="no-such-group", move=True)), adapter)
    assert adapter.read(realm) == before
    change = r"change 'group BC-TECH-RD \(/北辰集团有限公司/.*"  # the change, by its label
    for edits, problem in (({"name": "DROP"}, "field name is missing"), ({"move": "yes"}, "field move must be bool"),
                           ({"attributes": ["x"]}, "field attributes must be dict"), ({"colour": 1}, "field 'colour' is unknown")):
        with pytest.raises(SourceError, match=rf"damaged.json: not a groupid plan: {change}: {problem}"):
            load_plans(damaged(**edits))
    document["plans"][0]["changes"][0]["payload"] = None
    (tmp_path / "plan.json").write_text(json.dumps(document), encoding="utf-8")
    with pytest.raises(SourceError, match="not a groupid plan"):
        load_plans(tmp_path / "plan.json")
    document["plans"][0]["changes"][0]["kind"] = "printer"
    (tmp_path / "plan.json").write_text(json.dumps(document), encoding="utf-8")
    with pytest.raises(SourceError, match="plan.json: not a groupid plan: .* no kind 'printer'"):
        load_plans(tmp_path / "plan.json")


def test_a_plan_of_another_format_is_refused_cleanly(tmp_path):
    for made in (1, 3, "two"):
        (tmp_path / "old.json").write_text(json.dumps({"format": made, "plans": []}), encoding="utf-8")
        with pytest.raises(SourceError, match=r"old.json: a plan of format .*made by another groupid version; make the plan again"):
            load_plans(tmp_path / "old.json")


def test_a_saved_plan_reads_back_with_the_same_changes_and_payloads(spec, adapter, realm, tmp_path):
    apply(spec, adapter)
    spec.edit("  - {code: BC-TECH-OPS, name: 运维部, company: BC-TECH}\n", "")
    spec.edit("{code: BC-TECH-RD-QA, name: 测试组, company: BC-TECH, parent: BC-TECH-RD}",
              "{code: BC-TECH-RD-QA, name: 测试组, company: BC, roles: [employee]}")
    spec.edit("  - {name: hr-admin, description: 人事管理员, composites: [employee]}\n",
              "  - {name: hr-admin, description: 人事管理员}\n  - {name: auditor, composites: [hr-admin]}\n")
    made = plan(spec, adapter, prune=True)
    assert {type(c.payload).__name__ for c in made.changes} >= {"GroupPayload", "RolePayload", "CompositesPayload",
                                                                 "GroupRolesPayload"}
    save_plans([made], tmp_path / "plan.json")
    (saved,) = load_plans(tmp_path / "plan.json")
    assert saved.changes == made.changes and [c.payload for c in saved.changes] == [c.payload for c in made.changes]
    assert (saved.realm, saved.live_checksum, saved.managed, saved.findings) == (
        made.realm, made.live_checksum, made.managed, made.findings)
    assert json.loads((tmp_path / "plan.json").read_text(encoding="utf-8"))["format"] == PLAN_FORMAT == 2
