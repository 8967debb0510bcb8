"""What the export may look like: every encoding and format gives the same accounts, and bad rows are rejected
with their reason while the rest of the run goes on — checked in the realm, person by person."""

from __future__ import annotations

import json
import shutil
from types import SimpleNamespace

import pytest

from groupid.errors import ExitCode, GroupidError
from groupid.hr_sync import read_sync_inputs, sync_hr
from groupid.realms import KeycloakServer
from groupid.realms.memory import MemoryRealms
from groupid.sync import SyncOptions
from tests.hr_people import (
    ADAPTERS,
    DAYS,
    MAPPING,
    SPEC,
    Recorder,
    accounts,
    edited_export,
    export,
    mapping_with,
    new_adapter,
    read_records,
    spec_realm,
    write_csv,
    write_json,
    write_xlsx,
)
from tests.test_sync import DAY1_USERNAMES, nonzero

RARE_NAMES = {"BC0120": ("刘䶮", "liuyan"), "BC0121": ("陈𬌗", "chenhe")}
"""Names GBK cannot write: 䶮 (U+4DAE) is a two-byte GB 18030 character, 𬌗 (U+2C317) lies beyond the BMP and
takes four bytes in GB 18030 (and in UTF-8, which Keycloak's database must keep)."""


def rare_records(template: dict) -> list[dict]:
    """Two more people of the RD department, named with characters only GB 18030 and Unicode have."""
    return [{**template, "工号": key, "姓名": name, "手机": "", "邮箱": f"{username}@tech.beichen.example.cn",
             "身份证号": ""} for key, (name, username) in RARE_NAMES.items()]


@pytest.fixture(scope="module")
def loaded(keycloak, tmp_path_factory):
    """A realm loaded from the roster as a GBK CSV (what Excel saves on Chinese Windows), then from a GB 18030
    CSV that adds the two people GBK cannot hold."""
    adapter = Recorder(KeycloakServer(keycloak))
    folder = tmp_path_factory.mktemp("exports")
    header, records = read_records(export(1))
    records += rare_records(next(r for r in records if r["工号"] == "BC0105"))
    with spec_realm(adapter.adapter, "inputs") as realm:
        def sync(path, mapping=MAPPING):
            adapter.calls.clear()
            return sync_hr(path, SPEC, mapping, adapter, options=SyncOptions(realm=realm, today=DAYS[1]))

        gbk = sync(write_csv(folder / "gbk.csv", header, records[:-2], "gbk"))
        gb18030_file = write_csv(folder / "gb18030.csv", header, records, "gb18030")
        gb18030 = sync(gb18030_file)

        yield SimpleNamespace(adapter=adapter, realm=realm, folder=folder, header=header, records=records, sync=sync,
                              gbk=gbk, gb18030=gb18030, gb18030_file=gb18030_file)


def test_gbk_export_loads_the_roster(loaded):
    assert nonzero(loaded.gbk.counts()) == {"create": 34, "waiting": 2}
    found = {key: account.username for key, account in accounts(loaded.adapter.adapter, loaded.realm).items()}
    expected = {key: name for key, name in DAY1_USERNAMES.items() if key != "BC0014"}  # 罗佳 left before day 1
    assert {key: found[key] for key in expected} == expected


def test_gb18030_export_adds_names_gbk_cannot_hold(loaded):
    raw = loaded.gb18030_file.read_bytes()
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")
    assert raw.decode("gb18030") != raw.decode("gbk", errors="replace")  # GBK would garble these names
    assert nonzero(loaded.gb18030.counts()) == {"create": 2, "unchanged": 34, "waiting": 2}
    found = accounts(loaded.adapter.adapter, loaded.realm)
    for key, (name, username) in RARE_NAMES.items():
        assert (found[key].username, found[key].last_name + found[key].first_name) == (username, name)
        assert found[key].groups == {"BC-TECH-RD"}


@pytest.mark.parametrize("form", ["utf-8-sig", "utf-8", "xlsx", "json", "jsonl"])
def test_every_format_gives_the_same_accounts(loaded, form):
    """The same people in another encoding or format: nothing to change, so not one write."""
    header, records, folder = loaded.header, loaded.records, loaded.folder
    if form.startswith("utf-8"):
        path, mapping = write_csv(folder / f"{form}.csv", header, records, form), MAPPING
    else:
        if form == "xlsx":
            path = write_xlsx(folder / "roster.xlsx", header, records)
        else:
            path = write_json(folder / f"roster.{form}", records, lines=form == "jsonl")
        mapping = mapping_with(folder / f"{form}.yaml", source=f"{{format: {form}}}")
    before = accounts(loaded.adapter.adapter, loaded.realm)
    result = loaded.sync(path, mapping)
    assert nonzero(result.counts()) == {"unchanged": 36, "waiting": 2}
    assert result.writes == 0 and loaded.adapter.people_writes() == []
    assert accounts(loaded.adapter.adapter, loaded.realm) == before


# --- bad rows -----------------------------------------------------------------------------------------------

BAD_ROWS = {
    "BC0115": ({"公司编码": "BC-XX"}, "company BC-XX is not in the spec"),
    "BC0206": ({"部门编码": "BC-MFG-NOPE"}, "department BC-MFG-NOPE is not in the spec"),
    "BC0207": ({"公司编码": "BC-TECH"}, "department BC-MFG-QC belongs to company BC-MFG, not BC-TECH"),
    "BC0208": ({"手机": "1380013800"}, "phone (手机): '138*****00' is neither"),
    "BC0209": ({"邮箱": "shangguan@"}, "email (邮箱): 'sha*****n@' is not an e-mail address"),
    "BC0210": ({"入职日期": "2025-02-30"}, "start_date (入职日期): '2025-02-30' is not a date"),
    "BC0117": ({"工号": "BC0117", "部门编码": "BC-TECH-NOPE"}, "department BC-TECH-NOPE is not in the spec"),
    "BC0101": ({"姓名": "万俟\u202e晨阳"}, "name (姓名): U+202E RIGHT-TO-LEFT OVERRIDE at position 3"),
    "BC0106": ({"部门编码": "BC-TECH-RD\x1b[0m"}, "department (部门编码): U+001B control character at position 11"),
    "BC0104": ({"离职日期": "2018-01-01"}, "end_date (离职日期) 2018-01-01 is before start_date (入职日期) 2018-04-02"),
    "BC0105": ({"入职日期": "2017"}, "start_date (入职日期): '2017' is not a date: a bare number is read as an Excel"),
}
"""Day 2's export spoilt: employee ID -> (cells changed, the reason the report gives). BC0117 is a joiner; the
others have accounts since day 1 that day 2 leaves as they are."""


@pytest.fixture(params=ADAPTERS)
def adapter(request):
    return new_adapter(request)


def test_bad_rows_are_rejected_and_the_rest_is_synced(adapter, tmp_path):
    header, records = read_records(export(2))
    by_id = {record["工号"]: record for record in records}
    for key, (cells, _) in BAD_ROWS.items():
        by_id.setdefault(key, dict(by_id["BC0116"])).update(cells)
    spoilt = [*by_id.values(), {**by_id["BC0003"], "工号": "BC0002", "姓名": "司马静"}]  # BC0002 twice
    with spec_realm(adapter, "rows") as realm:
        sync_hr(export(1), SPEC, MAPPING, adapter, options=SyncOptions(realm=realm, today=DAYS[1]))
        day1 = accounts(adapter, realm)
        result = sync_hr(write_csv(tmp_path / "day2.csv", header, spoilt), SPEC, MAPPING, adapter,
                         options=SyncOptions(realm=realm, today=DAYS[2], report=tmp_path / "report.jsonl"))
        after = accounts(adapter, realm)

    assert result.exit_code == ExitCode.ROWS_REJECTED == 4
    # as day 2 of the story, but for the rejected rows; 罗佳 had no account here, so she is created
    assert nonzero(result.counts()) == {"create": 5, "move": 2, "disable": 3, "update": 2, "rejected": 13,
                                        "unchanged": 16, "waiting": 1}
    # a rejected row leaves its account exactly as it was: never half-applied, never taken for a leaver
    for key in ("BC0002", *BAD_ROWS):
        assert after.get(key) == day1.get(key)
    assert "BC0117" not in after
    # the rest of day 2 went through
    assert after["BC0109"].groups == {"BC-MFG-QC"} and not after["BC0011"].enabled and "BC0116" in after

    lines = [json.loads(line) for line in (tmp_path / "report.jsonl").read_text(encoding="utf-8").splitlines()]
    rejects = [line for line in lines if line["action"] == "reject"]
    reasons = {line["employee_id"]: " ".join(line["reasons"]) for line in rejects}
    for key, (_, reason) in BAD_ROWS.items():
        assert reason in reasons[key]
    duplicates = [line for line in rejects if line["employee_id"] == "BC0002"]
    assert len(duplicates) == 2 and all("appears more than once" in line["reasons"][0] for line in duplicates)
    lines_of_bc0002 = [str(number) for number, record in enumerate(spoilt, 2) if record["工号"] == "BC0002"]
    assert [line["source"].rsplit(":", 1)[1] for line in duplicates] == lines_of_bc0002


def test_two_rows_with_one_email_are_rejected_and_the_others_created(adapter, tmp_path):
    """HR gave two people the same mailbox. Keycloak keeps emails unique, and one clash in a bulk create would
    sink everyone in it: both rows are rejected, each naming the other's line, and everyone else is created."""
    path = edited_export(tmp_path / "day1.csv", 1, {"BC0003": {"邮箱": "simajing@beichen.example.cn"}})
    line = {record["工号"]: number for number, record in enumerate(read_records(path)[1], 2)}
    with spec_realm(adapter, "email") as realm:
        result = sync_hr(path, SPEC, MAPPING, adapter, options=SyncOptions(realm=realm, today=DAYS[1]))
        created = set(accounts(adapter, realm))
    assert result.exit_code == ExitCode.ROWS_REJECTED
    assert {rejection.employee_id: rejection.reasons for rejection in result.plan.rejections} == {
        "BC0002": (f"email 'sim**********************cn' is also on line {line['BC0003']}",),  # masked
        "BC0003": (f"email 'sim**********************cn' is also on line {line['BC0002']}",)}
    assert created == set(DAY1_USERNAMES) - {"BC0002", "BC0003", "BC0014"}


def test_names_keycloak_would_refuse_are_written_so_that_leavers_lose_access(keycloak, tmp_path):
    """HR writes foreign and Hong Kong staff as 冯桂芳（Fiona）, which normalising turns into ASCII brackets.
    Keycloak's user profile refuses those in a name on every update (a bulk create lets them in): the account
    could never be disabled. So the sync writes them back in full width — and an account another tool made with
    ASCII brackets is still disabled when its person is gone."""
    adapter = KeycloakServer(keycloak)
    name = {"姓名": "冯桂芳（Fiona）"}
    leaving = {**name, "在职状态": "离职", "离职日期": "2025-03-07"}
    other_tool = {"username": "dongli.dora", "enabled": True, "firstName": "丽(Dora)", "lastName": "董",
                  "attributes": {"employee_id": ["BC0299"], "company_code": ["BC-MFG"]}}
    with spec_realm(adapter, "names") as realm:
        sync_hr(edited_export(tmp_path / "day1.csv", 1, {"BC0204": name}), SPEC, MAPPING, adapter,
                options=SyncOptions(realm=realm, today=DAYS[1]))
        joined = accounts(adapter, realm)["BC0204"]
        adapter.import_users(realm, [other_tool])
        result = sync_hr(edited_export(tmp_path / "day2.csv", 2, {"BC0204": leaving}), SPEC, MAPPING, adapter,
                         options=SyncOptions(realm=realm, today=DAYS[2]))
        after = accounts(adapter, realm)
    assert (joined.username, joined.last_name, joined.first_name) == ("fengguifangfiona", "冯", "桂芳（Fiona）")
    assert result.counts()["disable"] == 5  # day 2's three leavers, 冯桂芳, and the other tool's account
    assert not after["BC0204"].enabled and not after["BC0299"].enabled
    assert after["BC0299"].first_name == "丽（Dora）"


# --- inputs before Keycloak ---------------------------------------------------------------------------------


def _broken_inputs(folder):
    """(what is broken, export, spec, mapping, other arguments, the message): each input broken in turn."""
    mapping = folder / "template.yaml"
    mapping.write_text(MAPPING.read_text(encoding="utf-8") + "policy: {username: {strategy: template, "
                       "template: '{name}'}}\n", encoding="utf-8")
    spec = folder / "spec"
    shutil.copytree(SPEC, spec)
    (spec / "group.yaml").write_text("group: {code: BC, name: 北辰集团, realm: beichen\n", encoding="utf-8")
    header, records = read_records(export(1))
    truncated = write_csv(folder / "no-phone.csv", [h for h in header if h != "手机"],
                          [{k: v for k, v in r.items() if k != "手机"} for r in records])
    return [
        ("mapping", export(1), SPEC, mapping, {}, "template.yaml:8: policy: username: template: 'name' is not a field"),
        ("spec", export(1), spec, MAPPING, {}, "group.yaml:"),
        ("export", truncated, SPEC, MAPPING, {}, "no-phone.csv:1: column '手机' not found"),
        ("report", export(1), SPEC, MAPPING, {"report": folder / "nowhere" / "r.jsonl"}, "the folder"),
        ("realm", export(1), SPEC, MAPPING, {"realm": "Bei Chen"}, "--realm 'Bei Chen': "),
    ]


def test_every_input_is_checked_before_keycloak_is_contacted(tmp_path):
    """A nightly run with a broken mapping, spec, export, report path or realm name says so, even when Keycloak
    is down: ``connect`` is called only once all of them are read and checked."""
    calls = []

    def unreachable():
        calls.append("connect")
        raise AssertionError("connected before the inputs were checked")

    for broken, path, spec, mapping, options, message in _broken_inputs(tmp_path):
        for dry_run in (True, False):
            with pytest.raises(GroupidError) as caught:
                sync_hr(path, spec, mapping, connect=unreachable,
                        options=SyncOptions(dry_run=dry_run, today=DAYS[1], **options))
            assert message in str(caught.value), (broken, str(caught.value))
    assert calls == []


def test_connect_is_called_once_the_inputs_are_good():
    adapter = MemoryRealms()
    calls = []

    def connect():
        calls.append("connect")
        return adapter

    inputs = read_sync_inputs(export(1), SPEC, MAPPING)
    assert (len(inputs.rows), inputs.group.code, inputs.mapping.key) == (39, "BC", "employee_id")
    with spec_realm(adapter, "connect") as realm:
        result = sync_hr(export(1), SPEC, MAPPING, connect=connect,
                         options=SyncOptions(realm=realm, dry_run=True, today=DAYS[1]))
    assert calls == ["connect"] and result.counts()["create"] == 34
    with pytest.raises(TypeError):
        sync_hr(export(1), SPEC, MAPPING, adapter, connect=connect)
