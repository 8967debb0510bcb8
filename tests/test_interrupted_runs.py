"""A run cut off at any point converges: Keycloak killed (SIGKILL, on a database that survives it) or groupid
killed part-way through a large apply and a large sync, then run again. The end state — every group, role,
composite, role mapping, client, identity provider, organization, membership, user attribute, enabled flag
and sign-out — equals that of a run never interrupted, in another realm of the same server.

Each test cuts one realm's run off several times in turn, each time at a write counted by the adapter (the
first, one in the middle, one near the end, or the release of the lock with every write done), and lets the
next run start from what the last one left: the state after any cut is the starting point of the next run.
A lock the killed run left behind never stands in the way.

These tests start a Keycloak of their own (H2 files, deleted afterwards) and stop it at the end; they carry
the ``crash`` marker (``pytest -m crash`` runs them alone, ``-m "not crash"`` leaves them out).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import pytest

from groupid.apply import apply_plans
from groupid.hr_sync import sync_hr
from groupid.lock import LOCK_NAME, break_lock
from groupid.operations import plan_spec
from groupid.sync import SyncOptions
from tests.crash_harness import (
    HR_HEADER,
    PREFIX,
    CrashServer,
    Interrupting,
    delete_realms,
    differences,
    next_week,
    roster,
    run_child,
    sign_in,
    snapshot,
    start_or_skip,
    usernames_of,
    write_spec,
)
from tests.hr_people import MAPPING, write_csv

pytestmark = [pytest.mark.crash, pytest.mark.keycloak]

WEEK_A, WEEK_B = date(2025, 3, 3), date(2025, 3, 10)
SIGNED_IN = 8
"""Leavers signed in before week B: their sessions must end however the run that disables them is cut off."""
NEAR_END = 5
"""How many writes before the end a cut "near the end" comes: a killed write may have to be made again."""


@pytest.fixture(scope="module")
def server():
    """The module's own Keycloak: started (or skipped), stopped and deleted afterwards."""
    crash = CrashServer()
    start_or_skip(crash)
    yield crash
    try:
        if crash.local.status() is not None:
            delete_realms(crash.adapter())
    finally:
        crash.stop()


def new_realm(kind: str) -> str:
    """A realm name of these tests, used once."""
    return f"{PREFIX}{kind}-{uuid.uuid4().hex[:6]}"


@dataclass(frozen=True)
class Cut:
    """Where a run is cut off: who is killed (``keycloak`` or ``self``), ``when`` (``after`` the write,
    ``during`` it, at the first ``logout`` of a leaver, or at the ``release`` of the lock) and ``where``
    (``first``, ``middle``, ``near-end``)."""

    kill: str
    when: str
    where: str = "middle"


@dataclass
class Reference:
    """An uninterrupted run: how many writes it sent (the lock's left out) and the end state it left."""

    writes: int
    state: dict[str, str] = field(default_factory=dict)


def cut_in_turn(server: CrashServer, writes: int, job: dict, cuts: list[Cut]) -> None:
    """Run ``job`` in a child process once per cut, each run cut off as the cut says; ``writes`` is how many
    writes the whole job takes, uninterrupted. A killed Keycloak is started again before the next run."""
    done = 0
    for cut in cuts:
        remaining = writes - done
        after = {"first": 1, "middle": remaining // 2, "near-end": remaining - NEAR_END}[cut.where]
        assert after >= 1, f"{cut} comes before the first write ({remaining} writes remain)"
        status, writes_sent = run_child(server, {**job, "after": after, "kill": cut.kill, "when": cut.when})
        if cut.kill == "keycloak":
            assert status == 1, f"{cut}: the run went on, or failed otherwise than on losing Keycloak"
            server.assert_dead()
            server.start()
        else:
            assert status == -9, f"{cut}: the run was not killed (exit status {status})"
        done += writes_sent


def assert_same(reference: Reference, server: CrashServer, realms: list[str]) -> None:
    """The realms hold what the reference run left, and no lock that could stand in anyone's way."""
    different = differences(reference.state, snapshot(server.settings, realms))
    assert not different, "the end state differs from an uninterrupted run's (- expected + found):\n" + "\n".join(different)
    broken = break_lock(server.adapter(), realms[0])  # a lock a killed run left: its owner is shown gone
    assert broken is None or broken[1], broken


# --- apply ------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def big_spec(tmp_path_factory) -> Path:
    """Two realms (a company with a realm of its own) linked by a client and an identity provider; 186
    groups and 24 roles in the group's realm, 28 groups and the roles in the company's."""
    return write_spec(tmp_path_factory.mktemp("spec") / "xinghai", "realm-per-company", teams_per_department=2, apps=10)


def apply_realms(spec: Path, server: CrashServer, realm: str) -> list[str]:
    """The realms the spec puts under ``realm``: the group's first."""
    return [plan.realm for plan in plan_spec(spec, server.adapter(), realm=realm)]


@pytest.fixture(scope="module")
def applied(server, big_spec) -> Reference:
    realm = new_realm("apply-ref")
    adapter = Interrupting(server.settings)
    apply_plans(plan_spec(big_spec, adapter, realm=realm), adapter)
    assert adapter.writes > 300
    return Reference(adapter.writes, snapshot(server.settings, apply_realms(big_spec, server, realm)))


def apply_to_the_end(server: CrashServer, spec: Path, realm: str) -> None:
    """Run the apply again, to its end; one more then finds nothing to change."""
    adapter = server.adapter()
    apply_plans(plan_spec(spec, adapter, realm=realm), adapter)
    assert [plan.changes for plan in plan_spec(spec, adapter, realm=realm)] == [[], []]


@pytest.mark.parametrize("cuts", [
    pytest.param([Cut("keycloak", "after", "first"), Cut("keycloak", "during", "middle"),
                  Cut("keycloak", "after", "near-end")], id="keycloak-killed"),
    pytest.param([Cut("self", "after", "middle"), Cut("self", "release")], id="groupid-killed"),
])
def test_an_apply_cut_off_again_and_again_ends_as_an_uninterrupted_one(server, big_spec, applied, cuts):
    """Keycloak dies after the realm is created, in the middle of the groups and while a write is on its way,
    and near the end; or groupid dies in the middle, and after its last write (its lock left behind)."""
    realm = new_realm("apply")
    cut_in_turn(server, applied.writes, {"what": "apply", "spec": str(big_spec), "realm": realm}, cuts)
    apply_to_the_end(server, big_spec, realm)
    assert_same(applied, server, apply_realms(big_spec, server, realm))


# --- sync -------------------------------------------------------------------------------------------------------


@dataclass
class Story:
    """The spec the sync goes into, two weekly exports, and who leaves in the second."""

    spec: Path
    week_a: Path
    week_b: Path
    leavers: list[str]

    def week(self, week: str) -> tuple[Path, date]:
        """The export of week ``a`` or ``b``, and the day its sync runs."""
        return (self.week_a, WEEK_A) if week == "a" else (self.week_b, WEEK_B)

    def job(self, realm: str, week: str) -> dict:
        """The child's job that syncs week ``a`` or ``b`` into ``realm``."""
        export, today = self.week(week)
        return {"what": "sync", "spec": str(self.spec), "export": str(export), "today": today.isoformat(), "realm": realm}


@pytest.fixture(scope="module")
def story(tmp_path_factory) -> Story:
    """400 people in week A; in week B 150 join, 80 move (half of them to another company), 50 get a new title
    and phone, 45 leave (25 marked 离职, 20 gone from the export). Companies are Keycloak organizations."""
    root = tmp_path_factory.mktemp("story")
    people = roster(400)
    week, leavers = next_week(people)
    spec = write_spec(root / "spec", "organizations", teams_per_department=0, apps=2)
    return Story(spec, write_csv(root / "week-a.csv", HR_HEADER, people),
                 write_csv(root / "week-b.csv", HR_HEADER, week), leavers)


def sync_week(server: CrashServer, story: Story, realm: str, week: str, adapter=None):
    """Sync week ``a`` or ``b`` into ``realm``, past the guards (a week B has more leavers than they allow)."""
    adapter = adapter or server.adapter()
    export, today = story.week(week)
    return sync_hr(export, story.spec, MAPPING, adapter, options=SyncOptions(realm=realm, today=today, force=True))


def before_week_b(server: CrashServer, story: Story, realm: str) -> None:
    """Sign some of week B's leavers in: they have sessions for the sync to end."""
    sign_in(server.settings, realm, usernames_of(server.settings, realm, story.leavers[:SIGNED_IN]))


def prepare(server: CrashServer, story: Story, realm: str, week_a: bool = True) -> None:
    """Apply the spec; then, unless told, sync week A and sign the week-B leavers in."""
    adapter = server.adapter()
    apply_plans(plan_spec(story.spec, adapter, realm=realm), adapter)
    if week_a:
        sync_week(server, story, realm, "a")
        before_week_b(server, story, realm)


@pytest.fixture(scope="module")
def synced(server, story) -> dict[str, Reference]:
    """Weeks A and B synced without a cut: the writes of each, and the end state after B."""
    realm = new_realm("sync-ref")
    prepare(server, story, realm, week_a=False)
    weeks = {}
    for week in ("a", "b"):
        adapter = Interrupting(server.settings)
        result = sync_week(server, story, realm, week, adapter)
        weeks[week] = Reference(adapter.writes)
        if week == "a":
            before_week_b(server, story, realm)
    assert {"create", "move", "disable"} <= set(+result.counts())
    weeks["b"].state = snapshot(server.settings, [realm])
    return weeks


def test_a_sync_cut_off_by_keycloak_dying_again_and_again_ends_as_an_uninterrupted_one(server, story, synced):
    """Week B cut off in its bulk creates, in the middle of movers and leavers while writes are on their
    way, and near the end: the next run finishes it — new accounts in their organizations, leavers signed out."""
    realm = new_realm("sync-kc")
    prepare(server, story, realm)
    cut_in_turn(server, synced["b"].writes, story.job(realm, "b"), [
        Cut("keycloak", "after", "first"), Cut("keycloak", "during", "middle"), Cut("keycloak", "after", "near-end")])
    sync_week(server, story, realm, "b")  # the killed runs' lock is in the way: their process is gone
    assert_same(synced["b"], server, [realm])


def test_a_sync_killed_again_and_again_ends_as_an_uninterrupted_one(server, story, synced):
    """groupid dies in the middle of week A's bulk load; in week B as the first leaver is about to be signed
    out (disabled, still signed in), in the middle, and after the last write with its lock still held."""
    realm = new_realm("sync-kill")
    prepare(server, story, realm, week_a=False)
    cut_in_turn(server, synced["a"].writes, story.job(realm, "a"), [Cut("self", "after", "middle")])
    sync_week(server, story, realm, "a")
    before_week_b(server, story, realm)
    cut_in_turn(server, synced["b"].writes, story.job(realm, "b"),
                [Cut("self", "logout"), Cut("self", "after", "middle"), Cut("self", "release")])
    adapter = server.adapter()
    left = adapter.acquire_lock(realm, LOCK_NAME, {"holder": "test"})
    assert left is not None and left["source"] == "hr", "the killed run's lock is there"
    assert sync_week(server, story, realm, "b").writes == 0, "the killed run had written everything"
    assert_same(synced["b"], server, [realm])
