"""One sync at a time per realm: a lock kept in Keycloak itself, so it holds across machines.

The lock is a realm role (``groupid-sync-lock``) whose attributes say who holds it and until when. Creating a
role is atomic — a second creation is refused — which is all a lock needs. A run that crashes leaves its lock
behind; it expires after :data:`LOCK_TTL`, or an admin deletes the role.
"""

from __future__ import annotations

import os
import socket
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone

from groupid.errors import SafetyGuardRefused
from groupid.realms.base import RealmAdapter

LOCK_NAME = "groupid-sync-lock"
LOCK_TTL = timedelta(hours=12)
"""How long a lock outlives a run that never released it. Far longer than any sync takes."""
POLL_SECONDS = 2.0
TAKEOVER_SETTLE = 1.0
"""Seconds a run that broke an expired lock waits before it checks that the lock it then took is still its own."""


class SyncLocked(SafetyGuardRefused):
    """Another sync holds the realm; this one wrote nothing."""


@contextmanager
def sync_lock(adapter: RealmAdapter, realm: str, source: str, wait: float = 0.0) -> Iterator[dict[str, str]]:
    """Hold the sync lock of ``realm`` within the block, waiting up to ``wait`` seconds for another run.

    Raises :class:`SyncLocked` when the lock is still held after ``wait`` seconds.
    """
    now = datetime.now(timezone.utc)
    holder = {
        "holder": f"{socket.gethostname()} pid {os.getpid()}",
        "token": uuid.uuid4().hex,  # tells this run's lock from any other, even of the same process
        "source": source,
        "since": now.isoformat(timespec="seconds"),
        "expires": (now + LOCK_TTL).isoformat(timespec="seconds"),
    }
    deadline = time.monotonic() + wait
    while (current := _take(adapter, realm, holder)) is not None:
        if time.monotonic() >= deadline:
            raise SyncLocked(
                f"another sync is running on realm {realm} ({current.get('holder', 'unknown')}, "
                f"{current.get('source', '?')}, since {current.get('since', '?')}); nothing was written. "
                f"Use --wait to wait for it. A crashed run's lock expires at {current.get('expires', '?')}, "
                f"or delete the realm role {LOCK_NAME}."
            )
        time.sleep(max(0.0, min(POLL_SECONDS, deadline - time.monotonic())))
    try:
        yield holder
    finally:
        _release(adapter, realm, holder)


def _take(adapter: RealmAdapter, realm: str, holder: dict[str, str]) -> dict[str, str] | None:
    """Try to take the lock once, breaking it when it has expired: None when this run holds it, else the holder."""
    current = adapter.acquire_lock(realm, LOCK_NAME, holder)
    if current is None or _ours(current, holder):
        return None
    if not _expired(current):
        return current
    # Left behind by a run that crashed. Another waiting run may have broken it already and hold a new lock:
    # look again right before breaking it, so that only the lock that was read is broken.
    again = adapter.acquire_lock(realm, LOCK_NAME, holder)
    if again is None or again != current:
        return again
    adapter.release_lock(realm, LOCK_NAME)
    # Two runs can still break it at the same moment: take it, give the other time to do its worst, look again.
    taken = adapter.acquire_lock(realm, LOCK_NAME, holder)
    if taken is not None:
        return taken
    time.sleep(TAKEOVER_SETTLE)
    check = adapter.acquire_lock(realm, LOCK_NAME, holder)  # None: deleted meanwhile, and now taken again
    return None if check is None or _ours(check, holder) else check


def _ours(current: dict[str, str] | None, holder: dict[str, str]) -> bool:
    return current is not None and current.get("token") == holder["token"]


def _release(adapter: RealmAdapter, realm: str, holder: dict[str, str]) -> None:
    """Release the lock if this run still holds it: a run that outlived its lock must not free another's."""
    current = adapter.acquire_lock(realm, LOCK_NAME, holder)
    if current is None or _ours(current, holder):
        adapter.release_lock(realm, LOCK_NAME)


def _expired(holder: dict[str, str]) -> bool:
    try:
        return datetime.fromisoformat(holder["expires"]) < datetime.now(timezone.utc)
    except (KeyError, ValueError):
        return False  # a lock we cannot read is someone's: never break it on a guess
