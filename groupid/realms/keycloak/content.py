"""What the Keycloak adapter makes of the answers of a read: the group tree, and the roles of a partial export.

Nothing here talks to Keycloak; the conversions of single representations both adapters share are in
:mod:`groupid.realms.representations`.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator
from typing import NamedTuple

from groupid.keycloak_terms import role_reference
from groupid.realms.live import LiveClient, LiveGroup, LiveRole


class RealmContent(NamedTuple):
    """What one realm holds of groups, roles and clients, however it was read."""

    groups: list[LiveGroup]  #: parents before their children
    roles: list[LiveRole]  #: realm roles, by name
    client_roles: list[LiveRole]  #: roles of clients, by clientId and name
    clients: list[LiveClient]
    browser_flows: dict[str, str] = {}  #: the id of each client's own browser flow -> the clientId


class GroupTree:
    """The groups read so far, by id, with how many children each has according to the server.

    A search answers each match inside its ancestors, and the same ancestor comes back on several pages:
    adding by id makes every answer safe to add, in any order and more than once.
    """

    def __init__(self):
        self.groups: dict[str, LiveGroup] = {}
        self._expected: dict[str, int] = {}  # subGroupCount: the real number of children
        self._seen: Counter[str | None] = Counter()

    def add(self, representations: Iterable[dict], parent_id: str | None = None) -> list[str]:
        """Add group representations, with whatever sub-groups are filled into them; return the new ids."""
        new = []
        for representation, parent in walk_groups(representations, parent_id):
            group_id = representation["id"]
            if group_id in self.groups:
                continue
            # a flat search answer says where a match hangs only in its parentId
            parent = representation.get("parentId") or parent
            attributes = representation.get("attributes") or {}
            roles = sorted(representation.get("realmRoles") or [])
            # the names of the client roles granted, by clientId
            granted = representation.get("clientRoles") or {}
            client_roles = {client: sorted(granted[client]) for client in sorted(granted)}
            self.groups[group_id] = LiveGroup(group_id, representation["name"], parent, attributes, roles, client_roles)
            self._expected[group_id] = representation.get("subGroupCount", 0)
            self._seen[parent] += 1
            new.append(group_id)
        return new

    def incomplete(self, group_ids: Iterable[str]) -> list[str]:
        """Those of ``group_ids`` that have children not read yet."""
        return [group_id for group_id in group_ids if self._seen[group_id] < self._expected[group_id]]


def walk_groups(representations: Iterable[dict], parent_id: str | None) -> Iterator[tuple[dict, str | None]]:
    """Each group representation and the id of its parent, sub-groups included (iterative: trees run deep)."""
    stack = [(representation, parent_id) for representation in representations]
    while stack:
        representation, parent = stack.pop()
        yield representation, parent
        stack += [(child, representation["id"]) for child in representation.get("subGroups") or ()]


def exported_composites(representation: dict) -> list[str]:
    """The references of a role's composites as a partial export gives them: ``{realm: [name], client: {clientId:
    [name]}}``, sorted."""
    composites = representation.get("composites") or {}
    client_refs = (role_reference(client_id, name) for client_id, names in (composites.get("client") or {}).items()
                   for name in names)
    return sorted([*(composites.get("realm") or ()), *client_refs])


def in_order(roles: Iterable[LiveRole]) -> list[LiveRole]:
    """Roles in the order :class:`LiveRealm` lists them: by clientId (realm roles have none), then by name."""
    return sorted(roles, key=lambda role: (role.client or "", role.name))


def reference_of(representation: dict, client_ids: dict[str, str]) -> str:
    """The reference of a RoleRepresentation; a client role's ``containerId`` is its client's id (in ``client_ids``)."""
    client_id = client_ids[representation["containerId"]] if representation.get("clientRole") else None
    return role_reference(client_id, representation["name"])
