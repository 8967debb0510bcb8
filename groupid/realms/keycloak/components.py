"""A realm's components over the Admin REST API: its LDAP federations and their mappers.

``GET /admin/realms/{realm}/components?parent=…&type=…`` lists the components below one parent: the realm's id
for a user federation, a federation's id for its mappers. Keycloak answers a federation's ``bindCredential``
masked; the live state leaves it out (:func:`~groupid.realms.representations.live_component`).
"""

from __future__ import annotations

from groupid.keycloak_terms import LDAP_MAPPER_TYPE, LDAP_PROVIDER, USER_STORAGE_TYPE
from groupid.realms.keycloak.transport import AdminTransport, admin_url, created_id
from groupid.realms.live import LiveFederation
from groupid.realms.representations import live_federation


class Components:
    """The component requests of a :class:`~groupid.realms.keycloak.KeycloakServer`, over its transport."""

    def __init__(self, transport: AdminTransport):
        self.transport = transport

    def listed(self, realm: str, parent: str, provider_type: str) -> list[dict]:
        """The components of ``provider_type`` whose parent is ``parent`` (an id)."""
        action = f"read the components of {realm}"
        params = {"parent": parent, "type": provider_type}
        return self.transport.request("GET", admin_url(realm, "components"), action, params=params) or []

    def federations(self, realm: str, realm_id: str) -> list[LiveFederation]:
        """The LDAP federations of the realm whose id is ``realm_id``, by name, each with its mappers read: one
        request, and one more per federation."""
        found = [c for c in self.listed(realm, realm_id, USER_STORAGE_TYPE) if c.get("providerId") == LDAP_PROVIDER]
        return sorted((live_federation(c, self.listed(realm, c["id"], LDAP_MAPPER_TYPE)) for c in found),
                      key=lambda f: f.name)

    def realm_id(self, realm: str) -> str:
        """The realm's id, which its user federations name as their parent."""
        return self.transport.request("GET", admin_url(realm), f"read realm {realm}")["id"]

    def create(self, realm: str, representation: dict) -> str:
        """Create a component and return its id; one without ``parentId`` belongs to the realm."""
        body = dict(representation)
        if not body.get("parentId"):
            body["parentId"] = self.realm_id(realm)
        action = f"create component '{body.get('name')}' in {realm}"
        return created_id(self.transport.request("POST", admin_url(realm, "components"), action, body=body, raw=True))

    def read(self, realm: str, component_id: str) -> dict:
        """One component as Keycloak answers it: its bind password masked."""
        return self.transport.request("GET", admin_url(realm, "components", component_id),
                                      f"read component {component_id} of {realm}")

    def update(self, realm: str, component_id: str, representation: dict) -> None:
        """Change a component's name, its subType when given, and the config keys given. Keycloak's PUT wants the whole representation
        (its providerId, providerType and parentId too): those are taken from the stored component."""
        current = self.read(realm, component_id)
        body = {key: current[key] for key in ("id", "name", "providerId", "providerType", "parentId", "subType")
                if key in current}
        body["name"] = representation.get("name") or body.get("name")
        if representation.get("subType"):
            body["subType"] = representation["subType"]
        body["config"] = {**(current.get("config") or {}), **(representation.get("config") or {})}
        self.transport.request("PUT", admin_url(realm, "components", component_id),
                               f"update component {component_id} of {realm}", body=body)

    def delete(self, realm: str, component_id: str) -> None:
        """Delete a component; Keycloak deletes its mappers with it (and the users a federation imported)."""
        self.transport.request("DELETE", admin_url(realm, "components", component_id),
                               f"delete component {component_id} of {realm}")
