"""The scope of a sync: a SCIM filter (RFC 7644 §3.4.2.2) over the normalised fields, compiled once."""

from __future__ import annotations

import operator
from collections.abc import Callable, Collection, Iterator
from typing import Any

from scim2_filter_parser import ast as scim
from scim2_filter_parser.lexer import SCIMLexer
from scim2_filter_parser.parser import SCIMParser, SCIMParserError

from groupid.sources.hr.normalise import CHOICES, DATE_FIELDS, parse_date
from groupid.text import quoted
from groupid.wording import did_you_mean

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
MAX_NESTING = 50
"""Filters nest (and, or, not, parentheses) at most this deep: each level is a call when a row is matched."""


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

    def _compile(self, node: scim.AST, fields: list[str], depth: int = 0) -> Predicate:
        if depth > MAX_NESTING:
            raise ValueError(f"the filter nests more than {MAX_NESTING} levels deep (and, or, not, parentheses)")
        if isinstance(node, scim.Filter):
            return self._compile_filter(node, fields, depth)
        if isinstance(node, scim.LogExpr):
            left, right = self._compile(node.expr1, fields, depth + 1), self._compile(node.expr2, fields, depth + 1)
            if node.op.lower() == "and":
                return lambda values: left(values) and right(values)
            return lambda values: left(values) or right(values)
        return self._compile_comparison(node, fields)

    def _compile_filter(self, node: scim.Filter, fields: list[str], depth: int) -> Predicate:
        if node.namespace is not None:
            raise ValueError("filters on complex attributes (name[...]) are not supported")
        inner = self._compile(node.expr, fields, depth + 1)
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
        elif name in CHOICES and op in ("eq", "ne") and wanted not in CHOICES[name]:
            # the filter sees values after the values: table, so 在职 would never match anything
            raise ValueError(f"{name} is compared after translation: {quoted(wanted)} is not one of "
                             f"{', '.join(CHOICES[name])}")
        compare = _COMPARISONS[op]
        # A field without a value equals nothing, so it is "not equal" to anything and fails every other test.
        return lambda values: op == "ne" if values.get(name) is None else compare(values[name], wanted)


def _attribute(path: scim.AttrPath, fields: list[str]) -> str:
    name = path.attr_name
    if path.uri or path.sub_attr or not isinstance(name, str):
        raise ValueError("only plain field names are supported (no URIs or sub-attributes)")
    if name not in fields:
        raise ValueError(f"{quoted(name)} is not a mapped field{did_you_mean(name, fields)}")
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
        where = "the filter ends too early" if ended or not seen else f"unexpected {quoted(seen[-1].value)}"
        raise ValueError(f"cannot parse the filter {quoted(text, 80)}: {where}") from None
    except ValueError as exc:  # the lexer's "Illegal character"
        raise ValueError(f"cannot parse the filter {quoted(text, 80)}: {exc}") from None
    if tree is None:
        raise ValueError("the filter is empty")
    return tree
