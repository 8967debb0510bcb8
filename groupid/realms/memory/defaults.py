"""What Keycloak 26.5 puts in every new realm, frozen: the in-memory realm's copy of Keycloak's defaults.

The in-memory realm knows nothing of the real server's adapter: it makes a new realm from this copy. The
contract suite reads a new realm's built-in clients, default role and the roles of Keycloak's own clients
through both adapters and compares them with this copy, so a Keycloak that changes them shows here.
"""

from __future__ import annotations

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
