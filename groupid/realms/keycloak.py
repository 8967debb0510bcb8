"""The adapter to a real Keycloak server, over its Admin REST API (through python-keycloak).

This is the one place where python-keycloak and requests errors are caught; they leave it as groupid errors
(:class:`KeycloakUnreachable`, :class:`AuthenticationFailed`, :class:`KeycloakError`). Reads never go N+1:
the group tree is fetched level by level with paginated ``/groups`` and ``/groups/{id}/children`` requests.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from urllib.parse import quote

import requests
from keycloak import KeycloakOpenIDConnection
from keycloak import exceptions as kc

from groupid.errors import AuthenticationFailed, Conflict, KeycloakError, KeycloakUnreachable, RealmExists
from groupid.realms.connection import ConnectionSettings

PAGE_SIZE = 500


@dataclass
class LiveGroup:
    """A group as read from Keycloak."""

    id: str
    name: str
    path: str
    attributes: dict[str, list[str]]
    parent_id: str | None = None
    subgroup_count: int = 0
    children: list[LiveGroup] = field(default_factory=list)

    @property
    def code(self) -> str | None:
        """The groupid code attribute, when the group carries one."""
        values = self.attributes.get("groupid.code") or [None]
        return values[0]


class KeycloakServer:
    """One Keycloak server, reached with the admin credentials of ``settings``.

    >>> server = KeycloakServer(ConnectionSettings.from_env())  # doctest: +SKIP
    >>> server.realm_exists("xinghe")  # doctest: +SKIP
    """

    def __init__(self, settings: ConnectionSettings):
        self.settings = settings
        self.requests = 0
        with self._translated("sign in"):
            self._connection = KeycloakOpenIDConnection(
                server_url=settings.server_url + "/",
                username=settings.admin_user,
                password=settings.admin_password,
                client_id=settings.client_id or "admin-cli",
                client_secret_key=settings.client_secret,
                realm_name=settings.auth_realm,
                user_realm_name=settings.auth_realm,
                verify=settings.verify,
                timeout=settings.timeout,
            )
            self._connection.get_token()

    # -- realms ------------------------------------------------------------------------------------------

    def realm_exists(self, realm: str) -> bool:
        """Whether a realm of that name exists."""
        return self._request("GET", f"admin/realms/{_q(realm)}", f"read realm {realm}", missing_ok=True) is not None

    def create_realm(self, representation: dict) -> None:
        """Create a realm from a full RealmRepresentation (Keycloak's own import); refuse to overwrite one."""
        realm = representation.get("realm", "")
        try:
            self._request("POST", "admin/realms", f"create realm {realm}", body=representation)
        except Conflict:
            raise RealmExists(f"realm '{realm}' already exists at {self.settings.server_url}; nothing was changed") from None

    def delete_realm(self, realm: str) -> None:
        """Delete a realm and everything in it."""
        self._request("DELETE", f"admin/realms/{_q(realm)}", f"delete realm {realm}")

    # -- reading state -----------------------------------------------------------------------------------

    def read_groups(self, realm: str, page_size: int = PAGE_SIZE) -> list[LiveGroup]:
        """The whole group tree of ``realm``, top-level groups with their descendants filled in."""
        base = f"admin/realms/{_q(realm)}/groups"
        action = f"read the groups of {realm}"
        roots = [self._live(g, None) for g in self._pages(base, action, page_size, briefRepresentation="false")]
        level = list(roots)
        while level:
            next_level = []
            for group in level:
                if group.subgroup_count:
                    pages = self._pages(f"{base}/{group.id}/children", action, page_size, briefRepresentation="false")
                    group.children = [self._live(c, group.id) for c in pages]
                    next_level += group.children
            level = next_level
        return roots

    def read_realm_roles(self, realm: str) -> dict[str, list[str]]:
        """Each realm role of ``realm`` mapped to the names of its realm-role composites."""
        base = f"admin/realms/{_q(realm)}/roles"
        roles = list(self._pages(base, f"read the roles of {realm}", PAGE_SIZE, briefRepresentation="false"))
        result = {}
        for role in roles:
            composites: list[str] = []
            if role.get("composite"):
                url = f"{base}/{_q(role['name'])}/composites/realm"
                composites = sorted(r["name"] for r in self._request("GET", url, f"read role {role['name']}"))
            result[role["name"]] = composites
        return result

    def read_user_profile(self, realm: str) -> dict:
        """The user profile configuration of ``realm``."""
        return self._request("GET", f"admin/realms/{_q(realm)}/users/profile", f"read the user profile of {realm}")

    def create_user(self, realm: str, user: dict) -> str:
        """Create a user; return its id."""
        response = self._request("POST", f"admin/realms/{_q(realm)}/users", "create a user", body=user, raw=True)
        return response.headers["Location"].rstrip("/").rsplit("/", 1)[-1]

    def read_user(self, realm: str, user_id: str) -> dict:
        """One user, with its attributes."""
        return self._request("GET", f"admin/realms/{_q(realm)}/users/{_q(user_id)}", "read a user")

    # -- transport ---------------------------------------------------------------------------------------

    def _pages(self, url: str, action: str, page_size: int, **params) -> Iterator[dict]:
        first = 0
        while True:
            page = self._request("GET", url, action, params={**params, "first": first, "max": page_size})
            yield from page
            if len(page) < page_size:
                return
            first += page_size

    def _live(self, data: dict, parent_id: str | None) -> LiveGroup:
        attributes = data.get("attributes") or {}
        return LiveGroup(data["id"], data["name"], data.get("path", ""), attributes, parent_id, data.get("subGroupCount", 0))

    def _request(self, method: str, path: str, action: str, *, body=None, params=None, missing_ok=False, raw=False):
        """Send one admin request; translate every failure into a groupid error."""
        self.requests += 1
        with self._translated(action):
            if method == "GET":
                response = self._connection.raw_get(path, **(params or {}))
            elif method == "POST":
                response = self._connection.raw_post(path, data=json.dumps(body))
            elif method == "PUT":
                response = self._connection.raw_put(path, data=json.dumps(body))
            else:
                response = self._connection.raw_delete(path)
            if missing_ok and response.status_code == 404:
                return None
            if response.status_code >= 400:
                raise self._refusal(action, response.status_code, response.content)
            if raw:
                return response
            return response.json() if response.content else None

    def _refusal(self, action: str, code: int | None, content) -> KeycloakError:
        """The groupid error for an HTTP error status answered to ``action``."""
        where = self.settings.server_url
        detail = _error_detail(content)
        if code == 401:
            return AuthenticationFailed(f"Keycloak at {where} refused the credentials of {self.settings.identity}")
        if code == 403:
            return AuthenticationFailed(f"{self.settings.identity} may not {action} at {where} (HTTP 403): it lacks admin rights")
        if code == 409:
            return Conflict(f"Keycloak at {where} refused to {action}: it already exists (HTTP 409){': ' + detail if detail else ''}")
        return KeycloakError(f"Keycloak at {where} refused to {action}: HTTP {code}{': ' + detail if detail else ''}")

    @contextmanager
    def _translated(self, action: str):
        """Turn python-keycloak and requests errors raised inside the block into groupid errors."""
        where = self.settings.server_url
        try:
            yield
        except kc.KeycloakConnectionError as exc:
            raise KeycloakUnreachable(f"Keycloak at {where} does not answer ({action}): {_short(exc.__cause__ or exc)}") from None
        except kc.KeycloakError as exc:
            if exc.response_code == 404:
                raise KeycloakError(
                    f"{where} answered HTTP 404 to {action}: no realm '{self.settings.auth_realm}' there; "
                    "is the server URL right (Keycloak before 17 needs the /auth suffix)?"
                ) from None
            raise self._refusal(action, exc.response_code, exc.error_message) from None
        except (ValueError, TypeError) as exc:
            # a JSON body that is not JSON, or python-keycloak's "unexpected response type": not a Keycloak
            raise KeycloakError(
                f"{where} did not answer like Keycloak to {action} ({_short(exc)}); is the server URL right?"
            ) from None
        except requests.RequestException as exc:
            raise KeycloakUnreachable(f"Keycloak at {where} does not answer ({action}): {_short(exc)}") from None


def _q(segment: str) -> str:
    return quote(segment, safe="")


def _error_detail(content) -> str:
    """The human part of a Keycloak error body (JSON with errorMessage / error_description), or its text."""
    text = content.decode("utf-8", "replace") if isinstance(content, bytes) else str(content or "")
    try:
        data = json.loads(text)
    except ValueError:
        return text.strip()[:300]
    if isinstance(data, dict):
        for key in ("errorMessage", "error_description", "error"):
            if data.get(key):
                return str(data[key])
    return text.strip()[:300]


def _short(exc: BaseException) -> str:
    """A one-line reason for a connection failure, without the nested urllib3 retry noise."""
    text = str(exc)
    for marker in ("Connection refused", "Name or service not known", "timed out", "certificate verify failed"):
        if marker in text:
            return marker
    return text.splitlines()[0][:200] if text else type(exc).__name__
