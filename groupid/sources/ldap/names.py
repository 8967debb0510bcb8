"""Distinguished names (RFC 4514) read, compared and taken apart without asking the server.

Directories write one DN many ways: ``CN=Admins, OU=Groups,DC=corp`` and ``cn=admins,ou=groups,dc=corp`` are
the same entry. groupid compares DNs in their :func:`normal_dn` form: attribute types and values in lower case,
the spaces around ``,`` ``+`` ``=`` and inside a value's runs of spaces made insignificant, escapes decoded —
and never by an entry's name alone (``cn=admins`` in another subtree is another entry). Attribute types are
compared as written: ``2.5.4.3=x`` is not taken for ``cn=x``.
"""

from __future__ import annotations

import re

from groupid.sources.ldap.escaping import escape_dn_value
from groupid.text import quoted

Rdn = tuple[tuple[str, str], ...]
"""One relative DN: its (attribute type in lower case, value unescaped) pairs, several for ``cn=a+sn=b``."""

DN_LIMIT = 300
"""Characters of a DN a message quotes: enough for any real DN, which must be read whole to be found."""

_TYPE = re.compile(r"[A-Za-z][A-Za-z0-9-]*|\d+(?:\.\d+)*")
_HEX = re.compile(r"[0-9A-Fa-f]{2}")


def parse_dn(dn: str) -> tuple[Rdn, ...]:
    """The RDNs of ``dn``, the entry's own first; raises ValueError saying why ``dn`` is not a DN.

    The empty DN (the root) has none. A value written in hex (``cn=#04024869``) is kept as written.
    """
    rdns: list[Rdn] = []
    pairs: list[tuple[str, str]] = []
    position, length = 0, len(dn)
    if not dn.strip():
        return ()
    while True:
        equals = dn.find("=", position)
        if equals < 0:
            raise ValueError(f"{quoted(dn)} is not a DN: {quoted(dn[position:])} has no =")
        kind = dn[position:equals].strip()
        if not _TYPE.fullmatch(kind):
            raise ValueError(f"{quoted(dn)} is not a DN: {quoted(kind)} is not an attribute type")
        value, position = _value(dn, equals + 1)
        pairs.append((kind.lower(), value))
        if position >= length:
            rdns.append(tuple(pairs))
            return tuple(rdns)
        if dn[position] in ",;":
            rdns.append(tuple(pairs))
            pairs = []
        position += 1


def _value(dn: str, start: int) -> tuple[str, int]:
    """The unescaped value that starts at ``start``, and where it ends (at a separator or the end)."""
    raw = bytearray()
    position = start
    while position < len(dn) and dn[position] not in ",;+":
        char = dn[position]
        if char == "\\":
            pair = dn[position + 1:position + 3]
            if _HEX.fullmatch(pair):
                raw.append(int(pair, 16))
                position += 3
                continue
            if position + 1 >= len(dn):
                raise ValueError(f"{quoted(dn)} is not a DN: it ends with a lone backslash")
            char, position = dn[position + 1], position + 1
        elif char == '"':
            raise ValueError(f"{quoted(dn)} is not a DN: quoted values are not read; escape with backslashes")
        raw.extend(char.encode("utf-8"))
        position += 1
    try:
        return raw.decode("utf-8").strip(), position
    except UnicodeDecodeError:
        raise ValueError(f"{quoted(dn)} is not a DN: an escaped value is not UTF-8") from None


def normal_dn(dn: str) -> str:
    """``dn`` in the form groupid compares DNs in (see the module docstring); raises ValueError for a non-DN."""
    return format_dn(parse_dn(dn), normal=True)


def format_dn(rdns: tuple[Rdn, ...], normal: bool = False) -> str:
    """The DN of ``rdns`` as text, values escaped; ``normal``: in the form :func:`normal_dn` gives."""
    return ",".join("+".join(sorted(_pair(kind, value, normal) for kind, value in rdn)) for rdn in rdns)


_HEX_FORM = re.compile(r"#(?:[0-9A-Fa-f]{2})+")


def is_hex_form(value: str) -> bool:
    """Whether an RDN value, as :func:`parse_dn` gives it, is in its BER form (``#`` and hex pairs): text that
    merely begins with ``#`` is not."""
    return _HEX_FORM.fullmatch(value) is not None


def _pair(kind: str, value: str, normal: bool) -> str:
    if normal:
        value = " ".join(value.casefold().split())
    return f"{kind}={value if is_hex_form(value) else escape_dn_value(value)}"


def is_below(dn: tuple[Rdn, ...], base: tuple[Rdn, ...]) -> bool:
    """Whether the entry ``dn`` lies under ``base`` (or is it); both parsed, compared as :func:`normal_dn` does."""
    if len(dn) < len(base):
        return False
    tail = dn[len(dn) - len(base):] if base else ()
    return format_dn(tail, normal=True) == format_dn(base, normal=True)
