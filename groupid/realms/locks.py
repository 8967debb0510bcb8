"""A lock kept in a realm, over the client scope primitives every adapter has: written once, for both adapters.

A lock is a client scope named after it whose attributes are its holder's record and carry
:data:`~groupid.keycloak_terms.LOCK_MARK`, described as :data:`LOCK_DESCRIPTION`. Creating a client scope is
atomic — Keycloak keeps its names unique per realm in the database, and a second creation of the same name is
refused with a :class:`~groupid.errors.Conflict` — which is all taking a lock needs. That is the lock's wire
format: a lock taken by any groupid that kept it is recognised.

Why a client scope and not a realm role, as groupid kept it before: deleting a role, a group or a client makes
Keycloak drop every cached user of the realm, and each release of the lock made the next read of every user,
sign-ins included, load them from the database again (``bench/user_cache.py``). Deleting a client scope drops
no user. A lock an older groupid keeps as a realm role is still honoured: while one is held nobody takes the
client scope, and it is broken by the same rules.

What a run does with the lock (leases, breaking the lock of a run that is gone) is :mod:`groupid.lock`'s.
"""

from __future__ import annotations

from typing import Protocol

from groupid.errors import Conflict
from groupid.keycloak_terms import LOCK_MARK

LOCK_DESCRIPTION = "held by a running groupid"
"""The description of a lock's client scope."""

KEPT_AS_ROLE = "groupid.lock.kept-as-role"
"""A key of the holder record :func:`acquire_lock` returns for a lock an older groupid keeps as a realm role:
what breaking that lock must delete. It is never written to Keycloak."""


class LockRecords(Protocol):
    """The primitives a lock is made of: client scopes, and the realm roles older locks were."""

    def create_client_scope(self, realm: str, name: str, description: str | None, attributes: dict[str, str]) -> None:
        """Create a client scope; one of that name is a :class:`~groupid.errors.Conflict`."""

    def read_client_scope_attributes(self, realm: str, name: str) -> dict[str, str] | None:
        """A client scope's attributes; None when there is no such scope."""

    def update_client_scope(self, realm: str, name: str, description: str | None, attributes: dict[str, str]) -> None:
        """Replace a client scope's description and attributes."""

    def discard_client_scope(self, realm: str, name: str) -> None:
        """Delete a client scope; nothing happens when there is none."""

    def read_role_attributes(self, realm: str, name: str) -> dict[str, list[str]] | None:
        """A realm role's attributes; None when there is no such role."""

    def discard_role(self, realm: str, name: str) -> None:
        """Delete a realm role; nothing happens when there is none."""


def lock_attributes(holder: dict[str, str]) -> dict[str, str]:
    """The attributes of the lock scope of ``holder``: its record, and the mark that makes the scope a lock."""
    return {**{key: value for key, value in holder.items() if key != KEPT_AS_ROLE}, LOCK_MARK: "true"}


def acquire_lock(records: LockRecords, realm: str, name: str, holder: dict[str, str]) -> dict[str, str] | None:
    """Take the lock ``name`` of ``realm`` for ``holder``, atomically: None when taken, or — changing nothing —
    the record of whoever holds it.

    Of two runs racing for the lock exactly one creates its scope; the other reads the holder from it. A lock
    released between the refused creation and the read is tried again. A run that took the scope while an
    older groupid holds the lock as a realm role gives the scope back and returns that role's holder.
    """
    while True:
        try:
            records.create_client_scope(realm, name, LOCK_DESCRIPTION, lock_attributes(holder))
        except Conflict:
            held = records.read_client_scope_attributes(realm, name)
            if held is not None:
                return {key: value for key, value in held.items() if key != LOCK_MARK}
            continue
        older = records.read_role_attributes(realm, name)
        if older is None or LOCK_MARK not in older:
            return None
        records.discard_client_scope(realm, name)
        return {**{key: values[0] for key, values in older.items() if key != LOCK_MARK and values},
                KEPT_AS_ROLE: "true"}


def renew_lock(records: LockRecords, realm: str, name: str, holder: dict[str, str]) -> None:
    """Write ``holder``'s record anew on the lock ``name`` it holds (its lease renewed)."""
    records.update_client_scope(realm, name, LOCK_DESCRIPTION, lock_attributes(holder))


def release_lock(records: LockRecords, realm: str, name: str, holder: dict[str, str] | None = None) -> None:
    """Give the lock ``name`` of ``realm`` up: delete its scope (nothing happens when nobody holds it).

    ``holder`` is the record :func:`acquire_lock` returned when the lock broken is another run's: a lock an
    older groupid keeps as a realm role is deleted as one.
    """
    if holder is not None and holder.get(KEPT_AS_ROLE):
        records.discard_role(realm, name)
    else:
        records.discard_client_scope(realm, name)
