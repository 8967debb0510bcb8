"""Source config files — an HR mapping, an LDAP source config — loaded into their pydantic model.

Every source reads its config file the same way: as every input file is read (:func:`groupid.files.read_file`)
and parsed as every YAML file is (:func:`groupid.documents.load_yaml`), then validated whole by its model. A
mistake is a :class:`~groupid.errors.SourceError` that lists every problem with the file and line of the key
it is about, in the words of the section it is in (``policy: leavers: …``), before any data is read.
"""

from __future__ import annotations

import types
from pathlib import Path
from typing import Any, TypeVar, Union, get_args, get_origin

from pydantic import BaseModel, ValidationError

from groupid.documents import load_yaml
from groupid.errors import Location, Problem, SourceError
from groupid.files import read_file
from groupid.wording import describe_error

Model = TypeVar("Model", bound=BaseModel)


class At(ValueError):
    """A config error that lies deeper than the key whose validator found it: ``path`` leads from that key to
    the offending one, so that the problem names its line. The message itself names what it is about."""

    def __init__(self, message: str, *path: str | int):
        super().__init__(message)
        self.path = path


def load_config_file(path: Path | str, model: type[Model], context: dict[str, Any] | None = None) -> Model:
    """The config file at ``path`` validated as ``model`` (with the validation ``context``, if any); raises
    :class:`SourceError` listing every problem with its file and line."""
    name = str(path)
    document = load_yaml(read_file(Path(path), name), name, model.model_fields)
    if not isinstance(document, dict):
        raise SourceError(f"{name}: expected a mapping with keys {', '.join(model.model_fields)}")
    try:
        return model.model_validate(document, context=context)
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            deeper = getattr(error.get("ctx", {}).get("error"), "path", ())  # see At
            where = Location(name, line_of(document, (*error["loc"], *deeper)))
            problems.append(Problem(where, describe(error, model)))
        raise SourceError("\n".join(map(str, problems))) from None


def line_of(document: Any, loc: tuple) -> int | None:
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


def describe(error: dict, model: type[BaseModel]) -> str:
    """Describe ``error`` in the words of the innermost section of ``model`` it is in (``policy: leavers: …``)."""
    loc, depth = error["loc"], 0
    if not loc:  # a check of the whole file (its line, if any, is the At path's)
        return str(error["msg"]).removeprefix("Value error, ")
    while depth < len(loc) - 1:
        inner = _section(model, str(loc[depth]))
        if inner is None:
            break
        model, depth = inner, depth + 1
    prefix = "".join(f"{part}: " for part in loc[:depth])
    return prefix + describe_error({**error, "loc": loc[depth:]}, model)


def _section(model: type[BaseModel], key: str) -> type[BaseModel] | None:
    """The model of the section ``key`` of ``model`` (by name or alias; ``X | None`` counts as ``X``), if any."""
    field = model.model_fields.get(key) or next(
        (info for info in model.model_fields.values() if info.alias == key), None)
    annotation = getattr(field, "annotation", None)
    if get_origin(annotation) in (Union, types.UnionType):
        models = [arg for arg in get_args(annotation) if arg is not type(None)]
        annotation = models[0] if len(models) == 1 else None
    return annotation if isinstance(annotation, type) and issubclass(annotation, BaseModel) else None
