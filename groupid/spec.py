"""Loading a spec: a directory of YAML files (and the CSV files they point at) into a validated :class:`Group`.

A spec directory holds any number of ``*.yaml`` / ``*.yml`` files, read in name order. Exactly one of them
defines ``group:``; the sections ``companies``, ``departments``, ``roles``, ``people``, ``apps`` and ``federation`` may be
split over several files and are concatenated. A section is either a list of records or a pointer to a CSV
export with a column mapping::

    departments: {from: org.csv, columns: {code: 部门编码, name: 部门名称, parent: 上级部门编码, company: 公司编码}}

Every problem found is collected and raised together as one :class:`SpecError`, each naming file and line.

Files are read with care (:mod:`groupid.files`, :mod:`groupid.documents`): a file a spec names must lie inside
the spec's directory, be a regular file and stay under the size cap, and YAML that is hostile (alias bombs,
deep nesting, tags) is refused with its line.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from groupid.apps import app_problems
from groupid.checks import find_problems
from groupid.documents import as_written, item_line, key_line, key_lines, load_yaml
from groupid.errors import Location, Problem, SourceError, SpecError
from groupid.files import read_file, resolve_inside
from groupid.model import INFO_KEYS, App, Company, Department, Federation, Group, Origin, Person, Record, Role
from groupid.sources.tabular import parse_csv
from groupid.text import quoted
from groupid.wording import cut_label, describe_error, did_you_mean

SECTIONS: dict[str, type[Record]] = {
    "companies": Company,
    "departments": Department,
    "roles": Role,
    "people": Person,
    "apps": App,
    "federation": Federation,
}
TOP_KEYS = ("group", *SECTIONS)
SOURCE_KEYS = ("from", "columns", "encoding")
_LIST_SEPARATORS = re.compile(r"[;,，；、|]")


def load_spec(path: Path | str) -> Group:
    """Load and validate the spec at ``path`` (a directory of YAML files, or one YAML file).

    Raises :class:`SourceError` when the path itself cannot be read, and :class:`SpecError` with every
    problem found otherwise — unreadable CSV and YAML files included.
    """
    return _SpecLoader(Path(path)).load()


def spec_files(path: Path) -> list[Path]:
    """The YAML files of a spec, in the order they are read.

    Every ``*.yaml`` / ``*.yml`` entry of the directory counts, whatever it is: a broken link, a directory or a
    FIFO with such a name is reported when it is read, not skipped. Names starting with a dot are left out:
    editors keep their swap and lock files (``.#group.yaml``, a broken link) under such names.
    """
    if not path.exists():
        raise SourceError(f"{path}: no such file or directory")
    if not path.is_dir():
        return [path]
    try:
        entries = list(path.iterdir())
    except OSError as exc:
        raise SourceError(f"{path}: cannot list the directory: {exc.strerror}") from None
    files = sorted(p for p in entries if p.suffix in (".yaml", ".yml") and not p.name.startswith("."))
    if not files:
        raise SourceError(f"{path}: no *.yaml files here; a spec directory needs at least one with `group:`")
    return files


class _SpecLoader:
    """One load of one spec; collects records and problems as it reads."""

    def __init__(self, path: Path):
        self.path = path
        self.directory = path if path.is_dir() else path.parent  # files named in the spec must lie inside it
        self.unreadable = False  # a YAML file could not be read: it may be the one that defines `group:`
        self.problems: list[Problem] = []
        self.broken: set[str] = set()
        self.info: tuple[dict, Origin] | None = None
        self.group_seen = False
        self.records: dict[str, list[Record]] = {name: [] for name in SECTIONS}

    def load(self) -> Group:
        for file in spec_files(self.path):
            self._read_file(file)
        group = self._build_group().read_from(str(self.directory))
        self.problems += find_problems(group, self.broken)
        if not self.problems:
            self.problems += app_problems(group)
        if self.problems:
            raise SpecError(self.problems)
        return group

    def _display(self, file: Path) -> str:
        return str(file) if not self.path.is_dir() else str(self.path / file.name)

    def _read_file(self, file: Path) -> None:
        name = self._display(file)
        try:
            # a spec directory's own files, too, must not be links that lead out of it
            real = resolve_inside(self.directory, file.name) if self.path.is_dir() else file
            document = load_yaml(read_file(real, name), name, TOP_KEYS)
        except SourceError as exc:
            self.unreadable = True
            self.problems.append(Problem(exc.where or Location(name), exc.reason))
            return
        for key, value in document.items():
            origin = Origin(name, key_line(document, key), key_lines(value))
            if key == "group":
                self._take_info(value, origin)
            elif key in SECTIONS:
                self._read_section(key, value, origin, self.directory)
            else:
                self.problems.append(Problem(origin.at(), f"unknown section {quoted(key)}{did_you_mean(key, TOP_KEYS)}"))

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
                line = item_line(value, index)
                if isinstance(item, dict):
                    self._add_record(section, dict(item), Origin(origin.file, line, key_lines(item)))
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
        name = str(Path(origin.file).parent / file)
        try:
            data = read_file(resolve_inside(base, file), name)
        except SourceError as exc:
            self.problems.append(Problem(origin.at("from"), f"{section}: `from:` {quoted(file, 80)}: {exc.reason}"))
            return
        try:
            table = parse_csv(data, encoding, name)
        except SourceError as exc:
            self.problems.append(Problem(exc.where, exc.reason))
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
                self.problems.append(Problem(origin.at(key), f"{section}: unknown key {quoted(key)}{did_you_mean(key, SOURCE_KEYS)}"))
        columns = source.get("columns")
        if not isinstance(columns, dict) or not columns:
            self.problems.append(Problem(origin.at("columns"), f"{section}: `columns:` must map fields to CSV headers"))
            return None
        fields = list(model.model_fields)
        mapping: dict[str, str] = {}
        for key, header in columns.items():
            header = as_written(header)  # a header such as 2024 is the text it is written as
            if key not in fields:
                self.problems.append(
                    Problem(origin.at("columns"), f"{section}: columns: {quoted(key)} is not a {model.noun} field{did_you_mean(key, fields)}")
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
        label = f"{model.noun} {cut_label(key)}" if isinstance(key, str) else model.noun
        try:
            record = model.model_validate(raw)
        except ValidationError as exc:
            for error in exc.errors():
                field = str(error["loc"][0]) if error["loc"] else None
                self.problems.append(Problem(origin.at(field), f"{label}: {describe_error(error, model)}"))
            record = _without_unknown_keys(model, raw)
        if record is not None:
            self.records[section].append(record.located(origin))
        elif isinstance(key, str):
            self.broken.add(key)

    def _build_group(self) -> Group:
        if self.info is None:
            if not self.group_seen and not self.unreadable:
                self.problems.append(Problem(Location(str(self.path)), "no file defines `group:` (code, name, realm)"))
            return Group.model_construct(**self.records)
        value, origin = self.info
        for key in value:
            if key not in INFO_KEYS:
                self.problems.append(Problem(origin.at(key), f"group: unknown key {quoted(key)}{did_you_mean(key, INFO_KEYS)}"))
        info = {key: _as_written(Group, key, value[key]) for key in INFO_KEYS if key in value}
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


def _as_written(model: type[Record] | type[Group], name: str, value: Any) -> Any:
    """A value where text belongs, as it was written: YAML reads the code 001 as the number 1, 0x1F as 31 and
    1.10 as 1.1; a text field (or a list of texts) gets ``001``, ``0x1F`` and ``1.10``. Other fields keep
    what YAML read (a date for ``start_date``, true for ``own_realm``)."""
    field = model.model_fields.get(name)
    if field is None or "str" not in str(field.annotation):
        return value
    if isinstance(value, list) and str(field.annotation).startswith("list"):
        return [as_written(item) for item in value]
    return as_written(value)


def _cell(model: type[Record], name: str, value: str) -> Any:
    """A CSV cell as the model field wants it; list fields are split on ';', ',', '、' or '|'."""
    annotation = str(model.model_fields[name].annotation)
    if annotation.startswith("list"):
        return [part.strip() for part in _LIST_SEPARATORS.split(value) if part.strip()]
    return value
