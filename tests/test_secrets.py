"""No secret reaches any output, and no name from a spec, an export or a live realm acts on a terminal.

Every command runs with planted secrets: the admin password and the client secret of accounts made for this test
in the real Keycloak (in the environment and in secret files), unrelated secrets beside them, and the client
secrets Keycloak itself makes for the links between realms. Their stdout and stderr, and every file they write
(reports, saved plans, rendered realms, exported specs), are then scanned for each secret, and for raw escape
sequences. The commands come from the app itself: a new command fails :func:`test_every_command_is_run` until it
is run here too.
"""

from __future__ import annotations

import json
import os
import uuid
from pathlib import Path

import pytest
import typer
from keycloak import KeycloakAdmin, KeycloakOpenIDConnection

from groupid.cli import app
from groupid.errors import ConfigurationError
from groupid.realms import ConnectionSettings, KeycloakServer
from groupid.realms.connection import SECRET_FILE_LIMIT
from tests.alarms import time_limit
from tests.hr_people import DATA, MAPPING
from tests.test_cli import all_commands, closed_port
from tests.test_inert_output import HOSTILE_DESCRIPTION, HOSTILE_NAME, HOSTILE_ROLE, RAW_CONTROLS, run
from tests.test_sync_topologies import REALM_PER_COMPANY, variant

RUN = uuid.uuid4().hex[:10]
PASSWORD = f"planted-admin-Pa55-{RUN}"
CLIENT_SECRET = f"planted-client-secret-{RUN}"
UNUSED_SECRET = f"planted-unused-secret-{RUN}"  #: set beside the credentials in use; never needed, never shown
PROBE = f"planted-probe-{RUN}"  #: any variable: a /proc/self/environ read would show it
WRONG = f"planted-wrong-Pa55-{RUN}"
NATIONAL_ID = "11010519491231002X"  #: in the HR export's 身份证号 column, which no mapping reads
PLANTED = (PASSWORD, CLIENT_SECRET, UNUSED_SECRET, PROBE, WRONG, NATIONAL_ID)

COMMANDS = sorted(all_commands(typer.main.get_command(app)))
NOT_RUN = {
    ("keycloak", "start"): "starts a Keycloak of its own; its output is the shell lines `keycloak status` prints",
    ("sync", "ldap"): "reads a directory first: its bind password, right and wrong, is looked for in its output and "
                      "report by tests/test_ldap_sync.py; it signs in to Keycloak as `sync hr` does",
}
LOCAL_INSTANCE = f"secrets-{RUN}"  #: a local Keycloak instance that never runs


def connecting_commands() -> list[tuple[str, ...]]:
    """The commands that talk to a Keycloak server: those with a --server-url option."""
    root = typer.main.get_command(app)
    found = []
    for path in COMMANDS:
        command = root
        for name in path:
            command = command.commands[name]
        if any("--server-url" in param.opts for param in command.params):
            found.append(path)
    return found


# --- settings: refused before anything connects, without echoing a secret ----------------------------------


def from_env(**env) -> ConnectionSettings:
    """Settings from a complete environment, with ``env`` changed."""
    return ConnectionSettings.from_env({"GROUPID_SERVER_URL": "https://sso.example.cn", "GROUPID_ADMIN_USER": "admin",
                                        "GROUPID_ADMIN_PASSWORD": PASSWORD, **env})


@pytest.mark.parametrize("url, says", [
    (f"https://admin:{PASSWORD}@sso.example.cn", "credentials (user:password@host) do not belong"),
    (f"https://admin:{PASSWORD}/x@sso.example.cn", "credentials"),
    (f"https://{PASSWORD}@sso.example.cn/auth", "credentials"),
    (f"https://admin:{PASSWORD}", "is not a valid URL"),  # the password would be read as a port
    (f"https://sso.example.cn/?access_token={PASSWORD}", "query string or fragment"),
    (f"https://sso.example.cn#{PASSWORD}", "query string or fragment"),
    (f"https://sso.example.cn/{PASSWORD} x", "a space at character"),
    (f"https://sso.example.cn/\x1b]8;;{PASSWORD}", "U+001B"),
    (f"https://sso.example.cn/\u202e{PASSWORD}", "U+202E RIGHT-TO-LEFT OVERRIDE"),
    (f"ftp://{PASSWORD}.example.cn", "must start with http:// or https://"),
    (f"{PASSWORD}:8080", "must start with http:// or https://"),
    ("https://", "names no host"),
])
def test_a_server_url_that_may_carry_a_secret_is_refused_unquoted(url, says):
    for setting in ({"GROUPID_SERVER_URL": url}, {}):
        with pytest.raises(ConfigurationError) as refused:
            ConnectionSettings.from_env({"GROUPID_ADMIN_USER": "admin", "GROUPID_ADMIN_PASSWORD": "x", **setting},
                                        server_url=None if setting else url)
        message = str(refused.value)
        assert says in message and PASSWORD not in message, message
        assert ("GROUPID_SERVER_URL" if setting else "--server-url") in message, message


def test_settings_made_directly_are_checked_too():
    with pytest.raises(ConfigurationError, match="credentials"):
        ConnectionSettings(f"https://admin:{PASSWORD}@sso.example.cn", admin_user="admin", admin_password="x")
    assert ConnectionSettings("HTTPS://sso.example.cn/auth/", admin_user="a").server_url == "https://sso.example.cn/auth"


def test_a_refused_url_says_where_the_credentials_go():
    with pytest.raises(ConfigurationError) as refused:
        from_env(GROUPID_SERVER_URL=f"https://admin:{PASSWORD}@sso.example.cn")
    assert "GROUPID_ADMIN_PASSWORD_FILE" in str(refused.value) and "GROUPID_CLIENT_SECRET_FILE" in str(refused.value)


def _fifo(path: Path) -> None:
    os.mkfifo(path)


SECRET_FILES = {
    "binary": (lambda p: p.write_bytes(PASSWORD.encode() + b"\0\x01\x02"), "binary data (a NUL byte)"),
    "not UTF-8": (lambda p: p.write_bytes(PASSWORD.encode() + b"\xff\xfe"), "not UTF-8 text"),
    "empty": (lambda p: p.write_bytes(b""), "it is empty"),
    "only a newline": (lambda p: p.write_bytes(b"\r\n"), "it is empty"),
    "a directory": (lambda p: p.mkdir(), "a directory, not a file"),
    "a FIFO": (_fifo, "a named pipe (FIFO), not a regular file"),
    "huge": (lambda p: p.write_text((PASSWORD + "\n") * (SECRET_FILE_LIMIT // len(PASSWORD) + 10)), "more than the limit of 65,536 bytes"),
    "several lines": (lambda p: p.write_text(f"{PASSWORD}\nsecond line\n", encoding="utf-8"), "several lines"),
    "a control character": (lambda p: p.write_text(f"{PASSWORD}\x1b[31m\n", encoding="utf-8"), "a control character"),
    "missing": (lambda p: None, "no such file"),
}


@pytest.mark.parametrize("variable", ["GROUPID_ADMIN_PASSWORD_FILE", "GROUPID_CLIENT_SECRET_FILE"])
@pytest.mark.parametrize("kind", list(SECRET_FILES))
def test_a_secret_file_that_cannot_serve_is_named_never_quoted(tmp_path, variable, kind):
    make, says = SECRET_FILES[kind]
    path = tmp_path / "secret"
    make(path)
    env = {"GROUPID_SERVER_URL": "https://sso.example.cn", variable: str(path)}
    env.update({"GROUPID_ADMIN_USER": "admin"} if "ADMIN" in variable else {"GROUPID_CLIENT_ID": "groupid-ci"})
    with time_limit(5), pytest.raises(ConfigurationError) as refused:
        ConnectionSettings.from_env(env)
    message = str(refused.value)
    assert message.startswith(f"{variable}: cannot read '{path}'") and says in message, message
    assert PASSWORD not in message and len(message) < 300, message


def test_a_secret_file_keeps_its_secret_whole(tmp_path):
    path = tmp_path / "secret"
    path.write_bytes(b"\xef\xbb\xbf" + PASSWORD.encode() + b"\r\n")  # a BOM and a CRLF, as Notepad saves it
    assert from_env(GROUPID_ADMIN_PASSWORD="", GROUPID_ADMIN_PASSWORD_FILE=str(path)).admin_password == PASSWORD
    link = tmp_path / "mounted"
    link.symlink_to(path)  # Kubernetes mounts secrets as symlinks
    assert from_env(GROUPID_ADMIN_PASSWORD="", GROUPID_ADMIN_PASSWORD_FILE=str(link)).admin_password == PASSWORD
    assert PASSWORD not in repr(from_env())


@pytest.mark.parametrize("env, says", [
    ({"GROUPID_TIMEOUT": "nan"}, "GROUPID_TIMEOUT must be a positive number of seconds, at most 3600, not 'nan'"),
    ({"GROUPID_TIMEOUT": "inf"}, "not 'inf'"),
    ({"GROUPID_TIMEOUT": "1e300"}, "not '1e300'"),
    ({"GROUPID_TIMEOUT": "-5"}, "not '-5'"),
    ({"GROUPID_TIMEOUT": "0"}, "not '0'"),
    ({"GROUPID_TIMEOUT": "30\x1b[2J"}, "not '30\\x1b[2J'"),
    ({"GROUPID_TLS_VERIFY": "maybe"}, "GROUPID_TLS_VERIFY must be true or false"),
    ({"GROUPID_TLS_VERIFY": "false", "GROUPID_CA_BUNDLE": "/etc/hosts"}, "unset one of them"),
    ({"GROUPID_CA_BUNDLE": "/nonexistent/ca.pem"}, "GROUPID_CA_BUNDLE: cannot read '/nonexistent/ca.pem'"),
    ({"GROUPID_CA_BUNDLE": "/dev/null"}, "is neither a file of certificates nor a directory"),
    ({"GROUPID_AUTH_REALM": "master\x1b[31m"}, "GROUPID_AUTH_REALM 'master\\x1b[31m' is not a realm name"),
    ({"GROUPID_AUTH_REALM": "../admin"}, "it holds '/'"),
    ({"GROUPID_AUTH_REALM": "my realm"}, "it holds a space"),
    ({"GROUPID_ADMIN_USER": "admin\r\nX-Injected: 1"}, "GROUPID_ADMIN_USER 'admin\\r\\nX-Injected: 1' holds a control"),
])
def test_bad_environment_values_are_refused_with_the_variable(env, says):
    with pytest.raises(ConfigurationError) as refused:
        from_env(**env)
    assert says in str(refused.value) and PASSWORD not in str(refused.value)


@pytest.mark.parametrize("word, verify", [("", True), ("TRUE", True), ("yes", True), ("off", False), ("0", False)])
def test_tls_verify_words(word, verify):
    assert from_env(GROUPID_TLS_VERIFY=word).verify is verify


# --- every command against the real Keycloak ------------------------------------------------------------------


def _admin(settings: ConnectionSettings) -> KeycloakAdmin:
    return KeycloakAdmin(connection=KeycloakOpenIDConnection(
        server_url=settings.server_url + "/", username=settings.admin_user, password=settings.admin_password,
        realm_name="master", user_realm_name=settings.auth_realm))


@pytest.fixture(scope="module")
def accounts(keycloak):
    """An admin user and a service-account client in master, made for this module with planted secrets."""
    admin = _admin(keycloak)
    name = f"groupid-secrets-{RUN}"
    role = admin.get_realm_role("admin")
    user_id = admin.create_user({"username": name, "enabled": True, "credentials": [
        {"type": "password", "value": PASSWORD, "temporary": False}]})
    admin.assign_realm_roles(user_id, [role])
    client_uuid = admin.create_client({"clientId": name, "publicClient": False, "secret": CLIENT_SECRET,
                                       "serviceAccountsEnabled": True, "standardFlowEnabled": False})
    admin.assign_realm_roles(admin.get_client_service_account_user(client_uuid)["id"], [role])
    try:
        yield {"user": name, "client": name, "server_url": keycloak.server_url}
    finally:
        admin.delete_user(user_id)
        admin.delete_client(client_uuid)


CREDENTIALS = ("password", "password file", "client secret file")


def credentials(kind: str, accounts: dict, secrets: Path) -> dict[str, str]:
    """The environment of one way to sign in, with unused secrets beside it."""
    secrets.mkdir(exist_ok=True)
    (secrets / "admin").write_text(PASSWORD + "\n", encoding="utf-8")
    (secrets / "client").write_text(CLIENT_SECRET + "\n", encoding="utf-8")
    (secrets / "unused").write_text(UNUSED_SECRET + "\n", encoding="utf-8")
    env = {"GROUPID_SERVER_URL": accounts["server_url"], "GROUPID_SECRET_PROBE": PROBE, "GROUPID_TIMEOUT": "60"}
    if kind == "password":
        return {**env, "GROUPID_ADMIN_USER": accounts["user"], "GROUPID_ADMIN_PASSWORD": PASSWORD,
                "GROUPID_CLIENT_SECRET": UNUSED_SECRET}
    if kind == "password file":
        return {**env, "GROUPID_ADMIN_USER": accounts["user"], "GROUPID_ADMIN_PASSWORD_FILE": str(secrets / "admin"),
                "GROUPID_CLIENT_SECRET_FILE": str(secrets / "unused")}
    return {**env, "GROUPID_CLIENT_ID": accounts["client"], "GROUPID_CLIENT_SECRET_FILE": str(secrets / "client"),
            "GROUPID_ADMIN_PASSWORD": UNUSED_SECRET}


def hostile_inputs(work: Path) -> tuple[Path, Path]:
    """The 北辰集团 spec with a realm of its own for 北辰制造 (so realms are linked by a client secret) and a role
    and description that look like markup; the day-1 export with rows whose names hold escape sequences and
    whose unread national-ID column holds a planted value."""
    spec = work / "spec"
    spec.mkdir()
    variant(spec, {**REALM_PER_COMPANY, "  - {name: employee, description: 集团员工}":
                   f"  - {{name: employee, description: 集团员工}}\n"
                   f"  - {{name: \"{HOSTILE_ROLE}\", description: \"{HOSTILE_DESCRIPTION}\"}}"})
    (spec / "apps.yaml").write_text(
        "apps:\n  - {id: portal-app, name: \"北辰门户 [bold]x :x:\", description: \"" + HOSTILE_DESCRIPTION + "\",\n"
        "     template: generic-oidc, base_url: https://app.beichen.example.cn, audience: {roles: [employee]}}\n",
        encoding="utf-8")
    export = work / "花名册.csv"
    rows = (DATA / "day1.csv").read_text(encoding="utf-8").rstrip("\n").split("\n")
    name = HOSTILE_NAME.replace('"', '""')
    rows += [f'BC9901,"{name}",BC,BC-HQ,"[bold]经理[/bold] :x:",BC0001,13900000001,lisi@beichen.example.cn,'
             f"2020-01-01,,在职,正式,{NATIONAL_ID}",
             f'BC9902,"王\u202e五",BC,"NO|PE\x1b[31m","主管\n:x:",BC0001,13900000002,wangwu@beichen.example.cn,'
             f"2020-01-01,,在职,正式,{NATIONAL_ID}"]
    export.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return spec, export


def scenario(work: Path, realm: str) -> list[tuple[tuple[str, ...], list, tuple[int, ...]]]:
    """Every command as it is used, in order: (command, its arguments, the exit codes it may give)."""
    spec, export = work / "spec", work / "花名册.csv"
    sync = [export, "--spec", spec, "--mapping", MAPPING, "--realm", realm]
    return [
        (("validate",), [spec], (0,)),
        (("render",), [spec, "--out", work / "rendered"], (0,)),
        (("import",), [work / "rendered" / "beichen.json", "--realm", f"{realm}-imported"], (0,)),
        (("plan",), [spec, "--realm", realm, "--detailed-exitcode"], (2,)),
        (("plan",), [spec, "--realm", realm, "--json"], (0,)),
        (("plan",), [spec, "--realm", realm, "--markdown"], (0,)),
        (("plan",), [spec, "--realm", realm, "-o", work / "plan.json"], (0,)),
        (("apply",), [work / "plan.json", "--yes"], (0,)),
        (("apply",), [spec, "--realm", realm, "--yes"], (0,)),
        (("export",), ["--realm", realm, "--out", work / "exported"], (0,)),
        (("apps", "list"), [spec], (0,)),
        (("apps", "list"), [spec, "--json"], (0,)),
        (("apps", "render"), [spec, "--realm", realm, "--out", work / "apps"], (0,)),
        (("apps", "who"), [spec, "portal-app", "--realm", realm], (0,)),
        (("apps", "who"), [spec, "portal-app", "--realm", realm, "--json"], (0,)),
        (("apps", "portal"), [spec, "--out", work / "portal"], (0,)),
        (("export",), ["--realm", f"{realm}-bc-mfg", "--out", work / "exported-mfg"], (0,)),
        (("sync", "hr"), [*sync, "--dry-run", "--report", work / "dry-run.jsonl", "--today", "2025-03-03"], (0, 4)),
        (("sync", "hr"), [*sync, "--report", work / "sync.jsonl", "--today", "2025-03-03"], (0, 4)),
        (("sync", "unlock"), ["--realm", realm], (0,)),
        (("plan",), [spec, "--realm", realm, "--markdown", "--prune"], (0,)),
        # the spec has no apps: the command reads it, connects, and names the app it lacks
        (("apps", "secret"), [spec, "wiki", "--realm", realm, "--rotate"], (1,)),
        (("keycloak", "status"), ["--instance", LOCAL_INSTANCE], (1,)),
        (("keycloak", "status"), ["--instance", LOCAL_INSTANCE, "--reveal"], (1,)),
        (("keycloak", "stop"), ["--instance", LOCAL_INSTANCE], (0,)),
    ]


def test_every_command_is_run():
    runs = {command for command, _, _ in scenario(Path("w"), "r")}
    assert runs | set(NOT_RUN) == set(COMMANDS), sorted(set(COMMANDS) - runs - set(NOT_RUN))
    assert set(connecting_commands()) - set(NOT_RUN) <= runs


def link_secrets(server: KeycloakServer, realm: str) -> list[str]:
    """The secrets Keycloak made for the clients groupid manages in ``realm`` (the links between realms)."""
    found = []
    for client in server.read(realm).clients:
        if client.attributes.get("groupid.managed") == "true" and not client.public_client:
            found.append(server.client_secret(realm, client.client_id))
    return found


def leaks(text: str, secrets: list[str]) -> list[str]:
    """The secrets, and the raw control characters, that ``text`` holds."""
    return [secret for secret in secrets if secret in text] + [repr(c) for c in RAW_CONTROLS if c in text]


@pytest.mark.parametrize("kind", CREDENTIALS)
def test_no_secret_reaches_any_output_of_any_command(keycloak, accounts, kind, tmp_path):
    work = tmp_path / "work"
    work.mkdir()
    hostile_inputs(work)
    env = credentials(kind, accounts, tmp_path / "secrets")
    realm = f"t-secrets-{uuid.uuid4().hex[:6]}"
    server = KeycloakServer(keycloak)
    secrets = [*PLANTED, keycloak.admin_password, *filter(None, [os.environ.get("GROUPID_TEST_ADMIN_PASSWORD")])]
    outputs = []
    try:
        for command, args, exits in scenario(work, realm):
            code, output = run([*command, *args], env)
            assert code in exits, f"groupid {' '.join(command)} exited {code}:\n{output[:3000]}"
            outputs.append((command, output))
            if command == ("apply",):
                secrets += link_secrets(server, realm)
        assert len(secrets) > len(PLANTED) + 1, "the apply made no link between realms: nothing of Keycloak's to scan for"
        for command, output in outputs:
            assert not leaks(output, secrets), f"groupid {' '.join(command)}: {leaks(output, secrets)}\n{output[:3000]}"
        written = sorted(path for path in work.rglob("*") if path.is_file())
        names = {path.name for path in written}
        assert {"plan.json", "dry-run.jsonl", "sync.jsonl", "beichen.json", "beichen-bc-mfg.json", "group.yaml"} <= names
        inputs = {work / "spec" / "group.yaml", work / "花名册.csv"}
        for path in written:
            if path not in inputs:
                assert not leaks(path.read_bytes().decode("utf-8", "replace"), secrets), path
        first_plan = next(output for command, output in outputs if command == ("plan",))
        assert HOSTILE_ROLE in first_plan and "❌" not in first_plan
        last_sync = [output for command, output in outputs if command == ("sync", "hr")][-1]
        assert "花名册.csv:42" in last_sync  # the hostile rows were read and rejected, the reasons shown escaped
    finally:
        for name in (realm, f"{realm}-bc-mfg", f"{realm}-imported"):
            if server.realm_exists(name):
                server.delete_realm(name)


# --- failure paths: the message never holds what was tried ----------------------------------------------------


def failing_runs(work: Path) -> list[tuple[tuple[str, ...], list]]:
    """Each command that connects, with arguments good enough to reach the connection."""
    by_command = {}
    for command, args, _ in scenario(work, "t-secrets-never"):
        by_command.setdefault(command, args)
    # an empty saved plan has nothing to apply and so needs no server: the spec itself must be planned
    by_command[("apply",)] = [work / "spec", "--yes"]
    # an app's secret is looked for only once the spec names the app
    by_command[("apps", "secret")] = [work / "appspec", "wiki", "--rotate"]
    # rendering reaches the server only to read the secrets it then writes in
    by_command[("apps", "render")] = [*by_command[("apps", "render")], "--reveal"]
    return [(command, by_command[command]) for command in connecting_commands()]


@pytest.fixture(scope="module")
def offline_work(tmp_path_factory) -> Path:
    """The inputs of :func:`scenario`, for runs that never reach a server."""
    work = tmp_path_factory.mktemp("offline")
    hostile_inputs(work)
    (work / "appspec").mkdir()
    app = "apps:\n  - {id: wiki, template: generic-oidc, base_url: 'https://wiki.beichen.example.cn'}\n"
    (work / "appspec" / "group.yaml").write_text((work / "spec" / "group.yaml").read_text(encoding="utf-8") + app,
                                                 encoding="utf-8")
    assert run(["render", work / "spec", "--out", work / "rendered"], {})[0] == 0
    (work / "plan.json").write_text(json.dumps({"format": 1, "plans": []}), encoding="utf-8")
    return work


@pytest.mark.parametrize("how", ["credentials in --server-url", "a token in the URL", "unreachable"])
def test_a_failed_connection_never_echoes_what_was_tried(offline_work, tmp_path, how):
    env = credentials("password file", {"user": "admin", "client": "c", "server_url": ""}, tmp_path / "secrets")
    port = closed_port()
    extra = []
    if how == "credentials in --server-url":
        extra = ["--server-url", f"https://admin:{WRONG}@127.0.0.1:{port}"]
    elif how == "a token in the URL":
        env["GROUPID_SERVER_URL"] = f"http://127.0.0.1:{port}/?token={WRONG}"
    else:
        env["GROUPID_SERVER_URL"] = f"http://127.0.0.1:{port}"
    for command, args in failing_runs(offline_work):
        code, output = run([*command, *args, *extra], env)
        assert code == 1 and "Traceback" not in output and "internal error" not in output, (command, args, output)
        assert not leaks(output, list(PLANTED)), f"groupid {' '.join(command)}: {output}"
        if how == "unreachable":
            assert f"http://127.0.0.1:{port}" in output and "does not answer" in output, output


@pytest.mark.parametrize("kind", ["password", "client secret file"])
def test_a_wrong_secret_is_never_quoted(keycloak, accounts, offline_work, tmp_path, kind):
    env = credentials(kind, accounts, tmp_path / "secrets")
    if kind == "password":
        env["GROUPID_ADMIN_PASSWORD"] = WRONG
    else:
        (tmp_path / "secrets" / "client").write_text(WRONG + "\n", encoding="utf-8")
    for command, args in failing_runs(offline_work):
        code, output = run([*command, *args], env)
        assert code == 1 and "Traceback" not in output, output
        assert accounts["user"] in output or "sign in" in output, output
        assert not leaks(output, [*PLANTED, keycloak.admin_password]), f"groupid {' '.join(command)}: {output}"
