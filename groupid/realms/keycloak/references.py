"""Role references: a role is named ``name`` (a realm role) or ``clientId/name`` (a client's).

:class:`RolesByReference` gives the role methods of a :class:`~groupid.realms.base.RealmAdapter` in those terms;
both adapters, the real server's and the in-memory one, build on it.
"""

from __future__ import annotations

from abc import ABC, abstractmethod

from groupid.keycloak_terms import role_reference

class RolesByReference(ABC):
    """The role methods of :class:`~groupid.realms.base.RealmAdapter`, for realm and client roles alike, in terms
    of three that an adapter provides and that name a role by its reference (``name`` or ``clientId/name``)."""

    @abstractmethod
    def _create_role(self, realm: str, client_id: str | None, name: str, description: str | None,
                     attributes: dict[str, list[str]]) -> None:
        """Create a role of the realm (``client_id`` None) or of a client; its name is unique there."""

    @abstractmethod
    def _update_role(self, realm: str, ref: str, description: str | None, attributes: dict[str, list[str]]) -> None:
        """Replace the description (None clears it) and the attributes of the role ``ref``."""

    @abstractmethod
    def _delete_role(self, realm: str, ref: str) -> None:
        """Delete the role ``ref``; composites and group mappings lose it too."""

    def create_role(self, realm: str, name: str, description: str | None, attributes: dict[str, list[str]]) -> None:
        """Create a realm role."""
        self._create_role(realm, None, name, description, attributes)

    def update_role(self, realm: str, name: str, description: str | None, attributes: dict[str, list[str]]) -> None:
        """Replace a realm role's description (None clears it) and attributes."""
        self._update_role(realm, name, description, attributes)

    def delete_role(self, realm: str, name: str) -> None:
        """Delete a realm role; composites and group mappings lose it too."""
        self._delete_role(realm, name)

    def create_client_role(self, realm: str, client_id: str, name: str, description: str | None,
                           attributes: dict[str, list[str]]) -> None:
        """Create a role of the client whose clientId is ``client_id``; no such client is an error (HTTP 404)."""
        self._create_role(realm, client_id, name, description, attributes)

    def update_client_role(self, realm: str, client_id: str, name: str, description: str | None,
                           attributes: dict[str, list[str]]) -> None:
        """Replace a client role's description (None clears it) and attributes."""
        self._update_role(realm, role_reference(client_id, name), description, attributes)

    def delete_client_role(self, realm: str, client_id: str, name: str) -> None:
        """Delete a client role; composites and group mappings lose it too."""
        self._delete_role(realm, role_reference(client_id, name))


def reference_of(representation: dict, client_ids: dict[str, str]) -> str:
    """The reference of a RoleRepresentation; a client role's ``containerId`` is its client's id (in ``client_ids``)."""
    client_id = client_ids[representation["containerId"]] if representation.get("clientRole") else None
    return role_reference(client_id, representation["name"])
