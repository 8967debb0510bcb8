"""The choices of the mapping's ``policy:`` section, and the accounts a sync must leave alone, report or take
over: hand-made accounts, an account disabled by hand, two accounts claiming one employee ID, refused writes,
managers that do not resolve. Each test plays a day or two into a realm of its own."""

from __future__ import annotations

import json
from datetime import date

import pytest

from groupid.errors import ApplyFailed, ExitCode, KeycloakError
from groupid.hr_sync import sync_hr
from groupid.realms import IMPORT_CHUNK
from groupid.realms.memory import MemoryRealms
from groupid.sync import SyncOptions, SyncResult
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
    spec_realm,
)
from tests.test_sync import nonzero


class Sandbox:
    """A realm with the spec applied, for one test: sync into it, read its accounts, write exports."""

    def __init__(self, adapter, realm: str, folder):
        self.adapter, self.realm, self.folder = adapter, realm, folder

    def sync(self, path, today: int | date, policy: str | None = None, **options) -> SyncResult:
        """Sync ``path`` as on ``today`` (a day of the story, or a date) under ``policy`` (YAML flow style)."""
        mapping = mapping_with(self.folder / "mapping.yaml", policy=policy) if policy else MAPPING
        day = today if isinstance(today, date) else DAYS[today]
        return sync_hr(path, SPEC, mapping, self.adapter, options=SyncOptions(realm=self.realm, today=day, **options))

    def accounts(self):
        return accounts(self.adapter, self.realm)

    def report(self, name: str = "report.jsonl") -> list[dict]:
        return [json.loads(line) for line in (self.folder / name).read_text(encoding="utf-8").splitlines()]

    def create_by_hand(self, **user) -> str:
        """Create a user the way an admin does in the console."""
        return self.adapter.create_user(self.realm, {"enabled": True, **user})


@pytest.fixture(params=ADAPTERS)
def sandbox(request, tmp_path):
    adapter = new_adapter(request)
    with spec_realm(adapter, "policy") as realm:
        yield Sandbox(adapter, realm, tmp_path)


# --- what a sync leaves alone, and what it reports ----------------------------------------------------------


def test_accounts_without_an_employee_id_are_never_touched(sandbox):
    """An IT admin's own account took the username "zhangwei" first; the two 张伟 of HR number around it."""
    user_id = sandbox.create_by_hand(username="zhangwei", firstName="伟", lastName="张",
                                     email="it.zhangwei@beichen.example.cn")
    before = sandbox.accounts()["@zhangwei"]
    result = sandbox.sync(export(1), 1)
    assert result.plan.managed == 0 and result.counts()["create"] == 34
    after = sandbox.accounts()
    assert after["@zhangwei"] == before and before.id == user_id
    assert (after["BC0008"].username, after["BC0107"].username) == ("zhangwei2", "zhangwei3")
    assert sandbox.sync(export(2), 2).counts()["disable"] == 3  # absent: leaver concerns managed accounts only
    assert sandbox.accounts()["@zhangwei"] == before


def test_an_email_another_account_has_rejects_the_row_and_the_rest_goes_on(sandbox):
    """Keycloak keeps emails unique: a joiner whose email a hand-made account has is rejected up front (a bulk
    create would otherwise fail with it), named in the report, and everyone else is created (exit 4)."""
    shared = sandbox.create_by_hand(username="hr-mailbox", email="zhawenbo@beichen.example.cn")
    result = sandbox.sync(export(1), 1, report=sandbox.folder / "report.jsonl")
    assert result.exit_code == ExitCode.ROWS_REJECTED
    assert nonzero(result.counts()) == {"create": 33, "rejected": 1, "waiting": 2}
    (rejected,) = [line for line in sandbox.report() if line["action"] == "reject"]
    assert rejected["employee_id"] == "BC0005"
    assert rejected["reasons"] == ["email 'zha**********************cn' belongs to account hr-mailbox"]  # masked
    assert "BC0005" not in sandbox.accounts() and len(sandbox.accounts()) == 34  # 33 and the mailbox

    representation = sandbox.adapter.read_user(sandbox.realm, shared)
    sandbox.adapter.update_user(sandbox.realm, shared, {**representation, "email": "hr@beichen.example.cn"})
    again = sandbox.sync(export(1), 1)
    # his two reports get their manager_id once he has an account (a rejected manager resolves to no one)
    assert nonzero(again.counts()) == {"create": 1, "update": 2, "unchanged": 31, "waiting": 2}
    assert sandbox.accounts()["BC0005"].username == "zhawenbo"


def test_a_write_keycloak_refuses_fails_that_person_only(tmp_path):
    """A write refused at apply time (an account made between plan and apply, say): that person fails, the
    rest is applied, the run exits 1 and is not recorded as successful, so the next run's guards compare with
    the last good one."""
    class Refusing(MemoryRealms):
        """Refuses to import the one account named ``zhawenbo``, as Keycloak refuses a clash."""

        def import_users(self, realm, users, chunk_size=IMPORT_CHUNK):
            refused = [user for user in users if user["username"] == "zhawenbo"]
            answer = super().import_users(realm, [user for user in users if user not in refused], chunk_size)
            return {**answer, **{user["username"]: None for user in refused}}

    adapter = Refusing()
    with spec_realm(adapter, "refused") as realm:
        box = Sandbox(adapter, realm, tmp_path)
        with pytest.raises(ApplyFailed) as failure:
            box.sync(export(1), 1, report=tmp_path / "report.jsonl")
        assert failure.value.exit_code == ExitCode.ERROR
        assert nonzero(failure.value.result.counts()) == {"create": 33, "failed": 1, "waiting": 2}
        (failed,) = [line for line in box.report() if line["status"] == "failed"]
        assert (failed["employee_id"], failed["action"]) == ("BC0005", "create") and "already in use" in failed["error"]
        assert "BC0005" not in box.accounts()
        assert "groupid.sync.hr.rows" not in adapter.read_realm_attributes(realm)


def test_an_account_made_by_hand_is_adopted_once_it_carries_the_employee_id(sandbox):
    """Before groupid, IT made 查文博's account by hand. The sync will not guess that it is his (his row is
    rejected: the email is taken); once an admin writes his employee ID on it, the sync takes it over as it is."""
    user_id = sandbox.create_by_hand(username="wenbo.zha", firstName="文博", lastName="查",
                                     email="zhawenbo@beichen.example.cn")
    assert [rejection.employee_id for rejection in sandbox.sync(export(1), 1).plan.rejections] == ["BC0005"]
    representation = sandbox.adapter.read_user(sandbox.realm, user_id)
    attributes = {**representation.get("attributes", {}), "employee_id": ["BC0005"]}
    sandbox.adapter.update_user(sandbox.realm, user_id, {**representation, "attributes": attributes})
    result = sandbox.sync(export(1), 1)
    # and the two who report to him get their manager now that he has an account
    assert [change.employee_id for change in result.plan.changes] == ["BC0005", "BC0006", "BC0010"]
    adopted = sandbox.accounts()["BC0005"]
    assert (adopted.id, adopted.username, adopted.enabled, adopted.groups) == (user_id, "wenbo.zha", True, {"BC-HR"})
    assert (adopted.attribute("title"), adopted.attribute("company_code")) == ("人力资源总监", "BC")


def test_a_changed_title_and_a_membership_removed_by_hand_are_one_update(sandbox):
    sandbox.sync(export(1), 1)
    account = sandbox.accounts()["BC0007"]  # 盖玉兰, 审计经理 of 总裁办
    group_id = next(group.id for group in sandbox.adapter.read(sandbox.realm).groups
                    if group.attribute("groupid.code") == "BC-HQ")
    sandbox.adapter.remove_member(sandbox.realm, group_id, account.id)
    promoted = edited_export(sandbox.folder / "promoted.csv", 1, {"BC0007": {"职位": "审计总监"}})
    result = sandbox.sync(promoted, 1, report=sandbox.folder / "report.jsonl")
    after = sandbox.accounts()["BC0007"]
    assert (after.attribute("title"), after.groups) == ("审计总监", {"BC-HQ"})
    assert [line["action"] for line in sandbox.report() if line["employee_id"] == "BC0007"] == ["update"]
    assert nonzero(result.counts()) == {"update": 1, "unchanged": 33, "waiting": 2}


class RefusingUpdates(Recorder):
    """The adapter, but refusing to update one user, as Keycloak refuses an update it finds invalid."""

    def __init__(self, adapter, user_id: str):
        super().__init__(adapter)
        self.refused = user_id

    def update_user(self, realm: str, user_id: str, representation: dict) -> None:
        if user_id == self.refused:
            raise KeycloakError(f"refused to update user {user_id} (as the test wants)")
        self.adapter.update_user(realm, user_id, representation)


def test_a_leaver_whose_disable_is_refused_still_loses_sessions_and_groups(sandbox):
    """Each step takes some access away, so when the disable fails the sign-out and the memberships still go."""
    sandbox.sync(export(1), 1)
    leaver = sandbox.accounts()["BC0011"]
    refusing = RefusingUpdates(sandbox.adapter, leaver.id)
    with pytest.raises(ApplyFailed) as failure:
        sync_hr(export(2), SPEC, MAPPING, refusing, options=SyncOptions(realm=sandbox.realm, today=DAYS[2]))
    assert failure.value.result.counts()["failed"] == 1 and failure.value.result.counts()["disable"] == 2
    assert ("logout_user", (sandbox.realm, leaver.id)) in refusing.calls
    after = sandbox.accounts()
    assert (after["BC0011"].enabled, after["BC0011"].groups) == (True, frozenset())  # only the disable failed
    assert not after["BC0012"].enabled and not after["BC0205"].enabled


def test_an_account_disabled_by_hand_stays_disabled_and_is_noted(sandbox):
    sandbox.sync(export(1), 1)
    account = sandbox.accounts()["BC0007"]
    representation = sandbox.adapter.read_user(sandbox.realm, account.id)
    sandbox.adapter.update_user(sandbox.realm, account.id, {**representation, "enabled": False})
    result = sandbox.sync(export(1), 1, report=sandbox.folder / "report.jsonl")
    assert result.writes == 0 and not sandbox.accounts()["BC0007"].enabled
    notes = [line for line in sandbox.report() if line["action"] == "notice"]
    assert [(note["employee_id"], note["message"]) for note in notes] == [
        ("BC0007", "account geyulan was disabled outside groupid; left disabled")]


def test_two_accounts_with_one_employee_id_reject_the_row_and_stay_as_they_are(sandbox):
    sandbox.sync(export(1), 1)
    sandbox.create_by_hand(username="simajing.old", attributes={"employee_id": ["BC0002"], "title": ["秘书"]})
    before = {user.username: user for user in sandbox.adapter.read_users(sandbox.realm)}
    result = sandbox.sync(export(2), 2)
    assert result.exit_code == ExitCode.ROWS_REJECTED
    (rejection,) = result.plan.rejections
    assert rejection.employee_id == "BC0002"
    realm = sandbox.realm
    assert rejection.reasons == (f"accounts simajing, simajing.old in realm {realm} all carry employee ID BC0002",)
    after = {user.username: user for user in sandbox.adapter.read_users(realm)}
    assert {name: after[name] for name in ("simajing", "simajing.old")} == {
        name: before[name] for name in ("simajing", "simajing.old")}


def test_managers_resolve_in_a_second_pass_and_problems_are_noted(sandbox):
    changes = {"BC0002": {"直属上级工号": "BC9999"}, "BC0006": {"直属上级工号": "BC0006"},
               "BC0003": {"直属上级工号": "BC0004"},  # BC0004 reports to BC0003: a cycle
               "BC0101": {"直属上级工号": "BC0201"}}  # a manager further down the file
    path = edited_export(sandbox.folder / "managers.csv", 1, changes)
    result = sandbox.sync(path, 1, report=sandbox.folder / "report.jsonl")
    assert result.exit_code == ExitCode.OK  # notes are not rejections
    notes = {line["employee_id"]: line["message"] for line in sandbox.report() if line["action"] == "notice"}
    assert notes == {"BC0002": "manager BC9999 is not in the export or in Keycloak",
                     "BC0006": "is recorded as their own manager",
                     "BC0003": "reporting cycle: BC0003 → BC0004 → BC0003",
                     "BC0004": "reporting cycle: BC0003 → BC0004 → BC0003"}
    after = sandbox.accounts()
    managers = {key: after[key].attribute("manager_id") for key in ("BC0002", "BC0006", "BC0101", "BC0105")}
    assert managers == {"BC0002": None, "BC0006": None, "BC0101": "BC0201", "BC0105": "BC0103"}


def test_attributes_follow_the_export_and_others_are_kept(sandbox):
    """A blank cell removes the attribute; an attribute an admin added (the realm lets unmanaged attributes in)
    survives the sync's update of the account."""
    sandbox.sync(export(1), 1)
    profile = sandbox.adapter.read_user_profile(sandbox.realm)
    sandbox.adapter.set_user_profile(sandbox.realm, {**profile, "unmanagedAttributePolicy": "ENABLED"})
    user_id = sandbox.accounts()["BC0103"].id
    representation = sandbox.adapter.read_user(sandbox.realm, user_id)
    attributes = {**representation["attributes"], "wecom_id": ["piao.chenghao"]}
    sandbox.adapter.update_user(sandbox.realm, user_id, {**representation, "attributes": attributes})
    sandbox.sync(edited_export(sandbox.folder / "day2.csv", 2, {"BC0103": {"手机": ""}}), 2)
    after = sandbox.accounts()["BC0103"]
    assert (after.attribute("title"), after.attribute("phone"), after.attribute("wecom_id")) == (
        "平台研发经理", None, "piao.chenghao")


# --- the policy knobs ---------------------------------------------------------------------------------------


def test_future_joiners_created_disabled_are_enabled_on_their_start_date(sandbox):
    policy = "{future_joiners: disabled}"
    assert nonzero(sandbox.sync(export(1), 1, policy).counts()) == {"create": 36}
    early = sandbox.accounts()
    for account, group in ((early["BC0113"], "BC-TECH-QA"), (early["BC0114"], "BC-TECH-OPS")):
        assert (account.enabled, account.attribute("disabled_on"), account.groups) == (False, "2025-03-03", {group})
    sandbox.sync(export(2), 2, policy)
    started, waiting = sandbox.accounts()["BC0113"], sandbox.accounts()["BC0114"]
    assert (started.id, started.enabled, started.attribute("disabled_on")) == (early["BC0113"].id, True, None)
    assert (waiting.enabled, waiting.attribute("disabled_on")) == (False, "2025-03-03")


def test_leavers_keep_memberships_and_are_deleted_after_the_grace_period(sandbox):
    policy = "{leavers: {memberships: keep, delete_after_days: 7}}"
    sandbox.sync(export(0), 0, policy)
    sandbox.sync(export(1), 1, policy)
    leaver = sandbox.accounts()["BC0014"]  # 罗佳, disabled on 2025-03-03
    assert (leaver.enabled, leaver.groups, leaver.attribute("disabled_on")) == (False, {"BC-HR"}, "2025-03-03")
    assert "delete" not in sandbox.sync(export(1), date(2025, 3, 9), policy).counts()
    assert "BC0014" in sandbox.accounts()
    result = sandbox.sync(export(1), date(2025, 3, 10), policy)
    assert nonzero(result.counts())["delete"] == 1 and "BC0014" not in sandbox.accounts()
    assert leaver.id not in {user.id for user in sandbox.adapter.read_users(sandbox.realm)}


@pytest.mark.parametrize("out_of_scope", ["ignore", "leaver"])
def test_someone_who_leaves_the_scope(sandbox, out_of_scope):
    """蒋雨萱 had an account as a regular employee; today's export lists her as an intern, out of scope."""
    sandbox.sync(edited_export(sandbox.folder / "regular.csv", 1, {"BC0013": {"员工类型": "正式"}}), 1)
    was = sandbox.accounts()["BC0013"]
    sandbox.sync(export(1), 1, f"{{out_of_scope: {out_of_scope}}}")
    now = sandbox.accounts()["BC0013"]
    if out_of_scope == "ignore":
        assert now == was and now.enabled and now.groups == {"BC-HR"}
    else:
        assert (now.id, now.enabled, now.groups) == (was.id, False, frozenset())


@pytest.fixture(scope="module", params=ADAPTERS)
def blank(request, tmp_path_factory):
    """A realm without people, shared by tests that only plan (dry runs write nothing)."""
    adapter = new_adapter(request)
    with spec_realm(adapter, "plans") as realm:
        yield Sandbox(adapter, realm, tmp_path_factory.mktemp("plans"))


@pytest.mark.parametrize(
    ("username", "expected"),
    [
        ("{strategy: employee_id}", {"BC0001": "bc0001", "BC0106": "bc0106"}),
        ("{strategy: email}", {"BC0106": "maimaiti.aili", "BC0102": "lina", "BC0111": "zhaomin"}),  # no email
        ('{strategy: template, template: "{family_pinyin}.{given_initials}"}',
         {"BC0001": "ouyang.zh", "BC0201": "yuchi.wx", "BC0004": "shan.lj", "BC0008": "zhang.w", "BC0107": "zhang.w2"}),
    ],
)
def test_username_strategies(blank, username, expected):
    planned = blank.sync(export(1), 1, f"{{username: {username}}}", dry_run=True)
    usernames = {change.employee_id: change.create["username"] for change in planned.plan.changes}
    assert {key: usernames[key] for key in expected} == expected
    assert blank.accounts() == {}
