"""Plans: what apply would change in one realm, as a sorted list of small Change objects.

A :class:`Change` is a value: an action (create, update, delete), the kind of object, its key (a group's
code, a role's name), a label for people, the fields that change (old → new) and ``data`` — everything apply
needs to carry the change out, so that a plan saved to a file can be applied later exactly as reviewed.

Changes sort in dependency order: the realm and its user profile first, then roles, groups parents before
children, composites and role mappings, and deletions last, children before parents. A :class:`Plan` also
remembers the checksum of the live state it was computed from; apply refuses a saved plan when the realm
has changed since.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, ClassVar

from groupid.errors import ConfigurationError, SafetyGuardRefused, SourceError
from groupid.files import read_json
from groupid.model import checked_realm_name
from groupid.text import inert_json, quoted

PLAN_FORMAT = 1

KIND_ORDER = (
    "realm", "user-profile", "role", "group", "composites", "default-roles", "group-roles",
    "organization", "client", "identity-provider",
)
"""Creates and updates run in this order; deletes run after all of them, in reverse."""

DELETE_THRESHOLD_COUNT = 10
DELETE_THRESHOLD_SHARE = 0.20


@dataclass(frozen=True)
class FieldChange:
    """One field of an object, before and after. Sensitive values never leave the plan in clear."""

    name: str
    old: Any
    new: Any
    sensitive: bool = False

    def shown(self, value: Any) -> Any:
        """The value as plans show it."""
        return "(sensitive)" if self.sensitive and value is not None else value


@dataclass(frozen=True)
class Change:
    """One change to one object of a realm."""

    action: ClassVar[str] = ""
    kind: str
    key: str
    label: str
    fields: tuple[FieldChange, ...] = ()
    data: dict = field(default_factory=dict, compare=False)
    depth: int = 0  #: for groups: parents (small depth) are created before children

    def sort_key(self) -> tuple:
        """Dependency order: creates and updates by kind and depth; deletes last, deepest first."""
        if self.action == "delete":
            return (1, -KIND_ORDER.index(self.kind), -self.depth, self.key)
        return (0, KIND_ORDER.index(self.kind), self.depth, self.key, self.action)

    def to_dict(self) -> dict:
        """A JSON-ready form; sensitive values are masked."""
        return {
            "action": self.action,
            "kind": self.kind,
            "key": self.key,
            "label": self.label,
            "depth": self.depth,
            "fields": [
                {"name": f.name, "old": f.shown(f.old), "new": f.shown(f.new), "sensitive": f.sensitive}
                for f in self.fields
            ],
            "data": self.data,
        }


@dataclass(frozen=True)
class Create(Change):
    """A new object."""

    action: ClassVar[str] = "create"


@dataclass(frozen=True)
class Update(Change):
    """An object that exists and differs; ``fields`` say how."""

    action: ClassVar[str] = "update"


@dataclass(frozen=True)
class Delete(Change):
    """An owned object that left the spec (only with --prune)."""

    action: ClassVar[str] = "delete"


ACTIONS: dict[str, type[Change]] = {cls.action: cls for cls in (Create, Update, Delete)}


def count_actions(changes: list[Change]) -> dict[str, int]:
    """How many of ``changes`` create, update and delete."""
    counted = Counter(change.action for change in changes)
    return {action: counted.get(action, 0) for action in ACTIONS}


@dataclass(frozen=True)
class Finding:
    """Something the plan does not change but the admin should know: an unmanaged match, an orphan kept."""

    kind: str
    key: str
    message: str


@dataclass
class Plan:
    """The changes that bring one realm in line with the spec."""

    realm: str
    changes: list[Change]
    findings: list[Finding] = field(default_factory=list)
    live_checksum: str = ""
    managed: dict[str, int] = field(default_factory=dict)  #: owned objects per kind, for the deletion guard

    def __post_init__(self) -> None:
        self.changes = sorted(self.changes, key=Change.sort_key)

    @property
    def empty(self) -> bool:
        """True when applying would change nothing."""
        return not self.changes

    def counts(self) -> dict[str, int]:
        """How many creates, updates and deletes."""
        return count_actions(self.changes)

    def check_deletions(self, force: bool = False) -> None:
        """Refuse (:class:`SafetyGuardRefused`) when deletions of one kind exceed the threshold.

        The threshold is crossed when more than 10 objects *and* more than 20% of the managed objects of one
        kind would be deleted — a truncated spec or a wrong directory, far more often than a real reorg.
        """
        if force:
            return
        deletes: Counter[str] = Counter()
        for change in self.changes:
            if change.action == "delete":
                # deleting a group deletes the groups below it: they count too
                deletes[change.kind] += 1 + int(change.data.get("cascade", 0))
        for kind, count in sorted(deletes.items()):
            managed = max(self.managed.get(kind, 0), 1)
            if count > DELETE_THRESHOLD_COUNT and count / managed > DELETE_THRESHOLD_SHARE:
                raise SafetyGuardRefused(
                    f"realm {self.realm}: the plan deletes {count} of {managed} managed {kind}s "
                    f"(more than {DELETE_THRESHOLD_COUNT} and more than {DELETE_THRESHOLD_SHARE:.0%}); "
                    "nothing was written. Check the spec; if the deletions are intended, apply with --force"
                )

    def to_dict(self) -> dict:
        """A JSON-ready form of the plan: what ``-o FILE`` saves and ``--json`` prints."""
        return {
            "format": PLAN_FORMAT,
            "realm": self.realm,
            "live_checksum": self.live_checksum,
            "counts": self.counts(),
            "managed": self.managed,
            "changes": [change.to_dict() for change in self.changes],
            "findings": [asdict(finding) for finding in self.findings],
        }

    @classmethod
    def from_dict(cls, data: dict) -> Plan:
        """The plan :meth:`to_dict` wrote."""
        try:
            checked_realm_name(data["realm"], "realm")
        except ConfigurationError as exc:
            raise ValueError(str(exc)) from None
        for c in data["changes"]:
            if not isinstance(c.get("data"), dict) or c.get("kind") not in KIND_ORDER:
                raise ValueError(f"change {quoted(c.get('label'))} has no valid kind and data")
            if not all(isinstance(c.get(key), str) for key in ("key", "label", "action")) or not isinstance(c.get("fields"), list):
                raise ValueError(f"change {quoted(c.get('label'))}: key, label and action must be text, fields a list")
        changes = [
            ACTIONS[c["action"]](
                kind=c["kind"],
                key=c["key"],
                label=c["label"],
                fields=tuple(FieldChange(f["name"], f["old"], f["new"], f.get("sensitive", False)) for f in c["fields"]),
                data=c["data"],
                depth=c.get("depth", 0),
            )
            for c in data["changes"]
        ]
        findings = [Finding(**f) for f in data.get("findings", [])]
        return cls(data["realm"], changes, findings, data["live_checksum"], dict(data.get("managed", {})))


def plans_json(plans: list[Plan]) -> str:
    """The plans as the JSON document ``plan -o FILE`` saves, ``plan --json`` prints and ``apply FILE`` reads.

    Names stay readable (no ``\\u`` escapes for Chinese), but control characters and bidirectional overrides
    in them are escaped, so that showing the file on a terminal is safe.
    """
    document = {"format": PLAN_FORMAT, "plans": [p.to_dict() for p in plans]}
    return inert_json(json.dumps(document, ensure_ascii=False, indent=2))


def save_plans(plans: list[Plan], path: Path | str) -> None:
    """Write plans to a file that ``groupid apply FILE`` accepts."""
    path = Path(path)
    text = plans_json(plans)
    try:
        path.write_text(text + "\n", encoding="utf-8")
    except OSError as exc:
        raise SourceError(f"{path}: cannot write the plan: {exc.strerror}") from None


def load_plans(path: Path | str) -> list[Plan]:
    """Read plans saved by :func:`save_plans`."""
    data = read_json(path, "a groupid plan")
    if not isinstance(data, dict) or data.get("format") != PLAN_FORMAT:
        raise SourceError(f"{path}: not a groupid plan of format {PLAN_FORMAT}")
    try:
        return [Plan.from_dict(plan) for plan in data["plans"]]
    except (KeyError, TypeError, AttributeError, ValueError) as exc:
        raise SourceError(f"{path}: not a groupid plan ({type(exc).__name__}: {quoted(str(exc), 80)})") from None
