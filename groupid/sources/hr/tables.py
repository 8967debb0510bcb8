"""Reading an export into a Table (header and rows of text cells), whatever its format: CSV, XLSX, JSON, JSONL.

Every cell becomes the text the export holds, never a reading of it: a JSON number stays as written (``1e3``
is not ``1000.0``), a spreadsheet number keeps the leading zeros its format shows. A value that has no such
text — a nested object, a number longer than a spreadsheet keeps exactly, a key written twice — becomes a
:class:`BadCell`, which rejects its row if (and only if) the mapping reads that column.

A file that cannot be read at all is a :class:`SourceError` naming it; whatever openpyxl or json raise on a
broken file is translated here, and nowhere else.
"""

from __future__ import annotations

import io
import json
import re
import zipfile
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from groupid.errors import GroupidError, Location, Problem, SourceError
from groupid.sources.hr.mapping import Source
from groupid.sources.tabular import Row, Table, check_header, decode, detect_encoding, read_bytes, read_csv
from groupid.text import quoted, trim

XLSX_MAX_EXPANDED = 512 * 1024 * 1024
"""Bytes the parts of a workbook may expand to, all together. 100,000 rows of 13 columns take about 70 MB."""
XLSX_MAX_RATIO = 200
"""How many times larger than its compressed size a part may expand. Real sheets compress 5 to 20 times; a
zip bomb a thousand times."""
XLSX_MAX_PARTS = 10_000
XLSX_MAX_PART = 64 * 1024 * 1024
"""Bytes of any part but a worksheet. openpyxl streams worksheets but holds the others whole: 44 MB of shared
strings took 350 MB of memory and half a minute. The strings of 100,000 people (IDs, names, emails, national
IDs) come to about 12 MB."""
_MANIFEST_LIMIT = 4 * 1024 * 1024  # [Content_Types].xml: a few KB in a real workbook, parsed whole to find the sheets
_RATIO_FROM = 1024 * 1024  # small parts may compress as well as they like: they cannot expand to much
_PROLOG = 4096  # bytes of an XML part read to find a DTD: it must come before the first element
_EXACT_DIGITS = 10**15  # a spreadsheet number keeps 15 significant digits; a larger whole number was rounded
_ZERO_PADDED = re.compile(r"0+")
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # an .xls file, or an encrypted .xlsx (OLE compound file)
JSON_NESTING = 100
"""The depth a message names when a JSON file nests too deeply to parse (json gives up near 1,000 levels)."""


@dataclass(frozen=True)
class BadCell:
    """A cell whose value is not a text, a number or a date; ``reason`` says what it is instead."""

    reason: str


def read_table(path: Path, source: Source, name: str) -> Table:
    """The export at ``path`` as a table of text cells, whatever its format (``source`` says which); ``name`` is
    how messages call the file. A CSV export's table is lazy: its rows are parsed as they are iterated."""
    if source.format == "csv":
        return read_csv(path, source.encoding, name=name, lazy=True)
    if source.format == "xlsx":
        return _read_xlsx(path, source.sheet, name)
    text, encoding = decode(read_bytes(path, name), source.encoding, name)
    text = text.removeprefix("\ufeff")
    items = _json_array(text, name) if source.format == "json" else _json_lines(text, name)
    return _table_from_objects(name, encoding, items)


def cell_text(value: Any) -> str:
    """A spreadsheet or JSON value as the text a CSV export would hold (45000.0 → "45000", a datetime → its date).

    Raises ValueError for a value that has no such text: a list, an object, or a whole number too large for a
    spreadsheet to have kept exactly (an 18-digit ID typed as a number comes back with its last digits zero).
    """
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = value.date()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float) and value.is_integer():
        if abs(value) >= _EXACT_DIGITS:
            raise ValueError("a number of more than 15 digits, which a spreadsheet does not keep exactly; "
                             "store the column as text")
        return str(int(value))  # spreadsheets store IDs and phone numbers typed as numbers as floats
    if isinstance(value, list | dict):
        kind = "a list" if isinstance(value, list) else "an object"
        raise ValueError(f"{kind}, not a single value")
    return trim(str(value))


def _cell(value: Any) -> str | BadCell:
    if isinstance(value, BadCell):
        return value
    try:
        return cell_text(value)
    except ValueError as exc:
        return BadCell(str(exc))


# --- XLSX ------------------------------------------------------------------------------------------------------


def _read_xlsx(path: Path, sheet_name: str | None, name: str) -> Table:
    import openpyxl  # imported here: only xlsx exports need it, and it is slow to import

    data = read_bytes(path, name)  # openpyxl reads these bytes, not the path: the same checks as any export
    _check_archive(data, name)
    try:
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises anything from KeyError to XML errors on a bad file
        raise _unreadable(name, exc) from None
    try:
        return _table_from_sheet(_sheet(book, sheet_name, name), name)
    except GroupidError:
        raise
    except Exception as exc:  # read-only sheets are parsed while iterated: the same translation
        raise _unreadable(name, exc) from None
    finally:
        book.close()


def _check_archive(data: bytes, name: str) -> None:
    """Refuse what is not a workbook, and a workbook whose parts would expand far beyond its size."""
    if not data:
        raise SourceError(f"{name}: the file is empty; expected an Excel workbook (.xlsx)")
    if data.startswith(_OLE_MAGIC):
        raise SourceError(f"{name}: an old .xls file or a password-protected workbook, not an .xlsx; "
                          "save it in Excel as .xlsx without a password")
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        parts = archive.infolist()
    except Exception:  # BadZipFile, and ValueError / OSError / struct errors on a mangled directory
        head = data[:65536]
        if b"\0" not in head and detect_encoding(head) is not None:
            raise SourceError(f"{name}: a text file, not an Excel workbook (.xlsx); if it is CSV, set "
                              "`source: {format: csv}` in the mapping") from None
        raise SourceError(f"{name}: not an Excel workbook (.xlsx): not a zip archive, or a truncated one") from None
    if len(parts) > XLSX_MAX_PARTS:
        raise SourceError(f"{name}: the workbook has {len(parts)} parts, more than {XLSX_MAX_PARTS}; not an HR export")
    total = sum(part.file_size for part in parts)
    if total > XLSX_MAX_EXPANDED:
        raise SourceError(f"{name}: the workbook would expand to {total // 2**20} MB, more than "
                          f"{XLSX_MAX_EXPANDED // 2**20} MB; refusing to read it")
    for part in parts:
        if part.file_size > _RATIO_FROM and part.file_size > XLSX_MAX_RATIO * max(part.compress_size, 1):
            ratio = part.file_size // max(part.compress_size, 1)
            raise SourceError(f"{name}: part {quoted(part.filename)} would expand {ratio} times its compressed size "
                              f"(at most {XLSX_MAX_RATIO}); refusing to read it")
    _refuse_doctypes(archive, parts, name)
    streamed = _worksheets(archive, name)
    for part in parts:
        if part.filename not in streamed and part.file_size > XLSX_MAX_PART:
            raise SourceError(f"{name}: part {quoted(part.filename)} takes {part.file_size // 2**20} MB, more than "
                              f"{XLSX_MAX_PART // 2**20} MB; refusing to read it")


def _worksheets(archive: zipfile.ZipFile, name: str) -> set[str]:
    """The parts the workbook's manifest declares as worksheets, which openpyxl streams; it reads every other
    part (the shared strings, styles) whole. Found as openpyxl finds them."""
    from openpyxl.packaging.manifest import Manifest
    from openpyxl.xml.constants import ARC_CONTENT_TYPES, WORKSHEET_TYPE
    from openpyxl.xml.functions import fromstring

    try:
        size = archive.getinfo(ARC_CONTENT_TYPES).file_size
    except KeyError:
        return set()  # no manifest: openpyxl refuses the workbook itself, and that is translated
    if size > _MANIFEST_LIMIT:
        raise SourceError(f"{name}: the workbook's manifest takes {size // 1024} KB, more than "
                          f"{_MANIFEST_LIMIT // 1024} KB; refusing to read it")
    try:
        manifest = Manifest.from_tree(fromstring(archive.read(ARC_CONTENT_TYPES)))
        return {part.PartName.lstrip("/") for part in manifest.findall(WORKSHEET_TYPE)}
    except Exception:  # a broken manifest: the same as none
        return set()


def _refuse_doctypes(archive: zipfile.ZipFile, parts: list[zipfile.ZipInfo], name: str) -> None:
    """Refuse XML parts that declare a DTD. Office never writes one; entities declared in one can expand a few
    bytes into gigabytes, and how far the XML parser lets them depends on the expat it was built with."""
    for part in parts:
        if not part.filename.endswith((".xml", ".rels")):
            continue
        try:
            with archive.open(part) as stream:
                head = stream.read(_PROLOG)
        except Exception:  # a part that cannot be read is openpyxl's to report, with the others
            continue
        if b"<!DOCTYPE" in head or "<!DOCTYPE".encode("utf-16-le") in head:
            raise SourceError(f"{name}: part {quoted(part.filename)} declares a DTD, which no Excel workbook does; "
                              "refusing to read it")


def _unreadable(name: str, exc: Exception) -> SourceError:
    detail = quoted(str(exc), 80) if str(exc) else type(exc).__name__
    return SourceError(f"{name}: not a readable Excel workbook (.xlsx): {detail}")


def _sheet(book, sheet_name: str | None, name: str):
    if not book.sheetnames:
        raise SourceError(f"{name}: the workbook has no sheets")
    if sheet_name is not None and sheet_name not in book.sheetnames:
        listed = ", ".join(quoted(sheet) for sheet in book.sheetnames[:20])
        raise SourceError(f"{name}: no sheet {quoted(sheet_name)}; the workbook has: {listed}")
    if sheet_name is None and not book.worksheets:
        raise SourceError(f"{name}: the workbook has only charts, no sheet of data")
    sheet = book[sheet_name] if sheet_name is not None else book.worksheets[0]
    if not hasattr(sheet, "iter_rows"):
        raise SourceError(f"{name}: sheet {quoted(sheet_name)} is a chart, not a table")
    # tools write wrong sizes into sheets; read-only openpyxl would trust them and cut rows off, or pad every
    # row to 16,384 columns
    sheet.reset_dimensions()
    return sheet


def _table_from_sheet(sheet, name: str) -> Table:
    first = next(sheet.iter_rows(min_row=1, max_row=1, values_only=True), ())
    header = [_header_text(value) for value in first]
    while header and not header[-1]:
        header.pop()  # trailing cells that are formatted but empty
    if not header:
        raise SourceError(f"{name}:1: sheet {quoted(sheet.title)} has no header row (the first row is empty)")
    check_header(header, name)
    table = Table(name=name, encoding="xlsx", header=header)
    for number, cells in enumerate(sheet.iter_rows(min_row=2, max_col=len(header)), start=2):
        _add_row(table, Location(name, number), zip(header, map(_sheet_cell, cells)))
    return table


def _header_text(value: Any) -> str:
    text = _cell(value)
    return trim(str(value)) if isinstance(text, BadCell) else text


def _sheet_cell(cell) -> str | BadCell:
    """A cell as the sheet shows it: a number formatted ``000000`` keeps its leading zeros (工号 001234)."""
    text = _cell(cell.value)
    number = isinstance(cell.value, int | float) and not isinstance(cell.value, bool)  # a text cell shows as typed
    if number and isinstance(text, str) and text.isdigit() and _ZERO_PADDED.fullmatch(cell.number_format or ""):
        return text.zfill(len(cell.number_format))
    return text


# --- JSON and JSON Lines ---------------------------------------------------------------------------------------


class _Number(str):
    """A JSON number, kept as the text it is written in: ``1e3`` and ``007`` are not turned into other texts."""


def _json_array(text: str, name: str) -> list[tuple[int, Any]]:
    """The items of a JSON list, each with the line it starts on."""
    data = _parse_json(text, name)
    if not isinstance(data, list):
        raise SourceError(f"{name}: expected a JSON list of objects, one per person; the file holds {_json_kind(data)}")
    # json.loads does not say where each item starts; a second pass over the (valid) text finds the lines
    decoder, separator = _DECODER, re.compile(r"[\s,]*")
    index = text.index("[") + 1
    line, items = 1 + text.count("\n", 0, index), []
    for item in data:
        start = separator.match(text, index).end()
        line += text.count("\n", index, start)
        _, end = decoder.raw_decode(text, start)
        items.append((line, item))
        line, index = line + text.count("\n", start, end), end
    return items


def _json_lines(text: str, name: str) -> list[tuple[int, Any]]:
    """The values of a JSON Lines file with their line numbers; a line that is not JSON becomes a BadCell."""
    items: list[tuple[int, Any]] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            items.append((number, _parse_json(line, name)))
        except SourceError as exc:
            items.append((number, BadCell(exc.reason)))
    return items


def _parse_json(text: str, name: str) -> Any:
    """Parse ``text`` keeping every number as written; errors, even of nesting too deep, name the line."""
    try:
        return _DECODER.decode(text)
    except json.JSONDecodeError as exc:
        raise SourceError(f"not valid JSON: {exc.msg}", Location(name, exc.lineno)) from None
    except RecursionError:
        # json recurses once per level: a few kilobytes of [[[[ exhaust it. No export nests at all.
        where = Location(name, _first_deep_line(text))
        raise SourceError(f"not an export: nested more than {JSON_NESTING} levels deep", where) from None


_BRACKETS = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{}]', re.DOTALL)


def _first_deep_line(text: str) -> int:
    """The line where ``text`` first nests deeper than :data:`JSON_NESTING` (strings skipped whole)."""
    depth = 0
    for match in _BRACKETS.finditer(text):
        token = match.group()
        depth += 1 if token in "[{" else -1 if token in "]}" else 0
        if depth > JSON_NESTING:
            return text.count("\n", 0, match.start()) + 1
    return 1


def _object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """A JSON object; a key written twice (after trimming) is a BadCell, where json would keep the last silently."""
    result: dict[str, Any] = {}
    for key, value in pairs:
        key = trim(key)
        result[key] = BadCell("the key appears more than once in the object") if key in result else value
    return result


_DECODER = json.JSONDecoder(parse_int=_Number, parse_float=_Number, parse_constant=_Number, object_pairs_hook=_object)
"""Numbers kept as written (a 5,000-digit one too: Python refuses to convert such), keys written twice seen."""


def _json_kind(data: Any) -> str:
    kinds = ((dict, "an object"), (list, "a list"), (_Number, "a number"), (str, "a string"), (bool, "true or false"))
    return next((kind for type_, kind in kinds if isinstance(data, type_)), "null")


def _table_from_objects(name: str, encoding: str, items: list[tuple[int, Any]]) -> Table:
    objects = [item for _, item in items if isinstance(item, dict)]
    header = list(dict.fromkeys(key for item in objects for key in item))
    table = Table(name=name, encoding=encoding, header=header)
    for line, item in items:
        if isinstance(item, dict):
            _add_row(table, Location(name, line), ((key, _cell(value)) for key, value in item.items()))
        elif isinstance(item, BadCell):
            table.problems.append(Problem(Location(name, line), item.reason))
        else:
            table.problems.append(Problem(Location(name, line), "expected an object with the column names as keys, "
                                                                f"found {_json_kind(item)}"))
    if table.problems and not objects:
        # not one person: the file is not in this format at all (a JSON list read as JSON Lines, say)
        first = table.problems[0]
        raise SourceError(f"{first}; no item of the file is an object with the column names as keys")
    return table


def _add_row(table: Table, where: Location, cells) -> None:
    row: dict[str, str | BadCell] = {}
    for header, text in cells:
        row.setdefault(header, text)  # a header written twice: the first column wins, as in read_csv
    if any(row.values()):  # spreadsheets keep formatted but empty rows at the end
        table.rows.append(Row(where, row))
