"""Connection settings for a Keycloak server, read from the environment.

Credentials never go on the command line (where ``ps`` and shell history would show them), nor into the server
URL (where logs and error messages would). They come from environment variables, or from files named by
``*_FILE`` variables (as Docker and Kubernetes secrets are mounted):

=============================  ==========================================================
``GROUPID_SERVER_URL``         the server, e.g. ``https://sso.example.cn`` (``--server-url`` overrides)
``GROUPID_ADMIN_USER``         an admin user, with ``GROUPID_ADMIN_PASSWORD`` or ``GROUPID_ADMIN_PASSWORD_FILE``
``GROUPID_CLIENT_ID``          or a service-account client, with ``GROUPID_CLIENT_SECRET`` or ``…_FILE``
``GROUPID_AUTH_REALM``         the realm the admin or client lives in (default ``master``)
``GROUPID_CA_BUNDLE``          a CA bundle (file or directory) for a server behind a private CA
``GROUPID_TLS_VERIFY``         ``false`` to skip TLS verification (test servers only)
``GROUPID_TIMEOUT``            seconds to wait for each request (default 30, at most 3600)
=============================  ==========================================================

Every setting is checked before anything connects, and no message quotes a secret: a URL that holds
credentials, a query string or a fragment is refused without being shown, and a secret file that cannot serve
(missing, not a regular file, empty, binary, huge) is named, never its contents.
"""

from __future__ import annotations

import errno
import math
import os
import stat
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from groupid.errors import ConfigurationError, SourceError
from groupid.files import read_file
from groupid.text import escape, quoted

SECRET_FILE_LIMIT = 64 * 1024
"""Bytes a secret file may hold. A password, a client secret or a token fits many times over; a file past it is
the wrong file."""

MAX_TIMEOUT = 3600.0
"""The longest ``GROUPID_TIMEOUT``, in seconds: a request that has not been answered in an hour never will be."""

TRUE_WORDS = frozenset({"true", "1", "yes", "on"})
FALSE_WORDS = frozenset({"false", "0", "no", "off"})

CREDENTIALS_HINT = (
    "set GROUPID_ADMIN_USER with GROUPID_ADMIN_PASSWORD_FILE (or GROUPID_ADMIN_PASSWORD), or GROUPID_CLIENT_ID "
    "with GROUPID_CLIENT_SECRET_FILE (or GROUPID_CLIENT_SECRET) for a service account"
)

REALM_NAME_FORBIDDEN = "/\\?#%"
"""Characters a realm name in GROUPID_AUTH_REALM may not hold: it becomes part of every sign-in URL."""


@dataclass(frozen=True)
class ConnectionSettings:
    """How to reach and authenticate to one Keycloak server. Secrets are kept out of ``repr``.

    ``server_url`` is checked when the settings are made, however they are made: it never holds credentials, a
    query string or a fragment, so every message may show it.
    """

    server_url: str
    auth_realm: str = "master"
    admin_user: str | None = None
    admin_password: str | None = field(default=None, repr=False)
    client_id: str | None = None
    client_secret: str | None = field(default=None, repr=False)
    verify: bool | str = True
    timeout: float = 30.0

    def __post_init__(self) -> None:
        object.__setattr__(self, "server_url", checked_server_url(self.server_url, "the server URL"))

    @property
    def identity(self) -> str:
        """Who groupid signs in as, for messages (never the secret)."""
        if self.client_id:
            return f"client '{escape(self.client_id)}' (realm {escape(self.auth_realm)})"
        return f"user '{escape(self.admin_user or '')}' (realm {escape(self.auth_realm)})"

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, server_url: str | None = None) -> ConnectionSettings:
        """Settings from ``GROUPID_*`` environment variables; ``server_url`` overrides the variable.

        Raises :class:`ConfigurationError` for a missing or unusable setting, naming the variable (and the file
        of a ``*_FILE`` variable) but never a secret.
        """
        env = os.environ if env is None else env
        source = "--server-url" if server_url else "GROUPID_SERVER_URL"
        url = checked_server_url(server_url or env.get("GROUPID_SERVER_URL") or "", source)
        user = _name(env, "GROUPID_ADMIN_USER")
        client_id = _name(env, "GROUPID_CLIENT_ID")
        auth_realm = _auth_realm(env)
        verify, timeout = _verify(env), _timeout(env)
        if not user and not client_id:
            raise ConfigurationError(f"no credentials: {CREDENTIALS_HINT}")
        if user:
            password = _secret(env, "GROUPID_ADMIN_PASSWORD")
            if password is None:
                raise ConfigurationError(
                    "GROUPID_ADMIN_USER is set but neither GROUPID_ADMIN_PASSWORD nor GROUPID_ADMIN_PASSWORD_FILE")
            return cls(url, auth_realm, admin_user=user, admin_password=password, verify=verify, timeout=timeout)
        secret = _secret(env, "GROUPID_CLIENT_SECRET")
        if secret is None:
            raise ConfigurationError(
                "GROUPID_CLIENT_ID is set but neither GROUPID_CLIENT_SECRET nor GROUPID_CLIENT_SECRET_FILE")
        return cls(url, auth_realm, client_id=client_id, client_secret=secret, verify=verify, timeout=timeout)


def checked_server_url(raw: str, source: str = "GROUPID_SERVER_URL") -> str:
    """The base URL of a Keycloak server, without a trailing slash; ``source`` names where it came from.

    Refused with :class:`ConfigurationError`, and never quoted whole, since what is wrong with it may be a
    secret: credentials (``user:password@host``), a query string or fragment (where tokens travel), spaces or
    control characters, a scheme other than http(s), no host, a port that is not a number.
    """
    url = raw.strip()
    if not url:
        raise ConfigurationError(
            "no Keycloak server: set GROUPID_SERVER_URL or pass --server-url "
            '(for a local one: eval "$(groupid keycloak start)")'
        )
    for position, char in enumerate(url, start=1):
        if char.isspace() or unicodedata.category(char) in ("Cc", "Cf", "Zl", "Zp"):
            raise ConfigurationError(
                f"{source} holds {_described(char)} at character {position}: a server URL has no spaces or "
                "control characters"
            )
    if "@" in url:
        raise ConfigurationError(
            f"{source} holds an '@': credentials (user:password@host) do not belong in the server URL, where "
            f"logs and messages would show them. Give the URL without them and {CREDENTIALS_HINT}"
        )
    scheme, sep, _ = url.partition("://")
    if not sep or scheme.lower() not in ("http", "https"):
        raise ConfigurationError(f"{source}: the server URL must start with http:// or https://")
    try:
        parts = urlsplit(url)
        port = parts.port  # a port that is not a number raises here
    except ValueError:
        port = 0
    if port == 0:
        raise ConfigurationError(
            f"{source} is not a valid URL: its host or port cannot be read (a port is a number from 1 to 65535)"
        )
    base = f"{parts.scheme.lower()}://{parts.netloc}{parts.path}".rstrip("/")
    if "?" in url or "#" in url:
        raise ConfigurationError(
            f"{source} has a query string or fragment ('?…' or '#…'): Keycloak's base URL has neither, and "
            f"tokens put there would show in logs and messages. Use {base}"
        )
    if not parts.hostname:
        raise ConfigurationError(f"{source} names no host: give it as https://host[:port][/path]")
    return base


def read_secret_file(path: Path | str) -> str:
    """The secret kept in ``path``, without the line endings editors and ``echo`` add ("" for an empty file).

    Raises :class:`OSError` whose ``strerror`` says what is wrong — missing, not a regular file (a directory, a
    FIFO, a device), larger than :data:`SECRET_FILE_LIMIT`, binary, not UTF-8, several lines — without ever
    quoting the contents. A FIFO is refused before it is opened: reading one would wait for a writer.
    """
    try:
        data = read_file(path, limit=SECRET_FILE_LIMIT)
    except SourceError as exc:  # the same checks as every input file: regular, not waiting on a FIFO, capped
        raise OSError(errno.EINVAL, exc.reason) from None
    if b"\0" in data:
        raise OSError(errno.EINVAL, "it holds binary data (a NUL byte), not a secret")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise OSError(errno.EINVAL, "it is not UTF-8 text") from None
    secret = text.rstrip("\r\n")
    if any(char in "\r\n" for char in secret):
        raise OSError(errno.EINVAL, "it holds several lines; a secret file holds the secret alone (a final line "
                                    "break is fine)")
    if any(unicodedata.category(char) == "Cc" for char in secret):
        raise OSError(errno.EINVAL, "it holds a control character, not a secret")
    return secret


def _secret(env: Mapping[str, str], name: str) -> str | None:
    """The secret in ``name``, or in the file named by ``name_FILE``; None when neither is set."""
    if env.get(name):
        return env[name]
    file = env.get(f"{name}_FILE")
    if not file:
        return None
    shown = quoted(file, limit=200)
    try:
        secret = read_secret_file(Path(file))
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        if exc.errno == errno.ENOENT:
            reason = "no such file"
        elif exc.errno == errno.EACCES:
            reason = "permission denied"
        raise ConfigurationError(f"{name}_FILE: cannot read {shown}: {reason}") from None
    if not secret:
        raise ConfigurationError(f"{name}_FILE: cannot read {shown}: it is empty")
    return secret


def _described(char: str) -> str:
    if char == " ":
        return "a space"
    name = unicodedata.name(char, "")
    return f"U+{ord(char):04X} {name}" if name else f"a control character (U+{ord(char):04X})"


def _name(env: Mapping[str, str], variable: str) -> str | None:
    """A user name or client id from ``variable``; it shows in messages, so it holds no control characters."""
    value = env.get(variable)
    if not value:
        return None
    if any(unicodedata.category(char) in ("Cc", "Cf", "Zl", "Zp") for char in value):
        raise ConfigurationError(f"{variable} {quoted(value)} holds a control character")
    return value


def _auth_realm(env: Mapping[str, str]) -> str:
    realm = env.get("GROUPID_AUTH_REALM") or "master"
    bad = next((c for c in realm if c.isspace() or c in REALM_NAME_FORBIDDEN
                or unicodedata.category(c) in ("Cc", "Cf", "Zl", "Zp")), None)
    if bad is not None:
        what = "a space" if bad == " " else f"'{bad}'" if bad in REALM_NAME_FORBIDDEN else _described(bad)
        raise ConfigurationError(f"GROUPID_AUTH_REALM {quoted(realm)} is not a realm name: it holds {what}")
    return realm


def _verify(env: Mapping[str, str]) -> bool | str:
    raw = env.get("GROUPID_TLS_VERIFY", "")
    word = raw.strip().lower()
    if word and word not in TRUE_WORDS | FALSE_WORDS:
        raise ConfigurationError(
            f"GROUPID_TLS_VERIFY must be true or false (or yes/no, on/off, 1/0), not {quoted(raw)}")
    bundle = env.get("GROUPID_CA_BUNDLE")
    if not bundle:
        return word not in FALSE_WORDS
    if word in FALSE_WORDS:
        raise ConfigurationError("GROUPID_TLS_VERIFY is false but GROUPID_CA_BUNDLE is set: "
                                 "verify with the bundle, or not at all — unset one of them")
    shown = quoted(bundle, limit=200)
    try:
        info = os.stat(bundle)
    except OSError as exc:
        raise ConfigurationError(f"GROUPID_CA_BUNDLE: cannot read {shown}: {exc.strerror}") from None
    if not (stat.S_ISREG(info.st_mode) or stat.S_ISDIR(info.st_mode)):
        raise ConfigurationError(f"GROUPID_CA_BUNDLE: {shown} is neither a file of certificates nor a directory")
    return bundle


def _timeout(env: Mapping[str, str]) -> float:
    raw = env.get("GROUPID_TIMEOUT", "30")
    try:
        value = float(raw)
    except ValueError:
        value = math.nan
    if not (0 < value <= MAX_TIMEOUT):  # also false for nan
        raise ConfigurationError(
            f"GROUPID_TIMEOUT must be a positive number of seconds, at most {MAX_TIMEOUT:.0f}, not {quoted(raw)}")
    return value
