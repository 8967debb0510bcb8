"""The desired side of a people sync: what the source says each person's account should be.

A source row becomes a :class:`DesiredPerson` — placed in its realm, group and organization, with the
lifecycle stage the dates and status give on the day of the run — or a :class:`~groupid.sources.Rejection`
naming every reason.
Managers are resolved in a second pass, once every person is known, so the order of the rows never matters.
"""

from __future__ import annotations

from collections import namedtuple
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from enum import Enum

from pydantic import ValidationError

from groupid.errors import Location
from groupid.model import Group, Person
from groupid.sources import Rejection
from groupid.state import RealmState
from groupid.usernames import split_name
from groupid.wording import describe_error

MANAGED_ATTRIBUTE = "employee_id"
"""A user carrying this attribute is the account of that employee, and a sync manages it."""

ANCHOR_ATTRIBUTE = "source_anchor"
"""The person's immutable ID in the source, when the source has one: it finds the account again after the
employee ID changed."""


class Stage(str, Enum):
    """Where a person stands on the day of the run."""

    ACTIVE = "active"
    FUTURE = "future"  #: has not started yet
    LEAVER = "leaver"  #: terminated, or the end date has passed


@dataclass(frozen=True, slots=True)
class Placement:
    """Where a person's account lives: its realm, the group it is a member of, its organization.

    The people of one department share one placement (:meth:`Directory.place`)."""

    realm: str
    company: str
    group_code: str  #: the department's code, or the company's when the person has no department
    group_path: str
    organization: str | None = None  #: the company code of its Keycloak Organization (topology organizations)


PersonRecord = namedtuple("PersonRecord", tuple(Person.model_fields))
"""A validated :class:`~groupid.model.Person` as a tuple, its fields by the model's names: a run holds one for
every person of the source, and the model itself, with its field set, takes 1.3 KB where the tuple takes 0.2."""


def person_record(person: Person) -> PersonRecord:
    """The fields of ``person``, validated already, as a :data:`PersonRecord`."""
    return PersonRecord._make(getattr(person, name) for name in PersonRecord._fields)


@dataclass(slots=True)
class DesiredPerson:
    """One person as the source describes them, placed and staged.

    A run holds one for every person of the source, so it keeps the person as a :data:`PersonRecord`, and makes
    their user attributes from it when they are asked for (:attr:`attributes`) instead of keeping a kilobyte of
    them for each."""

    person: PersonRecord
    where: Location
    placement: Placement
    stage: Stage
    anchor: str | None = None  #: the person's immutable ID in the source, if it has one
    roles: frozenset[str] | None = None  #: the realm roles the source grants; None: the source does not say
    manager_id: str | None = None  #: the manager's employee ID, once resolved (:func:`resolve_managers`)

    @property
    def employee_id(self) -> str:
        """The identity anchor."""
        return self.person.employee_id

    @property
    def attributes(self) -> dict[str, list[str]]:
        """groupid's user attributes (the anchor and the resolved manager included), a new dict at each call."""
        person = self.person
        values = {
            "employee_id": person.employee_id,
            "company_code": person.company,
            "department_code": person.department,
            "title": person.title,
            "phone": person.phone,
            "employment_type": person.employment_type,
            "employment_status": person.status,
            "start_date": person.start_date,
            "end_date": person.end_date,
            ANCHOR_ATTRIBUTE: self.anchor or None,
            "manager_id": self.manager_id,
        }
        return {name: [str(value)] for name, value in values.items() if value is not None}

    @property
    def names(self) -> tuple[str, str]:
        """(firstName, lastName) as Keycloak wants them: the given name first, in characters it accepts."""
        family, given = split_name(self.person.name)
        return person_name(given or family), person_name(family)


class Directory:
    """The places of a group: which realm, group and organization each company's and department's people join."""

    def __init__(self, group: Group, states: Iterable[RealmState]):
        self.group = group
        self.companies = {company.code: company for company in group.companies}
        self.departments = {dept.code: dept for dept in group.departments}
        self.places: dict[str, tuple[str, str]] = {}  #: group code -> (realm, path)
        self.organizations: dict[str, str] = {}  #: company code -> realm, where companies are organizations
        self._placements: dict[tuple[str, str | None], Placement] = {}  #: (company, department) -> its placement
        for state in states:
            for path, node in state.walk_groups():
                self.places[node.code] = (state.realm, path)
            for organization in state.organizations:
                self.organizations[organization.code] = state.realm

    @property
    def realms(self) -> list[str]:
        """Every realm people may live in, the group's own first."""
        return list(dict.fromkeys(realm for realm, _ in self.places.values())) or [self.group.realm]

    def place(self, person: Person | PersonRecord) -> Placement:
        """Where ``person`` belongs; raises ValueError naming an unknown or mismatched code."""
        known = self._placements.get((person.company, person.department))
        if known is not None:
            return known
        if person.company not in self.companies:
            raise ValueError(f"company {person.company} is not in the spec")
        code = person.company
        if person.department is not None:
            dept = self.departments.get(person.department)
            if dept is None:
                raise ValueError(f"department {person.department} is not in the spec")
            if dept.company != person.company:
                raise ValueError(f"department {person.department} belongs to company {dept.company}, not {person.company}")
            code = person.department
        realm, path = self.places[code]
        organization = person.company if person.company in self.organizations else None
        placement = self._placements[(person.company, person.department)] = Placement(
            realm, person.company, code, path, organization)
        return placement


# Keycloak's user profile refuses these ASCII characters in firstName and lastName (validator
# person-name-prohibited-characters) on every later update of the account — a leaver could then never be
# disabled. HR writes 冯桂芳（Fiona）, which normalising makes ASCII: such characters go back to full width.
_PROHIBITED_IN_NAMES = "<>&\"$%!#?;*~/\\|^=[]{}()"
_FULL_WIDTH = str.maketrans({char: chr(ord(char) + 0xFEE0) for char in _PROHIBITED_IN_NAMES} | {"§": None})
_CONTROL = dict.fromkeys(range(0x20)) | {0x7F: None}


def person_name(text: str) -> str:
    """``text`` in characters Keycloak accepts in a person's name: ``桂芳(Fiona)`` → ``桂芳（Fiona）``."""
    return text.translate(_FULL_WIDTH).translate(_CONTROL)


def stage(person: Person, today: date) -> Stage:
    """The lifecycle stage of ``person`` on ``today``."""
    if person.status == "terminated" or (person.end_date is not None and person.end_date < today):
        return Stage.LEAVER
    if person.start_date is not None:
        return Stage.FUTURE if person.start_date > today else Stage.ACTIVE
    return Stage.FUTURE if person.status == "pending" else Stage.ACTIVE


def desire(values: dict, where: Location, directory: Directory, today: date, *, anchor: str | None = None,
           roles: frozenset[str] | None = None) -> DesiredPerson | Rejection:
    """Turn one normalised source row into a desired person, or a rejection with every reason.

    ``anchor`` and ``roles`` are the row's (:class:`~groupid.sources.SourceRow`): its immutable ID in the source,
    and the realm roles the source grants it."""
    employee_id = values.get("employee_id")
    try:
        person = Person.model_validate({key: value for key, value in values.items() if value is not None})
    except ValidationError as exc:
        reasons = tuple(describe_error(error, Person) for error in exc.errors())
        return Rejection(where, employee_id, reasons, values.get("company"), anchor)
    try:
        placement = directory.place(person)
    except ValueError as exc:
        return Rejection(where, employee_id, (str(exc),), person.company, anchor)
    return DesiredPerson(person_record(person), where, placement, stage(person, today), anchor or None, roles)


@dataclass(frozen=True)
class ManagerProblem:
    """A manager reference that could not be kept: unknown, or part of a reporting cycle."""

    employee_id: str
    where: Location
    message: str


def resolve_managers(people: dict[str, DesiredPerson], known: set[str]) -> list[ManagerProblem]:
    """Second pass: set each person's ``manager_id`` when the manager is a person of the source or ``known``
    (employee IDs of existing accounts). Unknown managers and reporting cycles are reported, not followed
    around: each chain is walked once, so a cycle of any length ends the walk."""
    problems: list[ManagerProblem] = []
    for employee_id, desired in people.items():
        manager = desired.person.manager
        if manager is None:
            continue
        if manager == employee_id:
            problems.append(ManagerProblem(employee_id, desired.where, "is recorded as their own manager"))
        elif manager not in people and manager not in known:
            problems.append(ManagerProblem(employee_id, desired.where, f"manager {manager} is not in the export or in Keycloak"))
        else:
            desired.manager_id = manager
    problems += _cycles(people)
    return problems


def _cycles(people: dict[str, DesiredPerson]) -> list[ManagerProblem]:
    """Reporting cycles (A reports to B reports to A), each reported once for every person in it."""
    state: dict[str, int] = {}  # 1: on the current chain, 2: done
    problems: list[ManagerProblem] = []
    for start in people:
        chain: list[str] = []
        current: str | None = start
        while current in people and current not in state:
            state[current] = 1
            chain.append(current)
            manager = people[current].manager_id
            current = manager if manager != current else None
        if current in state and state[current] == 1:
            cycle = chain[chain.index(current):]
            text = " → ".join([*cycle, cycle[0]])
            problems += [ManagerProblem(eid, people[eid].where, f"reporting cycle: {text}") for eid in cycle]
        for eid in chain:
            state[eid] = 2
    return problems
