"""Normalising an HR export's cells: pure functions from a cell's text to a value.

A ValueError names what is wrong with the text; the reader turns it into a rejection reason. Nothing here
guesses: a value that could be read two ways, or that Keycloak would refuse, is an error, not a quiet change.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from contextlib import suppress
from datetime import date, timedelta
from typing import Any, Literal, get_args, get_origin

from groupid.model import Person
from groupid.text import HIDDEN, hidden_character, masked, quoted, to_half_width

FIELDS = tuple(Person.model_fields)
"""The person fields a mapping may fill."""
DATE_FIELDS = frozenset(name for name, info in Person.model_fields.items() if "date" in str(info.annotation))
REQUIRED_FIELDS = tuple(name for name, info in Person.model_fields.items() if info.is_required())
"""The fields every person needs: a mapping must fill them."""
CHOICES: dict[str, tuple[str, ...]] = {
    name: get_args(info.annotation) for name, info in Person.model_fields.items()
    if get_origin(info.annotation) is Literal
}
"""The fields that take one of a few values (status: active, terminated, pending), with those values."""

# ASCII digits only: \d would also take ٤٥ or ४५, which int() reads as 45 (full-width digits are folded first)
_MAINLAND_MOBILE = re.compile(r"(?:(?:\+|00)?86)?(1[3-9]\d{9})", re.ASCII)
_REGIONAL = re.compile(r"(?:\+|00)(?:(852|853)(\d{8})|(886)(\d{8,9}))", re.ASCII)
_PHONE_PUNCTUATION = re.compile(r"[\s()\-.]")
_EMAIL = re.compile(r"[a-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[a-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
                    r"@(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)+[a-z]{2,63}")
_NUMERIC_DATE = re.compile(r"(\d{4})([-/.])(\d{1,2})\2(\d{1,2})(?:[ T]\d{1,2}:\d{2}(?::\d{2})?)?", re.ASCII)
_CHINESE_DATE = re.compile(r"(\d{4})年(\d{1,2})月(\d{1,2})日", re.ASCII)
_EXCEL_SERIAL = re.compile(r"\d{1,7}", re.ASCII)
_EXCEL_EPOCH = date(1899, 12, 31)
_EXCEL_PHANTOM_LEAP_DAY = 60  # Excel counts 1900-02-29, which never was (kept for Lotus 1-2-3 compatibility)
_EXCEL_LAST = 2958465  # 9999-12-31

PLAUSIBLE_SERIALS = range(18264, 73415 + 1)
"""Bare numbers a date column reads as Excel serials without being told: 1950-01-01 to 2100-12-31.

Any HR date (a birth, a start, an end) lies in these years; a number outside them (``2024``, a year typed
alone, is 1905-07-16 as a serial) is far likelier a mistake than a date. A mapping that lists the column under
``source: serial_dates:`` reads every bare number in it as a serial.
"""

MAX_NAME = 255
"""Keycloak's default user profile allows 255 characters in firstName and lastName (and in username and email)."""
MAX_EMAIL, MAX_EMAIL_LOCAL = 255, 64
"""Keycloak's email validator: 255 characters in all, 64 before the @ (RFC 5321's limit on the local part)."""
MAX_ATTRIBUTE = 2048
"""Keycloak 24+ refuses a user attribute value longer than this when the profile declares no length of its own
(HTTP 400 error-invalid-length; inside a bulk import it fails the whole request)."""

_ORDINARY_SPACE = " \t\r\n\u3000"  # what trimming a cell removes; every other control character is refused


def clean_text(text: str) -> str:
    """A cell as text: half-width, without surrounding whitespace."""
    return to_half_width(text).strip()


def normalise_phone(text: str) -> str:
    """A phone number in E.164: mainland mobiles (with or without 86 / 0086 / +86) and +852 / +853 / +886."""
    compact = _PHONE_PUNCTUATION.sub("", clean_text(text))
    if match := _MAINLAND_MOBILE.fullmatch(compact):
        return f"+86{match[1]}"
    if match := _REGIONAL.fullmatch(compact):
        return "+" + "".join(part for part in match.groups() if part)
    raise ValueError(f"{masked(text)} is neither a mainland mobile (1[3-9] and 11 digits) nor a +852/+853/+886 number")


def normalise_email(text: str) -> str:
    """An e-mail address in lower case, when it looks like one (``name@domain.tld``) and Keycloak takes it."""
    email = clean_text(text).lower()
    if not _EMAIL.fullmatch(email):
        raise ValueError(f"{masked(text)} is not an e-mail address")
    local = email.rpartition("@")[0]
    if len(email) > MAX_EMAIL or len(local) > MAX_EMAIL_LOCAL:
        raise ValueError(f"{masked(text)} is longer than Keycloak allows ({len(email)} characters, {len(local)} "
                         f"before the @; at most {MAX_EMAIL} and {MAX_EMAIL_LOCAL})")
    return email


def parse_date(text: str, serial: bool = False) -> date:
    """A date written 2023-03-05, 2023/3/5, 2023.3.5, 2023年3月5日, or as an Excel serial number (45000).

    A bare number is a serial when it lies in :data:`PLAUSIBLE_SERIALS`, or whatever its value when ``serial``
    says the column holds serials; otherwise it is an error, never a date of the 1900s.
    """
    value = clean_text(text)
    match = _NUMERIC_DATE.fullmatch(value) or _CHINESE_DATE.fullmatch(value)
    if match:
        year, month, day = (int(part) for part in match.groups() if part.isdigit())
        with suppress(ValueError):  # the shape fits but the day does not exist (2023-02-30): said below
            return date(year, month, day)
    elif _EXCEL_SERIAL.fullmatch(value):
        number = int(value)
        if not (serial or number in PLAUSIBLE_SERIALS):
            raise ValueError(
                f"{quoted(text)} is not a date: a bare number is read as an Excel serial only between "
                f"{PLAUSIBLE_SERIALS.start} (1950-01-01) and {PLAUSIBLE_SERIALS.stop - 1} (2100-12-31), unless the "
                "mapping lists the column under source: serial_dates"
            )
        with suppress(ValueError):
            return excel_date(number)
    raise ValueError(f"{quoted(text)} is not a date (2023-03-05, 2023/3/5, 2023年3月5日 or an Excel serial number)")


def excel_date(serial: int) -> date:
    """The date of an Excel (1900 date system) serial number."""
    if not 1 <= serial <= _EXCEL_LAST or serial == _EXCEL_PHANTOM_LEAP_DAY:
        raise ValueError(f"{serial} is not an Excel date")
    leap_bug = 1 if serial > _EXCEL_PHANTOM_LEAP_DAY else 0
    return _EXCEL_EPOCH + timedelta(days=serial - leap_bug)


def refuse_hidden(text: str) -> None:
    """Raise ValueError when a cell holds a control character (C0, C1), a bidirectional control or a lone
    surrogate, naming it and its position in the cell; the spaces, tabs and line ends trimming removes are fine.

    Such characters make an ID, a code or a name look like something it is not (U+202E reverses what follows)
    or break the report, and no HR value needs them.
    """
    if HIDDEN.search(text) is None:  # nearly every cell: one search, nothing else
        return
    core = text.strip(_ORDINARY_SPACE)
    match = HIDDEN.search(core)
    if match is None:
        return
    position = match.start() + 1 + len(text) - len(text.lstrip(_ORDINARY_SPACE))
    char = match.group()
    if unicodedata.category(char) == "Cs":
        raise ValueError(f"a lone surrogate U+{ord(char):04X} at position {position}, not a character")
    raise ValueError(f"{hidden_character(char)[1]} at position {position}; the cell must not hold control characters")


def translate(text: str, values: dict[str, str]) -> str:
    """A coded value through its ``values:`` table (在职 → active)."""
    try:
        return values[text]
    except KeyError:
        raise ValueError(f"unknown value {quoted(text)}; expected one of {', '.join(values)}") from None


def normalise_value(name: str, text: str, serial: bool = False) -> Any:
    """The value of field ``name`` from the cleaned, translated text of its cell: a phone in E.164, an e-mail
    in lower case, a date (``serial``: bare numbers are Excel serials), other fields as written.

    Raises ValueError when the text is not such a value or is longer than Keycloak stores.
    """
    if name in DATE_FIELDS:
        return parse_date(text, serial)
    normalise = _NORMALISERS.get(name)
    value = normalise(text) if normalise else text
    limit = MAX_NAME if name == "name" else MAX_ATTRIBUTE
    if len(value) > limit:
        raise ValueError(f"{quoted(value)} is longer than Keycloak allows (at most {limit} characters)")
    return value


_NORMALISERS: dict[str, Callable[[str], Any]] = {
    "phone": normalise_phone,
    "email": normalise_email,
}
