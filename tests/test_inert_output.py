"""Names and codes are shown as written and stay inert: never Rich markup or emoji codes, never an escape sequence,
hyperlink or bidirectional override acting on the terminal, never a line break that forges a line of output, never
Markdown or HTML in a pull-request comment. Through every view of a plan, a saved plan and the command line.
"""

from __future__ import annotations

import dataclasses
import json
import os

import pytest
from typer.testing import CliRunner

from groupid.cli import app
from groupid.errors import SourceError
from groupid.payloads import GroupPayload, RolePayload
from groupid.plan import Create, FieldChange, Finding, Plan, Update, load_plans, save_plans
from groupid.views import as_json, as_markdown, as_text

SENSITIVE = "planted-sensitive-value-5c1e"

RAW_CONTROLS = ("\x1b", "\x9b", "\x9d", "\x07", "\u202e", "\u2066", "\r")
"""What must never reach a terminal raw: ESC, the C1 CSI and OSC, BEL, a bidirectional override and isolate,
a carriage return."""

HOSTILE_NAME = "\x1b]8;;https://evil.example/\x1b\\李四\x1b]8;;\x1b\\\x1b[2J"  #: a hyperlink, then a screen wipe
HOSTILE_ROLE = "app:x:admin"  #: an emoji code, had the console read them
HOSTILE_DESCRIPTION = "[bold]管理员[/bold] :x: | `x` <b>*em*</b>"

runner = CliRunner()


def run(args: list, env: dict[str, str]) -> tuple[int, str]:
    """Run groupid with exactly ``env`` as its GROUPID_* settings; the exit code and stdout + stderr."""
    cleared = {name: None for name in os.environ if name.startswith(("GROUPID_", "KC_"))}
    result = runner.invoke(app, [str(arg) for arg in args], env={**cleared, **env}, catch_exceptions=True)
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    return result.exit_code, result.stdout + result.stderr


def hostile_plans() -> list[Plan]:
    """Plans whose names hold every kind of trouble, and a sensitive value."""
    label = f"group X ({HOSTILE_NAME} | two\nlines `tick` <script>x</script> [a](http://evil.example) \u202eabc)"
    changes = [
        Create("role", HOSTILE_ROLE, f"role {HOSTILE_ROLE}", RolePayload(HOSTILE_ROLE)),
        Create("group", "X", label, GroupPayload(HOSTILE_NAME),
               fields=(FieldChange("config.clientSecret", None, SENSITIVE, sensitive=True),)),
        Update("group", "Y", "group Y", GroupPayload(HOSTILE_NAME, "y-id"), fields=(FieldChange("name", "old\x9b31m", HOSTILE_NAME),)),
    ]
    return [Plan("r\u202ex", changes, [Finding("group", "Z", f"group {HOSTILE_NAME}\nfake: line is unmanaged")])]


def test_every_view_shows_hostile_names_inert_and_no_secret():
    plans = hostile_plans()
    text, markdown, document = as_text(plans), as_markdown(plans), as_json(plans)
    for view in (text, markdown, document):
        assert not [c for c in RAW_CONTROLS if c in view], view
        assert SENSITIVE not in view and "(sensitive)" in view
    assert HOSTILE_ROLE in text and "\\x1b]8;;https://evil.example/" in text
    assert len(text.splitlines()) == 10 and not any(line.startswith("fake:") for line in text.splitlines())
    rows = [line for line in markdown.splitlines() if line.startswith("| ")]
    # a cell never ends early: every row has its four cells, whatever pipes and line breaks the names hold
    assert all(len(row.replace("\\|", "").split("|")) == 6 for row in rows), rows
    assert "<script>" not in markdown and "&lt;script&gt;" in markdown and "\\[a\\](http" in markdown
    assert "\\`tick\\`" in markdown
    decoded = json.loads(document)["plans"][0]
    assert decoded["changes"][1]["label"].startswith(f"group X ({HOSTILE_NAME} | two\nlines")  # the same names
    assert decoded["realm"] == "r\u202ex"


def test_a_saved_plan_is_inert_and_reads_back_the_same(tmp_path):
    path = tmp_path / "plan.json"
    save_plans(hostile_plans(), path)
    saved = path.read_text(encoding="utf-8")
    assert not [c for c in RAW_CONTROLS if c in saved] and SENSITIVE not in saved
    with pytest.raises(SourceError, match="U\\+202E"):  # no realm of that name can be managed
        load_plans(path)
    save_plans([dataclasses.replace(plan, realm="r-x") for plan in hostile_plans()], path)
    (plan,) = load_plans(path)
    assert plan.realm == "r-x" and plan.changes[-1].fields[0].new == HOSTILE_NAME


def test_names_and_paths_print_as_written_through_the_cli(tmp_path):
    spec = tmp_path / "spec"
    spec.mkdir()
    (spec / "group.yaml").write_text(
        "group: {code: PX, name: \"[bold]集团[b] :x:\", realm: probe}\n"
        "companies: [{code: PX, name: \"[red]公司 :smile:\"}]\n"
        f"roles: [{{name: \"{HOSTILE_ROLE}\"}}]\n", encoding="utf-8")
    code, output = run(["validate", spec], {})
    assert code == 0 and "group PX ([bold]集团[b] :x:)" in output and "❌" not in output, output
    out = tmp_path / "out:x:[bold]"
    code, output = run(["render", spec, "--out", out], {})
    assert code == 0 and f"wrote {out}/probe.json" in output and "❌" not in output, output
    assert HOSTILE_ROLE in (out / "probe.json").read_text(encoding="utf-8")


def test_escape_sequences_in_a_spec_never_reach_the_terminal(tmp_path):
    spec = tmp_path / "spec\x1b[2J"  # even in the path
    spec.mkdir()
    (spec / "group.yaml").write_text(
        'group: {code: PX, name: "P\\e]8;;https://evil.example/\\e\\\\x\\e]8;;\\e\\\\", realm: probe}\n'
        'companies: [{code: PX, name: "C\\u202eabc"}]\n', encoding="utf-8")
    code, output = run(["validate", spec], {})
    assert code in (0, 1) and "Traceback" not in output
    assert not [c for c in RAW_CONTROLS if c in output], repr(output)
    assert any(shown in output for shown in ("\\x1b", "U+001B", "\\u202e", "U+202E")), output  # named or escaped
