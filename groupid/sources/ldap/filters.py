"""Search filters (RFC 4515): those a config writes, checked when it loads, and those groupid builds.

A filter in a config is checked for its shape — parentheses that balance, an attribute and an operator in
each item, escapes of two hex digits, nothing after the last parenthesis — so that a typo is a mistake at its
line, not an error from the server in the middle of a run. Filters built from values read from the directory
escape every value (:func:`~groupid.sources.ldap.escaping.escape_filter_value`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from groupid.sources.ldap.escaping import escape_filter_value
from groupid.sources.ldap.names import Rdn
from groupid.text import quoted

MAX_NESTING = 50
"""Filters nest at most this deep: a deeper one is no real search."""

_ATTRIBUTE = r"(?:[A-Za-z][A-Za-z0-9-]*|\d+(?:\.\d+)*)(?:;[A-Za-z0-9-]+)*"
_SIMPLE = re.compile(rf"({_ATTRIBUTE})(?:~|>|<)?")
_EXTENSIBLE = re.compile(rf"(?:{_ATTRIBUTE})?(?::dn)?(?::(?:[A-Za-z][A-Za-z0-9-]*|\d+(?:\.\d+)*))?:", re.IGNORECASE)
_ESCAPE = re.compile(r"\\(?![0-9A-Fa-f]{2})")


def check_filter(text: str) -> str:
    """``text`` when it is an LDAP filter; raises ValueError saying where it is not one."""
    position = _filter(text.strip(), 0, 0, text)
    if position != len(text.strip()):
        raise ValueError(f"{quoted(text)} is not an LDAP filter: {quoted(text.strip()[position:])} "
                         "follows its last parenthesis")
    return text.strip()


def _filter(text: str, position: int, depth: int, whole: str) -> int:
    """Read one parenthesised filter at ``position``; the position after it."""
    if depth > MAX_NESTING:
        raise ValueError(f"{quoted(whole)} nests more than {MAX_NESTING} levels deep")
    if position >= len(text) or text[position] != "(":
        raise ValueError(f"{quoted(whole)} is not an LDAP filter: expected ( at character {position + 1}")
    position += 1
    if position < len(text) and text[position] in "&|!":
        operator, position = text[position], position + 1
        count = 0
        while position < len(text) and text[position] == "(":
            position, count = _filter(text, position, depth + 1, whole), count + 1
        if operator == "!" and count != 1:
            raise ValueError(f"{quoted(whole)} is not an LDAP filter: ! takes exactly one filter")
    else:
        end = text.find(")", position)
        if end < 0:
            raise ValueError(f"{quoted(whole)} is not an LDAP filter: its parentheses do not balance")
        _item(text[position:end], whole)
        position = end
    if position >= len(text) or text[position] != ")":
        raise ValueError(f"{quoted(whole)} is not an LDAP filter: its parentheses do not balance")
    return position + 1


def _item(item: str, whole: str) -> None:
    """Check one comparison (``cn=x``, ``mail=*``, ``uac:1.2.840.113556.1.4.803:=2``)."""
    equals = item.find("=")
    head, value = item[:equals], item[equals + 1:]
    shape = _EXTENSIBLE if head.endswith(":") else _SIMPLE
    if equals <= 0 or not shape.fullmatch(head) or head == ":":
        raise ValueError(f"{quoted(whole)} is not an LDAP filter: {quoted(item)} is not an attribute, "
                         "an operator and a value")
    if "(" in value or "\0" in value:
        raise ValueError(f"{quoted(whole)} is not an LDAP filter: {quoted(item)} holds an unescaped "
                         "parenthesis; write \\28 and \\29")
    if _ESCAPE.search(value):
        raise ValueError(f"{quoted(whole)} is not an LDAP filter: in {quoted(item)}, a backslash must be "
                         "followed by two hex digits (\\5c for a backslash)")


def all_of(*filters: str) -> str:
    """The filter that every one of ``filters`` matches (each already a filter)."""
    return filters[0] if len(filters) == 1 else f"(&{''.join(filters)})"


def any_rdn(rdns: Iterable[Rdn]) -> str:
    """The filter that matches an entry named by any of ``rdns`` (each value escaped)."""
    terms = [all_of(*(f"({kind}={escape_filter_value(value)})" for kind, value in rdn)) for rdn in rdns]
    return terms[0] if len(terms) == 1 else f"(|{''.join(terms)})"
