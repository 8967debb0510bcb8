"""From a Table to person rows: normalised, rejected with every reason, or out of scope."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from groupid.connectors.tabular import Row
from groupid.connectors.hr.mapping import Mapping
from groupid.connectors.hr.normalise import clean_text, normalise_value, refuse_hidden, translate
from groupid.connectors.hr.scope import Values
from groupid.connectors.hr.tables import BadCell, _read_table
from groupid.errors import Location, SourceError

@dataclass(frozen=True)
class PersonRow:
    """A row that passed: every mapped field normalised (None where the cell is empty), and where it was read."""

    where: Location
    values: Values

    @property
    def employee_id(self) -> str | None:
        """The row's key."""
        return self.values.get("employee_id")


@dataclass(frozen=True)
class RejectedRow:
    """A row that cannot be used, with every reason; ``employee_id`` when the row has one."""

    where: Location
    employee_id: str | None
    reasons: list[str]


@dataclass(frozen=True)
class OutOfScopeRow:
    """A row the mapping's ``scope:`` leaves out (not an error)."""

    where: Location
    employee_id: str | None


AnyRow = PersonRow | RejectedRow | OutOfScopeRow


@dataclass
class SourceRows:
    """The rows of one HR export, in file order."""

    name: str
    encoding: str
    rows: list[AnyRow] = field(default_factory=list)

    def __iter__(self) -> Iterator[AnyRow]:
        return iter(self.rows)

    def __len__(self) -> int:
        return len(self.rows)

    @property
    def people(self) -> list[PersonRow]:
        """The rows to sync."""
        return [row for row in self.rows if isinstance(row, PersonRow)]

    @property
    def rejected(self) -> list[RejectedRow]:
        """The rows that cannot be used."""
        return [row for row in self.rows if isinstance(row, RejectedRow)]

    @property
    def out_of_scope(self) -> list[OutOfScopeRow]:
        """The rows the scope leaves out."""
        return [row for row in self.rows if isinstance(row, OutOfScopeRow)]


@dataclass
class _Draft:
    """A row on its way: the values that normalised, the fields that did not and why."""

    where: Location
    values: Values
    failed: set[str]
    reasons: list[str]


def read_people(path: Path | str, mapping: Mapping, name: str | None = None) -> SourceRows:
    """Read the HR export at ``path`` as ``mapping`` describes it.

    ``name`` is how the file is named in messages and locations (defaults to the path). Raises
    :class:`SourceError` when the file cannot be read or lacks a mapped column; problems of single rows are
    :class:`RejectedRow` entries of the result.
    """
    name = name or str(path)
    table = _read_table(Path(path), mapping.source, name)
    missing = table.missing_or_ambiguous(mapping.columns.values())
    if missing:
        raise SourceError(str(missing))
    drafts = [_normalise_row(row, mapping) for row in table.rows]
    _reject_duplicates(drafts, mapping.key)
    rows = [_classify(draft, mapping) for draft in drafts]
    rows += [RejectedRow(problem.where, None, [problem.message]) for problem in table.problems]
    return SourceRows(name, table.encoding, sorted(rows, key=lambda row: row.where.line or 0))


def _normalise_row(row: Row, mapping: Mapping) -> _Draft:
    draft = _Draft(row.where, {}, set(), [])
    for name, header in mapping.columns.items():
        try:
            draft.values[name] = _normalise(name, row.cells.get(header, ""), mapping)
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


def _normalise(name: str, raw: str | BadCell, mapping: Mapping) -> Any:
    if isinstance(raw, BadCell):
        raise ValueError(raw.reason)
    refuse_hidden(raw)
    text = clean_text(raw)
    if not text:
        return None
    if name in mapping.values:
        text = translate(text, mapping.values[name])
    return normalise_value(name, text, serial=name in mapping.source.serial_dates)


def _reject_duplicates(drafts: list[_Draft], key: str) -> None:
    lines: dict[str, list[_Draft]] = defaultdict(list)
    for draft in drafts:
        if draft.values.get(key) is not None:
            lines[draft.values[key]].append(draft)
    for value, same in lines.items():
        for draft in same if len(same) > 1 else ():
            # a few lines are enough to find the others; listing all would grow with the square of the count
            others = [str(other.where.line) for other in same[:4] if other is not draft][:3]
            more = f" and {len(same) - 1 - len(others)} more" if len(same) - 1 > len(others) else ""
            draft.reasons.append(f"{key} {value} appears more than once (also on line {', '.join(others)}{more})")


def _classify(draft: _Draft, mapping: Mapping) -> AnyRow:
    key = draft.values.get(mapping.key)
    # scope is judged on the fields it reads; a row that is out of scope is not worth rejecting for other fields
    scope_readable = mapping.scope is not None and not (mapping.scope.fields & draft.failed)
    if scope_readable and not mapping.in_scope(draft.values):
        return OutOfScopeRow(draft.where, key)
    if draft.reasons:
        return RejectedRow(draft.where, key, draft.reasons)
    return PersonRow(draft.where, draft.values)
