"""A people source made only for the tests: a list of dicts, one person each.

It is registered under ``rows`` the way the HR export is under ``hr``, and feeds the same engine, guards and
report — which shows that the engine knows no source by name. A dict holds person fields (the names of
:class:`groupid.model.Person`); one with a ``reject`` key is a row the source itself cannot use, one with
``out_of_scope`` a row it leaves out. ``anchor`` is the row's immutable ID in the source, ``roles`` the realm
roles it grants (of the source's ``managed_roles``), as a directory's rows carry them. Line *n* of the "file"
is the *n*-th dict.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import ClassVar

from groupid.errors import Location
from groupid.sources import OutOfScope, Rejection, SourceEntry, SourceRow, register_source

ROWS = "rows"
"""The source's name: its record key in the realm."""


@dataclass
class PeopleList:
    """People as a list of dicts, in order: a :class:`~groupid.sources.PeopleSource`."""

    people: list[dict] = field(default_factory=list)
    file: str = "people.list"
    managed_roles: frozenset[str] = frozenset()  #: the realm roles the source decides
    name: ClassVar[str] = ROWS

    def __iter__(self) -> Iterator[SourceEntry]:
        for line, person in enumerate(self.people, 1):
            where = Location(self.file, line)
            if "reject" in person:
                yield Rejection(where, person.get("employee_id"), (person["reject"],))
            elif person.get("out_of_scope"):
                yield OutOfScope(where, person.get("employee_id"))
            else:
                values = {key: value for key, value in person.items() if key not in ("anchor", "roles")}
                roles = person.get("roles")
                yield SourceRow(where, values, anchor=person.get("anchor"),
                                roles=None if roles is None else frozenset(roles))

    def __len__(self) -> int:
        return len(self.people)


def read_list(people: Iterable[dict], file: str = "people.list", managed_roles: Iterable[str] = ()) -> PeopleList:
    """The source of ``people``, named ``file`` in locations, deciding the realm roles ``managed_roles``."""
    return PeopleList(list(people), file, frozenset(managed_roles))


register_source(ROWS, read_list)
