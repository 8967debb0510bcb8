"""统一社会信用代码 (Unified Social Credit Code, GB 32100-2015) checking.

Every legal entity registered in mainland China carries an 18-character code whose last character is a
check character over the first seventeen. A typo in one character is caught by the check, which is why the
model validates it instead of only the length.
"""

from __future__ import annotations

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"  # no I, O, S, V, Z
WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
LENGTH = 18


def check_character(first17: str) -> str:
    """Return the check character for the first seventeen characters of a code."""
    total = sum(ALPHABET.index(char) * weight for char, weight in zip(first17, WEIGHTS, strict=True))
    return ALPHABET[(31 - total % 31) % 31]


def uscc_problem(code: str) -> str | None:
    """Say what is wrong with ``code``, or return None when it is a valid code.

    >>> uscc_problem("91350100M000100Y43")
    >>> uscc_problem("91350100M000100Y44")
    "check character is '4', expected '3'"
    """
    if len(code) != LENGTH:
        return f"must be {LENGTH} characters, has {len(code)}"
    bad = sorted({char for char in code if char not in ALPHABET})
    if bad:
        return f"contains {', '.join(repr(c) for c in bad)}; only digits and {ALPHABET[10:]} are allowed"
    expected = check_character(code[:-1])
    if code[-1] != expected:
        return f"check character is '{code[-1]}', expected '{expected}'"
    return None
