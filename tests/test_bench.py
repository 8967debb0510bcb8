"""The benchmark scripts import groupid: each must still import and answer --help, so that they cannot rot
unnoticed between benchmark runs."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parent.parent / "bench"
SCRIPTS = sorted(BENCH.glob("*.py"))


def test_there_are_benchmark_scripts():
    assert len(SCRIPTS) >= 4, SCRIPTS


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda path: path.name)
def test_a_benchmark_script_answers_help(script, tmp_path):
    # run from elsewhere, as a user would: the script finds its siblings and groupid on its own
    done = subprocess.run([sys.executable, str(script), "--help"], cwd=tmp_path, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("usage:"), done.stdout


def test_the_ldap_benchmark_directory_loads_and_takes_its_cases(tmp_path):
    # the LDAP benchmark's half that needs no Keycloak: its LDIF passes slapadd's schema checks, and every case
    # changes what it says in a real slapd
    sys.path.insert(0, str(BENCH))
    try:
        from ldap_data import TEAM, generate_directory, person_dn
        from ldap_sync import CASES, DirectoryServer, change_directory, draw_cases
    finally:
        sys.path.remove(str(BENCH))
    from groupid.errors import LocalServerError
    from tests.conftest import skip_or_fail

    data = generate_directory(tmp_path / "data", people=300, departments=15, companies=5)
    cases = draw_cases(data)
    assert len(cases.leavers) == len(cases.movers) == 50
    assert all(new != mover.department for mover, new in cases.movers)
    try:
        server = DirectoryServer(data, tmp_path / "directory", page=100)
    except LocalServerError as exc:
        skip_or_fail(f"cannot run slapd: {exc}")
    with server as directory:
        for case in CASES:
            change_directory(case, cases, directory)
        directory.local.stop()
        dump = subprocess.run(["slapcat", "-f", str(directory.local.folder / "slapd.conf")], capture_output=True,
                              text=True, timeout=60, check=True).stdout
    entries = {block.splitlines()[0] for block in dump.split("\n\n") if block.startswith("dn:")}
    assert f"dn: {cases.leavers[0].dn}" not in entries
    assert f"dn: {cases.renamed.dn}" not in entries
    assert f"dn: {person_dn(cases.new_id, cases.renamed.company)}" in entries
    people = [dn for dn in entries if dn.startswith("dn: uid=")]
    assert len(people) == 300 - 50
    team = next(block for block in dump.split("\n\n") if block.startswith(f"dn: {TEAM}"))
    assert f"member: {cases.nested.dn}" in team
