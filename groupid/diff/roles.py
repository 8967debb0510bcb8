"""Realm and client roles, their composites, and the realm's default roles."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from groupid.diff.context import OWNED, RealmComparison, first, owned
from groupid.diff.objects import diff_objects
from groupid.errors import ConfigurationError
from groupid.keycloak_terms import ATTR_MANAGED, KEYCLOAK_DEFAULT_ROLES, default_role_name
from groupid.payloads import CompositesPayload, Payload, RolePayload
from groupid.plan import Change, Create, FieldChange, Update
from groupid.realms.live import LiveRole
from groupid.state import RoleNode


def diff_roles(comparison: RealmComparison) -> None:
    """Realm and client roles, then their composites."""
    nodes = {role.ref: role for role in comparison.desired.roles}
    check_clients_exist(comparison, nodes.values())
    wanted = {ref: {"description": role.description, f"attributes.{ATTR_MANAGED}": "true"} for ref, role in nodes.items()}

    def view(role: LiveRole) -> dict:
        return {"description": role.description or None, f"attributes.{ATTR_MANAGED}": first(role.attributes, ATTR_MANAGED)}

    def payload(ref: str, role: LiveRole | None) -> RolePayload:
        node = nodes.get(ref)
        if node is None:
            return RolePayload(role.name, role.client)
        return RolePayload(node.name, node.client, node.description, {**(role.attributes if role else {}), **OWNED})

    diff_objects(comparison, "role", wanted, comparison.roles, view=view, is_owned=lambda r: owned(r.attributes),
                 payload=payload, label=lambda ref: f"role {ref}")
    for ref, role in nodes.items():
        live = comparison.roles.get(ref)
        if live is None or owned(live.attributes) or comparison.options.adopt:
            diff_composites(comparison, role, live.composites if live else None)


def check_clients_exist(comparison: RealmComparison, roles: Iterable[RoleNode]) -> None:
    """Client roles need their client; groupid does not make app clients up."""
    clients = {c.client_id for c in comparison.live.clients} | {c.client_id for c in comparison.desired.clients}
    missing = sorted({role.ref for role in roles if role.client and role.client not in clients})
    if missing:
        raise ConfigurationError(
            f"realm {comparison.desired.realm}: the client of role {', '.join(missing)} does not exist there; "
            "create the client first (or drop client: from the role)"
        )


def diff_composites(comparison: RealmComparison, role: RoleNode, live: list[str] | None) -> None:
    """The roles one role includes; ``live`` is None for a role the plan creates."""
    change = set_change("composites", role.ref, f"composites of role {role.ref}", live, role.composites,
                        lambda add, remove: CompositesPayload(role.ref, add, remove), field_name="composites")
    if change:
        comparison.changes.append(change)


def set_change(kind: str, key: str, label: str, live: list[str] | None, wanted: Iterable[str],
               payload: Callable[[tuple[str, ...], tuple[str, ...]], Payload], depth: int = 0,
               field_name: str = "roles") -> Change | None:
    """A change adding and removing members of a set of roles (composites, a group's roles), when they differ.

    ``live`` is None when the object holding the set is new: the change is then a create. ``payload(add,
    remove)`` makes the change's payload.
    """
    current = live or []
    add = tuple(sorted(set(wanted) - set(current)))
    remove = tuple(sorted(set(current) - set(wanted)))
    if not add and not remove:
        return None
    action = Create if live is None else Update
    return action(kind, key, label, payload(add, remove), (FieldChange(field_name, sorted(current), sorted(wanted)),), depth)


def diff_default_roles(comparison: RealmComparison) -> None:
    """Add the spec's default roles; remove only groupid's own roles that left the list."""
    live = set(comparison.live.default_roles)
    wanted = set(comparison.desired.default_roles)
    ours = {ref for ref, role in comparison.roles.items() if owned(role.attributes)} - set(KEYCLOAK_DEFAULT_ROLES)
    add = tuple(sorted(wanted - live))
    remove = tuple(sorted((live & ours) - wanted))
    if add or remove:
        name = default_role_name(comparison.desired.realm)
        comparison.changes.append(Update("default-roles", name, "default roles", CompositesPayload(name, add, remove),
                                         (FieldChange("default roles", sorted(live), sorted((live - set(remove)) | wanted)),)))
