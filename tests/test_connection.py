"""Connection settings and the failure paths a real server cannot be made to produce on demand."""

from __future__ import annotations

import json

import pytest
import requests
import responses

from groupid.errors import AuthenticationFailed, ConfigurationError, KeycloakError, KeycloakUnreachable, RealmExists
from groupid.realms import ConnectionSettings, KeycloakServer
from groupid.realms.keycloak import EXPORT_TIMEOUT

URL = "http://keycloak.test"
TOKEN = f"{URL}/realms/master/protocol/openid-connect/token"


def settings(**env):
    return ConnectionSettings.from_env({"GROUPID_SERVER_URL": URL, **env})


def test_admin_password_from_a_file(tmp_path):
    secret = tmp_path / "pw"
    secret.write_text("s3cret\n", encoding="utf-8")
    s = settings(GROUPID_ADMIN_USER="admin", GROUPID_ADMIN_PASSWORD_FILE=str(secret))
    assert s.admin_password == "s3cret"
    assert "s3cret" not in repr(s)


def test_service_account_from_the_environment():
    s = settings(GROUPID_CLIENT_ID="groupid-ci", GROUPID_CLIENT_SECRET="x", GROUPID_AUTH_REALM="ops")
    assert (s.client_id, s.client_secret, s.auth_realm) == ("groupid-ci", "x", "ops")
    assert s.identity == "client 'groupid-ci' (realm ops)"


@pytest.mark.parametrize(
    "env, message",
    [
        ({}, "no Keycloak server: set GROUPID_SERVER_URL"),
        ({"GROUPID_SERVER_URL": URL}, "no credentials"),
        ({"GROUPID_SERVER_URL": URL, "GROUPID_ADMIN_USER": "admin"}, "neither GROUPID_ADMIN_PASSWORD nor GROUPID_ADMIN_PASSWORD_FILE"),
        ({"GROUPID_SERVER_URL": "keycloak:8080", "GROUPID_ADMIN_USER": "a"}, "must start with http:// or https://"),
        ({"GROUPID_SERVER_URL": URL, "GROUPID_ADMIN_USER": "a", "GROUPID_ADMIN_PASSWORD_FILE": "/nonexistent/pw"}, "cannot read"),
        ({"GROUPID_SERVER_URL": URL, "GROUPID_CLIENT_ID": "c", "GROUPID_CLIENT_SECRET": "s", "GROUPID_TIMEOUT": "soon"}, "GROUPID_TIMEOUT"),
    ],
)
def test_missing_or_bad_settings(env, message):
    with pytest.raises(ConfigurationError, match=message):
        ConnectionSettings.from_env(env)


def admin():
    return settings(GROUPID_ADMIN_USER="admin", GROUPID_ADMIN_PASSWORD="pw")


def up_for_an_hour():
    """Keycloak's server info, saying it has run for an hour: its realms are read as a warm server's are."""
    responses.get(f"{URL}/admin/serverinfo", json={"systemInfo": {"uptimeMillis": 3_600_000}})


def token(expires_in=300):
    return {"access_token": "t", "refresh_token": "r", "expires_in": expires_in, "refresh_expires_in": 1800, "token_type": "Bearer"}


@responses.activate
def test_token_endpoint_500_is_a_keycloak_error():
    responses.post(TOKEN, status=500, json={"error": "unknown_error"})
    with pytest.raises(KeycloakError, match=r"refused to sign in: HTTP 500: unknown_error"):
        KeycloakServer(admin())


@responses.activate
def test_timeout_is_unreachable():
    responses.post(TOKEN, body=requests.exceptions.ConnectTimeout("timed out"))
    with pytest.raises(KeycloakUnreachable, match=r"does not answer \(sign in\): timed out"):
        KeycloakServer(admin())


@responses.activate
def test_wrong_server_path_says_so():
    responses.post(TOKEN, status=404, body="Not Found")
    with pytest.raises(KeycloakError, match=r"HTTP 404 to sign in: no realm 'master' there; is the server URL right"):
        KeycloakServer(admin())


@responses.activate
def test_admin_call_500_names_the_action_and_detail():
    responses.post(TOKEN, json=token())
    up_for_an_hour()
    responses.get(f"{URL}/admin/realms/x", json={"realm": "x"})
    responses.get(f"{URL}/admin/realms/x/users/profile", json={"attributes": []})
    responses.post(f"{URL}/admin/realms/x/partial-export", status=500, json={"errorMessage": "unknown_error"})
    with pytest.raises(KeycloakError, match=r"refused to export the groups, roles and clients of x: HTTP 500: unknown_error"):
        KeycloakServer(admin()).read("x")


@responses.activate
def test_forbidden_says_admin_rights_are_missing():
    responses.post(TOKEN, json=token())
    up_for_an_hour()
    responses.get(f"{URL}/admin/realms/x", json={"realm": "x"})
    responses.get(f"{URL}/admin/realms/x/users/profile", json={"attributes": []})
    # a refused partial export is no error: the read goes on the paged way, where a refusal is one
    responses.post(f"{URL}/admin/realms/x/partial-export", status=403, json={"error": "HTTP 403 Forbidden"})
    responses.get(f"{URL}/admin/realms/x/roles", status=403, json={"error": "HTTP 403 Forbidden"})
    with pytest.raises(AuthenticationFailed, match=r"user 'admin' \(realm master\) may not read the roles of x .*lacks admin rights"):
        KeycloakServer(admin()).read("x")


@responses.activate
def test_expired_token_is_refreshed_once():
    responses.post(TOKEN, json=token())
    unauthorized = responses.get(f"{URL}/admin/realms/x", status=401)
    responses.get(f"{URL}/admin/realms/x", json={"realm": "x"})
    assert KeycloakServer(admin()).realm_exists("x") is True
    assert unauthorized.call_count == 1


@responses.activate
def test_a_server_that_is_not_keycloak_says_so():
    responses.post(TOKEN, body="<html>portal</html>", content_type="text/html")
    with pytest.raises(KeycloakError, match=r"did not answer like Keycloak to sign in .*is the server URL right"):
        KeycloakServer(admin())


@responses.activate
def test_a_non_json_answer_to_an_admin_call_is_a_keycloak_error():
    responses.post(TOKEN, json=token())
    responses.get(f"{URL}/admin/realms/x/users/profile", body="<html>proxy login</html>")
    with pytest.raises(KeycloakError, match=r"did not answer like Keycloak to read the user profile of x"):
        KeycloakServer(admin()).read_user_profile("x")


@responses.activate
def test_realm_created_meanwhile_by_someone_else_is_realm_exists():
    responses.post(TOKEN, json=token())
    responses.post(f"{URL}/admin/realms", status=409, json={"errorMessage": "Conflict detected. See logs for details"})
    with pytest.raises(RealmExists, match="realm 'x' already exists"):
        KeycloakServer(admin()).import_realm({"realm": "x"})
    with pytest.raises(RealmExists, match="realm 'x' already exists"):
        KeycloakServer(admin()).create_realm("x", "X")


EXPORTED = {
    "groups": [{
        "id": "a", "name": "A", "attributes": {"groupid.managed": ["true"]}, "realmRoles": ["employee"],
        "clientRoles": {"app": ["view"]}, "subGroups": [{"id": "b", "name": "B", "parentId": "a", "subGroups": []}],
    }],
    "roles": {
        "realm": [
            {"name": "employee", "description": "每位员工"},
            {"name": "default-roles-x", "composite": True,
             "composites": {"realm": ["employee"], "client": {"account": ["view-profile"]}}},
        ],
        "client": {"app": [{"name": "view"}], "account": [{"name": "view-profile"}]},
    },
    "clients": [{"id": "1", "clientId": "app", "secret": "**********"}, {"id": "2", "clientId": "account"}],
}


@responses.activate
def test_groups_roles_and_clients_come_from_one_partial_export_given_a_long_timeout():
    responses.post(TOKEN, json=token())
    up_for_an_hour()
    responses.get(f"{URL}/admin/realms/x", json={"realm": "x", "id": "x-id", "defaultRole": {"name": "default-roles-x"}})
    responses.get(f"{URL}/admin/realms/x/users/profile", json={"attributes": []})
    responses.get(f"{URL}/admin/realms/x/components", json=[])
    responses.get(f"{URL}/admin/realms/x/identity-provider/instances", json=[])
    responses.get(f"{URL}/admin/realms/x/authentication/flows", json=[{"alias": "browser", "id": "b"}])
    server = KeycloakServer(admin())
    server.reader.started_within = 600  # groupid's own window, which the session sets aside: an hour is past it
    timeouts = []

    def export(request):
        timeouts.append(server.transport.connection.timeout)
        assert "exportGroupsAndRoles=true" in request.url and "exportClients=true" in request.url
        return 200, {}, json.dumps(EXPORTED)

    responses.add_callback("POST", f"{URL}/admin/realms/x/partial-export", callback=export)
    live = server.read("x")

    # realm, server info, export, user profile, identity providers, flows (no sign-in flow), federations
    assert server.requests == 7
    assert timeouts == [EXPORT_TIMEOUT] and server.transport.connection.timeout == 30.0  # long for the export only
    assert [live.paths()[group.id] for group in live.groups] == ["/A", "/A/B"]
    assert live.groups[0].role_refs() == ["app/view", "employee"]
    assert [(role.ref, role.description) for role in live.roles] == [("default-roles-x", None), ("employee", "每位员工")]
    assert live.default_roles == ["account/view-profile", "employee"]
    assert [role.ref for role in live.client_roles] == ["app/view"]  # Keycloak's own clients' roles are not read
    assert [client.client_id for client in live.clients] == ["app", "account"]
