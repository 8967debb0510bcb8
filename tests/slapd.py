"""The test harness's directory: one real slapd for the whole session, holding the example group's people.

The ``slapd`` fixture (registered by ``tests/conftest.py``) starts a :class:`Slapd` — a
:class:`groupid.localserver.slapd.LocalDirectory` loaded with :func:`tests.ldap_directory.example_directory`,
whose service account may read at most :data:`~tests.ldap_directory.SIZE_LIMIT` entries in one unpaged search.
A test that changes the directory calls :meth:`Slapd.reset` when done (or first), and one that stops it starts
it again. Without slapd installed the tests that use it skip (fail under CI).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from groupid.errors import LocalServerError
from groupid.localserver.slapd import LocalDirectory
from tests.conftest import skip_or_fail
from tests.ldap_directory import BASE, PASSWORD_ENV, SIZE_LIMIT, example_directory, write_source_config


class Slapd(LocalDirectory):
    """The session's directory: a :class:`LocalDirectory` on :data:`~tests.ldap_directory.BASE` with the
    example loaded, and the helpers tests read it with."""

    def __init__(self, **options: Any):
        super().__init__(BASE, size_limit=SIZE_LIMIT, **options)
        self.example = example_directory()
        super().reset(self.example.ldif)

    def add(self, ldif_text: str) -> None:
        """Add the entries of ``ldif_text`` (as the root DN)."""
        self.load(ldif_text)

    def reset(self, ldif_text: str | None = None) -> None:
        """Back to the example directory (or to ``ldif_text`` below the base), running if it was."""
        super().reset(self.example.ldif if ldif_text is None else ldif_text)

    def source_config(self, folder: Path, *, ldaps: bool = True, password_via: str = "env", **overrides: Any) -> Path:
        """Write an LDAP.yaml for this directory into ``folder`` (see
        :func:`tests.ldap_directory.write_source_config`): ``ldaps://`` with the test CA, or plain ``ldap://``;
        the password named by :data:`~tests.ldap_directory.PASSWORD_ENV` (set for the session) or in a file."""
        connection = {"url": self.ldaps_url if ldaps else self.url, "ca_file": self.ca_file, "bind_dn": self.service_dn}
        connection.update({key: overrides.pop(key) for key in list(overrides) if key in connection})
        return write_source_config(folder, password=self.service_password, password_via=password_via,
                                   **connection, **overrides)


@pytest.fixture(scope="session")
def slapd() -> Slapd:
    """The session's running directory, with the example loaded."""
    try:
        directory = Slapd()
        directory.start()
    except LocalServerError as exc:
        skip_or_fail(f"cannot start slapd for the tests: {exc}")
    previous = os.environ.get(PASSWORD_ENV)
    os.environ[PASSWORD_ENV] = directory.service_password
    yield directory
    if previous is None:
        os.environ.pop(PASSWORD_ENV, None)
    else:
        os.environ[PASSWORD_ENV] = previous
    directory.close()
