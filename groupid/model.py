"""The org model of a corporate group (集团): companies, departments, roles, people and apps.

Each record is a pydantic model that rejects unknown keys (a typo such as ``parnet:`` is an error, not a
silently ignored key) and remembers where it was read from, so that every problem can name a file and line.
Checks that span records — references, cycles, duplicates, the USCC check character — live in
:func:`find_problems`, which reports every problem at once instead of stopping at the first.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from difflib import get_close_matches
from enum import Enum
from typing import Annotated, ClassVar, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, PrivateAttr

from groupid.errors import Location, Problem
from groupid.uscc import uscc_problem

_CODE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")
_REALM = re.compile(r"[a-z0-9][a-z0-9_-]*")
_ROLE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]*")
_DOMAIN = re.compile(r"(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}")


def _matching(pattern: re.Pattern[str], what: str) -> Callable[[str], str]:
    def check(value: str) -> str:
        if not pattern.fullmatch(value):
            raise ValueError(f"{value!r} is not a valid {what}")
        return value

    return check


def _display_name(value: str) -> str:
    # Keycloak builds group paths by joining names with '/', so a slash in a name breaks the path.
    if not value:
        raise ValueError("must not be empty")
    if "/" in value:
        raise ValueError(f"{value!r} must not contain '/'")
    return value


Code = Annotated[str, AfterValidator(_matching(_CODE, "code (letters, digits, '.', '_', '-')"))]
RealmName = Annotated[str, AfterValidator(_matching(_REALM, "realm name (lower-case letters, digits, '_', '-')"))]
RoleName = Annotated[str, AfterValidator(_matching(_ROLE, "role name (letters, digits, '.', '_', ':', '-')"))]
ClientId = Annotated[str, AfterValidator(_matching(_ROLE, "clientId (letters, digits, '.', '_', ':', '-')"))]
RoleRef = Annotated[str, AfterValidator(_matching(
    re.compile(rf"(?:{_ROLE.pattern}/)?{_ROLE.pattern}"), "role reference (a realm role, or client/role)"))]

KEYCLOAK_CLIENTS = frozenset({"account", "account-console", "admin-cli", "broker", "realm-management",
                              "security-admin-console"})
"""Clients every realm has; their roles (``realm-management/view-users``, …) may be used without defining them."""
Name = Annotated[str, AfterValidator(_display_name)]
Domain = Annotated[str, AfterValidator(lambda v: _matching(_DOMAIN, "email domain")(v.lower()))]
Uscc = Annotated[str, AfterValidator(str.upper)]
PublicUrl = Annotated[str, AfterValidator(_matching(re.compile(r"https?://[^\s/]+(/[^\s]*)?"), "URL (http:// or https://)"))]


class Topology(str, Enum):
    """How the group is laid out in Keycloak."""

    GROUPS = "groups"  #: one realm, a group tree /<company>/<department>/...
    ORGANIZATIONS = "organizations"  #: one realm, a Keycloak Organization per company
    REALM_PER_COMPANY = "realm-per-company"  #: companies marked own_realm get a realm of their own


@dataclass
class Origin:
    """Where a record was read: its file, its line and the line of each of its keys."""

    file: str
    line: int | None = None
    key_lines: dict[str, int] = field(default_factory=dict)

    def at(self, key: str | None = None) -> Location:
        """The location of ``key`` in the record, or of the record itself."""
        return Location(self.file, self.key_lines.get(key, self.line) if key else self.line)


class Record(BaseModel):
    """Base of every model record: strict about keys, and aware of where it came from.

    ``noun`` names one record in messages; ``key_field`` is the field that identifies it.
    """

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    noun: ClassVar[str] = "record"
    key_field: ClassVar[str] = "code"
    _origin: Origin | None = PrivateAttr(default=None)

    @property
    def key(self) -> str:
        """The value that identifies the record among its kind (a code, a role name, an employee ID)."""
        return getattr(self, self.key_field)

    @property
    def label(self) -> str:
        """How messages name the record, e.g. ``company XH-TECH``."""
        return f"{self.noun} {self.key}"

    def where(self, key: str | None = None) -> Location | None:
        """Where the record (or one of its keys) was read, when known."""
        return self._origin.at(key) if self._origin else None

    def located(self, origin: Origin | None) -> Record:
        """Attach the origin and return the record itself."""
        self._origin = origin
        return self


class Company(Record):
    """A legal entity of the group: the parent company or a subsidiary at any depth."""

    noun: ClassVar[str] = "company"

    code: Code
    name: Name
    parent: Code | None = None
    region: str | None = None
    uscc: Uscc | None = None  #: 统一社会信用代码; entities outside the mainland have none
    own_realm: bool = False  #: data sovereignty: a realm of its own under topology realm-per-company
    realm: RealmName | None = None  #: the name of that realm (default: <group realm>-<code in lower case>)
    email_domains: list[Domain] = []
    roles: list[RoleRef] = []  #: roles granted to everyone in the company, subsidiaries excepted



class Department(Record):
    """A department of one company; departments nest within their company."""

    noun: ClassVar[str] = "department"

    code: Code
    name: Name
    company: Code
    parent: Code | None = None
    roles: list[RoleRef] = []  #: roles granted to everyone in the department and its sub-departments



class Role(Record):
    """A realm role; composites are the roles it includes."""

    noun: ClassVar[str] = "role"
    key_field: ClassVar[str] = "name"

    name: RoleName
    client: ClientId | None = None  #: the clientId of the client the role belongs to; a realm role without
    description: str | None = None
    composites: list[RoleRef] = []  #: roles it includes: ``name`` for realm roles, ``client/name`` for client roles

    @property
    def key(self) -> str:
        """How other records refer to the role: ``name``, or ``client/name`` for a client role."""
        return f"{self.client}/{self.name}" if self.client else self.name




class Person(Record):
    """An employee. The employee ID is the immutable anchor; everything else may change."""

    noun: ClassVar[str] = "person"
    key_field: ClassVar[str] = "employee_id"

    employee_id: Code
    name: Name
    company: Code
    department: Code | None = None
    title: str | None = None
    manager: Code | None = None
    email: str | None = None
    phone: str | None = None
    status: Literal["active", "terminated", "pending"] = "active"
    employment_type: str | None = None
    start_date: date | None = None
    end_date: date | None = None




class App(Record):
    """An application integrated through single sign-on."""

    noun: ClassVar[str] = "app"

    code: Code
    name: Name
    description: str | None = None



class Group(Record):
    """The whole group (集团): its identity in Keycloak and every record of the spec."""

    noun: ClassVar[str] = "group"

    code: Code
    name: Name
    realm: RealmName
    topology: Topology = Topology.GROUPS
    description: str | None = None
    default_roles: list[RoleRef] = []  #: roles every user of the realm gets
    declare_user_attributes: bool = True  #: declare groupid's user attributes in the realm's user profile
    public_url: PublicUrl | None = None  #: where people reach Keycloak; links between realms point there
    companies: list[Company] = []
    departments: list[Department] = []
    roles: list[Role] = []
    people: list[Person] = []
    apps: list[App] = []


MAX_DEPTH = 30
"""The deepest a company or department may sit in the group tree (the top company is level 1).

Real groups stay far below it; a deeper tree is almost always a parent column pointing the wrong way.
"""

INFO_KEYS = (
    "code", "name", "realm", "topology", "description", "default_roles", "declare_user_attributes", "public_url",
)
"""The keys of the ``group:`` mapping; the rest of Group comes from the other sections."""


def find_problems(group: Group, broken: Iterable[str] = ()) -> list[Problem]:
    """Every cross-record problem of ``group``: duplicates, dangling references, cycles, bad USCCs.

    ``broken`` holds codes of records that failed their own validation; references to them are not
    reported again as unknown.
    """
    checker = _Checker(group, set(broken))
    checker.run()
    return checker.problems


class _Checker:
    """Collects the problems of one group; one method per rule."""

    def __init__(self, group: Group, broken: set[str]):
        self.group = group
        self.broken = broken
        self.problems: list[Problem] = []
        self.companies = self._index(group.companies, "code", {})
        self.departments = self._index(group.departments, "code", self.companies)
        self.roles = self._index(group.roles, "name", {})
        self.people = self._index(group.people, "employee ID", {})

    def run(self) -> None:
        self._check_companies()
        self._check_departments()
        self._check_roles()
        self._check_people()
        self._check_sibling_names()
        self._check_depth()
        if self.group.topology is Topology.ORGANIZATIONS:
            self._check_domains_unique()
        if self.group.topology is Topology.REALM_PER_COMPANY:
            self._check_realms_unique()

    def report(self, record: Record, key: str | None, message: str) -> None:
        self.problems.append(Problem(record.where(key), f"{record.label}: {message}"))

    def _index(self, records: list, what: str, others: Mapping[str, Record]) -> dict[str, Record]:
        """Index records by code, reporting duplicates within the kind and against ``others``."""
        index: dict[str, Record] = {}
        for record in records:
            earlier = index.get(record.key) or others.get(record.key)
            if earlier is not None:
                self.report(record, None, f"{what} '{record.key}' is already used by {earlier.label}{_at(earlier)}")
            else:
                index[record.key] = record
        return index

    def _resolve(self, record: Record, key: str, code: str | None, index: Mapping[str, Record], kind: str) -> bool:
        """Report a reference that does not resolve; True when it does."""
        if code is None or code in index:
            return code is not None
        if code not in self.broken:
            what = {"composites": "composite", "roles": "role"}.get(key, key)
            self.report(record, key, f"{what} '{code}' is not a known {kind}{_suggest(code, index, record.key)}")
        return False

    def _check_companies(self) -> None:
        for company in self.companies.values():
            self._resolve(company, "parent", company.parent, self.companies, "company")
            if company.uscc:
                problem = uscc_problem(company.uscc)
                if problem:
                    self.report(company, "uscc", f"uscc '{company.uscc}': {problem}")
        self._check_cycles(self.companies, lambda c: [c.parent] if c.parent else [], "parent")

    def _check_departments(self) -> None:
        for dept in self.departments.values():
            self._resolve(dept, "company", dept.company, self.companies, "company")
            if self._resolve(dept, "parent", dept.parent, self.departments, "department"):
                parent = self.departments[dept.parent]
                if parent.company != dept.company:
                    self.report(
                        dept,
                        "parent",
                        f"parent '{parent.code}' belongs to company {parent.company}, not {dept.company}",
                    )
        self._check_cycles(self.departments, lambda d: [d.parent] if d.parent else [], "parent")

    def _check_roles(self) -> None:
        for role in self.roles.values():
            for composite in role.composites:
                self._resolve_role(role, "composites", composite)
        for record in [*self.companies.values(), *self.departments.values()]:
            for ref in record.roles:
                self._resolve_role(record, "roles", ref)
        for ref in self.group.default_roles:
            if not _keycloak_role(ref) and ref not in self.roles:
                self.problems.append(Problem(self.group.where("default_roles"),
                                             f"group: default role '{ref}' is not a known role{_suggest(ref, self.roles, '')}"))
        self._check_cycles(self.roles, lambda r: r.composites, "composite")

    def _resolve_role(self, record: Record, key: str, ref: str) -> None:
        """Roles of Keycloak's own clients (realm-management/view-users) exist in every realm."""
        if not _keycloak_role(ref):
            self._resolve(record, key, ref, self.roles, "role")

    def _check_people(self) -> None:
        for person in self.people.values():
            self._resolve(person, "company", person.company, self.companies, "company")
            self._resolve(person, "manager", person.manager, self.people, "person")
            if self._resolve(person, "department", person.department, self.departments, "department"):
                owner = self.departments[person.department].company
                if owner != person.company:
                    self.report(person, "department", f"department '{person.department}' belongs to company {owner}")
        self._check_cycles(self.people, lambda p: [p.manager] if p.manager else [], "manager")

    def _check_cycles(self, index: Mapping[str, Record], edges: Callable[[Record], list[str]], key: str) -> None:
        for cycle in find_cycles({code: [e for e in edges(r) if e in index] for code, r in index.items()}):
            record = index[cycle[0]]
            field_name = "composites" if key == "composite" else key
            self.report(record, field_name, f"{key} '{cycle[1]}' forms a cycle {' -> '.join(cycle)}")

    def _check_depth(self) -> None:
        """Report the first record on each branch that sits deeper than :data:`MAX_DEPTH`."""
        above: dict[str, str | None] = {c.code: c.parent for c in self.companies.values()}
        above.update({d.code: d.parent or d.company for d in self.departments.values()})
        levels: dict[str, int] = {}
        for start in above:
            chain, node = [], start
            while node in above and node not in levels and node not in chain:
                chain.append(node)
                node = above[node]
            if node in chain:
                continue  # a cycle, reported on its own
            level = levels.get(node, 0)
            for code in reversed(chain):
                level += 1
                levels[code] = level
                if level == MAX_DEPTH + 1:
                    record = self.departments.get(code) or self.companies[code]
                    self.report(record, "parent", f"sits {level} levels deep; at most {MAX_DEPTH} are allowed")

    def _check_sibling_names(self) -> None:
        """Keycloak needs sibling groups to have distinct names; find clashes before Keycloak does."""
        seen: dict[tuple[str | None, str], Record] = {}
        siblings = [(c.parent if c.parent in self.companies else None, c) for c in self.companies.values()]
        siblings += [(d.parent or d.company, d) for d in self.departments.values()]
        for parent, record in siblings:
            earlier = seen.setdefault((parent, record.name), record)
            if earlier is not record:
                under = f"under {parent}" if parent else "at the top level"
                self.report(record, "name", f"name '{record.name}' is already used {under} by {earlier.label}{_at(earlier)}")

    def _check_realms_unique(self) -> None:
        owners: dict[str, Record] = {self.group.realm: self.group}
        for company in self.companies.values():
            if company.own_realm:
                realm = own_realm_name(self.group.realm, company)
                earlier = owners.setdefault(realm, company)
                if earlier is not company:
                    self.report(company, "realm", f"realm '{realm}' is already used by {earlier.label}")
            elif company.realm:
                self.report(company, "realm", "realm is set but own_realm is not true")

    def _check_domains_unique(self) -> None:
        # Keycloak refuses two organizations with the same email domain.
        owners: dict[str, Company] = {}
        for company in self.companies.values():
            for domain in company.email_domains:
                earlier = owners.setdefault(domain, company)
                if earlier is not company:
                    self.report(company, "email_domains", f"email domain '{domain}' is already used by {earlier.label}")


def own_realm_name(group_realm: str, company: Company) -> str:
    """The realm of a company with ``own_realm``: its ``realm``, else ``<group realm>-<code>`` in lower case."""
    return company.realm or f"{group_realm}-{re.sub(r'[^a-z0-9_-]', '-', company.code.lower())}"


def find_cycles(graph: Mapping[str, list[str]]) -> list[list[str]]:
    """Each cycle of a directed graph once, as a closed path starting at its earliest node in ``graph`` order.

    Iterative, so that a department chain thousands of levels deep is checked, not a RecursionError.

    >>> find_cycles({"A": ["B"], "B": ["A"], "C": []})
    [['A', 'B', 'A']]
    """
    order = {node: i for i, node in enumerate(graph)}
    finished: set[str] = set()
    cycles: dict[frozenset[str], list[str]] = {}
    for root in graph:
        if root in finished:
            continue
        path: list[str] = [root]
        on_path = {root}
        stack = [iter(graph.get(root, []))]
        while stack:
            nxt = next(stack[-1], None)
            if nxt is None:
                stack.pop()
                finished.add(path[-1])
                on_path.discard(path.pop())
            elif nxt in on_path:
                loop = path[path.index(nxt) :]
                first = min(range(len(loop)), key=lambda i: order[loop[i]])
                loop = loop[first:] + loop[:first]
                cycles.setdefault(frozenset(loop), [*loop, loop[0]])
            elif nxt not in finished:
                path.append(nxt)
                on_path.add(nxt)
                stack.append(iter(graph.get(nxt, [])))
    return sorted(cycles.values(), key=lambda c: order[c[0]])


def _keycloak_role(ref: str) -> bool:
    client, _, name = ref.rpartition("/")
    return bool(name) and client in KEYCLOAK_CLIENTS


def _at(record: Record) -> str:
    where = record.where()
    return f" ({where})" if where else ""


def _suggest(code: str, index: Mapping[str, Record], own: str) -> str:
    close = get_close_matches(code, [c for c in index if c != own], n=1)
    return f"; did you mean '{close[0]}'?" if close else ""
