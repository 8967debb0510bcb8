"""The test harness itself: a run whose Keycloak stops answering ends at the first test that fails on it."""

from __future__ import annotations

import socket

INNER_CONFTEST = """
from tests.conftest import pytest_runtest_makereport  # the hook under test
"""

INNER_TESTS = """
import pytest
from groupid.realms import ConnectionSettings
from tests.conftest import SESSION_SERVER

@pytest.fixture
def keycloak(request):
    settings = ConnectionSettings(server_url="{url}", admin_user="admin", admin_password="admin")
    request.session.stash[SESSION_SERVER] = (settings, None)
    return settings

def test_passes_while_the_server_is_there(keycloak):
    pass

def test_fails_when_the_server_is_gone(keycloak):
    assert False, "the server went away"

def test_would_only_wait(keycloak):
    pass

def test_needs_no_server():
    pass
"""


def _silent_url() -> str:
    """A local URL nothing listens on: a port the system handed out and took back."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}"


def test_a_failed_test_on_a_server_that_no_longer_answers_stops_the_run(pytester):
    pytester.makeconftest(INNER_CONFTEST)
    pytester.makepyfile(test_inner=INNER_TESTS.format(url=_silent_url()))
    result = pytester.runpytest_inprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(["*stopped answering during test_inner.py::test_fails_when_the_server_is_gone*"])


def test_a_failed_test_on_a_server_that_still_answers_lets_the_run_go_on(pytester, keycloak):
    pytester.makeconftest(INNER_CONFTEST)
    pytester.makepyfile(test_inner=INNER_TESTS.format(url=keycloak.server_url))
    result = pytester.runpytest_inprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=3, failed=1)
