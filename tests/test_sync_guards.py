"""The guards of a sync: the leaver threshold at its edge, and the lock that keeps two runs of a realm apart."""

from __future__ import annotations

import threading
import time
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest

from groupid.errors import ExitCode, SafetyGuardRefused
from groupid.hr_sync import sync_hr
from groupid.lock import LOCK_NAME, SyncLocked
from groupid.sync import SyncOptions
from tests.hr_people import (
    ADAPTERS,
    DAYS,
    MAPPING,
    SPEC,
    Recorder,
    accounts,
    export,
    mapping_with,
    new_adapter,
    read_records,
    spec_realm,
    write_csv,
)
from tests.test_sync import nonzero

SURNAMES, GIVEN = "王李张刘陈杨黄赵吴周徐孙", ["一鸣", "子涵", "雨桐", "浩然", "思远", "欣怡", "俊杰", "佳琪", "志强", "晓燕"]


def crowd(header: list[str]) -> list[dict]:
    """120 people of the operations department, each with a name of their own."""
    names = [surname + given for surname in SURNAMES for given in GIVEN]
    return [{**dict.fromkeys(header, ""), "工号": f"BC{1001 + n}", "姓名": name, "公司编码": "BC-TECH",
             "部门编码": "BC-TECH-OPS", "入职日期": "2020-01-01", "在职状态": "在职", "员工类型": "正式"}
            for n, name in enumerate(names)]


@pytest.fixture(scope="module", params=ADAPTERS)
def crowded(request, tmp_path_factory):
    """A realm holding the 120, a function writing an export of all but the last ``n`` of them, the 120, and
    a folder for exports."""
    adapter = Recorder(new_adapter(request))
    folder = tmp_path_factory.mktemp("crowd")
    header = read_records(export(1))[0]
    people = crowd(header)

    def without(n: int):
        return write_csv(folder / f"without-{n}.csv", header, people[: len(people) - n])

    with spec_realm(adapter.adapter, "guards") as realm:
        created = sync_hr(without(0), SPEC, MAPPING, adapter, options=SyncOptions(realm=realm, today=DAYS[1]))
        assert created.counts()["create"] == 120
        yield adapter, realm, without, people, folder


def test_21_leavers_of_120_are_refused_with_nothing_written(crowded):
    adapter, realm, without, *_ = crowded
    before = accounts(adapter.adapter, realm)
    adapter.calls.clear()
    with pytest.raises(SafetyGuardRefused) as refusal:  # 99 of 120 rows: the row guard (80%) lets it by
        sync_hr(without(21), SPEC, MAPPING, adapter, options=SyncOptions(realm=realm, today=DAYS[2]))
    assert "would disable or delete 21 of 120 enabled accounts, more than 20 and more than 5%" in str(refusal.value)
    assert refusal.value.exit_code == ExitCode.REFUSED == 3
    assert adapter.people_writes() == [] and accounts(adapter.adapter, realm) == before


def test_more_than_20_within_the_share_is_not_refused(crowded, tmp_path):
    """Both limits must be passed: 21 of 120 is 17.5%, within a share of 20%. A dry run, so nothing changes."""
    adapter, realm, without, *_ = crowded
    adapter.calls.clear()
    mapping = mapping_with(tmp_path / "mapping.yaml", policy="{guard: {max_leaver_share: 0.2}}")
    planned = sync_hr(without(21), SPEC, mapping, adapter,
                      options=SyncOptions(realm=realm, today=DAYS[2], dry_run=True))
    assert nonzero(planned.counts()) == {"disable": 21, "unchanged": 99}
    assert planned.writes == 0 and adapter.calls == []


def test_20_leavers_go_through(crowded):
    adapter, realm, without, people, _ = crowded
    result = sync_hr(without(20), SPEC, MAPPING, adapter, options=SyncOptions(realm=realm, today=DAYS[2]))
    assert nonzero(result.counts()) == {"disable": 20, "unchanged": 100}
    disabled = {key for key, account in accounts(adapter.adapter, realm).items() if not account.enabled}
    assert disabled == {person["工号"] for person in people[-20:]}


def test_everyone_changed_at_once(crowded):
    """The 20 come back and all 120 get a new title: 120 updates, up to eight at a time, none lost."""
    adapter, realm, _, people, folder = crowded
    promoted = [{**person, "职位": f"工程师{person['工号'][-3:]}"} for person in people]
    path = write_csv(folder / "promoted.csv", list(people[0]), promoted)
    disabled = sum(not account.enabled for account in accounts(adapter.adapter, realm).values())  # 20 after the above
    result = sync_hr(path, SPEC, MAPPING, adapter, options=SyncOptions(realm=realm, today=DAYS[3]))
    assert nonzero(result.counts()) == nonzero(Counter(update=120 - disabled, enable=disabled))
    after = accounts(adapter.adapter, realm)
    assert {key: (account.enabled, account.attribute("title")) for key, account in after.items()} == {
        person["工号"]: (True, person["职位"]) for person in promoted}


# --- the lock -----------------------------------------------------------------------------------------------


@pytest.fixture(params=ADAPTERS)
def locked(request):
    """A realm whose sync lock another run holds (until the test releases it)."""
    adapter = Recorder(new_adapter(request))
    with spec_realm(adapter.adapter, "lock") as realm:
        holder = holding("sync-host pid 4242", timedelta(hours=1))
        assert adapter.adapter.acquire_lock(realm, LOCK_NAME, holder) is None
        yield adapter, realm


def holding(holder: str, expires_in: timedelta) -> dict[str, str]:
    now = datetime.now(UTC)
    return {"holder": holder, "source": "hr", "since": now.isoformat(timespec="seconds"),
            "expires": (now + expires_in).isoformat(timespec="seconds")}


def sync_day1(adapter, realm, **options):
    return sync_hr(export(1), SPEC, MAPPING, adapter, options=SyncOptions(realm=realm, today=DAYS[1], **options))


def test_a_held_lock_refuses_and_writes_nothing(locked):
    adapter, realm = locked
    with pytest.raises(SyncLocked) as refusal:
        sync_day1(adapter, realm)
    assert "another sync is running on realm" in str(refusal.value) and "sync-host pid 4242" in str(refusal.value)
    assert refusal.value.exit_code == 3
    assert adapter.calls == [("acquire_lock", adapter.calls[0][1])]  # tried the lock; nothing else
    assert accounts(adapter.adapter, realm) == {}


def test_a_run_waits_for_the_lock_to_be_released(locked):
    adapter, realm = locked
    releaser = threading.Timer(1.0, adapter.adapter.release_lock, (realm, LOCK_NAME))
    releaser.start()
    started = time.monotonic()
    try:
        result = sync_day1(adapter, realm, wait=30)
    finally:
        releaser.cancel()
    assert time.monotonic() - started >= 1.0
    assert result.counts()["create"] == 34 and len(accounts(adapter.adapter, realm)) == 34
    assert adapter.adapter.acquire_lock(realm, LOCK_NAME, holding("test", timedelta(minutes=1))) is None  # released


def test_an_expired_lock_is_broken(locked):
    """A run that crashed leaves its lock behind; once it has expired, the next run takes over."""
    adapter, realm = locked
    adapter.adapter.release_lock(realm, LOCK_NAME)
    adapter.adapter.acquire_lock(realm, LOCK_NAME, holding("crashed pid 1", -timedelta(minutes=1)))
    assert sync_day1(adapter, realm).counts()["create"] == 34
