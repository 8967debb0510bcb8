"""Connection settings for a Keycloak server, read from the environment.

Credentials never go on the command line (where ``ps`` and shell history would show them). They come from
environment variables, or from files named by ``*_FILE`` variables (as Docker and Kubernetes secrets are
mounted):

=============================  ==========================================================
``GROUPID_SERVER_URL``         the server, e.g. ``https://sso.example.cn`` (``--server-url`` overrides)
``GROUPID_ADMIN_USER``         an admin user, with ``GROUPID_ADMIN_PASSWORD`` or ``GROUPID_ADMIN_PASSWORD_FILE``
``GROUPID_CLIENT_ID``          or a service-account client, with ``GROUPID_CLIENT_SECRET`` or ``…_FILE``
``GROUPID_AUTH_REALM``         the realm the admin or client lives in (default ``master``)
``GROUPID_CA_BUNDLE``          a CA bundle for a server behind a private CA
``GROUPID_TLS_VERIFY``         ``false`` to skip TLS verification (test servers only)
``GROUPID_TIMEOUT``            seconds to wait for each request (default 30)
=============================  ==========================================================
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from groupid.errors import ConfigurationError


@dataclass(frozen=True)
class ConnectionSettings:
    """How to reach and authenticate to one Keycloak server. Secrets are kept out of ``repr``."""

    server_url: str
    auth_realm: str = "master"
    admin_user: str | None = None
    admin_password: str | None = field(default=None, repr=False)
    client_id: str | None = None
    client_secret: str | None = field(default=None, repr=False)
    verify: bool | str = True
    timeout: float = 30.0

    @property
    def identity(self) -> str:
        """Who groupid signs in as, for messages (never the secret)."""
        if self.client_id:
            return f"client '{self.client_id}' (realm {self.auth_realm})"
        return f"user '{self.admin_user}' (realm {self.auth_realm})"

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, server_url: str | None = None) -> ConnectionSettings:
        """Settings from ``GROUPID_*`` environment variables; ``server_url`` overrides the variable."""
        env = os.environ if env is None else env
        url = (server_url or env.get("GROUPID_SERVER_URL") or "").strip().rstrip("/")
        if not url:
            raise ConfigurationError(
                "no Keycloak server: set GROUPID_SERVER_URL or pass --server-url "
                '(for a local one: eval "$(groupid keycloak start)")'
            )
        if not url.startswith(("http://", "https://")):
            raise ConfigurationError(f"server URL '{url}' must start with http:// or https://")
        user = env.get("GROUPID_ADMIN_USER")
        client_id = env.get("GROUPID_CLIENT_ID")
        password = _secret(env, "GROUPID_ADMIN_PASSWORD") if user else None
        secret = _secret(env, "GROUPID_CLIENT_SECRET") if client_id and not user else None
        if user and password is None:
            raise ConfigurationError("GROUPID_ADMIN_USER is set but neither GROUPID_ADMIN_PASSWORD nor GROUPID_ADMIN_PASSWORD_FILE")
        if not user and not client_id:
            raise ConfigurationError(
                "no credentials: set GROUPID_ADMIN_USER and GROUPID_ADMIN_PASSWORD, "
                "or GROUPID_CLIENT_ID and GROUPID_CLIENT_SECRET for a service account"
            )
        if client_id and not user and secret is None:
            raise ConfigurationError("GROUPID_CLIENT_ID is set but neither GROUPID_CLIENT_SECRET nor GROUPID_CLIENT_SECRET_FILE")
        return cls(
            server_url=url,
            auth_realm=env.get("GROUPID_AUTH_REALM") or "master",
            admin_user=user,
            admin_password=password,
            client_id=None if user else client_id,
            client_secret=secret,
            verify=_verify(env),
            timeout=_timeout(env),
        )


def _secret(env: Mapping[str, str], name: str) -> str | None:
    """The secret in ``name``, or in the file named by ``name_FILE`` (one trailing newline dropped)."""
    if env.get(name):
        return env[name]
    file = env.get(f"{name}_FILE")
    if not file:
        return None
    try:
        return read_secret_file(Path(file))
    except OSError as exc:
        raise ConfigurationError(f"{name}_FILE: cannot read '{file}': {exc.strerror}") from None


def read_secret_file(path: Path) -> str:
    """A secret kept in a file, without the line ending editors and ``echo`` add (raises OSError)."""
    return path.read_text(encoding="utf-8").rstrip("\r\n")


def _verify(env: Mapping[str, str]) -> bool | str:
    if env.get("GROUPID_CA_BUNDLE"):
        return env["GROUPID_CA_BUNDLE"]
    return env.get("GROUPID_TLS_VERIFY", "true").strip().lower() not in ("false", "0", "no")


def _timeout(env: Mapping[str, str]) -> float:
    raw = env.get("GROUPID_TIMEOUT", "30")
    try:
        value = float(raw)
    except ValueError:
        value = 0.0
    if value <= 0:
        raise ConfigurationError(f"GROUPID_TIMEOUT must be a positive number of seconds, not '{raw}'")
    return value
