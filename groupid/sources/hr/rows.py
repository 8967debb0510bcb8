"""From a Table to person rows: normalised, rejected with every reason, or out of scope — the HR people source."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

from groupid.errors import Location, SourceError
from groupid.sources import OutOfScope, Rejection, SourceRow
from groupid.sources.hr.mapping import Mapping
from groupid.sources.hr.normalise import clean_text, normalise_value, refuse_hidden, translate
from groupid.sources.hr.scope import Scope, Values
from groupid.sources.hr.tables import BadCell, read_table
from groupid.sources.tabular import Row

AnyRow = SourceRow | Rejection | OutOfScope

HR = "hr"
"""The name of the HR source: its record key in the realm, and the lock's holder while it syncs."""


@dataclass
class SourceRows:
    """The rows of one HR export, in file order: a :class:`~groupid.sources.PeopleSource` named ``hr``."""

    file: str  #: how the export is named in messages and locations
    encoding: str
    rows: list[AnyRow] = field(default_factory=list)
    name: ClassVar[str] = HR

    def __iter__(self) -> Iterator[AnyRow]:
        return iter(self.rows)

    def __len__(self) -> int:
        return len(self.rows)

    @property
    def people(self) -> list[SourceRow]:
        """The rows to sync."""
        return [row for row in self.rows if isinstance(row, SourceRow)]

    @property
    def rejected(self) -> list[Rejection]:
        """The rows that cannot be used."""
        return [row for row in self.rows if isinstance(row, Rejection)]

    @property
    def out_of_scope(self) -> list[OutOfScope]:
        """The rows the scope leaves out."""
        return [row for row in self.rows if isinstance(row, OutOfScope)]


@dataclass
class Draft:
    """A row on its way: the values that normalised, the fields that did not and why (any source's rows)."""

    where: Location
    values: Values
    failed: set[str]
    reasons: list[str]


def read_people(path: Path | str, mapping: Mapping, name: str | None = None) -> SourceRows:
    """Read the HR export at ``path`` as ``mapping`` describes it.

    ``name`` is how the file is named in messages and locations (defaults to the path). Raises
    :class:`SourceError` when the file cannot be read or lacks a mapped column; problems of single rows are
    :class:`~groupid.sources.Rejection` entries of the result.
    """
    name = name or str(path)
    table = read_table(Path(path), mapping.source, name)
    missing = table.missing_or_ambiguous(mapping.columns.values())
    if missing:
        raise SourceError(str(missing))
    # one copy of each value for every row that has it: company and department codes, titles, managers' IDs
    # and dates recur thousands of times in a large export, and each cell read is a copy of its own
    shared: dict[Any, Any] = {}
    drafts = [_normalise_row(row, mapping, shared) for row in table.rows]
    reject_duplicates(drafts, mapping.key, _lines)
    rows = [classify(draft, mapping.key, mapping.scope) for draft in drafts]
    rows += [Rejection(problem.where, None, (problem.message,)) for problem in table.problems]
    return SourceRows(name, table.encoding, sorted(rows, key=lambda row: row.where.line or 0))


def _normalise_row(row: Row, mapping: Mapping, shared: dict[Any, Any]) -> Draft:
    draft = Draft(row.where, {}, set(), [])
    for name, header in mapping.columns.items():
        try:
            value = _normalise(name, row.cells.get(header, ""), mapping)
            draft.values[name] = shared.setdefault(value, value)
        except ValueError as exc:
            draft.failed.add(name)
            draft.reasons.append(f"{name} ({header}): {exc}")
    key = mapping.key
    if key not in draft.failed and draft.values.get(key) is None:
        draft.failed.add(key)
        draft.reasons.append(f"{key} ({mapping.columns[key]}) is empty")
    start, end = draft.values.get("start_date"), draft.values.get("end_date")
    if start is not None and end is not None and end < start:
        draft.failed.add("end_date")
        draft.reasons.append(f"end_date ({mapping.columns['end_date']}) {end.isoformat()} is before start_date "
                             f"({mapping.columns['start_date']}) {start.isoformat()}")
    return draft


def _lines(places: list[Location]) -> str:
    """Rows' locations in words, for a duplicate's reason: their line numbers."""
    return "on line " + ", ".join(str(where.line) for where in places)


def _normalise(name: str, raw: str | BadCell, mapping: Mapping) -> Any:
    if isinstance(raw, BadCell):
        raise ValueError(raw.reason)
    return normalise_text(name, raw, mapping.values.get(name), serial=name in mapping.source.serial_dates)


# The steps below are shared with the other sources, which read other things than cells into the same rows.


def normalise_text(name: str, raw: str, table: dict[str, str] | None = None, serial: bool = False) -> Any:
    """The value of field ``name`` from a source's text: None when blank, else cleaned, translated through its
    ``values:`` ``table`` and normalised (see :func:`normalise_value`). Raises ValueError saying why not."""
    refuse_hidden(raw)
    text = clean_text(raw)
    if not text:
        return None
    if table is not None:
        text = translate(text, table)
    return normalise_value(name, text, serial=serial)


def reject_duplicates(drafts: list[Draft], key: str, places: Callable[[list[Location]], str]) -> None:
    """Add a reason to every draft whose ``key`` value another draft has too, naming where a few of the others
    are (``places``: those locations in words, ``on line 3, 7``)."""
    lines: dict[str, list[Draft]] = defaultdict(list)
    for draft in drafts:
        if draft.values.get(key) is not None:
            lines[draft.values[key]].append(draft)
    for value, same in lines.items():
        for draft in same if len(same) > 1 else ():
            # a few places are enough to find the others; listing all would grow with the square of the count
            others = [other.where for other in same[:4] if other is not draft][:3]
            more = f" and {len(same) - 1 - len(others)} more" if len(same) - 1 > len(others) else ""
            draft.reasons.append(f"{key} {value} appears more than once (also {places(others)}{more})")


def classify(draft: Draft, key: str, scope: Scope | None, **extras: Any) -> AnyRow:
    """The row ``draft`` becomes: out of ``scope``, rejected with its reasons, or a :class:`SourceRow` (with
    ``extras``: its anchor, its roles)."""
    value = draft.values.get(key)
    # scope is judged on the fields it reads; a row that is out of scope is not worth rejecting for other fields
    if scope is not None and not (scope.fields & draft.failed) and not scope.matches(draft.values):
        return OutOfScope(draft.where, value)
    if draft.reasons:  # the anchor too: the account it names is not taken for absent while its row is rejected
        return Rejection(draft.where, value, tuple(draft.reasons), anchor=extras.get("anchor"))
    return SourceRow(draft.where, draft.values, **extras)
