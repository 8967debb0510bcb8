"""The mapping file: which source column feeds which person field, coded values, and the scope."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, ValidationInfo, field_validator
from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError

from groupid.connectors.tabular import decode, read_bytes
from groupid.connectors.hr.normalise import FIELDS
from groupid.connectors.hr.scope import Scope
from groupid.errors import Location, Problem, SourceError
from groupid.policy import SyncPolicy
from groupid.spec import describe_error, did_you_mean

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
    policy: SyncPolicy = SyncPolicy()  #: what a sync does with joiners, leavers and absentees

    @field_validator("columns")
    @classmethod
    def _known_fields(cls, columns: dict[str, str]) -> dict[str, str]:
        for name, header in columns.items():
            if name not in FIELDS:
                raise ValueError(f"'{name}' is not a person field{did_you_mean(name, FIELDS)}")
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

    def in_scope(self, row: Any) -> bool:
        """Whether a row (or its values) is to be synced; every row is when there is no ``scope:``."""
        values = row if isinstance(row, dict) else row.values  # a PersonRow, or its values
        return self.scope is None or self.scope.matches(values)


def _require_mapped(names, info: ValidationInfo) -> None:
    columns = info.data.get("columns")
    if columns is None:
        return  # columns itself is wrong and already reported
    for name in names:
        if name not in columns:
            raise ValueError(f"'{name}' is not in columns{did_you_mean(name, list(columns))}")


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
        return YAML(typ="rt").load(decode(read_bytes(path, name), "utf-8", name)[0].removeprefix("\ufeff"))
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
