"""How a realm read chooses between the partial export and the paged read, without a server: the export and
the paged read are stand-ins that answer when told, so each way the race can end is met on purpose. The race
against a real Keycloak is in test_realm_contract.py."""

from __future__ import annotations

import threading

import pytest

from groupid.errors import KeycloakError
from groupid.realms.keycloak import RealmReader, reading
from groupid.realms.keycloak.content import RealmContent

EXPORTED = RealmContent(groups=[], roles=[], client_roles=[], clients=[], browser_flows={"from": "export"})
PAGED = RealmContent(groups=[], roles=[], client_roles=[], clients=[], browser_flows={"from": "paged"})


class ServerInfo:
    """A transport that answers the server info alone: with Keycloak's uptime in milliseconds, with none (as an
    administrator of another realm than master gets it), None (HTTP 403), an error, or only once ``hold`` is
    set; it counts what it is asked."""

    def __init__(self, uptime: int | None, refused: bool = False, error: Exception | None = None,
                 hold: threading.Event | None = None):
        self.uptime, self.refused, self.error, self.hold, self.asked = uptime, refused, error, hold, []

    def request(self, method, path, action, **kwargs):
        self.asked.append((method, path, kwargs.get("forbidden_ok")))
        assert (method, path) == ("GET", "admin/serverinfo")
        if self.hold is not None:
            self.hold.wait(10)
        if self.error is not None:
            raise self.error
        if self.refused:
            return None
        return {"systemInfo": {"version": "26.5.6", **({} if self.uptime is None else {"uptimeMillis": self.uptime})}}


class Clock:
    """A monotonic clock that moves only when told."""

    def __init__(self):
        self.now = 1000.0

    def monotonic(self) -> float:
        return self.now


class StandIn(RealmReader):
    """A reader whose export answers ``answer`` (content, None for refused, or an error) once ``release`` is set,
    and whose paged read answers at once. Without a ``transport``, it never asks how long Keycloak has run."""

    def __init__(self, answer, hedge_after: float | None = 0.01, transport: ServerInfo | None = None,
                 started_within: float = 0):
        super().__init__(transport=transport, hedge_after=hedge_after, started_within=started_within)
        self.answer, self.release = answer, threading.Event()
        self.exports = self.paged = 0

    def exported_content(self, realm):
        self.exports += 1
        self.release.wait(10)
        if isinstance(self.answer, Exception):
            raise self.answer
        return self.answer

    def listed_content(self, realm, overtaken=None):
        self.paged += 1
        return PAGED


def test_an_export_that_answers_in_time_is_used():
    reader = StandIn(EXPORTED, hedge_after=5.0)
    reader.release.set()
    assert reader.read_content("r") is EXPORTED and reader.last_path == "partial export" and reader.paged == 0


def test_a_refused_export_is_read_paged():
    reader = StandIn(None, hedge_after=5.0)
    reader.release.set()
    assert reader.read_content("r") is PAGED and reader.last_path == "paged, the partial export refused"


def test_an_export_that_fails_in_time_is_an_error():
    reader = StandIn(KeycloakError("HTTP 500"), hedge_after=5.0)
    reader.release.set()
    with pytest.raises(KeycloakError, match="HTTP 500"):
        reader.read_content("r")


def test_a_slow_export_that_fails_later_changes_nothing():
    reader = StandIn(KeycloakError("HTTP 500: the transaction timed out"))
    assert reader.read_content("r") is PAGED and reader.last_path == "paged, the partial export slow"
    reader.release.set()
    assert reader.wait_for_exports(10)
    # the next read asks for an export again: the failed one has ended
    reader.answer, reader.hedge_after = EXPORTED, 5.0
    assert reader.read_content("r") is EXPORTED and reader.exports == 2


def test_a_realm_whose_export_still_runs_is_read_paged_without_a_second_export():
    reader = StandIn(EXPORTED)
    assert reader.read_content("r") is PAGED
    assert reader.read_content("r") is PAGED and reader.exports == 1
    assert not reader.wait_for_exports(0)
    reader.release.set()
    assert reader.wait_for_exports(10)


def test_without_a_hedge_the_export_is_awaited():
    reader = StandIn(EXPORTED, hedge_after=None)
    threading.Timer(0.2, reader.release.set).start()
    assert reader.read_content("r") is EXPORTED and reader.paged == 0


def test_a_server_that_started_moments_ago_is_read_paged_without_an_export():
    reader = StandIn(EXPORTED, hedge_after=5.0, transport=ServerInfo(uptime=20_000), started_within=600)
    reader.release.set()
    assert reader.read_content("r") is PAGED and reader.last_path == "paged, Keycloak started moments ago"
    assert reader.read_content("r") is PAGED and reader.exports == 0
    assert reader.transport.asked == [("GET", "admin/serverinfo", True)]  # asked once per reader


def test_a_server_up_for_longer_is_exported_as_before():
    reader = StandIn(EXPORTED, hedge_after=5.0, transport=ServerInfo(uptime=601_000), started_within=600)
    reader.release.set()
    assert reader.read_content("r") is EXPORTED and reader.last_path == "partial export" and reader.paged == 0


def test_the_window_closes_while_the_reader_lives(monkeypatch):
    clock = Clock()
    monkeypatch.setattr(reading, "time", clock)
    reader = StandIn(EXPORTED, hedge_after=5.0, transport=ServerInfo(uptime=599_000), started_within=600)
    reader.release.set()
    assert reader.read_content("r") is PAGED and reader.uptime() == 599.0
    clock.now += 1
    assert reader.read_content("r") is EXPORTED and len(reader.transport.asked) == 1


@pytest.mark.parametrize("transport", [
    ServerInfo(uptime=None), ServerInfo(uptime=0, refused=True), ServerInfo(uptime=0, error=KeycloakError("HTTP 502")),
], ids=["uptime not told", "server info refused", "server info failed"])
def test_a_server_that_does_not_say_when_it_started_is_exported_as_before(transport):
    reader = StandIn(EXPORTED, hedge_after=5.0, transport=transport, started_within=600)
    reader.release.set()
    assert reader.read_content("r") is EXPORTED and reader.paged == 0
    assert reader.started_moments_ago() is False and len(transport.asked) == 1


def test_without_a_hedge_the_export_is_awaited_even_right_after_the_start():
    reader = StandIn(EXPORTED, hedge_after=None, transport=ServerInfo(uptime=1_000), started_within=600)
    reader.release.set()
    assert reader.read_content("r") is EXPORTED and reader.paged == 0 and reader.transport.asked == []


def test_a_slow_answer_of_the_uptime_is_not_waited_for(monkeypatch):
    monkeypatch.setattr(reading, "UPTIME_WAIT", 0.05)
    hold = threading.Event()
    reader = StandIn(EXPORTED, hedge_after=5.0, transport=ServerInfo(uptime=0, hold=hold), started_within=600)
    reader.release.set()
    try:
        assert reader.read_content("r") is EXPORTED and reader.paged == 0
    finally:
        hold.set()
