"""A realm's client scopes over the Admin REST API, by name: what groupid's run lock is kept in.

``/admin/realms/{realm}/client-scopes`` lists every scope of the realm with its attributes (a realm has about
ten), and each scope is addressed by its id; Keycloak answers a second scope of the same name with HTTP 409.
"""

from __future__ import annotations

from groupid.errors import KeycloakError
from groupid.realms.keycloak.transport import AdminTransport, admin_url

PROTOCOL = "openid-connect"
HIDDEN = {"include.in.token.scope": "false", "display.on.consent.screen": "false"}
"""Attributes that keep a scope of groupid's own out of tokens and consent screens, should a client take it."""


class ClientScopes:
    """The client scope requests of a :class:`~groupid.realms.keycloak.KeycloakServer`, over its transport."""

    def __init__(self, transport: AdminTransport):
        self.transport = transport

    def create(self, realm: str, name: str, description: str | None, attributes: dict[str, str]) -> None:
        """Create a scope; one of that name is a :class:`~groupid.errors.Conflict`."""
        action = f"create client scope '{name}' in {realm}"
        self.transport.request("POST", admin_url(realm, "client-scopes"), action,
                               body=_scope_body(name, description, attributes))

    def read_attributes(self, realm: str, name: str) -> dict[str, str] | None:
        """A scope's attributes (those that hide it left out); None when there is no such scope."""
        scope = self._find(realm, name, f"read client scope '{name}' of {realm}")
        if scope is None:
            return None
        return {key: value for key, value in (scope.get("attributes") or {}).items() if key not in HIDDEN}

    def update(self, realm: str, name: str, description: str | None, attributes: dict[str, str]) -> None:
        """Replace a scope's description and attributes; no such scope is a :class:`~groupid.errors.KeycloakError`."""
        action = f"update client scope '{name}' of {realm}"
        scope = self._find(realm, name, action)
        if scope is None:
            raise KeycloakError(f"Keycloak at {self.transport.settings.server_url} refused to {action}: "
                                "there is no such client scope (HTTP 404)")
        body = {**_scope_body(name, description, attributes), "id": scope["id"]}
        self.transport.request("PUT", admin_url(realm, "client-scopes", scope["id"]), action, body=body)

    def discard(self, realm: str, name: str) -> None:
        """Delete a scope; nothing happens when there is none."""
        action = f"delete client scope '{name}' of {realm}"
        scope = self._find(realm, name, action)
        if scope is not None:
            self.transport.request("DELETE", admin_url(realm, "client-scopes", scope["id"]), action, missing_ok=True)

    def _find(self, realm: str, name: str, action: str) -> dict | None:
        listed = self.transport.request("GET", admin_url(realm, "client-scopes"), action) or []
        return next((scope for scope in listed if scope.get("name") == name), None)


def _scope_body(name: str, description: str | None, attributes: dict[str, str]) -> dict:
    """The ClientScopeRepresentation groupid writes."""
    return {"name": name, "description": description, "protocol": PROTOCOL, "attributes": {**attributes, **HIDDEN}}
