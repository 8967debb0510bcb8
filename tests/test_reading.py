"""How a realm read chooses between the partial export and the paged read, without a server: the export and
the paged read are stand-ins that answer when told, so each way the race can end is met on purpose. The race
against a real Keycloak is in test_realm_contract.py."""

from __future__ import annotations

import threading

import pytest

from groupid.errors import KeycloakError
from groupid.realms.keycloak import RealmReader
from groupid.realms.keycloak.content import RealmContent

EXPORTED = RealmContent(groups=[], roles=[], client_roles=[], clients=[], browser_flows={"from": "export"})
PAGED = RealmContent(groups=[], roles=[], client_roles=[], clients=[], browser_flows={"from": "paged"})


class StandIn(RealmReader):
    """A reader whose export answers ``answer`` (content, None for refused, or an error) once ``release`` is set,
    and whose paged read answers at once."""

    def __init__(self, answer, hedge_after: float | None = 0.01):
        super().__init__(transport=None, hedge_after=hedge_after)
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
