"""plan, apply and export on the command line, against the real Keycloak: output, exit codes, guards."""

from __future__ import annotations

import json

import pytest

from groupid.realms import KeycloakServer
from tests.conftest import temporary_realm
from tests.test_cli import closed_port, invoke
from tests.test_example import EXAMPLE


@pytest.fixture
def env(keycloak, monkeypatch):
    monkeypatch.setenv("GROUPID_SERVER_URL", keycloak.server_url)
    monkeypatch.setenv("GROUPID_ADMIN_USER", keycloak.admin_user)
    monkeypatch.setenv("GROUPID_ADMIN_PASSWORD", keycloak.admin_password)
    monkeypatch.delenv("GROUPID_CLIENT_ID", raising=False)
    return keycloak


@pytest.fixture
def realm(env):
    with temporary_realm(env, "cli") as name:
        yield name


def test_plan_apply_plan_with_detailed_exit_codes(realm):
    pending = invoke("plan", str(EXAMPLE), "--realm", realm, "--detailed-exitcode")
    assert pending.exit_code == 2
    assert pending.output.startswith(f"realm {realm}: ")
    assert "+ create group XH-TECH-RD-PLAT-QA (/星河控股集团有限公司/星河科技有限公司/研发中心/平台研发部/测试组)" in pending.output

    applied = invoke("apply", str(EXAMPLE), "--realm", realm, "--yes")
    assert applied.exit_code == 0
    # 122: the 85 of the org and roles, and the example's apps (their clients, client roles, grants and sign-in flows); 1: the default roles
    assert f"realm {realm}: 122 created, 1 updated, 0 deleted" in applied.output

    clean = invoke("plan", str(EXAMPLE), "--realm", realm, "--detailed-exitcode")
    assert clean.exit_code == 0
    assert clean.output.strip() == f"realm {realm}: no changes"


def test_json_and_markdown_views(realm):
    as_json = invoke("plan", str(EXAMPLE), "--realm", realm, "--json")
    assert as_json.exit_code == 0
    document = json.loads(as_json.output)
    (plan,) = document["plans"]
    assert plan["realm"] == realm
    assert plan["counts"] == {"create": 122, "update": 1, "delete": 0} and len(plan["changes"]) == 123
    markdown = invoke("plan", str(EXAMPLE), "--realm", realm, "--markdown")
    assert markdown.output.startswith(f"### groupid plan — realm {realm}: ")
    assert "| + | group | group XH (/星河控股集团有限公司) |  |" in markdown.output


def test_saved_plan_applies_and_a_stale_one_exits_3(realm, env, tmp_path):
    saved = tmp_path / "plan.json"
    assert invoke("plan", str(EXAMPLE), "--realm", realm, "-o", str(saved)).exit_code == 0
    assert invoke("apply", str(saved), "--yes").exit_code == 0
    assert invoke("plan", str(EXAMPLE), "--realm", realm, "--detailed-exitcode").exit_code == 0

    spec = tmp_path / "spec"
    spec.mkdir()
    for name in ("group.yaml", "roles.yaml", "org.csv"):
        (spec / name).write_bytes((EXAMPLE / name).read_bytes())
    text = (spec / "group.yaml").read_text(encoding="utf-8").replace("星河科技有限公司", "星河数字科技有限公司")
    (spec / "group.yaml").write_text(text, encoding="utf-8")
    assert invoke("plan", str(spec), "--realm", realm, "-o", str(saved)).exit_code == 0
    server = KeycloakServer(env)
    server.create_group(realm, None, "有人刚建的组", {})
    stale = invoke("apply", str(saved), "--yes")
    assert stale.exit_code == 3
    assert "changed after the plan was made (or the plan was applied already); nothing was written" in stale.stderr
    assert "星河数字科技有限公司" not in {g.name for g in server.read(realm).groups}


def test_deletion_guard_exits_3_and_force_goes_through(realm, tmp_path):
    assert invoke("apply", str(EXAMPLE), "--realm", realm, "--yes").exit_code == 0
    spec = tmp_path / "spec"
    spec.mkdir()
    (spec / "group.yaml").write_text(
        "group: {code: XH, name: 星河控股集团, realm: xinghe}\n"
        "companies:\n  - {code: XH, name: 星河控股集团有限公司, uscc: 91310000MA1FL3XK2T, region: 上海, "
        "email_domains: [xinghe.example.cn]}\n", encoding="utf-8")
    refused = invoke("apply", str(spec), "--realm", realm, "--prune", "--yes")
    assert refused.exit_code == 3
    assert "nothing was written" in refused.stderr
    assert invoke("plan", str(EXAMPLE), "--realm", realm, "--detailed-exitcode").exit_code == 0
    forced = invoke("apply", str(spec), "--realm", realm, "--prune", "--yes", "--force")
    assert forced.exit_code == 0 and " deleted" in forced.output


def test_apply_off_a_terminal_needs_yes(realm, env):
    result = invoke("apply", str(EXAMPLE), "--realm", realm)
    assert result.exit_code == 1
    assert "pass --yes" in result.stderr
    assert not KeycloakServer(env).realm_exists(realm)


def test_export_then_plan_shows_no_changes(realm, tmp_path):
    assert invoke("apply", str(EXAMPLE), "--realm", realm, "--yes").exit_code == 0
    exported = invoke("export", "--realm", realm, "--out", str(tmp_path / "exported"))
    assert exported.exit_code == 0
    assert exported.output.startswith(f"wrote {tmp_path / 'exported' / 'group.yaml'}: 6 companies, 45 departments")
    assert invoke("plan", str(tmp_path / "exported"), "--detailed-exitcode").exit_code == 0


def test_plan_against_an_unreachable_server(monkeypatch):
    monkeypatch.setenv("GROUPID_ADMIN_USER", "admin")
    monkeypatch.setenv("GROUPID_ADMIN_PASSWORD", "x")
    url = f"http://127.0.0.1:{closed_port()}"
    result = invoke("plan", str(EXAMPLE), "--server-url", url)
    assert result.exit_code == 1
    assert result.stderr.startswith(f"error: Keycloak at {url} does not answer (sign in): Connection refused")


def test_plan_with_wrong_credentials(env, monkeypatch):
    monkeypatch.setenv("GROUPID_ADMIN_PASSWORD", "wrong")
    result = invoke("plan", str(EXAMPLE))
    assert result.exit_code == 1
    assert "refused the credentials of user 'admin' (realm master)" in result.stderr
