"""Values from data made safe inside LDAP filters (RFC 4515) and distinguished names (RFC 4514).

Every filter or DN that groupid builds from a value it read (a group's DN, a name, an ID) goes through these:
``*``, ``(``, ``)``, ``\\`` and NUL in a filter value, or ``,`` ``+`` ``"`` ``\\`` ``<`` ``>`` ``;`` ``=`` in a
DN value, can otherwise change what a search matches.
"""

from __future__ import annotations

_FILTER_SPECIALS = {"\\": r"\5c", "*": r"\2a", "(": r"\28", ")": r"\29", "\0": r"\00"}
_DN_SPECIALS = set(',+"\\<>;=')


def escape_filter_value(value: str | bytes) -> str:
    """``value`` as an assertion value of a search filter (RFC 4515 §3): the five specials as ``\\XX``.

    Bytes (an objectGUID, say) are escaped whole, byte by byte, as a filter on a binary attribute needs.
    """
    if isinstance(value, bytes):
        return "".join(f"\\{byte:02x}" for byte in value)
    return "".join(_FILTER_SPECIALS.get(char, char) for char in value)


def escape_dn_value(value: str) -> str:
    """``value`` as the value of one RDN (RFC 4514 §2.4): specials, NUL, a leading ``#`` or space and a trailing
    space escaped with a backslash (NUL as ``\\00``)."""
    escaped = []
    for index, char in enumerate(value):
        if char == "\0":
            escaped.append(r"\00")
        elif char in _DN_SPECIALS or (index == 0 and char in "# ") or (index == len(value) - 1 and char == " "):
            escaped.append("\\" + char)
        else:
            escaped.append(char)
    return "".join(escaped)
