"""Keycloak's representations as groupid sees them: ``Live*`` values, and the group tree they make.

Nothing here talks to Keycloak; the in-memory adapter converts through the same functions.
"""

from __future__ import annotations

import copy
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from typing import NamedTuple

from groupid.realms.base import LiveClient, LiveGroup, LiveIdentityProvider, LiveOrganization, LiveRole, LiveUser
from groupid.keycloak_terms import role_reference

SECRET_MASK = "**********"
"""What Keycloak answers in place of a stored secret. Sent back in an identity provider's config, it keeps the
stored secret; a config without ``clientSecret`` would drop it."""

SECRET_KEYS = frozenset({"clientSecret"})
"""Identity provider config keys that hold a secret (Keycloak masks them; vault references it shows as they are)."""


class _RealmContent(NamedTuple):
    """What one realm holds of groups, roles and clients, however it was read."""

    groups: list[LiveGroup]  #: parents before their children
    roles: list[LiveRole]  #: realm roles, by name
    client_roles: list[LiveRole]  #: roles of clients other than Keycloak's own, by clientId and name
    clients: list[LiveClient]


class _GroupTree:
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
        for representation, parent in _walk(representations, parent_id):
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


def parents_first(groups: Iterable[LiveGroup]) -> list[LiveGroup]:
    """``groups`` depth first, parents before their children, siblings by name (as Keycloak lists them)."""
    children: dict[str | None, list[LiveGroup]] = defaultdict(list)
    for group in groups:
        children[group.parent_id].append(group)
    ordered: list[LiveGroup] = []
    stack = sorted(children[None], key=lambda g: g.name, reverse=True)
    while stack:
        group = stack.pop()
        ordered.append(group)
        stack += sorted(children[group.id], key=lambda g: g.name, reverse=True)
    return ordered


def _walk(representations: Iterable[dict], parent_id: str | None) -> Iterator[tuple[dict, str | None]]:
    """Each group representation and the id of its parent, sub-groups included (iterative: trees run deep)."""
    stack = [(representation, parent_id) for representation in representations]
    while stack:
        representation, parent = stack.pop()
        yield representation, parent
        stack += [(child, representation["id"]) for child in representation.get("subGroups") or ()]


def _live_role(representation: dict, composites: list[str], client: str | None) -> LiveRole:
    """A RoleRepresentation (of the realm, or of the client ``client``) with the references of its composites."""
    return LiveRole(representation["name"], representation.get("description"), representation.get("attributes") or {},
                    composites, client)


def _exported_composites(representation: dict) -> list[str]:
    """The references of a role's composites as a partial export gives them: ``{realm: [name], client: {clientId:
    [name]}}``, sorted."""
    composites = representation.get("composites") or {}
    client_refs = (role_reference(client_id, name) for client_id, names in (composites.get("client") or {}).items()
                   for name in names)
    return sorted([*(composites.get("realm") or ()), *client_refs])


def _in_order(roles: Iterable[LiveRole]) -> list[LiveRole]:
    """Roles in the order :class:`LiveRealm` lists them: by clientId (realm roles have none), then by name."""
    return sorted(roles, key=lambda role: (role.client or "", role.name))


def live_organization(representation: dict) -> LiveOrganization:
    """An OrganizationRepresentation (in full: with attributes) as groupid sees it; domains sorted."""
    return LiveOrganization(
        id=representation["id"],
        name=representation["name"],
        alias=representation["alias"],
        domains=sorted(domain["name"] for domain in representation.get("domains") or ()),
        attributes=copy.deepcopy(representation.get("attributes") or {}),
        enabled=representation.get("enabled", True),
    )


def live_client(representation: dict) -> LiveClient:
    """A ClientRepresentation reduced to what groupid manages; the secret is not kept."""
    return LiveClient(
        id=representation["id"],
        client_id=representation["clientId"],
        name=representation.get("name"),
        enabled=representation.get("enabled", True),
        public_client=representation.get("publicClient", False),
        # Keycloak keeps a cleared root URL as an empty string
        root_url=representation.get("rootUrl") or None,
        redirect_uris=list(representation.get("redirectUris") or ()),
        attributes=dict(representation.get("attributes") or {}),
    )


def live_identity_provider(representation: dict) -> LiveIdentityProvider:
    """An IdentityProviderRepresentation as groupid sees it: its config without secrets, masked or not."""
    config = representation.get("config") or {}
    return LiveIdentityProvider(
        alias=representation["alias"],
        provider_id=representation["providerId"],
        display_name=representation.get("displayName") or None,
        enabled=representation.get("enabled", True),
        config={key: value for key, value in config.items() if key not in SECRET_KEYS and value != SECRET_MASK},
    )


def live_user(representation: dict) -> LiveUser:
    """A UserRepresentation (in full: with attributes) as groupid sees it, memberships not yet filled in."""
    return LiveUser(
        id=representation["id"],
        username=representation["username"],
        enabled=representation.get("enabled", False),
        first_name=representation.get("firstName"),
        last_name=representation.get("lastName"),
        email=representation.get("email"),
        email_verified=representation.get("emailVerified", False),
        attributes={key: list(values) for key, values in (representation.get("attributes") or {}).items()},
        not_before=int(representation.get("notBefore") or 0),
    )
