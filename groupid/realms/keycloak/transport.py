"""Admin requests: sent, counted, their failures translated, and paginated lists walked, a few pages at once.

This is the one place where python-keycloak and requests errors are caught; they leave it as groupid errors
(:class:`KeycloakUnreachable`, :class:`AuthenticationFailed`, :class:`KeycloakError`, :class:`Conflict`).

Keycloak's answers are told apart by what they mean, never by their wording, which changes from one release to
the next: by the HTTP status, and by the codes of the JSON body (the OAuth ``error`` of the token endpoint, such
as ``invalid_grant``). Keycloak's own words are only shown, after groupid's message. A status can move too: a
wrong password answers 401 in Keycloak 26.5 and 400 (``invalid_grant``) in 26.7, so the code decides.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import quote

import requests
from keycloak import KeycloakOpenIDConnection
from keycloak import exceptions as kc

from groupid.errors import AuthenticationFailed, Conflict, KeycloakError, KeycloakUnreachable
from groupid.realms.connection import ConnectionSettings
from groupid.text import escape

PAGE_SIZE = 100
"""Entries per paginated request. Keycloak 26.5 answers a group search page in a time that grows faster than its
size (on a laptop about 0.07 s for 100 matches, 0.6 s for 500, 2 s for 1000), so larger pages save requests but
not time: 100 reads 3,000 managed groups in 31 search requests and about 1.5 s."""

OAUTH_ERRORS = frozenset({
    "invalid_request", "invalid_client", "invalid_grant", "unauthorized_client", "unsupported_grant_type",
    "invalid_scope",
})
"""The error codes of an OAuth token endpoint (RFC 6749, 5.2). Keycloak's admin API puts free text under the
same ``error`` key ("Could not find group by id"): only these values are codes."""

SIGN_IN_REFUSALS = frozenset({"invalid_grant", "invalid_client", "unauthorized_client"})
"""The OAuth codes of refused credentials. Their status is no guide: a wrong password answers ``invalid_grant``
with HTTP 401 in Keycloak 26.5 and with 400 in 26.7; a disabled account answers 400 in both."""

DETAIL_LIMIT = 300
"""Characters of Keycloak's own words a message shows."""


@dataclass(frozen=True)
class KeycloakAnswer:
    """An error answer of Keycloak, by what it means: ``status`` and ``oauth_error`` (a code of
    :data:`OAUTH_ERRORS`, else None) decide what it is; ``detail``, Keycloak's own words cut short and escaped,
    is only shown."""

    status: int | None
    oauth_error: str | None
    detail: str


class SignedInConnection(KeycloakOpenIDConnection):
    """python-keycloak's signed-in connection, except that a refresh token Keycloak no longer takes — the OAuth
    ``invalid_grant`` of an expired token or an ended session — is replaced by signing in again.

    python-keycloak does so only for the words Keycloak used when it was written; here the code decides.

    A thread may also give its own requests a longer timeout than the connection's (:meth:`longer_timeout`):
    python-keycloak reads :attr:`timeout` for every request it sends, and here that is per thread.
    """

    def __init__(self, **kwargs):
        self._longer = threading.local()
        super().__init__(**kwargs)

    @property
    def timeout(self) -> float | None:
        """The timeout of the calling thread's requests: the longer one it asked for, else the connection's."""
        return getattr(self._longer, "seconds", None) or self._timeout

    @timeout.setter
    def timeout(self, value: float | None) -> None:
        self._timeout = value

    @contextmanager
    def longer_timeout(self, seconds: float):
        """Within the block, the calling thread's requests may take ``seconds``; other threads keep theirs."""
        before = getattr(self._longer, "seconds", None)
        self._longer.seconds = max(seconds, before or 0)
        try:
            yield
        finally:
            self._longer.seconds = before

    def refresh_token(self) -> None:
        """Refresh the access token; sign in again when Keycloak refuses the refresh token."""
        refresh = (self.token or {}).get("refresh_token")
        if refresh is not None:
            try:
                self.token = self.keycloak_openid.refresh_token(refresh)
                return
            except kc.KeycloakPostError as exc:
                if keycloak_answer(exc.response_code, exc.response_body).oauth_error != "invalid_grant":
                    raise
        self.get_token()


class AdminTransport:
    """The admin requests to one Keycloak server: signed in with the credentials of ``settings``, counted in
    ``requests``, their failures translated, and paginated lists walked ``page_size`` to a page.

    A :class:`~groupid.realms.keycloak.KeycloakServer` has one, and hands it to the parts that read realms and
    people. Requests may be sent from several threads at once: the counter and the token refresh are guarded
    by locks, and the longer timeout some requests ask for is the asking thread's own. ``connection`` is the signed-in python-keycloak
    connection; given one (a test's stand-in), nothing signs in.
    """

    def __init__(self, settings: ConnectionSettings, page_size: int = PAGE_SIZE,
                 connection: KeycloakOpenIDConnection | None = None):
        self.settings = settings
        self.page_size = page_size
        self.requests = 0  #: the admin requests sent so far (the sign-in is not one)
        self._count_lock = threading.Lock()
        self._token_lock = threading.Lock()
        self.connection = connection if connection is not None else self._signed_in()

    def _signed_in(self) -> KeycloakOpenIDConnection:
        """A connection signed in with the settings' credentials."""
        settings = self.settings
        with self.translated("sign in"):
            connection = SignedInConnection(
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
            connection.get_token()
        return connection

    def sign_in_again(self, action: str) -> None:
        """Get a new access token (one issued now holds the roles the identity has now)."""
        with self.translated(action):
            self.connection.get_token()

    def pages(self, url: str, action: str, *, matched: Callable[[list], int] = len, start: int = 0,
               size: int | None = None, at_once: int = 1, **params) -> Iterator[dict]:
        """Every entry of a paginated list, ``size`` (by default ``page_size``) to a page; ``matched`` counts the
        entries of a page that ``max`` limits.

        After a full first page, ``at_once`` pages are asked for at a time, before it is known whether the list
        goes on that far: a list longer than a page costs up to ``at_once - 1`` requests past its end.
        """
        size = size or self.page_size

        def page(first: int) -> list:
            return self.request("GET", url, action, params={**params, "first": first, "max": size})

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

    def request(self, method: str, path: str, action: str, *, body=None, params=None, missing_ok=False,
                 forbidden_ok=False, none_for: tuple[int, ...] = (), raw=False, timeout: float | None = None,
                 refusal: Callable[[KeycloakAnswer], KeycloakError | None] | None = None):
        """Send one admin request; translate every failure into a groupid error.

        ``missing_ok`` answers None for HTTP 404, ``forbidden_ok`` None for HTTP 403, and ``none_for`` None for
        the statuses it lists, instead of raising; ``timeout`` lets this request take that many seconds when the
        connection's timeout is shorter. ``refusal`` may name the error an error answer is, for the answers only
        the request knows the meaning of (None leaves it to :meth:`refusal`).
        """
        none_for = (*none_for, *((404,) if missing_ok else ()), *((403,) if forbidden_ok else ()))
        with self._count_lock:
            self.requests += 1
        data = None if body is None else json.dumps(body)
        with self.translated(action), self.timeout_at_least(timeout):
            self._fresh_token()
            if method == "GET":
                response = self.connection.raw_get(path, **(params or {}))
            elif method == "POST":
                response = self.connection.raw_post(path, data=data, **(params or {}))
            elif method == "PUT":
                response = self.connection.raw_put(path, data=data)
            else:
                response = self.connection.raw_delete(path, data=data)
            if response.status_code in none_for:
                return None
            if response.status_code >= 400:
                answer = keycloak_answer(response.status_code, response.content)
                raise (refusal and refusal(answer)) or self.refusal(action, answer)
            if raw:
                return response
            return response.json() if response.content else None

    def refusal(self, action: str, answer: KeycloakAnswer) -> KeycloakError:
        """The groupid error for an error answer to ``action``: chosen by its status and OAuth code only."""
        where, who = self.settings.server_url, self.settings.identity
        shown = f": {answer.detail}" if answer.detail else ""
        if answer.status == 401 or answer.oauth_error in SIGN_IN_REFUSALS:
            why = self._why_refused(answer)
            return AuthenticationFailed(f"Keycloak at {where} refused the credentials of {who}: {why}")
        if answer.status == 403:
            return AuthenticationFailed(f"{who} may not {action} at {where} (HTTP 403): it lacks admin rights")
        if answer.status == 409:
            return Conflict(f"Keycloak at {where} refused to {action}: it already exists (HTTP 409){shown}")
        return KeycloakError(f"Keycloak at {where} refused to {action}: HTTP {answer.status}{shown}")

    def _why_refused(self, answer: KeycloakAnswer) -> str:
        """What may be wrong with credentials Keycloak refused, by the kind of sign-in and the OAuth code.

        The code says less than its name: Keycloak answers a client's wrong secret ``unauthorized_client``, as it
        answers a client without a service account; for a password sign-in it means the client takes no passwords.
        """
        if self.settings.admin_user is None:
            return "a wrong secret, or no such client, or a client whose service account is not enabled"
        if answer.oauth_error == "unauthorized_client":
            client = escape(self.settings.client_id or "admin-cli")
            return f"client '{client}' does not take passwords: turn its 'Direct access grants' on"
        return "a wrong password, or an account that is disabled or not fully set up"

    def _fresh_token(self) -> None:
        """Refresh an expired access token once, however many threads find it expired.

        python-keycloak refreshes on its own before a request, but unguarded: threads that find the token
        expired together would all refresh it. Here the first one does, under a lock; the others then find it
        fresh, and python-keycloak's own check finds nothing to do.
        """
        expires_at = self.connection.expires_at
        if expires_at is None or datetime.now(tz=UTC) < expires_at:
            return
        with self._token_lock:
            if self.connection.expires_at == expires_at:
                self.connection.refresh_token()

    @contextmanager
    def timeout_at_least(self, seconds: float | None):
        """Within the block, the calling thread's requests may take ``seconds`` (None: the connection's timeout)
        if that is longer. Other threads keep the usual timeout: a slow export in the background does not make
        every other request wait that long for a server that has stopped answering."""
        usual = self.settings.timeout
        if not seconds or (usual and seconds <= usual):
            yield
            return
        with self.connection.longer_timeout(seconds):
            yield

    @contextmanager
    def translated(self, action: str):
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
                    "is the server URL right (a Keycloak served under a path such as /auth needs it in the URL)?"
                ) from None
            raise self.refusal(action, keycloak_answer(exc.response_code, exc.response_body)) from None
        except (ValueError, TypeError) as exc:
            # a JSON body that is not JSON, or python-keycloak's "unexpected response type": not a Keycloak
            raise KeycloakError(
                f"{where} did not answer like Keycloak to {action} ({_short(exc)}); is the server URL right?"
            ) from None
        except requests.RequestException as exc:
            raise KeycloakUnreachable(f"Keycloak at {where} does not answer ({action}): {_short(exc)}") from None


def admin_url(realm: str, *segments: str) -> str:
    """The admin path of ``realm`` or of something in it, every segment quoted."""
    return "/".join(["admin/realms", *(quote(segment, safe="") for segment in (realm, *segments))])


def created_id(response) -> str:
    """The id of what a POST created, from its Location header."""
    return response.headers["Location"].rstrip("/").rsplit("/", 1)[-1]


def keycloak_answer(status: int | None, content) -> KeycloakAnswer:
    """What an error answer of Keycloak means: see :class:`KeycloakAnswer`.

    The detail is the human part of the body: ``errorMessage`` (with the ``field`` it names, for a user
    profile's validation errors, each of them when there are several), ``error_description`` or ``error``, else
    the text itself.
    """
    text = content.decode("utf-8", "replace") if isinstance(content, bytes) else str(content or "")
    try:
        data = json.loads(text)
    except ValueError:
        data = None
    if not isinstance(data, dict):
        return KeycloakAnswer(status, None, _cut(text))
    error = data.get("error")
    oauth_error = error if error in OAUTH_ERRORS else None
    problems = [problem for problem in data.get("errors") or () if isinstance(problem, dict)] or [data]
    detail = "; ".join(filter(None, map(_problem_text, problems)))
    return KeycloakAnswer(status, oauth_error, _cut(detail or text))


def _problem_text(problem: dict) -> str:
    """One problem of an error body, in Keycloak's words: ``field: message`` or the first message it has."""
    for key in ("errorMessage", "error_description", "error"):
        if problem.get(key):
            field = problem.get("field")
            return f"{field}: {problem[key]}" if field and key == "errorMessage" else str(problem[key])
    return ""


def _cut(text: str) -> str:
    """Keycloak's words as a message shows them: one line, at most :data:`DETAIL_LIMIT` characters, escaped."""
    text = " ".join(text.split())
    return escape(text if len(text) <= DETAIL_LIMIT else text[:DETAIL_LIMIT] + "…")


def _short(exc: BaseException) -> str:
    """A one-line reason for a connection failure, without the nested urllib3 retry noise."""
    text = str(exc)
    for marker in ("Connection refused", "Name or service not known", "timed out", "certificate verify failed"):
        if marker in text:
            return marker
    return text.splitlines()[0][:200] if text else type(exc).__name__
