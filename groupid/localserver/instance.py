"""A named local Keycloak instance: start it, find it again, stop it."""

from __future__ import annotations

import contextlib
import json
import os
import re
import secrets
import signal
import subprocess
import time
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from groupid.errors import LocalServerError
from groupid.localserver.database import ENV_NAMES, Database
from groupid.localserver.distribution import DEFAULT_VERSION, Distribution, cache_dir, file_lock
from groupid.localserver.jdk import DEFAULT_JVM_ROOT, Jdk, find_jdk
from groupid.localserver.process import (
    LOG_TAIL_LINES,
    answers,
    any_alive,
    cmdline,
    free_port,
    group_of,
    last_lines,
    send_signal,
    wait_until_ready,
)
from groupid.localserver.versions import bootstrap_admin_names
from groupid.realms.connection import read_secret_file

ADMIN_USER = "admin"
DEFAULT_HEAP = "-Xms64m -Xmx1g"
JAVA_LANG_OPENS = "--add-opens=java.base/java.lang=ALL-UNNAMED"
STOP_GRACE = 30.0
KILL_GRACE = 10.0

_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
_VERSION_RE = re.compile(r"^[0-9]+(\.[0-9]+)*([.-][A-Za-z0-9]+)*$")


@dataclass(frozen=True)
class ServerInfo:
    """How to reach a running local Keycloak. The password stays in its file."""

    url: str
    admin_user: str
    password_file: Path
    pid: int
    version: str
    log_file: Path
    reused: bool = False

    def admin_password(self) -> str:
        """Read the admin password from its 0600 file."""
        try:
            return read_secret_file(self.password_file)
        except OSError as exc:
            raise LocalServerError(f"Cannot read the admin password file {self.password_file}: {exc}") from exc

    def log_tail(self, count: int = LOG_TAIL_LINES) -> str:
        """The last ``count`` lines of the server's log."""
        return _log_tail(self.log_file, count)


class LocalKeycloak:
    """One named local Keycloak instance: fetch, start, inspect and stop it.

    ``ephemeral`` instances use an in-memory database (for tests); the others
    keep their data between restarts: in H2 files of their own, or in the
    ``database`` given (PostgreSQL, as production runs). Without one, a
    persistent instance takes the database Keycloak's own ``KC_DB``,
    ``KC_DB_URL``, ``KC_DB_USERNAME`` and ``KC_DB_PASSWORD`` name, when
    ``KC_DB`` is set when it starts; an ephemeral one ignores them.
    ``cache`` defaults to :func:`cache_dir`, ``jvm_root`` is where
    :func:`find_jdk` looks for JDKs.
    """

    def __init__(
        self,
        name: str = "default",
        *,
        version: str | None = None,
        ephemeral: bool = False,
        cache: Path | None = None,
        jvm_root: Path = DEFAULT_JVM_ROOT,
        database: Database | None = None,
    ):
        if not _NAME_RE.match(name):
            raise LocalServerError(
                f"Invalid local server name {name!r}: use letters, digits, '.', '_' or '-' (at most 64)."
            )
        asked = version or os.environ.get("GROUPID_KEYCLOAK_VERSION")
        version = asked or DEFAULT_VERSION
        if not _VERSION_RE.match(version):
            raise LocalServerError(f"Invalid Keycloak version {version!r} (expected e.g. {DEFAULT_VERSION}).")
        if ephemeral and database is not None:
            raise LocalServerError("An ephemeral local Keycloak runs on an in-memory database; it takes no database.")
        self.name = name
        self.version = version
        self._version_asked = asked is not None
        self.ephemeral = ephemeral
        self.database = database
        self.jvm_root = jvm_root
        # Resolved so the path matches what kc.sh puts in the java command line.
        self.cache = Path(cache or cache_dir()).expanduser().resolve()
        self.distribution = Distribution(version, self.cache / "keycloak" / version)
        self.dist_root = self.distribution.root
        self.home = self.distribution.build_home(database.kind) if database else self.distribution.home
        self.state_dir = self.cache / "instances" / name
        self.state_file = self.state_dir / "state.json"
        self.password_file = self.state_dir / "admin-password"
        self.log_file = self.state_dir / "keycloak.log"
        self._process: subprocess.Popen[bytes] | None = None

    def ensure_distribution(self) -> Path:
        """Download and unpack the Keycloak distribution unless cached; return its home.

        An instance on a database server gets the home built for that kind of database.
        """
        if self.database is not None:
            return self.distribution.ensure_build(self.database.kind)
        return self.distribution.ensure()

    # ----------------------------------------------------------- lifecycle

    def start(self, timeout: float = 240.0) -> ServerInfo:
        """Start the instance, or return the running one (``reused=True``).

        A running one of another version than the one asked for (by ``version`` or ``GROUPID_KEYCLOAK_VERSION``)
        is an error rather than reused: what runs would not be what was asked for.

        Waits until ``/realms/master`` answers 200; the very first start also
        runs Keycloak's build step, hence the generous default ``timeout``.
        """
        self.state_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        with file_lock(self.state_dir / ".lock"):
            running = self.status()
            if running is not None:
                if self._version_asked and running.version != self.version:
                    raise LocalServerError(
                        f"The local Keycloak '{self.name}' runs Keycloak {running.version}, not {self.version}: "
                        f"stop it first ('groupid keycloak stop --instance {self.name}')."
                    )
                return replace(running, reused=True)
            if self._read_state() is not None:  # ours and alive, but not answering: hung
                self.stop()
            if self.database is None and not self.ephemeral:
                self.database = Database.from_env(os.environ)
                if self.database is not None:
                    self.home = self.distribution.build_home(self.database.kind)
            home = self.ensure_distribution()
            jdk = find_jdk(self.jvm_root, keycloak_version=self.version)
            password = self._ensure_password()
            # Instances of one version share the distribution, and start-dev rewrites
            # its build (lib/quarkus) when the database kind differs: start one at a time.
            with file_lock(self.dist_root / ".start.lock"):
                return self._launch(home, jdk, password, timeout)

    def status(self) -> ServerInfo | None:
        """Return the running instance if its process is ours and answers, else None.

        A state file left by a dead (or recycled) process is removed.
        """
        state = self._read_state()
        if state is None:
            return None
        if not self._is_ours(state):
            self._forget()
            return None
        if not answers(state["url"]):
            return None
        return self._info(state)

    def starting(self) -> ServerInfo | None:
        """The instance while its process runs but does not answer yet (starting, or hung), else None."""
        state = self._read_state()
        if state is None or not self._is_ours(state) or answers(state["url"]):
            return None
        return self._info(state)

    def stop(self) -> bool:
        """Stop the instance; True if a process was stopped.

        Only a process whose command line is this Keycloak's is signalled, so a
        recycled PID is never killed. The password file is kept for the next start.
        """
        state = self._read_state()
        if state is None:
            return False
        stopped = False
        if self._is_ours(state):
            self._terminate(int(state["pid"]))
            stopped = True
        self._forget()
        return stopped

    # ----------------------------------------------------------- launching

    def _launch(self, home: Path, jdk: Jdk, password: str, timeout: float) -> ServerInfo:
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        process = self._spawn(home, jdk, password, port)
        state = {
            "pid": process.pid,
            "port": port,
            "url": url,
            "admin_user": ADMIN_USER,
            "version": self.version,
            "jdk": str(jdk.home),
            "java_major": jdk.major,
            "kc_home": str(home),
            "log_file": str(self.log_file),
            "ephemeral": self.ephemeral,
            # No password here: the state file is for finding the server again.
            "database": None if self.database is None else
                        {"kind": self.database.kind, "url": self.database.url, "username": self.database.username},
            "started_at": time.time(),
        }
        # Recorded before waiting, so stop() from elsewhere can find a slow start.
        self._write_state(state)
        try:
            failure = wait_until_ready(process, url, timeout)
        except BaseException:  # Ctrl-C while waiting must not leave a stray server
            self._terminate(process.pid)
            self._forget()
            raise
        if failure:
            self._terminate(process.pid)
            self._forget()
            raise LocalServerError(
                f"{failure}. Last lines of {self.log_file}:\n{_log_tail(self.log_file)}"
            )
        return self._info(state)

    def _spawn(self, home: Path, jdk: Jdk, password: str, port: int) -> subprocess.Popen[bytes]:
        command = ["bash", str(home / "bin" / "kc.sh"), "start-dev",
                   f"--http-port={port}", "--http-host=127.0.0.1"]
        if self.ephemeral:
            command.append("--db=dev-mem")
        elif self.database is not None:
            command += self.database.arguments()
        else:
            # Keycloak's dev-file URL honours kc.db-url-path (undocumented); without it every
            # persistent instance of a version would share one H2 file inside the distribution,
            # and a second instance would find another instance's admin password there.
            command.append(f"-Dkc.db-url-path={self.state_dir}")
        try:
            with open(self.log_file, "wb") as log:
                # A new session makes kc.sh and its java one process group we can signal.
                process = subprocess.Popen(
                    command, cwd=self.state_dir, env=server_env(jdk, password, self.database, self.version),
                    stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
                )
        except OSError as exc:
            raise LocalServerError(f"Cannot run '{' '.join(command[:3])}': {exc}") from exc
        self._process = process
        return process

    def _ensure_password(self) -> str:
        """Reuse the instance's password: the dev-file database keeps the admin from its first start."""
        if self.password_file.is_file():
            password = read_secret_file(self.password_file)
            if password:
                return password
        password = secrets.token_urlsafe(18)
        fd = os.open(self.password_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            os.fchmod(handle.fileno(), 0o600)
            handle.write(password + "\n")
        return password

    # ----------------------------------------------------------- stopping

    def _terminate(self, pid: int) -> None:
        """SIGTERM the server's process group, then SIGKILL it if it lingers."""
        group = group_of(pid)
        send_signal(pid, group, signal.SIGTERM)
        if self._wait_gone(pid, group, STOP_GRACE):
            return
        send_signal(pid, group, signal.SIGKILL)
        if not self._wait_gone(pid, group, KILL_GRACE):
            raise LocalServerError(
                f"Keycloak (pid {pid}) did not exit after SIGKILL; see {self.log_file}."
            )

    def _wait_gone(self, pid: int, group: int | None, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while True:
            self._reap(pid)
            if not any_alive(pid, group):
                return True
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.1)

    def _reap(self, pid: int) -> None:
        """Collect our own child's exit status, else it lingers as a zombie."""
        if self._process is not None and self._process.pid == pid:
            self._process.poll()
            return
        with contextlib.suppress(ChildProcessError, OSError):
            os.waitpid(pid, os.WNOHANG)

    # ----------------------------------------------------------- state

    def _read_state(self) -> dict[str, Any] | None:
        try:
            state = json.loads(self.state_file.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return None
        except (OSError, ValueError):
            self._forget()  # unreadable state cannot identify a process we may signal
            return None
        if not isinstance(state, dict) or not isinstance(state.get("pid"), int) or "url" not in state:
            self._forget()
            return None
        return state

    def _write_state(self, state: Mapping[str, Any]) -> None:
        temporary = self.state_file.with_suffix(".tmp")
        temporary.write_text(json.dumps(state, indent=2) + "\n", encoding="utf-8")
        os.replace(temporary, self.state_file)

    def _forget(self) -> None:
        with contextlib.suppress(FileNotFoundError):
            self.state_file.unlink()

    def _is_ours(self, state: Mapping[str, Any]) -> bool:
        """True if the recorded pid is alive and still runs this Keycloak."""
        command = cmdline(int(state["pid"]))
        if not command:
            return False
        kc_home = state.get("kc_home")
        if kc_home:
            return kc_home in command or str(Path(kc_home).resolve()) in command
        return "keycloak" in command.lower()

    def _info(self, state: Mapping[str, Any]) -> ServerInfo:
        return ServerInfo(
            url=state["url"],
            admin_user=state.get("admin_user", ADMIN_USER),
            password_file=self.password_file,
            pid=int(state["pid"]),
            version=state.get("version", self.version),
            log_file=Path(state.get("log_file", self.log_file)),
        )


def server_env(jdk: Jdk, password: str, database: Database | None = None,
                version: str = DEFAULT_VERSION) -> dict[str, str]:
    """The environment a local Keycloak runs with: its JDK, bootstrap admin and, when given, its database."""
    # Keycloak reads KC_DB* from its environment: a KC_DB_URL left in ours would point an H2 server
    # at another database. H2 servers get none of them; a server on a database gets the chosen
    # password and keeps the other settings (pool sizes, schema).
    if database is None:
        env = {key: value for key, value in os.environ.items() if not key.startswith("KC_DB")}
    else:
        env = {key: value for key, value in os.environ.items() if key not in ENV_NAMES}
        env.update(database.environment())
    user_name, password_name = bootstrap_admin_names(version)
    env[user_name] = ADMIN_USER
    env[password_name] = password
    env["JAVA_HOME"] = str(jdk.home)
    env["PATH"] = os.pathsep.join(filter(None, [str(jdk.home / "bin"), env.get("PATH", "")]))
    # kc.sh's own default (512 MB) is tight once a few realms are imported.
    env.setdefault("JAVA_OPTS_KC_HEAP", DEFAULT_HEAP)
    if jdk.major >= 24 and JAVA_LANG_OPENS not in env.get("JAVA_OPTS_APPEND", ""):
        # Without it jboss-threads kills worker threads with IllegalAccessError on Java 24+.
        env["JAVA_OPTS_APPEND"] = f"{env.get('JAVA_OPTS_APPEND', '')} {JAVA_LANG_OPENS}".strip()
    return env


def _log_tail(log_file: Path, count: int = LOG_TAIL_LINES) -> str:
    """The last lines of a (possibly large) log file."""
    try:
        with open(log_file, "rb") as handle:
            handle.seek(0, os.SEEK_END)
            handle.seek(max(0, handle.tell() - 64 * 1024))
            text = handle.read().decode(errors="replace")
    except OSError as exc:
        return f"(cannot read the log: {exc})"
    return last_lines(text, count) or "(the log is empty)"
