"""From directory entries to person rows: normalised, rejected with every reason, or out of scope — the LDAP
people source.

The people search is read page by page and each entry turned into a row as it arrives; the raw entries are not
kept. Values are normalised as an HR export's cells are (:func:`~groupid.sources.hr.rows.normalise_text`). An
entry is located by its DN (``ldap:uid=1001,ou=people,…``), so every rejection names the record.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from groupid.errors import Location
from groupid.sources.hr.normalise import DATE_FIELDS, clean_text, refuse_hidden
from groupid.sources.hr.rows import Draft, SourceRows, classify, normalise_text, reject_duplicates
from groupid.sources.ldap import ad
from groupid.sources.ldap.config import LdapConfig
from groupid.sources.ldap.directory import Directory, Entry, open_directory
from groupid.sources.ldap.groups import DepartmentGroup, department_groups, role_members
from groupid.sources.ldap.names import DN_LIMIT, normal_dn, parse_dn
from groupid.text import escape, quoted

LDAP = "ldap"
"""The name of the LDAP source: its record key in the realm, and the lock's holder while it syncs."""

_GENERALIZED_TIME = re.compile(r"(\d{4})(\d{2})(\d{2})(?:\d{2}){0,3}(?:[.,]\d+)?(?:Z|[+-]\d{2}(?:\d{2})?)?", re.ASCII)


@dataclass
class DirectoryPeople(SourceRows):
    """The people of one directory, in the order the server returned them: a
    :class:`~groupid.sources.PeopleSource` named ``ldap`` that decides the realm roles of ``roles.map``."""

    managed_roles: frozenset[str] = frozenset()  #: the realm roles the source grants and takes
    name: ClassVar[str] = LDAP


@dataclass
class _Pending:
    """An entry converted, waiting for every other entry: its manager's DN becomes an employee ID only then."""

    draft: Draft
    dn: str | None  #: the entry's DN, normalised
    anchor: str | None
    roles: frozenset[str] | None
    manager: str | None  #: the manager's DN, normalised


def read_directory(config: LdapConfig, *, directory: Directory | None = None, name: str | None = None) -> DirectoryPeople:
    """Read the people of the directory ``config`` describes, whole, before anything else happens.

    ``directory`` is the directory to read (default: opened from ``config.connection`` and closed after);
    ``name`` is how the source is named in messages (default: the config file). Raises
    :class:`~groupid.errors.DirectoryError` when any search cannot be read in full, and
    :class:`~groupid.errors.SourceError` for a group of ``roles.map`` the directory does not have; problems
    of single entries are :class:`~groupid.sources.Rejection` rows of the result.
    """
    name = name or config.file or LDAP
    if directory is None:
        with open_directory(config.connection) as opened:
            return _read(config, opened, name)
    return _read(config, directory, name)


def _read(config: LdapConfig, directory: Directory, name: str) -> DirectoryPeople:
    departments = (department_groups(directory, config.departments)
                   if config.departments.origin == "groups" else {})
    roles = role_members(directory, config.roles, name) if config.roles else None
    converter = _Converter(config, departments, roles)
    people = config.people
    pending = [converter.convert(entry)
               for entry in directory.search(people.base, people.filter, converter.attributes, people.scope)]
    _resolve_managers(pending)
    reject_duplicates([entry.draft for entry in pending], config.key, _dns)
    rows = [classify(entry.draft, config.key, config.scope, anchor=entry.anchor, roles=entry.roles)
            for entry in pending]
    return DirectoryPeople(name, "utf-8", rows, managed_roles=config.managed_roles)


def _dns(places: list[Location]) -> str:
    """Entries' locations in words, for a duplicate's reason: their DNs."""
    return "at " + "; ".join(where.file.removeprefix("ldap:") for where in places)


def _resolve_managers(pending: list[_Pending]) -> None:
    """Each manager DN as that person's employee ID; a DN of no one read leaves the person without a manager
    (the engine reports unknown managers of its own)."""
    ids = {entry.dn: entry.draft.values.get("employee_id") for entry in pending if entry.dn}
    for entry in pending:
        if entry.manager is not None:
            entry.draft.values["manager"] = ids.get(entry.manager)


class _Converter:
    """Turns one entry into a pending row, as the config says."""

    def __init__(self, config: LdapConfig, departments: Mapping[str, list[DepartmentGroup]],
                 roles: Mapping[str, frozenset[str]] | None):
        self.config, self.departments, self.roles = config, departments, roles
        self.active_directory = config.type == "active_directory"
        wanted = [*config.columns.values(), config.anchor]
        if self.active_directory:
            wanted.append(ad.USER_ACCOUNT_CONTROL)
        self.attributes = list(dict.fromkeys(wanted))  #: the attributes the people search asks for
        self.base = parse_dn(config.people.base)

    def convert(self, entry: Entry) -> _Pending:
        """The entry as a draft row, with every reason it cannot be used."""
        draft = Draft(Location(f"ldap:{escape(entry.dn)}"), {}, set(), [])
        try:
            rdns = parse_dn(entry.dn)
            dn = normal_dn(entry.dn)
        except ValueError as exc:
            rdns, dn = (), None
            draft.reasons.append(str(exc))
        manager = None
        for field, attribute in self.config.columns.items():
            try:
                text = _single(entry, attribute)
                if field == "manager":
                    manager = _manager(text)
                    draft.values[field] = None
                    continue
                draft.values[field] = self._value(field, text or "")
            except ValueError as exc:
                _fail(draft, field, f"{field} ({attribute}): {exc}")
        anchor = self._anchor(entry, draft)
        if "employee_id" not in self.config.columns:
            draft.values["employee_id"] = anchor
        if self.config.departments.origin == "ou":
            self._department(draft, lambda: _nearest_ou(rdns, self.base))
        elif self.config.departments.origin == "groups":
            self._department(draft, lambda: self._department_group(dn))
        if self.active_directory:
            self._account_control(entry, draft)
        key = self.config.key
        if key not in draft.failed and draft.values.get(key) is None:
            _fail(draft, key, f"{key} ({self._source_of(key)}) is missing")
        roles = None
        if self.roles is not None:
            roles = frozenset(role for role, members in self.roles.items() if dn in members)
        return _Pending(draft, dn, anchor, roles, manager)

    def _value(self, field: str, text: str) -> Any:
        """The value of ``field`` from an attribute's text, normalised as an HR cell is."""
        # LDAP writes dates as GeneralizedTime (20230305000000Z): the date is the one written, time zone aside,
        # as an HR export's 2023-03-05 is
        if field in DATE_FIELDS and (match := _GENERALIZED_TIME.fullmatch(text.strip())):
            text = "-".join(match.groups())
        return normalise_text(field, text, self.config.values.get(field))

    def _source_of(self, field: str) -> str:
        """Where ``field`` comes from, in words: its attribute, or the anchor for an employee ID not mapped."""
        if field in self.config.columns:
            return self.config.columns[field]
        return f"the anchor {self.config.anchor}" if field == "employee_id" else field

    def _anchor(self, entry: Entry, draft: Draft) -> str | None:
        """The entry's anchor as text (an objectGUID as GUID text), or None with the reason."""
        name = self.config.anchor
        values = entry.attributes.get(name.lower(), ())
        try:
            if len(values) != 1:
                raise ValueError("is missing" if not values else f"has {len(values)} values, not one")
            if self.active_directory and name.lower() == ad.OBJECT_GUID.lower():
                return ad.guid_text(values[0])
            text = _decoded(values[0])
            refuse_hidden(text)
            if not clean_text(text):
                raise ValueError("is empty")
            return clean_text(text)
        except ValueError as exc:
            _fail(draft, "employee_id" if "employee_id" not in self.config.columns else "anchor",
                  f"the anchor {name}: {exc}")
            return None

    def _department(self, draft: Draft, code) -> None:
        """Set the department from ``code()`` (its text or None), or fail it with the reason."""
        try:
            written = code()
            draft.values["department"] = None if written is None else self._value("department", written)
        except ValueError as exc:
            _fail(draft, "department", f"department ({self.config.departments.origin}): {exc}")

    def _department_group(self, dn: str | None) -> str | None:
        """The code of the one department group the entry ``dn`` is a direct member of, or None."""
        groups = self.departments.get(dn, []) if dn else []
        if len(groups) > 1:
            names = "; ".join(quoted(group.dn, DN_LIMIT) for group in groups[:3])
            raise ValueError(f"a member of {len(groups)} department groups ({names}), not one")
        if groups and groups[0].problem:
            raise ValueError(groups[0].problem)
        return groups[0].code if groups else None

    def _account_control(self, entry: Entry, draft: Draft) -> None:
        """On Active Directory, the disabled bit makes a leaver; cleared, the status column (or active) holds."""
        try:
            flags = _single(entry, ad.USER_ACCOUNT_CONTROL)
            if flags is None:
                raise ValueError("is missing: whether the account is disabled cannot be told")
            if ad.is_disabled(flags):
                draft.values["status"] = "terminated"
            elif draft.values.get("status") is None and "status" not in draft.failed:
                draft.values["status"] = "active"
        except ValueError as exc:
            _fail(draft, "status", f"status ({ad.USER_ACCOUNT_CONTROL}): {exc}")


def _fail(draft: Draft, field: str, reason: str) -> None:
    """Mark ``field`` of ``draft`` as unusable, for ``reason``."""
    draft.failed.add(field)
    draft.reasons.append(reason)


def _decoded(raw: bytes) -> str:
    """A value as text: LDAP strings are UTF-8, and anything else is refused rather than repaired."""
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        raise ValueError("is not UTF-8 text") from None


def _single(entry: Entry, attribute: str) -> str | None:
    """The one value of ``attribute`` as text, None when it has none; raises ValueError for two or more (a
    person has one e-mail address: groupid does not pick one of several)."""
    values = entry.attributes.get(attribute.lower(), ())
    if len(values) > 1:
        raise ValueError(f"{attribute} has {len(values)} values, where a person has one")
    return _decoded(values[0]) if values else None


def _manager(text: str | None) -> str | None:
    """The manager's DN, normalised; a value that is no DN names no one."""
    if text is None or not text.strip():
        return None
    try:
        return normal_dn(text)
    except ValueError:
        return None


def _nearest_ou(rdns, base) -> str | None:
    """The value of the entry's nearest ``ou=`` ancestor below ``base``, or None."""
    for rdn in rdns[1:len(rdns) - len(base)]:
        for kind, value in rdn:
            if kind == "ou":
                return value
    return None
