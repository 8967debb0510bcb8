"""An external database for the local Keycloak (PostgreSQL, as production runs it), instead of its H2 files."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from groupid.errors import LocalServerError

KINDS = ("postgres", "mariadb", "mysql", "mssql", "oracle")
"""Keycloak's ``--db`` values for a database server of its own (the dev-file / dev-mem H2 kinds excluded)."""

ENV_NAMES = ("KC_DB", "KC_DB_URL", "KC_DB_USERNAME", "KC_DB_PASSWORD")
"""Keycloak's own environment variables for the database; groupid reads them as Keycloak does."""

_URL_RE = re.compile(r"^jdbc:[a-z0-9]+:\S+$")


@dataclass(frozen=True)
class Database:
    """Where the local Keycloak keeps its data: Keycloak's ``--db``, ``--db-url``, ``--db-username`` and password.

    The password never goes on the command line (anyone may read that with ``ps``): it reaches Keycloak in
    the ``KC_DB_PASSWORD`` environment variable, which only the user and root can read.
    """

    kind: str
    url: str
    username: str
    password: str = field(default="", repr=False)

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise LocalServerError(f"Unsupported database kind {self.kind!r} for Keycloak; use one of {', '.join(KINDS)}.")
        if not _URL_RE.match(self.url):
            raise LocalServerError(f"Invalid database URL {self.url!r}: expected a JDBC URL such as "
                                   "jdbc:postgresql://127.0.0.1:5432/keycloak.")
        if not self.username:
            raise LocalServerError("The database needs a user name (KC_DB_USERNAME).")

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> Database | None:
        """The database named by Keycloak's ``KC_DB``, ``KC_DB_URL``, ``KC_DB_USERNAME``, ``KC_DB_PASSWORD``.

        None when ``KC_DB`` is unset or names one of Keycloak's H2 kinds (dev-file, dev-mem).
        """
        kind = env.get("KC_DB", "").strip()
        if not kind or kind.startswith("dev-"):
            return None
        if not env.get("KC_DB_URL"):
            raise LocalServerError(f"KC_DB={kind} is set but KC_DB_URL is not; set it to the database's JDBC URL.")
        return cls(kind, env["KC_DB_URL"].strip(), env.get("KC_DB_USERNAME", "").strip(), env.get("KC_DB_PASSWORD", ""))

    def arguments(self) -> list[str]:
        """The ``kc.sh`` options: everything but the password."""
        return [f"--db={self.kind}", f"--db-url={self.url}", f"--db-username={self.username}"]

    def environment(self) -> dict[str, str]:
        """The environment Keycloak reads the password from."""
        return {"KC_DB_PASSWORD": self.password} if self.password else {}
