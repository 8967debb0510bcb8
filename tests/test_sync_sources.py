"""The people engine knows no source: a second source, a list of dicts made for the tests (tests.people_source),
feeds the same engine, the same guards and the same report as the HR export, in memory and in Keycloak."""

from __future__ import annotations

import ast
import dataclasses
import json
from datetime import date
from pathlib import Path

import pytest

import groupid.sync
from groupid.errors import ConfigurationError, ExitCode, Location, TooMuchChange
from groupid.sources import source_reader
from groupid.sources.hr import read_people
from groupid.spec import load_spec
from groupid.sync import ROWS_RECORD, SyncOptions, sync_people
from tests.hr_people import ADAPTERS, SPEC, accounts, new_adapter, spec_realm
from tests.people_source import ROWS, read_list

DAY1, DAY2 = date(2025, 3, 3), date(2025, 3, 10)


def person(employee_id: str, name: str, department: str, **fields) -> dict:
    """One person of 北辰科技 (BC-TECH) as the list source holds them."""
    return {"employee_id": employee_id, "name": name, "company": "BC-TECH", "department": department,
            "start_date": date(2024, 1, 8), **fields}


@pytest.fixture(params=ADAPTERS)
def adapter(request):
    return new_adapter(request)


def test_joiners_movers_leavers_and_rejections_come_from_any_source(adapter, tmp_path):
    group = load_spec(SPEC)
    day1 = read_list([
        person("T001", "张伟", "BC-TECH-RD"),
        person("T002", "李娜", "BC-TECH-QA"),
        person("T003", "王芳", "BC-TECH-RD"),
        {"employee_id": "T004", "reject": "the directory entry has no name"},  # refused by the source
        person("T005", "赵敏", "BC-TECH-XX"),  # refused by the engine: no such department
        {"employee_id": "T006", "out_of_scope": True},
    ])
    day2 = read_list([
        person("T001", "张伟", "BC-TECH-QA"),  # a mover
        person("T003", "王芳", "BC-TECH-RD"),  # as before
        person("T007", "刘洋", "BC-TECH-RD"),  # a joiner; T002 is gone: a leaver
        {"employee_id": "T004", "reject": "the directory entry has no name"},
        {"employee_id": "T006", "out_of_scope": True},
    ])
    report = tmp_path / "report.jsonl"
    with spec_realm(adapter, "source") as realm:
        first = sync_people(day1, group, adapter, SyncOptions(realm=realm, today=DAY1))
        before = accounts(adapter, realm)
        record = adapter.read_realm_attributes(realm)
        second = sync_people(day2, group, adapter, SyncOptions(realm=realm, today=DAY2, report=report))
        after = accounts(adapter, realm)

    assert first.exit_code == ExitCode.ROWS_REJECTED
    assert {(r.where, r.employee_id): r.reasons for r in first.plan.rejections} == {
        (Location("people.list", 4), "T004"): ("the directory entry has no name",),
        (Location("people.list", 5), "T005"): ("department BC-TECH-XX is not in the spec",),
    }
    assert set(before) == {"T001", "T002", "T003"}
    assert (before["T001"].groups, before["T002"].groups) == ({"BC-TECH-RD"}, {"BC-TECH-QA"})
    # the ids of the accounts created are the apply's; the plan stays as it was made
    created = first.outcome.done
    assert sorted(first.outcome.ids[change] for change in created) == sorted(account.id for account in before.values())
    assert all(change.user_id is None for change in created)
    with pytest.raises(dataclasses.FrozenInstanceError):
        created[0].user_id = "x"
    # the run record is kept under the source's own name
    assert record[ROWS_RECORD.format(source=ROWS)] == "6" and ROWS_RECORD.format(source="hr") not in record

    assert {action: count for action, count in second.counts().items() if count} == {
        "move": 1, "create": 1, "disable": 1, "unchanged": 1, "rejected": 1}
    assert after["T001"].id == before["T001"].id and after["T001"].groups == {"BC-TECH-QA"}
    assert not after["T002"].enabled and after["T002"].groups == frozenset()
    assert after["T003"].id == before["T003"].id and after["T003"].enabled
    assert after["T007"].enabled and after["T007"].groups == {"BC-TECH-RD"}
    lines = [json.loads(line) for line in report.read_text(encoding="utf-8").splitlines()]
    assert {"action": "reject", "employee_id": "T004", "company": None, "source": "people.list:4",
            "reasons": ["the directory entry has no name"]} in lines
    assert {(line["action"], line["employee_id"], line["status"]) for line in lines if "status" in line} == {
        ("move", "T001", "done"), ("create", "T007", "done"), ("disable", "T002", "done")}


def test_the_leaver_guard_refuses_for_any_source(adapter):
    group = load_spec(SPEC)
    staff = [person(f"T{n:03d}", "张伟", "BC-TECH-RD") for n in range(25)]
    leaving = read_list([{**member, "status": "terminated"} for member in staff])  # as many rows: not truncated
    with spec_realm(adapter, "source-guard") as realm:
        sync_people(read_list(staff), group, adapter, SyncOptions(realm=realm, today=DAY1))
        with pytest.raises(TooMuchChange) as refusal:
            sync_people(leaving, group, adapter, SyncOptions(realm=realm, today=DAY2))
        kept = accounts(adapter, realm)
        forced = sync_people(leaving, group, adapter, SyncOptions(realm=realm, today=DAY2, force=True))
        gone = accounts(adapter, realm)

    assert refusal.value.exit_code == ExitCode.REFUSED == 3
    assert str(refusal.value) == (
        "this run would disable or delete 25 of 25 enabled accounts, more than 20 and more than 5%; nothing was "
        "written. Check the export; if it is right, run again with --force")
    assert (refusal.value.changed, refusal.value.managed) == (25, 25)
    assert len(kept) == 25 and all(account.enabled for account in kept.values())
    assert forced.counts()["disable"] == 25 and not any(account.enabled for account in gone.values())


def test_sources_are_looked_up_by_name():
    assert source_reader(ROWS) is read_list
    assert source_reader("hr") is read_people
    with pytest.raises(ConfigurationError, match=r"unknown people source 'nosuch'; known: .*\bhr\b"):
        source_reader("nosuch")


def test_the_engine_imports_no_source_and_no_spec_loader():
    imported = {}
    for path in sorted(Path(groupid.sync.__file__).parent.glob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        names = [alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names]
        names += [node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.module]
        imported[path.name] = names
    assert "run.py" in imported and any("groupid.sources" in names for names in imported.values())
    sources = ("groupid.sources.hr", "groupid.sources.tabular", "groupid.spec", "groupid.hr_sync")
    wrong = {name: [module for module in names if module == "groupid.sources.hr" or module.startswith(sources)]
             for name, names in imported.items()}
    assert {name: modules for name, modules in wrong.items() if modules} == {}
