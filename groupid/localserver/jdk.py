"""Finding a JDK that can run the local Keycloak."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from groupid.errors import LocalServerError
from groupid.localserver.versions import DEFAULT_VERSION, newest_java

SUPPORTED_JAVA = (25, 21, 17)  # preference order
DEFAULT_JVM_ROOT = Path("/usr/lib/jvm")

_JAVA_VERSION_RE = re.compile(r'^JAVA_VERSION="?([^"\s]+)"?\s*$', re.MULTILINE)


@dataclass(frozen=True)
class Jdk:
    """A Java installation: its home directory and major version."""

    home: Path
    major: int


def find_jdk(search_root: Path = DEFAULT_JVM_ROOT, env: Mapping[str, str] | None = None,
             keycloak_version: str = DEFAULT_VERSION) -> Jdk:
    """Find a JDK that can run Keycloak ``keycloak_version``, preferring the newest supported major.

    ``GROUPID_JAVA_HOME``, when set, is the only candidate. Otherwise
    ``JAVA_HOME`` and every directory under ``search_root`` are considered and
    the highest major in :data:`SUPPORTED_JAVA` that the version runs on
    (:func:`~groupid.localserver.versions.newest_java`) wins (``JAVA_HOME`` wins ties).
    Raises :class:`LocalServerError` listing what was found when none fits.
    """
    env = os.environ if env is None else env
    forced = env.get("GROUPID_JAVA_HOME")
    if forced:
        return _forced_jdk(Path(forced).expanduser())
    ceiling = newest_java(keycloak_version)
    found: list[Jdk] = []
    rejected: list[str] = []
    for home in _jdk_candidates(search_root, env.get("JAVA_HOME")):
        major, why_not = _inspect_jdk(home)
        if not why_not and major > ceiling:
            why_not = f"Java {major}, newer than Keycloak {keycloak_version} runs on"
        if why_not:
            rejected.append(f"{home} ({why_not})")
        else:
            found.append(Jdk(home, major))
    if not found:
        raise LocalServerError(_no_jdk_message(search_root, rejected, keycloak_version))
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


def _supported_text(ceiling: int | None = None) -> str:
    majors = [str(major) for major in SUPPORTED_JAVA if ceiling is None or major <= ceiling]
    return "of Java " + (f"{', '.join(majors[:-1])} or {majors[-1]}" if len(majors) > 1 else majors[0])


def _no_jdk_message(search_root: Path, rejected: list[str], version: str) -> str:
    seen = "; ".join(rejected) if rejected else "nothing"
    return (
        f"No Java found that can run Keycloak {version} (it needs a JDK {_supported_text(newest_java(version))}). "
        f"Looked at $JAVA_HOME and {search_root}, found: {seen}. "
        "Install a supported JDK, or set GROUPID_JAVA_HOME to one."
    )
