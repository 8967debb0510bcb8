"""A client's parts that Keycloak's PUT of a client does not bring in line: its protocol mappers and client
scopes, its secret, and who holds a session with it.

Keycloak's PUT of a client merges: a field left out stays, attributes are merged key by key. Mappers given in
it replace the client's in some releases and not in others, and default client scopes it ignores; so the PUT is
sent without either, and each is then brought to what is wanted through its own endpoints, mappers matched by
name. Nothing here is kept of a secret beyond the call that asked for it.
"""

from __future__ import annotations

from groupid.errors import KeycloakError
from groupid.realms.keycloak.transport import AdminTransport, admin_url, created_id
from groupid.text import escape

PARTS = ("protocolMappers", "defaultClientScopes", "optionalClientScopes")
"""The fields of a ClientRepresentation that are written through their own endpoints on an update."""


class ClientParts:
    """The writes and reads of one client's parts, over a :class:`AdminTransport`; clients named by their id."""

    def __init__(self, transport: AdminTransport):
        self.transport = transport

    def create(self, realm: str, representation: dict) -> str:
        """Create a client, mappers and default client scopes with it (Keycloak takes both on creation); its id."""
        action = f"create client '{representation.get('clientId')}' in {realm}"
        return created_id(self.transport.request("POST", admin_url(realm, "clients"), action, body=representation, raw=True))

    def update(self, realm: str, uuid: str, representation: dict) -> None:
        """PUT the representation without its mappers and scopes, then bring those to what it holds (when it
        holds them): what groupid does not set stays as it is."""
        url, action = admin_url(realm, "clients", uuid), f"update client {uuid} of {realm}"
        self.transport.request("PUT", url, action, body={k: v for k, v in representation.items() if k not in PARTS})
        if "protocolMappers" in representation:
            self.set_mappers(realm, uuid, representation["protocolMappers"])
        for kind in ("default", "optional"):
            if f"{kind}ClientScopes" in representation:
                self.set_scopes(realm, uuid, representation[f"{kind}ClientScopes"], kind)

    def set_mappers(self, realm: str, uuid: str, wanted: list[dict]) -> None:
        """Make the client's protocol mappers ``wanted``, by name: new ones created, changed ones updated (one of
        another type recreated), the others deleted."""
        url = admin_url(realm, "clients", uuid, "protocol-mappers", "models")
        action = f"set the protocol mappers of client {uuid} of {realm}"
        live = {mapper["name"]: mapper for mapper in self.transport.request("GET", url, action)}
        for mapper in wanted:
            current = live.pop(mapper["name"], None)
            if current is not None and current.get("protocolMapper") != mapper.get("protocolMapper"):
                self.transport.request("DELETE", f"{url}/{current['id']}", action)
                current = None
            if current is None:
                self.transport.request("POST", url, action, body=mapper)
            elif _differs(current, mapper):
                self.transport.request("PUT", f"{url}/{current['id']}", action, body={**mapper, "id": current["id"]})
        for mapper in live.values():
            self.transport.request("DELETE", f"{url}/{mapper['id']}", action)

    def set_scopes(self, realm: str, uuid: str, wanted: list[str], kind: str = "default") -> None:
        """Make the client's ``kind`` ("default" or "optional") client scopes the realm's scopes named ``wanted``;
        an unknown name is a :class:`KeycloakError` naming it, before anything changes."""
        other = "optional" if kind == "default" else "default"
        action = f"set the {kind} client scopes of client {uuid} of {realm}"
        current = {s["name"]: s["id"] for s in self.transport.request("GET", admin_url(realm, "clients", uuid, f"{kind}-client-scopes"), action)}
        missing = [name for name in wanted if name not in current]
        if missing:
            scopes = {s["name"]: s["id"] for s in self.transport.request("GET", admin_url(realm, "client-scopes"), action)}
            unknown = [name for name in missing if name not in scopes]
            if unknown:
                raise KeycloakError(f"Keycloak at {self.transport.settings.server_url} cannot {action}: realm {realm} "
                                    f"has no client scope '{escape(unknown[0])}'")
            others = {s["name"] for s in self.transport.request("GET", admin_url(realm, "clients", uuid, f"{other}-client-scopes"), action)}
            for name in missing:
                if name in others:  # a scope is default or optional for a client, never both
                    self.transport.request("DELETE", admin_url(realm, "clients", uuid, f"{other}-client-scopes", scopes[name]), action)
                self.transport.request("PUT", admin_url(realm, "clients", uuid, f"{kind}-client-scopes", scopes[name]), action)
        for name, scope_id in current.items():
            if name not in wanted:
                self.transport.request("DELETE", admin_url(realm, "clients", uuid, f"{kind}-client-scopes", scope_id), action)

    def rotate_secret(self, realm: str, uuid: str, client_id: str) -> str:
        """Give the confidential client a new secret Keycloak generates, and return it; never logged or stored."""
        action = f"rotate the secret of client '{client_id}' of {realm}"
        secret = self.transport.request("POST", admin_url(realm, "clients", uuid, "client-secret"), action)
        if not (secret or {}).get("value"):
            raise KeycloakError(f"Keycloak at {self.transport.settings.server_url} cannot {action}: it is a public or bearer-only client")
        return secret["value"]

    def session_users(self, realm: str, uuid: str, client_id: str) -> list[str]:
        """The ids of the users holding a session with the client, each once."""
        url, action = admin_url(realm, "clients", uuid, "user-sessions"), f"read the sessions of client '{client_id}' of {realm}"
        return list(dict.fromkeys(session["userId"] for session in self.transport.pages(url, action)))

    def effective_roles(self, realm: str, user_id: str, uuid: str) -> list[str]:
        """The names of the client's roles a user holds in effect: directly, through groups, composites and the
        default roles."""
        url = admin_url(realm, "users", user_id, "role-mappings", "clients", uuid, "composite")
        return sorted(role["name"] for role in self.transport.request("GET", url, f"read the roles of user {user_id} of {realm}"))


def _differs(live: dict, wanted: dict) -> bool:
    """Whether a live mapper differs from the wanted one in what groupid sets (Keycloak adds config of its own)."""
    config = live.get("config") or {}
    return live.get("protocol") != wanted.get("protocol") or any(
        config.get(key) != value for key, value in (wanted.get("config") or {}).items())
