"""What Keycloak 26.5 puts in every new realm, frozen: the in-memory realm's copy of Keycloak's defaults.

The in-memory realm knows nothing of the real server's adapter: it makes a new realm from this copy. The
contract suite reads a new realm's built-in clients, default role and the roles of Keycloak's own clients
through both adapters and compares them with this copy, so a Keycloak that changes them shows here.
"""

from __future__ import annotations

COPIED_RELEASE = (26, 5)
"""The Keycloak release this copy is taken from, and the one the in-memory realm behaves as."""

REALM_MANAGEMENT_ROLES = (
    "create-client", "impersonation", "manage-authorization", "manage-clients", "manage-events",
    "manage-identity-providers", "manage-realm", "manage-users", "query-clients", "query-groups", "query-realms",
    "query-users", "view-authorization", "view-clients", "view-events", "view-identity-providers", "view-realm",
    "view-users",
)
"""The roles of the client ``realm-management`` in a new realm (``realm-admin`` holds them all)."""

BUILT_IN_CLIENT_ROLES = {
    "account": {
        "delete-account": [], "manage-account": ["manage-account-links"], "manage-account-links": [],
        "manage-consent": ["view-consent"], "view-applications": [], "view-consent": [], "view-groups": [],
        "view-profile": [],
    },
    "broker": {"read-token": []},
    "realm-management": {
        **{name: [] for name in REALM_MANAGEMENT_ROLES},
        "view-clients": ["query-clients"], "view-users": ["query-groups", "query-users"],
        "realm-admin": list(REALM_MANAGEMENT_ROLES),
    },
}
"""The roles of Keycloak's own clients in a new realm, by clientId, with their composites (roles of the same
client); each is described as ``${role_<name>}``. The realm roles of a new realm are
:data:`~groupid.keycloak_terms.KEYCLOAK_DEFAULT_ROLES` and its default role."""

LATER_CLIENT_ROLES = (
    ((26, 7), {"realm-management": {
        "manage-organizations": [], "query-organizations": [], "view-organizations": ["query-organizations"]}}),
)
"""Roles later releases add to their own clients, by the first release they were seen in (26.7.3 has the
organization roles, 26.5.6 does not; 26.6 was not looked at). ``realm-admin`` holds the added roles too."""


def built_in_client_roles(release: tuple[int, ...] = COPIED_RELEASE) -> dict[str, dict[str, list[str]]]:
    """The roles of Keycloak's own clients in a new realm of ``release``, shaped as :data:`BUILT_IN_CLIENT_ROLES`.

    The in-memory realm makes its realms as :data:`COPIED_RELEASE` does; the contract suite compares a real
    server with the copy of its own release.
    """
    roles = {client: {name: list(composites) for name, composites in named.items()}
             for client, named in BUILT_IN_CLIENT_ROLES.items()}
    for since, added in LATER_CLIENT_ROLES:
        if release[:len(since)] < since:
            continue
        for client, named in added.items():
            roles[client].update({name: list(composites) for name, composites in named.items()})
            if client == "realm-management":
                roles[client]["realm-admin"] = sorted({*roles[client]["realm-admin"], *named})
    return roles

DEFAULT_ROLE_COMPOSITES = ("offline_access", "uma_authorization", "account/view-profile", "account/manage-account")
"""What the default role of a new realm is made of (role references)."""

BUILT_IN_CLIENTS = (
    {"clientId": "account", "publicClient": True,
     "rootUrl": "${authBaseUrl}", "redirectUris": ["/realms/{realm}/account/*"]},
    {"clientId": "account-console", "publicClient": True,
     "rootUrl": "${authBaseUrl}", "redirectUris": ["/realms/{realm}/account/*"]},
    {"clientId": "admin-cli", "publicClient": True},
    {"clientId": "broker", "bearerOnly": True, "attributes": {"realm_client": "true"}},
    {"clientId": "realm-management", "bearerOnly": True, "attributes": {"realm_client": "true"}},
    {"clientId": "security-admin-console", "publicClient": True,
     "rootUrl": "${authAdminUrl}", "redirectUris": ["/admin/{realm}/console/*"]},
)
"""The clients Keycloak gives every new realm, reduced to what a ``LiveClient`` shows (``{realm}``: the realm's
name); their clientIds are :data:`~groupid.keycloak_terms.KEYCLOAK_CLIENTS`."""

CLIENT_DEFAULTS = {"enabled": True, "publicClient": False, "bearerOnly": False, "redirectUris": []}
"""The fields of a new client that its representation does not give, as Keycloak fills them in."""

REALM_CLIENT_SCOPES = ("acr", "address", "basic", "email", "microprofile-jwt", "offline_access", "organization", "phone",
                       "profile", "role_list", "roles", "saml_organization", "service_account", "web-origins")
"""The client scopes Keycloak gives every new realm."""

DEFAULT_CLIENT_SCOPES = {
    "openid-connect": ("acr", "basic", "email", "profile", "roles", "web-origins"),
    "saml": ("role_list", "saml_organization"),
}
"""The default client scopes a new client of each protocol gets when its representation names none."""

OPTIONAL_CLIENT_SCOPES = {
    "openid-connect": ("address", "microprofile-jwt", "offline_access", "organization", "phone"),
    "saml": (),
}
"""The optional client scopes a new client of each protocol gets when its representation names none."""
