"""The LDAP federations of the desired realms: each spec ``federation:`` entry as the config of Keycloak's LDAP
user-storage component, and of its group mapper, in the realm of its company.

The bind password is never part of it: the node names the environment variable apply reads it from.
"""

from __future__ import annotations

from dataclasses import replace

from groupid.model import Federation, Group, GroupMapper, Topology, own_realm_name
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
    """The realm a federation goes to: that of its company (the nearest one with a realm of its own, under
    topology realm-per-company), else the group's."""
    if federation.company is None or group.topology is not Topology.REALM_PER_COMPANY:
        return group.realm
    companies = {company.code: company for company in group.companies}
    code, seen = federation.company, set()
    while code in companies and code not in seen:
        seen.add(code)
        company = companies[code]
        if company.own_realm:
            return own_realm_name(group.realm, company)
        code = company.parent
    return group.realm


def federation_node(federation: Federation) -> FederationNode:
    """The desired component of one federation: every config value a list of texts, as Keycloak keeps it."""
    config = _texts({
        "enabled": federation.enabled,
        "vendor": federation.vendor,
        "connectionUrl": " ".join(federation.connection_urls),  # Keycloak tries them in turn
        "authType": "simple",
        "bindDn": federation.bind_dn,
        "usersDn": federation.users_dn,
        "userObjectClasses": ", ".join(federation.user_object_classes),
        "usernameLDAPAttribute": federation.username_attribute,
        "rdnLDAPAttribute": federation.rdn_attribute,
        "uuidLDAPAttribute": federation.uuid_attribute,
        "searchScope": SEARCH_SUBTREE,
        "editMode": federation.edit_mode,
        "importEnabled": federation.import_users,
        "syncRegistrations": federation.sync_registrations,
        "fullSyncPeriod": federation.full_sync_period,
        "changedSyncPeriod": federation.changed_sync_period,
        "pagination": federation.pagination,
    })
    mapper = _group_mapper(federation.group_mapper, federation) if federation.group_mapper else None
    return FederationNode(federation.name, config, federation.bind_password_env, mapper)


def _group_mapper(mapper: GroupMapper, federation: Federation) -> Config:
    return _texts({
        "groups.dn": mapper.groups_dn,
        "group.name.ldap.attribute": mapper.group_name_attribute,
        "group.object.classes": ", ".join(mapper.object_classes),
        "membership.ldap.attribute": mapper.membership_attribute,
        "membership.attribute.type": mapper.membership_attribute_type,
        # with members by UID, a member is found by the attribute that holds the username
        "membership.user.ldap.attribute": federation.username_attribute,
        "mode": mapper.mode,
        "preserve.group.inheritance": mapper.preserve_group_inheritance,
        "user.roles.retrieve.strategy": "LOAD_GROUPS_BY_MEMBER_ATTRIBUTE",
        "ignore.missing.groups": False,
        "drop.non.existing.groups.during.sync": False,
    })


def _texts(values: dict[str, str | int | bool]) -> Config:
    """Each value as the one text of a list: booleans as ``true``/``false``, numbers as digits."""
    return {key: [str(value).lower() if isinstance(value, bool) else str(value)] for key, value in values.items()}
