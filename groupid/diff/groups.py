"""Company and department groups: matched by code, moved rather than recreated, pruned with what is below them."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from groupid.diff.context import RealmComparison, field_changes, owned, shown_value
from groupid.diff.roles import set_change
from groupid.keycloak_terms import ATTR_CODE, ATTR_MANAGED
from groupid.payloads import GroupPayload, GroupRolesPayload
from groupid.plan import Create, Delete, Update
from groupid.realms.live import LiveGroup
from groupid.state import GroupNode

MANAGED_GROUP_ATTRIBUTES = frozenset(
    {ATTR_CODE, ATTR_MANAGED, "groupid.kind", "uscc", "region", "email_domains", "company_code"}
)
"""Group attributes groupid writes; others (added by hand or by other tools) are kept as they are."""


@dataclass
class Placed:
    """A desired group with where it goes: its parent's code, its path and depth."""

    node: GroupNode
    parent: str | None
    path: str
    depth: int


def place(roots: tuple[GroupNode, ...]) -> Iterator[Placed]:
    """Every desired group with its parent's code, path and depth, parents first."""
    stack = [(root, None, "", 1) for root in reversed(roots)]
    while stack:
        node, parent, parent_path, depth = stack.pop()
        path = f"{parent_path}/{node.name}"
        yield Placed(node, parent, path, depth)
        stack.extend((child, node.code, path, depth + 1) for child in reversed(node.children))


def diff_groups(comparison: RealmComparison) -> None:
    """Company and department groups, parents first; then the owned groups that left the spec."""
    GroupComparison(comparison).run()


class GroupComparison:
    """The groups of one comparison, with the lookups of the live tree they need."""

    def __init__(self, comparison: RealmComparison):
        self.comparison = comparison
        live = comparison.live
        self.paths = live.paths()
        self.groups_by_id = {g.id: g for g in live.groups}
        self.owned_groups = {g.attribute(ATTR_CODE): g for g in live.groups if owned(g.attributes) and g.attribute(ATTR_CODE)}
        self.groups_by_path = {self.paths[g.id]: g for g in live.groups}
        self.ids: dict[str, str] = {}  # code -> live group id, for groups matched (owned or adopted/unmanaged)
        self.codes_by_id: dict[str, str] = {}
        self.placed = list(place(comparison.desired.groups))
        self.desired_codes = {item.node.code for item in self.placed}
        self.children: dict[str | None, list[LiveGroup]] = {}
        for group in live.groups:
            self.children.setdefault(group.parent_id, []).append(group)

    def run(self) -> None:
        """Every desired group, then the owned groups that left the spec."""
        for item in self.placed:
            live = self.matched(item)
            if live is not False:
                self.diff_group(item, live)
        for code, live in self.owned_groups.items():
            if code not in self.desired_codes:
                self.prune_group(code, live)

    def matched(self, item: Placed) -> LiveGroup | None | bool:
        """The live group a desired one is: owned by code, adopted by path, or None (new). False when the
        desired group is left alone: another code's group or an unmanaged one sits at its path."""
        node = item.node
        live = self.owned_groups.get(node.code)
        if live is not None:
            return live
        live = self.groups_by_path.get(item.path)
        if live is not None and owned(live.attributes):
            # groupid's own group of another code sits there; taking it over would steal it from that code
            other = live.attribute(ATTR_CODE)
            self.comparison.note("group", node.code, f"group {node.code} cannot be created at {item.path}: "
                                 f"groupid's group {other} is there; once {other} is renamed, moved or pruned, apply again")
            return False
        if live is not None and not self.comparison.options.adopt:
            self.match(node.code, live.id)
            self.comparison.note("group", node.code, f"group {item.path} exists but was not made by groupid; "
                                 f"apply --adopt takes it over as {node.code}")
            return False
        return live

    def diff_group(self, item: Placed, live: LiveGroup | None) -> None:
        """One desired group and the live group it is (None: the plan creates it)."""
        node, changes = item.node, self.comparison.changes
        label = f"group {node.code} ({item.path})"
        if live is None:
            payload = GroupPayload(node.name, None, item.parent, self.ids.get(item.parent), node.attributes)
            changes.append(Create("group", node.code, label, payload, field_changes({
                "name": (None, node.name), "parent": (None, item.parent), **attribute_fields({}, node.attributes)}),
                item.depth))
            self.diff_group_roles(node, label, None, item.depth)
            return
        parent_code = self.code_of(live.parent_id)
        self.match(node.code, live.id)
        attributes = {k: v for k, v in live.attributes.items() if k not in MANAGED_GROUP_ATTRIBUTES}
        attributes.update(node.attributes)
        fields = field_changes({"name": (live.name, node.name), "parent": (parent_code, item.parent),
                                **attribute_fields(live.attributes, node.attributes)})
        if fields:
            payload = GroupPayload(node.name, live.id, item.parent, self.ids.get(item.parent), attributes,
                                   move=parent_code != item.parent)
            changes.append(Update("group", node.code, label, payload, fields, item.depth))
        self.diff_group_roles(node, label, live.role_refs(), item.depth)

    def match(self, code: str, group_id: str) -> None:
        """Remember which live group stands for a desired code."""
        self.ids[code] = group_id
        self.codes_by_id[group_id] = code

    def code_of(self, group_id: str | None) -> str | None:
        """The code a live group is known by: the spec code it was matched to, its attribute, or its path."""
        if group_id is None:
            return None
        if group_id in self.codes_by_id:
            return self.codes_by_id[group_id]
        group = self.groups_by_id.get(group_id)
        return (group.attribute(ATTR_CODE) if group else None) or self.paths.get(group_id)

    def diff_group_roles(self, node: GroupNode, label: str, live: list[str] | None, depth: int) -> None:
        """The roles granted to one group; ``live`` is None for a group the plan creates."""
        group_id = self.ids.get(node.code)
        change = set_change("group-roles", node.code, f"roles of {label}", live, node.roles,
                            lambda add, remove: GroupRolesPayload(node.code, group_id, add, remove), depth)
        if change:
            self.comparison.changes.append(change)

    def prune_group(self, code: str, live: LiveGroup) -> None:
        """An owned group that left the spec; kept when groups made by hand sit below it."""
        parent = self.groups_by_id.get(live.parent_id)
        if parent is not None and owned(parent.attributes) and parent.attribute(ATTR_CODE) not in self.desired_codes:
            return  # deleting the topmost orphan deletes this one with it
        path = self.paths[live.id]
        handmade = [g for g in self.descendants(live.id) if not owned(g.attributes)]
        if handmade:
            names = ", ".join(self.paths[g.id] for g in handmade[:3])
            self.comparison.note("group", code, f"group {code} ({path}) left the spec but is kept: it holds "
                                 f"groups not made by groupid ({names})")
            return
        below = tuple(sorted(self.paths[g.id] for g in self.descendants(live.id)))
        label = f"group {code} ({path})" + (f" and the {len(below)} groups below it" if below else "")
        payload = GroupPayload(live.name, live.id, self.code_of(live.parent_id), live.parent_id, live.attributes,
                               below=below)
        self.comparison.prune_or_report(Delete("group", code, label, payload, (), path.count("/")))

    def descendants(self, group_id: str) -> list[LiveGroup]:
        """The groups below ``group_id`` that stay there (those the spec moves elsewhere are not counted)."""
        found, stack = [], list(self.children.get(group_id, []))
        while stack:
            group = stack.pop()
            if group.attribute(ATTR_CODE) not in self.desired_codes:
                found.append(group)
                stack.extend(self.children.get(group.id, []))
        return found


def attribute_fields(live: dict[str, list[str]], wanted: dict[str, list[str]]) -> dict[str, tuple]:
    """Old/new pairs of the attributes groupid manages."""
    keys = sorted((set(live) & MANAGED_GROUP_ATTRIBUTES) | set(wanted))
    return {f"attributes.{key}": (shown_value(live.get(key)), shown_value(wanted.get(key))) for key in keys}
