"""LDIF text (RFC 2849) for the local directory: entries to add, and changes to make to one.

Values that are not safe as plain LDIF text (non-ASCII, a leading space, colon or ``<``, a trailing space, a
line break, NUL) are written base64-encoded, so any value — a Chinese name, a title with ``*()\\`` — reaches
the directory exactly as given.
"""

from __future__ import annotations

import base64
import hashlib
import os
import re
from collections.abc import Iterable, Mapping

AttributeValues = Mapping[str, str | bytes | Iterable[str | bytes]]
"""Attribute name → one value or several (text or raw bytes)."""

_SAFE = re.compile(r"[\x01-\x09\x0b\x0c\x0e-\x1f\x21-\x39\x3b\x3d-\x7f][\x01-\x09\x0b\x0c\x0e-\x7f]*")


def ldif_entry(dn: str, attributes: AttributeValues) -> str:
    """One entry as an LDIF add record (``dn:`` then each value), ending with a blank line."""
    lines = [_line("dn", dn)]
    for name, values in attributes.items():
        lines.extend(_line(name, value) for value in _values(values))
    return "\n".join(lines) + "\n\n"


def ldif_entries(entries: Iterable[tuple[str, AttributeValues]]) -> str:
    """Several entries as LDIF, in the order given (a parent before its children)."""
    return "".join(ldif_entry(dn, attributes) for dn, attributes in entries)


def ldif_replace(dn: str, changes: AttributeValues) -> str:
    """A modify record replacing each attribute's values with those given (none: the attribute is removed)."""
    lines = [_line("dn", dn), "changetype: modify"]
    for name, values in changes.items():
        lines.append(f"replace: {name}")
        lines.extend(_line(name, value) for value in _values(values))
        lines.append("-")
    return "\n".join(lines) + "\n\n"


def ssha(password: str) -> str:
    """``password`` as an ``{SSHA}`` userPassword value (salted SHA-1, as slapd checks it)."""
    salt = os.urandom(8)
    digest = hashlib.sha1(password.encode("utf-8") + salt).digest()
    return "{SSHA}" + base64.b64encode(digest + salt).decode("ascii")


def _values(values: str | bytes | Iterable[str | bytes]) -> list[str | bytes]:
    if isinstance(values, str | bytes):
        return [values]
    return list(values)


def _line(name: str, value: str | bytes) -> str:
    if isinstance(value, str) and (value == "" or _SAFE.fullmatch(value)) and not value.endswith(" "):
        return f"{name}: {value}"
    raw = value.encode("utf-8") if isinstance(value, str) else value
    return f"{name}:: {base64.b64encode(raw).decode('ascii')}"
