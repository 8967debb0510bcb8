"""Pydantic's validation errors in the words of the file that was read: a spec, a mapping, an HR row.

Every reader that validates with the model says what is wrong the same way: the key, what it wants, and for a
near miss the key that was probably meant. Keys and choices come from files, so each is cut short and escaped.
"""

from __future__ import annotations

from difflib import get_close_matches

from pydantic import BaseModel

from groupid.text import escape, quoted

LABEL_LIMIT = 40
"""Characters of a code in a message's label ("company BX-A: …")."""
CHOICES_LISTED = 20
"""Choices a "did you mean" message lists: every field of a model, a few of a file's columns."""


def cut_label(key: str) -> str:
    """A record's code as its messages name it: escaped, and cut if long."""
    shown = escape(key[:LABEL_LIMIT])
    return shown + "…" if len(key) > LABEL_LIMIT else shown


def describe_error(error: dict, model: type[BaseModel]) -> str:
    """A pydantic error in the words of the spec."""
    loc = [cut_label(str(part)) for part in error["loc"]]  # a key of a mapping the file wrote may be in it
    key = loc[0] if loc else ""
    kind = error["type"]
    if kind == "extra_forbidden":
        return f"unknown key {quoted(key)}{did_you_mean(key, list(model.model_fields))}"
    if kind == "missing":
        return f"missing required key {quoted(key)}"
    if kind == "string_type" and isinstance(error["input"], bool):
        # YAML reads true and false as booleans; the text a field wants must be quoted
        return f"{'.'.join(loc)}: {str(error['input']).lower()} was read as true/false; put it in quotes"
    message = str(error["msg"]).removeprefix("Value error, ")
    if kind in ("enum", "literal_error"):
        return f"{key}: {message} (got {quoted(error['input'])})"
    return f"{'.'.join(loc)}: {message}"


def did_you_mean(key: str, choices) -> str:
    """'; did you mean X?' for a near miss, else the allowed choices (cut short: they may come from a file)."""
    choices = [str(c) for c in choices]
    close = get_close_matches(str(key)[:100], choices, n=1, cutoff=0.6)  # a huge key must not cost much
    if close:
        return f"; did you mean {quoted(close[0])}?"
    shown = ", ".join(cut_label(choice) for choice in choices[:CHOICES_LISTED])
    more = f" and {len(choices) - CHOICES_LISTED} more" if len(choices) > CHOICES_LISTED else ""
    return f"; allowed: {shown}{more}"
