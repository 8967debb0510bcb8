"""The bad-input corpus: every case under ``tests/data/bad/`` is a command that must fail cleanly.

Each case is a folder ``tests/data/bad/<area>/<case>/`` holding the files the command reads and a
``case.yaml``::

    why: a merge key in a company list        # one line: what the case is about
    args: [validate, spec]                   # the command line after `groupid`, run inside a copy of the folder
    env: {GROUPID_SERVER_URL: "https://u:p@h"}   # optional; added to the planted environment below
    exit: 1                                  # the exit code the command must give
    where: "spec/group.yaml:3"               # must appear in the output: the file and line, or the record
    says: ["merge key"]                      # optional: more text the output must hold
    isolated: true                           # optional: run in a child process with a time and memory cap

A case that needs files git cannot hold (a FIFO, a file of many megabytes, a zip bomb) has a ``build.py``
beside its ``case.yaml`` with ``def build(root: pathlib.Path) -> None``; it runs in the copy before the
command. The text ``{root}`` in ``args`` and ``env`` stands for the copy's absolute path.

Every case runs with planted secrets in the environment and in secret files; whatever the command prints
must hold none of them, no traceback, no "internal error" and no raw control character (a terminal would act on
it), and stay short (no repr of a large value).
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
import unicodedata
from pathlib import Path

import pytest
from ruamel.yaml import YAML
from typer.testing import CliRunner

from groupid.cli import app
from groupid.text import BIDI_CONTROLS
from tests.alarms import time_limit

CORPUS = Path(__file__).parent / "data" / "bad"
CASE_KEYS = {"why", "args", "env", "exit", "where", "says", "isolated"}
PLANTED_PASSWORD = "planted-Pa55word-7f3c9e"
PLANTED_SECRET = "planted-client-secret-d41b2a"
PLANTED_FILE_SECRET = "planted-file-secret-93e0aa"
SECRETS = (PLANTED_PASSWORD, PLANTED_SECRET, PLANTED_FILE_SECRET)
UNREACHABLE = "http://127.0.0.1:9"  # the discard port: nothing listens there, so a connection is refused at once
SECONDS = 20
MAX_OUTPUT = 6000  # characters; a message that quotes a file's contents or a large value runs past this
ISOLATED_MEMORY = 1536 * 1024 * 1024


def _cases() -> list[Path]:
    return sorted(path.parent for path in CORPUS.glob("*/*/case.yaml"))


CASES = _cases()


def planted_environment(root: Path) -> dict[str, str]:
    """The environment every case runs in: connection settings that carry secrets, and a secret file."""
    secret_file = root / ".planted-secret"
    secret_file.write_text(PLANTED_FILE_SECRET + "\n", encoding="utf-8")
    return {
        "GROUPID_SERVER_URL": UNREACHABLE,
        "GROUPID_ADMIN_USER": "admin",
        "GROUPID_ADMIN_PASSWORD": PLANTED_PASSWORD,
        "GROUPID_CLIENT_SECRET": PLANTED_SECRET,
        "GROUPID_CLIENT_SECRET_FILE": str(secret_file),
        "GROUPID_TIMEOUT": "5",
        "GROUPID_SECRET_PROBE": PLANTED_PASSWORD,  # any variable: /proc/self/environ would show it
    }


def _load_case(folder: Path) -> dict:
    case = YAML(typ="safe").load((folder / "case.yaml").read_text(encoding="utf-8"))
    unknown = set(case) - CASE_KEYS
    assert not unknown, f"{folder}/case.yaml: unknown keys {sorted(unknown)}"
    for key in ("why", "args", "exit", "where"):
        assert key in case, f"{folder}/case.yaml: missing '{key}'"
    return case


def _build(root: Path) -> None:
    script = root / "build.py"
    if not script.exists():
        return
    spec = importlib.util.spec_from_file_location(f"bad_case_build_{root.name}", script)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.build(root)


def _expand(value: str, root: Path) -> str:
    return str(value).replace("{root}", str(root))


def _run_in_process(args: list[str], env: dict[str, str]) -> tuple[int, str]:
    cleared = {name: None for name in os.environ if name.startswith(("GROUPID_", "KC_"))}
    with time_limit(SECONDS):
        result = CliRunner().invoke(app, args, env={**cleared, **env}, catch_exceptions=True)
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise AssertionError(f"the command raised {type(result.exception).__name__}: {result.exception}")
    return result.exit_code, result.output  # stdout and stderr, interleaved


def _limit_memory() -> None:
    import resource

    resource.setrlimit(resource.RLIMIT_AS, (ISOLATED_MEMORY, ISOLATED_MEMORY))


def _run_isolated(args: list[str], env: dict[str, str], root: Path) -> tuple[int, str]:
    base = {name: value for name, value in os.environ.items() if not name.startswith(("GROUPID_", "KC_"))}
    command = [sys.executable, "-c", "from groupid.cli import main; main()", *args]
    try:
        done = subprocess.run(command, cwd=root, env={**base, **env}, capture_output=True, text=True,
                              timeout=SECONDS, preexec_fn=_limit_memory, stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        raise AssertionError(f"the command ran for more than {SECONDS} s") from None
    return done.returncode, done.stdout + done.stderr


@pytest.mark.parametrize("folder", CASES, ids=[f"{p.parent.name}/{p.name}" for p in CASES])
def test_bad_input_fails_cleanly(folder: Path, tmp_path: Path, monkeypatch):
    case = _load_case(folder)
    root = tmp_path / folder.name
    shutil.copytree(folder, root, symlinks=True)
    _build(root)
    env = {**planted_environment(root), **{k: _expand(v, root) for k, v in (case.get("env") or {}).items()}}
    args = [_expand(arg, root) for arg in case["args"]]
    if case.get("isolated"):
        code, output = _run_isolated(args, env, root)
    else:
        monkeypatch.chdir(root)
        code, output = _run_in_process(args, env)
    shown = output if len(output) < 2000 else output[:2000] + " …"
    assert code == case["exit"], f"exit {code}, expected {case['exit']}; output:\n{shown}"
    assert "Traceback" not in output and "internal error" not in output, shown
    for secret in SECRETS:
        assert secret not in output, f"a planted secret reached the output:\n{shown}"
    assert len(output) <= MAX_OUTPUT, f"{len(output)} characters of output:\n{shown}"
    raw = [c for c in output if c != "\n" and (unicodedata.category(c) == "Cc" or c in BIDI_CONTROLS)]
    assert not raw, f"raw control characters {raw!r} reached the output:\n{shown!r}"
    assert _expand(case["where"], root) in output, f"the output does not name {case['where']!r}:\n{shown}"
    for text in case.get("says") or ():
        assert _expand(text, root) in output, f"the output does not say {text!r}:\n{shown}"


def test_the_corpus_covers_every_input_path():
    """At least 80 cases, over the spec, the mapping, HR files, the environment and credentials, and paths."""
    areas = {folder.parent.name for folder in CASES}
    assert len(CASES) >= 80, f"{len(CASES)} cases"
    assert {"spec", "yaml", "paths", "mapping", "hr", "env"} <= areas, sorted(areas)
