"""The components of the in-memory Keycloak: LDAP federations and their mappers, kept as Keycloak answers them.

A new LDAP federation gets mappers of its own below it, as Keycloak gives one (username, names, email, dates);
deleting a component deletes what is below it. The bind password is stored and answered masked.
"""

from __future__ import annotations

import copy
import uuid

from groupid.keycloak_terms import BIND_CREDENTIAL, LDAP_MAPPER_TYPE, LDAP_PROVIDER, USER_STORAGE_TYPE
from groupid.realms.live import LiveFederation
from groupid.realms.memory.store import RealmState, found, not_found
from groupid.realms.representations import SECRET_MASK, live_federation

DEFAULT_MAPPERS = (
    ("username", "uid", "username"),
    ("first name", "cn", "firstName"),
    ("last name", "sn", "lastName"),
    ("email", "mail", "email"),
    ("creation date", "createTimestamp", "createTimestamp"),
    ("modify date", "modifyTimestamp", "modifyTimestamp"),
)
"""The attribute mappers Keycloak puts below a new LDAP federation: name, LDAP attribute, user attribute."""


def create_component(state: RealmState, representation: dict, action: str) -> str:
    """Keep a new component and return its id; without ``parentId`` it belongs to the realm."""
    parent = representation.get("parentId") or state.id
    if parent != state.id and parent not in state.components:
        raise not_found(action, "Could not find parent component")
    component_id = str(uuid.uuid4())
    component = {**copy.deepcopy(representation), "id": component_id, "parentId": parent}
    component["config"] = {key: list(values) for key, values in (component.get("config") or {}).items()
                           if values and declared(key)}
    state.components[component_id] = component
    if component.get("providerId") == LDAP_PROVIDER and component.get("providerType") == USER_STORAGE_TYPE:
        for name, ldap_attribute, user_attribute in DEFAULT_MAPPERS:
            mapper_id = str(uuid.uuid4())
            state.components[mapper_id] = {
                "id": mapper_id, "name": name, "providerId": "user-attribute-ldap-mapper",
                "providerType": LDAP_MAPPER_TYPE, "parentId": component_id,
                "config": {"ldap.attribute": [ldap_attribute], "user.model.attribute": [user_attribute],
                           "read.only": ["true"], "always.read.value.from.ldap": ["false"]},
            }
    return component_id


def declared(key: str) -> bool:
    """Whether Keycloak would keep a config key: it keeps only those its provider declares, and none of
    groupid's own keys is one of them."""
    return not key.startswith("groupid.")


def read_component(state: RealmState, component_id: str, action: str) -> dict:
    """A component as Keycloak answers it: the bind password masked."""
    component = copy.deepcopy(_component(state, component_id, action))
    if BIND_CREDENTIAL in component["config"]:
        component["config"][BIND_CREDENTIAL] = [SECRET_MASK]
    return component


def update_component(state: RealmState, component_id: str, representation: dict, action: str) -> None:
    """Change the name and the config keys given; an empty key is removed, a masked password kept."""
    component = _component(state, component_id, action)
    if representation.get("name"):
        component["name"] = representation["name"]
    if representation.get("subType"):
        component["subType"] = representation["subType"]
    for key, values in (representation.get("config") or {}).items():
        if not declared(key):
            continue
        if not values or not values[0]:
            component["config"].pop(key, None)
        elif not (key == BIND_CREDENTIAL and values[0] == SECRET_MASK):
            component["config"][key] = list(values)


def delete_component(state: RealmState, component_id: str, action: str) -> None:
    """Forget a component and everything below it."""
    _component(state, component_id, action)
    doomed, stack = set(), [component_id]
    while stack:
        current = stack.pop()
        doomed.add(current)
        stack += [c["id"] for c in state.components.values() if c["parentId"] == current and c["id"] not in doomed]
    for gone in doomed:
        del state.components[gone]


def live_federations(state: RealmState) -> list[LiveFederation]:
    """The realm's LDAP federations, by name, each with its group mappers."""
    federations = [c for c in state.components.values()
                   if c["parentId"] == state.id and c.get("providerType") == USER_STORAGE_TYPE
                   and c.get("providerId") == LDAP_PROVIDER]
    return sorted((live_federation(f, [m for m in state.components.values() if m["parentId"] == f["id"]])
                   for f in federations), key=lambda f: f.name)


def _component(state: RealmState, component_id: str, action: str) -> dict:
    return found(state.components, component_id, action, "Could not find component")
