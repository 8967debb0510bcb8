"""groupid's LDAP sync against Keycloak's own LDAP federation, on the same directory and the same machine.

The claim under test: groupid's full sync of a directory of 10,000 people takes at most 1.0× the time of
Keycloak's own full sync of the same directory, and a re-sync gets the lifecycle cases right that the
federation is known to get wrong.

What the script does, in one run:

1. generates the group with ``ldap_data.py`` (``hr_data.py``'s companies, departments and people, as LDIF
   entries, department groups and a nested role group) and bulk-loads it into a throw-away slapd
   (:class:`groupid.localserver.slapd.LocalDirectory`);
2. for each path, on a Keycloak of its own (a fresh ephemeral local one, ``bench-ldap-<path>``; ``--instance``
   gives another prefix), one at a time, in alternating order over ``--repeat`` rounds, and on a fresh copy of
   the directory:

   - **federation**: Keycloak's LDAP user storage (vendor other, READ_ONLY, import on, paged, batches of
     ``--batch``), a user-attribute mapper for each column groupid stores, and two group mappers (the
     department groups; the role groups with their inheritance kept, the role group granting the realm role),
     all configured through the admin REST API with plain ``requests`` (no groupid code). Its **full sync**
     is the two group mappers' syncs and ``triggerFullSync``, timed;
   - **groupid**: the spec applied to a realm (``plan_spec`` + ``apply_plans``, as ``groupid apply`` does;
     not timed), then ``groupid.ldap_sync.sync_ldap`` of the directory into it, timed from the first LDAP
     search to the last write, its admin requests counted (``CountingServer``);
   - **limit**: the spec applied as for groupid, then the accounts groupid's sync creates (found by its dry
     run, not timed) sent through Keycloak's partial import with plain ``requests``, chunked as groupid sends
     them (``--limit-chunk``, ``--limit-parallel``), timed: what Keycloak's own bulk path costs for the same
     payload, with no directory read and no groupid code;
   - **naive**: the same accounts, one ``POST /users`` after the other, as an admin script would (see
     ``ldap_paths.py``);

3. then, on the federation and groupid, four cases, each followed by that path's re-sync and a look at what
   Keycloak holds: 50 **leavers** (entries deleted), 50 **department moves** (departmentNumber changed, the
   department groups' members moved with it), one **renamed** entry (modrdn to a new uid, new employeeNumber
   and cn; the same entryUUID) and a **nested member** (a person added to ``finance-team``, itself a member of
   ``finance-approvers``, which grants ``finance-editor``). The limit and the naive loop have no re-sync.

Everything is printed: each step as it happens, then the machine and versions, the figures per round (wall
time, requests, users/s, the ratios groupid/federation, limit/federation, groupid/limit and naive/groupid with
their spread), whether the limit's accounts are those groupid sent, and the matrix of cases × paths.

    .venv/bin/python bench/ldap_sync.py [--people 10000] [--repeat 2] [--paths federation,groupid,limit,naive]
                                        [--limit-chunk 10] [--limit-parallel 3]
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import platform
import secrets
import shutil
import statistics
import subprocess
import tempfile
import time
from datetime import UTC, datetime
from importlib.metadata import version as package_version
from pathlib import Path

from entry import exit_with
from ldap_data import (
    BASE,
    DEPARTMENTS,
    PEOPLE,
    ROLE,
    ROLES,
    TEAM,
    Directory,
    Person,
    department_dn,
    department_members,
    generate_directory,
    person_dn,
    role_members,
)
from ldap_paths import Groupid, Limit, Naive
from limit import Admin
from plan_scale import groupid_revision, say, server_facts
from rounds import parse_paths, round_order, spread
from sync_paths import AS_OF

from groupid.errors import GroupidError
from groupid.localserver import LocalKeycloak
from groupid.realms.base import IMPORT_CHUNK
from groupid.realms.connection import ConnectionSettings
from groupid.sync.applying import IMPORTERS

TIMEOUT = 1800.0  #: seconds one request may take: a full sync of a large directory is one request
DEFAULT_HEAP = "-Xms512m -Xmx2g"
TARGET_RATIO = 1.0  #: groupid's full sync at most this many times the federation's
CASE_SIZE = 50  #: leavers, and movers
PATHS = ("federation", "groupid", "limit", "naive")
ALIASES = {"both": ("federation", "groupid")}  #: ``--paths`` also takes all
ONE_SHOT = ("limit", "naive")  #: paths with a full sync only: they have no re-sync for the cases
RATIOS = (("groupid", "federation"), ("limit", "federation"), ("groupid", "limit"), ("naive", "groupid"))
CASES = ("leavers", "movers", "rename", "nested")


@dataclasses.dataclass
class Timing:
    """One timed sync of one path."""

    path: str
    round: int
    what: str  #: full or resync
    people: int
    seconds: float
    requests: int
    note: str = ""
    payload: str = ""  #: the fingerprint of the accounts a full sync created (ldap_paths.fingerprint)

    @property
    def rate(self) -> float:
        """Entries per second."""
        return self.people / self.seconds if self.seconds else 0.0


@dataclasses.dataclass
class Verdict:
    """What one path made of one case after its re-sync."""

    path: str
    round: int
    case: str
    right: bool
    observed: str


# -- the directory ------------------------------------------------------------------------------------------


class DirectoryServer:
    """A throw-away slapd holding the generated directory, and the changes the cases make to it.

    Non-root binds get a size limit of ``page`` entries, as Active Directory's MaxPageSize does: both paths
    must page. The department groups' members are tracked here, so that a case can replace them.
    """

    def __init__(self, data: Directory, folder: Path, page: int):
        from groupid.localserver.slapd import LocalDirectory

        self.local = LocalDirectory(BASE, size_limit=page, folder=folder)
        self.ldif = data.ldif
        self.members = department_members(data.people)
        self.team = role_members(data.people)[0]

    def __enter__(self) -> DirectoryServer:
        started = time.perf_counter()
        self.local.load(self.ldif.read_text(encoding="utf-8"), bulk=True)
        self.local.start()
        self.seconds = time.perf_counter() - started
        return self

    def __exit__(self, *exc) -> None:
        self.local.close()

    @property
    def url(self) -> str:
        """The ldap:// URL."""
        return self.local.url

    def move_member(self, dn: str, old: str | None, new: str | None, new_dn: str | None = None) -> None:
        """Take ``dn`` out of department ``old``'s group and put ``new_dn`` (default ``dn``) in ``new``'s."""
        if old:
            self.members[old].remove(dn)
            self.local.modify(department_dn(old), {"member": self.members[old]})
        if new:
            self.members[new].append(new_dn or dn)
            self.local.modify(department_dn(new), {"member": self.members[new]})


@dataclasses.dataclass(frozen=True)
class Cases:
    """Who the cases change: drawn once per run, the same for both paths."""

    leavers: list[Person]
    movers: list[tuple[Person, str]]  #: (person, new department code)
    renamed: Person
    new_id: str
    nested: Person


def draw_cases(directory: Directory) -> Cases:
    """Leavers and movers spread over the directory (heads of departments left out: their reports would point
    at a deleted manager), a renamed staff member and a person who joins the nested group."""
    people = directory.people
    heads = {person.manager for person in people}
    special = set(role_members(people)[0] + role_members(people)[1])
    departments: dict[str, list[str]] = {}
    for person in people:
        codes = departments.setdefault(person.company, [])
        if person.department not in codes:
            codes.append(person.department)
    # movers need a company with another department to move to
    staff = [p for p in people if p.employee_id not in heads and p.dn not in special and len(departments[p.company]) > 1]
    step = max(1, len(staff) // (2 * CASE_SIZE + 2))
    spread = staff[::step]
    size = min(CASE_SIZE, (len(spread) - 2) // 2)
    leavers, moving = spread[:size], spread[size:2 * size]
    movers = []
    for person in moving:
        codes = departments[person.company]
        movers.append((person, codes[(codes.index(person.department) + 1) % len(codes)]))
    renamed, nested = spread[2 * size], spread[2 * size + 1]
    return Cases(leavers, movers, renamed, "XC9" + renamed.employee_id[3:], nested)


def change_directory(case: str, cases: Cases, directory: DirectoryServer) -> None:
    """Make one case's changes in the directory."""
    local = directory.local
    if case == "leavers":
        for p in cases.leavers:
            directory.move_member(p.dn, p.department, None)
            local.delete(p.dn)
    elif case == "movers":
        for p, new in cases.movers:
            local.modify(p.dn, {"departmentNumber": new})
            directory.move_member(p.dn, p.department, new)
    elif case == "rename":
        p, new_id = cases.renamed, cases.new_id
        new_dn = person_dn(new_id, p.company)
        local.rename(p.dn, f"uid={new_id}")
        local.modify(new_dn, {"employeeNumber": new_id, "cn": p.name + "（更名）", "displayName": p.name + "（更名）"})
        directory.move_member(p.dn, p.department, p.department, new_dn)
    elif case == "nested":
        directory.team.append(cases.nested.dn)
        local.modify(TEAM, {"member": directory.team})
    else:
        raise ValueError(case)


# -- the federation ------------------------------------------------------------------------------------------

STORAGE = "org.keycloak.storage.UserStorageProvider"
MAPPER = "org.keycloak.storage.ldap.mappers.LDAPStorageMapper"
ATTRIBUTES = {"employeeNumber": "employee_id", "o": "company_code", "departmentNumber": "department_code",
              "title": "title", "mobile": "phone"}  #: what groupid stores of a person, besides names and email


class Federation:
    """Keycloak's own LDAP federation of the directory in a realm of its own: configured, synced, inspected."""

    path = "federation"
    resyncs = True  #: the path has a re-sync, for the cases

    def __init__(self, admin: Admin, directory: DirectoryServer, realm: str, batch: int):
        self.admin, self.directory, self.realm, self.batch = admin, directory, realm, batch

    def set_up(self) -> str:
        """The realm, its role, the LDAP user storage and its mappers."""
        a, realm = self.admin, self.realm
        a.call("POST", "", "setup", json={"id": realm, "realm": realm, "enabled": True})
        a.call("POST", f"{realm}/roles", "setup", json={"name": ROLE})
        local = self.directory.local
        self.storage = a.call("POST", f"{realm}/components", "setup", json={
            "name": "directory", "providerId": "ldap", "providerType": STORAGE, "parentId": realm,
            "config": {key: [value] for key, value in {
                "enabled": "true", "priority": "0", "vendor": "other", "connectionUrl": local.url,
                "authType": "simple", "bindDn": local.service_dn, "bindCredential": local.service_password,
                "usersDn": PEOPLE, "searchScope": "2", "usernameLDAPAttribute": "uid", "rdnLDAPAttribute": "uid",
                "uuidLDAPAttribute": "entryUUID", "userObjectClasses": "inetOrgPerson",
                "customUserSearchFilter": "", "editMode": "READ_ONLY", "importEnabled": "true",
                "syncRegistrations": "false", "pagination": "true", "batchSizeForSync": str(self.batch),
                "fullSyncPeriod": "-1", "changedSyncPeriod": "-1", "trustEmail": "true",
                "removeInvalidUsersEnabled": "true", "cachePolicy": "DEFAULT", "useTruststoreSpi": "always",
                "connectionPooling": "true", "startTls": "false", "validatePasswordPolicy": "false"}.items()}})
        for ldap_name, name in ATTRIBUTES.items():
            self._mapper(f"{ldap_name} → {name}", "user-attribute-ldap-mapper", {
                "ldap.attribute": ldap_name, "user.model.attribute": name, "read.only": "true",
                "always.read.value.from.ldap": "false", "is.mandatory.in.ldap": "false",
                "is.binary.attribute": "false"})
        self.mappers = [self._mapper(name, "group-ldap-mapper", {
            "groups.dn": base, "group.name.ldap.attribute": "cn", "group.object.classes": "groupOfNames",
            "preserve.group.inheritance": inherit, "ignore.missing.groups": "false",
            "membership.ldap.attribute": "member", "membership.attribute.type": "DN",
            "membership.user.ldap.attribute": "uid", "groups.ldap.filter": "", "mode": "READ_ONLY",
            "user.roles.retrieve.strategy": "LOAD_GROUPS_BY_MEMBER_ATTRIBUTE", "memberof.ldap.attribute": "memberOf",
            "mapped.group.attributes": "", "drop.non.existing.groups.during.sync": "false", "groups.path": "/"})
            for name, base, inherit in (("departments", DEPARTMENTS, "false"), ("roles", ROLES, "true"))]
        return f"a realm, a role, the LDAP storage and {len(ATTRIBUTES) + len(self.mappers)} mappers"

    def _mapper(self, name: str, provider: str, config: dict[str, str]) -> str:
        return self.admin.call("POST", f"{self.realm}/components", "setup", json={
            "name": name, "providerId": provider, "providerType": MAPPER, "parentId": self.storage,
            "config": {key: [value] for key, value in config.items()}})

    def prepare(self) -> str:
        """Nothing to do between the setup and the full sync."""
        return ""

    def sync(self) -> tuple[float, int, str]:
        """The full sync: the group mappers, then the users; (seconds, requests, what Keycloak answered)."""
        before = self.admin.requests
        started = time.perf_counter()
        answers = [self.admin.call("POST", f"{self.realm}/user-storage/{self.storage}/mappers/{mapper}/sync",
                                   "sync", params={"direction": "fedToKeycloak"}) for mapper in self.mappers]
        users = self.admin.call("POST", f"{self.realm}/user-storage/{self.storage}/sync", "sync",
                                params={"action": "triggerFullSync"})
        seconds = time.perf_counter() - started
        note = "users: " + _sync_answer(users) + "; groups: " + "; ".join(_sync_answer(a) for a in answers)
        return seconds, self.admin.requests - before, note

    def after_first_sync(self) -> None:
        """The role group grants the realm role (the group exists once its mapper has synced)."""
        found = self.admin.call("GET", f"{self.realm}/group-by-path/finance-approvers", "setup")
        role = self.admin.call("GET", f"{self.realm}/roles/{ROLE}", "setup")
        self.admin.call("POST", f"{self.realm}/groups/{found['id']}/role-mappings/realm", "setup", json=[role])

    def account(self, employee_id: str) -> list[dict]:
        """The accounts of an employee ID (their username is the uid)."""
        return [u for u in self.admin.find(self.realm, username=employee_id, exact="true")
                if u["username"] == employee_id.lower()]

    def in_department(self, user: dict, code: str) -> bool:
        """Whether the user's groups hold the department's (the group mapper names it by cn, the code)."""
        return any(group["name"] == code for group in self.admin.groups_of(self.realm, user["id"]))


def _sync_answer(answer: dict | None) -> str:
    if not answer:
        return "no answer"
    return answer.get("status") or ", ".join(f"{k} {v}" for k, v in answer.items() if k != "ignored")


# -- the cases -----------------------------------------------------------------------------------------------


def judge(case: str, side, cases: Cases, stored_before: int) -> tuple[bool, str]:
    """Whether Keycloak holds what the directory says after the case's re-sync, and what was seen.

    The stored user count is read first: on the federation every other read of a user checks the entry in
    LDAP, and removes the account when the entry is gone, so the count is what the sync itself left.
    """
    stored = side.admin.user_count(side.realm)
    delta = stored - stored_before
    if case == "leavers":
        found = [side.account(p.employee_id) for p in cases.leavers]
        enabled = sum(1 for accounts in found for u in accounts if u.get("enabled"))
        present = sum(1 for accounts in found if accounts)
        right = enabled == 0 and (delta < 0 or present == len(found))
        return right, (f"{-delta} of {len(cases.leavers)} accounts gone after the sync (stored users {stored_before:,} → "
                       f"{stored:,}); on lookup {present} found, {enabled} enabled; "
                       f"stored users after the lookups {side.admin.user_count(side.realm):,}")
    if case == "movers":
        moved = stayed = missing = 0
        for person, new in cases.movers:
            accounts = side.account(person.employee_id)
            if len(accounts) != 1:
                missing += 1
                continue
            moved += side.in_department(accounts[0], new)
            stayed += side.in_department(accounts[0], person.department)
        return (moved == len(cases.movers) and not stayed and not missing,
                f"{moved} of {len(cases.movers)} in the new department's group, {stayed} still in the old one, "
                f"{missing} without exactly one account")
    if case == "rename":
        old, new = side.account(cases.renamed.employee_id), side.account(cases.new_id)
        right = delta == 0 and not old and len(new) == 1
        return right, (f"stored users {delta:+d} after the sync; accounts: old ID {len(old)}, new ID {len(new)}"
                       + (f" ({new[0]['username']}, {new[0].get('firstName') or ''}{new[0].get('lastName') or ''})"
                          if new else ""))
    if case == "nested":
        accounts = side.account(cases.nested.employee_id)
        roles = side.admin.realm_roles(side.realm, accounts[0]["id"]) if len(accounts) == 1 else set()
        return ROLE in roles, (f"{len(accounts)} account(s); {ROLE} {'among' if ROLE in roles else 'NOT among'} "
                               f"the effective realm roles")
    raise ValueError(case)


# -- one path, one round -------------------------------------------------------------------------------------


def new_side(path: str, admin: Admin, directory: DirectoryServer, realm: str, settings: ConnectionSettings,
             data: Directory, work: Path, args):
    """The object that sets up, syncs and inspects one path."""
    if path == "federation":
        return Federation(admin, directory, realm, args.batch)
    if path == "groupid":
        return Groupid(admin, directory, realm, settings, data, work, args.batch)
    kind = Limit if path == "limit" else Naive
    return kind(admin, directory, realm, settings, data, work, args.batch, chunk=args.limit_chunk,
                parallel=args.limit_parallel)


def run_path(path: str, round_: int, data: Directory, cases: Cases, args, scratch: Path) -> tuple[list[Timing], list[Verdict], dict]:
    """A fresh directory and a fresh Keycloak for one path: its full sync, then (for a path that re-syncs) each
    case and its re-sync."""
    timings, verdicts = [], []
    work = scratch / f"{path}-{round_}"
    work.mkdir()
    local = LocalKeycloak(f"{args.instance}-{path}", ephemeral=True)
    with DirectoryServer(data, work / "directory", args.batch) as directory:
        say(f"[{path} #{round_}] directory loaded and started in {directory.seconds:.1f} s at {directory.url}")
        started = time.perf_counter()
        info = local.start(timeout=600)
        try:
            say(f"[{path} #{round_}] Keycloak {'reused' if info.reused else 'started'} in "
                f"{time.perf_counter() - started:.1f} s")
            settings = ConnectionSettings(server_url=info.url, admin_user=info.admin_user,
                                          admin_password=info.admin_password(), timeout=TIMEOUT)
            facts = server_facts(settings)
            admin = Admin(info.url, info.admin_user, info.admin_password(), TIMEOUT)
            realm = f"bench-ldap-{secrets.token_hex(3)}"
            side = new_side(path, admin, directory, realm, settings, data, work, args)
            before, started = admin.requests, time.perf_counter()
            note = side.set_up()
            timings.append(Timing(path, round_, "setup", 0, time.perf_counter() - started,
                                  admin.requests - before + getattr(side, "setup_requests", 0), note))
            say(f"[{path} #{round_}] set up in {timings[-1].seconds:.1f} s, {timings[-1].requests:,} requests ({note})")
            prepared = side.prepare()
            if prepared:
                say(f"[{path} #{round_}] prepared: {prepared}")
            seconds, sent, note = side.sync()
            side.after_first_sync()
            people = len(data.people)
            stored = admin.user_count(realm)
            timings.append(Timing(path, round_, "full", people, seconds, sent, note, getattr(side, "payload", "")))
            say(f"[{path} #{round_}] full sync of {people:,} entries: {seconds:.1f} s, {sent:,} requests, "
                f"{people / seconds:,.0f} users/s; Keycloak stores {stored:,} users ({note})")
            if stored != people:
                say(f"[{path} #{round_}]     WARNING: {stored:,} users stored, {people:,} entries")
            if hasattr(side, "check"):
                right, observed = side.check()
                say(f"[{path} #{round_}]     check: {'RIGHT' if right else 'WRONG'}: {observed}")
            if not side.resyncs:
                say(f"[{path} #{round_}] re-sync cases: not applicable (it creates what groupid's first sync creates, "
                    f"and has no re-sync)")
            for case in CASES if side.resyncs else ():
                before = admin.user_count(realm)
                change_directory(case, cases, directory)
                seconds, sent, note = side.sync()
                timings.append(Timing(path, round_, f"re-sync after {case}", people, seconds, sent, note))
                right, observed = judge(case, side, cases, before)
                verdicts.append(Verdict(path, round_, case, right, observed))
                say(f"[{path} #{round_}] {case}: re-sync {seconds:.1f} s, {sent:,} requests ({note})\n"
                    f"      {'RIGHT' if right else 'WRONG'}: {observed}")
        finally:
            local.stop()
            say(f"[{path} #{round_}] Keycloak stopped")
    return timings, verdicts, facts


# -- the run -------------------------------------------------------------------------------------------------


def ratio_line(over: str, under: str, full: dict[tuple[str, int], float], what: str = "full sync") -> str | None:
    """The ratio of two paths' times round by round, its median and spread; None when no round ran both."""
    rounds = sorted({r for _, r in full})
    ratios = [full[(over, r)] / full[(under, r)] for r in rounds if (over, r) in full and (under, r) in full]
    if not ratios:
        return None
    return f"ratio {over}/{under} ({what}, per round): {', '.join(f'{r:.2f}×' for r in ratios)}; {spread(ratios, '×')}"


def report(timings: list[Timing], verdicts: list[Verdict]) -> None:
    """The figures per round, the ratios with their spread, the payloads compared, and the matrix of cases."""
    say(f"\n{'path':11} {'round':>5} {'sync':24} {'entries':>8} {'requests':>9} {'seconds':>8} {'users/s':>8}  notes")
    say("-" * 130)
    for t in timings:
        say(f"{t.path:11} {t.round:>5} {t.what:24} {t.people:>8,} {t.requests:>9,} {t.seconds:>8.1f} "
            f"{t.rate:>8,.0f}  {t.note[:80]}")
    say("-" * 130)
    fulls = [t for t in timings if t.what == "full"]
    full = {(t.path, t.round): t.seconds for t in fulls}
    setup = {(t.path, t.round): t.seconds for t in timings if t.what == "setup"}
    for path in PATHS:
        mine = [t for t in fulls if t.path == path]
        if mine:
            seconds = [t.seconds for t in mine]
            say(f"{path}: full sync median {statistics.median(seconds):.1f} s ({min(seconds):.1f}–{max(seconds):.1f} s "
                f"over {len(mine)} rounds), {statistics.median(t.requests for t in mine):,.0f} requests, "
                f"{statistics.median(t.rate for t in mine):,.0f} users/s")
    ratios = [full[("groupid", r)] / full[("federation", r)] for r in sorted({r for _, r in full})
              if ("groupid", r) in full and ("federation", r) in full]
    for over, under in RATIOS:
        line = ratio_line(over, under, full)
        if line and (over, under) == ("groupid", "federation"):
            met = max(ratios) <= TARGET_RATIO
            line += (f" ({'meets' if met else 'MISSES'} the ≤{TARGET_RATIO:.1f}× target in "
                     f"{'every round' if met else f'{sum(r > TARGET_RATIO for r in ratios)} of {len(ratios)} rounds'})")
        if line:
            say(line)
    totals = {key: setup[key] + full[key] for key in full if key in setup}
    line = ratio_line("groupid", "federation", totals, "setup + full sync")
    if line:
        say(line)
    payloads = {(t.path, t.round): t.payload for t in fulls if t.payload}
    for path in ("limit", "naive"):
        same = [(r, payloads[(path, r)] == payloads[("groupid", r)]) for _, r in sorted(payloads)
                if _ == path and ("groupid", r) in payloads]
        if same:
            say(f"payload: the {'limit' if path == 'limit' else 'naive loop'}'s accounts {'equal' if all(s for _, s in same) else 'DIFFER from'} those "
                f"groupid's sync sent ({', '.join(f'round {r}: {payloads[(path, r)]}' for r, _ in same)}; "
                f"groupid: {', '.join(payloads[('groupid', r)] for r, _ in same)})")
    say("\ncase × path (every round):")
    ran = {t.path for t in timings}
    for case in CASES:
        for path in PATHS:
            mine = [v for v in verdicts if v.case == case and v.path == path]
            if mine:
                marks = "/".join("right" if v.right else "WRONG" for v in mine)
                say(f"  {case:8} {path:11} {marks:13} {mine[-1].observed}")
            elif path in ran and path in ONE_SHOT:
                say(f"  {case:8} {path:11} {'n/a':13} not applicable: it creates what groupid's first sync creates, "
                    f"and has no re-sync")
    say("requests: admin REST requests (token requests not counted); seconds: wall time of the sync; limit and naive:"
        " groupid's accounts sent by plain requests, the directory read and planned before the timing")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--people", type=int, default=10_000, help="people in the directory (default 10000)")
    parser.add_argument("--departments", type=int, default=None, help="departments (default people / 20)")
    parser.add_argument("--companies", type=int, default=10, help="companies (default 10)")
    parser.add_argument("--repeat", type=int, default=2, help="rounds of the paths, order alternated (default 2)")
    parser.add_argument("--paths", type=lambda text: parse_paths(text, PATHS, ALIASES), default=PATHS, help=f"which paths, comma-separated: "
                        f"{', '.join(PATHS)}; or all (the default), or both (federation,groupid)")
    parser.add_argument("--batch", type=int, default=1000, help="page size of both paths: the federation's batchSizeForSync, groupid's page_size, and the "
                        "directory's size limit for the service account (default 1000, AD's MaxPageSize)")
    parser.add_argument("--limit-chunk", type=int, default=IMPORT_CHUNK, help=f"accounts per partial import of the limit "
                        f"(default {IMPORT_CHUNK}, as groupid; 0: all in one request)")
    parser.add_argument("--limit-parallel", type=int, default=IMPORTERS, help=f"parts of the limit's accounts sent at once, "
                        f"each a request after the other (default {IMPORTERS}, as groupid)")
    parser.add_argument("--heap", default=None, help=f"Keycloak's heap (default JAVA_OPTS_KC_HEAP, else '{DEFAULT_HEAP}')")
    parser.add_argument("--instance", default="bench-ldap", help="prefix of the local Keycloaks' instance names "
                        "(default bench-ldap: bench-ldap-federation, …)")
    parser.add_argument("--seed", type=int, default=1, help="seed of the generated group (default 1)")
    args = parser.parse_args(argv)
    departments = args.departments or max(args.companies, args.people // 20)
    if args.people < 2 * CASE_SIZE or args.repeat < 1:
        parser.error(f"--people must be at least {2 * CASE_SIZE}, --repeat at least 1")
    if args.limit_chunk < 0 or args.limit_parallel < 1:
        parser.error("--limit-chunk must be 0 or more, --limit-parallel at least 1")
    os.environ["JAVA_OPTS_KC_HEAP"] = args.heap or os.environ.get("JAVA_OPTS_KC_HEAP") or DEFAULT_HEAP
    paths = args.paths
    scratch = Path(tempfile.mkdtemp(prefix="groupid-bench-ldap-"))
    try:
        data = generate_directory(scratch / "data", args.people, departments, args.companies, args.seed, AS_OF)
        cases = draw_cases(data)
        say(f"LDAP sync benchmark: {len(data.people):,} entries, {data.companies} companies, {data.departments:,} "
            f"departments ({data.department_groups:,} department groups), generated in {data.seconds:.1f} s")
        facts = {
            "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
            "client cores": str(os.cpu_count()),
            "load average at start": " ".join(f"{x:.2f}" for x in os.getloadavg()),
            "keycloak heap": os.environ["JAVA_OPTS_KC_HEAP"],
            "slapd": slapd_version(),
            "python": platform.python_version(),
            "groupid": f"{package_version('groupid')}, revision {groupid_revision()}",
        }
        timings: list[Timing] = []
        verdicts: list[Verdict] = []
        for round_ in range(1, args.repeat + 1):
            for path in round_order(paths, round_):
                t, v, more = run_path(path, round_, data, cases, args, scratch)
                timings += t
                verdicts += v
                facts.update(more)
        say()
        for key, value in facts.items():
            say(f"  {key:22} {value}")
        report(timings, verdicts)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return 0


def slapd_version() -> str:
    """slapd's version line."""
    try:
        done = subprocess.run(["slapd", "-VV"], capture_output=True, text=True, timeout=10)
    except OSError:
        return "not found"
    text = (done.stderr or done.stdout).strip().splitlines()
    return text[0].split("$OpenLDAP:")[-1].split("(")[0].strip() if text else "?"


if __name__ == "__main__":
    exit_with(main, GroupidError)
