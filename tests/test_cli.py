"""The command line: exit codes, messages without tracebacks, and help that shows an example."""

from __future__ import annotations

import socket

import pytest
import typer
from typer.testing import CliRunner

from groupid.cli import app
from tests.test_example import EXAMPLE

runner = CliRunner()


def invoke(*args, env=None):
    return runner.invoke(app, list(args), env=env, catch_exceptions=False)


def all_commands(group, prefix=()):
    for name, command in group.commands.items():
        if hasattr(command, "commands"):
            yield from all_commands(command, (*prefix, name))
        else:
            yield (*prefix, name)


COMMANDS = sorted(all_commands(typer.main.get_command(app)))


def test_the_commands_issue_promises_exist():
    assert {("validate",), ("render",), ("import",), ("plan",), ("apply",), ("export",),
            ("keycloak", "start"), ("keycloak", "stop"), ("keycloak", "status")} <= set(COMMANDS)


@pytest.mark.parametrize("command", COMMANDS, ids=[" ".join(c) for c in COMMANDS])
def test_every_command_documents_an_example(command):
    result = invoke(*command, "--help")
    assert result.exit_code == 0
    assert "Example: groupid " in result.output or 'Example: eval "$(groupid' in result.output


def test_top_level_help_explains_exit_codes():
    result = invoke("--help")
    assert "Exit codes" in result.output and "Example" in result.output


def test_validate_valid_example():
    result = invoke("validate", str(EXAMPLE))
    assert result.exit_code == 0
    assert "valid" in result.output and "45 departments" in result.output


def test_validate_invalid_spec_lists_all_problems_and_exits_1(tmp_path):
    (tmp_path / "group.yaml").write_text(
        "group: {code: BX, name: 北辰, realm: bx}\ncompanies:\n  - {code: BX, name: 甲, parnet: X}\n  - {code: BY, name: 乙, parent: BQ}\n",
        encoding="utf-8",
    )
    result = invoke("validate", str(tmp_path))
    assert result.exit_code == 1
    assert "2 problems in the spec" in result.stderr
    assert f"{tmp_path}/group.yaml:3: company BX: unknown key 'parnet'; did you mean 'parent'?" in result.stderr
    assert f"{tmp_path}/group.yaml:4: company BY: parent 'BQ' is not a known company" in result.stderr
    assert "Traceback" not in result.output


@pytest.mark.parametrize(
    "args, message",
    [
        (("validate", "no/such/dir"), "error: no/such/dir: no such file or directory"),
        (("render", "no/such/dir", "--out", "x"), "error: no/such/dir: no such file or directory"),
        (("import", "no/such/file.json"), "error: no/such/file.json: no such file"),
    ],
)
def test_bad_input_gives_a_message_and_exit_1(args, message):
    result = invoke(*args)
    assert result.exit_code == 1
    assert result.stderr.startswith(message)
    assert "Traceback" not in result.output


def test_import_without_a_server_says_how_to_name_one(tmp_path, monkeypatch):
    for name in ("GROUPID_SERVER_URL", "GROUPID_ADMIN_USER", "GROUPID_CLIENT_ID"):
        monkeypatch.delenv(name, raising=False)
    assert invoke("render", str(EXAMPLE), "--out", str(tmp_path)).exit_code == 0
    result = invoke("import", str(tmp_path / "xinghe.json"))
    assert result.exit_code == 1
    assert result.stderr.startswith("error: no Keycloak server: set GROUPID_SERVER_URL or pass --server-url")


def test_names_are_printed_as_written_not_as_markup(tmp_path):
    spec = tmp_path / "[bold]spec"
    spec.mkdir()
    (spec / "group.yaml").write_text("group: {code: X, name: '[red]甲', realm: x}\n", encoding="utf-8")
    result = invoke("validate", str(spec))
    assert result.exit_code == 0
    assert f"{spec}: valid — group X ([red]甲)" in result.output


def test_render_writes_the_realm_file(tmp_path):
    result = invoke("render", str(EXAMPLE), "--out", str(tmp_path))
    assert result.exit_code == 0
    assert (tmp_path / "xinghe.json").is_file()
    assert f"wrote {tmp_path}/xinghe.json" in result.output


def test_import_rejects_a_file_that_is_not_a_realm(tmp_path, monkeypatch):
    monkeypatch.setenv("GROUPID_SERVER_URL", "http://127.0.0.1:9")
    monkeypatch.setenv("GROUPID_ADMIN_USER", "admin")
    monkeypatch.setenv("GROUPID_ADMIN_PASSWORD", "x")
    bad = tmp_path / "bad.json"
    bad.write_text('{"realm": "x",\n oops}', encoding="utf-8")
    result = invoke("import", str(bad))
    assert result.exit_code == 1
    assert result.stderr.startswith(f"error: {bad}:2: not valid JSON")


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_unreachable_server_is_a_clear_error(tmp_path, monkeypatch):
    render = invoke("render", str(EXAMPLE), "--out", str(tmp_path))
    assert render.exit_code == 0
    url = f"http://127.0.0.1:{closed_port()}"
    monkeypatch.setenv("GROUPID_ADMIN_USER", "admin")
    monkeypatch.setenv("GROUPID_ADMIN_PASSWORD", "x")
    result = invoke("import", str(tmp_path / "xinghe.json"), "--server-url", url)
    assert result.exit_code == 1
    assert result.stderr.startswith(f"error: Keycloak at {url} does not answer (sign in): Connection refused")


def test_local_keycloak_exports_name_the_password_file_unless_revealed(keycloak, keycloak_instance, monkeypatch):
    hidden = invoke("keycloak", "status", "--instance", keycloak_instance)
    assert hidden.exit_code == 0
    assert f"export GROUPID_SERVER_URL={keycloak.server_url}" in hidden.output
    assert "export GROUPID_ADMIN_PASSWORD_FILE=" in hidden.output
    assert keycloak.admin_password not in hidden.output + hidden.stderr
    shown = invoke("keycloak", "status", "--instance", keycloak_instance, "--reveal")
    assert f"export GROUPID_ADMIN_PASSWORD={keycloak.admin_password}" in shown.output


def test_keycloak_status_when_not_running(tmp_path, monkeypatch):
    monkeypatch.setenv("GROUPID_CACHE_DIR", str(tmp_path))
    result = invoke("keycloak", "status")
    assert result.exit_code == 1
    assert "not running" in result.stderr


def test_docs_show_the_real_output_for_the_invalid_example(monkeypatch):
    root = EXAMPLE.parent.parent
    monkeypatch.chdir(root)
    result = invoke("validate", "examples/invalid")
    assert result.exit_code == 1
    assert result.stderr.startswith("7 problems in the spec\n")
    assert result.stderr.strip() in (root / "docs" / "spec.md").read_text(encoding="utf-8")
