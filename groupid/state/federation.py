"""The LDAP federations of the desired realms: each spec ``federation:`` entry as the config of Keycloak's LDAP
user-storage component, and of its group mapper, in the realm of its company.

The bind password is never part of it: the node names the environment variable apply reads it from.
"""

from __future__ import annotations

from dataclasses import replace

from groupid.model import Federation, Group, GroupMapper, company_realm
from groupid.state.nodes import Config, FederationNode, RealmState

SEARCH_SUBTREE = "2"
"""Keycloak's ``searchScope`` for the whole subtree below the users DN (``1`` is one level only)."""


def with_federations(group: Group, states: list[RealmState]) -> list[RealmState]:
    """``states`` with each realm's federations added."""
    by_realm: dict[str, list[FederationNode]] = {}
    for federation in group.federation:
        by_realm.setdefault(federation_realm(group, federation), []).append(federation_node(federation))
    return [replace(state, federations=tuple(by_realm.get(state.realm, ()))) for state in states]


def federation_realm(group: Group, federation: Federation) -> str:
    """The realm a federation goes to: that of its company (see :func:`~groupid.model.company_realm`)."""
    return company_realm(group, federation.company)


FEDERATION_KEYS = (
    ("enabled", "enabled"), ("vendor", "vendor"), ("connection_urls", "connectionUrl"), ("bind_dn", "bindDn"),
    ("users_dn", "usersDn"), ("user_object_classes", "userObjectClasses"),
    ("username_attribute", "usernameLDAPAttribute"), ("rdn_attribute", "rdnLDAPAttribute"),
    ("uuid_attribute", "uuidLDAPAttribute"), ("edit_mode", "editMode"), ("import_users", "importEnabled"),
    ("sync_registrations", "syncRegistrations"), ("full_sync_period", "fullSyncPeriod"),
    ("changed_sync_period", "changedSyncPeriod"), ("pagination", "pagination"), ("batch_size", "batchSizeForSync"),
)
"""Each spec key of a federation and the config key of Keycloak's LDAP component that holds it."""

GROUP_MAPPER_KEYS = (
    ("groups_dn", "groups.dn"), ("group_name_attribute", "group.name.ldap.attribute"),
    ("object_classes", "group.object.classes"), ("membership_attribute", "membership.ldap.attribute"),
    ("membership_attribute_type", "membership.attribute.type"), ("mode", "mode"),
    ("preserve_group_inheritance", "preserve.group.inheritance"), ("groups_path", "groups.path"),
)
"""Each spec key of a federation's group mapper and the config key of Keycloak's group mapper that holds it."""

LIST_SEPARATORS = {"connection_urls": " ", "user_object_classes": ", ", "object_classes": ", "}
"""How Keycloak joins the values of a spec list into one config text: URLs by spaces (it tries them in turn),
object classes by commas."""


def federation_node(federation: Federation) -> FederationNode:
    """The desired component of one federation: every config value a list of texts, as Keycloak keeps it."""
    config = _texts({**_config(federation, FEDERATION_KEYS), "authType": "simple", "searchScope": SEARCH_SUBTREE})
    mapper = _group_mapper(federation.group_mapper, federation) if federation.group_mapper else None
    return FederationNode(federation.name, config, federation.bind_password_env, mapper)


def federation_entry(config: Config, group_mapper: Config | None) -> dict:
    """The spec keys of a federation whose component (and group mapper) has this config: the reverse of
    :func:`federation_node`, for export. Keys the config lacks are left out, to take their defaults."""
    entry = _entry(config, FEDERATION_KEYS)
    if group_mapper is not None:
        entry["group_mapper"] = _entry(group_mapper, GROUP_MAPPER_KEYS)
    return entry


def _group_mapper(mapper: GroupMapper, federation: Federation) -> Config:
    return _texts({
        **_config(mapper, GROUP_MAPPER_KEYS),
        # with members by UID, a member is found by the attribute that holds the username
        "membership.user.ldap.attribute": federation.username_attribute,
        "user.roles.retrieve.strategy": "LOAD_GROUPS_BY_MEMBER_ATTRIBUTE",
        "ignore.missing.groups": False,
        "drop.non.existing.groups.during.sync": False,
    })


def _config(record: Federation | GroupMapper, keys: tuple[tuple[str, str], ...]) -> dict:
    values = {}
    for field, key in keys:
        value = getattr(record, field)
        values[key] = LIST_SEPARATORS[field].join(value) if field in LIST_SEPARATORS else value
    return values


def _entry(config: Config, keys: tuple[tuple[str, str], ...]) -> dict:
    entry: dict = {}
    for field, key in keys:
        if not config.get(key):
            continue
        text = config[key][0]
        if field in LIST_SEPARATORS:
            entry[field] = [part.strip() for part in text.split(LIST_SEPARATORS[field].strip() or None) if part.strip()]
        elif text in ("true", "false"):
            entry[field] = text == "true"
        elif text.lstrip("-").isdigit():
            entry[field] = int(text)
        else:
            entry[field] = text
    return entry


def _texts(values: dict[str, str | int | bool]) -> Config:
    """Each value as the one text of a list: booleans as ``true``/``false``, numbers as digits."""
    return {key: [str(value).lower() if isinstance(value, bool) else str(value)] for key, value in values.items()}
