"""Reading an export into a Table (header and rows of text cells), whatever its format: CSV, XLSX, JSON, JSONL."""

from __future__ import annotations

import json
import re
import zipfile
from datetime import date, datetime
from pathlib import Path
from typing import Any

from groupid.connectors.tabular import Row, Table, check_header, decode, read_bytes, read_csv
from groupid.connectors.hr.mapping import Source
from groupid.errors import Location, Problem, SourceError

def _read_table(path: Path, source: Source, name: str) -> Table:
    if source.format == "csv":
        return read_csv(path, source.encoding, name=name)
    if source.format == "xlsx":
        return _read_xlsx(path, source.sheet, name)
    text, encoding = decode(read_bytes(path, name), source.encoding, name)
    text = text.removeprefix("\ufeff")
    items = _json_array(text, name) if source.format == "json" else _json_lines(text, name)
    return _table_from_objects(name, encoding, items)


def cell_text(value: Any) -> str:
    """A spreadsheet or JSON value as the text a CSV export would hold (45000.0 → "45000", a datetime → its date)."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = value.date()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # spreadsheets store IDs and phone numbers typed as numbers as floats
    if isinstance(value, list | dict):
        return json.dumps(value, ensure_ascii=False)
    return str(value).strip()


def _read_xlsx(path: Path, sheet_name: str | None, name: str) -> Table:
    import openpyxl  # imported here: only xlsx exports need it, and it is slow to import
    from openpyxl.utils.exceptions import InvalidFileException

    read_bytes(path, name)  # the same messages as CSV for a missing or unreadable file
    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, OSError) as exc:
        raise SourceError(f"{name}: not an Excel workbook (.xlsx): {exc}") from None
    try:
        return _table_from_sheet(_sheet(book, sheet_name, name), name)
    finally:
        book.close()


def _sheet(book, sheet_name: str | None, name: str):
    if sheet_name is None:
        return book.worksheets[0]
    if sheet_name not in book.sheetnames:
        raise SourceError(f"{name}: no sheet '{sheet_name}'; the workbook has: {', '.join(book.sheetnames)}")
    return book[sheet_name]


def _table_from_sheet(sheet, name: str) -> Table:
    lines = sheet.iter_rows(values_only=True)
    header = [cell_text(value) for value in next(lines, ())]
    check_header(header, name)
    table = Table(name=name, encoding="xlsx", header=header)
    for number, values in enumerate(lines, start=2):
        _add_row(table, Location(name, number), zip(header, map(cell_text, values)))
    return table


def _json_array(text: str, name: str) -> list[tuple[int, Any]]:
    """The items of a JSON list, each with the line it starts on."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise SourceError(f"{name}:{exc.lineno}: not valid JSON: {exc.msg}") from None
    if not isinstance(data, list):
        raise SourceError(f"{name}: expected a JSON list of objects, one per person")
    # json.loads does not say where each item starts; a second pass over the (valid) text finds the lines
    decoder, separator = json.JSONDecoder(), re.compile(r"[\s,]*")
    index, line, items = text.index("[") + 1, 1, []
    for _ in data:
        start = separator.match(text, index).end()
        line += text.count("\n", index, start)
        item, end = decoder.raw_decode(text, start)
        items.append((line, item))
        line, index = line + text.count("\n", start, end), end
    return items


def _json_lines(text: str, name: str) -> list[tuple[int, Any]]:
    """The objects of a JSON Lines file with their line numbers; a line that is not JSON becomes its message."""
    items = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            items.append((number, json.loads(line)))
        except json.JSONDecodeError as exc:
            items.append((number, f"not valid JSON: {exc.msg}"))
    return items


def _table_from_objects(name: str, encoding: str, items: list[tuple[int, Any]]) -> Table:
    objects = [item for _, item in items if isinstance(item, dict)]
    header = list(dict.fromkeys(str(key).strip() for item in objects for key in item))
    table = Table(name=name, encoding=encoding, header=header)
    for line, item in items:
        if isinstance(item, dict):
            _add_row(table, Location(name, line), ((str(k).strip(), cell_text(v)) for k, v in item.items()))
        else:
            reason = item if isinstance(item, str) else "expected an object with the column names as keys"
            table.problems.append(Problem(Location(name, line), reason))
    return table


def _add_row(table: Table, where: Location, cells) -> None:
    row: dict[str, str] = {}
    for header, text in cells:
        row.setdefault(header, text)  # a header written twice: the first column wins, as in read_csv
    if any(row.values()):  # spreadsheets keep formatted but empty rows at the end
        table.rows.append(Row(where, row))
