"""A local Keycloak server for trying groupid out and for tests.

The server distribution is fetched once from Maven Central with ``mvn`` and
kept in a cache directory outside the repository; each named *instance* runs
that distribution in ``start-dev`` mode on a free port of 127.0.0.1 and keeps
its state in ``<cache>/instances/<name>/``::

    <cache>/keycloak/<version>/keycloak-<version>/   the unpacked distribution
    <cache>/instances/<name>/state.json             pid, port, url, ... (no secrets)
    <cache>/instances/<name>/admin-password          mode 0600, the only copy of the secret
    <cache>/instances/<name>/keycloak.log            the server's output

The default instance keeps its data in Keycloak's dev-file database (H2 files
under ``<cache>/instances/<name>/data/h2/``), so realms survive a restart and
the admin password stays the one in ``admin-password``; an *ephemeral* instance (``ephemeral=True``, used by tests)
runs on an in-memory database and forgets everything when stopped.

Environment variables:

``GROUPID_CACHE_DIR``         where to keep distributions and instances
                              (else ``$XDG_CACHE_HOME/groupid``, else ``~/.cache/groupid``)
``GROUPID_KEYCLOAK_VERSION``  the Keycloak version to run (default :data:`DEFAULT_VERSION`)
``GROUPID_JAVA_HOME``         the JDK to run Keycloak with (else ``$JAVA_HOME``,
                              else the newest supported JDK under ``/usr/lib/jvm``)

The library never prints: everything that goes wrong is raised as
:class:`~groupid.errors.LocalServerError`.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import tarfile
import tempfile
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import requests

from groupid.errors import LocalServerError
from groupid.realms.connection import read_secret_file

try:
    import fcntl
except ImportError:  # Windows: kc.sh and process groups are POSIX-only anyway
    fcntl = None  # type: ignore[assignment]

DEFAULT_VERSION = "26.5.6"
SUPPORTED_JAVA = (25, 21, 17)  # preference order
DEFAULT_JVM_ROOT = Path("/usr/lib/jvm")

ADMIN_USER = "admin"
DEFAULT_HEAP = "-Xms64m -Xmx1g"
JAVA_LANG_OPENS = "--add-opens=java.base/java.lang=ALL-UNNAMED"
MAVEN_GROUP_ARTIFACT = "org.keycloak:keycloak-quarkus-dist"
MAVEN_TIMEOUT = 1800.0  # a 160 MB download on a slow link
POLL_INTERVAL = 0.5
STOP_GRACE = 30.0
KILL_GRACE = 10.0
LOG_TAIL_LINES = 20

_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
_VERSION_RE = re.compile(r"^[0-9]+(\.[0-9]+)*([.-][A-Za-z0-9]+)*$")
_JAVA_VERSION_RE = re.compile(r'^JAVA_VERSION="?([^"\s]+)"?\s*$', re.MULTILINE)


# --------------------------------------------------------------------------- JDK


@dataclass(frozen=True)
class Jdk:
    """A Java installation: its home directory and major version."""

    home: Path
    major: int


def find_jdk(search_root: Path = DEFAULT_JVM_ROOT, env: Mapping[str, str] | None = None) -> Jdk:
    """Find a JDK that can run Keycloak, preferring the newest supported major.

    ``GROUPID_JAVA_HOME``, when set, is the only candidate. Otherwise
    ``JAVA_HOME`` and every directory under ``search_root`` are considered and
    the highest major in :data:`SUPPORTED_JAVA` wins (``JAVA_HOME`` wins ties).
    Raises :class:`LocalServerError` listing what was found when none fits.
    """
    env = os.environ if env is None else env
    forced = env.get("GROUPID_JAVA_HOME")
    if forced:
        return _forced_jdk(Path(forced).expanduser())
    found: list[Jdk] = []
    rejected: list[str] = []
    for home in _jdk_candidates(search_root, env.get("JAVA_HOME")):
        major, why_not = _inspect_jdk(home)
        if why_not:
            rejected.append(f"{home} ({why_not})")
        else:
            found.append(Jdk(home, major))
    if not found:
        raise LocalServerError(_no_jdk_message(search_root, rejected))
    return min(found, key=lambda jdk: SUPPORTED_JAVA.index(jdk.major))


def _forced_jdk(home: Path) -> Jdk:
    major, why_not = _inspect_jdk(home)
    if why_not:
        raise LocalServerError(
            f"GROUPID_JAVA_HOME points at {home}, which cannot run Keycloak: {why_not}. "
            f"Point it at a JDK {_supported_text()}, or unset it to search automatically."
        )
    return Jdk(home.resolve(), major)


def _jdk_candidates(search_root: Path, java_home: str | None) -> list[Path]:
    """JAVA_HOME first, then the JVM directory; symlinked duplicates only once."""
    paths = [Path(java_home).expanduser()] if java_home else []
    if search_root.is_dir():
        paths += sorted(p for p in search_root.iterdir() if p.is_dir() and not p.name.startswith("."))
    seen: set[Path] = set()
    unique = []
    for path in paths:
        resolved = path.resolve()
        if resolved not in seen:
            seen.add(resolved)
            unique.append(resolved)
    return unique


def _inspect_jdk(home: Path) -> tuple[int, str | None]:
    """Return (major, None) for a usable JDK, else (0, reason it is unusable)."""
    java = home / "bin" / "java"
    if not (java.is_file() and os.access(java, os.X_OK)):
        return 0, "no executable bin/java"
    major = _release_major(home / "release")
    if major is None:
        return 0, "no readable JAVA_VERSION in its release file"
    if major not in SUPPORTED_JAVA:
        return major, f"Java {major}, unsupported"
    return major, None


def _release_major(release: Path) -> int | None:
    """Major Java version from a JDK's ``release`` file (``1.8.0_x`` -> 8, ``25.0.1`` -> 25)."""
    try:
        match = _JAVA_VERSION_RE.search(release.read_text(encoding="utf-8", errors="replace"))
    except OSError:
        return None
    if not match:
        return None
    parts = re.split(r"[.\-+_]", match.group(1))
    digits = parts[1] if parts[0] == "1" and len(parts) > 1 else parts[0]
    return int(digits) if digits.isdigit() else None


def _supported_text() -> str:
    return "of Java " + ", ".join(map(str, SUPPORTED_JAVA[:-1])) + f" or {SUPPORTED_JAVA[-1]}"


def _no_jdk_message(search_root: Path, rejected: list[str]) -> str:
    seen = "; ".join(rejected) if rejected else "nothing"
    return (
        f"No Java found that can run Keycloak (it needs a JDK {_supported_text()}). "
        f"Looked at $JAVA_HOME and {search_root}, found: {seen}. "
        "Install a supported JDK, or set GROUPID_JAVA_HOME to one."
    )


# --------------------------------------------------------------------------- cache


def cache_dir(env: Mapping[str, str] | None = None) -> Path:
    """The directory holding downloaded distributions and instance state.

    ``$GROUPID_CACHE_DIR``, else ``$XDG_CACHE_HOME/groupid``, else ``~/.cache/groupid``.
    """
    env = os.environ if env is None else env
    if env.get("GROUPID_CACHE_DIR"):
        return Path(env["GROUPID_CACHE_DIR"]).expanduser()
    if env.get("XDG_CACHE_HOME"):
        return Path(env["XDG_CACHE_HOME"]).expanduser() / "groupid"
    home = Path(env["HOME"]) if env.get("HOME") else Path.home()
    return home / ".cache" / "groupid"


@contextlib.contextmanager
def _file_lock(path: Path) -> Iterator[None]:
    """Hold an exclusive lock on ``path`` so concurrent groupid processes take turns."""
    if fcntl is None:
        raise LocalServerError("The local Keycloak server needs a POSIX system (Linux or macOS).")
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


# --------------------------------------------------------------------------- server


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


class LocalKeycloak:
    """One named local Keycloak instance: fetch, start, inspect and stop it.

    ``ephemeral`` instances use an in-memory database (for tests); the others
    keep their data between restarts. ``cache`` defaults to :func:`cache_dir`,
    ``jvm_root`` is where :func:`find_jdk` looks for JDKs.
    """

    def __init__(
        self,
        name: str = "default",
        *,
        version: str | None = None,
        ephemeral: bool = False,
        cache: Path | None = None,
        jvm_root: Path = DEFAULT_JVM_ROOT,
    ):
        if not _NAME_RE.match(name):
            raise LocalServerError(
                f"Invalid local server name {name!r}: use letters, digits, '.', '_' or '-' (at most 64)."
            )
        version = version or os.environ.get("GROUPID_KEYCLOAK_VERSION") or DEFAULT_VERSION
        if not _VERSION_RE.match(version):
            raise LocalServerError(f"Invalid Keycloak version {version!r} (expected e.g. {DEFAULT_VERSION}).")
        self.name = name
        self.version = version
        self.ephemeral = ephemeral
        self.jvm_root = jvm_root
        # Resolved so the path matches what kc.sh puts in the java command line.
        self.cache = Path(cache or cache_dir()).expanduser().resolve()
        self.dist_root = self.cache / "keycloak" / version
        self.home = self.dist_root / f"keycloak-{version}"
        self.state_dir = self.cache / "instances" / name
        self.state_file = self.state_dir / "state.json"
        self.password_file = self.state_dir / "admin-password"
        self.log_file = self.state_dir / "keycloak.log"
        self._process: subprocess.Popen[bytes] | None = None

    # ----------------------------------------------------------- distribution

    def ensure_distribution(self) -> Path:
        """Download and unpack the Keycloak distribution unless cached; return its home."""
        if self._distribution_ready():
            return self.home
        mvn = shutil.which("mvn")
        if mvn is None:
            raise LocalServerError(
                f"Maven ('mvn') is not on PATH, and it is needed once to download Keycloak {self.version} "
                f"({MAVEN_GROUP_ARTIFACT}:{self.version}:tar.gz) into {self.dist_root}. Install Maven "
                "(e.g. 'apt install maven'), or skip the local server and point groupid at an existing "
                "Keycloak with GROUPID_SERVER_URL."
            )
        with _file_lock(self.dist_root / ".download.lock"):
            if self._distribution_ready():  # another process finished it while we waited
                return self.home
            self._discard_partial_downloads()
            with tempfile.TemporaryDirectory(dir=self.dist_root, prefix=".partial-") as tmp:
                tarball = self._download(mvn, Path(tmp))
                self._unpack(tarball, Path(tmp) / "unpacked")
        return self.home

    def _distribution_ready(self) -> bool:
        return (self.home / "bin" / "kc.sh").is_file()

    def _discard_partial_downloads(self) -> None:
        """Remove leftovers of a download that was killed; we hold the lock, so none is live."""
        for leftover in self.dist_root.glob(".partial-*"):
            shutil.rmtree(leftover, ignore_errors=True)
        if self.home.exists():  # incomplete: the atomic rename never leaves a half home
            shutil.rmtree(self.home, ignore_errors=True)

    def _download(self, mvn: str, into: Path) -> Path:
        artifact = f"{MAVEN_GROUP_ARTIFACT}:{self.version}:tar.gz"
        command = [mvn, "-q", "-B", "dependency:copy", f"-Dartifact={artifact}", f"-DoutputDirectory={into}"]
        shown = f"mvn -q -B dependency:copy -Dartifact={artifact}"
        try:
            # cwd=into so a pom.xml in the user's directory cannot change what Maven does.
            done = subprocess.run(
                command, cwd=into, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                errors="replace", timeout=MAVEN_TIMEOUT, check=False,
            )
        except subprocess.TimeoutExpired as exc:
            raise LocalServerError(f"'{shown}' did not finish within {MAVEN_TIMEOUT:.0f} s.") from exc
        except OSError as exc:
            raise LocalServerError(f"Cannot run Maven ({mvn}): {exc}") from exc
        tarball = into / f"keycloak-quarkus-dist-{self.version}.tar.gz"
        if done.returncode != 0 or not tarball.is_file():
            output = _last_lines(done.stdout + done.stderr) or "(no output)"
            raise LocalServerError(
                f"Downloading Keycloak {self.version} failed: '{shown}' exited with code {done.returncode}. "
                f"Check the version exists on Maven Central and that Maven can reach it "
                f"(proxy/mirror in ~/.m2/settings.xml). Maven said:\n{output}"
            )
        return tarball

    def _unpack(self, tarball: Path, into: Path) -> None:
        try:
            with tarfile.open(tarball, "r:gz") as archive:
                archive.extractall(into, filter="data")
        except (tarfile.TarError, OSError, EOFError) as exc:
            raise LocalServerError(f"Cannot unpack the Keycloak archive {tarball.name}: {exc}") from exc
        tarball.unlink()  # 160 MB we no longer need
        unpacked = into / f"keycloak-{self.version}"
        if not (unpacked / "bin" / "kc.sh").is_file():
            raise LocalServerError(
                f"The archive {tarball.name} does not contain keycloak-{self.version}/bin/kc.sh; "
                "it is not a Keycloak server distribution."
            )
        # The rename is atomic: a half-unpacked tree is never mistaken for a complete one.
        os.rename(unpacked, self.home)

    # ----------------------------------------------------------- lifecycle

    def start(self, timeout: float = 240.0) -> ServerInfo:
        """Start the instance, or return the running one (``reused=True``).

        Waits until ``/realms/master`` answers 200; the very first start also
        runs Keycloak's build step, hence the generous default ``timeout``.
        """
        self.state_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        with _file_lock(self.state_dir / ".lock"):
            running = self.status()
            if running is not None:
                return replace(running, reused=True)
            if self._read_state() is not None:  # ours and alive, but not answering: hung
                self.stop()
            home = self.ensure_distribution()
            jdk = find_jdk(self.jvm_root)
            password = self._ensure_password()
            # Instances of one version share the distribution, and start-dev rewrites
            # its build (lib/quarkus) when the database kind differs: start one at a time.
            with _file_lock(self.dist_root / ".start.lock"):
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
        if not _answers(state["url"]):
            return None
        return self._info(state)

    def starting(self) -> ServerInfo | None:
        """The instance while its process runs but does not answer yet (starting, or hung), else None."""
        state = self._read_state()
        if state is None or not self._is_ours(state) or _answers(state["url"]):
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
        port = _free_port()
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
            "started_at": time.time(),
        }
        # Recorded before waiting, so stop() from elsewhere can find a slow start.
        self._write_state(state)
        try:
            failure = _wait_until_ready(process, url, timeout)
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
        else:
            # Keycloak's dev-file URL honours kc.db-url-path (undocumented); without it every
            # persistent instance of a version would share one H2 file inside the distribution,
            # and a second instance would find another instance's admin password there.
            command.append(f"-Dkc.db-url-path={self.state_dir}")
        try:
            with open(self.log_file, "wb") as log:
                # A new session makes kc.sh and its java one process group we can signal.
                process = subprocess.Popen(
                    command, cwd=self.state_dir, env=_server_env(jdk, password),
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
        group = _group_of(pid)
        _signal(pid, group, signal.SIGTERM)
        if self._wait_gone(pid, group, STOP_GRACE):
            return
        _signal(pid, group, signal.SIGKILL)
        if not self._wait_gone(pid, group, KILL_GRACE):
            raise LocalServerError(
                f"Keycloak (pid {pid}) did not exit after SIGKILL; see {self.log_file}."
            )

    def _wait_gone(self, pid: int, group: int | None, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while True:
            self._reap(pid)
            if not _any_alive(pid, group):
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
        cmdline = _cmdline(int(state["pid"]))
        if not cmdline:
            return False
        kc_home = state.get("kc_home")
        if kc_home:
            return kc_home in cmdline or str(Path(kc_home).resolve()) in cmdline
        return "keycloak" in cmdline.lower()

    def _info(self, state: Mapping[str, Any]) -> ServerInfo:
        return ServerInfo(
            url=state["url"],
            admin_user=state.get("admin_user", ADMIN_USER),
            password_file=self.password_file,
            pid=int(state["pid"]),
            version=state.get("version", self.version),
            log_file=Path(state.get("log_file", self.log_file)),
        )


# --------------------------------------------------------------------------- helpers


def _server_env(jdk: Jdk, password: str) -> dict[str, str]:
    env = dict(os.environ)
    env["KC_BOOTSTRAP_ADMIN_USERNAME"] = ADMIN_USER
    env["KC_BOOTSTRAP_ADMIN_PASSWORD"] = password
    env["JAVA_HOME"] = str(jdk.home)
    env["PATH"] = os.pathsep.join(filter(None, [str(jdk.home / "bin"), env.get("PATH", "")]))
    # kc.sh's own default (512 MB) is tight once a few realms are imported.
    env.setdefault("JAVA_OPTS_KC_HEAP", DEFAULT_HEAP)
    if jdk.major >= 24 and JAVA_LANG_OPENS not in env.get("JAVA_OPTS_APPEND", ""):
        # Without it jboss-threads kills worker threads with IllegalAccessError on Java 24+.
        env["JAVA_OPTS_APPEND"] = f"{env.get('JAVA_OPTS_APPEND', '')} {JAVA_LANG_OPENS}".strip()
    return env


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _answers(url: str, session: requests.Session | None = None) -> bool:
    """True if Keycloak at ``url`` serves the master realm."""
    owned = session is None
    session = session or requests.Session()
    session.trust_env = False  # an HTTP(S)_PROXY must not capture 127.0.0.1
    try:
        response = session.get(f"{url}/realms/master", timeout=2, allow_redirects=False)
        return response.status_code == 200
    except requests.RequestException:
        return False
    finally:
        if owned:
            session.close()


def _wait_until_ready(process: subprocess.Popen[bytes], url: str, timeout: float) -> str | None:
    """Poll until Keycloak answers; return why it did not, or None when ready."""
    deadline = time.monotonic() + timeout
    with requests.Session() as session:
        while True:
            code = process.poll()
            if code is not None:
                return f"Keycloak exited with code {code} before it was ready"
            if _answers(url, session):
                return None
            if time.monotonic() >= deadline:
                return f"Keycloak did not answer at {url} within {timeout:.0f} s"
            time.sleep(POLL_INTERVAL)


def _cmdline(pid: int) -> str | None:
    """The command line of a live process, or None if it is gone or not ours to see."""
    try:
        os.kill(pid, 0)
    except (ProcessLookupError, PermissionError):  # gone, or another user's
        return None
    if not Path("/proc/self").exists():
        return _cmdline_from_ps(pid)
    # Right after exec the kernel may briefly report an empty command line; only a
    # zombie's stays empty, so retry a little before calling the process a stranger.
    for _ in range(20):
        try:
            raw = Path(f"/proc/{pid}/cmdline").read_bytes()
        except OSError:
            return None
        if raw.strip(b"\0"):
            return raw.replace(b"\0", b" ").decode(errors="replace").strip()
        if _is_zombie(pid):
            return None
        time.sleep(0.025)
    return None


def _is_zombie(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text(encoding="ascii", errors="replace")
    except OSError:
        return True  # gone meanwhile
    # The state letter follows the parenthesised command name, which may contain spaces.
    return stat.rpartition(")")[2].split()[:1] == ["Z"]


def _cmdline_from_ps(pid: int) -> str | None:
    """Fallback for systems without /proc (macOS)."""
    try:
        done = subprocess.run(["ps", "-o", "command=", "-p", str(pid)], capture_output=True, text=True,
                              check=False, timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return done.stdout.strip() or None


def _group_of(pid: int) -> int | None:
    """The pid's process group if it leads one (as our servers do), else None."""
    try:
        return pid if os.getpgid(pid) == pid else None
    except ProcessLookupError:
        return None


def _signal(pid: int, group: int | None, signum: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        if group is not None:
            os.killpg(group, signum)
        else:
            os.kill(pid, signum)


def _any_alive(pid: int, group: int | None) -> bool:
    try:
        if group is not None:
            os.killpg(group, 0)
        else:
            os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _last_lines(text: str, count: int = LOG_TAIL_LINES) -> str:
    return "\n".join(text.strip().splitlines()[-count:])


def _log_tail(log_file: Path, count: int = LOG_TAIL_LINES) -> str:
    """The last lines of a (possibly large) log file."""
    try:
        with open(log_file, "rb") as handle:
            handle.seek(0, os.SEEK_END)
            handle.seek(max(0, handle.tell() - 64 * 1024))
            text = handle.read().decode(errors="replace")
    except OSError as exc:
        return f"(cannot read the log: {exc})"
    return _last_lines(text, count) or "(the log is empty)"


__all__ = [
    "DEFAULT_VERSION",
    "SUPPORTED_JAVA",
    "Jdk",
    "LocalKeycloak",
    "ServerInfo",
    "cache_dir",
    "find_jdk",
]
