"""Apps' clients planned and applied in full, their secrets, and the sessions of who left an app's audience:
each test against the in-memory realm and against the real Keycloak."""

from __future__ import annotations

import textwrap
import uuid

import pytest

from groupid.apply import apply_plans
from groupid.diff import DiffOptions
from groupid.errors import ApplyFailed, ConfigurationError
from groupid.keycloak_terms import ACCESS_ROLE, ATTR_MANAGED
from groupid.operations import app_secret, plan_spec, rotate_app_secret
from groupid.realms import KeycloakServer
from groupid.realms.memory import MemoryRealms
from groupid.views import as_json, as_text
from tests import oidc_login
from tests.test_plan_apply import SPEC, adapter, realm  # noqa: F401 (fixtures)

APPS = """\
apps:
  - id: wiki
    name: 集团知识库
    template: generic-oidc
    base_url: https://wiki.beichen.example.cn
    audience: {departments: [BC-TECH-OPS]}
    roles: [reader, editor]
"""


@pytest.fixture
def spec(tmp_path, realm):
    path = tmp_path / "spec"
    path.mkdir()

    def write(apps: str = APPS) -> object:
        (path / "group.yaml").write_text(SPEC.replace("REALM", realm) + textwrap.dedent(apps), encoding="utf-8")
        return path

    write.path = path
    write()
    return write


def plan(spec, adapter, **options):
    (only,) = plan_spec(spec.path, adapter, options=DiffOptions(**options))
    return only


def apply(spec, adapter, revoke=False, **options):
    made = plan(spec, adapter, **options)
    (outcome,) = apply_plans([made], adapter, revoke_sessions=revoke)
    return made, outcome


def client(adapter, realm, client_id="wiki"):
    return next(c for c in adapter.read(realm).clients if c.client_id == client_id)


def test_an_app_client_is_created_in_full_and_then_nothing_changes(spec, adapter, realm):
    apply(spec, adapter)
    wiki = client(adapter, realm)
    assert wiki.name == "集团知识库" and not wiki.public_client
    assert wiki.redirect_uris == ["https://wiki.beichen.example.cn/oidc/callback"]
    assert {m["name"] for m in wiki.protocol_mappers} == {"groups", "roles", "audience"}
    assert wiki.default_client_scopes == ["basic", "email", "profile"]
    assert wiki.settings["fullScopeAllowed"] is False and wiki.settings["directAccessGrantsEnabled"] is False
    assert wiki.attributes[ATTR_MANAGED] == "true" and wiki.attributes["groupid.app"] == "wiki"
    again = plan(spec, adapter)
    assert again.empty, [(c.label, c.fields) for c in again.changes]


def test_hand_edits_are_planned_readably_and_reverted_while_the_rest_stays(spec, adapter, realm):
    apply(spec, adapter)
    wiki = client(adapter, realm)
    mappers = [m for m in wiki.protocol_mappers if m["name"] != "roles"]
    mappers = [{k: v for k, v in m.items() if k != "id"} for m in mappers]
    mappers[0]["config"] = {**mappers[0]["config"], "claim.name": "teams"} if mappers[0]["name"] == "groups" else mappers[0]["config"]
    mappers.append({"name": "by-hand", "protocol": "openid-connect", "protocolMapper": "oidc-audience-mapper",
                    "config": {"included.client.audience": "wiki"}})
    adapter.update_client(realm, wiki.id, {
        "description": "changed by hand", "implicitFlowEnabled": True, "protocolMappers": mappers,
        "defaultClientScopes": ["basic", "roles"], "consentRequired": True,
        "attributes": {"groupid.template": "other", "custom.by-hand": "kept"},
    })

    update = plan(spec, adapter)
    (change,) = update.changes
    fields = {f.name: (f.old, f.new) for f in change.fields}
    assert fields["description"] == ("changed by hand", None)
    assert fields["implicitFlowEnabled"] == (True, False)
    assert fields["defaultClientScopes"] == (["basic", "roles"], ["basic", "email", "profile"])
    assert fields["attributes.groupid.template"] == ("other", "generic-oidc")
    assert fields["protocolMappers.roles"][0] is None and "oidc-usermodel-client-role-mapper" in fields["protocolMappers.roles"][1]
    assert fields["protocolMappers.by-hand"][1] is None
    assert "custom.by-hand" not in str(fields) and "consentRequired" not in fields
    text = as_text([update])
    assert "protocolMappers.roles: (none) → " in text and "implicitFlowEnabled: true → false" in text

    apply(spec, adapter)
    assert plan(spec, adapter).empty
    wiki = client(adapter, realm)
    assert wiki.attributes["custom.by-hand"] == "kept" and wiki.settings["consentRequired"] is True
    assert sorted(m["name"] for m in wiki.protocol_mappers) == ["audience", "groups", "roles"]


def test_a_spec_change_updates_the_client_and_drops_what_it_no_longer_needs(spec, adapter, realm):
    apply(spec, adapter)
    spec(APPS + "    description: 团队文档\n    redirect_uris: [/login/callback, /other]\n")
    change, = plan(spec, adapter).changes
    names = {f.name for f in change.fields}
    assert names == {"description", "redirectUris"}
    apply(spec, adapter)
    wiki = client(adapter, realm)
    assert sorted(wiki.redirect_uris) == ["https://wiki.beichen.example.cn/login/callback",
                                          "https://wiki.beichen.example.cn/other"]
    assert wiki.settings["description"] == "团队文档"
    assert plan(spec, adapter).empty


def test_a_hand_made_client_of_the_same_client_id_is_reported_then_adopted(spec, adapter, realm):
    spec("")
    apply(spec, adapter)
    adapter.create_client(realm, {"clientId": "wiki", "name": "by hand", "redirectUris": ["https://elsewhere/*"]})
    spec()
    made = plan(spec, adapter)
    assert "client" not in {c.kind for c in made.changes}
    assert any(f.kind == "client" and "--adopt" in f.message for f in made.findings)
    apply(spec, adapter, adopt=True)
    wiki = client(adapter, realm)
    assert wiki.attributes[ATTR_MANAGED] == "true" and wiki.redirect_uris == ["https://wiki.beichen.example.cn/oidc/callback"]
    assert plan(spec, adapter).empty


def test_an_app_gone_from_the_spec_is_pruned_only_with_prune(spec, adapter, realm):
    apply(spec, adapter)
    adapter.create_client(realm, {"clientId": "hand-made"})
    spec("")
    kept = plan(spec, adapter)
    assert "client" not in {c.kind for c in kept.changes}
    assert any(f.kind == "client" and "--prune" in f.message for f in kept.findings)
    apply(spec, adapter, prune=True)
    assert {"hand-made"} <= {c.client_id for c in adapter.read(realm).clients}
    assert "wiki" not in {c.client_id for c in adapter.read(realm).clients}


def test_a_secret_file_sets_the_secret_at_apply_time_and_never_shows(spec, adapter, realm, tmp_path):
    secret = "s3cret-" + uuid.uuid4().hex
    (spec.path / "wiki.secret").write_text(secret + "\n", encoding="utf-8")
    spec(APPS + "    secret_file: wiki.secret\n")
    made = plan(spec, adapter)
    shown = as_text([made]) + as_json([made])
    assert secret not in shown and "(sensitive)" in shown
    apply(spec, adapter)
    assert adapter.client_secret(realm, "wiki") == secret

    new = "n3w-" + uuid.uuid4().hex
    (spec.path / "wiki.secret").write_text(new, encoding="utf-8")
    rotated = rotate_app_secret(spec.path, "wiki", connector=adapter)
    assert rotated.rotated and rotated.value is None and adapter.client_secret(realm, "wiki") == new
    assert rotated.secret_file == "wiki.secret"


def test_a_secret_file_outside_the_spec_fails_the_apply_naming_it(spec, adapter, realm, tmp_path):
    (tmp_path / "outside.secret").write_text("nope", encoding="utf-8")
    spec(APPS + "    secret_file: ../outside.secret\n")
    with pytest.raises(ApplyFailed, match="outside.secret.*outside the spec directory") as caught:
        apply(spec, adapter)
    assert "nope" not in str(caught.value)


def test_rotating_a_generated_secret_says_what_to_redeploy(spec, adapter, realm):
    apply(spec, adapter)
    before = adapter.client_secret(realm, "wiki")
    shown = app_secret(spec.path, "wiki", adapter)
    assert shown.value is None and not shown.rotated and shown.env == "WIKI_CLIENT_SECRET"
    rotated = rotate_app_secret(spec.path, "wiki", connector=adapter, reveal=True)
    assert rotated.value == adapter.client_secret(realm, "wiki") != before
    assert rotated.files and rotated.secret_file is None
    with pytest.raises(ConfigurationError, match="no app 'nope'"):
        rotate_app_secret(spec.path, "nope", connector=adapter)


# -- sessions of who left the audience ------------------------------------------------------------------------


def sign_in(adapter, realm: str, username: str) -> None:
    """A real session for ``username`` with the app's client: Keycloak's login form on the real server."""
    user_id = next(u.id for u in adapter.read_users(realm) if u.username == username)
    if isinstance(adapter, MemoryRealms):
        adapter.open_session(realm, user_id, "wiki")
        return
    wiki = oidc_login.Client(f"{adapter.settings.server_url}/realms/{realm}", "wiki",
                             "https://wiki.beichen.example.cn/oidc/callback", adapter.client_secret(realm, "wiki"))
    result = oidc_login.sign_in(wiki, username, "pass-" + username)
    assert result.signed_in, result.refusal


def person(adapter, realm: str, username: str, group_code: str) -> str:
    user = {"username": username, "enabled": True, "email": f"{username}@beichen.example.cn", "emailVerified": True,
            "firstName": username, "lastName": "测试",
            "credentials": [{"type": "password", "value": "pass-" + username, "temporary": False}]}
    user_id = adapter.create_user(realm, user)
    group = next(g for g in adapter.read(realm).groups if g.attributes.get("groupid.code") == [group_code])
    adapter.add_member(realm, group.id, user_id)
    return user_id


def test_revoke_sessions_signs_out_who_left_the_audience_only(spec, adapter, realm):
    apply(spec, adapter)
    person(adapter, realm, "opsuser", "BC-TECH-OPS")
    person(adapter, realm, "rduser", "BC-TECH-RD")
    sign_in(adapter, realm, "opsuser")
    spec(APPS.replace("departments: [BC-TECH-OPS]", "departments: [BC-TECH-OPS, BC-TECH-RD]"))
    apply(spec, adapter)
    sign_in(adapter, realm, "rduser")
    assert len(adapter.client_session_users(realm, "wiki")) == 2

    spec()  # RD leaves the audience again
    made, outcome = apply(spec, adapter, revoke=True)
    assert outcome.signed_out == 1
    users = {u.id: u.username for u in adapter.read_users(realm)}
    assert [users[u] for u in adapter.client_session_users(realm, "wiki")] == ["opsuser"]
    assert ACCESS_ROLE in adapter.user_client_roles(realm, next(i for i, n in users.items() if n == "opsuser"), "wiki")


# -- on the command line ------------------------------------------------------------------------------------


@pytest.mark.keycloak
def test_apps_secret_on_the_command_line(keycloak, monkeypatch, tmp_path):
    from tests.conftest import temporary_realm
    from tests.test_cli import invoke

    for name, value in (("GROUPID_SERVER_URL", keycloak.server_url), ("GROUPID_ADMIN_USER", keycloak.admin_user),
                        ("GROUPID_ADMIN_PASSWORD", keycloak.admin_password)):
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("GROUPID_CLIENT_ID", raising=False)
    server = KeycloakServer(keycloak)
    with temporary_realm(keycloak, "apps") as realm:
        spec = tmp_path / "spec"
        spec.mkdir()
        (spec / "group.yaml").write_text(SPEC.replace("REALM", realm) + APPS, encoding="utf-8")
        applied = invoke("apply", str(spec), "--yes", "--revoke-sessions")
        assert applied.exit_code == 0, applied.output
        assert f"realm {realm}: 0 signed out" in applied.output

        shown = invoke("apps", "secret", str(spec), "wiki")
        secret = server.client_secret(realm, "wiki")
        assert shown.exit_code == 0 and secret not in shown.output
        assert "Keycloak (generated)" in shown.output and "$WIKI_CLIENT_SECRET" in shown.output

        rotated = invoke("apps", "secret", str(spec), "wiki", "--rotate")
        new = server.client_secret(realm, "wiki")
        assert rotated.exit_code == 0 and new != secret and new not in rotated.output
        assert "redeploy: " in rotated.output

        revealed = invoke("apps", "secret", str(spec), "wiki", "--reveal")
        assert revealed.exit_code == 0 and new in revealed.output

        unknown = invoke("apps", "secret", str(spec), "nope")
        assert unknown.exit_code == 1 and "no app 'nope'" in unknown.output
