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
from datetime import date
from difflib import get_close_matches
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from ruamel.yaml import YAML
from ruamel.yaml.error import MarkedYAMLError, YAMLError

from groupid.connectors.tabular import read_csv
from groupid.errors import Location, Problem, SourceError, SpecError
from groupid.model import INFO_KEYS, App, Company, Department, Group, Origin, Person, Record, Role, find_problems


SECTIONS: dict[str, type[Record]] = {
    "companies": Company,
    "departments": Department,
    "roles": Role,
    "people": Person,
    "apps": App,
}
TOP_KEYS = ("group", *SECTIONS)
SOURCE_KEYS = ("from", "columns", "encoding")
_LIST_SEPARATORS = re.compile(r"[;,，；、|]")
_SYNTAX = "YAML syntax error"


def load_spec(path: Path | str) -> Group:
    """Load and validate the spec at ``path`` (a directory of YAML files, or one YAML file).

    Raises :class:`SourceError` when the path itself cannot be read, and :class:`SpecError` with every
    problem found otherwise — unreadable CSV and YAML files included.
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
        self.group_seen = False
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
            origin = Origin(name, document.lc.key(key)[0] + 1, _key_lines(value))
            if key == "group":
                self._take_info(value, origin)
            elif key in SECTIONS:
                self._read_section(key, value, origin, file.parent)
            else:
                self.problems.append(Problem(origin.at(), f"unknown section '{key}'{did_you_mean(key, TOP_KEYS)}"))

    def _parse_yaml(self, file: Path, name: str) -> Any:
        try:
            text = file.read_text(encoding="utf-8-sig")
        except UnicodeDecodeError as exc:
            line = file.read_bytes()[: exc.start].count(b"\n") + 1
            self.problems.append(Problem(Location(name, line), "not UTF-8; save YAML files as UTF-8"))
            return None
        except OSError as exc:
            self.problems.append(Problem(Location(name), f"cannot read: {exc.strerror}"))
            return None
        try:
            return YAML(typ="rt").load(text)
        except MarkedYAMLError as exc:
            mark = exc.problem_mark or exc.context_mark
            line = mark.line + 1 if mark else None
            what = " ".join(str(part) for part in (exc.context, exc.problem) if part)
            self.problems.append(Problem(Location(name, line), f"{_SYNTAX}: {what}"))
        except YAMLError as exc:
            self.problems.append(Problem(Location(name), f"{_SYNTAX}: {exc}"))
        return None

    def _take_info(self, value: Any, origin: Origin) -> None:
        if self.group_seen:
            first = self.info[1].at() if self.info else "another file"
            self.problems.append(Problem(origin.at(), f"`group:` is defined again (first at {first})"))
        elif not isinstance(value, dict):
            self.problems.append(Problem(origin.at(), "`group:` must be a mapping with code, name and realm"))
        else:
            self.info = (value, origin)
        self.group_seen = True

    def _read_section(self, section: str, value: Any, origin: Origin, base: Path) -> None:
        if isinstance(value, list):
            for index, item in enumerate(value):
                line = value.lc.item(index)[0] + 1
                if isinstance(item, dict):
                    self._add_record(section, dict(item), Origin(origin.file, line, _key_lines(item)))
                else:
                    noun = SECTIONS[section].noun
                    self.problems.append(Problem(Location(origin.file, line), f"each entry of {section} must be a {noun} mapping"))
        elif isinstance(value, dict) and "from" in value:
            self._read_csv_section(section, value, origin, base)
        elif value is not None:
            self.problems.append(
                Problem(origin.at(), f"{section} must be a list, or {{from: FILE.csv, columns: {{...}}}}")
            )

    def _read_csv_section(self, section: str, source: dict, origin: Origin, base: Path) -> None:
        model = SECTIONS[section]
        columns = self._column_mapping(section, source, origin)
        file, encoding = source.get("from"), source.get("encoding") or "auto"
        if not isinstance(file, str) or not isinstance(encoding, str):
            self.problems.append(Problem(origin.at("from"), f"{section}: `from:` and `encoding:` must be text"))
            return
        if columns is None:
            return
        try:
            table = read_csv(base / file, encoding, name=str(Path(origin.file).parent / file))
        except SourceError as exc:
            self.problems.append(Problem(None, str(exc)))
            return
        self.problems += table.problems
        problem = table.missing_or_ambiguous(columns.values())
        if problem:
            self.problems.append(problem)
            return
        for row in table.rows:
            raw = {name: _cell(model, name, row.cells[header]) for name, header in columns.items() if row.cells[header]}
            self._add_record(section, raw, Origin(table.name, row.where.line))

    def _column_mapping(self, section: str, source: dict, origin: Origin) -> dict[str, str] | None:
        """The ``columns:`` mapping of a CSV section (field -> header), or None after reporting what is wrong."""
        model = SECTIONS[section]
        for key in source:
            if key not in SOURCE_KEYS:
                self.problems.append(Problem(origin.at(key), f"{section}: unknown key '{key}'{did_you_mean(key, SOURCE_KEYS)}"))
        columns = source.get("columns")
        if not isinstance(columns, dict) or not columns:
            self.problems.append(Problem(origin.at("columns"), f"{section}: `columns:` must map fields to CSV headers"))
            return None
        fields = list(model.model_fields)
        mapping: dict[str, str] = {}
        for key, header in columns.items():
            if key not in fields:
                self.problems.append(
                    Problem(origin.at("columns"), f"{section}: columns: '{key}' is not a {model.noun} field{did_you_mean(key, fields)}")
                )
            elif not isinstance(header, str) or not header.strip():
                self.problems.append(Problem(origin.at("columns"), f"{section}: columns: {key}: the header must be text"))
            else:
                mapping[key] = header.strip()
        return mapping if len(mapping) == len(columns) else None

    def _add_record(self, section: str, raw: dict, origin: Origin) -> None:
        model = SECTIONS[section]
        raw = {name: _as_written(model, name, value) for name, value in raw.items()}
        key = raw.get(model.key_field)
        label = f"{model.noun} {key}" if isinstance(key, str | int) else model.noun
        try:
            record = model.model_validate(raw)
        except ValidationError as exc:
            for error in exc.errors():
                field = str(error["loc"][0]) if error["loc"] else None
                self.problems.append(Problem(origin.at(field), f"{label}: {describe_error(error, model)}"))
            record = _without_unknown_keys(model, raw)
        if record is not None:
            self.records[section].append(record.located(origin))
        elif isinstance(key, str | int):
            self.broken.add(str(key))

    def _build_group(self) -> Group:
        if self.info is None:
            if not self.group_seen and not any(p.message.startswith(_SYNTAX) for p in self.problems):
                self.problems.append(Problem(Location(str(self.path)), "no file defines `group:` (code, name, realm)"))
            return Group.model_construct(**self.records)
        value, origin = self.info
        for key in value:
            if key not in INFO_KEYS:
                self.problems.append(Problem(origin.at(key), f"group: unknown key '{key}'{did_you_mean(key, INFO_KEYS)}"))
        info = {key: value[key] for key in INFO_KEYS if key in value}
        try:
            return Group.model_validate({**info, **self.records}).located(origin)
        except ValidationError as exc:
            for error in exc.errors():
                field = str(error["loc"][0])
                if field in INFO_KEYS:
                    self.problems.append(Problem(origin.at(field), f"group: {describe_error(error, Group)}"))
            return Group.model_construct(**self.records)


def _without_unknown_keys(model: type[Record], raw: dict) -> Record | None:
    """The record without its unknown keys, when that is all that was wrong, so that its other checks still run."""
    try:
        return model.model_validate({k: v for k, v in raw.items() if k in model.model_fields})
    except ValidationError:
        return None


def _key_lines(value: Any) -> dict[str, int]:
    """The line of each key of a YAML mapping (empty for anything else)."""
    if isinstance(value, dict) and hasattr(value, "lc"):
        return {str(key): value.lc.key(key)[0] + 1 for key in value}
    return {}


def _as_written(model: type[Record], name: str, value: Any) -> Any:
    """An integer where text belongs, as it was written: YAML reads the code 001 as the number 1."""
    field = model.model_fields.get(name)
    if field is None or isinstance(value, bool) or not isinstance(value, int) or "str" not in str(field.annotation):
        return value
    width = getattr(value, "_width", None)  # ruamel keeps the written width of zero-padded numbers
    return str(value).zfill(width) if width else str(value)


def _cell(model: type[Record], name: str, value: str) -> Any:
    """A CSV cell as the model field wants it; list fields are split on ';', ',', '、' or '|'."""
    annotation = str(model.model_fields[name].annotation)
    if annotation.startswith("list"):
        return [part.strip() for part in _LIST_SEPARATORS.split(value) if part.strip()]
    return value


def describe_error(error: dict, model: type[Record]) -> str:
    """A pydantic error in the words of the spec."""
    loc = [str(part) for part in error["loc"]]
    key = loc[0] if loc else ""
    kind = error["type"]
    if kind == "extra_forbidden":
        return f"unknown key '{key}'{did_you_mean(key, list(model.model_fields))}"
    if kind == "missing":
        return f"missing required key '{key}'"
    if kind == "string_type" and isinstance(error["input"], float | date):
        # YAML reads 1.10 as the number 1.1 and 2023-03-05 as a date: such codes must be quoted
        what = "date" if isinstance(error["input"], date) else "number"
        return f"{'.'.join(loc)}: {error['input']} was read as a {what}; put it in quotes, as written in the file"
    message = str(error["msg"]).removeprefix("Value error, ")
    if kind in ("enum", "literal_error"):
        return f"{key}: {message} (got {error['input']!r})"
    return f"{'.'.join(loc)}: {message}"


def did_you_mean(key: str, choices) -> str:
    """'; did you mean X?' for a near miss, else the allowed choices."""
    choices = [str(c) for c in choices]
    close = get_close_matches(str(key), choices, n=1, cutoff=0.6)
    if close:
        return f"; did you mean '{close[0]}'?"
    return f"; allowed: {', '.join(choices)}"
