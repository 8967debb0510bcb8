"""The story's first two days under the other two topologies: companies as Keycloak Organizations (a transfer
changes Organization), and a company in a realm of its own (a transfer moves the person to another realm)."""

from __future__ import annotations

import pytest

from groupid.hr_sync import sync_hr
from groupid.sync import SyncOptions
from tests.hr_people import (
    ADAPTERS,
    DAYS,
    MAPPING,
    SPEC,
    accounts,
    effective_roles,
    export,
    keycloak_admin,
    new_adapter,
    spec_realm,
)
from tests.test_sync import nonzero

ORGANIZATIONS = {"realm: beichen,": "realm: beichen, topology: organizations,"}
REALM_PER_COMPANY = {
    "realm: beichen,": 'realm: beichen, topology: realm-per-company, public_url: "https://sso.beichen.example.cn",',
    "region: 苏州,": "region: 苏州, own_realm: true,",  # 北辰制造
}


@pytest.fixture(params=ADAPTERS)
def adapter(request):
    return new_adapter(request)


def variant(folder, edits: dict[str, str]):
    """The 北辰集团 spec with a few words changed."""
    text = (SPEC / "group.yaml").read_text(encoding="utf-8")
    for old, new in edits.items():
        assert old in text
        text = text.replace(old, new)
    (folder / "group.yaml").write_text(text, encoding="utf-8")
    return folder


def two_days(adapter, spec, realm):
    """Sync days 1 and 2 into ``realm`` (and its company realms); the results and the accounts after each."""
    results, after = [], []
    for day in (1, 2):
        results.append(sync_hr(export(day), spec, MAPPING, adapter, options=SyncOptions(realm=realm, today=DAYS[day])))
        realms = [name for name in (realm, f"{realm}-bc-mfg") if adapter.read(name).exists]
        after.append({name: accounts(adapter, name) for name in realms})
    return results, after


def test_organizations_follow_the_company(adapter, tmp_path):
    spec = variant(tmp_path, ORGANIZATIONS)
    with spec_realm(adapter, "orgs", spec) as realm:
        _, (day1, day2) = two_days(adapter, spec, realm)
    day1, day2 = day1[realm], day2[realm]
    assert all(account.organizations == {account.attribute("company_code")} and len(account.groups) == 1
               for account in day1.values())
    transfer = day2["BC0109"]
    assert (transfer.id, transfer.organizations, transfer.groups) == (day1["BC0109"].id, {"BC-MFG"}, {"BC-MFG-QC"})
    for leaver in (day2[key] for key in ("BC0011", "BC0012", "BC0205")):
        assert (leaver.enabled, leaver.organizations, leaver.groups) == (False, frozenset(), frozenset())
    for joiner, company in (("BC0016", "BC"), ("BC0113", "BC-TECH"), ("BC0116", "BC-TECH"), ("BC0211", "BC-MFG")):
        assert day2[joiner].organizations == {company}


def test_a_transfer_to_a_company_with_its_own_realm(adapter, tmp_path):
    """刘洋 moves to 北辰制造, whose people live in a realm of their own: his account in the group realm is
    disabled as a leaver's, and a new one is made in the company realm."""
    spec = variant(tmp_path, REALM_PER_COMPANY)
    with spec_realm(adapter, "split", spec) as realm:
        company_realm = f"{realm}-bc-mfg"
        (_, second), (day1, day2) = two_days(adapter, spec, realm)
        admin = keycloak_admin(adapter, company_realm)
        roles = admin and effective_roles(admin, day2[company_realm]["BC0109"].id)
    assert sorted(day1[company_realm]) == [f"BC020{n}" for n in range(1, 10)] + ["BC0210"]
    assert not {key for key in day1[realm] if key.startswith("BC02")}
    old, new = day2[realm]["BC0109"], day2[company_realm]["BC0109"]
    assert (old.id, old.enabled, old.groups) == (day1[realm]["BC0109"].id, False, frozenset())
    assert (new.username, new.enabled, new.groups, new.attribute("company_code")) == (
        "liuyang", True, {"BC-MFG-QC"}, "BC-MFG")
    assert nonzero(second.by_company()["BC-MFG"]) == {"create": 2, "disable": 1, "unchanged": 9}
    assert nonzero(second.by_company()["BC-TECH"])["disable"] == 1
    if roles is not None:
        assert "employee" in roles  # the company realm's default roles come with the new account
