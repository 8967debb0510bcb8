"""One sync at a time per realm: a lock kept in Keycloak itself, so it holds across machines.

The lock is a realm role (``groupid-sync-lock``) whose attributes say who holds it and until when. Creating a
role is atomic — a second creation is refused — which is all a lock needs. A run that crashes leaves its lock
behind; it expires after :data:`LOCK_TTL`, or an admin deletes the role.
"""

from __future__ import annotations

import os
import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone

from groupid.errors import SafetyGuardRefused
from groupid.realms.base import RealmAdapter

LOCK_NAME = "groupid-sync-lock"
LOCK_TTL = timedelta(hours=12)
"""How long a lock outlives a run that never released it. Far longer than any sync takes."""
POLL_SECONDS = 2.0


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
        "source": source,
        "since": now.isoformat(timespec="seconds"),
        "expires": (now + LOCK_TTL).isoformat(timespec="seconds"),
    }
    deadline = time.monotonic() + wait
    while (current := adapter.acquire_lock(realm, LOCK_NAME, holder)) is not None:
        if _expired(current):
            adapter.release_lock(realm, LOCK_NAME)  # left behind by a run that crashed
            continue
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
        adapter.release_lock(realm, LOCK_NAME)


def _expired(holder: dict[str, str]) -> bool:
    try:
        return datetime.fromisoformat(holder["expires"]) < datetime.now(timezone.utc)
    except (KeyError, ValueError):
        return False  # a lock we cannot read is someone's: never break it on a guess
