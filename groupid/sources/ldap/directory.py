"""The directory adapter: searches against an LDAP or Active Directory server, page by page.

:class:`Directory` is the small base the rest of the LDAP source reads through; :class:`LdapDirectory` is the
one over ldap3, the only module of groupid that calls ldap3, and where its errors become
:class:`~groupid.errors.DirectoryError`. A search is either read to its last page or fails: a size limit, a
referral not followed, a lost connection or a failed bind is an error, never a shorter answer.

:func:`open_directory` connects as a source config's :class:`~groupid.sources.ldap.connection.Connection`
says: the URLs in order (the first that answers is used; an unreachable one or one whose TLS fails passes to the next), TLS verified always
(``ldaps://``, or ``ldap://`` with StartTLS), a simple bind. Referrals are never followed. Continuation
references (``searchResRef``: other naming contexts, which Active Directory sends for every search at a
domain's root) are skipped: a search reads the naming context its base is in. Values an Active Directory
server returns in ranges (``member;range=0-1499``) are read to the last range and joined under the plain
name, each range checked as a page is; ldap3's own ``auto_range`` is not used, because it stops silently
when a range cannot be read.
"""

from __future__ import annotations

import contextlib
import math
import re
import ssl
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal
from urllib.parse import urlsplit

import ldap3
from ldap3.core.exceptions import (
    LDAPCertificateError,
    LDAPException,
    LDAPSessionTerminatedByServerError,
    LDAPSocketReceiveError,
    LDAPSocketSendError,
)

from groupid.errors import DirectoryError
from groupid.sources.ldap.connection import Connection

SearchScope = Literal["subtree", "one", "base"]


@dataclass(frozen=True)
class Entry:
    """One entry as a search returns it: its DN and its raw values, by attribute name in lower case.

    Ranged values (``member;range=0-1499``) are already joined under the plain name.
    """

    dn: str
    attributes: Mapping[str, tuple[bytes, ...]] = field(default_factory=dict)

    def raw(self, name: str) -> bytes | None:
        """The first raw value of ``name``, or None."""
        values = self.attributes.get(name.lower())
        return values[0] if values else None

    def texts(self, name: str) -> tuple[str, ...]:
        """Every value of ``name`` as text (UTF-8, as LDAP strings are)."""
        return tuple(value.decode("utf-8", errors="replace") for value in self.attributes.get(name.lower(), ()))

    def text(self, name: str) -> str | None:
        """The first value of ``name`` as text, or None."""
        texts = self.texts(name)
        return texts[0] if texts else None


class Directory(ABC):
    """A directory groupid reads people and groups from."""

    @abstractmethod
    def search(self, base: str, filter: str, attributes: Sequence[str],
               scope: SearchScope = "subtree") -> Iterator[Entry]:
        """Every entry under ``base`` that ``filter`` matches, with ``attributes``, read page by page as the
        iterator is consumed (the simple paged results control, RFC 2696).

        Raises :class:`~groupid.errors.DirectoryError` when the search cannot be read in full, at any page.
        """

    @abstractmethod
    def close(self) -> None:
        """Unbind and close the connection."""

    def __enter__(self) -> Directory:
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()


PAGED_RESULTS = "1.2.840.113556.1.4.319"
_SCOPES = {"subtree": ldap3.SUBTREE, "one": ldap3.LEVEL, "base": ldap3.BASE}
_DEFAULT_PORTS = {"ldap": 389, "ldaps": 636}


def open_directory(settings: Connection) -> LdapDirectory:
    """Connect and bind to the first of ``settings.urls`` that answers, as the settings say.

    Raises :class:`DirectoryError` naming each server and why it could not be used; a bind the server refuses
    stops at once (the next server would refuse it too, and each try counts against the account's lockout).
    """
    if not settings.urls:
        raise DirectoryError("no directory URL is configured")
    password = settings.bind_password()
    failures = []
    for url in settings.urls:
        connection = _connection(url, settings, password)
        try:
            connection.open()
            if settings.start_tls and not connection.server.ssl:
                connection.start_tls()
            bound = connection.bind()
        except LDAPException as exc:
            failures.append(f"{url}: {_reason(exc, connection.server.host, settings, password)}")
            _close(connection)
            continue
        if not bound:
            who = f"as {settings.bind_dn}" if settings.bind_dn else "anonymously"
            _close(connection)
            raise DirectoryError(f"{url}: bind {who} refused: {_described(connection.result)}")
        return LdapDirectory(connection, settings, url)
    raise DirectoryError("no directory server could be used: " + "; ".join(failures))


class LdapDirectory(Directory):
    """A bound ldap3 connection to one server, searched page by page; made by :func:`open_directory`."""

    def __init__(self, connection: ldap3.Connection, settings: Connection, url: str):
        self._connection, self._settings, self.url = connection, settings, url

    def search(self, base: str, filter: str, attributes: Sequence[str],
               scope: SearchScope = "subtree") -> Iterator[Entry]:
        """See :meth:`Directory.search`; each page's result is checked before its entries are given."""
        cookie: bytes | None = None
        what = f"the search of {base} for {filter}"
        while True:
            result, response = self._search(what, base, filter, search_scope=_SCOPES[scope],
                                            attributes=list(attributes), paged_size=self._settings.page_size,
                                            paged_criticality=True, paged_cookie=cookie)
            if result["result"] != 0:
                raise DirectoryError(f"{self.url}: {what} failed: {_described(result)}")
            cookie = result.get("controls", {}).get(PAGED_RESULTS, {}).get("value", {}).get("cookie")
            for item in response:
                if item["type"] == "searchResEntry":
                    yield Entry(item["dn"], join_ranges(item["dn"], item["raw_attributes"], self._next_range))
            if not cookie:
                return

    def close(self) -> None:
        """Unbind; a connection already lost is closed all the same."""
        _close(self._connection)

    def _next_range(self, dn: str, attribute: str) -> dict[str, list[bytes]]:
        what = f"the values {attribute} of {dn}"
        result, response = self._search(what, dn, "(objectClass=*)", search_scope=ldap3.BASE, attributes=[attribute])
        entries = [item for item in response if item["type"] == "searchResEntry"]
        if result["result"] != 0 or not entries:
            raise DirectoryError(f"{self.url}: reading {what} failed: {_described(result)}")
        return entries[0]["raw_attributes"]

    def _search(self, what: str, *args: Any, **options: Any) -> tuple[dict, list[dict]]:
        """One search request: its result and its response, an ldap3 error raised as DirectoryError."""
        try:
            self._connection.search(*args, **options)
        except LDAPException as exc:
            raise DirectoryError(f"{self.url}: {what} failed: "
                                 f"{_reason(exc, self._connection.server.host, self._settings)}") from None
        return self._connection.result or {"result": -1, "description": "no answer"}, self._connection.response or []


def join_ranges(dn: str, raw: Mapping[str, list[bytes]],
                next_range: Callable[[str, str], Mapping[str, list[bytes]]]) -> dict[str, tuple[bytes, ...]]:
    """An entry's raw values by lower-case attribute name, ranged values (``member;range=0-1499``) read to the
    last range with ``next_range(dn, "member;range=1500-*")`` (which returns that search's raw attributes)
    and joined under the plain name."""
    joined: dict[str, list[bytes]] = {}
    for name, values in raw.items():
        plain, _, span = name.partition(";range=")
        joined.setdefault(plain.lower(), []).extend(values)
        while span and not span.endswith("-*"):
            wanted = f"{plain};range={int(span.rpartition('-')[2]) + 1}-*"
            more = {key.lower(): value for key, value in next_range(dn, wanted).items()}
            name = next((key for key in more if key.startswith(f"{plain.lower()};range=")), None)
            if name is None:
                raise DirectoryError(f"{dn}: the server returned no range {wanted}")
            joined[plain.lower()].extend(more[name])
            span = name.partition(";range=")[2]
    return {name: tuple(values) for name, values in joined.items()}


def _connection(url: str, settings: Connection, password: str) -> ldap3.Connection:
    parts = urlsplit(url)
    if parts.scheme not in _DEFAULT_PORTS or not parts.hostname:
        raise DirectoryError(f"{url} is not an ldap:// or ldaps:// URL")
    tls = ldap3.Tls(validate=ssl.CERT_REQUIRED, ca_certs_file=str(settings.ca_file) if settings.ca_file else None)
    server = ldap3.Server(parts.hostname, port=parts.port or _DEFAULT_PORTS[parts.scheme],
                          use_ssl=parts.scheme == "ldaps", tls=tls, get_info=ldap3.NONE,
                          connect_timeout=settings.timeout)
    return ldap3.Connection(
        server, user=settings.bind_dn, password=password,
        authentication=ldap3.SIMPLE if settings.bind_dn else ldap3.ANONYMOUS, client_strategy=ldap3.SYNC,
        read_only=True, receive_timeout=math.ceil(settings.timeout),  # ldap3 packs it as a whole number
        auto_referrals=False, raise_exceptions=False,
        return_empty_attributes=False, auto_range=False)


def _close(connection: ldap3.Connection) -> None:
    with contextlib.suppress(LDAPException, OSError):
        connection.unbind()


def _reason(exc: LDAPException, host: str, settings: Connection, password: str | None = None) -> str:
    """What went wrong, in words (the password, should a message ever carry it, replaced)."""
    text = str(exc.args[0] if len(exc.args) == 1 else exc)
    if "CERTIFICATE_VERIFY_FAILED" in text:
        signer = settings.ca_file or "a CA the system trusts"
        reason = f"TLS: the certificate of {host} is not signed by {signer}"
    elif isinstance(exc, LDAPCertificateError):
        reason = f"TLS: the certificate of {host} is not for the name {host}"
    elif "ssl" in text.lower() or "tls" in text.lower():
        reason = f"TLS with {host} failed: {text}"
    elif "refused" in text.lower():
        reason = f"{host} refused the connection"
    elif "timed out" in text.lower() or "timeout" in text.lower():
        reason = f"{host} did not answer within {settings.timeout:g} s"
    elif isinstance(exc, (LDAPSessionTerminatedByServerError, LDAPSocketReceiveError, LDAPSocketSendError)):
        reason = f"the connection to {host} was lost part-way ({text})"
    else:
        reason = f"{type(exc).__name__}: {text}"
    return reason.replace(password, "***") if password else reason


def _described(result: Mapping[str, Any] | None) -> str:
    if not result:
        return "no answer"
    words = re.sub(r"(?<=[a-z])(?=[A-Z])", " ", str(result.get("description"))).lower()  # sizeLimitExceeded
    text = f"{words} (result {result.get('result')})"
    if result.get("message"):
        text += f": {result['message']}"
    if result.get("referrals"):
        text += f"; referred to {', '.join(result['referrals'])}, which is not followed"
    return text
