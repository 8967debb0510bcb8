"""Checks that span the records of a group: duplicates, references, cycles, depth, and what a topology needs.

:func:`find_problems` reports every problem at once, each with the file and line of the record it is about.
:func:`topology_problems` is the part that depends on how the group is laid out in Keycloak (organizations,
realms per company): validation runs it as part of :func:`find_problems`, and compiling the realms runs it
again on a group built in code, so that render and plan refuse exactly what validation refuses.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from difflib import get_close_matches

from groupid import limits
from groupid.errors import Problem
from groupid.keycloak_terms import is_keycloak_role
from groupid.model import (
    MAX_DEPTH,
    Company,
    Group,
    Record,
    Topology,
    link_redirect_uri,
    organization_alias,
    own_realm_name,
)
from groupid.text import quoted
from groupid.uscc import uscc_problem


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
        self.apps = self._index(group.apps, "app id", {})
        self.federations = self._index(group.federation, "federation name", {})
        # the apps' client roles may be granted like any role: ``<app id>/<role>``
        self.app_roles = {f"{app.id}/{name}": app for app in self.apps.values() for name in app.roles}

    def run(self) -> None:
        self._check_companies()
        self._check_departments()
        self._check_roles()
        self._check_people()
        self._check_apps()
        self._check_federations()
        self._check_sibling_names()
        self._check_depth()
        self.problems += topology_problems(self.group, self.companies.values())

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
                    self.report(company, "uscc", f"uscc {quoted(company.uscc)}: {problem}")
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
            if not is_keycloak_role(ref) and ref not in self.roles:
                self.problems.append(Problem(self.group.where("default_roles"),
                                             f"group: default role '{ref}' is not a known role{_suggest(ref, self.roles, '')}"))
        self._check_cycles(self.roles, lambda r: r.composites, "composite")

    def _resolve_role(self, record: Record, key: str, ref: str) -> None:
        """Roles of Keycloak's own clients (realm-management/view-users) exist in every realm."""
        if not is_keycloak_role(ref):
            self._resolve(record, key, ref, {**self.roles, **self.app_roles}, "role")

    def _check_federations(self) -> None:
        for federation in self.federations.values():
            self._resolve(federation, "company", federation.company, self.companies, "company")
            if federation.sync_registrations and federation.edit_mode != "WRITABLE":
                self.report(federation, "sync_registrations", "sync_registrations writes new users to the directory; "
                                                              "it needs edit_mode WRITABLE")
            if federation.edit_mode == "UNSYNCED" and not federation.import_users:
                self.report(federation, "edit_mode", "edit_mode UNSYNCED keeps changes in Keycloak's copy of the "
                                                     "users; it needs import_users true")

    def _check_apps(self) -> None:
        holders = {**self.companies, **self.departments}
        for app in self.apps.values():
            self._resolve(app, "owner", app.owner, self.companies, "company")
            for code in app.audience.companies:
                self._resolve(app, "audience", code, self.companies, "company")
            for code in app.audience.departments:
                self._resolve(app, "audience", code, self.departments, "department")
            for ref in app.audience.roles:
                if "/" in ref:
                    # the access role is made part of realm roles only; a client role cannot include it
                    self.report(app, "audience", f"audience: '{ref}' is a client role; an audience names realm roles")
                else:
                    self._resolve_role(app, "audience", ref)
            for name, granted_to in app.role_map.items():
                if name not in app.roles:
                    self.report(app, "role_map", f"role_map: '{name}' is not one of the app's roles{_suggest(name, dict.fromkeys(app.roles), '')}")
                for ref in granted_to:
                    if "/" in ref:
                        self.report(app, "role_map", f"role_map: '{ref}' is a client role; the app's roles go to realm "
                                                     f"roles, companies and departments")
                    elif ref not in holders and ref not in self.roles:
                        self.report(app, "role_map", f"role_map: '{ref}' is neither a role nor a company or department code"
                                                     f"{_suggest(ref, {**self.roles, **holders}, '')}")
            if app.kind == "company" and app.owner is None:
                self.report(app, "kind", "an app of kind company needs an owner (the company it belongs to)")

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
                self.report(record, "name", f"name {quoted(record.name)} is already used {under} by {earlier.label}{_at(earlier)}")


def topology_problems(group: Group, companies: Iterable[Company] | None = None) -> list[Problem]:
    """What Keycloak would refuse in the layout ``group.topology`` asks for, found before anything is written.

    Under ``organizations``: two organizations with one name, alias or email domain. Under
    ``realm-per-company``: two companies with one realm, realm names too long for Keycloak or for the link
    between the realms, and no ``public_url`` for that link to point at. ``companies`` are the group's
    companies without duplicate codes (:func:`find_problems` reports those on their own); all of them by default.
    """
    layout = _Layout(group, list(group.companies if companies is None else companies))
    if group.topology is Topology.ORGANIZATIONS:
        layout.check_organizations()
    elif group.topology is Topology.REALM_PER_COMPANY:
        layout.check_realms()
    return layout.problems


class _Layout:
    """Collects the topology problems of one group."""

    def __init__(self, group: Group, companies: list[Company]):
        self.group = group
        self.companies = companies
        self.problems: list[Problem] = []

    def report(self, record: Record, key: str | None, message: str) -> None:
        self.problems.append(Problem(record.where(key), f"{record.label}: {message}"))

    def check_organizations(self) -> None:
        """Keycloak refuses (HTTP 409) a second organization with the name, alias or email domain of another."""
        names: dict[str, Company] = {}
        aliases: dict[str, Company] = {}
        domains: dict[str, Company] = {}
        for company in self.companies:
            earlier = names.setdefault(company.name, company)
            if earlier is not company:
                self.report(company, "name", f"name {quoted(company.name)} is already used by {earlier.label}"
                            f"{_at(earlier)}; each company's organization needs a name of its own")
            alias = organization_alias(company)
            earlier = aliases.setdefault(alias, company)
            if earlier is not company:
                self.report(company, "code", f"code '{company.code}' gives the organization alias '{alias}', as "
                            f"{earlier.label} does; codes must differ in more than upper and lower case")
            for domain in dict.fromkeys(company.email_domains):
                earlier = domains.setdefault(domain, company)
                if earlier is not company:
                    self.report(company, "email_domains", f"email domain '{domain}' is already used by {earlier.label}")

    def check_realms(self) -> None:
        """Each company with ``own_realm`` gets a realm Keycloak can create, and a link that can point back."""
        group = self.group
        owners: dict[str, Record] = {group.realm: group}
        linked = False
        for company in self.companies:
            if not company.own_realm:
                if company.realm:
                    self.report(company, "realm", "realm is set but own_realm is not true")
                continue
            realm = own_realm_name(group.realm, company)
            earlier = owners.setdefault(realm, company)
            uri = link_redirect_uri(realm, group.realm)
            if earlier is not company:
                self.report(company, "realm", f"realm '{realm}' is already used by {earlier.label}")
            elif len(realm) > limits.REALM_NAME:
                self.report(company, "code", f"the realm it gets, <group realm>-<code>, is {len(realm)} characters "
                            f"long; Keycloak stores at most {limits.REALM_NAME}: give it a shorter realm:")
            elif len(uri) > limits.REDIRECT_URI:
                self.report(company, "realm", f"realm {quoted(realm)} and the group realm {quoted(group.realm)} are "
                            "too long together: the link between them redirects to "
                            f"/realms/<realm>/broker/<group realm>/endpoint, {len(uri)} characters, and Keycloak "
                            f"stores at most {limits.REDIRECT_URI}; shorten one of them")
            linked = True
        if linked and not group.public_url:
            self.problems.append(Problem(group.where("topology"), (
                "group: topology realm-per-company links the company realms to the group realm through the URL "
                "people reach Keycloak at: set public_url, e.g. https://sso.example.cn")))


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


def _at(record: Record) -> str:
    where = record.where()
    return f" ({where})" if where else ""


def _suggest(code: str, index: Mapping[str, Record], own: str) -> str:
    close = get_close_matches(code, [c for c in index if c != own], n=1)
    return f"; did you mean '{close[0]}'?" if close else ""
