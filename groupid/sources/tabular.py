"""Reading tabular exports (CSV) as HR and ERP systems write them.

Chinese HR systems and Excel write CSV in several encodings: UTF-8 with or without a byte-order mark, and
GBK (cp936, what "Save as CSV" writes on Chinese Windows) or its superset GB 18030. The encoding is detected
from the bytes so that the admin does not have to know which one the export used.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from groupid.errors import Location, Problem, SourceError
from groupid.files import read_file
from groupid.text import quoted, trim

ENCODINGS = ("utf-8", "gbk", "gb18030")
"""Tried in this order; the first that decodes the whole file wins (GBK before its superset GB 18030)."""
HEADERS_LISTED = 12
"""Headers a "column not found" message lists; the rest are counted. A message never quotes a file whole."""


@dataclass(frozen=True)
class Row:
    """One data row: its cells keyed by header name, and the line it starts on."""

    where: Location
    cells: dict[str, str]


@dataclass
class Table:
    """A decoded CSV file: its header, its rows and the problems found in individual rows.

    A table read ``lazily`` (:func:`read_csv`) holds no rows: ``rows`` gives them once, each parsed as it is
    asked for, and ``problems`` is complete once they all were. A reader that keeps only what it makes of each
    row then never holds every cell of the file (a 100,000-row export's take 100 MB).
    """

    name: str
    encoding: str
    header: list[str]
    rows: list[Row] | Iterator[Row] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    def missing_or_ambiguous(self, wanted: Iterable[str]) -> Problem | None:
        """A problem naming the wanted columns the header lacks or holds twice, or None when all are there once.

        The header is listed to help find a misspelt name, but cut short: each name to a few dozen characters,
        escaped, and at most :data:`HEADERS_LISTED` of them (a file that is not a CSV has one huge "header").
        """
        wanted = list(wanted)
        missing = [h for h in wanted if h not in self.header]
        twice = [h for h in wanted if self.header.count(h) > 1]
        if missing and len(missing) == len(wanted):
            # not one expected name in the first line: it is no header, and may be anything (a secret, say)
            message = f"{_columns(missing)} not found: the first line holds none of the expected column names"
        elif missing:
            shown = ", ".join(quoted(h) for h in self.header[:HEADERS_LISTED])
            more = f" and {len(self.header) - HEADERS_LISTED} more" if len(self.header) > HEADERS_LISTED else ""
            message = f"{_columns(missing)} not found; the header has: {shown}{more}"
        elif twice:
            message = f"{_columns(twice)} {'appears' if len(twice) == 1 else 'appear'} more than once in the header"
        else:
            return None
        return Problem(Location(self.name, 1), message)


def _columns(names: list[str]) -> str:
    return f"column{'s' if len(names) > 1 else ''} {', '.join(map(quoted, names))}"


def detect_encoding(data: bytes) -> str | None:
    """The encoding ``data`` decodes with, or None when none of the supported ones fits."""
    if data.startswith(b"\xef\xbb\xbf"):
        return "utf-8-sig"
    for encoding in ENCODINGS:
        try:
            data.decode(encoding)
        except UnicodeDecodeError:
            continue
        return encoding
    return None


def read_csv(path: Path, encoding: str = "auto", name: str | None = None, lazy: bool = False) -> Table:
    """Read a CSV file with a header row.

    ``encoding`` is ``auto`` (detect) or any codec name Python knows. ``name`` is how the file is named in
    messages (defaults to the path). Raises :class:`SourceError` when the file cannot be read or decoded or
    has no usable header; problems of single rows are collected in :attr:`Table.problems`. A ``lazy`` table
    parses its rows as they are iterated (see :class:`Table`), and raises there when one cannot be parsed.
    """
    name = name or str(path)
    return parse_csv(read_file(path, name), encoding, name, lazy)


def parse_csv(data: bytes, encoding: str, name: str, lazy: bool = False) -> Table:
    """The table in ``data``, the bytes of the CSV file ``name``; as :func:`read_csv`, without reading a file."""
    _, used = decode(data, encoding, name)  # the whole file decodes, or nothing is read
    # decoded again as it is parsed, a block at a time: the text of the whole file is never held (nor the
    # four bytes a character a StringIO of it takes)
    reader = csv.reader(io.TextIOWrapper(io.BytesIO(data), encoding=used, newline=""), strict=True)
    try:
        header = [trim(cell) for cell in next(reader)]
    except StopIteration:
        raise SourceError(f"{name}: the file is empty; expected a header row") from None
    except csv.Error as exc:
        raise SourceError(f"{name}:1: cannot parse the header: {exc}") from None
    check_header(header, name)
    table = Table(name=name, encoding=used, header=header)
    rows = _read_rows(reader, table)
    table.rows = rows if lazy else list(rows)
    return table


read_bytes = read_file  # the name the readers of this package use; one function reads every input file


def decode(data: bytes, encoding: str, name: str) -> tuple[str, str]:
    """The text of ``data`` and the encoding used (``auto`` detects it); undecodable bytes are a SourceError."""
    used = detect_encoding(data) if encoding == "auto" else encoding
    if used is None:
        raise SourceError(
            f"{name}: cannot decode the file as UTF-8, GBK or GB18030 ({_first_bad_byte(data)}); "
            "save it as UTF-8 or name its encoding with `encoding:`"
        )
    try:
        return data.decode(used), used
    except LookupError:
        raise SourceError(f"{name}: unknown encoding {quoted(encoding)}") from None
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise SourceError(f"{name}:{line}: not valid {quoted(encoding)} (byte 0x{data[exc.start]:02x})") from None
    except (UnicodeError, ValueError, TypeError):  # codecs such as idna fail without saying where
        raise SourceError(f"{name}: not valid {quoted(encoding)}") from None


def _first_bad_byte(data: bytes) -> str:
    """Where the file stops being text, in the encoding that got furthest (the likeliest one)."""
    failures = []
    for encoding in ENCODINGS:
        try:
            data.decode(encoding)
        except UnicodeDecodeError as exc:
            failures.append(exc.start)
    start = max(failures, default=0)
    line = data[:start].count(b"\n") + 1
    return f"line {line}, byte 0x{data[start]:02x}"


def check_header(header: list[str], name: str) -> None:
    """Refuse a header row without any column name."""
    if not any(header):
        raise SourceError(f"{name}:1: the header row is empty")


def _read_rows(reader, table: Table) -> Iterator[Row]:
    """The data rows of ``reader``, as they are parsed; rows that do not fit the header go to ``table.problems``."""
    width = len(table.header)
    line = reader.line_num + 1
    try:
        for cells in reader:
            where = Location(table.name, line)
            line = reader.line_num + 1
            if not any(trim(cell) for cell in cells):
                continue  # blank lines and rows of empty cells, as spreadsheets leave at the end
            if len(cells) > width and any(trim(c) for c in cells[width:]):
                table.problems.append(
                    Problem(where, f"row has {len(cells)} cells but the header has {width} columns")
                )
                continue
            padded = [*cells, *[""] * (width - len(cells))]
            cells_by_header: dict[str, str] = {}
            for header, cell in zip(table.header, padded):
                cells_by_header.setdefault(header, trim(cell))
            yield Row(where, cells_by_header)
    except csv.Error as exc:
        raise SourceError(f"{table.name}:{line}: cannot parse: {exc}") from None
