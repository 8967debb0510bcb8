"""OS process helpers for the local Keycloak: ports, readiness, identity and signals.

These functions carry no leading underscore because several modules of
:mod:`groupid.localserver` share them; they are still internal to the package
and not part of its public API.
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import time
from pathlib import Path

import requests

POLL_INTERVAL = 0.5
LOG_TAIL_LINES = 20


def free_port() -> int:
    """A TCP port of 127.0.0.1 that is free right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def answers(url: str, session: requests.Session | None = None) -> bool:
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


def wait_until_ready(process: subprocess.Popen[bytes], url: str, timeout: float) -> str | None:
    """Poll until Keycloak answers; return why it did not, or None when ready."""
    deadline = time.monotonic() + timeout
    with requests.Session() as session:
        while True:
            code = process.poll()
            if code is not None:
                return f"Keycloak exited with code {code} before it was ready"
            if answers(url, session):
                return None
            if time.monotonic() >= deadline:
                return f"Keycloak did not answer at {url} within {timeout:.0f} s"
            time.sleep(POLL_INTERVAL)


def cmdline(pid: int) -> str | None:
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


def group_of(pid: int) -> int | None:
    """The pid's process group if it leads one (as our servers do), else None."""
    try:
        return pid if os.getpgid(pid) == pid else None
    except ProcessLookupError:
        return None


def send_signal(pid: int, group: int | None, signum: int) -> None:
    """Signal the whole process group when there is one, else the single process."""
    with contextlib.suppress(ProcessLookupError):
        if group is not None:
            os.killpg(group, signum)
        else:
            os.kill(pid, signum)


def any_alive(pid: int, group: int | None) -> bool:
    """True while any process of the group (or the process itself, without a group) exists."""
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


def last_lines(text: str, count: int = LOG_TAIL_LINES) -> str:
    """The last ``count`` lines of a process's output, for quoting in an error message."""
    return "\n".join(text.strip().splitlines()[-count:])
