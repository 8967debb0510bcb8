"""Keycloak's JSON representations as groupid sees them: the ``Live*`` values both realm adapters answer.

The real server answers these representations and the in-memory one keeps them, so both convert through the
same functions here and read alike. Nothing here talks to a server.
"""

from __future__ import annotations

import copy
from collections import defaultdict
from collections.abc import Callable, Iterable

from groupid.keycloak_terms import BIND_CREDENTIAL, GROUP_MAPPER_PROVIDER
from groupid.realms.live import (
    LiveClient,
    LiveComponent,
    LiveFederation,
    LiveGroup,
    LiveIdentityProvider,
    LiveOrganization,
    LiveRole,
    LiveUser,
)

SECRET_MASK = "**********"
"""What Keycloak answers in place of a stored secret. Sent back in an identity provider's config, it keeps the
stored secret; a config without ``clientSecret`` would drop it."""

SECRET_KEYS = frozenset({"clientSecret"})
"""Identity provider config keys that hold a secret (Keycloak masks them; vault references it shows as they are)."""


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


def live_role(representation: dict, composites: list[str], client: str | None) -> LiveRole:
    """A RoleRepresentation (of the realm, or of the client ``client``) with the references of its composites."""
    return LiveRole(representation["name"], representation.get("description"), representation.get("attributes") or {},
                    composites, client)


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


CLIENT_FIELDS_NOT_SETTINGS = frozenset({
    "id", "clientId", "name", "enabled", "publicClient", "rootUrl", "redirectUris", "attributes", "protocolMappers",
    "defaultClientScopes", "optionalClientScopes", "secret", "registrationAccessToken", "access",
})
"""The fields of a ClientRepresentation that are not a live client's ``settings``: those it holds apart, what it
says of the admin's rights (``access``), and the secrets, which are never kept."""


def live_client(representation: dict) -> LiveClient:
    """A ClientRepresentation reduced to what groupid manages; the secret is not kept."""
    mappers = [{key: copy.deepcopy(mapper[key]) for key in ("id", "name", "protocol", "protocolMapper", "config") if key in mapper}
               for mapper in representation.get("protocolMappers") or ()]
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
        description=representation.get("description") or None,
        base_url=representation.get("baseUrl") or None,
        settings={key: copy.deepcopy(value) for key, value in representation.items() if key not in CLIENT_FIELDS_NOT_SETTINGS},
        protocol_mappers=sorted(mappers, key=lambda mapper: mapper.get("name", "")),
        default_client_scopes=sorted(representation.get("defaultClientScopes") or ()),
        optional_client_scopes=sorted(representation.get("optionalClientScopes") or ()),
    )


def browser_flow_bindings(representations: Iterable[dict]) -> dict[str, str]:
    """The clients that have a browser flow of their own: the flow's id -> the clientId."""
    bindings = {}
    for representation in representations:
        flow_id = (representation.get("authenticationFlowBindingOverrides") or {}).get("browser")
        if flow_id:
            bindings[flow_id] = representation["clientId"]
    return bindings


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


def live_component(representation: dict) -> LiveComponent:
    """A ComponentRepresentation as groupid sees it: its config without the bind password, masked or not."""
    config = representation.get("config") or {}
    return LiveComponent(
        id=representation["id"],
        name=representation.get("name") or "",
        provider_id=representation.get("providerId") or "",
        parent_id=representation.get("parentId"),
        config={key: list(values) for key, values in config.items() if key != BIND_CREDENTIAL},
        sub_type=representation.get("subType"),
    )


def live_federation(representation: dict, mappers: Iterable[dict]) -> LiveFederation:
    """An LDAP federation's ComponentRepresentation with those of its mappers that bring groups, by name."""
    groups = [live_component(m) for m in mappers if m.get("providerId") == GROUP_MAPPER_PROVIDER]
    return LiveFederation(live_component(representation), sorted(groups, key=lambda m: m.name))


class UsersRead:
    """The users of one read of a realm, converted from their UserRepresentations (in full: with attributes) as
    they come, and their memberships filled in as the member lists come.

    What many users have in common is kept once, for as long as they are: a given name, a company or
    department code, a title or a manager's ID recurs thousands of times among 100,000 users, and every page of
    JSON has its own copies of it; and users with the same memberships share one frozen set of them (most people
    are in one department: a set per department, not one per person).
    """

    def __init__(self) -> None:
        self._texts: dict[str, str] = {}
        self._memberships: dict[frozenset[str], frozenset[str]] = {}

    def user(self, representation: dict, shown: Callable[[str], bool] | None = None) -> LiveUser:
        """The user of ``representation``, memberships not yet filled in; ``shown`` keeps the attributes of the
        names it accepts (:func:`groupid.keycloak_terms.shown_to_admins`), None all of them. Safe to call from several threads."""
        attributes = representation.get("attributes") or {}
        if shown is not None:
            attributes = {key: values for key, values in attributes.items() if shown(key)}
        return LiveUser(
            id=representation["id"],
            username=representation["username"],
            enabled=representation.get("enabled", False),
            first_name=self._shared(representation.get("firstName")),
            last_name=self._shared(representation.get("lastName")),
            email=representation.get("email"),
            email_verified=representation.get("emailVerified", False),
            attributes={self._shared(key): [self._shared(value) for value in values]
                        for key, values in attributes.items()},
            not_before=int(representation.get("notBefore") or 0),
        )

    def join(self, user: LiveUser, kind: str, owner_id: str) -> None:
        """Make ``user`` a member of the group or organization ``owner_id`` (``kind``: ``groups`` or
        ``organizations``)."""
        joined = getattr(user, kind) | {owner_id}
        setattr(user, kind, self._memberships.setdefault(joined, joined))

    def _shared(self, value):
        return self._texts.setdefault(value, value) if type(value) is str else value

