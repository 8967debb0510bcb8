"""People sources: what the people engine reads, whatever system the people come from.

A source — an HR export now, a directory later — is read and checked before Keycloak is contacted, and handed
to the engine (:func:`groupid.sync.sync_people`) as a :class:`PeopleSource`: a name, and its data rows in
order, each a :class:`SourceRow` (a person's fields, normalised, and where they were read), a
:class:`Rejection` (every reason the row cannot be used) or an :class:`OutOfScope` row (left out on purpose).
The engine knows nothing else of a source; a source knows nothing of the engine.

Sources register a reader under their name (:func:`register_source`); commands look it up
(:func:`source_reader`). A source package ``groupid.sources.<name>`` registers its own when imported,
and is imported on the first look-up of its name::

    read = source_reader("hr")
    rows = read("花名册.csv", load_mapping("hr/mapping.yaml"))   # a PeopleSource
"""

from __future__ import annotations

import importlib
import importlib.util
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, Protocol

from groupid.errors import ConfigurationError, Location
from groupid.text import quoted


@dataclass(frozen=True, slots=True)
class SourceRow:
    """A row that passed: every person field normalised (None where the source has no value), and where it was read.

    The fields are those of :class:`groupid.model.Person`; the engine validates them as it places the person.
    """

    where: Location
    values: dict[str, Any]
    anchor: str | None = None  #: the person's immutable ID in the source (an LDAP entryUUID, an AD objectGUID)
    roles: frozenset[str] | None = None  #: the realm roles the source grants; None: the source does not say

    @property
    def employee_id(self) -> str | None:
        """The row's key."""
        return self.values.get("employee_id")


@dataclass(frozen=True, slots=True)
class Rejection:
    """A row that is not synced, with every reason; the person's account is left as it is.

    Sources reject rows they cannot read; the engine rejects rows it cannot place, and people it cannot tell
    apart from another (two accounts with their ID, an email someone else has). ``company`` is the row's
    company code, when it has a usable one (reports count rejections per company); ``anchor`` its anchor, when
    it has one: the account carrying it is left alone too, even when the employee ID it carries changed.
    """

    where: Location
    employee_id: str | None
    reasons: tuple[str, ...]
    company: str | None = None
    anchor: str | None = None


@dataclass(frozen=True, slots=True)
class OutOfScope:
    """A row the source's scope leaves out (not an error): its person is no joiner, and leaves only per policy."""

    where: Location
    employee_id: str | None


SourceEntry = SourceRow | Rejection | OutOfScope
"""One data row of a source, as the engine reads it."""


class PeopleSource(Protocol):
    """The rows of one people source, read and checked.

    ``name`` is the source's record key (``hr``): a successful run records its row count and date under it in
    the realm, and the lock says it is held by a run of it. Iterating gives every data row once, in the
    source's order; ``len()`` is the number of data rows, which the truncation guard compares with the last
    successful run's.
    """

    @property
    def name(self) -> str:
        """The source's record key."""

    def __iter__(self) -> Iterator[SourceEntry]:
        """Every data row, in the source's order."""

    def __len__(self) -> int:
        """How many data rows the source has."""


def managed_roles(source: PeopleSource) -> frozenset[str]:
    """The realm roles a source decides: granted to the people whose rows list them, taken from every other
    account it manages. A source says so with a ``managed_roles`` attribute; one without decides none."""
    return frozenset(getattr(source, "managed_roles", ()))


SourceReader = Callable[..., PeopleSource]
"""Reads a source from its own inputs (an HR export and its mapping, say) without contacting Keycloak."""

SOURCES: dict[str, SourceReader] = {}
"""The registered sources, by name."""

_NAME = re.compile(r"[a-z][a-z0-9_]{0,39}")


def register_source(name: str, read: SourceReader) -> None:
    """Make ``read`` the reader of the source called ``name`` (lower-case letters, digits, ``_``)."""
    if not _NAME.fullmatch(name):
        raise ValueError(f"a source name is lower-case letters, digits and _, not {quoted(name)}")
    SOURCES[name] = read


def source_reader(name: str) -> SourceReader:
    """The reader of the source called ``name``; raises :class:`ConfigurationError` for an unknown one.

    A source not registered yet is looked for in the source package of its name, which registers it.
    """
    if name not in SOURCES and _NAME.fullmatch(name) and importlib.util.find_spec(f"groupid.sources.{name}"):
        importlib.import_module(f"groupid.sources.{name}")
    try:
        return SOURCES[name]
    except KeyError:
        known = ", ".join(sorted(SOURCES)) or "none"
        raise ConfigurationError(f"unknown people source {quoted(name)}; known: {known}") from None
