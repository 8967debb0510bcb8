"""The cache directory, and the Keycloak server distribution fetched into it with Maven."""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import tarfile
import tempfile
from collections.abc import Iterator, Mapping
from pathlib import Path

from groupid.errors import LocalServerError
from groupid.localserver.process import last_lines
from groupid.localserver.versions import DEFAULT_VERSION

try:
    import fcntl
except ImportError:  # Windows: kc.sh and process groups are POSIX-only anyway
    fcntl = None  # type: ignore[assignment]

__all__ = ["DEFAULT_VERSION", "Distribution", "cache_dir", "file_lock"]

MAVEN_GROUP_ARTIFACT = "org.keycloak:keycloak-quarkus-dist"
MAVEN_TIMEOUT = 1800.0  # a 160 MB download on a slow link


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
def file_lock(path: Path) -> Iterator[None]:
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


class Distribution:
    """One version of the Keycloak server distribution, unpacked under ``root``.

    ``root`` is the version's own directory in the cache; the server lives in
    ``root/keycloak-<version>`` (:attr:`home`) once :meth:`ensure` has fetched it.
    """

    def __init__(self, version: str, root: Path):
        self.version = version
        self.root = root
        self.home = root / f"keycloak-{version}"

    def ensure(self) -> Path:
        """Download and unpack the distribution unless cached; return its home."""
        if self._ready():
            return self.home
        mvn = shutil.which("mvn")
        if mvn is None:
            raise LocalServerError(
                f"Maven ('mvn') is not on PATH, and it is needed once to download Keycloak {self.version} "
                f"({MAVEN_GROUP_ARTIFACT}:{self.version}:tar.gz) into {self.root}. Install Maven "
                "(e.g. 'apt install maven'), or skip the local server and point groupid at an existing "
                "Keycloak with GROUPID_SERVER_URL."
            )
        with file_lock(self.root / ".download.lock"):
            if self._ready():  # another process finished it while we waited
                return self.home
            self._discard_partial_downloads()
            with tempfile.TemporaryDirectory(dir=self.root, prefix=".partial-") as tmp:
                tarball = self._download(mvn, Path(tmp))
                self._unpack(tarball, Path(tmp) / "unpacked")
        return self.home

    def build_home(self, kind: str) -> Path:
        """Where the distribution built for database ``kind`` lives (see :meth:`ensure_build`)."""
        return self.root / "builds" / kind / self.home.name

    def ensure_build(self, kind: str) -> Path:
        """A home of its own for servers on database ``kind`` (postgres, ...); return it.

        The database kind is a build option: ``start-dev`` rebuilds ``lib/quarkus`` in place when it
        differs, which would pull the files from under the H2 servers running on the shared home (and
        rebuild again at their next start). So each kind gets its own home: ``lib/quarkus`` and ``data``
        copied, every other file hard-linked (copied across file systems), as Keycloak never writes them.
        """
        home = self.build_home(kind)
        if (home / "bin" / "kc.sh").is_file():
            return home
        source = self.ensure()
        with file_lock(self.root / ".download.lock"):
            if (home / "bin" / "kc.sh").is_file():
                return home
            home.parent.mkdir(parents=True, exist_ok=True)
            partial = home.with_name(f".partial-{home.name}")
            shutil.rmtree(partial, ignore_errors=True)
            written = {source / "lib" / "quarkus", source / "data"}

            def link_or_copy(src: str, dst: str) -> None:
                if any(Path(src).is_relative_to(top) for top in written):
                    shutil.copy2(src, dst)
                    return
                try:
                    os.link(src, dst)
                except OSError:
                    shutil.copy2(src, dst)

            try:
                shutil.copytree(source, partial, symlinks=True, copy_function=link_or_copy)
            except (OSError, shutil.Error) as exc:
                shutil.rmtree(partial, ignore_errors=True)
                raise LocalServerError(f"Cannot prepare a Keycloak home for --db={kind} in {home}: {exc}") from exc
            os.rename(partial, home)  # atomic: a half-made home is never taken for a complete one
        return home

    def _ready(self) -> bool:
        return (self.home / "bin" / "kc.sh").is_file()

    def _discard_partial_downloads(self) -> None:
        """Remove leftovers of a download that was killed; we hold the lock, so none is live."""
        for leftover in self.root.glob(".partial-*"):
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
            output = last_lines(done.stdout + done.stderr) or "(no output)"
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
