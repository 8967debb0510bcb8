"""The mapping file: which source column feeds which person field, coded values, and the scope.

A mapping is checked whole when it loads: every field it names, every value table, the scope filter, the
username template and the policy. A mistake in it is reported with the mapping file's line before any export
is read, never as thousands of rejected rows or in the middle of planning.
"""

from __future__ import annotations

import codecs
from collections.abc import Collection
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator

from groupid.policy import SyncPolicy, template_fields
from groupid.sources.configs import At, load_config_file
from groupid.sources.hr.normalise import CHOICES, DATE_FIELDS, FIELDS, REQUIRED_FIELDS, clean_text
from groupid.sources.hr.scope import Scope
from groupid.text import quoted
from groupid.wording import did_you_mean


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
        return check_columns(columns, REQUIRED_FIELDS)

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
        return check_value_tables(values, info.data.get("columns"))

    @field_validator("scope", mode="before")
    @classmethod
    def _compile_scope(cls, text: Any, info: ValidationInfo) -> Scope | None:
        return compile_scope(text, info.data.get("columns"))

    @field_validator("policy")
    @classmethod
    def _usable_policy(cls, policy: SyncPolicy, info: ValidationInfo) -> SyncPolicy:
        return check_policy(policy, info.data.get("columns"))

    def in_scope(self, row: Any) -> bool:
        """Whether a row (or its values) is to be synced; every row is when there is no ``scope:``."""
        values = row if isinstance(row, dict) else row.values  # a SourceRow, or its values
        return self.scope is None or self.scope.matches(values)


def _require_mapped(names, info: ValidationInfo, *path: str | int, what: str = "") -> None:
    require_fields(names, info.data.get("columns"), *path, what=what)


def load_mapping(path: Path | str) -> Mapping:
    """Load an HR mapping file; raises :class:`SourceError` listing every problem with its file and line."""
    return load_config_file(path, Mapping)


# The checks below are shared with the other sources' config files, which fill the same person fields.


def check_columns(columns: dict[str, str], required: Collection[str], what: str = "column name") -> dict[str, str]:
    """``columns`` (person field → where the source holds it) with the names trimmed; raises :class:`At` for an
    unknown field or an empty name, ValueError when a ``required`` field is missing."""
    for name, header in columns.items():
        if name not in FIELDS:
            raise At(f"{quoted(name)} is not a person field{did_you_mean(name, FIELDS)}", name)
        if not header.strip():
            raise At(f"the {what} is empty", name)
    missing = [name for name in required if name not in columns]
    if missing:
        raise ValueError(f"every person needs {', '.join(required)}; map {', '.join(missing)} too")
    return {name: header.strip() for name, header in columns.items()}


def require_fields(names, fields: Collection[str] | None, *path: str | int, what: str = "") -> None:
    """Raise :class:`At` for the first of ``names`` the source does not fill (``fields``: None when the
    columns are wrong and already reported). ``path`` leads to the key, by default the name itself."""
    if fields is None:
        return
    for name in names:
        if name not in fields:
            raise At(f"{what}{quoted(name)} is not in columns{did_you_mean(name, list(fields))}", *(path or (name,)))


def check_value_tables(values: dict[str, dict[str, str]], fields: Collection[str] | None) -> dict[str, dict[str, str]]:
    """The ``values:`` tables with their keys cleaned as values are; raises :class:`At` for a table of a field
    the source does not fill, a value that is not one of its field's choices, or a key listed twice."""
    require_fields(values, fields)
    cleaned: dict[str, dict[str, str]] = {}
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


def compile_scope(text: Any, fields: Collection[str] | None) -> Scope | None:
    """The ``scope:`` filter compiled over the fields the source fills (None: those are wrong, and reported)."""
    if text is None or isinstance(text, Scope):
        return text
    if not isinstance(text, str):
        raise ValueError("must be a SCIM filter, in quotes")
    # when the columns are wrong the config fails anyway; checking field names against nothing would mislead
    return Scope(text, fields) if fields is not None else None


def check_policy(policy: SyncPolicy, fields: Collection[str] | None) -> SyncPolicy:
    """``policy``, when its username strategy can be followed with the fields the source fills."""
    username = policy.username
    if fields is None or "email" in fields:
        return policy
    if username.strategy == "email":
        raise At("username: strategy: email needs email in columns", "username", "strategy")
    if username.template is not None and "email" in template_fields(username.template):
        raise At("username: template: uses {email}, but email is not in columns", "username", "template")
    return policy
