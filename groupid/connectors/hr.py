"""Reading an HR export (花名册) into normalised person rows, as a mapping file describes it.

The mapping file names the export's format, which source column feeds which person field, how coded values
translate (``在职`` → ``active``) and which rows are in scope (a SCIM filter, RFC 7644 §3.4.2.2)::

    source: {format: csv, encoding: auto}      # csv | xlsx (with `sheet:`) | json | jsonl
    key: employee_id
    columns: {employee_id: 工号, name: 姓名, phone: 手机, start_date: 入职日期, status: 在职状态, ...}
    values: {status: {在职: active, 离职: terminated, 待入职: pending}}
    scope: 'employment_type ne "实习"'

Only mapped columns are read into the result: an export often carries columns such as 身份证号 (national ID)
that must never be copied anywhere. Each data row becomes a :class:`PersonRow` (every value normalised), a
:class:`RejectedRow` (with every reason, nothing half-normalised) or an :class:`OutOfScopeRow`.
"""

from __future__ import annotations

import json
import operator
import re
import unicodedata
import zipfile
from collections import defaultdict
from collections.abc import Callable, Collection, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, ValidationInfo, field_validator
from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError
from scim2_filter_parser import ast as scim
from scim2_filter_parser.lexer import SCIMLexer
from scim2_filter_parser.parser import SCIMParser, SCIMParserError

from groupid.connectors.tabular import Row, Table, _check_header, _decode, _read_bytes, read_csv
from groupid.errors import Location, Problem, SourceError
from groupid.model import Person
from groupid.spec import _describe, _hint

FIELDS = tuple(Person.model_fields)
"""The person fields a mapping may fill."""
DATE_FIELDS = frozenset(name for name, info in Person.model_fields.items() if "date" in str(info.annotation))

# ---------------------------------------------------------------------------------------------------------------
# Normalisation: pure functions from a cell's text to a value; a ValueError names what is wrong with the text.
# ---------------------------------------------------------------------------------------------------------------

_FULL_WIDTH_SPACE = "\u3000"
_MAINLAND_MOBILE = re.compile(r"(?:(?:\+|00)?86)?(1[3-9]\d{9})")
_REGIONAL = re.compile(r"(?:\+|00)(?:(852|853)(\d{8})|(886)(\d{8,9}))")
_PHONE_PUNCTUATION = re.compile(r"[\s()\-.]")
_EMAIL = re.compile(r"[a-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[a-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
                    r"@(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)+[a-z]{2,63}")
_NUMERIC_DATE = re.compile(r"(\d{4})([-/.])(\d{1,2})\2(\d{1,2})(?:[ T]\d{1,2}:\d{2}(?::\d{2})?)?")
_CHINESE_DATE = re.compile(r"(\d{4})年(\d{1,2})月(\d{1,2})日")
_EXCEL_SERIAL = re.compile(r"\d{1,7}")
_EXCEL_EPOCH = date(1899, 12, 31)
_EXCEL_PHANTOM_LEAP_DAY = 60  # Excel counts 1900-02-29, which never was (kept for Lotus 1-2-3 compatibility)
_EXCEL_LAST = 2958465  # 9999-12-31


def to_half_width(text: str) -> str:
    """Full-width ASCII (Ｘ１２（，) and the ideographic space as their half-width forms; Chinese untouched.

    Plain NFKC would also rewrite CJK compatibility ideographs and circled digits, which are names, not typing
    accidents; so only the Halfwidth and Fullwidth Forms block and U+3000 are folded.
    """
    return "".join(_fold(char) for char in text)


def _fold(char: str) -> str:
    if char == _FULL_WIDTH_SPACE:
        return " "
    if "\uff00" <= char <= "\uffef":
        return unicodedata.normalize("NFKC", char)
    return char


def clean_text(text: str) -> str:
    """A cell as text: half-width, without surrounding whitespace."""
    return to_half_width(text).strip()


def normalise_phone(text: str) -> str:
    """A phone number in E.164: mainland mobiles (with or without 86 / 0086 / +86) and +852 / +853 / +886."""
    compact = _PHONE_PUNCTUATION.sub("", clean_text(text))
    if match := _MAINLAND_MOBILE.fullmatch(compact):
        return f"+86{match[1]}"
    if match := _REGIONAL.fullmatch(compact):
        return "+" + "".join(part for part in match.groups() if part)
    raise ValueError(f"{text!r} is neither a mainland mobile (1[3-9] and 11 digits) nor a +852/+853/+886 number")


def normalise_email(text: str) -> str:
    """An e-mail address in lower case, when it looks like one (``name@domain.tld``)."""
    email = clean_text(text).lower()
    if not _EMAIL.fullmatch(email):
        raise ValueError(f"{text!r} is not an e-mail address")
    return email


def parse_date(text: str) -> date:
    """A date written 2023-03-05, 2023/3/5, 2023.3.5, 2023年3月5日, or as an Excel serial number (45000)."""
    value = clean_text(text)
    match = _NUMERIC_DATE.fullmatch(value) or _CHINESE_DATE.fullmatch(value)
    try:
        if match:
            year, month, day = (int(part) for part in match.groups() if part.isdigit())
            return date(year, month, day)
        if _EXCEL_SERIAL.fullmatch(value):
            return excel_date(int(value))
    except ValueError:
        pass  # the shape fits but the day does not exist (2023-02-30): the message below says so
    raise ValueError(f"{text!r} is not a date (2023-03-05, 2023/3/5, 2023年3月5日 or an Excel serial number)")


def excel_date(serial: int) -> date:
    """The date of an Excel (1900 date system) serial number."""
    if not 1 <= serial <= _EXCEL_LAST or serial == _EXCEL_PHANTOM_LEAP_DAY:
        raise ValueError(f"{serial} is not an Excel date")
    leap_bug = 1 if serial > _EXCEL_PHANTOM_LEAP_DAY else 0
    return _EXCEL_EPOCH + timedelta(days=serial - leap_bug)


def translate(text: str, values: dict[str, str]) -> str:
    """A coded value through its ``values:`` table (在职 → active)."""
    try:
        return values[text]
    except KeyError:
        raise ValueError(f"unknown value {text!r}; expected one of {', '.join(values)}") from None


_NORMALISERS: dict[str, Callable[[str], Any]] = {
    "phone": normalise_phone,
    "email": normalise_email,
    **{name: parse_date for name in DATE_FIELDS},
}

# ---------------------------------------------------------------------------------------------------------------
# Scope: a SCIM filter over the normalised fields, compiled once into a predicate.
# ---------------------------------------------------------------------------------------------------------------

Values = dict[str, Any]
Predicate = Callable[[Values], bool]

_COMPARISONS: dict[str, Callable[[Any, Any], bool]] = {
    "eq": operator.eq,
    "ne": operator.ne,
    "co": lambda value, wanted: wanted in value,
    "sw": lambda value, wanted: value.startswith(wanted),
    "ew": lambda value, wanted: value.endswith(wanted),
    "gt": operator.gt,
    "ge": operator.ge,
    "lt": operator.lt,
    "le": operator.le,
}
_TEXT_ONLY = frozenset({"co", "sw", "ew"})


class Scope:
    """Which rows to sync: a SCIM filter over the mapped fields, compared case-exactly after normalisation."""

    def __init__(self, text: str, fields: Collection[str]):
        """Parse ``text``; raises ValueError naming what is wrong (syntax, unknown field, bad date)."""
        self.text = text
        self.fields = set()
        self._predicate = self._compile(_parse_filter(text), list(fields))

    def __repr__(self) -> str:
        return f"Scope({self.text!r})"

    def matches(self, values: Values) -> bool:
        """Whether a row's normalised values pass the filter."""
        return self._predicate(values)

    def _compile(self, node: scim.AST, fields: list[str]) -> Predicate:
        if isinstance(node, scim.Filter):
            return self._compile_filter(node, fields)
        if isinstance(node, scim.LogExpr):
            left, right = self._compile(node.expr1, fields), self._compile(node.expr2, fields)
            if node.op.lower() == "and":
                return lambda values: left(values) and right(values)
            return lambda values: left(values) or right(values)
        return self._compile_comparison(node, fields)

    def _compile_filter(self, node: scim.Filter, fields: list[str]) -> Predicate:
        if node.namespace is not None:
            raise ValueError("filters on complex attributes (name[...]) are not supported")
        inner = self._compile(node.expr, fields)
        return (lambda values: not inner(values)) if node.negated else inner

    def _compile_comparison(self, node: scim.AttrExpr, fields: list[str]) -> Predicate:
        name, op = _attribute(node.attr_path, fields), node.value.lower()
        self.fields.add(name)
        if op == "pr":
            return lambda values: values.get(name) not in (None, "")
        wanted: Any = node.comp_value.value
        if name in DATE_FIELDS:
            if op in _TEXT_ONLY:
                raise ValueError(f"'{op}' compares text; {name} is a date")
            wanted = parse_date(wanted)
        compare = _COMPARISONS[op]
        # A field without a value equals nothing, so it is "not equal" to anything and fails every other test.
        return lambda values: op == "ne" if values.get(name) is None else compare(values[name], wanted)


def _attribute(path: scim.AttrPath, fields: list[str]) -> str:
    name = path.attr_name
    if path.uri or path.sub_attr or not isinstance(name, str):
        raise ValueError("only plain field names are supported (no URIs or sub-attributes)")
    if name not in fields:
        raise ValueError(f"'{name}' is not a mapped field{_hint(name, fields)}")
    return name


def _parse_filter(text: str) -> scim.AST:
    seen: list = []
    ended = False

    def tokens() -> Iterator:
        nonlocal ended
        for token in SCIMLexer().tokenize(text):
            seen.append(token)
            yield token
        ended = True

    try:
        tree = SCIMParser().parse(tokens())
    except SCIMParserError:
        # the parser only says which token it choked on; recorded above so the message can point at it
        where = "the filter ends too early" if ended or not seen else f"unexpected '{seen[-1].value}'"
        raise ValueError(f"cannot parse the filter {text!r}: {where}") from None
    except ValueError as exc:  # the lexer's "Illegal character"
        raise ValueError(f"cannot parse the filter {text!r}: {exc}") from None
    if tree is None:
        raise ValueError("the filter is empty")
    return tree


# ---------------------------------------------------------------------------------------------------------------
# The mapping file
# ---------------------------------------------------------------------------------------------------------------


class Source(BaseModel):
    """The export's format: ``csv`` (with ``encoding:``), ``xlsx`` (with ``sheet:``), ``json`` or ``jsonl``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    format: Literal["csv", "xlsx", "json", "jsonl"] = "csv"
    encoding: str = "auto"
    sheet: str | None = None


class Mapping(BaseModel):
    """How an HR export maps to person fields: format, columns, value tables and scope."""

    model_config = ConfigDict(extra="forbid", frozen=True, arbitrary_types_allowed=True)

    # columns comes first: the validators of key, values and scope check against it
    source: Source = Source()
    columns: dict[str, str]
    key: str = Field("employee_id", validate_default=True)  # the default, too, must be a mapped column
    values: dict[str, dict[str, str]] = {}
    scope: Scope | None = None

    @field_validator("columns")
    @classmethod
    def _known_fields(cls, columns: dict[str, str]) -> dict[str, str]:
        for name, header in columns.items():
            if name not in FIELDS:
                raise ValueError(f"'{name}' is not a person field{_hint(name, FIELDS)}")
            if not header.strip():
                raise ValueError(f"{name}: the column name is empty")
        return {name: header.strip() for name, header in columns.items()}

    @field_validator("key")
    @classmethod
    def _mapped_key(cls, key: str, info: ValidationInfo) -> str:
        _require_mapped([key], info)
        return key

    @field_validator("values")
    @classmethod
    def _mapped_values(cls, values: dict[str, dict[str, str]], info: ValidationInfo) -> dict[str, dict[str, str]]:
        _require_mapped(values, info)
        return values

    @field_validator("scope", mode="before")
    @classmethod
    def _compile_scope(cls, text: Any, info: ValidationInfo) -> Scope | None:
        if text is None or isinstance(text, Scope):
            return text
        if not isinstance(text, str):
            raise ValueError("must be a SCIM filter, in quotes")
        columns = info.data.get("columns")
        # when columns is wrong the mapping fails anyway; checking field names against nothing would mislead
        return Scope(text, columns) if columns is not None else None

    def in_scope(self, row: PersonRow | Values) -> bool:
        """Whether a row (or its values) is to be synced; every row is when there is no ``scope:``."""
        values = row.values if isinstance(row, PersonRow) else row
        return self.scope is None or self.scope.matches(values)


def _require_mapped(names, info: ValidationInfo) -> None:
    columns = info.data.get("columns")
    if columns is None:
        return  # columns itself is wrong and already reported
    for name in names:
        if name not in columns:
            raise ValueError(f"'{name}' is not in columns{_hint(name, list(columns))}")


def load_mapping(path: Path | str) -> Mapping:
    """Load an HR mapping file; raises :class:`SourceError` listing every problem with its file and line."""
    name = str(path)
    document = _load_yaml(Path(path), name)
    if not isinstance(document, dict):
        raise SourceError(f"{name}: expected a mapping with keys {', '.join(Mapping.model_fields)}")
    try:
        return Mapping.model_validate(document)
    except ValidationError as exc:
        problems = [Problem(Location(name, _line(document, error["loc"])), _message(error)) for error in exc.errors()]
        raise SourceError("\n".join(map(str, problems))) from None


def _load_yaml(path: Path, name: str) -> Any:
    try:
        return YAML(typ="rt").load(_decode(_read_bytes(path, name), "utf-8", name)[0].removeprefix("\ufeff"))
    except YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{name}:{mark.line + 1}" if mark else name
        raise SourceError(f"{where}: YAML syntax error: {getattr(exc, 'problem', None) or exc}") from None


def _line(document: Any, loc: tuple) -> int | None:
    """The line of the deepest key of ``loc`` that the YAML document holds."""
    line, node = None, document
    for part in loc:
        if not (isinstance(node, dict) and hasattr(node, "lc") and part in node):
            break
        line, node = node.lc.key(part)[0] + 1, node[part]
    return line


def _message(error: dict) -> str:
    loc = error["loc"]
    if loc and loc[0] == "source" and len(loc) > 1:
        return f"source: {_describe({**error, 'loc': loc[1:]}, Source)}"
    return _describe(error, Mapping)


# ---------------------------------------------------------------------------------------------------------------
# Reading the export into a Table (header + rows of text cells), whatever its format
# ---------------------------------------------------------------------------------------------------------------


def _read_table(path: Path, source: Source, name: str) -> Table:
    if source.format == "csv":
        return read_csv(path, source.encoding, name=name)
    if source.format == "xlsx":
        return _read_xlsx(path, source.sheet, name)
    text, encoding = _decode(_read_bytes(path, name), source.encoding, name)
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

    _read_bytes(path, name)  # the same messages as CSV for a missing or unreadable file
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
    _check_header(header, name)
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


# ---------------------------------------------------------------------------------------------------------------
# Rows
# ---------------------------------------------------------------------------------------------------------------


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
    return draft


def _normalise(name: str, raw: str, mapping: Mapping) -> Any:
    text = clean_text(raw)
    if not text:
        return None
    if name in mapping.values:
        text = translate(text, mapping.values[name])
    normalise = _NORMALISERS.get(name)
    return normalise(text) if normalise else text


def _reject_duplicates(drafts: list[_Draft], key: str) -> None:
    lines: dict[str, list[_Draft]] = defaultdict(list)
    for draft in drafts:
        if draft.values.get(key) is not None:
            lines[draft.values[key]].append(draft)
    for value, same in lines.items():
        for draft in same if len(same) > 1 else ():
            others = ", ".join(str(other.where.line) for other in same if other is not draft)
            draft.reasons.append(f"{key} {value} appears more than once (also on line {others})")


def _classify(draft: _Draft, mapping: Mapping) -> AnyRow:
    key = draft.values.get(mapping.key)
    # scope is judged on the fields it reads; a row that is out of scope is not worth rejecting for other fields
    scope_readable = mapping.scope is not None and not (mapping.scope.fields & draft.failed)
    if scope_readable and not mapping.in_scope(draft.values):
        return OutOfScopeRow(draft.where, key)
    if draft.reasons:
        return RejectedRow(draft.where, key, draft.reasons)
    return PersonRow(draft.where, draft.values)
