"""The Keycloak versions groupid runs and is tested with, and what a version needs to run.

:data:`TESTED_VERSIONS` is the one list of them: ``make test-compat`` runs the Keycloak tests against each, and
the README states the range it spans.
"""

from __future__ import annotations

import re

DEFAULT_VERSION = "26.5.6"
"""The pinned Keycloak: what the local server runs unless told otherwise, and what ``make test`` tests."""

TESTED_VERSIONS = ("26.4.0", DEFAULT_VERSION, "26.7.3")
"""The versions the Keycloak tests pass on: the oldest groupid supports, the pinned one and the newest."""

JAVA_CEILINGS = (((26, 4), 25), ((0,), 21))
"""The newest Java each Keycloak release runs on, newest release first: ``((26, 4), 25)`` says that Keycloak
26.4 and later run on Java 25. Older ones fail to start on it — the Byte Buddy they bring cannot enhance their
classes for Java 25 (seen with 24.0.5, 26.0.8 and 26.3.5) — and run on Java 21, or 17."""

BOOTSTRAP_ADMIN_NAMES = (
    ((26,), ("KC_BOOTSTRAP_ADMIN_USERNAME", "KC_BOOTSTRAP_ADMIN_PASSWORD")),
    ((0,), ("KEYCLOAK_ADMIN", "KEYCLOAK_ADMIN_PASSWORD")),
)
"""The environment variables that make the first admin, newest release first: Keycloak 26 renamed them."""

_RELEASE_RE = re.compile(r"^(\d+)(?:\.(\d+))?(?:\.(\d+))?")


def release(version: str) -> tuple[int, ...]:
    """The numeric part of a version, to compare: ``"26.0.8"`` → ``(26, 0, 8)``, ``"26.1.0-rc1"`` → ``(26, 1, 0)``;
    ``(0,)`` when it has none."""
    match = _RELEASE_RE.match(version)
    if match is None:
        return (0,)
    return tuple(int(part) for part in match.groups() if part is not None)


def newest_java(version: str) -> int:
    """The newest Java major that Keycloak ``version`` runs on (see :data:`JAVA_CEILINGS`)."""
    return _for_release(version, JAVA_CEILINGS)


def bootstrap_admin_names(version: str) -> tuple[str, str]:
    """The variables naming the first admin and its password to Keycloak ``version``."""
    return _for_release(version, BOOTSTRAP_ADMIN_NAMES)


def _for_release(version: str, table):
    """The value of the first row of ``table`` whose release ``version`` has reached."""
    return next(value for since, value in table if release(version) >= since)
