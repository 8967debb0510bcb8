"""The paths of the HR sync benchmark (``sync_scale.py``). Each runs on a fresh Keycloak of its own, whose realm
it first gives the spec's groups and roles (not part of any claim):

- **groupid** (:func:`groupid_path`): the spec applied as ``groupid apply`` does it (``plan_spec`` +
  ``apply_plans``); the first read of the realm, cold, timed on its own; then ``groupid.hr_sync.sync_hr`` of the
  whole export (the initial load), of the same export again (the no-change re-sync), and of the export with 1%
  of its people changed (``hr_data.change_export``). Each sync runs in a child process of its own, started
  with ``spawn``, which reports its time, its requests, its peak memory and its own CPU;
- **limit** (:func:`limit_path`): the spec applied the same way; the accounts groupid would create, from its
  dry-run plan (not timed; it makes the realm's cold read too); then Keycloak's own paths with plain
  ``requests`` (``limit.py``): those accounts through ``POST /partialImport`` as groupid sends them, every
  user read back as groupid's re-sync reads them, and the member list of every group;
- **naive** (:func:`naive_path`): the spec imported in one ``POST /admin/realms`` (faster, and not measured);
  then the export's first ``--sample`` people created one after the other, one ``POST /users`` and one
  ``PUT /users/{id}/groups/{groupId}`` each, with the sync's own representations.

Every timed step reads the CPU seconds of Keycloak (and PostgreSQL) and of the client around it (``cpu.py``).
"""

from __future__ import annotations

import csv
import dataclasses
import multiprocessing
import resource
import sys
import time
from datetime import date
from pathlib import Path

from cpu import Meter, Span, span
from hr_data import Changed, Generated
from limit import Admin, fingerprint, planned_accounts, read_members, read_users, send_accounts
from plan_scale import CountingServer, say, settled
from servers import TIMEOUT

from groupid.apply import apply_plans
from groupid.errors import GroupidError
from groupid.operations import plan_spec
from groupid.realms.connection import ConnectionSettings
from groupid.realms.keycloak import KeycloakServer
from groupid.spec import load_spec
from groupid.state import compile_realms, realm_representation

AS_OF = date(2026, 1, 1)  #: the day the syncs treat as today; every generated start date is before it
CREATING = ("load", "import", "naive")  #: the steps that create accounts; the others read them
CLAIMED = ("cold", "load", "resync", "changed", "import", "read", "members", "naive")  #: the timed steps, in order


@dataclasses.dataclass
class Figure:
    """One step of one path, in one round on one database."""

    db: str
    round: int
    path: str  #: groupid, limit or naive
    step: str  #: apply, cold, load, resync, changed (groupid); apply, plan, import, read (limit); setup, naive
    what: str
    people: int  #: the accounts the step created or read
    seconds: float
    requests: int | None = None
    writes: int | None = None
    reads: int | None = None  #: requests that wrote nothing (groupid's syncs: its bookkeeping left out too)
    peak_rss: int | None = None  #: bytes
    cpu: dict[str, float] = dataclasses.field(default_factory=dict)  #: keycloak, postgres, client: seconds
    payload: str = ""  #: the fingerprint of the accounts it created (limit.fingerprint)

    @property
    def rate(self) -> float:
        """Accounts per second."""
        return self.people / self.seconds if self.seconds else 0.0

    def per_account(self, side: str) -> float | None:
        """CPU milliseconds of ``side`` per account created or read, when it was measured."""
        seconds = self.cpu.get(side)
        return None if seconds is None or not self.people else 1000 * seconds / self.people


@dataclasses.dataclass(frozen=True)
class Run:
    """One path's run: its fresh Keycloak, the data, and where it stands."""

    db: str
    round: int
    path: str
    settings: ConnectionSettings
    meter: Meter
    data: Generated
    changed: Changed
    scratch: Path
    sample: int  #: people in the naive loop

    def say(self, text: str) -> None:
        """A line of progress, tagged with the database, the path and the round."""
        say(f"[{self.db} {self.path} #{self.round}] {text}")

    def figure(self, step: str, what: str, people: int, timed: Span | float, **more) -> Figure:
        """A figure of this run, from a :class:`~cpu.Span` (its time and CPU, unless ``more`` gives them) or a
        wall time alone."""
        if isinstance(timed, Span):
            more.setdefault("cpu", timed.cpu)
            more.setdefault("seconds", timed.seconds)
        else:
            more.setdefault("seconds", timed)
        return Figure(self.db, self.round, self.path, step, what, people, **more)


# -- the realm -----------------------------------------------------------------------------------------------


def apply_spec(settings: ConnectionSettings, data, realm: str) -> tuple[float, int]:
    """Apply ``data.spec`` to ``realm`` as ``groupid apply`` does; return (seconds, requests)."""
    server = KeycloakServer(settings)
    started = time.perf_counter()
    plans = plan_spec(data.spec, server, realm=realm)
    results = apply_plans(plans, server)
    seconds = time.perf_counter() - started
    if not sum(len(result.done) for result in results):
        raise SystemExit(f"applying the spec to {realm} changed nothing")
    return seconds, server.requests


def applied(run: Run, realm: str) -> Figure:
    """The spec applied to the run's realm, as a figure (no claim)."""
    seconds, requests = apply_spec(run.settings, run.data, realm)
    run.say(f"spec applied to {realm}: {requests:,} requests, {seconds:.1f} s (not part of the claims)")
    return run.figure("apply", "spec applied (no claim)", 0, seconds, requests=requests)


def check_load(settings: ConnectionSettings, realm: str, expected: int) -> str:
    """Keycloak's user count, and one user's attributes and group, after the initial load."""
    server = KeycloakServer(settings)
    count = server.transport.request("GET", f"admin/realms/{realm}/users/count", "count users")
    if count != expected:
        raise SystemExit(f"after the initial load Keycloak counts {count:,} users in {realm}, expected {expected:,}")
    user = server.transport.request("GET", f"admin/realms/{realm}/users", "find a user",
                                    params={"q": "employee_id:XC000002", "briefRepresentation": "false"})
    if len(user) != 1:
        raise SystemExit(f"no single user with employee_id XC000002 in {realm}")
    attributes = user[0].get("attributes") or {}
    groups = server.transport.request("GET", f"admin/realms/{realm}/users/{user[0]['id']}/groups", "read a user's groups")
    missing = [name for name in ("employee_id", "company_code", "department_code", "manager_id", "phone")
               if not attributes.get(name)]
    if missing or len(groups) != 1:
        raise SystemExit(f"user {user[0]['username']}: attributes missing {missing}, groups {[g['path'] for g in groups]}")
    return (f"Keycloak counts {count:,} users; XC000002 is {user[0]['username']}, "
            f"in {groups[0]['path']}, manager {attributes['manager_id'][0]}")


# -- groupid's sync, in a child process ----------------------------------------------------------------------


def _sync_child(connection, settings: ConnectionSettings, meter: Meter, paths: dict, realm: str, dry_run: bool,
                tuning: dict) -> None:
    """Run one sync and send back its figures: what it did, its requests, its time, the servers' CPU and its own,
    its peak memory, and the fingerprint of the accounts it created. ``tuning`` sets module constants first
    (``{"groupid.realms.keycloak.people.MEMBER_LISTS_WAIT": True}``), for the benchmarks that compare them."""
    import importlib

    from groupid.hr_sync import sync_hr
    from groupid.sync import SyncOptions

    for name, value in tuning.items():
        module, constant = name.rsplit(".", 1)
        target = importlib.import_module(module)
        if not hasattr(target, constant):  # a misspelt name would make the arm the same as the default silently
            connection.send({"error": f"no constant {name} to set"})
            connection.close()
            return
        setattr(target, constant, value)

    # ru_maxrss is in KiB on Linux (bytes on macOS)
    scale = 1 if sys.platform == "darwin" else 1024
    peak = None
    try:
        server = CountingServer(settings)
        with span(meter) as timed:
            result = sync_hr(paths["export"], paths["spec"], paths["mapping"], server,
                             options=SyncOptions(realm=realm, today=AS_OF, dry_run=dry_run))
        settled(server)
        # the sync's own peak, before the fingerprint below builds every account it created once more
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * scale
        answer = {"seconds": timed.seconds, "cpu": timed.cpu, "counts": dict(result.counts()),
                  "writes": result.writes, "bookkeeping": result.bookkeeping, "requests": server.requests,
                  "kinds": dict(server.kinds), "kind_seconds": dict(server.kind_seconds),
                  "exit_code": int(result.exit_code), "read_path": server.reader.last_path}
        # The accounts of the plan that was applied: tests/test_bench.py shows they are what the sync sends.
        default = server.transport.request("GET", f"admin/realms/{realm}", "read the realm")["defaultRole"]["name"]
        accounts = planned_accounts(result.plan, default)
        answer["payload"] = fingerprint(accounts, realm) if accounts else ""
        answer["accounts"] = accounts if dry_run else None  # the limit sends them
    except GroupidError as exc:
        answer = {"error": f"{type(exc).__name__}: {exc}"}
    answer["peak_rss"] = peak or resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * scale
    connection.send(answer)
    connection.close()


def run_sync(run: Run, realm: str, export: Path, dry_run: bool = False, tuning: dict | None = None) -> dict:
    """``sync_hr`` of ``export`` into ``realm``, in a fresh process (so that its memory and CPU are its own), with
    the module constants ``tuning`` names set in it."""
    context = multiprocessing.get_context("spawn")  # not fork: the child must not start with our memory
    receiver, sender = context.Pipe(duplex=False)
    paths = {"export": str(export), "spec": str(run.data.spec), "mapping": str(run.data.mapping)}
    # daemon: stopped with the script, whatever ends it
    child = context.Process(target=_sync_child, args=(sender, run.settings, run.meter, paths, realm, dry_run, tuning or {}),
                            name="groupid-sync", daemon=True)
    child.start()
    sender.close()
    try:
        answer = receiver.recv()
    except EOFError:
        answer = {"error": "the sync process died without an answer"}
    child.join()
    if "error" in answer:
        raise SystemExit(f"sync into {realm} failed: {answer['error']}")
    return answer


def synced(run: Run, step: str, what: str, people: int, answer: dict) -> Figure:
    """A figure of one sync, from the child's answer."""
    reads = answer["requests"] - answer["writes"] - answer["bookkeeping"]
    return run.figure(step, what, people, answer["seconds"], requests=answer["requests"], writes=answer["writes"],
                      reads=reads, peak_rss=answer["peak_rss"], cpu=answer["cpu"], payload=answer["payload"])


def groupid_path(run: Run) -> list[Figure]:
    """The spec applied, the cold read, the initial load, the no-change re-sync and the 1% re-sync."""
    realm = "bench-groupid"
    figures = [applied(run, realm)]

    # The first read of a realm after thousands of groups were written takes minutes while Keycloak fills its
    # caches (docs/benchmarks.md, "the cold read"), whoever reads. It is measured on its own, not in the load.
    reader = KeycloakServer(run.settings)
    with span(run.meter) as timed:
        reader.read(realm)
    figures.append(run.figure("cold", "first read of the realm (cold)", 0, timed, requests=reader.requests))
    run.say(f"first read of {realm} after the apply (cold): {reader.requests} requests, {timed.seconds:.1f} s "
            f"({reader.reader.last_path}){settled(reader)}")

    people = run.data.people
    run.say(f"initial load of {people:,} people …")
    load = run_sync(run, realm, run.data.export)
    created = load["counts"].get("create", 0)
    figures.append(synced(run, "load", "initial load", created, load))
    run.say(f"initial load: {created:,} created, {load['requests']:,} requests, {load['writes']:,} writes, "
            f"{load['seconds']:.1f} s, {figures[-1].rate:,.1f} users/s; {cpu_text(figures[-1])}; peak memory "
            f"{load['peak_rss'] / 2**20:,.0f} MiB; payload {load['payload']}")
    if created != people:
        raise SystemExit(f"the initial load created {created:,} of {people:,} people: {load['counts']}")
    run.say(f"    requests: {kinds(load)}")
    run.say(f"    check: {check_load(run.settings, realm, people)}")

    again = run_sync(run, realm, run.data.export)
    figures.append(synced(run, "resync", "no-change re-sync", people, again))
    run.say(f"no-change re-sync: {again['writes']:,} writes, {again['requests']:,} requests, {again['seconds']:.1f} s; "
            f"{cpu_text(figures[-1])}; peak memory {again['peak_rss'] / 2**20:,.0f} MiB ({counted(again['counts'])})")
    run.say(f"    requests: {kinds(again)}")

    changed = run.changed
    moved = run_sync(run, realm, changed.export)
    figures.append(synced(run, "changed", "re-sync, 1% changed", people, moved))
    run.say(f"re-sync with {changed.titles + changed.moves:,} people changed ({changed.titles} new titles, "
            f"{changed.moves} moved): {moved['writes']:,} writes, {moved['requests']:,} requests, {moved['seconds']:.1f} s; "
            f"{cpu_text(figures[-1])} ({counted(moved['counts'])})")
    run.say(f"    requests: {kinds(moved)}")
    return figures


# -- Keycloak's own limit ------------------------------------------------------------------------------------


def limit_path(run: Run) -> list[Figure]:
    """The spec applied, groupid's accounts planned (its dry run), sent through the partial import with plain
    ``requests``, then every user read back the same way."""
    realm = "bench-limit"
    figures = [applied(run, realm)]
    plan = run_sync(run, realm, run.data.export, dry_run=True)
    accounts = plan["accounts"]
    figures.append(run.figure("plan", "dry run: the accounts to send", 0, plan["seconds"],
                              requests=plan["requests"], payload=plan["payload"]))
    run.say(f"{len(accounts):,} accounts planned by groupid's dry run in {plan['seconds']:.1f} s (the realm's cold "
            f"read among its {plan['requests']:,} requests; not part of the limit); payload {plan['payload']}")

    admin = Admin(run.settings.server_url, run.settings.admin_user, run.settings.admin_password, TIMEOUT)
    with span(run.meter) as timed:
        sent = send_accounts(admin, realm, accounts)
    stored = admin.user_count(realm)
    figures.append(run.figure("import", "partial imports", len(accounts), timed, requests=sent.requests,
                              writes=sent.requests, payload=plan["payload"], seconds=sent.seconds))
    run.say(f"limit: {len(accounts):,} accounts in {sent.seconds:.1f} s, {figures[-1].rate:,.1f} users/s "
            f"({sent.describe()}); {cpu_text(figures[-1])}; Keycloak stores {stored:,} users")
    if sent.added != len(accounts) or stored != len(accounts):
        raise SystemExit(f"the limit added {sent.added:,} of {len(accounts):,} accounts; Keycloak stores {stored:,}")

    with span(run.meter) as timed:
        read = read_users(admin, realm)
    figures.append(run.figure("read", "raw read of every user", read.users, timed, requests=read.requests,
                              reads=read.requests, seconds=read.seconds))
    run.say(f"raw read: {read.users:,} users in {read.requests:,} requests, {read.seconds:.1f} s; {cpu_text(figures[-1])}")
    if read.users != stored:
        raise SystemExit(f"the raw read found {read.users:,} users; Keycloak stores {stored:,}")

    # Who is in which group is in no list of users: a request per group, whoever asks (groupid reads them too)
    group_ids = admin.group_ids(realm)
    with span(run.meter) as timed:
        members = read_members(admin, realm, group_ids)
    figures.append(run.figure("members", "raw member lists of every group", read.users, timed,
                              requests=members.requests, reads=members.requests, seconds=members.seconds))
    run.say(f"raw member lists: {len(group_ids):,} groups, {members.users:,} memberships in {members.requests:,} "
            f"requests, {members.seconds:.1f} s; {cpu_text(figures[-1])}")
    if members.users != stored:
        raise SystemExit(f"the member lists hold {members.users:,} memberships; each of the {stored:,} users has one")
    return figures


# -- the naive loop ------------------------------------------------------------------------------------------


def write_sample(data: Generated, size: int, into: Path) -> Path:
    """The export's header and first ``size`` rows, as a file of its own (same encoding)."""
    sample = into / "sample.csv"
    with open(data.export, encoding="utf-8-sig", newline="") as source, \
            open(sample, "w", encoding="utf-8-sig", newline="") as target:
        reader, writer = csv.reader(source), csv.writer(target)
        for index, row in enumerate(reader):
            if index > size:
                break
            writer.writerow(row)
    return sample


def naive_path(run: Run) -> list[Figure]:
    """The spec imported, then the sample's people created one by one with the sync's own representations (its
    dry-run plan of the sample against the empty realm, not timed), each then put in its group by id."""
    from groupid.hr_sync import sync_hr
    from groupid.sync import SyncOptions

    realm = "bench-naive"
    group = load_spec(run.data.spec).model_copy(update={"realm": realm})
    started = time.perf_counter()
    KeycloakServer(run.settings).import_realm(realm_representation(compile_realms(group)[0]))
    figures = [run.figure("setup", "spec imported (no claim)", 0, time.perf_counter() - started,
                          requests=1)]
    run.say(f"spec imported as {realm}: 1 request, {figures[-1].seconds:.1f} s (not part of the claims)")

    sample = write_sample(run.data, min(run.sample, run.data.people), run.scratch)
    planner = KeycloakServer(run.settings)
    plan = sync_hr(sample, run.data.spec, run.data.mapping, planner,
                   options=SyncOptions(realm=realm, dry_run=True, today=AS_OF)).plan
    creates = [change.create for change in plan.changes if change.create is not None]
    ids = {path: group_id for group_id, path in planner.read(realm).paths().items()}
    server = KeycloakServer(run.settings)
    with span(run.meter) as timed:
        for representation in creates:
            body = {key: value for key, value in representation.items() if key != "groups"}
            user_id = server.create_user(realm, body)
            for path in representation.get("groups", []):
                server.add_member(realm, ids[path], user_id)
    requests = server.requests
    count = server.transport.request("GET", f"admin/realms/{realm}/users/count", "count users")
    if count != len(creates):
        raise SystemExit(f"naive loop: Keycloak counts {count} users in {realm}, {len(creates)} were created")
    figures.append(run.figure("naive", "one by one: create + membership", len(creates), timed,
                              requests=requests, writes=requests))
    run.say(f"naive: {len(creates):,} people, {figures[-1].requests:,} requests, {timed.seconds:.1f} s, "
            f"{figures[-1].rate:.1f} users/s; {cpu_text(figures[-1])}")
    return figures


PATHS = {"groupid": groupid_path, "limit": limit_path, "naive": naive_path}


# -- words ---------------------------------------------------------------------------------------------------


def kinds(answer: dict) -> str:
    """Where a sync's requests went, and their seconds (summed over the threads that sent them at once)."""
    counts, seconds = answer["kinds"], answer["kind_seconds"]
    return ", ".join(f"{count:,} {kind} ({seconds[kind]:.1f} s)"
                     for kind, count in sorted(counts.items(), key=lambda item: -seconds[item[0]]))


def counted(counts: dict) -> str:
    """A sync's counts, in words."""
    return ", ".join(f"{name} {value:,}" for name, value in sorted(counts.items()) if value) or "nothing"


def cpu_text(figure: Figure) -> str:
    """The CPU a step took on each side, in words."""
    sides = {"keycloak": "Keycloak", "postgres": "PostgreSQL", "client": "client"}
    return "CPU " + ", ".join(f"{name} {figure.cpu[side]:.1f} s" for side, name in sides.items() if side in figure.cpu)

