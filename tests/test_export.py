"""Export writes a spec that plans to no changes; adopting a hand-built realm is export, plan, apply --adopt."""

from __future__ import annotations

from groupid.apply import apply_plans
from groupid.diff import DiffOptions
from groupid.export import export_realm
from groupid.keycloak_terms import ATTR_CODE, ATTR_MANAGED
from groupid.operations import plan_spec
from groupid.spec import load_spec
from tests.test_example import EXAMPLE
from tests.test_plan_apply import adapter, realm  # noqa: F401  (fixtures: memory and the real Keycloak)


def test_export_of_an_applied_realm_round_trips(adapter, realm, tmp_path):
    (made,) = plan_spec(EXAMPLE, adapter, realm=realm)
    apply_plans([made], adapter)
    result = export_realm(adapter, realm, tmp_path / "exported")
    assert (result.companies, result.departments, result.generated_codes) == (6, 45, 0)
    exported = load_spec(tmp_path / "exported")
    original = load_spec(EXAMPLE)
    assert {(c.code, c.parent, c.uscc) for c in exported.companies} == {(c.code, c.parent, c.uscc) for c in original.companies}
    assert {(d.code, d.company, d.parent, tuple(d.roles)) for d in exported.departments} == {
        (d.code, d.company, d.parent, tuple(d.roles)) for d in original.departments}
    (again,) = plan_spec(tmp_path / "exported", adapter)
    assert again.empty and not again.findings


def test_a_hand_built_realm_is_adopted_in_one_apply(adapter, realm, tmp_path):
    adapter.create_realm(realm, None)
    adapter.create_role(realm, "staff", "员工", {})
    adapter.create_role(realm, "approver", None, {})
    adapter.add_composites(realm, "approver", ["staff"])
    top = adapter.create_group(realm, None, "老集团", {"region": ["北京"]})
    finance = adapter.create_group(realm, top, "财务处", {})
    adapter.create_group(realm, finance, "出纳科", {})
    adapter.add_group_roles(realm, finance, ["approver"])

    result = export_realm(adapter, realm, tmp_path / "legacy")
    assert (result.companies, result.departments, result.generated_codes) == (1, 2, 3)
    (review,) = plan_spec(tmp_path / "legacy", adapter)
    assert review.empty  # nothing to change: the spec is the realm
    assert {f.kind for f in review.findings} == {"group", "role"}

    (adopt,) = plan_spec(tmp_path / "legacy", adapter, options=DiffOptions(adopt=True))
    apply_plans([adopt], adapter)
    live = adapter.read(realm)
    assert all(g.attribute(ATTR_MANAGED) == "true" and g.attribute(ATTR_CODE) for g in live.groups)
    assert next(g for g in live.groups if g.id == finance).realm_roles == ["approver"]
    assert {g.id for g in live.groups} >= {top, finance}
    (after,) = plan_spec(tmp_path / "legacy", adapter)
    assert after.empty and not [f for f in after.findings if f.kind == "group"]
