"""A synthetic directory for the LDAP sync benchmark: the people of ``hr_data.py``'s group as LDIF entries.

``hr_data.py`` draws the group (its companies, department tree and people); this module turns its HR export
into the directory a corporate group would run, and keeps the spec beside it::

    spec/                     the group's spec, as hr_data.py writes it
    directory.ldif            the whole directory but its base entry, for a bulk load (slapadd)

The directory, under ``dc=xingchen,dc=example`` (the base entry, ``ou=system`` and the service account are
:class:`groupid.localserver.slapd.LocalDirectory`'s):

- ``ou=people`` with one ``ou=<company code>`` per company, and in it each person as
  ``uid=<employee ID>`` (``inetOrgPerson``): employeeNumber, cn, sn, displayName, o (company code),
  departmentNumber, title, mail, mobile, manager (the manager's DN) and employeeType (在职);
- ``ou=departments,ou=groups``: a ``groupOfNames`` per department that has people (``cn=<department code>``,
  its people as members), as directories that grant access by department keep them;
- ``ou=roles,ou=groups``: ``cn=finance-approvers``, whose members are a few people and the group
  ``cn=finance-team`` (a nested group), whose members are a few others.

The entries carry no operational attributes: slapadd gives each its ``entryUUID``.

    .venv/bin/python bench/ldap_data.py OUT_DIR [--people 10000] [--departments 500] [--companies 10]
"""

from __future__ import annotations

import argparse
import csv
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from hr_data import generate

from groupid.localserver.ldif import ldif_entry

BASE = "dc=xingchen,dc=example"
PEOPLE = f"ou=people,{BASE}"
GROUPS = f"ou=groups,{BASE}"
DEPARTMENTS = f"ou=departments,{GROUPS}"
ROLES = f"ou=roles,{GROUPS}"
APPROVERS = f"cn=finance-approvers,{ROLES}"  #: the role group; its members include the nested group
TEAM = f"cn=finance-team,{ROLES}"  #: the nested group, a member of APPROVERS
ROLE = "finance-editor"  #: the realm role APPROVERS grants (a role of hr_data's spec)
STATUS = "在职"  #: employeeType of everyone: the status column, mapped to active
DIRECT_APPROVERS = 3  #: people who are members of APPROVERS themselves
TEAM_MEMBERS = 3  #: people who are members of TEAM only


@dataclass(frozen=True)
class Person:
    """One person of the directory, as the HR export has them."""

    employee_id: str
    name: str
    company: str
    department: str
    title: str
    manager: str
    mobile: str
    email: str

    @property
    def dn(self) -> str:
        """The person's entry."""
        return person_dn(self.employee_id, self.company)


@dataclass(frozen=True)
class Directory:
    """The files written, and what they hold."""

    spec: Path
    ldif: Path
    people: list[Person]
    companies: int
    departments: int  #: departments of the spec
    department_groups: int  #: departments that have people, hence a group in the directory
    seconds: float


def person_dn(employee_id: str, company: str) -> str:
    """The DN of a person's entry (``uid=<employee ID>,ou=<company>,ou=people,…``)."""
    return f"uid={employee_id},ou={company},{PEOPLE}"


def department_dn(code: str) -> str:
    """The DN of a department's group."""
    return f"cn={code},{DEPARTMENTS}"


def generate_directory(out: Path | str, people: int = 10_000, departments: int = 500, companies: int = 10,
                       seed: int = 1, as_of: date = date(2026, 1, 1)) -> Directory:
    """Write the spec and the directory's LDIF under ``out``; return what they hold."""
    started = time.perf_counter()
    out = Path(out)
    generated = generate(out / "hr-data", people, departments, companies, seed, as_of)
    with open(generated.export, encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    everyone = [Person(row["工号"], row["姓名"], row["公司编码"], row["部门编码"], row["职位"], row["直属上级工号"],
                       row["手机"], row["邮箱"]) for row in rows]
    ldif = out / "directory.ldif"
    with open(ldif, "w", encoding="utf-8") as handle:
        for entry in entries(everyone):
            handle.write(entry)
    groups = len({person.department for person in everyone})
    return Directory(generated.spec, ldif, everyone, generated.companies, generated.departments, groups,
                     time.perf_counter() - started)


def entries(people: list[Person]) -> Iterator[str]:
    """The directory's LDIF records, parents before children (the base entry is the directory server's)."""
    for dn in (PEOPLE, GROUPS, DEPARTMENTS, ROLES):
        yield ldif_entry(dn, {"objectClass": "organizationalUnit", "ou": dn.split(",")[0].split("=")[1]})
    for company in dict.fromkeys(person.company for person in people):
        yield ldif_entry(f"ou={company},{PEOPLE}", {"objectClass": "organizationalUnit", "ou": company})
    companies = {person.employee_id: person.company for person in people}
    for person in people:
        yield ldif_entry(person.dn, person_attributes(person, companies))
    for code, dns in department_members(people).items():
        yield ldif_entry(department_dn(code), {"objectClass": "groupOfNames", "cn": code, "member": dns})
    team, approvers = role_members(people)
    yield ldif_entry(TEAM, {"objectClass": "groupOfNames", "cn": "finance-team", "member": team})
    yield ldif_entry(APPROVERS, {"objectClass": "groupOfNames", "cn": "finance-approvers", "member": [TEAM, *approvers]})


def department_members(people: list[Person]) -> dict[str, list[str]]:
    """Department code → the DNs of its people, for the departments that have people."""
    members: dict[str, list[str]] = {}
    for person in people:
        members.setdefault(person.department, []).append(person.dn)
    return members


def role_members(people: list[Person]) -> tuple[list[str], list[str]]:
    """(members of TEAM, people who are members of APPROVERS directly): the last people of the directory, so
    that the benchmark's leavers and movers (drawn from the start) are not among them."""
    tail = [person.dn for person in people[-(TEAM_MEMBERS + DIRECT_APPROVERS):]]
    return tail[:TEAM_MEMBERS], tail[TEAM_MEMBERS:]


def person_attributes(person: Person, companies: dict[str, str]) -> dict[str, str]:
    """A person's entry; the manager is a DN, as directories keep it."""
    surname = person.name[:2] if len(person.name) > 3 and "·" not in person.name else person.name[:1]
    attributes = {"objectClass": "inetOrgPerson", "uid": person.employee_id, "employeeNumber": person.employee_id,
                  "cn": person.name, "sn": surname, "displayName": person.name, "o": person.company,
                  "departmentNumber": person.department, "title": person.title, "mail": person.email,
                  "mobile": person.mobile, "employeeType": STATUS}
    if person.manager:
        attributes["manager"] = person_dn(person.manager, companies[person.manager])
    return attributes


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out", type=Path, help="directory to write spec/ and directory.ldif into")
    parser.add_argument("--people", type=int, default=10_000, help="people in the directory (default 10000)")
    parser.add_argument("--departments", type=int, default=500, help="departments (default 500)")
    parser.add_argument("--companies", type=int, default=10, help="companies (default 10)")
    parser.add_argument("--seed", type=int, default=1, help="seed of the random draws (default 1)")
    args = parser.parse_args(argv)
    done = generate_directory(args.out, args.people, args.departments, args.companies, args.seed)
    print(f"{done.companies} companies, {done.departments:,} departments ({done.department_groups:,} with people), "
          f"{len(done.people):,} people in {done.seconds:.1f} s: spec {done.spec}, LDIF {done.ldif}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
