"""Admin requests: sent, counted, their failures translated, and paginated lists walked, a few pages at once.

This is the one place where python-keycloak and requests errors are caught; they leave it as groupid errors
(:class:`KeycloakUnreachable`, :class:`AuthenticationFailed`, :class:`KeycloakError`, :class:`Conflict`).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager, nullcontext
from datetime import datetime, timezone
from urllib.parse import quote

import requests
from keycloak import KeycloakOpenIDConnection
from keycloak import exceptions as kc

from groupid.errors import AuthenticationFailed, Conflict, KeycloakError, KeycloakUnreachable
from groupid.realms.connection import ConnectionSettings

PAGE_SIZE = 100
"""Entries per paginated request. Keycloak 26.5 answers a group search page in a time that grows faster than its
size (on a laptop about 0.07 s for 100 matches, 0.6 s for 500, 2 s for 1000), so larger pages save requests but
not time: 100 reads 3,000 managed groups in 31 search requests and about 1.5 s."""

CLASHES_ANSWERED_400 = ("is already linked to another organization",)
"""Keycloak answers some clashes with what exists with HTTP 400, not 409: these words in the answer say it is one
(an email domain another organization has). They are :class:`Conflict` here, like any 409."""


class AdminTransport:
    """The requests of a :class:`~groupid.realms.keycloak.KeycloakServer`: it provides the signed-in
    ``_connection``, its ``settings``, the ``page_size`` and the ``requests`` counter.

    Requests may be sent from several threads at once: the counter, the token refresh and the longer timeouts
    some requests ask for are guarded by :meth:`_start_transport`'s locks.
    """

    settings: ConnectionSettings
    page_size: int
    requests: int
    _connection: KeycloakOpenIDConnection

    def _start_transport(self) -> None:
        """Set the counter and the locks up; called once, before the first request."""
        self.requests = 0
        self._count_lock = threading.Lock()
        self._token_lock = threading.Lock()
        self._timeout_lock = threading.Lock()
        self._long_timeouts: list[float] = []

    def _pages(self, url: str, action: str, *, matched: Callable[[list], int] = len, start: int = 0,
               size: int | None = None, at_once: int = 1, **params) -> Iterator[dict]:
        """Every entry of a paginated list, ``size`` (by default ``page_size``) to a page; ``matched`` counts the
        entries of a page that ``max`` limits.

        After a full first page, ``at_once`` pages are asked for at a time, before it is known whether the list
        goes on that far: a list longer than a page costs up to ``at_once - 1`` requests past its end.
        """
        size = size or self.page_size

        def page(first: int) -> list:
            return self._request("GET", url, action, params={**params, "first": first, "max": size})

        first_page = page(start)
        yield from first_page
        if matched(first_page) < size:
            return
        first = start + size
        with ThreadPoolExecutor(max_workers=at_once) if at_once > 1 else nullcontext() as pool:
            while True:
                offsets = range(first, first + size * at_once, size)
                if pool is None:
                    window = map(page, offsets)
                else:  # the whole window is sent, past a short page too: the request count does not hang on timing
                    window = (future.result() for future in [pool.submit(page, offset) for offset in offsets])
                for entries in window:
                    yield from entries
                    if matched(entries) < size:
                        return
                first += size * at_once

    def _request(self, method: str, path: str, action: str, *, body=None, params=None, missing_ok=False,
                 forbidden_ok=False, none_for: tuple[int, ...] = (), raw=False, timeout: float | None = None):
        """Send one admin request; translate every failure into a groupid error.

        ``missing_ok`` answers None for HTTP 404, ``forbidden_ok`` None for HTTP 403, and ``none_for`` None for
        the statuses it lists, instead of raising; ``timeout`` lets this request take that many seconds when the
        connection's timeout is shorter.
        """
        none_for = (*none_for, *((404,) if missing_ok else ()), *((403,) if forbidden_ok else ()))
        with self._count_lock:
            self.requests += 1
        data = None if body is None else json.dumps(body)
        with self._translated(action), self._timeout_at_least(timeout):
            self._fresh_token()
            if method == "GET":
                response = self._connection.raw_get(path, **(params or {}))
            elif method == "POST":
                response = self._connection.raw_post(path, data=data, **(params or {}))
            elif method == "PUT":
                response = self._connection.raw_put(path, data=data)
            else:
                response = self._connection.raw_delete(path, data=data)
            if response.status_code in none_for:
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
        if code == 400 and any(words in detail for words in CLASHES_ANSWERED_400):
            return Conflict(f"Keycloak at {where} refused to {action}: it clashes with what exists (HTTP 400): {detail}")
        return KeycloakError(f"Keycloak at {where} refused to {action}: HTTP {code}{': ' + detail if detail else ''}")

    def _fresh_token(self) -> None:
        """Refresh an expired access token once, however many threads find it expired.

        python-keycloak refreshes on its own before a request, but unguarded: threads that find the token
        expired together would all refresh it. Here the first one does, under a lock; the others then find it
        fresh, and python-keycloak's own check finds nothing to do.
        """
        expires_at = self._connection.expires_at
        if expires_at is None or datetime.now(tz=timezone.utc) < expires_at:
            return
        with self._token_lock:
            if self._connection.expires_at == expires_at:
                self._connection.refresh_token()

    @contextmanager
    def _timeout_at_least(self, seconds: float | None):
        """Within the block, requests may take ``seconds`` (None: the connection's timeout) if that is longer.

        The timeout is the connection's, shared by all threads: while any block asks for a longer one, every
        request gets the longest asked for — never shorter than its own — and the usual one comes back when the
        last such block ends.
        """
        usual = self.settings.timeout
        if not seconds or (usual and seconds <= usual):
            yield
            return
        with self._timeout_lock:
            self._long_timeouts.append(seconds)
            self._connection.timeout = max(self._long_timeouts)
        try:
            yield
        finally:
            with self._timeout_lock:
                self._long_timeouts.remove(seconds)
                self._connection.timeout = max(self._long_timeouts, default=usual)

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


def _url(realm: str, *segments: str) -> str:
    """The admin path of ``realm`` or of something in it, every segment quoted."""
    return "/".join(["admin/realms", *(quote(segment, safe="") for segment in (realm, *segments))])


def _created_id(response) -> str:
    """The id of what a POST created, from its Location header."""
    return response.headers["Location"].rstrip("/").rsplit("/", 1)[-1]


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
