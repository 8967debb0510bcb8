"""Keycloak's error answers are told apart by what they mean — the HTTP status and the codes of the JSON body —
never by their words: each refusal gets groupid's own message, the same on every Keycloak version.

The refusals a real server gives on demand are asked of the real one; ``responses`` stands in only for an
answer another version gives (a wrong password is HTTP 401 in Keycloak 26.5, 400 in 26.7) or words no version
has used yet.
"""

from __future__ import annotations

import dataclasses
import json
import uuid
from urllib.parse import parse_qs

import pytest
import responses

from groupid.errors import AuthenticationFailed, Conflict, KeycloakError
from groupid.realms import ConnectionSettings, KeycloakServer
from groupid.realms.keycloak import KeycloakAnswer, keycloak_answer
from groupid.realms.keycloak.transport import admin_url

WRONG_PASSWORD = "a wrong password, or an account that is disabled or not fully set up"
WRONG_SECRET = "a wrong secret, or no such client, or a client whose service account is not enabled"
PASSWORD = "pw-" + uuid.uuid4().hex


# -- the real server ---------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def people(keycloak, realm_name):
    """A realm with users and clients that sign in, or are refused, each their own way."""
    server = KeycloakServer(keycloak)
    server.create_realm(realm_name, None)
    for username, extra in [("active", {}), ("disabled", {"enabled": False}),
                            ("unfinished", {"requiredActions": ["UPDATE_PASSWORD"]})]:
        server.create_user(realm_name, {
            "username": username, "enabled": True, "email": f"{username}@example.cn", "firstName": "张",
            "lastName": username, "credentials": [{"type": "password", "value": PASSWORD, "temporary": False}],
            **extra,
        })
    for client_id, service_account in [("no-service-account", False), ("robot", True)]:
        server.create_client(realm_name, {
            "clientId": client_id, "publicClient": False, "secret": PASSWORD, "serviceAccountsEnabled": service_account,
            "directAccessGrantsEnabled": False,
        })
    return realm_name


def sign_in(keycloak: ConnectionSettings, realm: str, **who) -> ConnectionSettings:
    return ConnectionSettings(server_url=keycloak.server_url, auth_realm=realm, **who)


def test_a_wrong_admin_password_gets_groupids_message(keycloak):
    wrong = dataclasses.replace(keycloak, admin_password="not-the-password")
    with pytest.raises(AuthenticationFailed) as caught:
        KeycloakServer(wrong)
    assert str(caught.value) == (
        f"Keycloak at {keycloak.server_url} refused the credentials of user 'admin' (realm master): {WRONG_PASSWORD}"
    )


@pytest.mark.parametrize("who, why", [
    ({"admin_user": "active", "admin_password": "wrong"}, WRONG_PASSWORD),
    ({"admin_user": "nobody", "admin_password": PASSWORD}, WRONG_PASSWORD),
    ({"admin_user": "disabled", "admin_password": PASSWORD}, WRONG_PASSWORD),
    ({"admin_user": "unfinished", "admin_password": PASSWORD}, WRONG_PASSWORD),
    ({"admin_user": "active", "admin_password": PASSWORD, "client_id": "robot", "client_secret": PASSWORD},
     "client 'robot' does not take passwords: turn its 'Direct access grants' on"),
    ({"client_id": "robot", "client_secret": "wrong"}, WRONG_SECRET),
    ({"client_id": "no-such-client", "client_secret": PASSWORD}, WRONG_SECRET),
    ({"client_id": "no-service-account", "client_secret": PASSWORD}, WRONG_SECRET),
], ids=["wrong-password", "no-such-user", "disabled", "not-fully-set-up", "no-direct-grants", "wrong-secret",
        "no-such-client", "no-service-account"])
def test_every_refused_sign_in_is_authentication_failed_with_a_reason(keycloak, people, who, why):
    settings = sign_in(keycloak, people, **who)
    with pytest.raises(AuthenticationFailed) as caught:
        KeycloakServer(settings)
    assert str(caught.value) == f"Keycloak at {keycloak.server_url} refused the credentials of {settings.identity}: {why}"


def test_the_right_credentials_sign_in(keycloak, people):
    for who in ({"admin_user": "active", "admin_password": PASSWORD}, {"client_id": "robot", "client_secret": PASSWORD}):
        KeycloakServer(sign_in(keycloak, people, **who))  # signs in; nothing more is asked


def test_a_run_whose_session_ends_signs_in_again(keycloak, people):
    # an admin who logs the run's user out ends its session: its refresh token is refused (invalid_grant)
    admin = KeycloakServer(keycloak)
    user_id = admin.transport.request("GET", admin_url(people, "users"), "find", params={"username": "active", "exact": "true"})[0]["id"]
    clients = admin.transport.request("GET", admin_url(people, "clients"), "find", params={"clientId": "realm-management"})
    management = admin_url(people, "clients", clients[0]["id"])
    role = admin.transport.request("GET", f"{management}/roles/view-realm", "find")
    mappings = admin_url(people, "users", user_id, "role-mappings", "clients", clients[0]["id"])
    admin.transport.request("POST", mappings, "grant", body=[role])
    run = KeycloakServer(sign_in(keycloak, people, admin_user="active", admin_password=PASSWORD))
    assert run.realm_exists(people)
    session = run.transport.connection.token["session_state"]

    admin.logout_user(people, user_id)

    assert run.realm_exists(people)  # refused (401), refused a refresh, signed in again, and asked again
    assert run.transport.connection.token["session_state"] != session


def test_a_refusal_of_an_admin_call_names_the_action_and_shows_keycloaks_words_after(keycloak, people):
    server = KeycloakServer(keycloak)
    where = keycloak.server_url
    refused = rf"^Keycloak at {where} refused to"
    with pytest.raises(Conflict, match=rf"{refused} create a user in {people}: it already exists \(HTTP 409\): .+"):
        server.create_user(people, {"username": "active"})
    with pytest.raises(KeycloakError, match=rf"{refused} update group nope of {people}: HTTP 404: .+"):
        server.update_group(people, "nope", "x", {})
    # a user profile's validation errors name their field
    with pytest.raises(KeycloakError, match=rf"{refused} create a user in {people}: HTTP 400: email: ") as caught:
        server.create_user(people, {"username": "bad-email", "email": "not an email"})
    assert not isinstance(caught.value, Conflict | AuthenticationFailed)


# -- what no real server here answers ----------------------------------------------------------------------


URL = "http://keycloak.test"
TOKEN = f"{URL}/realms/master/protocol/openid-connect/token"


def admin() -> ConnectionSettings:
    return ConnectionSettings(server_url=URL, admin_user="admin", admin_password="pw")


@responses.activate
@pytest.mark.parametrize("status", [400, 401], ids=["keycloak-26.7", "keycloak-26.5"])
def test_a_wrong_password_is_refused_credentials_whatever_its_status_and_words(status):
    responses.post(TOKEN, status=status, json={"error": "invalid_grant", "error_description": "Words of a new release"})
    with pytest.raises(AuthenticationFailed) as caught:
        KeycloakServer(admin())
    assert str(caught.value) == f"Keycloak at {URL} refused the credentials of user 'admin' (realm master): {WRONG_PASSWORD}"


@responses.activate
def test_a_refused_refresh_token_signs_in_again_whatever_the_words():
    grants = []

    def token_endpoint(request):
        grants.append(parse_qs(request.body)["grant_type"][0])
        if grants[-1] == "refresh_token":
            return 400, {}, json.dumps({"error": "invalid_grant", "error_description": "Words of a new release"})
        return 200, {}, json.dumps({"access_token": "t", "refresh_token": "r", "expires_in": 300})

    responses.add_callback("POST", TOKEN, callback=token_endpoint)
    responses.get(f"{URL}/admin/realms/x", status=401)
    responses.get(f"{URL}/admin/realms/x", json={"realm": "x"})
    assert KeycloakServer(admin()).realm_exists("x") is True
    assert grants == ["password", "refresh_token", "password"]


@pytest.mark.parametrize("status, body, meaning", [
    (400, b'{"error":"invalid_grant","error_description":"Invalid user credentials"}',
     KeycloakAnswer(400, "invalid_grant", "Invalid user credentials")),
    # the admin API's "error" is free text, not a code
    (404, b'{"error":"Could not find group by id"}', KeycloakAnswer(404, None, "Could not find group by id")),
    (400, b'{"field":"username","errorMessage":"error-invalid-length","params":["username",3,255]}',
     KeycloakAnswer(400, None, "username: error-invalid-length")),
    (400, b'{"errors":[{"field":"username","errorMessage":"error-invalid-length"},{"field":"email","errorMessage":"error-invalid-email"}]}',
     KeycloakAnswer(400, None, "username: error-invalid-length; email: error-invalid-email")),
    (502, b"<html>\n  Bad Gateway\x1b[31m\n</html>", KeycloakAnswer(502, None, "<html> Bad Gateway\\x1b[31m </html>")),
    (500, b"", KeycloakAnswer(500, None, "")),
    (400, b"x" * 1000, KeycloakAnswer(400, None, "x" * 300 + "…")),
], ids=["oauth", "admin-error", "field", "fields", "not-json", "empty", "long"])
def test_an_answer_is_read_for_its_codes_and_its_words_only_shown(status, body, meaning):
    assert keycloak_answer(status, body) == meaning
