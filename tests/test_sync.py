"""One group's people, synced a week at a time into one realm, and checked person by person in the realm.

Day 0 the realm's first sync creates one account (罗佳); day 1 loads the whole roster (罗佳 has left by then);
day 2 brings joiners, a mover, a cross-company transfer, leavers of every kind, a rehire and a name change; the
same export again changes nothing; a truncated day-3 export is stopped by the guards unless forced.

Every test runs against the in-memory realm and against the real Keycloak. What only Keycloak can show —
effective roles, sessions — is checked there.
"""

from __future__ import annotations

import gc
import json
from collections import Counter

import pytest

from groupid.errors import ExitCode, GroupidError, SafetyGuardRefused
from groupid.hr_sync import sync_hr
from groupid.realms import MemoryRealms
from groupid.sync import SyncOptions, SyncResult
from tests.hr_people import (
    ADAPTERS,
    DAYS,
    MAPPING,
    NATIONAL_ID,
    SPEC,
    Recorder,
    accounts,
    effective_roles,
    export,
    keycloak_admin,
    mapping_with,
    new_adapter,
    read_records,
    search_values,
    sign_in,
    spec_realm,
    write_csv,
    write_requests,
)

TECH, MFG = "/北辰集团有限公司/北辰科技有限公司", "/北辰集团有限公司/北辰制造有限公司"

DAY1_USERNAMES = {
    "BC0001": "ouyangzhenhua", "BC0002": "simajing", "BC0003": "zengxiaowen", "BC0004": "shanlijuan",
    "BC0005": "zhawenbo", "BC0006": "xiesiyuan", "BC0007": "geyulan", "BC0008": "zhangwei", "BC0009": "qiuhaifeng",
    "BC0010": "zhaijianguo", "BC0011": "wuhao", "BC0012": "songjiayi", "BC0014": "luojia",
    "BC0101": "moqichenyang", "BC0102": "lina", "BC0103": "piaochenghao", "BC0104": "oujiaxin",
    "BC0105": "qinzhiqiang", "BC0106": "maimaitiaili", "BC0107": "zhangwei2", "BC0108": "chenjing",
    "BC0109": "liuyang", "BC0110": "huanglei", "BC0111": "zhaomin", "BC0115": "shanxiongxin",
    "BC0201": "yuchiwenxuan", "BC0202": "handesheng", "BC0203": "tangxiaolong", "BC0204": "fengguifang",
    "BC0205": "yuhaiyang", "BC0206": "dongli", "BC0207": "xiaoran", "BC0208": "caoxue",
    "BC0209": "shangguanwanqing", "BC0210": "zhugemingyuan",
}
"""Every account after day 1. The surname readings (单 shan, 曾 zeng, 解 xie, 仇 qiu, 区 ou, 查 zha, 盖 ge,
朴 piao, 覃 qin, 翟 zhai) and compound surnames (欧阳, 司马, 尉迟, 万俟, 上官, 诸葛) are the point; the two 张伟
are numbered by employee ID (BC0008 < BC0107) although BC0107 comes first in the file."""

SIGNED_IN = ("BC0011", "BC0012", "BC0002")
"""Signed in before day 2: a leaver by status, one by end date, and someone who stays. (A password grant needs
an email: Keycloak's user profile requires one, and refuses to sign in an account without it.)"""


class Story:
    """One realm's timeline: each day's export synced once, in order, by whichever test first needs it."""

    def __init__(self, adapter, realm: str, reports):
        self.adapter, self.recorder = adapter, Recorder(adapter)
        self.realm, self.reports = realm, reports
        self.admin = keycloak_admin(adapter, realm)
        self.results: dict[int, SyncResult] = {}
        self.writes: dict[int, list] = {}  #: the people writes each day's run sent through the adapter
        self.after: dict[int, dict] = {}  #: the accounts after each day
        self.roles: dict[int, dict[str, set[str]]] = {}  #: Keycloak's effective roles of each account
        self.sessions: dict[str, int] = {}  #: sessions of SIGNED_IN before day 2

    def sync(self, path, day: int, mapping=MAPPING, **options) -> SyncResult:
        """Sync ``path`` as on ``day``, through the recording adapter."""
        return sync_hr(path, SPEC, mapping, self.recorder,
                       options=SyncOptions(realm=self.realm, today=DAYS[day], **options))

    def day(self, number: int) -> SyncResult:
        """The result of day ``number``'s sync, running it (and the days before it) when not run yet."""
        for day in range(number + 1):
            if day in self.results:
                continue
            if day == 2 and self.admin:
                for employee_id in SIGNED_IN:
                    account = self.after[1][employee_id]
                    sign_in(self.admin, self.realm, account.id, account.username)
                    self.sessions[employee_id] = len(self.admin.get_sessions(account.id))
            self.recorder.calls.clear()
            self.results[day] = self.sync(export(day), day, report=self.reports / f"day{day}.jsonl")
            self.writes[day] = self.recorder.people_writes()
            self.after[day] = accounts(self.adapter, self.realm)
            if self.admin:
                self.roles[day] = {key: effective_roles(self.admin, account.id)
                                   for key, account in self.after[day].items()}
        return self.results[number]


@pytest.fixture(scope="module", params=ADAPTERS)
def story(request, tmp_path_factory):
    adapter = new_adapter(request)
    with spec_realm(adapter, "sync") as realm:
        yield Story(adapter, realm, tmp_path_factory.mktemp("reports"))


def nonzero(counts: Counter) -> dict[str, int]:
    return {key: value for key, value in counts.items() if value}


# --- day 1: the full load -----------------------------------------------------------------------------------


def test_day1_creates_an_account_for_every_active_person(story):
    result = story.day(1)
    assert nonzero(result.counts()) == {"create": 34, "disable": 1, "waiting": 2}
    assert {company: nonzero(counts) for company, counts in result.by_company().items()} == {
        "BC": {"create": 12, "disable": 1}, "BC-MFG": {"create": 10}, "BC-TECH": {"create": 12, "waiting": 2}}
    assert (result.plan.rows, result.plan.out_of_scope, result.exit_code) == (39, 2, ExitCode.OK)
    after = story.after[1]
    # interns (BC0013, BC0112) are out of scope; BC0113 and BC0114 start after day 1
    assert {key: account.username for key, account in after.items()} == DAY1_USERNAMES
    assert all(account.enabled for key, account in after.items() if key != "BC0014")
    # the engine's count is what went through the adapter (a bulk create counts the requests it takes,
    # as test_people_adapter checks the Keycloak adapter sends)
    assert write_requests(story.writes[1]) == result.writes


def test_day1_names_attributes_and_memberships(story):
    story.day(1)
    after = story.after[1]
    names = {key: (after[key].last_name, after[key].first_name) for key in ("BC0201", "BC0101", "BC0106", "BC0209")}
    assert names == {"BC0201": ("尉迟", "文轩"), "BC0101": ("万俟", "晨阳"), "BC0106": ("艾力", "买买提"),
                     "BC0209": ("上官", "婉清")}
    names = {row["工号"]: row["姓名"] for row in read_records(export(1))[1]}
    plain = [key for key in after if "·" not in names[key]]
    assert all(after[key].last_name + after[key].first_name == names[key] for key in plain)

    accountant = after["BC0004"]  # 单丽娟, her phone typed in full-width digits
    assert accountant.attributes == {
        "employee_id": ["BC0004"], "company_code": ["BC"], "department_code": ["BC-FIN"], "title": ["会计"],
        "manager_id": ["BC0003"], "phone": ["+8613812345682"], "employment_type": ["正式"],
        "employment_status": ["active"], "start_date": ["2019-07-15"]}
    assert accountant.email == "shanlijuan@beichen.example.cn" and accountant.groups == {"BC-FIN"}
    assert after["BC0002"].attribute("phone") == "+8613812345679"  # +86 138 1234 5679
    assert after["BC0005"].attribute("phone") == "+8613900210033"  # 0086-…
    assert after["BC0009"].attribute("start_date") == "2023-03-15"  # the Excel serial number 45000
    assert after["BC0103"].attribute("start_date") == "2016-10-10"  # 2016年10月10日
    assert after["BC0102"].email == "lina@tech.beichen.example.cn"  # lower-cased
    assert after["BC0111"].email is None and after["BC0111"].attribute("employment_type") == "外包"

    departments = {row["工号"]: row["部门编码"] or row["公司编码"] for row in read_records(export(1))[1]}
    assert {key: set(account.groups) for key, account in after.items() if account.enabled} == {
        key: {departments[key]} for key, account in after.items() if account.enabled}
    assert after["BC0101"].groups == {"BC-TECH"} and after["BC0101"].attribute("department_code") is None


def test_day1_default_and_department_roles(story):
    story.day(1)
    if not story.admin:
        pytest.skip("effective roles are Keycloak's to compute")
    roles = story.roles[1]
    assert all("employee" in roles[key] for key, account in story.after[1].items() if account.enabled)
    assert {key for key in roles if "hr-admin" in roles[key]} == {"BC0005", "BC0006", "BC0010"}
    assert {key for key in roles if "finance-staff" in roles[key]} == {"BC0003", "BC0004", "BC0011"}


def test_day1_a_leaver_since_day_0_is_disabled_and_kept(story):
    story.day(1)
    was, now = story.after[0]["BC0014"], story.after[1]["BC0014"]
    assert was.enabled and was.groups == {"BC-HR"}
    assert (now.id, now.username, now.enabled, now.groups) == (was.id, "luojia", False, frozenset())
    assert (now.attribute("disabled_on"), now.attribute("employment_status"), now.attribute("end_date")) == (
        "2025-03-03", "terminated", "2025-02-28")
    assert ("logout_user", (story.realm, now.id)) in story.writes[1]


# --- day 2: joiners, movers, leavers ------------------------------------------------------------------------


def test_day2_counts_by_company(story):
    result = story.day(2)
    assert {company: nonzero(counts) for company, counts in result.by_company().items()} == {
        "BC": {"create": 1, "move": 1, "disable": 2, "enable": 1, "unchanged": 9},
        "BC-MFG": {"create": 1, "move": 1, "disable": 1, "unchanged": 9},
        "BC-TECH": {"create": 2, "update": 2, "unchanged": 9, "waiting": 1},
    }
    assert result.exit_code == ExitCode.OK and write_requests(story.writes[2]) == result.writes


def test_day2_joiners(story):
    story.day(2)
    before, after = story.after[1], story.after[2]
    assert sorted(set(after) - set(before)) == ["BC0016", "BC0113", "BC0116", "BC0211"]
    # a third 张伟 joins with an employee ID between the other two: theirs stay, the newcomer gets the next
    assert [after[key].username for key in ("BC0008", "BC0016", "BC0107")] == ["zhangwei", "zhangwei3", "zhangwei2"]
    assert [after[key].id for key in ("BC0008", "BC0107")] == [before[key].id for key in ("BC0008", "BC0107")]
    arrived = after["BC0113"]  # 待入职 with a start date of day 2: created on that day, enabled
    assert (arrived.username, arrived.enabled, arrived.groups) == ("zhengyutong", True, {"BC-TECH-QA"})
    assert arrived.attribute("start_date") == "2025-03-10"
    assert "BC0114" not in after  # starts in April


def test_day2_movers_keep_their_accounts(story):
    story.day(2)
    before, after = story.after[1], story.after[2]
    mover, transfer = after["BC0010"], after["BC0109"]
    assert (mover.id, mover.username, mover.groups) == (before["BC0010"].id, "zhaijianguo", {"BC-FIN"})
    assert (mover.attribute("department_code"), mover.attribute("title"), mover.attribute("manager_id")) == (
        "BC-FIN", "财务专员", "BC0003")
    assert (transfer.id, transfer.username, transfer.groups) == (before["BC0109"].id, "liuyang", {"BC-MFG-QC"})
    assert (transfer.attribute("company_code"), transfer.email) == ("BC-MFG", "liuyang@mfg.beichen.example.cn")
    assert after["BC0103"].attribute("title") == "平台研发经理" and after["BC0103"].groups == {"BC-TECH-RD"}
    if story.admin:  # the department roles follow the move
        assert {"finance-staff", "employee"} <= story.roles[2]["BC0010"] and "hr-admin" not in story.roles[2]["BC0010"]


@pytest.mark.parametrize(("employee_id", "why"), [("BC0011", "离职"), ("BC0012", "end date"), ("BC0205", "absent")])
def test_day2_leavers_are_disabled_signed_out_and_kept(story, employee_id, why):
    story.day(2)
    was, now = story.after[1][employee_id], story.after[2][employee_id]
    assert was.enabled and was.groups
    assert (now.id, now.username, now.enabled, now.groups) == (was.id, was.username, False, frozenset())
    assert now.attribute("disabled_on") == "2025-03-10"
    assert ("logout_user", (story.realm, now.id)) in story.writes[2]
    if story.admin and employee_id in SIGNED_IN:
        assert story.sessions[employee_id] == 1
        assert story.admin.get_sessions(now.id) == []


def test_day2_leaver_fields_follow_the_export(story):
    story.day(2)
    after = story.after[2]
    assert (after["BC0011"].attribute("employment_status"), after["BC0011"].attribute("end_date")) == (
        "terminated", "2025-03-07")
    assert (after["BC0012"].attribute("employment_status"), after["BC0012"].attribute("end_date")) == (
        "active", "2025-03-07")
    if story.admin:  # a colleague who stays keeps their session: the sign-outs are the leavers' alone
        assert len(story.admin.get_sessions(after["BC0002"].id)) == story.sessions["BC0002"] == 1


def test_day2_rehire_and_name_change(story):
    story.day(2)
    first, after = story.after[0]["BC0014"], story.after[2]
    rehired = after["BC0014"]
    assert (rehired.id, rehired.username, rehired.enabled, rehired.groups) == (first.id, "luojia", True, {"BC-HR"})
    assert rehired.attribute("disabled_on") is None and rehired.attribute("end_date") is None
    assert (rehired.attribute("employment_status"), rehired.attribute("start_date")) == ("active", "2025-03-10")
    renamed = after["BC0108"]
    assert (renamed.id, renamed.username) == (story.after[1]["BC0108"].id, "chenjing")
    assert (renamed.last_name, renamed.first_name) == ("陈", "静怡")


def test_day2_report_has_a_line_per_person_and_action(story):
    story.day(2)
    text = (story.reports / "day2.jsonl").read_text(encoding="utf-8")
    lines = [json.loads(line) for line in text.splitlines()]
    assert sorted((line["employee_id"], line["action"]) for line in lines) == [
        ("BC0010", "move"), ("BC0011", "disable"), ("BC0012", "disable"), ("BC0014", "enable"),
        ("BC0016", "create"), ("BC0103", "update"), ("BC0108", "update"), ("BC0109", "move"),
        ("BC0113", "create"), ("BC0116", "create"), ("BC0205", "disable"), ("BC0211", "create")]
    assert {line["status"] for line in lines} == {"done"}
    transfer = next(line for line in lines if line["employee_id"] == "BC0109")
    assert (transfer["company"], transfer["username"]) == ("BC-MFG", "liuyang")
    assert transfer["groups_removed"] == [f"{TECH}/研发中心"] and transfer["groups_added"] == [f"{MFG}/质量部"]
    assert transfer["changes"]["company_code"] == ["BC-TECH", "BC-MFG"]
    assert transfer["changes"]["email"] == "changed"  # personal values stay out of the report
    assert "liuyang@" not in text and "+86" not in text


def test_national_id_reaches_neither_keycloak_nor_the_report(story):
    story.day(2)
    header, rows = read_records(export(2))
    assert NATIONAL_ID in header
    national_ids = [row[NATIONAL_ID] for row in rows]
    assert search_values(story.adapter, story.realm, [NATIONAL_ID, *national_ids]) == []
    for day in (1, 2):
        report = (story.reports / f"day{day}.jsonl").read_text(encoding="utf-8")
        assert NATIONAL_ID not in report and not any(value in report for value in national_ids)


# --- the same export again, then a truncated one ------------------------------------------------------------


def test_rerun_of_the_same_export_writes_nothing(story):
    story.day(2)
    story.recorder.calls.clear()
    again = story.sync(export(2), 2)
    assert again.writes == 0 and story.recorder.people_writes() == []
    assert nonzero(again.counts()) == {"unchanged": 39, "waiting": 1}  # leavers already disabled: unchanged
    assert accounts(story.adapter, story.realm) == story.after[2]


@pytest.fixture
def truncated(story, tmp_path):
    """Day 3's export, cut off after 30% of its rows, and the people it still holds."""
    story.day(2)
    header, rows = read_records(export(2))
    kept = rows[: len(rows) * 3 // 10]
    return write_csv(tmp_path / "day3.csv", header, kept), {row["工号"] for row in kept}


def refused(story, path, mapping=MAPPING) -> str:
    """Run ``path`` as day 3, expecting a guard to refuse it having written nothing; return the refusal."""
    story.recorder.calls.clear()
    with pytest.raises(SafetyGuardRefused) as refusal:
        story.sync(path, 3, mapping=mapping)
    assert story.recorder.people_writes() == []
    assert accounts(story.adapter, story.realm) == story.after[2]
    return str(refusal.value)


def test_truncated_export_is_refused_and_writes_nothing(story, truncated):
    message = refused(story, truncated[0])
    assert "the export has 12 rows, the last successful run had 41: it looks truncated" in message
    assert "nothing was written" in message


@pytest.mark.parametrize("policy", ["{absent: ignore}", "{guard: {min_row_share: 0}}"])
def test_each_guard_refuses_alone(story, truncated, tmp_path, policy):
    """With absentees ignored only the row guard can trip; with the row guard off, the leaver guard trips."""
    path, kept = truncated
    message = refused(story, path, mapping_with(tmp_path / "mapping.yaml", policy=policy))
    if "absent" in policy:
        assert "looks truncated" in message and "would disable" not in message
    else:
        enabled = sum(1 for account in story.after[2].values() if account.enabled)
        leaving = sum(1 for key, account in story.after[2].items() if account.enabled and key not in kept)
        assert leaving > 20
        # the share is of the enabled accounts: those already disabled cannot be lost again
        assert f"would disable or delete {leaving} of {enabled} enabled accounts, more than 20 and more than 5%" in message


def test_forced_truncated_export_goes_through(story, truncated):
    path, kept = truncated
    leaving = {key for key, account in story.after[2].items() if account.enabled and key not in kept}
    result = story.sync(path, 3, force=True)
    assert result.counts()["disable"] == len(leaving)
    after = accounts(story.adapter, story.realm)
    assert {key for key, account in after.items() if not account.enabled} == {
        key for key, account in story.after[2].items() if not account.enabled} | leaving
    assert all(after[key].enabled for key in kept if key in after and key in story.after[2]
               and story.after[2][key].enabled)


@pytest.mark.parametrize("enabled", [True, False])
def test_sync_leaves_the_cycle_collector_as_it_found_it(tmp_path, enabled):
    # the sync switches Python's cycle collector off while it builds the plan (it would otherwise take half
    # the planning time at 100,000 people); a caller's setting must come back, also when the run fails
    header, records = read_records(export(1))
    without_status = [{name: value for name, value in record.items() if name != "在职状态"} for record in records]
    broken = write_csv(tmp_path / "broken.csv", [name for name in header if name != "在职状态"], without_status)
    adapter = MemoryRealms()
    was = gc.isenabled()
    (gc.enable if enabled else gc.disable)()
    try:
        with spec_realm(adapter, "gc") as realm:
            result = sync_hr(export(1), SPEC, MAPPING, adapter, options=SyncOptions(realm=realm, today=DAYS[1]))
            assert gc.isenabled() is enabled
            with pytest.raises(GroupidError):
                sync_hr(broken, SPEC, MAPPING, adapter, options=SyncOptions(realm=realm, today=DAYS[1]))
            assert gc.isenabled() is enabled
    finally:
        (gc.enable if was else gc.disable)()
    assert result.counts()["create"] == 34
