"""YAML documents — a spec's files, an HR mapping — read safely, with the line of every key and item.

groupid reads plain YAML only: mappings, lists, text, numbers, true/false, dates and null, with anchors,
aliases and merge keys (``<<: *base``). The document is built here from ruamel's event stream, one event at a
time and without recursion, so that hostile input is refused before it costs anything:

- nesting deeper than :data:`MAX_DEPTH` (aliases counted at the depth they are used at);
- aliases that stand for more than :data:`MAX_ALIASED` values in all (an "alias bomb": a few hundred bytes
  that expand to billions of values);
- a key written twice in one mapping, a second document (``---``), tags such as ``!!python/object``,
  control characters, text that is not UTF-8, and a file that is empty or holds only comments.

Every refusal is a :class:`SourceError` located at the file and line, that quotes at most a key or a short
piece of YAML syntax, never a value.

A plain scalar that YAML reads as a number or a date — ``0x1F``, ``0o17``, ``1_000``, ``1e3``, ``001``,
``1.10``, ``2024-03-05`` — keeps the text it is written as in :attr:`PlainInt.written` (and its siblings):
:func:`as_written` gives that text where a field holds text, such as a code, while numeric fields get the
number. Mapping keys are always text, as written.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, NoReturn

from ruamel.yaml import YAML
from ruamel.yaml.comments import LineCol
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.events import (
    AliasEvent,
    CollectionStartEvent,
    DocumentStartEvent,
    MappingEndEvent,
    MappingStartEvent,
    ScalarEvent,
    SequenceEndEvent,
)
from ruamel.yaml.nodes import ScalarNode

from groupid.errors import Location, SourceError
from groupid.text import escape, quoted

MAX_DEPTH = 64
"""Levels of lists and mappings a document may nest. A spec nests five (section, list, record, list, value)."""

MAX_ALIASED = 100_000
"""Values that aliases may stand for in one document, all together. A spec that shares a few keys with
``<<: *base`` among ten thousand records stays far below; a 442-byte alias bomb would stand for billions."""

SYNTAX = "YAML syntax error"
"""How a message about the YAML syntax itself starts."""

_PREFIX = "tag:yaml.org,2002:"
_STR, _NULL, _BOOL, _INT, _FLOAT, _TIMESTAMP, _MERGE = (
    _PREFIX + name for name in ("str", "null", "bool", "int", "float", "timestamp", "merge")
)
_MAP, _SEQ = _PREFIX + "map", _PREFIX + "seq"
_NOT_PRINTABLE = re.compile("[^\t\n\r\x20-\x7e\x85\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_SHORT = 160  # characters of a parser message; ruamel's messages quote a token or a character at most


class DocumentMap(dict):
    """A YAML mapping: a dict whose ``lc`` says where each key is (``lc.key(key)`` → 0-based line, column)."""

    lc: LineCol


class DocumentList(list):
    """A YAML list: a list whose ``lc`` says where each item is (``lc.item(index)`` → 0-based line, column)."""

    lc: LineCol


class PlainInt(int):
    """An integer read from a plain scalar; :attr:`written` is the text as written (``0x1F``, ``001``)."""

    written: str


class PlainFloat(float):
    """A number with a fraction or exponent read from a plain scalar (``1.10``, ``1e3``, ``.inf``), as written."""

    written: str


class PlainDate(date):
    """A date read from a plain scalar (``2024-03-05``), with the text as written."""

    written: str


class PlainDateTime(datetime):
    """A date and time read from a plain scalar, with the text as written."""

    written: str


def as_written(value: Any) -> Any:
    """The text ``value`` was written as, when YAML read it as a number or a date; any other value unchanged."""
    return getattr(value, "written", value) if isinstance(value, PlainInt | PlainFloat | date) else value


def key_line(mapping: Any, key: Any) -> int | None:
    """The 1-based line of ``key`` in a mapping of a loaded document (None for any other value)."""
    lc = getattr(mapping, "lc", None)
    data = getattr(lc, "data", None) or {}
    return data[key][0] + 1 if key in data else None


def item_line(items: Any, index: int) -> int | None:
    """The 1-based line of item ``index`` of a list of a loaded document (None for any other value)."""
    return key_line(items, index)


def key_lines(value: Any) -> dict[str, int]:
    """The 1-based line of each key of a mapping of a loaded document (empty for any other value)."""
    if not isinstance(value, DocumentMap):
        return {}
    return {str(key): key_line(value, key) for key in value}


def load_yaml(data: bytes, name: str, keys: Iterable[str]) -> DocumentMap:
    """The mapping the YAML file ``name`` holds (its bytes are ``data``); ``keys`` are the keys it may have,
    for the message when it holds something else. Raises :class:`SourceError` with the file and line."""
    text = _decode(data, name)
    bad = _NOT_PRINTABLE.search(text)
    if bad:
        line, column = _position(text, bad.start())
        raise SourceError(
            f"holds the control character {escape(bad.group())} (column {column}); a YAML file holds text only",
            Location(name, line),
        )
    builder = _Builder(name)
    yaml = YAML(typ="safe", pure=True)  # a fresh parser: a %YAML directive must not carry over to the next file
    try:
        for event in yaml.parse(text):
            builder.take(event, yaml)
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        raise SourceError(f"{SYNTAX}: {_describe(exc)}", Location(name, mark.line + 1 if mark else None)) from None
    except YAMLError as exc:
        raise SourceError(f"{SYNTAX}: {_short(str(exc).splitlines()[0] if str(exc) else type(exc).__name__)}",
                          Location(name)) from None
    except (AssertionError, ValueError, TypeError, IndexError, KeyError, AttributeError) as exc:
        # ruamel asserts on some input instead of raising its own error (a "%YAML 1.3" directive)
        reader = getattr(yaml, "_reader", None)
        line = getattr(reader, "line", None)
        if "version" in str(exc):
            detail = "an unsupported %YAML version; groupid reads YAML 1.2 (and 1.1)"
        else:
            detail = f"the YAML parser gave up ({_short(str(exc) or type(exc).__name__)})"
        raise SourceError(f"{SYNTAX}: {detail}", Location(name, line + 1 if line is not None else None)) from None
    if not builder.documents:
        what = "is empty" if not text.strip() else "holds only comments"
        raise SourceError(f"the file {what}; expected a mapping with keys {', '.join(keys)}", Location(name, 1))
    root = builder.root
    if root is None or not isinstance(root.value, DocumentMap):
        raise SourceError(
            f"expected a mapping with keys {', '.join(keys)}; the file holds {_kind(root and root.value)}",
            Location(name, root.line + 1 if root else 1),
        )
    return root.value


def _decode(data: bytes, name: str) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise SourceError("not UTF-8; save YAML files as UTF-8", Location(name, line)) from None


def _position(text: str, index: int) -> tuple[int, int]:
    line = text.count("\n", 0, index) + 1
    return line, index - (text.rfind("\n", 0, index) + 1) + 1


def _short(message: str) -> str:
    message = escape(message)
    return message if len(message) <= _SHORT else message[:_SHORT] + "…"


def _describe(exc: MarkedYAMLError) -> str:
    """ruamel's words for a syntax error, cut short; a tab gets its own explanation, it is the usual cause."""
    if exc.problem and "'\\t'" in exc.problem:
        return "a tab character where YAML expects spaces; indent with spaces, never with tabs"
    return _short(" ".join(str(part) for part in (exc.context, exc.problem) if part))


def _kind(value: Any) -> str:
    if isinstance(value, DocumentList):
        return "a list"
    if value is None:
        return "nothing (null)"
    return "a single value"


@dataclass
class _Node:
    """A finished node: its value, its text when it is a scalar (what it means as a key), what it costs."""

    value: Any
    line: int  # 0-based, as ruamel counts
    column: int
    text: str | None = None  # a scalar's text; None for a list or a mapping
    merge: bool = False  # the plain key ``<<``
    size: int = 1  # values it stands for, aliases expanded
    height: int = 0  # levels of lists and mappings in it, itself included


@dataclass
class _Open:
    """A list or mapping whose end has not been read yet."""

    value: DocumentMap | DocumentList
    anchor: str | None
    line: int
    column: int
    key: _Node | None = None  # a mapping's key that waits for its value
    seen: dict[str, int] = field(default_factory=dict)  # a mapping's keys so far, with their lines
    merges: list[tuple[_Node, _Node]] = field(default_factory=list)  # (the << key, its value)
    size: int = 1
    height: int = 1


class _Builder:
    """Builds one document from parser events, refusing what is hostile as soon as it is seen."""

    def __init__(self, name: str):
        self.name = name
        self.documents = 0
        self.root: _Node | None = None
        self.stack: list[_Open] = []
        self.anchors: dict[str, _Node] = {}
        self.aliased = 0

    def refuse(self, line: int, message: str) -> NoReturn:
        """Stop reading: ``message`` at 0-based ``line``."""
        raise SourceError(message, Location(self.name, line + 1))

    def take(self, event, yaml: YAML) -> None:
        """Take the next parser event."""
        line, column = event.start_mark.line, event.start_mark.column
        if isinstance(event, DocumentStartEvent):
            self.documents += 1
            if self.documents > 1:
                self.refuse(line, "a second YAML document starts here (`---`); a file holds one document")
        elif isinstance(event, ScalarEvent):
            self.finish(self.scalar(event, yaml), event.anchor)
        elif isinstance(event, AliasEvent):
            self.finish(self.alias(event), None)
        elif isinstance(event, CollectionStartEvent):
            self.open(event, line, column)
        elif isinstance(event, MappingEndEvent | SequenceEndEvent):
            self.close()

    def open(self, event, line: int, column: int) -> None:
        """Start a list or mapping, unless it nests too deeply or carries a tag."""
        if len(self.stack) >= MAX_DEPTH:
            self.refuse(line, f"nested more than {MAX_DEPTH} levels deep; a spec or mapping needs a handful")
        is_map = isinstance(event, MappingStartEvent)
        tag = str(event.ctag) if event.ctag is not None else "!"
        if tag not in ("!", _MAP if is_map else _SEQ):
            self.refuse(line, _unsupported_tag(tag))
        value = DocumentMap() if is_map else DocumentList()
        value.lc = LineCol()
        value.lc.line, value.lc.col = line, column
        self.stack.append(_Open(value, event.anchor, line, column))

    def close(self) -> None:
        """Finish the innermost list or mapping."""
        frame = self.stack.pop()
        if isinstance(frame.value, DocumentMap):
            self.merge(frame)
        self.finish(_Node(frame.value, frame.line, frame.column, size=frame.size, height=frame.height), frame.anchor)

    def scalar(self, event: ScalarEvent, yaml: YAML) -> _Node:
        """A scalar as YAML resolves it, with its text kept; a tag other than the plain types is refused."""
        line, column = event.start_mark.line, event.start_mark.column
        tag = str(event.ctag) if event.ctag is not None else "!"
        if tag == "!":
            tag = str(yaml.resolver.resolve(ScalarNode, event.value, event.implicit))
        text = event.value
        if tag == _MERGE:
            return _Node(text, line, column, text=text, merge=True)
        if tag not in (_STR, _NULL, _BOOL, _INT, _FLOAT, _TIMESTAMP):
            self.refuse(line, _unsupported_tag(tag))
        return _Node(_scalar_value(tag, text, yaml), line, column, text=text)

    def alias(self, event: AliasEvent) -> _Node:
        """The node an alias stands for, counted at its full size and depth."""
        line = event.start_mark.line
        name = event.anchor
        if any(frame.anchor == name for frame in self.stack):
            self.refuse(line, f"the alias {_alias(name)} stands for a list or mapping that holds it (a loop)")
        anchored = self.anchors.get(name)
        if anchored is None:
            self.refuse(line, f"the alias {_alias(name)} names no anchor defined above it")
        self.aliased += anchored.size
        if self.aliased > MAX_ALIASED:
            self.refuse(line, f"aliases stand for more than {MAX_ALIASED:,} values by here (an alias bomb?); "
                              "no spec or mapping needs that many")
        if len(self.stack) + anchored.height > MAX_DEPTH:
            self.refuse(line, f"the alias nests its anchor more than {MAX_DEPTH} levels deep")
        return _Node(anchored.value, line, event.start_mark.column, text=anchored.text, merge=anchored.merge,
                     size=anchored.size, height=anchored.height)

    def finish(self, node: _Node, anchor: str | None) -> None:
        """Put a finished node where it belongs: the root, the next item of a list, a key or a value."""
        if anchor is not None:
            self.anchors[anchor] = node
        if not self.stack:
            self.root = node
            return
        parent = self.stack[-1]
        parent.size += node.size
        parent.height = max(parent.height, node.height + 1)
        container = parent.value
        if isinstance(container, DocumentList):
            container.lc.add_kv_line_col(len(container), [node.line, node.column])
            container.append(node.value)
        elif parent.key is None:
            self.take_key(parent, node)
        else:
            key, parent.key = parent.key, None
            if key.merge:
                parent.merges.append((key, node))
            else:
                container[key.text] = node.value
                container.lc.add_kv_line_col(key.text, [key.line, key.column, node.line, node.column])

    def take_key(self, parent: _Open, node: _Node) -> None:
        """A mapping's next key: text, and not one the mapping holds already."""
        if node.text is None:
            kind = "a list" if isinstance(node.value, DocumentList) else "a mapping"
            self.refuse(node.line, f"a key must be text, not {kind}")
        key = "<<" if node.merge else node.text
        if key in parent.seen:
            first = parent.seen[key] + 1
            self.refuse(node.line, f"the key {quoted(key)} appears twice in this mapping (first on line {first})")
        parent.seen[key] = node.line
        parent.key = node

    def merge(self, frame: _Open) -> None:
        """Apply the merge keys of a finished mapping: its own keys win, then the merged mappings in order."""
        mapping = frame.value
        for key, value in frame.merges:
            sources = value.value if isinstance(value.value, DocumentList) else [value.value]
            if not all(isinstance(source, DocumentMap) for source in sources):
                self.refuse(key.line, "a merge key (<<) takes a mapping or a list of mappings, such as `<<: *base`")
            for source in sources:
                for name, item in source.items():
                    if name not in mapping:
                        mapping[name] = item
                        mapping.lc.add_kv_line_col(name, [key.line, key.column, value.line, value.column])


def _alias(name: str) -> str:
    return "*" + escape(name[:40]) + ("…" if len(name) > 40 else "")


def _unsupported_tag(tag: str) -> str:
    shown = tag.replace(_PREFIX, "!!")
    return (f"the tag {quoted(shown)} is not supported; groupid reads plain YAML: text, numbers, true/false, "
            "dates, lists and mappings")


def _scalar_value(tag: str, text: str, yaml: YAML) -> Any:
    """The value of a scalar; one YAML cannot read as its tag says (``2024-13-45``) stays the text it is."""
    if tag == _STR:
        return text
    if tag == _NULL:
        return None
    node = ScalarNode(tag, text)
    try:
        if tag == _BOOL:
            return yaml.constructor.construct_yaml_bool(node)
        if tag == _INT:
            value = PlainInt(yaml.constructor.construct_yaml_int(node))
        elif tag == _FLOAT:
            value = PlainFloat(yaml.constructor.construct_yaml_float(node))
        else:
            moment = yaml.constructor.construct_yaml_timestamp(node)
            if isinstance(moment, datetime):
                value = PlainDateTime(moment.year, moment.month, moment.day, moment.hour, moment.minute,
                                      moment.second, moment.microsecond, moment.tzinfo)
            else:
                value = PlainDate(moment.year, moment.month, moment.day)
    except (ValueError, TypeError, IndexError, KeyError, OverflowError, AttributeError):
        return text
    value.written = text
    return value
