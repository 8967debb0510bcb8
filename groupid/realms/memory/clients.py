"""What the in-memory Keycloak does with a client's parts: protocol mappers and default client scopes as Keycloak
keeps them, secrets rotated, sessions opened and ended, and the roles a user holds in effect."""

from __future__ import annotations

import copy
import secrets
import time
import uuid

from groupid.errors import KeycloakError
from groupid.realms.memory.defaults import DEFAULT_CLIENT_SCOPES, OPTIONAL_CLIENT_SCOPES, REALM_CLIENT_SCOPES
from groupid.realms.memory.store import WHERE, RealmState, RoleKey, add_values, not_found


def new_parts(client: dict) -> None:
    """Give a new client what Keycloak gives one: ids for its mappers, and the protocol's default client scopes
    when its representation names none (an empty list is kept empty)."""
    client["protocolMappers"] = [{**mapper, "id": str(uuid.uuid4())} for mapper in client.get("protocolMappers") or ()]
    if client.get("defaultClientScopes") is None:
        client["defaultClientScopes"] = list(DEFAULT_CLIENT_SCOPES.get(client.get("protocol") or "openid-connect", ()))
    check_scopes(client["defaultClientScopes"], f"create client '{client.get('clientId')}'")
    if client.get("optionalClientScopes") is None:
        client["optionalClientScopes"] = list(OPTIONAL_CLIENT_SCOPES.get(client.get("protocol") or "openid-connect", ()))
    check_scopes(client["optionalClientScopes"], f"create client '{client.get('clientId')}'")


def updated_parts(client: dict, given: dict, action: str) -> None:
    """Bring the client's mappers (by name) and default client scopes to what ``given`` holds, when it holds them;
    ``given`` loses both."""
    for kind, other in (("defaultClientScopes", "optionalClientScopes"), ("optionalClientScopes", "defaultClientScopes")):
        if kind in given:
            check_scopes(given[kind], action)
            client[kind] = list(dict.fromkeys(given.pop(kind)))
            # a scope is default or optional for a client, never both
            client[other] = [name for name in client.get(other) or () if name not in client[kind]]
    if "protocolMappers" in given:
        live = {mapper["name"]: mapper for mapper in client.get("protocolMappers") or ()}
        mappers = []
        for mapper in given.pop("protocolMappers"):
            kept = live.get(mapper["name"])
            same = kept is not None and kept.get("protocolMapper") == mapper.get("protocolMapper")
            mappers.append({**copy.deepcopy(mapper), "id": kept["id"] if same else str(uuid.uuid4())})
        client["protocolMappers"] = mappers


def check_scopes(names: list[str], action: str) -> None:
    """Refuse a client scope the realm does not have, as the real adapter does."""
    unknown = [name for name in names if name not in REALM_CLIENT_SCOPES]
    if unknown:
        raise KeycloakError(f"{WHERE} cannot {action}: the realm has no client scope '{unknown[0]}'")


def rotate_secret(client: dict, action: str) -> str:
    """A new random secret for a confidential client; a public or bearer-only one has none."""
    if client.get("publicClient") or client.get("bearerOnly"):
        raise KeycloakError(f"{WHERE} cannot {action}: it is a public or bearer-only client")
    client["secret"] = secrets.token_urlsafe(24)
    client["attributes"]["client.secret.creation.time"] = str(int(time.time()))
    return client["secret"]


def open_session(state: RealmState, user_id: str, client_uuid: str, action: str) -> None:
    """A user signs in to a client: the stand-in for a login."""
    if user_id not in state.users:
        raise not_found(action, "User not found")
    add_values(state.sessions.setdefault(client_uuid, []), [user_id])


def effective_roles(state: RealmState, user_id: str) -> set[RoleKey]:
    """Every role a user holds in effect: its own (the default role among them), its groups' and their parents',
    and all their composites, transitively."""
    held = list(state.user_roles.get(user_id, ()))
    for group in state.groups.values():
        if user_id in group.members:
            while group is not None:
                held += group.roles
                group = state.groups.get(group.parent_id) if group.parent_id else None
    seen: set[RoleKey] = set()
    while held:
        key = held.pop()
        if key not in seen and key in state.roles:
            seen.add(key)
            held += state.roles[key].composites
    return seen
