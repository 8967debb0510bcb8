"""The lock a run holds on a realm: a killed run's lock is broken as soon as its owner is shown gone (its
process ended on this host, or its lease lapsed), a live owner's never — its lease is renewed while it runs,
and a run that cannot keep its lock stops writing. ``groupid sync unlock`` breaks a lock on the same terms,
and an apply holds the lock as a sync does.

Owners on this host are real processes (a child that sleeps, then is killed); "another host" is this one
with its machine identity changed, so that only the lease can tell.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta

import pytest

from groupid import lock
from groupid.apply import apply_plans
from groupid.errors import KeycloakUnreachable, RunInterrupted
from groupid.lock import LOCK_NAME, LockLost, SyncLocked, break_lock, sync_lock
from groupid.operations import plan_spec
from groupid.realms import KeycloakServer
from groupid.realms.memory import MemoryRealms
from groupid.sync import apply_sync
from groupid.sync.changes import PersonChange, SyncPlan
from tests.hr_people import SPEC, spec_realm
from tests.test_cli import invoke
from tests.test_cli_plan import env  # noqa: F401  (the connection settings in the environment)


@pytest.fixture
def sleeper():
    """A live process of this host, killed (SIGKILL) and reaped by :func:`kill` or at the end."""
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"])
    yield child
    child.kill()
    child.wait()


def kill(child: subprocess.Popen) -> None:
    child.send_signal(signal.SIGKILL)
    child.wait()


def record_of(pid: int, *, lease: timedelta = timedelta(hours=1), **changes) -> dict[str, str]:
    """The holder record a run of process ``pid`` on this host writes (a long lease unless told)."""
    record = lock._new_record("hr", lease.total_seconds())
    record |= {"pid": str(pid), "started": lock.process_start(pid) or ""} | changes
    return record | {"holder": changes.get("holder", f"{record['host']} pid {pid}")}


@pytest.fixture
def realm():
    adapter = MemoryRealms()
    adapter.create_realm("beichen", None)
    return adapter, "beichen"


def elsewhere(monkeypatch) -> None:
    """From now on this process sees every lock as another host's: only the lease can show its owner gone."""
    monkeypatch.setattr(lock, "_machine", lambda: "another boot, another namespace")


# --- owners on this host -------------------------------------------------------------------------------------


def test_a_live_owner_on_this_host_keeps_its_lock_and_a_killed_ones_is_taken_over_at_once(realm, sleeper):
    adapter, name = realm
    assert adapter.acquire_lock(name, LOCK_NAME, record_of(sleeper.pid)) is None
    with pytest.raises(SyncLocked) as refused:
        with sync_lock(adapter, name, "hr"):
            pass
    message = str(refused.value)
    assert f"pid {sleeper.pid}" in message and f"Process {sleeper.pid} on this host still runs it" in message
    assert f"kill {sleeper.pid}" in message and refused.value.exit_code == 3
    kill(sleeper)
    started = time.monotonic()
    with sync_lock(adapter, name, "hr") as held:
        assert adapter.acquire_lock(name, LOCK_NAME, {"token": "x"})["token"] == held["token"]
    assert time.monotonic() - started < 5, "a dead owner's lock was not broken at once"
    assert adapter.acquire_lock(name, LOCK_NAME, {"token": "y"}) is None  # released


def test_a_pid_that_now_belongs_to_another_process_does_not_hold_the_lock(realm, sleeper):
    adapter, name = realm
    adapter.acquire_lock(name, LOCK_NAME, record_of(sleeper.pid, started="1"))  # the pid's earlier owner
    assert lock.owner_gone(adapter.acquire_lock(name, LOCK_NAME, {})).endswith("belongs to another process)")
    with sync_lock(adapter, name, "hr"):
        pass


def test_a_run_of_this_process_that_could_not_release_its_lock_does_not_block_the_next(realm):
    """Keycloak went away at the end of a run (the release failed): the same long-lived process runs again."""
    adapter, name = realm

    class LosesTheServer(MemoryRealms):
        def release_lock(self, realm, name):
            raise KeycloakUnreachable("Keycloak does not answer (as the test wants)")

    failing = LosesTheServer()
    failing.realms = adapter.realms  # the same store: only the release fails
    with pytest.raises(RuntimeError):
        with sync_lock(failing, name, "hr"):
            raise RuntimeError("the run failed")  # its own error is what surfaces, not the failed release
    left = adapter.acquire_lock(name, LOCK_NAME, {})
    assert left["pid"] == str(os.getpid())
    assert lock.owner_gone(left) == f"the run of this process (pid {left['pid']}) that took it has ended"
    with sync_lock(adapter, name, "hr"):
        pass


# --- owners elsewhere: the lease ---------------------------------------------------------------------------------


def test_another_hosts_lock_holds_until_its_lease_lapses_and_says_how_to_break_it(realm, monkeypatch):
    adapter, name = realm
    adapter.acquire_lock(name, LOCK_NAME, record_of(4242, lease=timedelta(seconds=2), host="sync-host"))
    elsewhere(monkeypatch)
    with pytest.raises(SyncLocked) as refused:
        with sync_lock(adapter, name, "hr"):
            pass
    message = str(refused.value)
    assert "another sync is running on realm beichen (sync-host pid 4242, hr, since " in message
    assert "the lock lapses at " in message
    assert "run `groupid sync unlock --realm beichen` on sync-host: it breaks the lock only once process 4242" in message
    with sync_lock(adapter, name, "hr", wait=10):  # polls until the lease has lapsed
        pass


def test_a_lock_of_an_older_groupid_says_it_lapses_and_how_to_delete_it(realm):
    adapter, name = realm
    adapter.acquire_lock(name, LOCK_NAME, {"holder": "old-host pid 7", "source": "hr", "since": "2025-03-03T02:00:00+00:00",
                                           "expires": (datetime.now(UTC) + timedelta(hours=12)).isoformat()})
    with pytest.raises(SyncLocked) as refused:
        with sync_lock(adapter, name, "hr"):
            pass
    assert f"delete the realm role {LOCK_NAME} of realm beichen" in str(refused.value)


def test_a_live_owner_renews_its_lease_so_that_nobody_breaks_it(realm, monkeypatch):
    """The owner holds the lock for five leases; another host's run tries again and again and never gets it."""
    adapter, name = realm
    holding, done = threading.Event(), threading.Event()
    renewed = []

    def owner():
        with sync_lock(adapter, name, "hr", lease=1.0) as held:
            holding.set()
            while not done.wait(0.1):
                held.check()  # the owner writes on: its lease never lets it down
                renewed.append(held["renewed"])

    thread = threading.Thread(target=owner)
    thread.start()
    assert holding.wait(5)
    elsewhere(monkeypatch)
    try:
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            with pytest.raises(SyncLocked):
                with sync_lock(adapter, name, "hr"):
                    pass
            time.sleep(0.1)
    finally:
        done.set()
        thread.join(10)
    assert len(set(renewed)) >= 3, "the lease was not renewed"
    with sync_lock(adapter, name, "hr"):  # released by its owner
        pass


def test_a_run_that_cannot_renew_its_lease_stops_writing(realm):
    """Renewals fail (Keycloak answers nothing but the writes): after half a lease the run stops, long before
    another run could take the lock over."""
    adapter, name = realm

    class CannotRenew(MemoryRealms):
        def update_client_scope(self, realm, name, description, attributes):
            raise KeycloakUnreachable("Keycloak does not answer (as the test wants)")

    failing = CannotRenew()
    failing.realms = adapter.realms
    changes = [PersonChange(name, f"E{n}", f"u{n}", "C", ["update"], user_id=f"id{n}", update={"enabled": True})
               for n in range(100)]

    class Slow(MemoryRealms):
        def update_user(self, realm, user_id, representation):
            time.sleep(0.05)

    with sync_lock(failing, name, "hr", lease=1.0) as held:
        with pytest.raises(RunInterrupted) as lost:
            apply_sync(SyncPlan(changes=changes), Slow(), workers=1, guard=held.check)
    assert isinstance(lost.value.cause, LockLost) and lost.value.__cause__ is lost.value.cause
    assert "lock on realm beichen is lost (its lease could not be renewed for 0.5 s); it stopped writing" in str(lost.value)
    assert 5 < len(lost.value.outcome.done) < 50


def test_a_run_whose_lock_was_taken_over_stops_writing(realm):
    adapter, name = realm
    with sync_lock(adapter, name, "hr", lease=0.6) as held:
        adapter.release_lock(name, LOCK_NAME)
        adapter.acquire_lock(name, LOCK_NAME, record_of(4242, host="sync-host"))
        time.sleep(0.4)  # a renewal sees it
        with pytest.raises(LockLost, match=r"another run took it over \(sync-host pid 4242\)"):
            held.check()
    assert adapter.acquire_lock(name, LOCK_NAME, {})["holder"] == "sync-host pid 4242"  # not released by the loser


# --- breaking a lock by hand ------------------------------------------------------------------------------------


def test_break_lock_breaks_a_dead_owners_lock_only(realm, sleeper):
    adapter, name = realm
    assert break_lock(adapter, name) is None
    assert adapter.acquire_lock(name, LOCK_NAME, {"token": "t"}) is None  # looking took nothing
    adapter.release_lock(name, LOCK_NAME)
    adapter.acquire_lock(name, LOCK_NAME, record_of(sleeper.pid))
    with pytest.raises(SyncLocked, match="held by a run that may still be going on; nothing was changed"):
        break_lock(adapter, name)
    assert adapter.acquire_lock(name, LOCK_NAME, {})["pid"] == str(sleeper.pid)
    kill(sleeper)
    holder, reason = break_lock(adapter, name)
    assert holder["pid"] == str(sleeper.pid) and reason == f"process {sleeper.pid} on {holder['host']} has ended"
    assert adapter.acquire_lock(name, LOCK_NAME, {"token": "t"}) is None


@pytest.mark.keycloak
def test_groupid_sync_unlock_on_the_command_line(env, sleeper):  # noqa: F811
    server = KeycloakServer(env)
    with spec_realm(server, "unlock") as name:
        assert (result := invoke("sync", "unlock", "--realm", name)).exit_code == 0
        assert result.stdout.strip() == f"realm {name} is not locked"
        server.acquire_lock(name, LOCK_NAME, record_of(sleeper.pid))
        refused = invoke("sync", "unlock", "--realm", name)
        assert refused.exit_code == 3 and f"kill {sleeper.pid}" in refused.stderr and "Traceback" not in refused.output
        kill(sleeper)
        broke = invoke("sync", "unlock", "--realm", name)
        assert broke.exit_code == 0
        assert f"broke the lock of realm {name} held by " in broke.stdout and f"process {sleeper.pid}" in broke.stdout
        assert server.acquire_lock(name, LOCK_NAME, {"holder": "test"}) is None
        server.release_lock(name, LOCK_NAME)


# --- apply holds the lock too --------------------------------------------------------------------------------------


def test_an_apply_waits_for_a_sync_and_writes_nothing_while_one_runs(sleeper):
    adapter = MemoryRealms()
    with spec_realm(adapter, "applylock") as name:
        adapter.delete_group(name, next(g.id for g in adapter.read(name).groups if g.parent_id is None))
        plans = plan_spec(SPEC, adapter, realm=name)
        adapter.acquire_lock(name, LOCK_NAME, record_of(sleeper.pid))
        before = adapter.read(name)
        with pytest.raises(SyncLocked, match=r"^another sync is running on realm"):
            apply_plans(plans, adapter)
        assert adapter.read(name) == before
        threading.Timer(1.0, kill, (sleeper,)).start()
        apply_plans(plans, adapter, wait=30)  # the sync's process ends; the apply takes the lock over
        assert all(not plan.changes for plan in plan_spec(SPEC, adapter, realm=name))
        assert adapter.acquire_lock(name, LOCK_NAME, {"token": "t"}) is None  # and gave it back


def test_a_sync_is_refused_while_an_apply_runs(realm, sleeper):
    adapter, name = realm
    adapter.acquire_lock(name, LOCK_NAME, record_of(sleeper.pid, source="apply"))
    with pytest.raises(SyncLocked, match=r"^another apply is running on realm beichen"):
        with sync_lock(adapter, name, "hr"):
            pass


def test_a_run_that_waited_takes_the_lock_with_a_fresh_lease(realm, sleeper):
    """Its lease runs from when it took the lock, not from when it began to wait for it."""
    adapter, name = realm
    adapter.acquire_lock(name, LOCK_NAME, record_of(sleeper.pid))
    threading.Timer(2.5, kill, (sleeper,)).start()
    with sync_lock(adapter, name, "hr", wait=30, lease=2.0):
        stored = adapter.acquire_lock(name, LOCK_NAME, {})
        assert datetime.fromisoformat(stored["expires"]) > datetime.now(UTC)
        assert lock.owner_gone(stored) is None
