"""How fast groupid's HR sync loads 100,000 people into Keycloak, what a no-change re-sync costs, and how much
memory the sync takes.

The claims under test (item "Performance" of the HR sync):

- the initial load creates users in bulk (partial import with ``ifResourceExists: SKIP``, in chunks) and is
  at least 10× faster, in users per second, than a naive per-user loop;
- a re-sync of the same export writes nothing;
- the sync process stays under 1 GiB of memory at 100,000 people.

What the script does, in one run, for each database asked for (``--db``):

1. generates the group with ``hr_data.py`` (50 companies, 5,000 departments, ``--people`` people) into a
   temporary directory;
2. starts its own Keycloak: an ephemeral local one on Keycloak's dev database (in-memory H2), or one on
   PostgreSQL, which ``postgres.py`` starts for it (Debian's postgresql, on loopback, in a temporary
   directory);
3. applies the spec to a realm with ``groupid.operations.plan_spec`` and ``groupid.apply.apply_plans``; the
   baseline's realm gets the same content through Keycloak's own realm import (one request instead of one
   per group, and not measured);
4. measures:

   a. the **naive baseline** on a sample of ``--sample`` people (the export's first rows) in the second realm:
      one ``POST /users`` and one ``PUT /users/{id}/groups/{groupId}`` per person, one after the other, the way
      a naive syncer does it. The users are exactly those the sync would create (the sync's own dry-run plan
      of the sample gives them); planning them and looking the group ids up are not timed. The realm is then
      deleted;
   b. the **initial load**: ``groupid.hr_sync.sync_hr`` on the whole export into the first realm, from reading
      the file to the last write. Users per second, and the ratio against (a). The first read of a realm
      after thousands of groups were written is slow whoever reads it (Keycloak fills its caches): the script
      makes it before (b) and shows its time on a line of its own;
   c. the **no-change re-sync**: the same call again. Wall time and writes (``result.writes``);
   d. the **peak memory** of the sync: each sync runs in a child process of its own, which reports its
      ``ru_maxrss`` (peak resident set size).

   After (b) the script checks Keycloak's user count and one user's attributes and group. For (b) and (c) it
   prints where the requests went, by kind, with the seconds they took (summed over the threads that sent
   them at once).

Everything is printed, and a table at the end. Request counts are admin REST requests (the sign-in's token
requests are not counted).

    .venv/bin/python bench/sync_scale.py [--people 100000] [--departments 5000] [--db dev|postgres|both]
"""

from __future__ import annotations

import argparse
import csv
import dataclasses
import multiprocessing
import os
import platform
import resource
import secrets
import shutil
import sys
import tempfile
import time
from datetime import UTC, date, datetime
from importlib.metadata import version as package_version
from pathlib import Path

from hr_data import Generated, generate
from plan_scale import CountingServer, groupid_revision, say, server_facts
from postgres import LocalPostgres, PostgresError

from groupid.apply import apply_plans
from groupid.errors import GroupidError
from groupid.localserver import LocalKeycloak
from groupid.operations import plan_spec
from groupid.realms.connection import ConnectionSettings
from groupid.realms.keycloak import KeycloakServer
from groupid.spec import load_spec
from groupid.state import compile_realms, realm_representation

AS_OF = date(2026, 1, 1)  #: the day the syncs treat as today; every generated start date is before it
TIMEOUT = 900.0  #: seconds one request may take: the spec's apply and a cold partial import are slow
DEFAULT_HEAP = "-Xms512m -Xmx3g"  #: the dev database lives in Keycloak's heap: 100,000 users need room
TARGET_RATIO = 10.0
TARGET_MEMORY = 2**30


@dataclasses.dataclass
class Figure:
    """One measurement of one database."""

    db: str
    kind: str  #: apply, naive, load or resync
    what: str
    people: int
    seconds: float
    requests: int | None = None
    writes: int | None = None
    peak_rss: int | None = None  #: bytes
    note: str = ""

    @property
    def rate(self) -> float:
        """People per second."""
        return self.people / self.seconds if self.seconds else 0.0


# -- the sync, in a child process ---------------------------------------------------------------------------


def _sync_child(connection, settings: ConnectionSettings, data: dict, realm: str) -> None:
    """Run one sync and send back its figures: what it did, its requests, its time and its peak memory."""
    from groupid.hr_sync import sync_hr
    from groupid.sync import SyncOptions

    try:
        server = CountingServer(settings)
        started = time.perf_counter()
        result = sync_hr(data["export"], data["spec"], data["mapping"], server,
                         options=SyncOptions(realm=realm, today=AS_OF))
        seconds = time.perf_counter() - started
        answer = {"seconds": seconds, "counts": dict(result.counts()), "writes": result.writes,
                  "requests": server.requests, "kinds": dict(server.kinds), "kind_seconds": dict(server.kind_seconds), "exit_code": int(result.exit_code)}
    except GroupidError as exc:
        answer = {"error": f"{type(exc).__name__}: {exc}"}
    # ru_maxrss is in KiB on Linux (bytes on macOS)
    scale = 1 if sys.platform == "darwin" else 1024
    answer["peak_rss"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * scale
    connection.send(answer)
    connection.close()


def run_sync(settings: ConnectionSettings, data: Generated, realm: str) -> dict:
    """``sync_hr`` of the whole export into ``realm``, in a fresh process (so its peak memory is its own)."""
    context = multiprocessing.get_context("spawn")  # not fork: the child must not start with our memory
    receiver, sender = context.Pipe(duplex=False)
    paths = {"export": str(data.export), "spec": str(data.spec), "mapping": str(data.mapping)}
    child = context.Process(target=_sync_child, args=(sender, settings, paths, realm), name="groupid-sync")
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


# -- the naive baseline -------------------------------------------------------------------------------------


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


def measure_naive(settings: ConnectionSettings, data: Generated, sample: Path, realm: str) -> tuple[float, int, int]:
    """Create the sample's people one by one; return (seconds, people, requests).

    The representations are the sync's own (its dry-run plan of the sample against the empty realm), so both
    sides create the same users with the same attributes; each user is then put in its group by id.
    """
    from groupid.hr_sync import sync_hr
    from groupid.sync import SyncOptions

    planner = KeycloakServer(settings)
    plan = sync_hr(sample, data.spec, data.mapping, planner,
                   options=SyncOptions(realm=realm, dry_run=True, today=AS_OF)).plan
    creates = [change.create for change in plan.changes if change.create is not None]
    ids = {path: group_id for group_id, path in planner.read(realm).paths().items()}
    server = KeycloakServer(settings)
    started = time.perf_counter()
    for representation in creates:
        body = {key: value for key, value in representation.items() if key != "groups"}
        user_id = server.create_user(realm, body)
        for path in representation.get("groups", []):
            server.add_member(realm, ids[path], user_id)
    seconds = time.perf_counter() - started
    count = server.transport.request("GET", f"admin/realms/{realm}/users/count", "count users")
    if count != len(creates):
        raise SystemExit(f"naive baseline: Keycloak counts {count} users in {realm}, {len(creates)} were created")
    return seconds, len(creates), server.requests


# -- one database -------------------------------------------------------------------------------------------


def apply_spec(settings: ConnectionSettings, data: Generated, realm: str) -> tuple[float, int]:
    """Apply the spec to ``realm`` as ``groupid apply`` does; return (seconds, requests)."""
    server = KeycloakServer(settings)
    started = time.perf_counter()
    plans = plan_spec(data.spec, server, realm=realm)
    results = apply_plans(plans, server)
    seconds = time.perf_counter() - started
    applied = sum(len(result.done) for result in results)
    if not applied:
        raise SystemExit(f"applying the spec to {realm} changed nothing")
    return seconds, server.requests


def import_spec(settings: ConnectionSettings, data: Generated, realm: str) -> float:
    """The same realm as :func:`apply_spec` makes, in one ``POST /admin/realms`` (much faster); return seconds."""
    group = load_spec(data.spec).model_copy(update={"realm": realm})
    started = time.perf_counter()
    KeycloakServer(settings).import_realm(realm_representation(compile_realms(group)[0]))
    return time.perf_counter() - started


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


def measure_database(db: str, settings: ConnectionSettings, data: Generated, args, scratch: Path) -> list[Figure]:
    """Every measurement against one Keycloak; the realms are deleted at the end unless ``--keep``."""
    tag = secrets.token_hex(3)
    realm, naive_realm = f"bench-sync-{tag}", f"bench-naive-{tag}"
    seconds, requests = apply_spec(settings, data, realm)
    say(f"[{db}] spec applied to {realm}: {requests:,} requests, {seconds:.1f} s")
    figures = [Figure(db, "apply", "apply the spec (plan_spec + apply_plans)", 0, seconds, requests,
                      note=f"{data.companies} companies, {data.departments:,} departments")]
    seconds = import_spec(settings, data, naive_realm)
    say(f"[{db}] spec imported as {naive_realm} for the baseline: 1 request, {seconds:.1f} s")

    # (a) the baseline first, in its own realm, while the database holds no other users
    sample = write_sample(data, min(args.sample, data.people), scratch)
    seconds, people, requests = measure_naive(settings, data, sample, naive_realm)
    naive = Figure(db, "naive", "naive per-user create + membership", people, seconds, requests, requests,
                   note=f"sample: the export's first {people:,} people, one after the other")
    figures.append(naive)
    say(f"[{db}] (a) naive: {people:,} people, {requests:,} requests, {seconds:.1f} s, {naive.rate:.1f} users/s")
    KeycloakServer(settings).delete_realm(naive_realm)

    # The first read of a realm after thousands of groups were written takes minutes while Keycloak fills its
    # caches (docs/benchmarks.md, "the cold read"), whoever reads. It is measured on its own, not in (b).
    reader = KeycloakServer(settings)
    started = time.perf_counter()
    reader.read(realm)
    cold = Figure(db, "cold", "first read of the realm after the apply", 0, time.perf_counter() - started,
                  reader.requests, note="cold: Keycloak fills its caches; not part of (b)")
    figures.append(cold)
    say(f"[{db}] first read of {realm} after the apply (cold): {cold.requests} requests, {cold.seconds:.1f} s")

    # (b) the initial load
    say(f"[{db}] (b) initial load of {data.people:,} people into {realm} …")
    load = run_sync(settings, data, realm)
    created = load["counts"].get("create", 0)
    imports = load["kinds"].get("POST partialImport", 0)
    import_seconds = load["kind_seconds"].get("POST partialImport", 0.0)
    initial = Figure(db, "load", "groupid sync: initial load", created, load["seconds"], load["requests"], load["writes"],
                     load["peak_rss"], note=f"{_counts(load['counts'])}; {imports} partial imports, "
                     f"{import_seconds:.1f} s summed over the threads that sent them")
    figures.append(initial)
    ratio = initial.rate / naive.rate if naive.rate else float("inf")
    say(f"[{db}] (b) initial load: {created:,} created, {load['requests']:,} requests, {load['writes']:,} writes, "
        f"{load['seconds']:.1f} s, {initial.rate:.1f} users/s ({ratio:.1f}× the naive loop); "
        f"peak memory {load['peak_rss'] / 2**20:,.0f} MiB")
    if created != data.people:
        raise SystemExit(f"the initial load created {created:,} of {data.people:,} people: {load['counts']}")
    say(f"[{db}]     requests: {_kinds(load)}")
    say(f"[{db}]     check: {check_load(settings, realm, data.people)}")

    # (c) the no-change re-sync
    again = run_sync(settings, data, realm)
    resync = Figure(db, "resync", "groupid sync: no-change re-sync", data.people, again["seconds"], again["requests"],
                    again["writes"], again["peak_rss"], note=_counts(again["counts"]))
    figures.append(resync)
    say(f"[{db}] (c) re-sync: {again['writes']:,} writes, {again['requests']:,} requests, {again['seconds']:.1f} s; "
        f"peak memory {again['peak_rss'] / 2**20:,.0f} MiB ({_counts(again['counts'])})")
    say(f"[{db}]     requests: {_kinds(again)}")

    if args.keep:
        say(f"[{db}] kept realm {realm}")
    else:
        started = time.perf_counter()
        KeycloakServer(settings).delete_realm(realm)
        say(f"[{db}] deleted realm {realm} in {time.perf_counter() - started:.1f} s")
    return figures


def _number(value: int | None) -> str:
    return "" if value is None else f"{value:,}"


def _kinds(answer: dict) -> str:
    """Where a sync's requests went, and their seconds (summed over the threads that sent them at once)."""
    kinds, seconds = answer["kinds"], answer["kind_seconds"]
    return ", ".join(f"{count:,} {kind} ({seconds[kind]:.1f} s)"
                     for kind, count in sorted(kinds.items(), key=lambda item: -seconds[item[0]]))


def _counts(counts: dict) -> str:
    return ", ".join(f"{name} {value:,}" for name, value in sorted(counts.items()) if value) or "nothing"


def with_keycloak(db: str, data: Generated, args, scratch: Path) -> tuple[list[Figure], dict[str, str]]:
    """Start the Keycloak for ``db`` (and its PostgreSQL), measure, stop them (unless ``--keep``)."""
    postgres = None
    if db == "postgres":
        postgres = LocalPostgres()
        info = postgres.start()
        say(f"[{db}] PostgreSQL {info.version} started on 127.0.0.1:{info.port} (data in {postgres.root})")
        local = LocalKeycloak("bench-sync-pg", database=info.keycloak_database())
        local.stop()  # one left running by an earlier run points at a database that is gone
        where = f"PostgreSQL {info.version.split()[0]}"
    else:
        local = LocalKeycloak("bench-sync", ephemeral=True)
        where = "dev database (in-memory H2)"
    try:
        started = time.perf_counter()
        server = local.start(timeout=600)
        say(f"[{db}] local Keycloak {'reused' if server.reused else 'started'} in {time.perf_counter() - started:.1f} s "
            f"at {server.url} ({where})")
        settings = ConnectionSettings(server_url=server.url, admin_user=server.admin_user,
                                      admin_password=server.admin_password(), timeout=TIMEOUT)
        facts = {f"keycloak ({db})": f"{server_facts(settings).get('keycloak', '?')} on {where}"}
        return measure_database(db, settings, data, args, scratch), facts
    finally:
        if args.keep:
            say(f"[{db}] kept running: Keycloak at {local.status().url if local.status() else '?'} "
                f"(stop: groupid keycloak stop --instance {local.name})")
            if postgres:
                say(f"[{db}] kept running: PostgreSQL, data in {postgres.data} "
                    f"(stop: pg_ctl -D {postgres.data} stop, then remove {postgres.root})")
        else:
            local.stop()
            if postgres:
                postgres.stop()
            say(f"[{db}] servers stopped")


# -- the run ------------------------------------------------------------------------------------------------


def report(figures: list[Figure]) -> None:
    """The table of every figure, then the targets."""
    say(f"\n{'db':9} {'measurement':42} {'people':>8} {'requests':>9} {'writes':>8} {'seconds':>8} "
        f"{'users/s':>8} {'peak RSS':>9}  notes")
    say("-" * 140)
    for f in figures:
        rate = f"{f.rate:,.1f}" if f.kind in ("naive", "load") else ""
        rss = f"{f.peak_rss / 2**20:,.0f} MiB" if f.peak_rss else ""
        say(f"{f.db:9} {f.what:42} {_number(f.people or None):>8} {_number(f.requests):>9} {_number(f.writes):>8} "
            f"{f.seconds:8.1f} {rate:>8} {rss:>9}  {f.note}")
    say("-" * 140)
    for db in dict.fromkeys(f.db for f in figures):
        mine = {f.kind: f for f in figures if f.db == db}
        naive, load, resync = mine["naive"], mine["load"], mine["resync"]
        ratio = load.rate / naive.rate
        peak = max(load.peak_rss, resync.peak_rss)
        say(f"{db}: initial load {load.rate:,.1f} users/s vs naive {naive.rate:,.1f} users/s: {ratio:.1f}× "
            f"({'meets' if ratio >= TARGET_RATIO else 'MISSES'} the ≥{TARGET_RATIO:.0f}× target); "
            f"re-sync {resync.seconds:.1f} s with {resync.writes} writes "
            f"({'meets' if resync.writes == 0 else 'MISSES'} the 0 target); "
            f"peak memory {peak / 2**20:,.0f} MiB ({'meets' if peak < TARGET_MEMORY else 'MISSES'} the < 1 GiB target)")
    say("requests: admin REST requests (token requests not counted); writes: write requests for people "
        "(result.writes; for the naive loop every request is one); seconds: wall time; peak RSS: ru_maxrss of "
        "the sync's own process")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--people", type=int, default=100_000, help="people in the HR export (default 100000)")
    parser.add_argument("--departments", type=int, default=5_000, help="departments (default 5000)")
    parser.add_argument("--companies", type=int, default=50, help="companies (default 50)")
    parser.add_argument("--sample", type=int, default=2_000, help="people in the naive baseline (default 2000)")
    parser.add_argument("--db", choices=("dev", "postgres", "both"), default="both",
                        help="Keycloak's dev database, PostgreSQL, or both one after the other (default both)")
    parser.add_argument("--heap", default=None, help=f"Keycloak's heap options (default JAVA_OPTS_KC_HEAP, else "
                        f"'{DEFAULT_HEAP}')")
    parser.add_argument("--seed", type=int, default=1, help="seed of the generated group (default 1)")
    parser.add_argument("--keep", action="store_true", help="keep the generated files, the realms and the servers")
    args = parser.parse_args(argv)
    if args.people < 1 or args.sample < 1 or args.departments < args.companies:
        parser.error("--people and --sample must be positive, --departments at least --companies")
    # Keycloak reads its heap from the environment LocalKeycloak passes on; the same for both databases
    os.environ["JAVA_OPTS_KC_HEAP"] = args.heap or os.environ.get("JAVA_OPTS_KC_HEAP") or DEFAULT_HEAP

    scratch = Path(tempfile.mkdtemp(prefix="groupid-bench-sync-"))
    try:
        data = generate(scratch / "data", args.people, args.departments, args.companies, args.seed, AS_OF)
        say(f"groupid sync benchmark: {data.people:,} people, {data.companies} companies, "
            f"{data.departments:,} departments (generated in {data.seconds:.1f} s into {scratch / 'data'})")
        facts = {
            "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
            "client cores": str(os.cpu_count()),
            "load average at start": " ".join(f"{x:.2f}" for x in os.getloadavg()),
            "keycloak heap": os.environ["JAVA_OPTS_KC_HEAP"],
            "python": platform.python_version(),
            "python-keycloak": package_version("python-keycloak"),
            "groupid": f"{package_version('groupid')}, revision {groupid_revision()}",
        }
        figures: list[Figure] = []
        for db in (("dev", "postgres") if args.db == "both" else (args.db,)):
            measured, more = with_keycloak(db, data, args, scratch)
            figures += measured
            facts.update(more)
        say()
        for key, value in facts.items():
            say(f"  {key:22} {value}")
        report(figures)
    finally:
        if args.keep:
            say(f"kept the generated files in {scratch / 'data'}")
        else:
            shutil.rmtree(scratch, ignore_errors=True)
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except (GroupidError, PostgresError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        sys.exit(1)
