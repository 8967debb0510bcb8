"""Plans: what apply would change in one realm, as a sorted list of small Change objects.

A :class:`Change` is a value: an action (create, update, delete), the kind of object, its key (a group's
code, a role's name), a label for people, the fields that change (old → new) and a payload
(:mod:`groupid.payloads`) — everything apply needs to carry the change out, so that a plan saved to a file can
be applied later exactly as reviewed. ``docs/plan-file.md`` describes the saved file.

Changes sort in dependency order: the realm and its user profile first, then clients, roles, groups parents before
children, composites and role mappings, and deletions last, children before parents. A :class:`Plan` also
remembers the checksum of the live state it was computed from; apply refuses a saved plan when the realm
has changed since.
"""

from __future__ import annotations

import dataclasses
import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

from groupid.errors import ConfigurationError, SourceError
from groupid.files import read_json
from groupid.model import checked_realm_name
from groupid.payloads import PAYLOADS, Payload, record_from_dict, record_to_dict
from groupid.runs import Action, Threshold, count_actions
from groupid.text import inert_json, quoted

PLAN_FORMAT = 2
"""The format of a saved plan file; a file of another format was made by another groupid version."""

KIND_ORDER = (
    "realm", "user-profile", "client", "role", "group", "composites", "default-roles", "group-roles",
    "sign-in-flow", "organization", "identity-provider", "federation", "federation-mapper",
)
"""Creates and updates run in this order; deletes run after all of them, in reverse.

A client comes before the roles (its own roles need it), and an app's sign-in flow after the client it is bound
to and the grants of the role it checks, so that nobody is locked out half-way. Deleted in reverse, a client's
roles go before it, and a sign-in flow (unbound first) before its client."""

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

    def masked(self) -> FieldChange:
        """This field as plans show and save it: a sensitive value as ``(sensitive)``."""
        return dataclasses.replace(self, old=self.shown(self.old), new=self.shown(self.new))


@dataclass(frozen=True)
class Change:
    """One change to one object of a realm; ``payload`` is of the kind's type (:data:`~groupid.payloads.PAYLOADS`)."""

    action: ClassVar[Action]
    kind: str
    key: str
    label: str
    payload: Payload
    fields: tuple[FieldChange, ...] = ()
    depth: int = 0  #: for groups: parents (small depth) are created before children

    def __post_init__(self) -> None:
        if not isinstance(self.payload, PAYLOADS[self.kind]):
            raise TypeError(f"a {self.kind} change carries a {PAYLOADS[self.kind].__name__}, "
                            f"not a {type(self.payload).__name__}")

    def sort_key(self) -> tuple:
        """Dependency order: creates and updates by kind and depth; deletes last, deepest first."""
        if self.action == Action.DELETE:
            return (1, -KIND_ORDER.index(self.kind), -self.depth, self.key)
        return (0, KIND_ORDER.index(self.kind), self.depth, self.key, self.action.value)

    def to_dict(self) -> dict:
        """A JSON-ready form; sensitive values are masked."""
        return {
            "action": self.action.value,
            "kind": self.kind,
            "key": self.key,
            "label": self.label,
            "depth": self.depth,
            "fields": [record_to_dict(f.masked()) for f in self.fields],
            "payload": record_to_dict(self.payload),
        }

    @staticmethod
    def from_dict(data: Any) -> Change:
        """The change :meth:`to_dict` wrote; ValueError naming the change when it is damaged."""
        if not isinstance(data, dict):
            raise ValueError("a change must be an object")
        name = f"change {quoted(data.get('label'))}"
        if not all(isinstance(data.get(key), str) for key in ("key", "label", "action", "kind")):
            raise ValueError(f"{name}: key, label, action and kind must be text")
        if data["kind"] not in KIND_ORDER or data["action"] not in ACTIONS:
            raise ValueError(f"{name}: no kind {quoted(data['kind'])} or action {quoted(data['action'])} is known")
        if not isinstance(data.get("fields"), list) or type(data.get("depth")) is not int:
            raise ValueError(f"{name}: fields must be a list and depth a number")
        try:
            payload = record_from_dict(PAYLOADS[data["kind"]], data.get("payload"))
            fields = tuple(record_from_dict(FieldChange, f) for f in data["fields"])
        except ValueError as exc:
            raise ValueError(f"{name}: {exc}") from None
        return ACTIONS[data["action"]](data["kind"], data["key"], data["label"], payload, fields, data["depth"])


@dataclass(frozen=True)
class Create(Change):
    """A new object."""

    action: ClassVar[Action] = Action.CREATE


@dataclass(frozen=True)
class Update(Change):
    """An object that exists and differs; ``fields`` say how."""

    action: ClassVar[Action] = Action.UPDATE


@dataclass(frozen=True)
class Delete(Change):
    """An owned object that left the spec (only with --prune); its payload says what it takes with it."""

    action: ClassVar[Action] = Action.DELETE


ACTIONS: dict[str, type[Change]] = {cls.action.value: cls for cls in (Create, Update, Delete)}


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
        return count_actions(change.action for change in self.changes)

    def check_deletions(self, force: bool = False) -> None:
        """Refuse (:class:`~groupid.errors.TooMuchChange`) when deletions of one kind exceed the threshold.

        The threshold is crossed when more than 10 objects *and* more than 20% of the managed objects of one
        kind would be deleted — a truncated spec or a wrong directory, far more often than a real reorg.
        """
        if force:
            return
        guard = Threshold(DELETE_THRESHOLD_COUNT, DELETE_THRESHOLD_SHARE)
        deletes: Counter[str] = Counter()
        for change in self.changes:
            if change.action == Action.DELETE:
                # deleting a group deletes the groups below it: they count too
                deletes[change.kind] += 1 + change.payload.cascade
        for kind, count in sorted(deletes.items()):
            managed = max(self.managed.get(kind, 0), 1)
            guard.check(count, managed, (
                f"realm {self.realm}: the plan deletes {count} of {managed} managed {kind}s "
                f"(more than {DELETE_THRESHOLD_COUNT} and more than {DELETE_THRESHOLD_SHARE:.0%}); "
                "nothing was written. Check the spec; if the deletions are intended, apply with --force"
            ))

    def to_dict(self) -> dict:
        """A JSON-ready form of the plan: what ``-o FILE`` saves and ``--json`` prints."""
        return {
            "format": PLAN_FORMAT,
            "realm": self.realm,
            "live_checksum": self.live_checksum,
            "counts": self.counts(),
            "managed": self.managed,
            "changes": [change.to_dict() for change in self.changes],
            "findings": [record_to_dict(finding) for finding in self.findings],
        }

    @classmethod
    def from_dict(cls, data: dict) -> Plan:
        """The plan :meth:`to_dict` wrote; ValueError (naming the change) when it is damaged."""
        try:
            checked_realm_name(data["realm"], "realm")
        except ConfigurationError as exc:
            raise ValueError(str(exc)) from None
        if not isinstance(data.get("live_checksum"), str) or not isinstance(data.get("managed", {}), dict):
            raise ValueError("live_checksum must be text and managed an object")
        changes = [Change.from_dict(change) for change in data["changes"]]
        try:
            findings = [record_from_dict(Finding, finding) for finding in data.get("findings", [])]
        except ValueError as exc:
            raise ValueError(f"a finding: {exc}") from None
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
    """Read plans saved by :func:`save_plans`; :class:`SourceError` naming the file (and the change) when the
    file is not a plan, is of another format or is damaged."""
    data = read_json(path, "a groupid plan")
    if not isinstance(data, dict) or "format" not in data:
        raise SourceError(f"{path}: not a groupid plan")
    if data["format"] != PLAN_FORMAT:
        made = data["format"] if type(data["format"]) is int else quoted(str(data["format"]), 20)
        raise SourceError(f"{path}: a plan of format {made}, made by another groupid version; make the plan again "
                          f"(this version reads format {PLAN_FORMAT})")
    try:
        return [Plan.from_dict(plan) for plan in data["plans"]]
    except ValueError as exc:
        raise SourceError(f"{path}: not a groupid plan: {exc}") from None
    except (KeyError, TypeError, AttributeError) as exc:
        raise SourceError(f"{path}: not a groupid plan ({type(exc).__name__}: {quoted(str(exc), 80)})") from None
