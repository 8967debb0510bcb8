"""How to reach and bind to an LDAP server: the connection settings of a source config, password not included.

The settings say where the bind password is — an environment variable or a file — and
:meth:`Connection.bind_password` reads it only when the directory is opened, so that it is in no config
model, no message and no report.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from groupid.errors import ConfigurationError
from groupid.files import read_secret_file

ServerType = Literal["openldap", "active_directory"]
"""The kinds of server: Active Directory has its own anchor (objectGUID) and disabled bit (userAccountControl)."""


@dataclass(frozen=True)
class Connection:
    """How to reach and bind to the server: what :func:`~groupid.sources.ldap.directory.open_directory` takes.

    Holds where the password is, never the password: :meth:`bind_password` reads it when it is needed.
    """

    urls: tuple[str, ...]  #: tried in order, the next when one does not answer
    start_tls: bool
    bind_dn: str
    password_env: str | None  #: the environment variable that holds the bind password, or
    password_file: Path | None  #: the file that holds it
    ca_file: Path | None  #: the CA certificates to verify the server with; None: the system's
    timeout: float  #: seconds, to connect and for each request
    page_size: int  #: entries per page of a paged search
    type: ServerType

    def bind_password(self) -> str:
        """The bind password, read now; raises :class:`ConfigurationError` naming the variable (unset or empty)
        or :class:`SourceError` naming the file (missing, unreadable, empty), never showing the password."""
        if self.password_env is not None:
            password = os.environ.get(self.password_env, "")
            if not password:
                raise ConfigurationError(f"the bind password variable {self.password_env} is not set or empty")
            return password
        assert self.password_file is not None  # the config holds exactly one of the two
        return read_secret_file(self.password_file.parent, self.password_file.name)
