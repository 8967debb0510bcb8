"""Two things a source may know beyond a person's fields, whatever the source: an anchor (the person's immutable
ID in it, as a directory entry's) and the realm roles it decides. Checked in the realm, in memory and in Keycloak.

An anchor finds the account again when the employee ID changed: one update of the same account, never a leaver
and a joiner. Managed roles are granted directly to whom a row grants them and taken from the other accounts the
source manages; roles it does not manage are never touched, and who holds a managed role is read once a run per
role, not per person.
"""

from __future__ import annotations

import json
from datetime import date

import pytest

from groupid.errors import ConfigurationError
from groupid.policy import SyncPolicy
from groupid.realms import KeycloakServer
from groupid.spec import load_spec
from groupid.sync import SyncOptions, sync_people
from tests.hr_people import ADAPTERS, SPEC, Recorder, accounts, new_adapter, spec_realm
from tests.people_source import read_list

DAY1, DAY2, DAY3 = date(2025, 3, 3), date(2025, 3, 10), date(2025, 3, 17)
MANAGED = ("finance-staff", "hr-admin")
"""Realm roles of the 北辰集团 spec the source decides in these tests; ``employee`` is left to others."""


def person(employee_id: str, name: str, department: str, **fields) -> dict:
    """One person of 北辰科技 (BC-TECH) as the list source holds them."""
    return {"employee_id": employee_id, "name": name, "company": "BC-TECH", "department": department,
            "start_date": date(2024, 1, 8), **fields}


@pytest.fixture(params=ADAPTERS)
def adapter(request):
    return new_adapter(request)


@pytest.fixture
def group():
    return load_spec(SPEC)


def direct_roles(adapter, realm: str, user_id: str) -> set[str]:
    """The realm roles granted to a user directly, the realm's default role left out."""
    return set(adapter.read_user_roles(realm, user_id)) - {f"default-roles-{realm}"}


# --- anchors ------------------------------------------------------------------------------------------------


def test_a_new_employee_id_with_the_same_anchor_is_one_update_of_the_same_account(adapter, group, tmp_path):
    day1 = read_list([person("T001", "张伟", "BC-TECH-RD", anchor="5f0c-01"),
                      person("T002", "李娜", "BC-TECH-RD", anchor="5f0c-02")])
    # the directory renamed 张伟's entry: a new employee ID and a new name, the same entry
    day2 = read_list([person("T101", "张维", "BC-TECH-RD", anchor="5f0c-01"),
                      person("T002", "李娜", "BC-TECH-RD", anchor="5f0c-02")])
    report = tmp_path / "report.jsonl"
    with spec_realm(adapter, "anchor") as realm:
        sync_people(day1, group, adapter, SyncOptions(realm=realm, today=DAY1))
        before = accounts(adapter, realm)
        second = sync_people(day2, group, adapter, SyncOptions(realm=realm, today=DAY2, report=report))
        after = accounts(adapter, realm)
        again = sync_people(day2, group, adapter, SyncOptions(realm=realm, today=DAY3))

    assert before["T001"].attribute("source_anchor") == "5f0c-01"
    assert {action: count for action, count in second.counts().items() if count} == {"update": 1, "unchanged": 1}
    assert set(after) == {"T101", "T002"}
    renamed = after["T101"]
    assert (renamed.id, renamed.username, renamed.enabled, renamed.groups) == (
        before["T001"].id, before["T001"].username, True, {"BC-TECH-RD"})
    assert (renamed.attribute("source_anchor"), renamed.last_name + renamed.first_name) == ("5f0c-01", "张维")
    lines = [json.loads(line) for line in report.read_text(encoding="utf-8").splitlines()]
    assert [(line["action"], line["employee_id"], line["changes"]["employee_id"]) for line in lines] == [
        ("update", "T101", ["T001", "T101"])]
    assert again.plan.changes == [] and again.counts()["unchanged"] == 2


def test_a_new_employee_id_and_a_new_department_move_the_same_account(adapter, group):
    day1 = read_list([person("T001", "张伟", "BC-TECH-RD", anchor="5f0c-01")])
    day2 = read_list([person("T101", "张伟", "BC-TECH-OPS", anchor="5f0c-01")])
    with spec_realm(adapter, "anchor-move") as realm:
        sync_people(day1, group, adapter, SyncOptions(realm=realm, today=DAY1))
        before = accounts(adapter, realm)
        second = sync_people(day2, group, adapter, SyncOptions(realm=realm, today=DAY2))
        after = accounts(adapter, realm)

    assert {action: count for action, count in second.counts().items() if count} == {"move": 1}
    assert second.plan.leavers == 0
    change = second.plan.changes[0]
    assert (change.employee_id, change.fields["employee_id"]) == ("T101", ("T001", "T101"))
    assert set(after) == {"T101"}
    assert (after["T101"].id, after["T101"].groups, after["T101"].attribute("department_code")) == (
        before["T001"].id, {"BC-TECH-OPS"}, "BC-TECH-OPS")


def test_a_row_without_an_anchor_keeps_the_accounts_anchor(adapter, group):
    with spec_realm(adapter, "anchor-kept") as realm:
        sync_people(read_list([person("T001", "张伟", "BC-TECH-RD", anchor="5f0c-01")]), group, adapter,
                    SyncOptions(realm=realm, today=DAY1))
        second = sync_people(read_list([person("T001", "张伟", "BC-TECH-RD", title="工程师")]), group, adapter,
                             SyncOptions(realm=realm, today=DAY2))
        after = accounts(adapter, realm)

    assert [change.fields for change in second.plan.changes] == [{"title": (None, "工程师")}]
    assert (after["T001"].attribute("source_anchor"), after["T001"].attribute("title")) == ("5f0c-01", "工程师")


def test_an_anchor_is_not_followed_to_an_account_whose_own_id_is_still_in_the_source(adapter, group):
    day1 = read_list([person("T001", "张伟", "BC-TECH-RD", anchor="5f0c-01")])
    # T001 is still there (under another anchor now); the new row with T001's old anchor is someone new
    day2 = read_list([person("T001", "张伟", "BC-TECH-RD", anchor="77aa-09"),
                      person("T101", "王芳", "BC-TECH-RD", anchor="5f0c-01")])
    with spec_realm(adapter, "anchor-taken") as realm:
        sync_people(day1, group, adapter, SyncOptions(realm=realm, today=DAY1))
        before = accounts(adapter, realm)
        second = sync_people(day2, group, adapter, SyncOptions(realm=realm, today=DAY2))
        after = accounts(adapter, realm)

    assert {action: count for action, count in second.counts().items() if count} == {"create": 1, "update": 1}
    assert after["T001"].id == before["T001"].id and after["T001"].attribute("source_anchor") == "77aa-09"
    assert after["T101"].id != before["T001"].id


def test_two_accounts_with_one_anchor_reject_the_row_and_neither_leaves(adapter, group):
    day1 = read_list([person("T001", "张伟", "BC-TECH-RD", anchor="5f0c-01"),
                      person("T002", "张伟", "BC-TECH-QA", anchor="5f0c-01")])
    day2 = read_list([person("T101", "张伟", "BC-TECH-RD", anchor="5f0c-01")])
    with spec_realm(adapter, "anchor-twice") as realm:
        sync_people(day1, group, adapter, SyncOptions(realm=realm, today=DAY1))
        before = accounts(adapter, realm)
        second = sync_people(day2, group, adapter, SyncOptions(realm=realm, today=DAY2, force=True))  # one row of two: past the truncation guard
        after = accounts(adapter, realm)

    assert [(r.employee_id, r.reasons) for r in second.plan.rejections] == [("T101", (
        f"accounts {before['T001'].username}, {before['T002'].username} in realm {realm} all carry the source "
        "anchor 5f0c-01",))]
    assert second.plan.changes == [] and after == before


def test_a_rejected_row_keeps_the_account_of_its_anchor_from_leaving(adapter, group):
    day1 = read_list([person("T001", "张伟", "BC-TECH-RD", anchor="5f0c-01")])
    # a new employee ID, and a department the spec does not have: the row is rejected, the account stays
    day2 = read_list([person("T101", "张伟", "BC-TECH-XX", anchor="5f0c-01")])
    with spec_realm(adapter, "anchor-rejected") as realm:
        sync_people(day1, group, adapter, SyncOptions(realm=realm, today=DAY1))
        before = accounts(adapter, realm)
        second = sync_people(day2, group, adapter, SyncOptions(realm=realm, today=DAY2))
        after = accounts(adapter, realm)

    assert [(r.employee_id, r.reasons) for r in second.plan.rejections] == [
        ("T101", ("department BC-TECH-XX is not in the spec",))]
    assert second.plan.changes == [] and after == before


def test_only_a_source_with_anchors_needs_their_attribute_declared(adapter, group):
    with spec_realm(adapter, "anchor-profile") as realm:
        # a realm applied before anchors existed: its user profile does not declare source_anchor
        profile = adapter.read_user_profile(realm)
        attributes = [attribute for attribute in profile["attributes"] if attribute["name"] != "source_anchor"]
        adapter.set_user_profile(realm, {**profile, "attributes": attributes})
        plain = sync_people(read_list([person("T001", "张伟", "BC-TECH-RD")]), group, adapter,
                            SyncOptions(realm=realm, today=DAY1))
        with pytest.raises(ConfigurationError, match=f"the user profile of realm {realm} does not declare source_anchor"):
            sync_people(read_list([person("T001", "张伟", "BC-TECH-RD", anchor="5f0c-01")]), group, adapter,
                        SyncOptions(realm=realm, today=DAY2))

    assert plain.counts()["create"] == 1


# --- roles --------------------------------------------------------------------------------------------------


def test_managed_roles_follow_the_rows_and_other_roles_stay(adapter, group, tmp_path):
    day1 = read_list([person("T001", "张伟", "BC-TECH-RD", roles=["hr-admin"]),
                      person("T002", "李娜", "BC-TECH-RD", roles=[]),
                      person("T003", "王芳", "BC-TECH-RD")], managed_roles=MANAGED)  # no say on 王芳's roles
    day2 = read_list([person("T001", "张伟", "BC-TECH-RD", roles=["finance-staff"]),
                      person("T002", "李娜", "BC-TECH-RD", roles=["hr-admin", "finance-staff"]),
                      person("T003", "王芳", "BC-TECH-RD")], managed_roles=MANAGED)
    report = tmp_path / "report.jsonl"
    with spec_realm(adapter, "roles") as realm:
        first = sync_people(day1, group, adapter, SyncOptions(realm=realm, today=DAY1))
        made = accounts(adapter, realm)
        granted = {eid: direct_roles(adapter, realm, made[eid].id) for eid in made}
        # granted by hand: a role the source does not manage, and a managed one to a person it has no say on
        adapter.add_user_roles(realm, made["T001"].id, ["employee"])
        adapter.add_user_roles(realm, made["T003"].id, ["hr-admin"])
        second = sync_people(day2, group, adapter, SyncOptions(realm=realm, today=DAY2, report=report))
        after = {eid: direct_roles(adapter, realm, made[eid].id) for eid in made}
        again = sync_people(day2, group, adapter, SyncOptions(realm=realm, today=DAY3))

    assert granted == {"T001": {"hr-admin"}, "T002": set(), "T003": set()}
    assert {action: count for action, count in first.counts().items() if count} == {"create": 3, "roles_added": 1}
    assert after == {"T001": {"employee", "finance-staff"}, "T002": {"finance-staff", "hr-admin"}, "T003": {"hr-admin"}}
    assert {action: count for action, count in second.counts().items() if count} == {
        "update": 2, "unchanged": 1, "roles_added": 2, "roles_removed": 1}
    # a role change is the account's only change: one request each way, no PUT of the account
    t001 = next(change for change in second.plan.changes if change.employee_id == "T001")
    assert (t001.add_roles, t001.remove_roles, t001.update, t001.fields) == (("finance-staff",), ("hr-admin",), None, {})
    assert second.writes == 3
    lines = {line["employee_id"]: line for line in map(json.loads, report.read_text(encoding="utf-8").splitlines())}
    assert (lines["T001"]["roles_added"], lines["T001"]["roles_removed"]) == (["finance-staff"], ["hr-admin"])
    assert lines["T002"]["roles_added"] == ["finance-staff", "hr-admin"] and "roles_removed" not in lines["T002"]
    assert again.plan.changes == []


@pytest.mark.parametrize("memberships, kept", [("remove", set()), ("keep", {"hr-admin"})])
def test_a_leaver_loses_managed_roles_only_when_its_memberships_go(adapter, group, memberships, kept):
    staff = [person("T001", "张伟", "BC-TECH-RD", roles=["hr-admin"]), person("T002", "李娜", "BC-TECH-RD", roles=[])]
    policy = SyncPolicy(leavers={"memberships": memberships})
    day2 = read_list([{**staff[0], "status": "terminated"}], managed_roles=MANAGED)  # T002 is absent: a leaver too
    with spec_realm(adapter, "roles-leaver") as realm:
        sync_people(read_list(staff, managed_roles=MANAGED), group, adapter,
                    SyncOptions(realm=realm, today=DAY1, policy=policy))
        made = accounts(adapter, realm)
        adapter.add_user_roles(realm, made["T002"].id, ["finance-staff", "employee"])
        second = sync_people(day2, group, adapter, SyncOptions(realm=realm, today=DAY2, policy=policy, force=True))
        after = {eid: direct_roles(adapter, realm, made[eid].id) for eid in made}

    assert second.counts()["disable"] == 2
    assert after == {"T001": kept, "T002": {"employee"} | ({"finance-staff"} if memberships == "keep" else set())}


def test_a_managed_role_the_realm_lacks_is_refused_before_anything_is_written(adapter, group):
    source = read_list([person("T001", "张伟", "BC-TECH-RD", roles=["auditor"])], managed_roles={"auditor", "hr-admin"})
    with spec_realm(adapter, "roles-unknown") as realm:
        recorder = Recorder(adapter)
        with pytest.raises(ConfigurationError) as refusal:
            sync_people(source, group, recorder, SyncOptions(realm=realm, today=DAY1))
        with pytest.raises(ConfigurationError):
            sync_people(source, group, recorder, SyncOptions(realm=realm, today=DAY1, dry_run=True))
        left = accounts(adapter, realm)

    assert str(refusal.value) == (
        f"realm {realm} has no role 'auditor', which the people source rows manages: define it in the spec and "
        "apply it (groupid apply), or leave it out of the source's roles")
    assert recorder.calls == [] and left == {}  # not even the lock


class Reads(Recorder):
    """A recorder that also counts the reads of who holds a role."""

    def __init__(self, adapter):
        super().__init__(adapter)
        self.holders: list[str] = []

    def role_holders(self, realm: str, ref: str) -> list[str]:
        self.holders.append(ref)
        return self.adapter.role_holders(realm, ref)


def test_role_holders_are_read_once_a_run_per_role_not_per_person(adapter, group):
    def staff(people: int):
        return read_list([person(f"T{n:03d}", "张伟", "BC-TECH-RD", roles=["hr-admin"] if n % 2 else [])
                          for n in range(people)], managed_roles=MANAGED)

    def requests() -> int:
        return adapter.requests if isinstance(adapter, KeycloakServer) else 0

    reads = Reads(adapter)
    costs, holder_reads = [], []
    with spec_realm(adapter, "roles-reads") as realm:
        for day, people in ((DAY1, 3), (DAY2, 30)):
            grown = sync_people(staff(people), group, reads, SyncOptions(realm=realm, today=day))
            reads.holders.clear()
            before = requests()
            unchanged = sync_people(staff(people), group, reads, SyncOptions(realm=realm, today=day))
            costs.append(requests() - before)
            holder_reads.append(sorted(reads.holders))
            assert unchanged.plan.changes == []
        holders = {eid: direct_roles(adapter, realm, account.id) for eid, account in accounts(adapter, realm).items()}

    # 27 joiners, 14 of them given the role: the bulk create, then one grant each — nothing read per person
    assert (grown.counts()["create"], grown.counts()["roles_added"]) == (27, 14)
    assert grown.writes == 3 + 14
    assert holders == {f"T{n:03d}": {"hr-admin"} if n % 2 else set() for n in range(30)}
    # who holds each managed role: one read per role and run, for 3 people as for 30 — and so the requests
    assert holder_reads == [sorted(MANAGED)] * 2
    assert costs[0] == costs[1]
