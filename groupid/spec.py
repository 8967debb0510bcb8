"""Loading a spec: a directory of YAML files (and the CSV files they point at) into a validated :class:`Group`.

A spec directory holds any number of ``*.yaml`` / ``*.yml`` files, read in name order. Exactly one of them
defines ``group:``; the sections ``companies``, ``departments``, ``roles``, ``people`` and ``apps`` may be
split over several files and are concatenated. A section is either a list of records or a pointer to a CSV
export with a column mapping::

    departments: {from: org.csv, columns: {code: 部门编码, name: 部门名称, parent: 上级部门编码, company: 公司编码}}

Every problem found is collected and raised together as one :class:`SpecError`, each naming file and line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from difflib import get_close_matches
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from ruamel.yaml import YAML
from ruamel.yaml.error import MarkedYAMLError, YAMLError

from groupid.connectors.tabular import read_csv
from groupid.errors import Location, Problem, SourceError, SpecError
from groupid.model import INFO_KEYS, App, Company, Department, Group, Origin, Person, Record, Role, find_problems


@dataclass(frozen=True)
class Section:
    """A list section of the spec: the model of its records, the word for one record, and its key field."""

    model: type[Record]
    noun: str
    key: str


SECTIONS = {
    "companies": Section(Company, "company", "code"),
    "departments": Section(Department, "department", "code"),
    "roles": Section(Role, "role", "name"),
    "people": Section(Person, "person", "employee_id"),
    "apps": Section(App, "app", "code"),
}
TOP_KEYS = ("group", *SECTIONS)
SOURCE_KEYS = ("from", "columns", "encoding")
_LIST_SEPARATORS = re.compile(r"[;,，；、|]")


def load_spec(path: Path | str) -> Group:
    """Load and validate the spec at ``path`` (a directory of YAML files, or one YAML file).

    Raises :class:`SourceError` when the path cannot be read at all, and :class:`SpecError` with every
    problem found otherwise.
    """
    return _SpecLoader(Path(path)).load()


def spec_files(path: Path) -> list[Path]:
    """The YAML files of a spec, in the order they are read."""
    if not path.exists():
        raise SourceError(f"{path}: no such file or directory")
    if path.is_file():
        return [path]
    files = sorted(p for p in path.iterdir() if p.suffix in (".yaml", ".yml") and p.is_file())
    if not files:
        raise SourceError(f"{path}: no *.yaml files here; a spec directory needs at least one with `group:`")
    return files


class _SpecLoader:
    """One load of one spec; collects records and problems as it reads."""

    def __init__(self, path: Path):
        self.path = path
        self.problems: list[Problem] = []
        self.broken: set[str] = set()
        self.info: tuple[dict, Origin] | None = None
        self.records: dict[str, list[Record]] = {name: [] for name in SECTIONS}

    def load(self) -> Group:
        for file in spec_files(self.path):
            self._read_file(file)
        group = self._build_group()
        self.problems += find_problems(group, self.broken)
        if self.problems:
            raise SpecError(self.problems)
        return group

    def _display(self, file: Path) -> str:
        return str(file) if self.path.is_file() else str(self.path / file.name)

    def _read_file(self, file: Path) -> None:
        name = self._display(file)
        document = self._parse_yaml(file, name)
        if document is None:
            return
        if not isinstance(document, dict):
            self.problems.append(Problem(Location(name, 1), f"expected a mapping with keys {', '.join(TOP_KEYS)}"))
            return
        for key, value in document.items():
            origin = _origin(name, document, key)
            if key == "group":
                self._take_info(value, origin)
            elif key in SECTIONS:
                self._read_section(key, value, origin, file.parent)
            else:
                self.problems.append(Problem(origin.at(), f"unknown section '{key}'{_hint(key, TOP_KEYS)}"))

    def _parse_yaml(self, file: Path, name: str) -> Any:
        try:
            text = file.read_text(encoding="utf-8-sig")
        except UnicodeDecodeError:
            raise SourceError(f"{name}: not UTF-8; save YAML files as UTF-8") from None
        except OSError as exc:
            raise SourceError(f"{name}: cannot read: {exc.strerror}") from None
        try:
            return YAML(typ="rt").load(text)
        except MarkedYAMLError as exc:
            mark = exc.problem_mark or exc.context_mark
            line = mark.line + 1 if mark else None
            what = " ".join(str(part) for part in (exc.context, exc.problem) if part)
            self.problems.append(Problem(Location(name, line), f"YAML syntax error: {what}"))
        except YAMLError as exc:
            self.problems.append(Problem(Location(name), f"YAML syntax error: {exc}"))
        return None

    def _take_info(self, value: Any, origin: Origin) -> None:
        if self.info is not None:
            first = self.info[1].at()
            self.problems.append(Problem(origin.at(), f"`group:` is defined again (first at {first})"))
        elif not isinstance(value, dict):
            self.problems.append(Problem(origin.at(), "`group:` must be a mapping with code, name and realm"))
        else:
            self.info = (value, _origin(origin.file, value, None, origin.line))

    def _read_section(self, section: str, value: Any, origin: Origin, base: Path) -> None:
        if isinstance(value, list):
            for index, item in enumerate(value):
                item_origin = _item_origin(origin, value, index, item)
                if isinstance(item, dict):
                    self._add_record(section, dict(item), item_origin)
                else:
                    what = SECTIONS[section].noun
                    self.problems.append(Problem(item_origin.at(), f"each entry of {section} must be a {what} mapping"))
        elif isinstance(value, dict) and "from" in value:
            self._read_csv_section(section, value, _origin(origin.file, value, None, origin.line), base)
        elif value is not None:
            self.problems.append(
                Problem(origin.at(), f"{section} must be a list, or {{from: FILE.csv, columns: {{...}}}}")
            )

    def _read_csv_section(self, section: str, source: dict, origin: Origin, base: Path) -> None:
        spec = SECTIONS[section]
        for key in source:
            if key not in SOURCE_KEYS:
                self.problems.append(Problem(origin.at(key), f"{section}: unknown key '{key}'{_hint(key, SOURCE_KEYS)}"))
        columns = source.get("columns")
        if not isinstance(columns, dict) or not columns:
            self.problems.append(Problem(origin.at("columns"), f"{section}: `columns:` must map fields to CSV headers"))
            return
        fields = list(spec.model.model_fields)
        for key in columns:
            if key not in fields:
                self.problems.append(
                    Problem(origin.at("columns"), f"{section}: columns: '{key}' is not a {spec.noun} field{_hint(key, fields)}")
                )
        file = base / str(source["from"])
        table = read_csv(file, str(source.get("encoding") or "auto"), name=str(Path(origin.file).parent / source["from"]))
        missing = [str(header) for header in columns.values() if str(header) not in table.header]
        if missing:
            have = ", ".join(table.header)
            self.problems.append(
                Problem(Location(table.name, 1), f"column {', '.join(map(repr, missing))} not found; the header has: {have}")
            )
            return
        self.problems += table.problems
        wanted = {name: str(header) for name, header in columns.items() if name in fields}
        for row in table.rows:
            raw = {name: _cell(spec.model, name, row.cells[header]) for name, header in wanted.items() if row.cells[header]}
            self._add_record(section, raw, Origin(table.name, row.where.line))

    def _add_record(self, section: str, raw: dict, origin: Origin) -> None:
        spec = SECTIONS[section]
        key = raw.get(spec.key)
        label = f"{spec.noun} {key}" if isinstance(key, str | int) else spec.noun
        try:
            record = spec.model.model_validate(raw)
        except ValidationError as exc:
            for error in exc.errors():
                field = str(error["loc"][0]) if error["loc"] else None
                self.problems.append(Problem(origin.at(field), f"{label}: {_describe(error, spec.model)}"))
            record = _without_unknown_keys(spec.model, raw)
        if record is not None:
            self.records[section].append(record.located(origin))
        elif isinstance(key, str | int):
            self.broken.add(str(key))

    def _build_group(self) -> Group:
        if self.info is None:
            if any("YAML syntax error" in p.message for p in self.problems):
                return Group.model_construct(**self.records)  # the group may be in the file that did not parse
            self.problems.append(Problem(Location(str(self.path)), "no file defines `group:` (code, name, realm)"))
            return Group.model_construct(**self.records)
        value, origin = self.info
        for key in value:
            if key not in INFO_KEYS:
                self.problems.append(Problem(origin.at(key), f"group: unknown key '{key}'{_hint(key, INFO_KEYS)}"))
        try:
            info = {key: value[key] for key in INFO_KEYS if key in value}
            return Group.model_validate({**info, **self.records}).located(origin)
        except ValidationError as exc:
            for error in exc.errors():
                field = str(error["loc"][0])
                if field in INFO_KEYS:
                    self.problems.append(Problem(origin.at(field), f"group: {_describe(error, Group)}"))
            return Group.model_construct(**self.records)


def _without_unknown_keys(model: type[Record], raw: dict) -> Record | None:
    """The record without its unknown keys, when that is all that was wrong, so that its other checks still run."""
    try:
        return model.model_validate({k: v for k, v in raw.items() if k in model.model_fields})
    except ValidationError:
        return None


def _origin(file: str, mapping: Any, key: Any, fallback: int | None = None) -> Origin:
    """The origin of ``mapping[key]`` (or of ``mapping`` itself), with the line of each of its keys."""
    lines: dict[str, int] = {}
    line = fallback
    lc = getattr(mapping, "lc", None)
    if lc is not None:
        line = (lc.key(key)[0] if key is not None else lc.line) + 1
        value = mapping[key] if key is not None else mapping
        if isinstance(value, dict) and hasattr(value, "lc"):
            lines = {str(k): value.lc.key(k)[0] + 1 for k in value}
    return Origin(file, line, lines)


def _item_origin(section: Origin, items: Any, index: int, item: Any) -> Origin:
    line = items.lc.item(index)[0] + 1 if hasattr(items, "lc") else section.line
    lines = {str(k): item.lc.key(k)[0] + 1 for k in item} if hasattr(item, "lc") and isinstance(item, dict) else {}
    return Origin(section.file, line, lines)


def _cell(model: type[Record], name: str, value: str) -> Any:
    """A CSV cell as the model field wants it; list fields are split on ';', ',' or '、'."""
    annotation = str(model.model_fields[name].annotation)
    if annotation.startswith("list"):
        return [part.strip() for part in _LIST_SEPARATORS.split(value) if part.strip()]
    return value


def _describe(error: dict, model: type[Record]) -> str:
    """A pydantic error in the words of the spec."""
    loc = [str(part) for part in error["loc"]]
    key = loc[0] if loc else ""
    if error["type"] == "extra_forbidden":
        return f"unknown key '{key}'{_hint(key, list(model.model_fields), allowed=True)}"
    if error["type"] == "missing":
        return f"missing required key '{key}'"
    message = str(error["msg"]).removeprefix("Value error, ")
    if error["type"] == "enum" or error["type"] == "literal_error":
        return f"{key}: {message} (got {error['input']!r})"
    return f"{'.'.join(loc)}: {message}"


def _hint(key: str, choices, allowed: bool = False) -> str:
    choices = [c for c in choices if not c.startswith("_")]
    close = get_close_matches(str(key), choices, n=1, cutoff=0.6)
    if close:
        return f"; did you mean '{close[0]}'?"
    return f"; allowed: {', '.join(choices)}" if allowed or choices else ""
