"""Unit tests for groupid.localserver. No network, no real Keycloak."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from groupid import localserver
from groupid.errors import LocalServerError
from groupid.localserver import Database, Jdk, LocalKeycloak, cache_dir, find_jdk, versions
from groupid.localserver.instance import server_env
from groupid.localserver.process import free_port


def make_jdk(root: Path, name: str, version: str, *, executable: bool = True) -> Path:
    """A fake JDK directory: a release file and a bin/java stub."""
    home = root / name
    (home / "bin").mkdir(parents=True)
    (home / "release").write_text(f'IMPLEMENTOR="Test"\nJAVA_VERSION="{version}"\n', encoding="utf-8")
    java = home / "bin" / "java"
    java.write_text("#!/bin/sh\nexit 0\n", encoding="utf-8")
    java.chmod(0o755 if executable else 0o644)
    return home


@pytest.fixture
def jvm(tmp_path: Path) -> Path:
    root = tmp_path / "jvm"
    root.mkdir()
    return root


# ------------------------------------------------------------------ find_jdk


def test_find_jdk_prefers_highest_supported_major(jvm: Path) -> None:
    make_jdk(jvm, "java-17", "17.0.15")
    make_jdk(jvm, "temurin-25", "25.0.1")
    make_jdk(jvm, "java-21", "21.0.4")

    assert find_jdk(jvm, env={}) == Jdk(jvm.resolve() / "temurin-25", 25)


def test_find_jdk_ignores_unsupported_and_broken(jvm: Path) -> None:
    make_jdk(jvm, "java-11", "11.0.2")
    make_jdk(jvm, "java-22", "22.0.1")
    make_jdk(jvm, "java-25-noexec", "25.0.1", executable=False)
    make_jdk(jvm, "java-8", "1.8.0_402")
    make_jdk(jvm, "java-17", "17.0.15")

    assert find_jdk(jvm, env={}) == Jdk(jvm.resolve() / "java-17", 17)


def test_find_jdk_skips_symlinked_duplicates_and_prefers_java_home_on_ties(jvm: Path, tmp_path: Path) -> None:
    real = make_jdk(jvm, "java-21-openjdk", "21.0.4")
    (jvm / "java-1.21.0-openjdk").symlink_to(real)
    elsewhere = make_jdk(tmp_path / "opt", "my-21", "21.0.9")

    assert find_jdk(jvm, env={"JAVA_HOME": str(elsewhere)}).home == elsewhere.resolve()


def test_find_jdk_java_home_loses_to_a_newer_supported_jdk(jvm: Path, tmp_path: Path) -> None:
    make_jdk(jvm, "temurin-25", "25.0.1")
    old = make_jdk(tmp_path / "opt", "jdk17", "17.0.1")

    assert find_jdk(jvm, env={"JAVA_HOME": str(old)}).major == 25


def test_find_jdk_honours_groupid_java_home(jvm: Path, tmp_path: Path) -> None:
    make_jdk(jvm, "temurin-25", "25.0.1")
    chosen = make_jdk(tmp_path / "opt", "jdk17", "17.0.15")

    assert find_jdk(jvm, env={"GROUPID_JAVA_HOME": str(chosen)}) == Jdk(chosen.resolve(), 17)


def test_find_jdk_unusable_groupid_java_home_is_an_error_not_a_fallback(jvm: Path, tmp_path: Path) -> None:
    make_jdk(jvm, "temurin-25", "25.0.1")
    bad = make_jdk(tmp_path / "opt", "jdk11", "11.0.2")

    with pytest.raises(LocalServerError) as caught:
        find_jdk(jvm, env={"GROUPID_JAVA_HOME": str(bad)})
    assert "GROUPID_JAVA_HOME" in str(caught.value)
    assert "Java 11" in str(caught.value)


@pytest.mark.parametrize("version, major", [("26.7.3", 25), ("26.4.0", 25), ("26.3.5", 21), ("26.0.8", 21),
                                            ("24.0.5", 21)])
def test_find_jdk_takes_the_newest_java_the_keycloak_version_runs_on(jvm: Path, version: str, major: int) -> None:
    make_jdk(jvm, "java-17", "17.0.15")
    make_jdk(jvm, "java-21", "21.0.4")
    make_jdk(jvm, "temurin-25", "25.0.1")

    assert find_jdk(jvm, env={}, keycloak_version=version).major == major


def test_find_jdk_says_when_every_java_is_too_new_for_the_version(jvm: Path, tmp_path: Path) -> None:
    make_jdk(jvm, "temurin-25", "25.0.1")

    with pytest.raises(LocalServerError) as caught:
        find_jdk(jvm, env={}, keycloak_version="26.0.8")
    message = str(caught.value)
    assert "Keycloak 26.0.8 (it needs a JDK of Java 21 or 17)" in message
    assert "temurin-25 (Java 25, newer than Keycloak 26.0.8 runs on)" in message
    # GROUPID_JAVA_HOME is the way round it, for a user who knows better
    assert find_jdk(jvm, env={"GROUPID_JAVA_HOME": str(jvm / "temurin-25")}, keycloak_version="26.0.8").major == 25


@pytest.mark.parametrize("version, parts", [("26.0.8", (26, 0, 8)), ("26.1.0-rc1", (26, 1, 0)), ("26", (26,)),
                                            ("nightly", (0,))])
def test_a_release_is_compared_by_its_numbers(version: str, parts: tuple) -> None:
    assert versions.release(version) == parts


def test_the_tested_versions_run_from_oldest_to_newest_with_the_pinned_one_among_them() -> None:
    tested = [versions.release(version) for version in localserver.TESTED_VERSIONS]
    assert tested == sorted(tested) and localserver.DEFAULT_VERSION in localserver.TESTED_VERSIONS


def test_the_readme_states_the_tested_range() -> None:
    readme = (Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8")
    oldest, newest = localserver.TESTED_VERSIONS[0], localserver.TESTED_VERSIONS[-1]
    assert f"tested with Keycloak {oldest} to {newest}" in " ".join(readme.split())


def test_find_jdk_names_what_it_found_when_nothing_fits(jvm: Path) -> None:
    make_jdk(jvm, "java-11", "11.0.2")
    make_jdk(jvm, "java-22", "22.0.1")

    with pytest.raises(LocalServerError) as caught:
        find_jdk(jvm, env={})
    message = str(caught.value)
    assert "java-11 (Java 11, unsupported)" in message
    assert "java-22 (Java 22, unsupported)" in message
    assert "GROUPID_JAVA_HOME" in message


def test_find_jdk_with_missing_search_root(tmp_path: Path) -> None:
    with pytest.raises(LocalServerError, match="found: nothing"):
        find_jdk(tmp_path / "absent", env={})


# ------------------------------------------------------------------ cache_dir


def test_cache_dir_prefers_groupid_cache_dir(tmp_path: Path) -> None:
    env = {"GROUPID_CACHE_DIR": str(tmp_path / "c"), "XDG_CACHE_HOME": str(tmp_path / "x"), "HOME": "/h"}
    assert cache_dir(env) == tmp_path / "c"


def test_cache_dir_falls_back_to_xdg_then_home(tmp_path: Path) -> None:
    assert cache_dir({"XDG_CACHE_HOME": str(tmp_path / "x")}) == tmp_path / "x" / "groupid"
    assert cache_dir({"HOME": str(tmp_path)}) == tmp_path / ".cache" / "groupid"


# ------------------------------------------------------------------ instances


@pytest.fixture
def instance(tmp_path: Path) -> LocalKeycloak:
    return LocalKeycloak("test", ephemeral=True, cache=tmp_path / "cache", jvm_root=tmp_path / "jvm")


def write_state(server: LocalKeycloak, pid: int) -> None:
    server.state_dir.mkdir(parents=True, exist_ok=True)
    state = {"pid": pid, "port": 1, "url": "http://127.0.0.1:1", "kc_home": str(server.home)}
    server.state_file.write_text(json.dumps(state), encoding="utf-8")


def dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()  # reaped, so the pid is free (and unlikely reused within the test)
    return child.pid


def test_instance_layout_lives_in_the_cache(instance: LocalKeycloak, tmp_path: Path) -> None:
    cache = (tmp_path / "cache").resolve()
    assert instance.home == cache / "keycloak" / instance.version / f"keycloak-{instance.version}"
    assert instance.state_file == cache / "instances" / "test" / "state.json"


def test_version_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("GROUPID_KEYCLOAK_VERSION", "26.4.0")
    assert LocalKeycloak(cache=tmp_path).version == "26.4.0"
    monkeypatch.delenv("GROUPID_KEYCLOAK_VERSION")
    assert LocalKeycloak(cache=tmp_path).version == localserver.DEFAULT_VERSION


@pytest.mark.parametrize("name", ["../etc", "", "a/b", ".hidden"])
def test_unsafe_instance_names_are_refused(name: str, tmp_path: Path) -> None:
    with pytest.raises(LocalServerError, match="Invalid local server name"):
        LocalKeycloak(name, cache=tmp_path)


def test_status_of_a_fresh_instance_is_none(instance: LocalKeycloak) -> None:
    assert instance.status() is None
    assert instance.stop() is False


def test_status_cleans_a_stale_state_file(instance: LocalKeycloak) -> None:
    write_state(instance, dead_pid())

    assert instance.status() is None
    assert not instance.state_file.exists()


def test_corrupt_state_file_is_treated_as_stale(instance: LocalKeycloak) -> None:
    instance.state_dir.mkdir(parents=True)
    instance.state_file.write_text("{not json", encoding="utf-8")

    assert instance.status() is None
    assert not instance.state_file.exists()


def test_stop_never_kills_a_process_that_is_not_ours(instance: LocalKeycloak) -> None:
    stranger = subprocess.Popen(["sleep", "30"], start_new_session=True)
    try:
        write_state(instance, stranger.pid)

        assert instance.stop() is False
        assert stranger.poll() is None, "stop() killed a process it did not start"
        assert not instance.state_file.exists()
    finally:
        stranger.kill()
        stranger.wait()


def test_stop_terminates_our_process_group(instance: LocalKeycloak) -> None:
    # A stand-in whose command line names the Keycloak home, like kc.sh's does.
    ours = subprocess.Popen(
        ["bash", "-c", 'sleep 30; : "$0"', str(instance.home / "bin" / "kc.sh")], start_new_session=True
    )
    try:
        write_state(instance, ours.pid)
        instance.password_file.write_text("secret\n", encoding="utf-8")

        assert instance.stop() is True
        assert ours.wait(timeout=5) is not None
        assert not instance.state_file.exists()
        assert instance.password_file.exists(), "the password must survive a stop"
    finally:
        if ours.poll() is None:
            ours.kill()
            ours.wait()


def test_ensure_distribution_explains_missing_maven(
    instance: LocalKeycloak, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(shutil, "which", lambda name, *args, **kwargs: None)

    with pytest.raises(LocalServerError) as caught:
        instance.ensure_distribution()
    message = str(caught.value)
    assert "mvn" in message and "Maven" in message
    assert "GROUPID_SERVER_URL" in message
    assert not instance.home.exists()


def test_ensure_distribution_with_empty_path_has_no_maven(
    instance: LocalKeycloak, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path / "empty-bin"))

    with pytest.raises(LocalServerError, match="Maven"):
        instance.ensure_distribution()


def test_ensure_distribution_reuses_a_cached_home_without_maven(
    instance: LocalKeycloak, monkeypatch: pytest.MonkeyPatch
) -> None:
    (instance.home / "bin").mkdir(parents=True)
    (instance.home / "bin" / "kc.sh").write_text("#!/bin/sh\n", encoding="utf-8")
    monkeypatch.setattr(shutil, "which", lambda name, *args, **kwargs: None)

    assert instance.ensure_distribution() == instance.home


def test_ensure_distribution_unpacks_atomically_and_drops_the_tarball(
    instance: LocalKeycloak, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """A fake mvn 'downloads' a tiny archive; the home appears complete, the tarball is gone."""
    version = instance.version
    source = tmp_path / "src" / f"keycloak-{version}" / "bin"
    source.mkdir(parents=True)
    (source / "kc.sh").write_text("#!/bin/sh\n", encoding="utf-8")
    archive = tmp_path / f"keycloak-quarkus-dist-{version}.tar.gz"
    subprocess.run(["tar", "-czf", str(archive), "-C", str(tmp_path / "src"), f"keycloak-{version}"], check=True)
    fake_bin = tmp_path / "bin"
    fake_bin.mkdir()
    mvn = fake_bin / "mvn"
    mvn.write_text(
        '#!/bin/sh\nfor a in "$@"; do case "$a" in -DoutputDirectory=*) out="${a#-DoutputDirectory=}";; esac; done\n'
        f'cp "{archive}" "$out/"\n',
        encoding="utf-8",
    )
    mvn.chmod(0o755)
    monkeypatch.setenv("PATH", f"{fake_bin}{os.pathsep}{os.environ['PATH']}")

    assert instance.ensure_distribution() == instance.home
    assert (instance.home / "bin" / "kc.sh").is_file()
    leftovers = [p.name for p in instance.dist_root.iterdir() if not p.name.endswith(".lock")]
    assert leftovers == [instance.home.name]


def test_failed_maven_download_quotes_maven(
    instance: LocalKeycloak, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    fake_bin = tmp_path / "bin"
    fake_bin.mkdir()
    mvn = fake_bin / "mvn"
    mvn.write_text("#!/bin/sh\necho '[ERROR] Could not resolve artifact' >&2\nexit 1\n", encoding="utf-8")
    mvn.chmod(0o755)
    monkeypatch.setenv("PATH", f"{fake_bin}{os.pathsep}{os.environ['PATH']}")

    with pytest.raises(LocalServerError) as caught:
        instance.ensure_distribution()
    assert "Could not resolve artifact" in str(caught.value)
    assert not instance.home.exists()


def test_start_without_a_jdk_fails_cleanly(instance: LocalKeycloak, monkeypatch: pytest.MonkeyPatch) -> None:
    (instance.home / "bin").mkdir(parents=True)
    (instance.home / "bin" / "kc.sh").write_text("#!/bin/sh\n", encoding="utf-8")
    monkeypatch.delenv("GROUPID_JAVA_HOME", raising=False)
    monkeypatch.delenv("JAVA_HOME", raising=False)

    with pytest.raises(LocalServerError, match="No Java found"):
        instance.start(timeout=1)
    assert not instance.state_file.exists()


def test_start_reports_an_early_exit_with_the_log(
    instance: LocalKeycloak, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """A kc.sh that dies at once: the error quotes its log, no state is left behind."""
    (instance.home / "bin").mkdir(parents=True)
    (instance.home / "bin" / "kc.sh").write_text(
        "echo \"args: $*\"\necho 'ERROR: port already bound'\nexit 1\n", encoding="utf-8"
    )
    jdk = make_jdk(tmp_path / "jvm", "temurin-25", "25.0.1")
    monkeypatch.setenv("GROUPID_JAVA_HOME", str(jdk))

    with pytest.raises(LocalServerError) as caught:
        instance.start(timeout=20)
    message = str(caught.value)
    assert "exited with code 1" in message
    assert "ERROR: port already bound" in message
    assert "start-dev" in message and "--http-host=127.0.0.1" in message and "--db=dev-mem" in message
    assert str(instance.log_file) in message
    assert not instance.state_file.exists()
    assert instance.password_file.stat().st_mode & 0o777 == 0o600
    assert instance.password_file.read_text().strip() not in message


def test_persistent_instance_keeps_its_database_in_its_state_dir(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    server = LocalKeycloak("persist", cache=tmp_path / "cache")
    (server.home / "bin").mkdir(parents=True)
    (server.home / "bin" / "kc.sh").write_text('echo "args: $*"\nexit 3\n', encoding="utf-8")
    monkeypatch.setenv("GROUPID_JAVA_HOME", str(make_jdk(tmp_path / "jvm", "jdk17", "17.0.1")))

    with pytest.raises(LocalServerError) as caught:
        server.start(timeout=20)
    assert f"-Dkc.db-url-path={server.state_dir}" in str(caught.value)
    assert "--db=dev-mem" not in str(caught.value)


def test_password_is_reused_across_starts(instance: LocalKeycloak) -> None:
    instance.state_dir.mkdir(parents=True)
    first = instance._ensure_password()

    assert instance._ensure_password() == first
    assert len(first) >= 20


def test_server_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("JAVA_OPTS_KC_HEAP", raising=False)
    monkeypatch.delenv("JAVA_OPTS_APPEND", raising=False)
    env25 = server_env(Jdk(tmp_path / "jdk25", 25), "pw")
    assert env25["KC_BOOTSTRAP_ADMIN_USERNAME"] == "admin"
    assert env25["KC_BOOTSTRAP_ADMIN_PASSWORD"] == "pw"
    assert env25["JAVA_HOME"] == str(tmp_path / "jdk25")
    assert env25["PATH"].startswith(str(tmp_path / "jdk25" / "bin") + os.pathsep)
    assert env25["JAVA_OPTS_KC_HEAP"] == "-Xms64m -Xmx1g"
    assert "--add-opens=java.base/java.lang=ALL-UNNAMED" in env25["JAVA_OPTS_APPEND"]

    monkeypatch.setenv("JAVA_OPTS_KC_HEAP", "-Xmx4g")
    env17 = server_env(Jdk(tmp_path / "jdk17", 17), "pw")
    assert env17["JAVA_OPTS_KC_HEAP"] == "-Xmx4g"
    assert "JAVA_OPTS_APPEND" not in env17


def test_keycloak_before_26_gets_its_first_admin_under_the_old_names(tmp_path: Path) -> None:
    env = server_env(Jdk(tmp_path / "jdk17", 17), "pw", version="25.0.6")
    assert (env["KEYCLOAK_ADMIN"], env["KEYCLOAK_ADMIN_PASSWORD"]) == ("admin", "pw")
    assert "KC_BOOTSTRAP_ADMIN_PASSWORD" not in env


ANSWERING = """
import http.server, sys
class Realm(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200); self.end_headers(); self.wfile.write(b"{}")
    def log_message(self, *args):
        pass
http.server.HTTPServer(("127.0.0.1", int(sys.argv[1])), Realm).serve_forever()
"""


def test_a_running_instance_of_another_version_is_refused_not_reused(tmp_path: Path) -> None:
    running = LocalKeycloak("test", version="26.5.6", ephemeral=True, cache=tmp_path / "cache")
    port = free_port()
    # a stand-in that answers like Keycloak, its command line naming the Keycloak home as kc.sh's does
    stand_in = subprocess.Popen([sys.executable, "-c", ANSWERING, str(port), str(running.home)], start_new_session=True)
    try:
        running.state_dir.mkdir(parents=True)
        state = {"pid": stand_in.pid, "port": port, "url": f"http://127.0.0.1:{port}", "kc_home": str(running.home),
                 "version": "26.5.6"}
        running.state_file.write_text(json.dumps(state), encoding="utf-8")
        deadline = time.monotonic() + 10
        while running.status() is None and time.monotonic() < deadline:
            time.sleep(0.1)

        assert running.start().reused  # the same version is reused
        newer = LocalKeycloak("test", version="26.7.3", ephemeral=True, cache=tmp_path / "cache")
        with pytest.raises(LocalServerError, match=r"'test' runs Keycloak 26.5.6, not 26.7.3: stop it first"):
            newer.start()
        assert stand_in.poll() is None, "the running instance was stopped"
    finally:
        stand_in.kill()
        stand_in.wait()


# ------------------------------------------------------------------ database servers

POSTGRES = Database("postgres", "jdbc:postgresql://127.0.0.1:5433/keycloak", "keycloak", "s3cret-pw")


def fake_distribution(server: LocalKeycloak, script: str) -> None:
    """A shared distribution whose kc.sh runs ``script``, with a lib/quarkus build and a jar."""
    home = server.distribution.home
    (home / "bin").mkdir(parents=True)
    (home / "bin" / "kc.sh").write_text(script, encoding="utf-8")
    (home / "lib" / "quarkus").mkdir(parents=True)
    (home / "lib" / "quarkus" / "quarkus-application.dat").write_bytes(b"h2 build")
    (home / "lib" / "lib" / "main").mkdir(parents=True)
    (home / "lib" / "lib" / "main" / "keycloak.jar").write_bytes(b"jar")


ECHO_DB = 'echo "args: $*"\necho "password in env: ${KC_DB_PASSWORD:-none}" | sed "s/s3cret-pw/<the password>/"\nexit 3\n'


def test_instance_on_postgres_passes_the_password_in_the_environment_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    server = LocalKeycloak("pg", cache=tmp_path / "cache", database=POSTGRES)
    fake_distribution(server, ECHO_DB)
    monkeypatch.setenv("GROUPID_JAVA_HOME", str(make_jdk(tmp_path / "jvm", "jdk25", "25.0.1")))

    with pytest.raises(LocalServerError) as caught:
        server.start(timeout=20)
    message = str(caught.value)
    assert "--db=postgres --db-url=jdbc:postgresql://127.0.0.1:5433/keycloak --db-username=keycloak" in message
    assert "password in env: <the password>" in message
    assert "s3cret-pw" not in message and "s3cret-pw" not in repr(POSTGRES)
    assert "--db=dev-mem" not in message and "kc.db-url-path" not in message


def test_instance_on_postgres_runs_a_build_of_its_own(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """start-dev rebuilds lib/quarkus for another database kind: never in the shared home."""
    server = LocalKeycloak("pg", cache=tmp_path / "cache", database=POSTGRES)
    fake_distribution(server, ECHO_DB)
    shared = server.distribution.home

    home = server.ensure_distribution()

    assert home == server.home == server.dist_root / "builds" / "postgres" / shared.name
    assert (home / "bin" / "kc.sh").read_text() == ECHO_DB
    jar, build = Path("lib/lib/main/keycloak.jar"), Path("lib/quarkus/quarkus-application.dat")
    assert (home / jar).stat().st_ino == (shared / jar).stat().st_ino, "unchanging files are hard-linked"
    (home / build).write_bytes(b"postgres build")
    assert (shared / build).read_bytes() == b"h2 build"
    assert server.ensure_distribution() == home


def test_persistent_instance_takes_keycloaks_kc_db_variables(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KC_DB", "postgres")
    monkeypatch.setenv("KC_DB_URL", POSTGRES.url)
    monkeypatch.setenv("KC_DB_USERNAME", "keycloak")
    monkeypatch.setenv("KC_DB_PASSWORD", "s3cret-pw")
    monkeypatch.setenv("GROUPID_JAVA_HOME", str(make_jdk(tmp_path / "jvm", "jdk25", "25.0.1")))
    server = LocalKeycloak("from-env", cache=tmp_path / "cache")
    fake_distribution(server, ECHO_DB)

    with pytest.raises(LocalServerError) as caught:
        server.start(timeout=20)
    assert "--db=postgres" in str(caught.value) and "password in env: <the password>" in str(caught.value)
    assert server.database == POSTGRES
    assert server.home == server.distribution.build_home("postgres") and (server.home / "bin" / "kc.sh").is_file()


def test_ephemeral_instance_ignores_and_drops_kc_db_variables(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KC_DB", "postgres")
    monkeypatch.setenv("KC_DB_URL", POSTGRES.url)
    monkeypatch.setenv("KC_DB_PASSWORD", "s3cret-pw")
    monkeypatch.setenv("GROUPID_JAVA_HOME", str(make_jdk(tmp_path / "jvm", "jdk25", "25.0.1")))
    server = LocalKeycloak("mem", ephemeral=True, cache=tmp_path / "cache")
    fake_distribution(server, 'echo "args: $*"\necho "url in env: ${KC_DB_URL:-none}"\nexit 3\n')

    with pytest.raises(LocalServerError) as caught:
        server.start(timeout=20)
    assert "--db=dev-mem" in str(caught.value) and "url in env: none" in str(caught.value)
    assert server.database is None


def test_ephemeral_instance_takes_no_database(tmp_path: Path) -> None:
    with pytest.raises(LocalServerError, match="ephemeral"):
        LocalKeycloak("x", ephemeral=True, cache=tmp_path, database=POSTGRES)


def test_database_settings_are_checked() -> None:
    with pytest.raises(LocalServerError, match="Unsupported database kind"):
        Database("sqlite", "jdbc:sqlite:x", "u")
    with pytest.raises(LocalServerError, match="JDBC URL"):
        Database("postgres", "postgres://127.0.0.1/keycloak", "u")
    with pytest.raises(LocalServerError, match="KC_DB_URL"):
        Database.from_env({"KC_DB": "postgres"})
    assert Database.from_env({"KC_DB": "dev-file", "KC_DB_URL": "jdbc:h2:x"}) is None
    assert Database.from_env({}) is None


def test_server_env_for_a_database(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("KC_DB_URL", "jdbc:postgresql://elsewhere/db")
    monkeypatch.setenv("KC_DB_POOL_MAX_SIZE", "50")
    h2 = server_env(Jdk(tmp_path / "jdk25", 25), "pw")
    assert not [key for key in h2 if key.startswith("KC_DB")]

    on_postgres = server_env(Jdk(tmp_path / "jdk25", 25), "pw", POSTGRES)
    assert on_postgres["KC_DB_PASSWORD"] == "s3cret-pw"
    assert "KC_DB_URL" not in on_postgres  # the URL goes on the command line
    assert on_postgres["KC_DB_POOL_MAX_SIZE"] == "50"
