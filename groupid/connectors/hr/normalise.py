"""Normalising an HR export's cells: pure functions from a cell's text to a value.

A ValueError names what is wrong with the text; the reader turns it into a rejection reason.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

from groupid.model import Person

FIELDS = tuple(Person.model_fields)
"""The person fields a mapping may fill."""
DATE_FIELDS = frozenset(name for name, info in Person.model_fields.items() if "date" in str(info.annotation))

_FULL_WIDTH_SPACE = "\u3000"
_MAINLAND_MOBILE = re.compile(r"(?:(?:\+|00)?86)?(1[3-9]\d{9})")
_REGIONAL = re.compile(r"(?:\+|00)(?:(852|853)(\d{8})|(886)(\d{8,9}))")
_PHONE_PUNCTUATION = re.compile(r"[\s()\-.]")
_EMAIL = re.compile(r"[a-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[a-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
                    r"@(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)+[a-z]{2,63}")
_NUMERIC_DATE = re.compile(r"(\d{4})([-/.])(\d{1,2})\2(\d{1,2})(?:[ T]\d{1,2}:\d{2}(?::\d{2})?)?")
_CHINESE_DATE = re.compile(r"(\d{4})年(\d{1,2})月(\d{1,2})日")
_EXCEL_SERIAL = re.compile(r"\d{1,7}")
_EXCEL_EPOCH = date(1899, 12, 31)
_EXCEL_PHANTOM_LEAP_DAY = 60  # Excel counts 1900-02-29, which never was (kept for Lotus 1-2-3 compatibility)
_EXCEL_LAST = 2958465  # 9999-12-31


def to_half_width(text: str) -> str:
    """Full-width ASCII (Ｘ１２（，) and the ideographic space as their half-width forms; Chinese untouched.

    Plain NFKC would also rewrite CJK compatibility ideographs and circled digits, which are names, not typing
    accidents; so only the Halfwidth and Fullwidth Forms block and U+3000 are folded.
    """
    return text if text.isascii() else text.translate(_FOLD)


# the table of to_half_width, built once: a 100,000-row export has over a million cells
_FOLD = {ord(_FULL_WIDTH_SPACE): " "} | {
    code: unicodedata.normalize("NFKC", chr(code)) for code in range(0xFF00, 0xFFF0)
    if unicodedata.normalize("NFKC", chr(code)) != chr(code)
}


def clean_text(text: str) -> str:
    """A cell as text: half-width, without surrounding whitespace."""
    return to_half_width(text).strip()


def masked(text: str) -> str:
    """A personal value as messages show it: enough to find the cell, not enough to read it back.

    Reports and cron mails are read by more people than HR data should be; a national ID pasted into the
    phone column by mistake shows as '110*************12'.
    """
    text = clean_text(text)
    shown = text[:3] + "*" * (len(text) - 5) + text[-2:] if len(text) > 5 else "*" * len(text)
    return repr(shown)


def normalise_phone(text: str) -> str:
    """A phone number in E.164: mainland mobiles (with or without 86 / 0086 / +86) and +852 / +853 / +886."""
    compact = _PHONE_PUNCTUATION.sub("", clean_text(text))
    if match := _MAINLAND_MOBILE.fullmatch(compact):
        return f"+86{match[1]}"
    if match := _REGIONAL.fullmatch(compact):
        return "+" + "".join(part for part in match.groups() if part)
    raise ValueError(f"{masked(text)} is neither a mainland mobile (1[3-9] and 11 digits) nor a +852/+853/+886 number")


def normalise_email(text: str) -> str:
    """An e-mail address in lower case, when it looks like one (``name@domain.tld``)."""
    email = clean_text(text).lower()
    if not _EMAIL.fullmatch(email):
        raise ValueError(f"{masked(text)} is not an e-mail address")
    return email


def parse_date(text: str) -> date:
    """A date written 2023-03-05, 2023/3/5, 2023.3.5, 2023年3月5日, or as an Excel serial number (45000)."""
    value = clean_text(text)
    match = _NUMERIC_DATE.fullmatch(value) or _CHINESE_DATE.fullmatch(value)
    try:
        if match:
            year, month, day = (int(part) for part in match.groups() if part.isdigit())
            return date(year, month, day)
        if _EXCEL_SERIAL.fullmatch(value):
            return excel_date(int(value))
    except ValueError:
        pass  # the shape fits but the day does not exist (2023-02-30): the message below says so
    raise ValueError(f"{text!r} is not a date (2023-03-05, 2023/3/5, 2023年3月5日 or an Excel serial number)")


def excel_date(serial: int) -> date:
    """The date of an Excel (1900 date system) serial number."""
    if not 1 <= serial <= _EXCEL_LAST or serial == _EXCEL_PHANTOM_LEAP_DAY:
        raise ValueError(f"{serial} is not an Excel date")
    leap_bug = 1 if serial > _EXCEL_PHANTOM_LEAP_DAY else 0
    return _EXCEL_EPOCH + timedelta(days=serial - leap_bug)


def translate(text: str, values: dict[str, str]) -> str:
    """A coded value through its ``values:`` table (在职 → active)."""
    try:
        return values[text]
    except KeyError:
        raise ValueError(f"unknown value {text!r}; expected one of {', '.join(values)}") from None


_NORMALISERS: dict[str, Callable[[str], Any]] = {
    "phone": normalise_phone,
    "email": normalise_email,
    **{name: parse_date for name in DATE_FIELDS},
}
