"""Compiling the model to a realm representation, offline."""

from __future__ import annotations

import json

import pytest

from groupid.errors import SpecError
from groupid.keycloak_terms import ATTR_CODE
from groupid.operations import render_spec
from groupid.spec import load_spec
from groupid.state import USER_ATTRIBUTES, compile_realms, realm_representation
from tests.test_example import EXAMPLE


@pytest.fixture(scope="module")
def group():
    return load_spec(EXAMPLE)


def test_group_tree_mirrors_companies_and_departments(group):
    (state,) = compile_realms(group)
    paths = {node.code: path for path, node in state.walk_groups()}
    assert set(paths) == {c.code for c in group.companies} | {d.code for d in group.departments}
    for company in group.companies:
        if company.parent:
            assert paths[company.code] == f"{paths[company.parent]}/{company.name}"
    for dept in group.departments:
        above = dept.parent or dept.company
        assert paths[dept.code] == f"{paths[above]}/{dept.name}"


def test_representation_carries_codes_roles_and_user_profile(group):
    (state,) = compile_realms(group)
    rep = realm_representation(state)
    assert rep["realm"] == group.realm and rep["enabled"] is True
    root = rep["groups"][0]
    assert root["attributes"][ATTR_CODE] == [group.companies[0].code]
    roles = {r["name"]: r for r in rep["roles"]["realm"]}
    for role in group.roles:
        assert roles[role.name].get("composites", {}).get("realm", []) == role.composites
    (provider,) = rep["components"]["org.keycloak.userprofile.UserProfileProvider"]
    profile = json.loads(provider["config"]["kc.user.profile.config"][0])
    declared = [a["name"] for a in profile["attributes"]]
    assert declared[:4] == ["username", "email", "firstName", "lastName"]
    assert {name for name, _ in USER_ATTRIBUTES} <= set(declared)


def test_render_writes_one_file_per_realm_and_is_deterministic(tmp_path):
    first = render_spec(EXAMPLE, tmp_path / "a")
    second = render_spec(EXAMPLE, tmp_path / "b")
    assert [p.name for p in first] == ["xinghe.json"]
    assert first[0].read_bytes() == second[0].read_bytes()
    assert "星河控股集团有限公司" in first[0].read_text(encoding="utf-8")  # readable, not \\u-escaped


def topology_spec(tmp_path, topology: str, extra: str = "") -> object:
    text = (EXAMPLE / "group.yaml").read_text(encoding="utf-8").replace("topology: groups", f"topology: {topology}{extra}")
    # two organizations cannot share an email domain: give the Suzhou subsidiary its own
    text = text.replace("region: 苏州, email_domains: [mfg.xinghe.example.cn]", "region: 苏州, email_domains: [sz.xinghe.example.cn]")
    for name in ("roles.yaml", "org.csv"):
        (tmp_path / name).write_bytes((EXAMPLE / name).read_bytes())
    (tmp_path / "group.yaml").write_text(text, encoding="utf-8")
    return load_spec(tmp_path)


def test_organizations_topology_has_one_organization_per_company(tmp_path):
    group = topology_spec(tmp_path, "organizations")
    (state,) = compile_realms(group)
    assert [o.code for o in state.organizations] == [c.code for c in group.companies]
    sz = next(o for o in state.organizations if o.code == "XH-MFG-SZ")
    assert (sz.alias, sz.attributes["parent_company"]) == ("xh-mfg-sz", ["XH-MFG"])
    rep = realm_representation(state)
    assert rep["organizationsEnabled"] is True and len(rep["organizations"]) == len(group.companies)
    assert len(list(state.walk_groups())) == 51  # the group tree is there as well


def test_realm_per_company_splits_off_the_sovereign_companies(tmp_path):
    group = topology_spec(tmp_path, "realm-per-company", ", public_url: 'https://sso.xinghe.example.cn'")
    main, finance = compile_realms(group)
    assert (main.realm, finance.realm) == ("xinghe", "xinghe-xh-fin")
    assert "XH-FIN" not in {node.code for _, node in main.walk_groups()}
    assert {node.code for _, node in finance.walk_groups()} == {"XH-FIN"} | {
        d.code for d in group.departments if d.company == "XH-FIN"}
    (client,) = main.clients
    (idp,) = finance.identity_providers
    assert client.client_id == idp.representation["config"]["clientId"] == "groupid-link-xinghe-xh-fin"
    assert idp.representation["config"]["issuer"] == "https://sso.xinghe.example.cn/realms/xinghe"
    assert idp.secret_from == ("xinghe", "groupid-link-xinghe-xh-fin")
    assert "clientSecret" not in idp.representation["config"]
    written = render_spec(tmp_path, tmp_path / "out")
    assert [p.name for p in written] == ["xinghe.json", "xinghe-xh-fin.json"]


def test_realm_per_company_needs_a_url_to_link_realms(tmp_path):
    with pytest.raises(SpecError) as caught:
        topology_spec(tmp_path, "realm-per-company")
    (problem,) = caught.value.problems
    assert problem.where.line == 6 and "set public_url" in problem.message
    # a group built in code goes through the same check when its realms are compiled
    group = topology_spec(tmp_path, "realm-per-company", ", public_url: 'https://sso.xinghe.example.cn'")
    with pytest.raises(SpecError, match="set public_url"):
        compile_realms(group.model_copy(update={"public_url": None}))


def test_link_client_name_is_cut_to_fit_keycloak(tmp_path):
    group = topology_spec(tmp_path, "realm-per-company", ", public_url: 'https://sso.xinghe.example.cn'")
    long_name = "财" * 255
    companies = [c.model_copy(update={"name": long_name}) if c.own_realm else c for c in group.companies]
    main, _ = compile_realms(group.model_copy(update={"companies": companies}))
    (client,) = main.clients
    name = client.representation["name"]
    assert len(name) == 255 and name.endswith("… (xinghe-xh-fin)") and name.startswith("财" * 200)


def test_topology_problems_are_raised_for_a_group_built_in_code(tmp_path):
    group = topology_spec(tmp_path, "organizations")
    twin = group.companies[1].model_copy(update={"code": group.companies[1].code.lower(), "email_domains": []})
    with pytest.raises(SpecError) as caught:
        compile_realms(group.model_copy(update={"companies": [*group.companies, twin]}))
    messages = [p.message for p in caught.value.problems]
    assert any("is already used by company XH-TECH" in m and "name" in m for m in messages)
    assert any("gives the organization alias 'xh-tech'" in m for m in messages)
