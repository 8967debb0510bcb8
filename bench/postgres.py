"""A throw-away PostgreSQL server for the benchmarks: initdb in a temporary directory, started on loopback.

Production Keycloak runs on PostgreSQL, so the sync benchmark measures on it as well as on Keycloak's dev
database. This module starts the machine's own PostgreSQL binaries (Debian's ``postgresql`` package: they are
found with ``pg_config --bindir``, else on ``PATH``) without touching any system cluster:

- ``initdb`` into a fresh temporary directory, with a superuser ``postgres`` that signs in over the server's
  Unix socket only (``trust``, the socket lives in that 0700 directory) and password sign-in
  (``scram-sha-256``) over TCP;
- ``pg_ctl start`` on a free port of 127.0.0.1;
- a database and a role for Keycloak, with a random password;
- ``pg_ctl stop`` and removal of the directory at the end.

**Running as root.** ``initdb`` and ``postgres`` refuse to run as root. Under root every PostgreSQL command is
run as an unprivileged user instead, with ``runuser -u USER --`` (``su`` when there is no ``runuser``); the
temporary directory is handed to that user. The user is ``postgres`` when it exists (Debian's package creates
it), else ``nobody``; ``--os-user`` (or ``GROUPID_BENCH_PG_USER``) names another one. As any other user
the commands simply run as that user.

Run on its own it starts a server, prints how to reach it, and stops it on Enter::

    .venv/bin/python bench/postgres.py
"""

from __future__ import annotations

import argparse
import os
import pwd
import secrets
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from entry import exit_with

from groupid.localserver import Database
from groupid.localserver.process import free_port

START_TIMEOUT = 60
COMMAND_TIMEOUT = 120
FALLBACK_USERS = ("postgres", "nobody")


class PostgresError(RuntimeError):
    """The benchmark's PostgreSQL could not be found, started, set up or stopped."""


@dataclass(frozen=True)
class PostgresInfo:
    """How Keycloak reaches the database the server made for it."""

    host: str
    port: int
    database: str
    user: str
    password: str = field(repr=False)
    version: str = ""

    @property
    def jdbc_url(self) -> str:
        """The JDBC URL Keycloak's ``--db-url`` takes."""
        return f"jdbc:postgresql://{self.host}:{self.port}/{self.database}"

    def keycloak_database(self) -> Database:
        """The database settings for :class:`groupid.localserver.LocalKeycloak`."""
        return Database("postgres", self.jdbc_url, self.user, self.password)


def bindir() -> Path:
    """The directory of ``initdb``, ``pg_ctl``, ``psql``: ``pg_config --bindir``, else ``initdb`` on PATH."""
    pg_config = shutil.which("pg_config")
    if pg_config:
        done = subprocess.run([pg_config, "--bindir"], capture_output=True, text=True, timeout=COMMAND_TIMEOUT)
        found = Path(done.stdout.strip())
        if done.returncode == 0 and (found / "initdb").is_file():
            return found
    initdb = shutil.which("initdb")
    if initdb:
        return Path(initdb).resolve().parent
    raise PostgresError("PostgreSQL's server binaries were not found (no `pg_config --bindir` with initdb, no "
                        "initdb on PATH); on Debian: apt install postgresql")


def unprivileged_user(requested: str | None = None) -> str | None:
    """The user to run PostgreSQL as: None when not root; under root ``requested``, else postgres or nobody."""
    if os.geteuid() != 0:
        return None
    candidates = [requested] if requested else list(FALLBACK_USERS)
    for name in candidates:
        try:
            if pwd.getpwnam(name).pw_uid != 0:
                return name
        except KeyError:
            continue
    raise PostgresError(f"running as root, and no unprivileged user to run PostgreSQL as (tried {', '.join(candidates)}); "
                        "create one (useradd --system pgbench) and pass --os-user")


class LocalPostgres:
    """A PostgreSQL server in a temporary directory, for one benchmark run. Use it as a context manager.

    ``os_user`` is the user to run it as when we are root (see the module's notes); ``settings`` are extra
    server settings (``-c name=value``).
    """

    def __init__(self, *, os_user: str | None = None, database: str = "keycloak", user: str = "keycloak",
                 settings: dict[str, str] | None = None):
        self.bin = bindir()
        self.os_user = unprivileged_user(os_user or os.environ.get("GROUPID_BENCH_PG_USER"))
        self.database = database
        self.user = user
        self.settings = {"max_connections": "200", **(settings or {})}
        self.root: Path | None = None
        self.info: PostgresInfo | None = None

    @property
    def data(self) -> Path:
        """The cluster's data directory."""
        assert self.root is not None
        return self.root / "data"

    @property
    def log_file(self) -> Path:
        """The server's log."""
        assert self.root is not None
        return self.root / "postgres.log"

    def pid(self) -> int | None:
        """The postmaster's process id (the first line of ``postmaster.pid``), None when it is not running."""
        if self.root is None:
            return None
        try:
            return int((self.data / "postmaster.pid").read_text(encoding="ascii").split("\n", 1)[0])
        except (OSError, ValueError):
            return None

    def start(self) -> PostgresInfo:
        """initdb, start on a free loopback port, create Keycloak's database and role; return how to reach it."""
        self.root = Path(tempfile.mkdtemp(prefix="groupid-bench-pg-"))
        try:
            if self.os_user:
                entry = pwd.getpwnam(self.os_user)
                os.chown(self.root, entry.pw_uid, entry.pw_gid)  # the only user that may enter it besides root
            self._run(["initdb", "-D", str(self.data), "-U", "postgres", "-E", "UTF8", "--locale=C",
                       "--auth-local=trust", "--auth-host=scram-sha-256"], "initdb")
            port = free_port()
            options = " ".join([f"-p {port}", f"-k {self.root}", "-c listen_addresses=127.0.0.1",
                                *(f"-c {name}={value}" for name, value in self.settings.items())])
            self._run(["pg_ctl", "-D", str(self.data), "-l", str(self.log_file), "-o", options,
                       "-w", "-t", str(START_TIMEOUT), "start"], "pg_ctl start")
            password = secrets.token_urlsafe(18)
            # The password goes to psql on stdin, never on a command line.
            self._psql(port, f"CREATE ROLE \"{self.user}\" LOGIN PASSWORD '{password}';\n"
                             f"CREATE DATABASE \"{self.database}\" OWNER \"{self.user}\";\n")
            version = self._psql(port, "SHOW server_version;", tuples=True).strip()
            self.info = PostgresInfo("127.0.0.1", port, self.database, self.user, password, version)
            return self.info
        except BaseException:
            self.stop()
            raise

    def stop(self) -> None:
        """Stop the server (fast shutdown) and remove its directory."""
        if self.root is None:
            return
        try:
            if (self.data / "postmaster.pid").exists():
                self._run(["pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop"], "pg_ctl stop")
        finally:
            shutil.rmtree(self.root, ignore_errors=True)
            self.root = None
            self.info = None

    def __enter__(self) -> PostgresInfo:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def _psql(self, port: int, sql: str, tuples: bool = False) -> str:
        command = ["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", str(self.root), "-p", str(port),
                   "-U", "postgres", "-d", "postgres"]
        return self._run(command + (["-A", "-t"] if tuples else []), "psql", stdin=sql)

    def _run(self, command: list[str], what: str, stdin: str | None = None) -> str:
        argv = [str(self.bin / command[0]), *command[1:]]
        if self.os_user:
            argv = _as_user(self.os_user, argv)
        try:
            done = subprocess.run(argv, input=stdin, capture_output=True, text=True, timeout=COMMAND_TIMEOUT,
                                  cwd=self.root or None, stdin=None if stdin is not None else subprocess.DEVNULL)
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise PostgresError(f"{what}: {exc}") from exc
        if done.returncode:
            tail = "\n".join((done.stdout + done.stderr).strip().splitlines()[-15:])
            log = _tail(self.log_file) if self.root and self.log_file.exists() else ""
            raise PostgresError(f"{what} exited with code {done.returncode}:\n{tail}" + (f"\nserver log:\n{log}" if log else ""))
        return done.stdout


def _as_user(user: str, argv: list[str]) -> list[str]:
    """``argv`` run as ``user`` by root: runuser (util-linux), else su."""
    runuser = shutil.which("runuser")
    if runuser:
        return [runuser, "-u", user, "--", *argv]
    return ["su", "-s", "/bin/sh", user, "-c", " ".join(_quote(a) for a in argv)]


def _quote(arg: str) -> str:
    return "'" + arg.replace("'", "'\\''") + "'"


def _tail(path: Path, lines: int = 15) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").strip().splitlines()[-lines:])
    except OSError:
        return ""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--os-user", help="under root: the unprivileged user to run PostgreSQL as "
                        "(default: postgres, else nobody)")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    with LocalPostgres(os_user=args.os_user) as info:
        print(f"PostgreSQL {info.version} started in {time.perf_counter() - started:.1f} s")
        print(f"  KC_DB_URL={info.jdbc_url}")
        print(f"  KC_DB_USERNAME={info.user}")
        print(f"  KC_DB_PASSWORD={info.password}")
        try:
            input("press Enter to stop it ")
        except (EOFError, KeyboardInterrupt):
            pass
    print("stopped")
    return 0


if __name__ == "__main__":
    exit_with(main, PostgresError)
