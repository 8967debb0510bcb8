"""The mapping file: which source column feeds which person field, coded values, and the scope.

A mapping is checked whole when it loads: every field it names, every value table, the scope filter, the
username template and the policy. A mistake in it is reported with the mapping file's line before any export
is read, never as thousands of rejected rows or in the middle of planning.
"""

from __future__ import annotations

import codecs
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, ValidationInfo, field_validator, model_validator

from groupid.documents import load_yaml
from groupid.errors import Location, Problem, SourceError
from groupid.files import read_file
from groupid.policy import SyncPolicy, template_fields
from groupid.sources.hr.normalise import CHOICES, DATE_FIELDS, FIELDS, REQUIRED_FIELDS, clean_text
from groupid.sources.hr.scope import Scope
from groupid.text import quoted
from groupid.wording import describe_error, did_you_mean


class At(ValueError):
    """A mapping error that lies deeper than the key whose validator found it: ``path`` leads from that key to
    the offending one, so that the problem names its line. The message itself names what it is about."""

    def __init__(self, message: str, *path: str | int):
        super().__init__(message)
        self.path = path


class Source(BaseModel):
    """The export's format: ``csv`` (with ``encoding:``), ``xlsx`` (with ``sheet:``), ``json`` or ``jsonl``;
    ``serial_dates`` lists the date fields whose bare numbers are Excel serial numbers, whatever their value."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    format: Literal["csv", "xlsx", "json", "jsonl"] = "csv"
    encoding: str = "auto"
    sheet: str | None = None
    serial_dates: tuple[str, ...] = ()

    @field_validator("encoding")
    @classmethod
    def _known_encoding(cls, encoding: str) -> str:
        if encoding == "auto":
            return encoding
        try:
            known = codecs.lookup(encoding)._is_text_encoding
        except LookupError:
            known = False
        if not known:
            raise ValueError(f"unknown encoding {quoted(encoding)}; use auto, or a codec such as utf-8, gbk, gb18030")
        return encoding

    @field_validator("serial_dates")
    @classmethod
    def _date_fields(cls, names: tuple[str, ...]) -> tuple[str, ...]:
        for index, name in enumerate(names):
            if name not in DATE_FIELDS:
                raise At(f"{quoted(name)} is not a date field{did_you_mean(name, sorted(DATE_FIELDS))}", index)
        return names

    @model_validator(mode="after")
    def _sheet_of_a_workbook(self) -> Source:
        if self.sheet is not None and self.format != "xlsx":
            raise At(f"sheet: is for format: xlsx, not {self.format}", "sheet")
        return self


class Mapping(BaseModel):
    """How an HR export maps to person fields: format, columns, value tables and scope."""

    model_config = ConfigDict(extra="forbid", frozen=True, arbitrary_types_allowed=True)

    # columns comes first: the validators of the other keys check against it
    columns: dict[str, str]
    source: Source = Field(Source(), validate_default=True)
    key: str = Field("employee_id", validate_default=True)  # the default, too, must be a mapped column
    values: dict[str, dict[str, str]] = {}
    scope: Scope | None = None
    policy: SyncPolicy = Field(SyncPolicy(), validate_default=True)  #: what a sync does with joiners, leavers, absentees

    @field_validator("columns")
    @classmethod
    def _known_fields(cls, columns: dict[str, str]) -> dict[str, str]:
        for name, header in columns.items():
            if name not in FIELDS:
                raise At(f"{quoted(name)} is not a person field{did_you_mean(name, FIELDS)}", name)
            if not header.strip():
                raise At("the column name is empty", name)
        missing = [name for name in REQUIRED_FIELDS if name not in columns]
        if missing:
            raise ValueError(f"every person needs {', '.join(REQUIRED_FIELDS)}; map {', '.join(missing)} too")
        return {name: header.strip() for name, header in columns.items()}

    @field_validator("source")
    @classmethod
    def _mapped_serials(cls, source: Source, info: ValidationInfo) -> Source:
        for index, name in enumerate(source.serial_dates):
            _require_mapped([name], info, "serial_dates", index, what="serial_dates: ")
        return source

    @field_validator("key")
    @classmethod
    def _mapped_key(cls, key: str, info: ValidationInfo) -> str:
        _require_mapped([key], info)
        return key

    @field_validator("values")
    @classmethod
    def _mapped_values(cls, values: dict[str, dict[str, str]], info: ValidationInfo) -> dict[str, dict[str, str]]:
        _require_mapped(values, info)
        cleaned = {}
        for name, table in values.items():
            cleaned[name] = {}
            for written, value in table.items():
                key = clean_text(written)  # cells are compared trimmed and half-width; so are the keys
                if name in CHOICES and value not in CHOICES[name]:
                    raise At(f"{name}: {quoted(written)} becomes {quoted(value)}, which is not a {name}; "
                             f"expected one of {', '.join(CHOICES[name])}", name, written)
                if key in cleaned[name] and cleaned[name][key] != value:
                    raise At(f"{name}: {quoted(written)} is listed twice, with different values", name, written)
                cleaned[name][key] = value
        return cleaned

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

    @field_validator("policy")
    @classmethod
    def _usable_policy(cls, policy: SyncPolicy, info: ValidationInfo) -> SyncPolicy:
        columns = info.data.get("columns")
        username = policy.username
        if columns is None or "email" in columns:
            return policy
        if username.strategy == "email":
            raise At("username: strategy: email needs email in columns", "username", "strategy")
        if username.template is not None and "email" in template_fields(username.template):
            raise At("username: template: uses {email}, but email is not in columns", "username", "template")
        return policy

    def in_scope(self, row: Any) -> bool:
        """Whether a row (or its values) is to be synced; every row is when there is no ``scope:``."""
        values = row if isinstance(row, dict) else row.values  # a SourceRow, or its values
        return self.scope is None or self.scope.matches(values)


def _require_mapped(names, info: ValidationInfo, *path: str | int, what: str = "") -> None:
    columns = info.data.get("columns")
    if columns is None:
        return  # columns itself is wrong and already reported
    for name in names:
        if name not in columns:
            raise At(f"{what}{quoted(name)} is not in columns{did_you_mean(name, list(columns))}", *(path or (name,)))


def load_mapping(path: Path | str) -> Mapping:
    """Load an HR mapping file; raises :class:`SourceError` listing every problem with its file and line."""
    name = str(path)
    document = _load_yaml(Path(path), name)
    if not isinstance(document, dict):
        raise SourceError(f"{name}: expected a mapping with keys {', '.join(Mapping.model_fields)}")
    try:
        return Mapping.model_validate(document)
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            deeper = getattr(error.get("ctx", {}).get("error"), "path", ())  # see At
            problems.append(Problem(Location(name, _line(document, (*error["loc"], *deeper))), _message(error)))
        raise SourceError("\n".join(map(str, problems))) from None


def _load_yaml(path: Path, name: str) -> Any:
    """The mapping file's document, read as every input file is (:func:`groupid.files.read_file`) and parsed as
    every YAML file is (:func:`groupid.documents.load_yaml`): each key with its line, hostile YAML refused."""
    return load_yaml(read_file(path, name), name, Mapping.model_fields)


def _line(document: Any, loc: tuple) -> int | None:
    """The line of the deepest key of ``loc`` that the YAML document holds."""
    line, node = None, document
    for part in loc:
        if isinstance(node, dict) and hasattr(node, "lc") and part in node:
            line, node = node.lc.key(part)[0] + 1, node[part]
        elif isinstance(node, list) and hasattr(node, "lc") and isinstance(part, int) and 0 <= part < len(node):
            line, node = node.lc.item(part)[0] + 1, node[part]
        else:
            break
    return line


def _message(error: dict) -> str:
    """Describe ``error`` in the words of the innermost section it is in (``policy: leavers: …``)."""
    loc, model, depth = error["loc"], Mapping, 0
    while depth < len(loc) - 1:
        inner = model.model_fields.get(str(loc[depth]))
        annotation = getattr(inner, "annotation", None)
        if not (isinstance(annotation, type) and issubclass(annotation, BaseModel)):
            break
        model, depth = annotation, depth + 1
    prefix = "".join(f"{part}: " for part in loc[:depth])
    return prefix + describe_error({**error, "loc": loc[depth:]}, model)
