"""The example group's people as an LDAP directory, and an LDAP source config that reads them.

The people are those of ``examples/xinghe/hr/employees.csv`` (all of them, interns too: the config's scope
leaves them out, as the HR mapping's does), read with groupid's own HR reader, and placed in the tree of the
example's companies and departments (``groupid.spec.load_spec``)::

    dc=xinghe,dc=example
    ├── ou=people                       people: uid=<employee ID>, inetOrgPerson
    │   └── ou=<company code>           each company of the spec
    │       └── ou=<department code>    the department tree, nested as in org.csv
    ├── ou=groups                       groupOfNames
    │   ├── cn=finance-approvers        XH000005, and the group below (nested)
    │   ├── cn=fund-managers            XH000202, XH000207
    │   └── ou=legacy
    │       └── cn=finance-approvers    XH000105: the same name in another subtree, not the approvers
    ├── ou=departments                  cn=<department code>: the department's own people, for
    │                                   ``departments: {from: groups}``
    └── ou=system                       cn=groupid: the service account (made by LocalDirectory)

Statuses are ``employeeType`` active / inactive / pending (inactive read as terminated through ``values:``),
the employment type is ``businessCategory``, and one title holds ``* ( ) \\`` (:data:`SPECIAL_TITLE`).
"""

from __future__ import annotations

import functools
import os
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML

from groupid.localserver.ldif import ldif_entries
from groupid.sources import source_reader
from groupid.sources.hr.mapping import load_mapping
from groupid.spec import load_spec

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "xinghe"
BASE = "dc=xinghe,dc=example"
PEOPLE_BASE = f"ou=people,{BASE}"
GROUPS_BASE = f"ou=groups,{BASE}"
DEPARTMENTS_BASE = f"ou=departments,{BASE}"
APPROVERS_DN = f"cn=finance-approvers,{GROUPS_BASE}"
FUND_MANAGERS_DN = f"cn=fund-managers,{GROUPS_BASE}"
LEGACY_APPROVERS_DN = f"cn=finance-approvers,ou=legacy,{GROUPS_BASE}"
APPROVER_ROLE = "finance-approver"
SPECIAL_TITLE_PERSON = "XH000112"
SPECIAL_TITLE = "运维工程师 (驻场*) \\ 外包"
SIZE_LIMIT = 25  #: what one unpaged search returns to the service account: fewer than the people
PASSWORD_ENV = "GROUPID_TEST_LDAP_PASSWORD"
_STATUS = {"active": "active", "terminated": "inactive", "pending": "pending"}


@dataclass(frozen=True)
class ExampleDirectory:
    """The example's directory: its LDIF (everything below the base but ``ou=system``) and what it holds."""

    ldif: str
    people: dict[str, str]  #: employee ID → the person's DN, every person
    in_scope: frozenset[str]  #: the employee IDs the source config's scope keeps (all but the interns)
    active: frozenset[str]  #: of those, the people at work today (not left, not starting later)
    approvers: frozenset[str]  #: the members of APPROVERS_DN, nested members included
    legacy_approvers: frozenset[str]  #: the members of LEGACY_APPROVERS_DN (who must not be approvers)


@functools.cache
def example_directory() -> ExampleDirectory:
    """The example's people, companies and departments as a directory (made once)."""
    spec = load_spec(EXAMPLE)
    mapping = load_mapping(EXAMPLE / "hr" / "mapping.yaml").model_copy(update={"scope": None})
    rows = [row.values for row in source_reader("hr")(EXAMPLE / "hr" / "employees.csv", mapping)]
    units = _units(spec)
    people = {row["employee_id"]: f"uid={row['employee_id']},{units[row['department']]}" for row in rows}
    entries: list[tuple[str, dict[str, Any]]] = [(PEOPLE_BASE, _ou("people"))]
    entries += [(dn, _ou(dn.split(",")[0].removeprefix("ou="))) for dn in sorted(set(units.values()), key=len)]
    entries += [(people[row["employee_id"]], _person(row, people)) for row in rows]
    entries += _groups(people)
    entries += _department_groups(rows, people)
    return ExampleDirectory(
        ldif=ldif_entries(entries), people=people,
        in_scope=frozenset(row["employee_id"] for row in rows if row["employment_type"] != "实习"),
        active=frozenset(row["employee_id"] for row in rows
                         if row["employment_type"] != "实习" and row["status"] == "active"
                         and not (row["start_date"] and row["start_date"] > date.today())
                         and not (row["end_date"] and row["end_date"] < date.today())),
        approvers=frozenset({"XH000005", "XH000202", "XH000207"}), legacy_approvers=frozenset({"XH000105"}))


def write_source_config(folder: Path, *, url: str, ca_file: Path, bind_dn: str, password: str,
                        password_via: str = "env", **overrides: Any) -> Path:
    """Write ``folder/LDAP.yaml`` reading the example directory at ``url``; return its path.

    The password is named by the env var :data:`PASSWORD_ENV` (``password_via="env"``; the caller sets it) or
    written to ``folder/ldap-password`` (``"file"``). Each of ``overrides`` replaces that top-level key; a
    None removes it.
    """
    config: dict[str, Any] = {
        "url": url, "start_tls": False, "bind_dn": bind_dn, "ca_file": str(ca_file), "timeout": 10,
        "page_size": 10, "type": "openldap",
        "people": {"base": PEOPLE_BASE, "filter": "(objectClass=inetOrgPerson)", "scope": "subtree"},
        "anchor": "entryUUID", "key": "employee_id",
        "columns": {"employee_id": "employeeNumber", "name": "cn", "company": "o", "department": "departmentNumber",
                    "title": "title", "email": "mail", "phone": "mobile", "manager": "manager",
                    "status": "employeeType", "employment_type": "businessCategory"},
        "departments": {"from": "attribute"},
        "roles": {"base": GROUPS_BASE, "filter": "(objectClass=groupOfNames)", "member_attribute": "member",
                  "nested": True, "map": {APPROVERS_DN: APPROVER_ROLE}},
        "values": {"status": {"active": "active", "inactive": "terminated", "pending": "pending"}},
        "scope": 'employment_type ne "实习"',
    }
    if password_via == "file":
        secret = folder / "ldap-password"
        secret.touch(mode=0o600)
        secret.write_text(password, encoding="utf-8")
        config["bind_password_file"] = str(secret)
    elif password_via == "env":
        config["bind_password_env"] = PASSWORD_ENV
    else:
        raise ValueError(f"password_via is env or file, not {password_via!r}")
    for key, value in overrides.items():
        if value is None:
            config.pop(key, None)
        else:
            config[key] = value
    path = folder / "LDAP.yaml"
    with path.open("w", encoding="utf-8") as stream:
        YAML().dump(config, stream)
    return path


def password_env(password: str) -> dict[str, str]:
    """The environment with :data:`PASSWORD_ENV` set to ``password`` (for a CLI run in a subprocess)."""
    return {**os.environ, PASSWORD_ENV: password}


def _units(spec) -> dict[str, str]:
    """Department code → the DN of its OU, nested under its company's and its parent departments' OUs."""
    departments = {department.code: department for department in spec.departments}

    def unit(code: str) -> str:
        department = departments[code]
        above = unit(department.parent) if department.parent else f"ou={department.company},{PEOPLE_BASE}"
        return f"ou={code},{above}"

    units = {code: unit(code) for code in departments}
    for company in spec.companies:
        units.setdefault(company.code, f"ou={company.code},{PEOPLE_BASE}")
    return units


def _ou(name: str) -> dict[str, Any]:
    return {"objectClass": "organizationalUnit", "ou": name}


def _person(row: dict[str, Any], people: dict[str, str]) -> dict[str, Any]:
    employee_id, name = row["employee_id"], row["name"]
    person: dict[str, Any] = {
        "objectClass": ["inetOrgPerson"], "uid": employee_id, "employeeNumber": employee_id, "cn": name,
        "sn": name[:1], "displayName": name, "o": row["company"], "departmentNumber": row["department"],
        "title": SPECIAL_TITLE if employee_id == SPECIAL_TITLE_PERSON else row["title"],
        "employeeType": _STATUS[row["status"]], "businessCategory": row["employment_type"],
    }
    optional = {"mail": row["email"], "mobile": row["phone"], "manager": people.get(row["manager"] or "")}
    person.update({attribute: value for attribute, value in optional.items() if value})
    return person


def _groups(people: dict[str, str]) -> list[tuple[str, dict[str, Any]]]:
    def group(name: str, *members: str) -> dict[str, Any]:
        return {"objectClass": "groupOfNames", "cn": name, "member": list(members)}

    return [
        (GROUPS_BASE, _ou("groups")),
        (FUND_MANAGERS_DN, group("fund-managers", people["XH000202"], people["XH000207"])),
        (APPROVERS_DN, group("finance-approvers", people["XH000005"], FUND_MANAGERS_DN)),
        (f"ou=legacy,{GROUPS_BASE}", _ou("legacy")),
        (LEGACY_APPROVERS_DN, group("finance-approvers", people["XH000105"])),
    ]


def _department_groups(rows: list[dict[str, Any]], people: dict[str, str]) -> list[tuple[str, dict[str, Any]]]:
    members: dict[str, list[str]] = {}
    for row in rows:
        members.setdefault(row["department"], []).append(people[row["employee_id"]])
    return [(DEPARTMENTS_BASE, _ou("departments"))] + [
        (f"cn={code},{DEPARTMENTS_BASE}", {"objectClass": "groupOfNames", "cn": code, "member": dns})
        for code, dns in sorted(members.items())
    ]
