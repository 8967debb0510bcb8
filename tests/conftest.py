"""The test harness: one real Keycloak for the whole session, a fresh realm for each test module.

The Keycloak is the local one groupid itself manages (``groupid keycloak start``), as an ephemeral instance
named "test" (GROUPID_TEST_INSTANCE names another) with an in-memory database, of the version
GROUPID_KEYCLOAK_VERSION names (by default the pinned one): ``make test-compat`` runs the Keycloak tests so
against each version groupid is tested with. To run the suite against another server instead, set
GROUPID_TEST_SERVER_URL with GROUPID_TEST_ADMIN_USER and GROUPID_TEST_ADMIN_PASSWORD; the tests create and
delete realms there.

When Keycloak cannot be started the Keycloak tests skip with the reason — except under CI (``CI`` set), where
they fail: a CI run must never pass by skipping them. When a Keycloak test fails and the session's Keycloak no
longer answers, the run stops there, with the end of the server's log in that test's report: every later test
would only wait for it.
"""

from __future__ import annotations

import contextlib
import os
import uuid

import pytest
import requests

from groupid.errors import GroupidError
from groupid.localserver import DEFAULT_VERSION, LocalKeycloak, ServerInfo
from groupid.realms import ConnectionSettings, KeycloakServer
from groupid.realms.keycloak import reading

pytest_plugins = ["tests.slapd", "pytester"]  # the session's directory (the ``slapd`` fixture); tests of the harness


def skip_or_fail(message: str) -> None:
    """Skip the test with ``message`` — or fail it under CI (``CI`` set), where nothing may pass by skipping."""
    if os.environ.get("CI"):
        pytest.fail(message, pytrace=False)
    pytest.skip(message)


def _external_settings() -> ConnectionSettings | None:
    url = os.environ.get("GROUPID_TEST_SERVER_URL")
    if not url:
        return None
    return ConnectionSettings(
        server_url=url.rstrip("/"),
        admin_user=os.environ.get("GROUPID_TEST_ADMIN_USER", "admin"),
        admin_password=os.environ.get("GROUPID_TEST_ADMIN_PASSWORD", "admin"),
    )


def _instance_name() -> str:
    return os.environ.get("GROUPID_TEST_INSTANCE") or "test"


SESSION_SERVER = pytest.StashKey[tuple[ConnectionSettings, ServerInfo | None]]()
"""The session's Keycloak, once started: its connection settings and, for the local one, how it runs."""

ANSWER_SECONDS = 15
"""How long a Keycloak that just failed a test has to answer before the run stops."""


@pytest.fixture(scope="session")
def keycloak(request) -> ConnectionSettings:
    """Connection settings for the session's real Keycloak."""
    external = _external_settings()
    if external:
        request.session.stash[SESSION_SERVER] = (external, None)
        yield external
        return
    server = LocalKeycloak(_instance_name(), ephemeral=True)
    try:
        info = server.start()
    except GroupidError as exc:
        skip_or_fail(f"cannot start Keycloak for the tests: {exc}")
    settings = ConnectionSettings(server_url=info.url, admin_user=info.admin_user,
                                  admin_password=info.admin_password())
    request.session.stash[SESSION_SERVER] = (settings, info)
    yield settings
    if not info.reused:
        server.stop()


@pytest.fixture(autouse=True, scope="session")
def _reads_as_on_a_server_up_for_long():
    """Read realms as on a Keycloak that has run for long, in every test of this process: a Keycloak read in
    its first minutes is read paged alone (``STARTED_WITHIN``), and the session's Keycloak has just started,
    so its tests would take one path or the other by the clock. The tests of that window set it on their
    reader; the two paths read the same realm (test_realm_contract.py)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(reading, "STARTED_WITHIN", 0.0)
        yield


def _answers(settings: ConnectionSettings) -> bool:
    """Whether the server still answers a plain request (any HTTP status will do)."""
    try:
        requests.get(f"{settings.server_url}/realms/master", timeout=ANSWER_SECONDS, verify=settings.verify)
    except requests.RequestException:
        return False
    return True


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    """After a failed Keycloak test, stop the run if the session's Keycloak no longer answers."""
    report = yield
    server = item.session.stash.get(SESSION_SERVER, None)
    if report.failed and server is not None and "keycloak" in item.fixturenames and not _answers(server[0]):
        settings, info = server
        item.session.shouldstop = (f"the Keycloak at {settings.server_url} stopped answering during "
                                   f"{item.nodeid}; the tests after it would only wait for it")
        if info is not None:
            report.sections.append((f"the end of Keycloak's log ({info.log_file})", info.log_tail(60)))
    return report


@pytest.fixture(scope="session")
def keycloak_instance(keycloak: ConnectionSettings) -> str:
    """The name of the local instance the session's Keycloak runs as; the test skips against an external one."""
    if _external_settings():
        pytest.skip("the suite runs against an external Keycloak")
    return _instance_name()


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


def pytest_report_header(config) -> str:
    """Which Keycloak the Keycloak tests run against, at the head of the output."""
    url = os.environ.get("GROUPID_TEST_SERVER_URL")
    if url:
        return f"keycloak: the server at {url}"
    version = os.environ.get("GROUPID_KEYCLOAK_VERSION") or DEFAULT_VERSION
    return f"keycloak: {version}, a local ephemeral instance '{_instance_name()}'"


def pytest_collection_modifyitems(items):
    """Tests that use the real Keycloak carry the ``keycloak`` marker, so ``-m "not keycloak"`` runs the rest."""
    for item in items:
        if "keycloak" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.keycloak)
