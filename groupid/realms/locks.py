"""A lock kept in a realm, over the role primitives every adapter has: written once, for both adapters.

A lock is a realm role named after it whose attributes are its holder's record and carry
:data:`~groupid.keycloak_terms.LOCK_MARK`, described as :data:`LOCK_DESCRIPTION`. Creating a role is atomic —
a second creation of the same name is refused with a :class:`~groupid.errors.Conflict` — which is all taking
a lock needs. That is the lock's wire format: a lock taken by any groupid that kept it is recognised.

What a run does with the lock (leases, breaking the lock of a run that is gone) is :mod:`groupid.lock`'s.
"""

from __future__ import annotations

from typing import Protocol

from groupid.errors import Conflict
from groupid.keycloak_terms import LOCK_MARK

LOCK_DESCRIPTION = "held by a running groupid"
"""The description of a lock role."""


class LockRoles(Protocol):
    """The role primitives a lock is made of."""

    def create_role(self, realm: str, name: str, description: str | None, attributes: dict[str, list[str]]) -> None:
        """Create a realm role; one of that name is a :class:`~groupid.errors.Conflict`."""

    def read_role_attributes(self, realm: str, name: str) -> dict[str, list[str]] | None:
        """A realm role's attributes; None when there is no such role."""

    def discard_role(self, realm: str, name: str) -> None:
        """Delete a realm role; nothing happens when there is none."""


def lock_attributes(holder: dict[str, str]) -> dict[str, list[str]]:
    """The attributes of the lock role of ``holder``: its record, and the mark that makes the role a lock."""
    return {**{key: [value] for key, value in holder.items()}, LOCK_MARK: ["true"]}


def acquire_lock(roles: LockRoles, realm: str, name: str, holder: dict[str, str]) -> dict[str, str] | None:
    """Take the lock ``name`` of ``realm`` for ``holder``, atomically: None when taken, or — changing nothing —
    the record of whoever holds it.

    Of two runs racing for the lock exactly one creates its role; the other reads the holder from it. A lock
    released between the refused creation and the read is tried again.
    """
    attributes = lock_attributes(holder)
    while True:
        try:
            roles.create_role(realm, name, LOCK_DESCRIPTION, attributes)
            return None
        except Conflict:
            held = roles.read_role_attributes(realm, name)
        if held is not None:
            return {key: values[0] for key, values in held.items() if key != LOCK_MARK and values}


def release_lock(roles: LockRoles, realm: str, name: str) -> None:
    """Give the lock ``name`` of ``realm`` up: delete its role (nothing happens when nobody holds it)."""
    roles.discard_role(realm, name)
