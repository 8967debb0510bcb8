"""What every run shares, whether it applies a realm plan or syncs people.

* one vocabulary of actions (:class:`Action`): a realm plan creates, updates and deletes; a people sync also
  moves, disables and re-enables accounts;
* one guard (:class:`Threshold`): a run refuses, nothing written, when it would touch more than a number *and*
  more than a share of what it manages — unless forced. The refusal (:class:`~groupid.errors.TooMuchChange`)
  carries its figures;
* one progress protocol (:class:`Progress`): called with the steps done and the steps in all;
* one result type (:class:`Outcome`): the changes made, those that failed with why, the write requests sent,
  and the ids of what was created.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import Enum
from typing import Generic, Protocol, TypeVar

from groupid.errors import TooMuchChange


class Action(str, Enum):
    """What a change does to one object: a group, a role, an account."""

    CREATE = "create"
    UPDATE = "update"
    MOVE = "move"  #: an account to another company or department (people)
    DISABLE = "disable"  #: a leaver's account (people)
    ENABLE = "enable"  #: a rehire's account (people)
    DELETE = "delete"

    def __str__(self) -> str:
        return self.value


REALM_ACTIONS = (Action.CREATE, Action.UPDATE, Action.DELETE)
"""The actions of a realm plan, in the order a summary lists them."""

PEOPLE_ACTIONS = tuple(Action)
"""The actions of a people sync, in the order a summary lists them."""


def count_actions(actions: Iterable[str], vocabulary: Iterable[Action] = REALM_ACTIONS) -> dict[str, int]:
    """How many of ``actions`` are each action of ``vocabulary`` (zero counts included)."""
    counted = Counter(str(action) for action in actions)
    return {action.value: counted.get(action.value, 0) for action in vocabulary}


@dataclass(frozen=True)
class Threshold:
    """A guard: more than ``count`` objects *and* more than ``share`` of the managed ones is too much.

    Both must be crossed, so that a small realm can still lose its 3 of 5 test groups, and a large one its
    10 leavers of the week, without a ``--force``.
    """

    count: int
    share: float

    def crossed(self, changed: int, managed: int) -> bool:
        """Whether changing ``changed`` of ``managed`` objects crosses the threshold."""
        return changed > self.count and changed > self.share * managed

    def check(self, changed: int, managed: int, message: str) -> None:
        """Raise :class:`TooMuchChange` with ``message`` and the figures when :meth:`crossed`."""
        if self.crossed(changed, managed):
            raise TooMuchChange(message, changed=changed, managed=managed, threshold=(self.count, self.share))


class Progress(Protocol):
    """Told as a run goes: ``done`` steps of ``total``."""

    def __call__(self, done: int, total: int) -> None:
        """Report that ``done`` of ``total`` steps are finished."""


T = TypeVar("T")


@dataclass
class Outcome(Generic[T]):
    """What an apply did: the changes made, those that failed with why, the write requests sent, and the ids
    Keycloak gave the objects the changes created (a plan is made before they exist, and stays as it was)."""

    done: list[T] = field(default_factory=list)
    failed: list[tuple[T, str]] = field(default_factory=list)
    writes: int = 0
    ids: dict[T, str] = field(default_factory=dict)  #: change -> the id of the object it created
    signed_out: int = 0  #: users whose sessions were ended because they left an app's audience
