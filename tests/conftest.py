"""The test harness: one real Keycloak for the whole session, a fresh realm for each test module.

The Keycloak is the local one groupid itself manages (``groupid keycloak start``), as an ephemeral instance
named "test" with an in-memory database. To run the suite against another server instead, set
GROUPID_TEST_SERVER_URL with GROUPID_TEST_ADMIN_USER and GROUPID_TEST_ADMIN_PASSWORD; the tests create and
delete realms there.

When Keycloak cannot be started the Keycloak tests skip with the reason — except under CI (``CI`` set), where
they fail: a CI run must never pass by skipping them.
"""

from __future__ import annotations

import contextlib
import os
import uuid

import pytest

from groupid.errors import GroupidError
from groupid.localserver import LocalKeycloak
from groupid.realms import ConnectionSettings, KeycloakServer


def _external_settings() -> ConnectionSettings | None:
    url = os.environ.get("GROUPID_TEST_SERVER_URL")
    if not url:
        return None
    return ConnectionSettings(
        server_url=url.rstrip("/"),
        admin_user=os.environ.get("GROUPID_TEST_ADMIN_USER", "admin"),
        admin_password=os.environ.get("GROUPID_TEST_ADMIN_PASSWORD", "admin"),
    )


@pytest.fixture(scope="session")
def keycloak() -> ConnectionSettings:
    """Connection settings for the session's real Keycloak."""
    external = _external_settings()
    if external:
        yield external
        return
    server = LocalKeycloak("test", ephemeral=True)
    try:
        info = server.start()
    except GroupidError as exc:
        message = f"cannot start Keycloak for the tests: {exc}"
        if os.environ.get("CI"):
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    yield ConnectionSettings(server_url=info.url, admin_user=info.admin_user, admin_password=info.admin_password())
    if not info.reused:
        server.stop()


@contextlib.contextmanager
def temporary_realm(settings: ConnectionSettings, prefix: str):
    """A realm name nobody uses; the realm is deleted afterwards if something created it."""
    name = f"t-{prefix}-{uuid.uuid4().hex[:6]}"
    yield name
    server = KeycloakServer(settings)
    if server.realm_exists(name):
        server.delete_realm(name)


@pytest.fixture(scope="module")
def realm_name(keycloak: ConnectionSettings, request) -> str:
    """A realm name no other module uses; the realm is deleted after the module if a test created it."""
    module = request.module.__name__.rsplit(".", 1)[-1].removeprefix("test_").replace("_", "-")
    with temporary_realm(keycloak, module) as name:
        yield name


def pytest_collection_modifyitems(items):
    """Tests that use the real Keycloak carry the ``keycloak`` marker, so ``-m "not keycloak"`` runs the rest."""
    for item in items:
        if "keycloak" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.keycloak)
