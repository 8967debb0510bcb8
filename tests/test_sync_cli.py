"""``groupid sync hr`` on the command line, against the real Keycloak: the summary, the report, exit codes
0 / 1 / 3 / 4, messages without tracebacks, and two runs started at once."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from datetime import timedelta

import pytest

from groupid.lock import LOCK_NAME
from groupid.realms import KeycloakServer
from tests.hr_people import DAYS, MAPPING, SPEC, accounts, export, mapping_with, read_records, spec_realm, write_csv
from tests.test_cli import closed_port, invoke
from tests.test_cli_plan import env  # noqa: F401  (the connection settings in the environment)
from tests.test_sync import DAY1_USERNAMES
from tests.test_sync_guards import holding


@pytest.fixture
def server(env):  # noqa: F811
    return KeycloakServer(env)


@pytest.fixture
def realm(server):
    """A realm of its own, the spec applied, for a test that syncs people into it."""
    with spec_realm(server, "cli") as name:
        yield name


@pytest.fixture(scope="module")
def quiet_realm(keycloak):
    """A realm the spec is applied to, shared by the tests that must leave it without a single user."""
    with spec_realm(KeycloakServer(keycloak), "cli") as name:
        yield name


def sync_args(path, realm, day, *options, mapping=MAPPING) -> list[str]:
    """The arguments of ``groupid sync hr`` for the export at ``path`` on ``day`` of the story."""
    return ["sync", "hr", str(path), "--spec", str(SPEC), "--mapping", str(mapping), "--realm", realm,
            "--today", DAYS[day].isoformat(), *options]


def sync(path, realm, day, *options, mapping=MAPPING):
    """Run ``groupid sync hr`` in this process; whatever happens, never a traceback."""
    result = invoke(*sync_args(path, realm, day, *options, mapping=mapping))
    assert "Traceback" not in result.output and "internal error" not in result.output
    return result


def test_dry_run_prints_the_summary_by_company_and_writes_nothing(quiet_realm, server, tmp_path):
    result = sync(export(1), quiet_realm, 1, "--dry-run", "--report", str(tmp_path / "plan.jsonl"))
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert lines[0] == "planned (dry run):"
    assert lines[1].split() == ["company", "created", "updated", "moved", "disabled", "re-enabled", "deleted",
                                "failed", "rejected", "unchanged", "not", "started"]
    rows = {line.split()[0]: line.split()[1:] for line in lines[2:6]}
    assert rows == {"BC": ["12"], "BC-MFG": ["10"], "BC-TECH": ["12", "2"],
                    "total": ["34", "0", "0", "0", "0", "0", "0", "0", "0", "2"]}
    assert "39 rows read, 2 out of scope, 0 managed accounts before the run; 0 writes" in result.stdout
    planned = [json.loads(line) for line in (tmp_path / "plan.jsonl").read_text(encoding="utf-8").splitlines()]
    assert len(planned) == 34 and {(line["action"], line["status"]) for line in planned} == {("create", "planned")}
    assert accounts(server, quiet_realm) == {}


def test_report_and_exit_4_when_rows_are_rejected(realm, server, tmp_path):
    header, records = read_records(export(1))
    records[0]["部门编码"] = "BC-TECH-AI"  # 万俟晨阳, on line 2
    report = tmp_path / "sync.jsonl"
    result = sync(write_csv(tmp_path / "day1.csv", header, records), realm, 1, "--report", str(report))
    assert result.exit_code == 4
    assert f"rejected: {tmp_path / 'day1.csv'}:2: department BC-TECH-AI is not in the spec" in result.stdout
    lines = [json.loads(line) for line in report.read_text(encoding="utf-8").splitlines()]
    assert f"wrote {len(lines)} lines to {report}" in result.stderr
    assert sorted(line["employee_id"] for line in lines if line["action"] == "create") == sorted(
        key for key in DAY1_USERNAMES if key not in ("BC0014", "BC0101"))
    assert [line["employee_id"] for line in lines if line["action"] == "reject"] == ["BC0101"]
    assert set(accounts(server, realm)) == set(DAY1_USERNAMES) - {"BC0014", "BC0101"}


def test_guard_exits_3_and_force_goes_through(realm, server, tmp_path):
    assert sync(export(1), realm, 1).exit_code == 0
    before = accounts(server, realm)
    header, records = read_records(export(1))
    truncated = write_csv(tmp_path / "day2.csv", header, records[:12])
    refused = sync(truncated, realm, 2)
    assert refused.exit_code == 3
    assert refused.stderr.startswith("error: the export has 12 rows, the last successful run had 39")
    assert accounts(server, realm) == before
    forced = sync(truncated, realm, 2, "--force")
    assert forced.exit_code == 0
    kept = {record["工号"] for record in records[:12]}
    assert {key for key, account in accounts(server, realm).items() if not account.enabled} == set(before) - kept


def test_a_held_lock_exits_3_but_a_dry_run_goes_on(quiet_realm, server):
    server.acquire_lock(quiet_realm, LOCK_NAME, holding("sync-host pid 4242", timedelta(hours=1)))
    try:
        result = sync(export(1), quiet_realm, 1)
        dry_run = sync(export(1), quiet_realm, 1, "--dry-run")  # it writes nothing, so it takes no lock
    finally:
        server.release_lock(quiet_realm, LOCK_NAME)
    assert result.exit_code == 3
    assert "another sync is running" in result.stderr and "sync-host pid 4242" in result.stderr
    assert dry_run.exit_code == 0 and "planned (dry run):" in dry_run.stdout
    assert accounts(server, quiet_realm) == {}


@pytest.mark.parametrize(
    ("policy", "message"),
    [
        ("{absnt: leaver}", r"mapping\.yaml:8: policy: unknown key 'absnt'; did you mean 'absent'"),
        ("{guard: {max_leavers: -1}}", r"mapping\.yaml:8: policy: guard: max_leavers: .*greater than or equal to 0"),
        ("{absent: [", r"mapping\.yaml:9: YAML syntax error"),  # the file ends inside the list
    ],
)
def test_bad_mapping_names_file_and_line(quiet_realm, server, tmp_path, policy, message):
    mapping = mapping_with(tmp_path / "mapping.yaml", policy=policy)
    result = sync(export(1), quiet_realm, 1, mapping=mapping)
    assert result.exit_code == 1
    assert result.stderr.startswith(f"error: {mapping}:")
    assert re.search(message, result.stderr), result.stderr
    assert accounts(server, quiet_realm) == {}


def unreadable(tmp_path, kind):
    """An export that cannot be read, and words the message must hold."""
    if kind == "missing":
        return tmp_path / "nowhere.csv", "no such file"
    if kind == "directory":
        return tmp_path, "a directory, not a file"
    path = tmp_path / "export.csv"
    if kind == "empty":
        path.write_bytes(b"\xef\xbb\xbf")  # a BOM and nothing else
        return path, "the file is empty"
    if kind == "binary":
        path.write_bytes(bytes(range(256)) * 8)
        return path, "cannot"
    path.write_text("姓名,部门\n张伟,研发\n", encoding="utf-8")
    return path, "columns '工号', '公司编码'"


@pytest.mark.parametrize("kind", ["missing", "directory", "empty", "binary", "other columns"])
def test_unreadable_export_is_a_message_and_exit_1(quiet_realm, server, tmp_path, kind):
    path, words = unreadable(tmp_path, kind)
    result = sync(path, quiet_realm, 1)
    assert result.exit_code == 1
    assert result.stderr.startswith(f"error: {path}") and words in result.stderr, result.stderr
    assert accounts(server, quiet_realm) == {}


def test_two_runs_at_once_never_interleave(realm, server, tmp_path):
    """Two cron jobs fire together: one takes the lock, the other waits for it, then finds nothing to do."""
    reports = [tmp_path / f"{n}.jsonl" for n in (1, 2)]
    runs = [subprocess.Popen([sys.executable, "-c", "from groupid.cli import main; main()",
                              *sync_args(export(1), realm, 1, "--wait", "60", "--report", str(report))],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for report in reports]
    outputs = [run.communicate(timeout=120) for run in runs]
    assert [run.returncode for run in runs] == [0, 0], outputs
    lines = [[json.loads(line) for line in report.read_text(encoding="utf-8").splitlines()] for report in reports]
    creates = sorted(sum(line["action"] == "create" for line in run) for run in lines)
    assert creates == [0, 34]
    assert {key: account.username for key, account in accounts(server, realm).items()} == {
        key: name for key, name in DAY1_USERNAMES.items() if key != "BC0014"}


@pytest.mark.parametrize("options", [
    pytest.param(["--dry-run"], id="dry-run"),
    pytest.param([], id="run"),
])
def test_a_realm_the_spec_was_never_applied_to(server, options):
    result = sync(export(1), "t-cli-never-applied", 1, *options)
    assert result.exit_code == 1
    assert result.stderr.startswith("error: realm t-cli-never-applied does not exist: apply the spec first")


def test_a_spec_that_is_not_there(quiet_realm, server, tmp_path):
    args = sync_args(export(1), quiet_realm, 1)
    args[args.index("--spec") + 1] = str(tmp_path / "nowhere")
    result = invoke(*args)
    assert result.exit_code == 1 and result.stderr.startswith(f"error: {tmp_path / 'nowhere'}: no such file or directory")


def test_an_unreachable_server(monkeypatch):
    monkeypatch.setenv("GROUPID_ADMIN_USER", "admin")
    monkeypatch.setenv("GROUPID_ADMIN_PASSWORD", "x")
    url = f"http://127.0.0.1:{closed_port()}"
    result = sync(export(1), "beichen", 1, "--server-url", url)
    assert result.exit_code == 1 and result.stderr.startswith(f"error: Keycloak at {url} does not answer")
