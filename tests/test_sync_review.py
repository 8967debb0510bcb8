"""Edge cases of the people sync found by reading it: rows that must not make leavers, leavers that must lose
access, lock races, failures part-way, interruption, scale of shared values, personal data in reports.

Every test runs against the in-memory realms (or a fake adapter where the real server's timing cannot be staged),
so the whole file takes a few seconds and needs no Keycloak.
"""

from __future__ import annotations

import _thread
import json
import signal
import threading
import time
from datetime import UTC, date, datetime, timedelta

import pytest

from groupid.errors import ApplyFailed, Conflict, KeycloakError, KeycloakUnreachable, Location, RunInterrupted
from groupid.hr_sync import sync_hr
from groupid.lock import LOCK_NAME, SyncLocked, sync_lock
from groupid.model import Person
from groupid.policy import SyncPolicy
from groupid.realms import IMPORT_CHUNK, ConnectionSettings, KeycloakServer
from groupid.realms.keycloak import AdminTransport
from groupid.realms.memory import MemoryRealms
from groupid.sync import (
    DesiredPerson,
    PersonChange,
    Placement,
    RealmPeople,
    Stage,
    SyncOptions,
    SyncPlan,
    apply_sync,
    person_record,
    plan_sync,
)
from tests.hr_people import DAYS, MAPPING, SPEC, accounts, edited_export, export, read_records, spec_realm
from tests.test_sync_topologies import ORGANIZATIONS, REALM_PER_COMPANY, variant


def _user(adapter, realm: str, employee_id: str) -> dict:
    return adapter.read_user(realm, accounts(adapter, realm)[employee_id].id)


# --- lifecycle ------------------------------------------------------------------------------------------------


def test_a_leaver_whose_email_a_newcomer_reuses_is_still_disabled(tmp_path):
    """吴昊 (BC0011) leaves; HR hands his address wuhao@ to a newcomer. Disabling a leaver needs no email, yet
    both rows are rejected for sharing it — and a rejected row is never a leaver: his account stays enabled."""
    adapter = MemoryRealms()
    with spec_realm(adapter, "leaver-mail") as realm:
        sync_hr(export(1), SPEC, MAPPING, adapter, options=SyncOptions(realm=realm, today=DAYS[1]))
        _, records = read_records(export(1))
        wuhao = next(record for record in records if record["工号"] == "BC0011")
        newcomer = {**wuhao, "工号": "BC0099", "入职日期": "2025-03-10", "身份证号": ""}
        path = edited_export(tmp_path / "day2.csv", 1, {"BC0011": {"在职状态": "离职", "离职日期": "2025-03-07"}},
                             extra=[newcomer])
        sync_hr(path, SPEC, MAPPING, adapter, options=SyncOptions(realm=realm, today=DAYS[2]))
        assert not accounts(adapter, realm)["BC0011"].enabled


def test_a_row_with_an_unquoted_comma_does_not_disable_its_person(tmp_path):
    """盖玉兰's title is typed "审计经理,兼监事" into a CSV by hand, without quotes: the row has one cell too many
    and is rejected — rightly — but with no employee ID, although the key column is readable. The rejected row
    is then no one's, her account counts as absent from the export, and she is disabled as a leaver."""
    adapter = MemoryRealms()
    with spec_realm(adapter, "comma") as realm:
        sync_hr(export(1), SPEC, MAPPING, adapter, options=SyncOptions(realm=realm, today=DAYS[1]))
        path = tmp_path / "comma.csv"
        text = export(1).read_text(encoding="utf-8")
        assert text.count(",审计经理,") == 1
        path.write_text(text.replace(",审计经理,", ",审计经理,兼监事,"), encoding="utf-8")
        result = sync_hr(path, SPEC, MAPPING, adapter, options=SyncOptions(realm=realm, today=DAYS[1]))
        assert len(result.plan.rejections) == 1  # the row is rejected, as it should be
        assert accounts(adapter, realm)["BC0007"].enabled, "a rejected row made its person a leaver"


def test_an_account_disabled_by_hand_is_not_re_enabled_because_of_an_old_disabled_on(tmp_path):
    """HR marks 盖玉兰 terminated by mistake: the sync disables her (disabled_on set). IT re-enables her by hand,
    HR fixes the export, and the sync keeps her enabled — but keeps the old disabled_on too. Months later
    security disables her account by hand: the next sync takes that for its own disable and re-enables her."""
    adapter = MemoryRealms()
    with spec_realm(adapter, "stale") as realm:
        sync_hr(export(1), SPEC, MAPPING, adapter, options=SyncOptions(realm=realm, today=DAYS[1]))
        wrong = edited_export(tmp_path / "wrong.csv", 1, {"BC0007": {"在职状态": "离职"}})
        sync_hr(wrong, SPEC, MAPPING, adapter, options=SyncOptions(realm=realm, today=DAYS[1]))
        user = _user(adapter, realm, "BC0007")
        adapter.update_user(realm, user["id"], {**user, "enabled": True})  # IT puts it right by hand
        sync_hr(export(1), SPEC, MAPPING, adapter, options=SyncOptions(realm=realm, today=DAYS[2]))  # HR puts it right
        assert accounts(adapter, realm)["BC0007"].enabled
        user = _user(adapter, realm, "BC0007")
        adapter.update_user(realm, user["id"], {**user, "enabled": False})  # security disables it by hand
        result = sync_hr(export(1), SPEC, MAPPING, adapter, options=SyncOptions(realm=realm, today=DAYS[3]))
        assert "enable" not in result.counts()
        assert not accounts(adapter, realm)["BC0007"].enabled


def test_a_future_transfer_to_a_company_realm_keeps_the_old_account_until_the_day(tmp_path):
    """刘洋's transfer to 北辰制造 (a realm of its own) is recorded a month ahead, with the new start date. Under
    ``future_joiners: wait`` nothing happens before that day in the same realm — but here his only working
    account is disabled today and the new one waits: a month without access."""
    spec = variant(tmp_path, REALM_PER_COMPANY)
    adapter = MemoryRealms()
    with spec_realm(adapter, "future-move", spec) as realm:
        sync_hr(export(1), spec, MAPPING, adapter, options=SyncOptions(realm=realm, today=DAYS[1]))
        ahead = edited_export(tmp_path / "ahead.csv", 1, {"BC0109": {
            "公司编码": "BC-MFG", "部门编码": "BC-MFG-QC", "入职日期": "2025-04-07"}})
        sync_hr(ahead, spec, MAPPING, adapter, options=SyncOptions(realm=realm, today=DAYS[2]))
        assert accounts(adapter, realm)["BC0109"].enabled


# --- applying -------------------------------------------------------------------------------------------------


class FailsMidImport(MemoryRealms):
    """Creates the first ten users of a bulk request, then fails — as the contract of import_users allows
    ("users imported before the error stay") and as the Keycloak adapter does when one user of a chunk is
    refused. Requests of one user go through."""

    def import_users(self, realm, users, chunk_size=IMPORT_CHUNK):
        if len(users) == 1:
            return super().import_users(realm, users, chunk_size)
        super().import_users(realm, users[:10], chunk_size)
        raise KeycloakError("refused to import user 'x': HTTP 500 (the server's log says why)")


def test_accounts_a_failed_import_created_are_not_reported_failed(tmp_path):
    """A refused bulk request is retried one account at a time: the ten it made are done, not failed, and
    everyone else is created."""
    adapter = FailsMidImport()
    with spec_realm(adapter, "midimport") as realm:
        result = sync_hr(export(1), SPEC, MAPPING, adapter, options=SyncOptions(realm=realm, today=DAYS[1]))
        assert result.outcome.failed == []
        assert len(accounts(adapter, realm)) == result.counts()["create"] == 34


class RefusesOneOrganization(MemoryRealms):
    def add_organization_member(self, realm, org_id, user_id):
        if getattr(self, "_refused", False) is False:
            self._refused = True
            raise KeycloakError("refused to add the user to the organization (as the test wants)")
        super().add_organization_member(realm, org_id, user_id)


def test_a_created_account_whose_organization_failed_is_one_person_in_the_summary(tmp_path):
    spec = variant(tmp_path, ORGANIZATIONS)
    adapter = RefusesOneOrganization()
    with spec_realm(adapter, "orgfail", spec) as realm:
        with pytest.raises(ApplyFailed) as failure:
            sync_hr(export(1), spec, MAPPING, adapter, options=SyncOptions(realm=realm, today=DAYS[1]))
        counts = failure.value.result.counts()
        people = len(failure.value.result.plan.changes)
        assert counts["create"] + counts["failed"] == people


class UnreachableOnDisable(MemoryRealms):
    """Keycloak goes away while the leavers are being signed out."""

    armed = False

    def logout_user(self, realm, user_id):
        if self.armed:
            raise KeycloakUnreachable("Keycloak does not answer (as the test wants)")
        super().logout_user(realm, user_id)


def test_a_run_that_loses_the_server_part_way_still_reports_what_it_wrote(tmp_path):
    adapter = UnreachableOnDisable()
    with spec_realm(adapter, "lost") as realm:
        sync_hr(export(1), SPEC, MAPPING, adapter, options=SyncOptions(realm=realm, today=DAYS[1]))
        adapter.armed = True
        report = tmp_path / "report.jsonl"
        with pytest.raises(RunInterrupted) as stopped:
            sync_hr(export(2), SPEC, MAPPING, adapter, options=SyncOptions(realm=realm, today=DAYS[2], report=report))
        assert isinstance(stopped.value.cause, KeycloakUnreachable)
        assert not accounts(adapter, realm)["BC0011"].enabled  # the disable (a PUT) went before the sign-out
        assert report.exists(), "accounts were changed, but the report was never written"


class SlowAdapter:
    """Updates take a while; the first one interrupts the main thread, as Ctrl-C does."""

    def __init__(self):
        self.updates = 0
        self._lock = threading.Lock()

    def update_user(self, realm, user_id, representation):
        with self._lock:
            self.updates += 1
            first = self.updates == 1
        if first:  # once the apply is under way, every change queued
            time.sleep(0.2)
            _thread.interrupt_main()
        time.sleep(0.02)


@pytest.fixture
def ctrl_c_raises():
    """Python's own Ctrl-C handler, whatever the suite was started with: a background job of a shell without
    job control starts with SIGINT ignored, and then ``interrupt_main`` does nothing."""
    before = signal.signal(signal.SIGINT, signal.default_int_handler)
    yield
    signal.signal(signal.SIGINT, before)


def test_an_interrupted_apply_stops_soon(ctrl_c_raises):
    changes = [PersonChange("r", f"E{n:04d}", f"u{n}", "C", ["update"], user_id=f"id{n}", update={"title": "x"})
               for n in range(200)]
    adapter = SlowAdapter()
    with pytest.raises(KeyboardInterrupt):
        apply_sync(SyncPlan(changes=changes), adapter, workers=2)
    assert adapter.updates < 50, f"{adapter.updates} of 200 updates were made after Ctrl-C"


# --- the lock -------------------------------------------------------------------------------------------------


class SeesStaleLockFirst:
    """Run B's adapter: its first attempt reads the crashed run's lock, then B is held up until A is in."""

    def __init__(self, adapter, read: threading.Event, go: threading.Event):
        self.adapter, self.read, self.go, self.first = adapter, read, go, True

    def acquire_lock(self, realm, name, holder):
        answer = self.adapter.acquire_lock(realm, name, holder)
        if self.first:
            self.first = False
            self.read.set()
            self.go.wait(5)
        return answer

    def release_lock(self, realm, name):
        self.adapter.release_lock(realm, name)


def test_two_runs_breaking_one_expired_lock_do_not_both_hold_it():
    adapter = MemoryRealms()
    with spec_realm(adapter, "stalelock") as realm:
        past = (datetime.now(UTC) - timedelta(hours=1)).isoformat(timespec="seconds")
        assert adapter.acquire_lock(realm, LOCK_NAME, {"holder": "crashed pid 1", "expires": past}) is None
        b_read, a_in, b_in, done = threading.Event(), threading.Event(), threading.Event(), threading.Event()

        def run_b():
            try:
                with sync_lock(SeesStaleLockFirst(adapter, b_read, a_in), realm, "hr"):
                    b_in.set()
                    done.wait(5)
            except SyncLocked:
                pass

        b = threading.Thread(target=run_b)
        b.start()
        try:
            assert b_read.wait(5)
            with sync_lock(adapter, realm, "hr"):
                a_in.set()
                both = b_in.wait(1)
                assert not both, "run B took the lock while run A held it"
        finally:
            a_in.set()
            done.set()
            b.join(5)


class LockOnKeycloak(AdminTransport):
    """The Keycloak adapter's lock over a scripted server: the holder releases between the refused POST and
    the GET that reads who holds it, as happens when a waiting run polls at the end of another."""

    def __init__(self):
        # the last creation is the release's, which first makes sure the lock is still this run's
        self.creations = ["conflict", "created", "created"]
        self.scopes_listed = [[], [{"id": "lock-id", "name": LOCK_NAME}]]  # gone when read; there when released
        self.deleted: list[str] = []

    def request(self, method, path, action, **options):
        if method == "DELETE":
            self.deleted.append(path)
            return None
        if method == "POST":
            if self.creations.pop(0) == "conflict":
                raise Conflict(f"refused to {action}: it already exists (HTTP 409)")
            return None
        if path.endswith("/client-scopes"):
            return self.scopes_listed.pop(0)
        assert options.get("missing_ok"), path  # the realm role an older groupid kept the lock as: there is none
        return None


def test_a_waiting_run_takes_the_lock_released_while_it_looked():
    transport = LockOnKeycloak()
    server = KeycloakServer(ConnectionSettings("http://keycloak.test"), transport=transport)
    with sync_lock(server, "beichen", "hr", wait=5) as holder:
        assert holder["source"] == "hr"
    assert transport.creations == [] and transport.scopes_listed == []
    assert transport.deleted == ["admin/realms/beichen/client-scopes/lock-id"]


# --- scale and personal data ----------------------------------------------------------------------------------


def test_a_placeholder_email_on_many_rows_is_rejected_in_linear_space():
    """HR exports often carry one placeholder address for people without mail (factory workers, say). 3,000
    such rows give 3,000 reasons each listing 2,999 lines (28 MB; 100,000 people give gigabytes, and the
    report and the cron mail with them)."""
    placement = Placement("r", "C", "C", "/C")
    people = [DesiredPerson(person_record(Person(employee_id=f"E{n:06d}", name="张伟", company="C",
                                                 email="none@corp.example.cn")),
                            Location("hr.csv", n + 2), placement, Stage.ACTIVE) for n in range(3000)]
    plan = plan_sync(people, [], [RealmPeople("r", [], {"C": ("g", "/C")})], SyncPolicy(), date(2025, 3, 3), rows=3000)
    assert len(plan.rejections) == 3000
    assert max(len(reason) for rejection in plan.rejections for reason in rejection.reasons) < 500


def test_a_plan_holds_no_representation_of_the_accounts_it_creates():
    """Made by the planner, 100,000 joiners' UserRepresentations were held to the end of the run, a kilobyte
    each: a joiner's is made when it is sent, from the person."""
    person = DesiredPerson(person_record(Person(employee_id="E000001", name="张伟", company="C")),
                           Location("hr.csv", 2), Placement("r", "C", "C", "/C"), Stage.ACTIVE)
    plan = plan_sync([person], [], [RealmPeople("r", [], {"C": ("g", "/C")})], SyncPolicy(), date(2025, 3, 3), rows=1)
    (change,) = plan.changes

    assert not [name for name in change.__slots__ if isinstance(getattr(change, name), dict) and getattr(change, name)]
    assert change.create is not change.create
    assert change.create == {"username": "zhangwei", "enabled": True, "firstName": "伟", "lastName": "张",
                             "attributes": {"employee_id": ["E000001"], "company_code": ["C"],
                                            "employment_status": ["active"]},
                             "groups": ["/C"]}


def test_the_report_never_holds_an_email_address(tmp_path):
    """docs/hr-sync.md: phones and emails appear as "changed", never as values; report.py says the same."""
    adapter = MemoryRealms()
    with spec_realm(adapter, "mailleak") as realm:
        sync_hr(export(1), SPEC, MAPPING, adapter, options=SyncOptions(realm=realm, today=DAYS[1]))
        path = edited_export(tmp_path / "shared.csv", 1, {"BC0010": {"邮箱": "zhawenbo@beichen.example.cn"}})
        report = tmp_path / "report.jsonl"
        sync_hr(path, SPEC, MAPPING, adapter, options=SyncOptions(realm=realm, today=DAYS[1], report=report))
        lines = [json.loads(line) for line in report.read_text(encoding="utf-8").splitlines()]
        assert [line["action"] for line in lines if line["action"] == "reject"] == ["reject", "reject"]
        assert "zhawenbo@" not in report.read_text(encoding="utf-8")
