"""Text from untrusted input, made safe to put in a message, and checked for characters that hide what it says.

Messages quote at most the offending header or cell of a file, never its contents: :func:`quoted` cuts a value
short and escapes what a terminal would act on. :func:`hidden_character` finds the control and bidirectional
formatting characters that make a code or name look like something it is not. :func:`to_half_width` folds
full-width typing into ASCII; :func:`masked` shows a personal value without giving it away.
"""

from __future__ import annotations

import json
import re
import unicodedata

QUOTE_LIMIT = 40
"""Characters of a value a message quotes; longer values are cut, with "…" and the full length."""

BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
"""Embeddings, overrides and isolates (U+202A–U+202E, U+2066–U+2069): they reorder what a reader sees."""


def _escaped(char: str) -> str:
    code = ord(char)
    if char in "\t\n\r":
        return {"\t": "\\t", "\n": "\\n", "\r": "\\r"}[char]
    if code < 0x100:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}"


def _needs_escape(char: str) -> bool:
    return unicodedata.category(char) in ("Cc", "Cf", "Cs", "Zl", "Zp") or char in BIDI_CONTROLS


def escape(text: str) -> str:
    """``text`` with control, format and line-separator characters written as escapes (``\\x1b``, ``\\u202e``)."""
    return "".join(_escaped(c) if _needs_escape(c) else c for c in text)


def quoted(value: object, limit: int = QUOTE_LIMIT) -> str:
    """A short, inert quotation of ``value`` for a message: ``'abc'``, cut after ``limit`` characters, escaped.

    Never the ``repr`` of a large value: a list or mapping is named by its kind and size.
    """
    if isinstance(value, dict | list | tuple | set):
        return f"({type(value).__name__} of {len(value)} items)"
    text = str(value)
    cut = text[:limit]
    tail = f"… ({len(text)} characters)" if len(text) > limit else ""
    return f"'{escape(cut)}'{tail}"


HIDDEN = re.compile("[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")
"""Control characters (category Cc: C0, DEL, C1), the bidirectional controls and lone surrogates (Cs), in one
search that runs at C speed: HR readers apply it to every mapped cell of exports of 100,000 rows."""


def hidden_character(text: str) -> tuple[int, str] | None:
    """The first control character (C0, C1, DEL), lone surrogate or bidirectional control in ``text``: its 1-based position and
    a description such as ``U+202E RIGHT-TO-LEFT OVERRIDE``; None when there is none."""
    match = HIDDEN.search(text)
    if match is None:
        return None
    char = match.group()
    name = unicodedata.name(char, "lone surrogate" if unicodedata.category(char) == "Cs" else "control character")
    return match.start() + 1, f"U+{ord(char):04X} {name}"


def inert(text: str) -> str:
    """``text`` for a terminal or a log, line by line: each line escaped as :func:`escape` does, so that no
    escape sequence, hyperlink or bidirectional override in it takes effect. Only the line breaks between
    lines stay; one inside a value must be escaped where the value is quoted."""
    return "\n".join(escape(line) for line in text.split("\n"))


def inert_json(text: str) -> str:
    """JSON text (as ``json.dumps(..., ensure_ascii=False)`` writes it) with every character :func:`escape`
    would escape written as a ``\\u`` escape: the same document, but C1 controls and bidirectional
    overrides, which JSON leaves raw, cannot act on a terminal that shows it."""
    if not any(_needs_escape(c) and c != "\n" for c in text):
        return text
    return "".join(json.dumps(c)[1:-1] if _needs_escape(c) and c != "\n" else c for c in text)


BLANKS = " \t\r\n\u00a0\u3000"
"""What :func:`trim` takes off the ends of a cell: spaces (ASCII, no-break and ideographic), tabs, line breaks."""


def trim(text: str) -> str:
    """``text`` without blanks at its ends. Unlike :meth:`str.strip`, control characters such as U+001F or U+0085
    stay, so that the checks that refuse them see them instead of a value silently changed."""
    return text.strip(BLANKS)


def lowercase(text: str) -> str:
    """``text`` in lower case: ``text`` itself when it is already, so that an index of many keys in lower case
    (the usernames and emails of 100,000 accounts, as Keycloak keeps them) holds no second copy of each."""
    lowered = text.lower()
    return text if lowered == text else lowered


def to_half_width(text: str) -> str:
    """Full-width ASCII (Ｘ１２（，) and the ideographic space as their half-width forms; Chinese untouched.

    Plain NFKC would also rewrite CJK compatibility ideographs and circled digits, which are names, not typing
    accidents; so only the Halfwidth and Fullwidth Forms block and U+3000 are folded.
    """
    return text if text.isascii() else text.translate(_FOLD)


# the table of to_half_width, built once: a 100,000-row export has over a million cells
_FOLD = {ord("\u3000"): " "} | {
    code: unicodedata.normalize("NFKC", chr(code)) for code in range(0xFF00, 0xFFF0)
    if unicodedata.normalize("NFKC", chr(code)) != chr(code)
}


def masked(text: str) -> str:
    """A personal value as messages show it: enough to find the cell, not enough to read it back.

    Reports and cron mails are read by more people than HR data should be; a national ID pasted into the
    phone column by mistake shows as '110*************12'.
    """
    text = to_half_width(text).strip()
    if len(text) > QUOTE_LIMIT:
        return f"'{escape(text[:3])}***…{escape(text[-2:])}' ({len(text)} characters)"
    shown = text[:3] + "*" * (len(text) - 5) + text[-2:] if len(text) > 5 else "*" * len(text)
    return f"'{escape(shown)}'"
