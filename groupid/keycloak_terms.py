"""Keycloak's own terms, and the marks groupid leaves on Keycloak's objects: one home for both.

Everything here is a fact about Keycloak (the clients and roles it gives every realm, how a role is referred
to, what its default role is called, which user attributes a realm keeps) or a mark groupid writes into it
(the attributes that say "groupid made this, under this code"). Nothing here imports the rest of groupid, so
the model, the planner, both realm adapters and the people engine can all say the same thing the same way.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

ATTR_CODE = "groupid.code"
"""The attribute carrying the spec code of a group or organization: its identity, whatever its name or place."""

ATTR_KIND = "groupid.kind"
"""The attribute saying what a group stands for: ``company`` or ``department``."""

ATTR_MANAGED = "groupid.managed"
"""Marks an object groupid created and owns; only owned objects are ever pruned."""

ATTR_APP = "groupid.app"
"""The client attribute naming the app (its ``id`` in the spec) a client was made for."""

ATTR_TEMPLATE = "groupid.template"
"""The client attribute naming the template an app's client was made from."""

ACCESS_ROLE = "groupid-access"
"""The client role of an app whose holders may sign in to it; only apps with an audience have it."""

SIGN_IN_FLOW_PREFIX = "groupid-sign-in-"
"""How the alias of an app's own browser flow (the one that refuses whoever lacks its access role) begins."""

USER_STORAGE_TYPE = "org.keycloak.storage.UserStorageProvider"
"""The providerType of a user federation component (its parent is the realm)."""

LDAP_PROVIDER = "ldap"
"""The providerId of Keycloak's LDAP user federation."""

LDAP_MAPPER_TYPE = "org.keycloak.storage.ldap.mappers.LDAPStorageMapper"
"""The providerType of the mappers of an LDAP federation (their parent is the federation)."""

GROUP_MAPPER_PROVIDER = "group-ldap-mapper"
"""The providerId of the mapper that brings a directory's groups. Keycloak's own default mappers (username,
email, names, dates) have other providerIds; groupid never reads or touches them."""

MANAGED_SUBTYPE = "groupid.managed"
"""The ``subType`` that marks a component groupid made: an LDAP federation or its group mapper. Keycloak keeps only
the config keys a component's provider declares (a mark in the config is dropped), while it stores the
``subType`` it is given; user storage and LDAP mappers have no subType of their own."""

BIND_CREDENTIAL = "bindCredential"
"""The config key of an LDAP federation's bind password: Keycloak answers it masked, groupid never reads it."""

LOCK_MARK = "groupid.lock"
"""The attribute that makes a client scope a lock (:mod:`groupid.realms.locks`), and made a realm role one in
older groupids. Such lock roles are left out of a realm's live roles: they come and go with the runs that hold
them and are no part of the realm's design."""

KEYCLOAK_CLIENTS = frozenset(
    {"account", "account-console", "admin-cli", "broker", "realm-management", "security-admin-console"}
)
"""The clientIds of the clients Keycloak gives every realm. Their roles are Keycloak's: a spec may refer to them
(``realm-management/view-users``) without defining them, and they are not read as part of a realm's design."""

KEYCLOAK_DEFAULT_ROLES = {"offline_access": "${role_offline-access}", "uma_authorization": "${role_uma_authorization}"}
"""The realm roles Keycloak puts in a new realm's default role, with their descriptions; groupid leaves them there."""

KEEPS_UNDECLARED = frozenset({"ENABLED", "ADMIN_EDIT"})
"""The user profile's ``unmanagedAttributePolicy`` values under which Keycloak keeps attributes it does not declare."""

SHOWS_UNDECLARED = KEEPS_UNDECLARED | {"ADMIN_VIEW"}
"""The ``unmanagedAttributePolicy`` values under which Keycloak shows an admin the stored attributes it does not
declare (``ADMIN_VIEW`` shows them, and keeps none written)."""

ROOT_ATTRIBUTES = frozenset({"username", "email", "firstName", "lastName"})
"""The user-profile attributes a UserRepresentation carries as fields of its own, not among its attributes."""


def default_role_name(realm: str) -> str:
    """The composite role Keycloak grants every user of ``realm``; default roles are its composites."""
    return f"default-roles-{realm}"


def split_reference(ref: str) -> tuple[str | None, str]:
    """The clientId (None for a realm role) and the name of the role ``ref`` refers to.

    Role names never contain ``/``; clientIds may (a SAML client's is often a URL): the name is what follows the
    last one.
    """
    client_id, _, name = ref.rpartition("/")
    return client_id or None, name


def role_reference(client_id: str | None, name: str) -> str:
    """How a role is referred to: ``name`` for a realm role, ``clientId/name`` for a client's."""
    return f"{client_id}/{name}" if client_id else name


def sign_in_flow_alias(client_id: str) -> str:
    """The alias of the browser flow that lets only holders of the client's access role sign in to it."""
    return f"{SIGN_IN_FLOW_PREFIX}{client_id}"


def is_keycloak_role(ref: str) -> bool:
    """Whether ``ref`` names a role of one of Keycloak's own clients (``realm-management/view-users``)."""
    client_id, name = split_reference(ref)
    return bool(name) and client_id in KEYCLOAK_CLIENTS


def keeps_attribute(profile: Mapping | None, name: str) -> bool:
    """Whether a realm with the user profile ``profile`` keeps a user attribute called ``name``.

    Keycloak 24+ drops, without a word, every attribute its user profile neither declares nor lets through
    with ``unmanagedAttributePolicy``.
    """
    profile = profile or {}
    if profile.get("unmanagedAttributePolicy") in KEEPS_UNDECLARED:
        return True
    return any(attribute.get("name") == name for attribute in profile.get("attributes", []))


def shown_to_admins(profile: Mapping) -> Callable[[str], bool]:
    """Which stored attributes Keycloak shows an admin who reads a user through the user profile (``profile``:
    the realm's UPConfig), as the full pages of ``GET /users`` do: a declared attribute that admins may view or
    edit, and an undeclared one under :data:`SHOWS_UNDECLARED`. A group's member list answers every stored
    attribute instead, those a partial import kept undeclared too; this makes it read like the pages."""
    declared = {attribute["name"]: attribute.get("permissions") or {} for attribute in profile.get("attributes") or ()}
    undeclared_shown = profile.get("unmanagedAttributePolicy") in SHOWS_UNDECLARED

    def shown(name: str) -> bool:
        if name in ROOT_ATTRIBUTES:
            return False
        if name not in declared:
            return undeclared_shown
        return any("admin" in (declared[name].get(kind) or ()) for kind in ("view", "edit"))

    return shown


def role_string(ref: str) -> str:
    """A role reference as Keycloak's role conditions and mappers spell it: ``name``, or ``clientId.name``."""
    client_id, name = split_reference(ref)
    return f"{client_id}.{name}" if client_id else name


def role_from_string(text: str, client_ids: set[str] | frozenset[str]) -> str:
    """The reference of the role Keycloak finds for ``text`` (``name`` or ``clientId.name``) in a realm whose
    clients are ``client_ids``: as Keycloak does, every split at a dot from the last one is tried as a clientId
    first, then the whole text is a realm role's name."""
    index = text.rfind(".")
    while index >= 0:
        if text[:index] in client_ids:
            return role_reference(text[:index], text[index + 1:])
        index = text.rfind(".", 0, index)
    return text
