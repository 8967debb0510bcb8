"""Directory groups: who is in the groups ``roles.map`` names (nested groups resolved here), and who is in
which department group.

Membership is read from the groups' own member attribute (``member``), on OpenLDAP and Active Directory
alike, and nested groups are resolved by groupid, cycles cut: no server-side matching rule or ``memberOf``
overlay is needed. Groups are identified by DN (:func:`~groupid.sources.ldap.names.normal_dn`), never by
their name: a group of the same name in another subtree is another group. A nested group counts when it lies
below ``roles.base`` and matches ``roles.filter``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from groupid.errors import SourceError
from groupid.sources.ldap.config import Departments, Roles
from groupid.sources.ldap.directory import Directory, Entry
from groupid.sources.ldap.filters import all_of, any_rdn
from groupid.sources.ldap.names import DN_LIMIT, Rdn, format_dn, is_below, is_hex_form, normal_dn, parse_dn
from groupid.text import quoted

BATCH = 100
"""Names asked for in one search when groups are looked up by DN: a filter of a few kilobytes at most."""


def _members(entry: Entry, attribute: str) -> frozenset[str]:
    """The normalised DNs an entry's member attribute lists; a value that is no DN is no member."""
    return frozenset(key for key in map(_key, entry.texts(attribute)) if key is not None)


def _key(dn: str) -> str | None:
    """``dn`` normalised; None for a DN that cannot be read (it then matches nothing)."""
    try:
        return normal_dn(dn)
    except ValueError:
        return None


def read_groups(directory: Directory, dns: Iterable[str], roles: Roles) -> dict[str, frozenset[str]]:
    """The groups of ``dns`` (normalised DNs or as written) that exist below ``roles.base`` and match
    ``roles.filter``: by normalised DN, the normalised DNs of their direct members.

    The groups are looked up by their own RDN below ``roles.base`` (:data:`BATCH` names a search) and an entry
    found is kept only when its DN is one asked for: a group of the same name elsewhere is not. A DN outside
    the base, or of a parent that no longer exists, is simply not found.
    """
    base = parse_dn(roles.base)
    wanted: dict[str, Rdn] = {}
    for dn in dns:
        rdns = parse_dn(dn)
        # a value in its BER form cannot be asked for in a search filter
        if len(rdns) > len(base) and is_below(rdns, base) and not any(is_hex_form(v) for _, v in rdns[0]):
            wanted[format_dn(rdns, normal=True)] = rdns[0]
    keys = sorted(wanted)
    found: dict[str, frozenset[str]] = {}
    for start in range(0, len(keys), BATCH):
        batch = {key: wanted[key] for key in keys[start:start + BATCH]}
        search = all_of(roles.filter, any_rdn(dict.fromkeys(batch.values())))
        for entry in directory.search(roles.base, search, [roles.member_attribute]):
            key = _key(entry.dn)
            if key in batch:
                found[key] = _members(entry, roles.member_attribute)
    return found


def role_members(directory: Directory, roles: Roles, file: str = "") -> dict[str, frozenset[str]]:
    """For each realm role of ``roles.map``, the normalised DNs of the members of its groups — with nested
    groups' members when ``roles.nested`` (cycle-safe). Raises :class:`SourceError` naming a mapped group the
    directory does not have: a typo there would otherwise take the role from everyone."""
    wanted = {normal_dn(dn): dn for dn in roles.map}
    graph = read_groups(directory, roles.map, roles)
    missing = [dn for key, dn in wanted.items() if key not in graph]
    if missing:
        where = f"{file}: " if file else ""
        raise SourceError(f"{where}roles: map: the directory has no group {quoted(missing[0], DN_LIMIT)} below "
                          f"{quoted(roles.base, DN_LIMIT)} that matches {quoted(roles.filter, DN_LIMIT)}"
                          + (f" (nor {len(missing) - 1} more)" if len(missing) > 1 else ""))
    looked_up = set(graph)
    frontier = {member for members in graph.values() for member in members} - looked_up
    while roles.nested and frontier:
        looked_up |= frontier
        graph.update(read_groups(directory, frontier, roles))
        frontier = {member for key in frontier for member in graph.get(key, ())} - looked_up
    granted: dict[str, set[str]] = defaultdict(set)
    for key, dn in wanted.items():
        granted[roles.map[dn]] |= _closure(graph, key) if roles.nested else graph[key]
    return {role: frozenset(members) for role, members in granted.items()}


def _closure(graph: dict[str, frozenset[str]], start: str) -> set[str]:
    """Every member of ``start``, through member groups, each group visited once (so a cycle ends)."""
    members, seen, stack = set(), {start}, [start]
    while stack:
        for member in graph.get(stack.pop(), ()):
            members.add(member)
            if member in graph and member not in seen:
                seen.add(member)
                stack.append(member)
    return members


@dataclass(frozen=True)
class DepartmentGroup:
    """A department group: its DN as the directory wrote it, and its code (or why it has no usable one)."""

    dn: str
    code: str | None
    problem: str | None = None


def department_groups(directory: Directory, departments: Departments) -> dict[str, list[DepartmentGroup]]:
    """By the normalised DN of each member, the department groups it is a direct member of, read page by page
    with ``departments.filter`` below ``departments.base``."""
    assert departments.base is not None and departments.filter is not None  # from: groups requires both
    attributes = [departments.code, departments.member_attribute]
    by_member: dict[str, list[DepartmentGroup]] = defaultdict(list)
    for entry in directory.search(departments.base, departments.filter, attributes):
        codes = entry.texts(departments.code)
        problem = None if len(codes) == 1 else (
            f"the department group {quoted(entry.dn, DN_LIMIT)} has {len(codes)} values of {departments.code}, not one")
        group = DepartmentGroup(entry.dn, codes[0] if len(codes) == 1 else None, problem)
        for member in _members(entry, departments.member_attribute):
            by_member[member].append(group)
    return by_member
