"""One writing run at a time per realm: a lock kept in Keycloak itself, so it holds across machines.

The lock is a client scope (``groupid-sync-lock``) whose attributes say who holds it: the host, the process
(its pid and start time), what it runs (``hr`` for a sync, ``apply``) and until when its lease lasts.
Creating a client scope is atomic — a second creation is refused — which is all taking a lock needs
(:mod:`groupid.realms.locks`, over any adapter's primitives, which also says why it is not a role).

A run never loses its lock while it goes on: it renews the lease every sixth of :data:`LEASE`, and it
stops writing (:class:`LockLost`) when it could not renew for half a lease — long before anyone else may break
it. A run that was killed leaves its lock behind, and the lock is broken, by the next run or by
``groupid sync unlock``, as soon as it is shown that its owner is gone:

* its lease lapsed: nobody renewed it for :data:`LEASE` (whatever host the owner was on);
* or the owner ran on this host (same host name, same boot, same process namespace) and its process has
  ended, or its pid now belongs to another process (the start time differs);
* or the owner was a run of this very process that has ended without releasing it (Keycloak was down then).

A lock whose owner may still run is never broken; the refusal says who holds it and how to end it.
"""

from __future__ import annotations

import os
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

from groupid.errors import GroupidError, SafetyGuardRefused
from groupid.model import checked_realm_name
from groupid.realms.base import Connector, RealmAdapter, connected

LOCK_NAME = "groupid-sync-lock"
LEASE = 120.0
"""Seconds a lock outlives the last renewal of its lease: how long a killed run on another host blocks others.
The run that holds it renews it every sixth of that, and stops writing when it could not for half of it."""
POLL_SECONDS = 2.0
TAKEOVER_SETTLE = 1.0
"""Seconds a run that broke a lock waits before it checks that the lock it then took is still its own."""

_PROC_SELF = Path("/proc/self/stat")
_held: set[str] = set()  # the tokens of the locks runs of this process hold right now
_held_guard = threading.Lock()


class SyncLocked(SafetyGuardRefused):
    """Another run holds the realm; this one wrote nothing."""


class LockLost(GroupidError):
    """A run could not keep its lock (renewals failed for half a lease, or the lock was broken): it stopped."""


class Lease(dict):
    """The holder record of a lock this run holds (as stored in Keycloak), and the lease kept on it.

    A thread renews the lease while the run goes on; :meth:`check` raises :class:`LockLost` once the run can
    no longer be sure it holds the lock. Call it before each write.
    """

    def __init__(self, adapter: RealmAdapter, realm: str, record: dict[str, str], lease: float, taken_at: float):
        super().__init__(record)
        self.adapter, self.realm, self.lease = adapter, realm, lease
        self.renewed_at = taken_at  #: monotonic time the last successful renewal (or the take) was sent
        self.lost: str | None = None  #: why the lock was lost, once it is
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._keep, name="groupid-lock-lease", daemon=True)

    def check(self) -> None:
        """Raise :class:`LockLost` when the lock may no longer be this run's: nothing more may be written."""
        if self.lost is None and time.monotonic() - self.renewed_at > self.lease / 2:
            self.lost = f"its lease could not be renewed for {self.lease / 2:g} s"
        if self.lost:
            raise LockLost(f"this run's lock on realm {self.realm} is lost ({self.lost}); it stopped writing. "
                           "What it wrote stays; run it again to finish")

    def _keep(self) -> None:
        every = self.lease / 6
        while not self._stop.wait(every):
            if self.lost:
                return
            try:
                self._renew()
            except GroupidError:
                pass  # Keycloak did not answer: the next tick tries again; check() fences the writes meanwhile

    def _renew(self) -> None:
        sent = time.monotonic()
        current = self.adapter.acquire_lock(self.realm, LOCK_NAME, dict(self))
        if current is None:  # it was gone (deleted by hand): taken anew just now, but runs may have come between
            self.lost = "its lock was deleted while it ran"
            return
        if current.get("token") != self["token"]:
            self.lost = f"another run took it over ({current.get('holder', 'unknown')})"
            return
        now = datetime.now(UTC)
        self["renewed"] = _stamp(now)
        self["expires"] = _stamp(now + timedelta(seconds=self.lease), up=True)
        self.adapter.renew_lock(self.realm, LOCK_NAME, dict(self))
        self.renewed_at = sent

    def _start(self) -> None:
        self._thread.start()

    def _end(self) -> None:
        self._stop.set()
        self._thread.join(timeout=30)


@contextmanager
def sync_lock(adapter: RealmAdapter, realm: str, source: str, wait: float = 0.0,
              lease: float = LEASE) -> Iterator[Lease]:
    """Hold the lock of ``realm`` within the block, waiting up to ``wait`` seconds for another run.

    ``source`` says what the run does (``hr``, ``apply``). Raises :class:`SyncLocked` when the lock is still
    held after ``wait`` seconds by a run that may still be going on. The lease is renewed in a thread while
    the block runs: call the yielded :meth:`Lease.check` before each write.
    """
    record = _new_record(source, lease)
    with _held_guard:  # before the lock is taken: another thread of this process must never think it ended
        _held.add(record["token"])
    try:
        deadline = time.monotonic() + wait
        while True:
            taken_at = time.monotonic()
            record |= _lease_times(lease)  # a run that waited long must not take the lock with a lapsed lease
            current = _take(adapter, realm, record)
            if current is None:
                break
            if time.monotonic() >= deadline:
                raise SyncLocked(locked_message(realm, current))
            time.sleep(max(0.0, min(POLL_SECONDS, deadline - time.monotonic())))
        held = Lease(adapter, realm, record, lease, taken_at)
        held._start()
        try:
            yield held
        except BaseException:
            held._end()
            try:
                _release(adapter, realm, held)
            except GroupidError:
                pass  # the server is gone too: the run's own error says more, and the lock is broken later
            raise
        held._end()
        _release(adapter, realm, held)
    finally:
        with _held_guard:
            _held.discard(record["token"])


def break_lock(adapter: Connector, realm: str) -> tuple[dict[str, str], str] | None:
    """Break the lock of ``realm`` if its owner is shown to be gone: return its holder record and why it
    could be broken, or None when the realm was not locked.

    ``adapter`` may be a callable that connects: the realm name is checked first (never ``master``). Raises
    :class:`SyncLocked` (nothing changed) when the owner may still run.
    """
    checked_realm_name(realm)
    adapter = connected(adapter)
    record = _new_record("unlock", LEASE)
    current = adapter.acquire_lock(realm, LOCK_NAME, record)
    if current is None:  # nobody held it: taken for a moment, given back at once
        adapter.release_lock(realm, LOCK_NAME)
        return None
    gone = owner_gone(current)
    if gone is None:
        raise SyncLocked(f"the lock of realm {realm} is held by a run that may still be going on; nothing was "
                         f"changed. {_holder_text(current)}. {_how_to_end(realm, current)}")
    again = adapter.acquire_lock(realm, LOCK_NAME, record)
    if again is None:  # released meanwhile: give back what was just taken
        adapter.release_lock(realm, LOCK_NAME)
        return None
    if again != current:
        raise SyncLocked(f"the lock of realm {realm} changed hands while it was looked at; nothing was changed. "
                         f"{_holder_text(again)}")
    adapter.release_lock(realm, LOCK_NAME, current)
    return current, gone


def owner_gone(current: dict[str, str], now: datetime | None = None) -> str | None:
    """Why the owner of the lock whose holder record is ``current`` is known to be gone, or None when it may
    still run."""
    now = now or datetime.now(UTC)
    expires = _parse(current.get("expires"))
    if expires is not None and expires < now:
        return f"its lease lapsed at {current['expires']}"
    here = _here()
    if not here["machine"] or current.get("machine") != here["machine"] or current.get("host") != here["host"]:
        return None  # another host (or one we cannot tell apart from another): only the lease can tell
    try:
        pid = int(current.get("pid", ""))
    except ValueError:
        return None
    if pid == os.getpid() and current.get("started") == here["started"]:
        with _held_guard:
            running = current.get("token") in _held
        return None if running else f"the run of this process (pid {pid}) that took it has ended"
    started = process_start(pid)
    if started is None:
        return f"process {pid} on {here['host']} has ended"
    if current.get("started") and started != current["started"]:
        return f"process {pid} on {here['host']} has ended (the pid now belongs to another process)"
    return None


def locked_message(realm: str, current: dict[str, str]) -> str:
    """Why a run is refused: who holds the realm, and exactly how that lock ends or is broken safely."""
    kind = "apply" if current.get("source") == "apply" else "sync"
    return (f"another {kind} is running on realm {realm} ({_holder_text(current)}); nothing was written. "
            f"Use --wait SECONDS to wait for it. {_how_to_end(realm, current)}")


def _holder_text(current: dict[str, str]) -> str:
    parts = [current.get("holder", "unknown holder"), current.get("source", "?"), f"since {current.get('since', '?')}"]
    if current.get("renewed"):
        parts.append(f"lease renewed {current['renewed']}")
    return ", ".join(parts)


def _how_to_end(realm: str, current: dict[str, str]) -> str:
    expires, host, pid = current.get("expires", "?"), current.get("host"), current.get("pid")
    if not current.get("machine"):  # a lock of an older groupid: no lease kept, no process to check
        return (f"If that run was killed, its lock lapses at {expires}; to break it sooner, make sure it has "
                f"ended, then delete the realm role {LOCK_NAME} of realm {realm}.")
    here = _here()
    if current.get("machine") == here["machine"] and host == here["host"]:
        return (f"Process {pid} on this host still runs it: if it hangs, stop it (kill {pid}); the next run "
                "then takes the lock over.")
    return (f"Its owner renews the lease while it runs; if it was killed, the lock lapses at {expires} and the "
            f"next run takes over. To break it sooner, run `groupid sync unlock --realm {realm}` on {host}: it "
            f"breaks the lock only once process {pid} there has ended.")


def _take(adapter: RealmAdapter, realm: str, record: dict[str, str]) -> dict[str, str] | None:
    """Try to take the lock once, breaking it when its owner is gone: None when this run holds it, else the holder."""
    current = adapter.acquire_lock(realm, LOCK_NAME, record)
    if current is None or _ours(current, record):
        return None
    if owner_gone(current) is None:
        return current
    # Another waiting run may have broken it already and hold a new lock: look again right before breaking
    # it, so that only the lock that was read is broken.
    again = adapter.acquire_lock(realm, LOCK_NAME, record)
    if again is None or again != current:
        return again
    adapter.release_lock(realm, LOCK_NAME, current)
    # Two runs can still break it at the same moment: take it, give the other time to do its worst, look again.
    taken = adapter.acquire_lock(realm, LOCK_NAME, record)
    if taken is not None:
        return taken
    time.sleep(TAKEOVER_SETTLE)
    check = adapter.acquire_lock(realm, LOCK_NAME, record)  # None: deleted meanwhile, and now taken again
    return None if check is None or _ours(check, record) else check


def _ours(current: dict[str, str] | None, record: dict[str, str]) -> bool:
    return current is not None and current.get("token") == record["token"]


def _release(adapter: RealmAdapter, realm: str, record: dict[str, str]) -> None:
    """Release the lock if this run still holds it: a run that outlived its lock must not free another's."""
    current = adapter.acquire_lock(realm, LOCK_NAME, record)
    if current is None or _ours(current, record):
        adapter.release_lock(realm, LOCK_NAME)


def _new_record(source: str, lease: float) -> dict[str, str]:
    here = _here()
    return {
        "holder": f"{here['host']} pid {os.getpid()}",
        "host": here["host"],
        "machine": here["machine"],
        "pid": str(os.getpid()),
        "started": here["started"],
        "token": uuid.uuid4().hex,  # tells this run's lock from any other, even of the same process
        "source": source,
        **_lease_times(lease),
    }


def _lease_times(lease: float) -> dict[str, str]:
    """The times of a lock taken now: since, renewed, and when its lease lapses."""
    now = datetime.now(UTC)
    return {"since": _stamp(now), "renewed": _stamp(now), "expires": _stamp(now + timedelta(seconds=lease), up=True)}


def _here() -> dict[str, str]:
    """This process: its host name, its machine (boot and process namespace), its start time."""
    return {"host": socket.gethostname(), "machine": _machine(), "started": process_start(os.getpid()) or ""}


def _machine() -> str:
    """What makes a pid mean one process: the boot and the pid namespace; empty where they cannot be read.

    Containers on one machine share the boot but not the namespace, and two machines may share a host name.
    """
    try:
        boot = Path("/proc/sys/kernel/random/boot_id").read_text(encoding="ascii").strip()
        namespace = os.readlink("/proc/self/ns/pid")
    except OSError:
        return ""
    return f"{boot} {namespace}"


def process_start(pid: int) -> str | None:
    """When the process ``pid`` started (clock ticks since boot, as the kernel counts them), or None when there
    is no such process. Empty where the system does not say (no /proc): a live process then cannot be told
    from a later one with the same pid."""
    if not _PROC_SELF.exists():
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return None
        except PermissionError:
            pass  # another user's: alive
        return ""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text(encoding="ascii", errors="replace")
    except OSError:
        return None
    fields = stat.rpartition(")")[2].split()  # the command name in parentheses may hold spaces
    if fields[:1] == ["Z"]:
        return None  # a zombie has ended; only its exit status is left
    return fields[19] if len(fields) > 19 else ""


def _stamp(moment: datetime, up: bool = False) -> str:
    """``moment`` to the second; ``up`` rounds up, so that a lease never looks shorter than it is."""
    if up and moment.microsecond:
        moment += timedelta(microseconds=1_000_000 - moment.microsecond)
    return moment.isoformat(timespec="seconds")


def _parse(value: str | None) -> datetime | None:
    try:
        return datetime.fromisoformat(value) if value else None
    except ValueError:
        return None  # a lock we cannot read is someone's: never break it on a guess
