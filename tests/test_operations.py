"""The operations the commands run, against the in-memory realm: import a rendered realm, then plan and apply."""

from __future__ import annotations

import json

import pytest

from groupid.apps import catalog_for
from groupid.apps.context import client_id
from groupid.errors import KeycloakError, RealmExists
from groupid.keycloak_terms import ATTR_CODE
from groupid.operations import apply_target, import_realm, plan_spec, render_spec
from groupid.realms import MemoryRealms
from groupid.spec import load_spec
from groupid.state import USER_ATTRIBUTES, compile_realms
from tests.test_example import EXAMPLE


@pytest.fixture
def rendered(tmp_path):
    (path,) = render_spec(EXAMPLE, tmp_path)
    return path


def test_a_rendered_realm_imports_into_memory(rendered):
    realms = MemoryRealms()
    result = import_realm(rendered, realms, realm="xinghe-copy")
    group = load_spec(EXAMPLE)
    assert result.created and result.realm == "xinghe-copy" and result.server_url == "Keycloak (in memory)"
    assert result.groups == len(group.companies) + len(group.departments)
    assert result.roles == len(group.roles)
    assert realms.requests == 1, "one import, one request, as Keycloak's own import is"

    live = realms.read("xinghe-copy")
    (state,) = compile_realms(group)
    paths = live.paths()
    assert {paths[g.id]: g.attribute(ATTR_CODE) for g in live.groups} == {p: n.code for p, n in state.walk_groups()}
    live_roles = {role.name: role for role in live.roles}
    for role in group.roles:
        assert sorted(live_roles[role.name].composites) == sorted(role.composites)
    assert set(group.default_roles) <= set(live.default_roles)
    declared = {attribute["name"] for attribute in live.user_profile["attributes"]}
    assert {name for name, _ in USER_ATTRIBUTES} <= declared


def test_an_imported_realm_plans_to_no_changes_but_the_apps(rendered):
    """A rendered realm holds no app clients (apply makes them, then grants their roles): the rest plans to nothing."""
    realms = MemoryRealms()
    import_realm(rendered, realms)
    (plan,) = plan_spec(EXAMPLE, realms)
    group = load_spec(EXAMPLE)
    catalog = catalog_for(group)
    apps = {client_id(app, catalog.get(app.template)) for app in group.apps}
    assert {c.key for c in plan.changes if c.kind == "client"} == apps
    others = [(c.kind, c.key) for c in plan.changes if c.kind not in ("client", "composites", "group-roles", "sign-in-flow")]
    assert others and all(kind == "role" and key.rpartition("/")[0] in apps for kind, key in others), others
    for change in plan.changes:
        if change.kind in ("composites", "group-roles"):
            assert all(f.new is None or all(r.rpartition("/")[0] in apps for r in set(f.new) - set(f.old or ()))
                       for f in change.fields), change
    apply_target(EXAMPLE, realms)
    (again,) = plan_spec(EXAMPLE, realms)
    assert again.empty, [(change.kind, change.action, change.key) for change in again.changes]


def test_an_existing_realm_is_never_overwritten(rendered):
    realms = MemoryRealms()
    import_realm(rendered, realms)
    realms.delete_group("xinghe", realms.read("xinghe").groups[0].id)
    with pytest.raises(RealmExists, match="realm 'xinghe' already exists"):
        import_realm(rendered, realms)
    skipped = import_realm(rendered, realms, skip_existing=True)
    assert not skipped.created
    assert realms.read("xinghe").groups == [], "left as it was"


def test_a_failed_import_leaves_no_realm_behind(rendered, tmp_path):
    representation = json.loads(rendered.read_text(encoding="utf-8"))
    representation["groups"][0]["realmRoles"] = ["no-such-role"]
    broken = tmp_path / "broken.json"
    broken.write_text(json.dumps(representation), encoding="utf-8")
    realms = MemoryRealms()
    with pytest.raises(KeycloakError, match="HTTP 404"):
        import_realm(broken, realms)
    assert not realms.realm_exists("xinghe")


def test_apply_shows_checks_confirms_then_applies(tmp_path):
    realms = MemoryRealms()
    seen = []
    results = apply_target(EXAMPLE, realms, show=lambda plans: seen.append("show"),
                           confirm=lambda plans: seen.append("confirm"))
    assert seen == ["show", "confirm"]
    assert results and results[0][0].realm == "xinghe" and results[0][1].done
    seen.clear()
    assert apply_target(EXAMPLE, realms, show=lambda plans: seen.append("show"),
                        confirm=lambda plans: seen.append("confirm")) == []
    assert seen == ["show"], "nothing to change: nothing to confirm"
