"""Compiling the model to a realm representation, offline."""

from __future__ import annotations

import json

import pytest

from groupid.errors import ConfigurationError
from groupid.spec import load_spec
from groupid.state import ATTR_CODE, USER_ATTRIBUTES, compile_realms, realm_representation, render_spec
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


def test_topologies_other_than_groups_are_refused_clearly(tmp_path):
    (tmp_path / "group.yaml").write_text("group: {code: X, name: 甲, realm: x, topology: organizations}\n", encoding="utf-8")
    with pytest.raises(ConfigurationError, match="topology 'organizations' cannot be rendered yet"):
        render_spec(tmp_path, tmp_path / "out")
