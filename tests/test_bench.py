"""The benchmark scripts import groupid: each must still import and answer --help, so that they cannot rot
unnoticed between benchmark runs."""

from __future__ import annotations

import argparse
import subprocess
import sys
import threading
import time
from datetime import date
from pathlib import Path

import pytest

from groupid.realms.base import IMPORT_CHUNK

BENCH = Path(__file__).resolve().parent.parent / "bench"
SCRIPTS = sorted(path for path in BENCH.glob("*.py") if 'if __name__ == "__main__":' in path.read_text(encoding="utf-8"))
"""The scripts; the other modules (ldap_paths.py) are parts of one, which imports them."""


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


@pytest.fixture
def bench_modules():
    """The benchmark's own modules, imported as the scripts import each other."""
    sys.path.insert(0, str(BENCH))
    try:
        import ldap_data
        import ldap_paths
        import ldap_sync
    finally:
        sys.path.remove(str(BENCH))
    return ldap_data, ldap_paths, ldap_sync


@pytest.fixture
def bench():
    """A benchmark module by name, imported as the scripts import each other."""
    import importlib

    def module(name: str):
        sys.path.insert(0, str(BENCH))
        try:
            return importlib.import_module(name)
        finally:
            sys.path.remove(str(BENCH))

    return module


class _Wire:
    """A transport for groupid's own Keycloak people client that keeps each write as it would go on the wire and
    answers it from an in-memory realm, so that the test sees what groupid sends a Keycloak."""

    def __init__(self, memory):
        self.memory, self.sent = memory, []
        self._lock = threading.Lock()

    def request(self, method, path, action, *, body=None, **_):
        realm = path.split("/")[2]
        if method == "GET":  # the realm, for its default role
            return {"defaultRole": {"name": f"default-roles-{realm}"}, "duplicateEmailsAllowed": False}
        from groupid.realms.memory import MemoryRealms

        ids = MemoryRealms.import_users(self.memory, realm, body["users"], chunk_size=len(body["users"]))
        answer = {"results": [{"resourceType": "USER", "resourceName": name, "id": user_id,
                               "action": "ADDED" if user_id else "SKIPPED"} for name, user_id in ids.items()]}
        with self._lock:
            self.sent.append((method, path, body, answer))
        return answer


def _capturing_realms():
    """An in-memory Keycloak whose bulk creates and role grants go through :class:`_Wire` as groupid's Keycloak
    adapter would send them."""
    from groupid.realms.keycloak.people import PeopleClient
    from groupid.realms.memory import MemoryRealms

    class Capturing(MemoryRealms):
        def __init__(self):
            super().__init__()
            self.wire = _Wire(self)

        def import_users(self, realm, users, chunk_size=IMPORT_CHUNK):
            return PeopleClient(self.wire).import_users(realm, users, chunk_size)

        def add_user_roles(self, realm, user_id, names):
            # the names only: Keycloak's body also carries each role's id, which the payload does not depend on
            self.wire.sent.append(("POST", f"admin/realms/{realm}/users/{user_id}/role-mappings/realm",
                                   [{"name": name} for name in names], None))
            super().add_user_roles(realm, user_id, names)

    return Capturing()


def test_the_limit_sends_the_accounts_groupid_sends(bench_modules, bench, tmp_path):
    # the limit's payload, person by person, is what groupid's sync of the same directory sends a Keycloak: the
    # same representations (the department group by path, employee_id, source_anchor, the default role) with the
    # realm role groupid grants the approvers afterwards (nested ones too) among the realmRoles, in the same chunks
    ldap_data, ldap_paths, ldap_sync = bench_modules
    limit = bench("limit")
    from groupid.apply import apply_plans
    from groupid.errors import LocalServerError
    from groupid.ldap_sync import sync_ldap
    from groupid.operations import plan_spec
    from groupid.realms.memory import MemoryRealms
    from groupid.sync import SyncOptions
    from tests.conftest import skip_or_fail

    data = ldap_data.generate_directory(tmp_path / "data", people=300, departments=15, companies=5)
    realm = "bench-ldap-test"
    planned, groupid = MemoryRealms(), _capturing_realms()
    for adapter in (planned, groupid):
        apply_plans(plan_spec(data.spec, adapter, realm=realm), adapter)
    try:
        server = ldap_sync.DirectoryServer(data, tmp_path / "directory", page=100)
    except LocalServerError as exc:
        skip_or_fail(f"cannot run slapd: {exc}")
    with server as directory:
        config = ldap_paths.write_source_config(tmp_path, directory, 100)
        accounts = ldap_paths.planned_accounts(config, data.spec, planned, realm, f"default-roles-{realm}")
        done = sync_ldap(config, data.spec, groupid, options=SyncOptions(realm=realm, today=ldap_sync.AS_OF))
    assert done.counts()["create"] == 300, done.counts()
    sent = limit.sent_accounts(groupid.wire.sent)
    assert len(accounts) == len(sent) == 300
    by_name = {user["username"]: user for user in sent}
    for account in accounts:
        assert account == by_name[account["username"]]
    approvers = [user for user in accounts if ldap_data.ROLE in user["realmRoles"]]
    assert len(approvers) == ldap_data.TEAM_MEMBERS + ldap_data.DIRECT_APPROVERS
    assert all(user["attributes"]["source_anchor"] and user["groups"] for user in accounts)
    chunks = {tuple(u["username"] for u in body["users"]) for _, path, body, _ in groupid.wire.sent
              if path.endswith("/partialImport")}
    assert chunks == {tuple(u["username"] for u in part) for part in limit.batches(accounts, IMPORT_CHUNK)}
    assert limit.fingerprint(accounts, realm) == limit.fingerprint(sent, realm)


def test_the_hr_limit_sends_the_accounts_groupid_sends(bench, tmp_path):
    # the HR benchmark fingerprints the plan of groupid's load, and its limit sends the accounts of a dry run's
    # plan: both are what groupid's HR sync sends a Keycloak, person by person
    hr_data, limit, sync_paths = bench("hr_data"), bench("limit"), bench("sync_paths")
    from groupid.apply import apply_plans
    from groupid.hr_sync import sync_hr
    from groupid.operations import plan_spec
    from groupid.realms.memory import MemoryRealms
    from groupid.sync import SyncOptions

    data = hr_data.generate(tmp_path / "data", people=300, departments=15, companies=3)
    realm = "bench-hr-test"
    planned, groupid = MemoryRealms(), _capturing_realms()
    for adapter in (planned, groupid):
        apply_plans(plan_spec(data.spec, adapter, realm=realm), adapter)
    dry = sync_hr(data.export, data.spec, data.mapping, planned,
                  options=SyncOptions(realm=realm, today=sync_paths.AS_OF, dry_run=True))
    done = sync_hr(data.export, data.spec, data.mapping, groupid, options=SyncOptions(realm=realm, today=sync_paths.AS_OF))
    assert done.counts()["create"] == 300, done.counts()
    default = f"default-roles-{realm}"
    accounts, sent = limit.planned_accounts(dry.plan, default), limit.sent_accounts(groupid.wire.sent)
    assert len(accounts) == len(sent) == 300
    by_name = {user["username"]: user for user in sent}
    for account in accounts:
        assert account == by_name[account["username"]]
    assert all(user["attributes"]["employee_id"] and user["groups"] for user in accounts)
    assert limit.fingerprint(limit.planned_accounts(done.plan, default), realm) == limit.fingerprint(sent, realm)


def test_the_payload_fingerprint_leaves_out_only_the_realm_and_the_entry_uuids(bench):
    limit = bench("limit")
    user = {"username": "a", "attributes": {"employee_id": ["X1"], "source_anchor": ["u-1"]},
            "realmRoles": ["default-roles-r1", "finance-editor"]}
    other_copy = {"username": "a", "attributes": {"employee_id": ["X1"], "source_anchor": ["u-2"]},
                  "realmRoles": ["finance-editor", "default-roles-r2"]}
    assert limit.fingerprint([user], "r1") == limit.fingerprint([other_copy], "r2")
    changed = {**user, "attributes": {**user["attributes"], "employee_id": ["X2"]}}
    assert limit.fingerprint([changed], "r1") != limit.fingerprint([user], "r1")
    assert limit.fingerprint([{**user, "groups": ["/a"]}], "r1") != limit.fingerprint([user], "r1")


def test_the_benchmarks_take_any_set_of_paths_in_alternating_order(bench_modules, bench):
    _, _, ldap_sync = bench_modules
    rounds, limit = bench("rounds"), bench("limit")

    def parse(text):
        return rounds.parse_paths(text, ldap_sync.PATHS, ldap_sync.ALIASES)

    assert parse("all") == ldap_sync.PATHS == ("federation", "groupid", "limit", "naive")
    assert parse("both") == ("federation", "groupid")
    assert parse("naive, limit,naive") == ("naive", "limit")
    with pytest.raises(argparse.ArgumentTypeError, match="unknown path fed"):
        parse("fed")
    assert [rounds.round_order(("a", "b", "c"), r) for r in (1, 2, 3)] == [("a", "b", "c"), ("c", "b", "a"), ("a", "b", "c")]
    assert rounds.spread([1.0, 3.0, 2.0], "×") == "median 2.00× (spread 1.00–3.00× over 3 rounds)"
    accounts = [{"username": str(n)} for n in range(25)]
    assert [len(part) for part in limit.batches(accounts, 10)] == [10, 10, 5]
    assert [len(part) for part in limit.batches(accounts, 0)] == [25]


def test_the_changed_export_changes_one_person_in_a_hundred(bench, tmp_path):
    # the 1% re-sync: the changed export's people are the same, 1% of them with a new title or department, and
    # a sync of it after the original's updates exactly them (moves among them), creates and disables nobody
    hr_data = bench("hr_data")
    from groupid.apply import apply_plans
    from groupid.hr_sync import sync_hr
    from groupid.operations import plan_spec
    from groupid.realms.memory import MemoryRealms
    from groupid.sync import SyncOptions

    data = hr_data.generate(tmp_path / "data", people=1000, departments=30, companies=3)
    changed = hr_data.change_export(data.export, tmp_path / "changed.csv", 0.01)
    assert (changed.titles, changed.moves) == (5, 5)
    realm, memory = "bench-hr-test", MemoryRealms()
    apply_plans(plan_spec(data.spec, memory, realm=realm), memory)
    options = SyncOptions(realm=realm, today=date(2026, 1, 1))
    assert sync_hr(data.export, data.spec, data.mapping, memory, options=options).counts()["create"] == 1000
    again = sync_hr(changed.export, data.spec, data.mapping, memory, options=options)
    counts = {name: value for name, value in again.counts().items() if value and name != "unchanged"}
    assert counts == {"update": 5, "move": 5}, again.counts()
    assert again.counts()["unchanged"] == 990


def test_the_cpu_of_a_process_tree_counts_its_children(bench):
    # a server is a tree (kc.sh and its java, the postmaster and its backends): the CPU of a child that runs,
    # and of one that ended and was waited for, is the tree's
    cpu = bench("cpu")
    if not cpu.PROC.is_dir():
        pytest.skip("no /proc")
    busy = "import time\nend = time.process_time() + 0.5\nwhile time.process_time() < end: pass\n"
    shell = subprocess.Popen([sys.executable, "-c", f"import subprocess, sys, time\n"
                              f"subprocess.run([sys.executable, '-c', {busy!r}])\ntime.sleep(30)"])
    try:
        before = cpu.tree_cpu(shell.pid)
        deadline = time.monotonic() + 20
        while cpu.tree_cpu(shell.pid) - before < 0.4 and time.monotonic() < deadline:
            time.sleep(0.1)
        assert cpu.tree_cpu(shell.pid) - before >= 0.4
        meter = cpu.Meter({"server": shell.pid})
        with cpu.span(meter) as timed:
            end = time.process_time() + 0.2
            while time.process_time() < end:
                pass
        assert timed.cpu["client"] >= 0.2 and timed.seconds >= 0.2
        assert 0 <= timed.cpu["server"] < 0.2
    finally:
        shell.kill()
        shell.wait()
    assert cpu.tree_cpu(shell.pid) is None


def test_the_limit_reads_every_membership_of_every_group(bench, keycloak):
    # the limit's member lists: every group of the realm, sub-groups too, each member once, a group of more
    # members than a page read to its end
    limit = bench("limit")
    from groupid.realms.keycloak import KeycloakServer
    from tests.conftest import temporary_realm

    server = KeycloakServer(keycloak)
    with temporary_realm(keycloak, "bench-members") as realm:
        server.create_realm(realm, None)
        top = server.create_group(realm, None, "集团", {})
        child = server.create_group(realm, top, "财务部", {})
        server.import_users(realm, [{"username": f"user{n:02d}", "groups": ["/集团" if n < 7 else "/集团/财务部"]}
                                    for n in range(12)])
        admin = limit.Admin(keycloak.server_url, keycloak.admin_user, keycloak.admin_password, 60)
        ids = admin.group_ids(realm)
        assert sorted(ids) == sorted([top, child])
        read = limit.read_members(admin, realm, ids, size=5)
    assert read.users == 12
    # 集团: pages of 5 and 2 members; 财务部: a full page of 5, then an empty one
    assert read.requests == 4


def test_each_account_cost_variant_changes_one_part_of_what_groupid_sends(bench):
    cost = bench("account_cost")
    planned = [{"username": "zhangwei", "email": "zhangwei@xc.example.cn", "emailVerified": True,
                "attributes": {"employee_id": ["XC000001"]}, "groups": ["/星辰/研发部/平台组"],
                "realmRoles": [f"default-roles-{cost.SETUP_REALM}", "employee"]}]

    def sent(variant):
        return cost.accounts_for(variant, planned, "cost-x", "default-roles-cost-x")[0]

    as_sent = sent("as-sent")
    assert as_sent == {**planned[0], "realmRoles": ["default-roles-cost-x", "employee"]}
    changed = {variant: {key for key in {*as_sent, *sent(variant)} if as_sent.get(key) != sent(variant).get(key)}
               for variant in cost.VARIANTS}
    assert changed == {"as-sent": set(), "no-attributes": {"attributes"}, "unmanaged": set(), "no-validators": set(),
                       "flat-path": {"groups"}, "no-default-role": {"realmRoles"}, "unverified": {"emailVerified"}}
    assert sent("flat-path")["groups"] == ["/星辰"]
    assert sent("no-default-role")["realmRoles"] == ["employee"]
    assert planned[0]["realmRoles"][0] == f"default-roles-{cost.SETUP_REALM}"  # the plan itself is left alone

    profile = {"attributes": [{"name": "username", "validations": {"length": {"max": 255}}},
                              {"name": "employee_id", "validations": {}}], "groups": []}
    assert cost.VARIANTS["unmanaged"][1](profile) == {
        "attributes": [profile["attributes"][0]], "groups": [], "unmanagedAttributePolicy": "ENABLED"}
    assert all(not attribute["validations"] for attribute in cost.VARIANTS["no-validators"][1](profile)["attributes"])
