"""How fast groupid's HR sync loads a group's people into Keycloak and re-syncs them, beside Keycloak's own limit
on the same machine, and what each side's CPU pays per account.

The claims under test (issue "Performance against Keycloak's own limit", and the HR sync's "Performance"):

- the initial load reaches at least 0.9× the users per second of Keycloak's own bulk path (the limit: the
  accounts groupid creates, sent through the partial import with plain ``requests`` as groupid sends them);
- a no-change re-sync takes at most 1.2× a raw read of every user with plain ``requests`` (pages of 200 with
  their attributes, three in flight, as groupid reads them) — and writes nothing;
- a re-sync with 1% of the people changed costs the no-change re-sync plus their writes, and no more;
- the initial load is at least 10× a naive per-user loop, in users per second;
- the sync process stays under 1 GiB of memory.

What the script does, in one run:

1. generates the group with ``hr_data.py`` (``--companies`` companies, ``--departments`` departments,
   ``--people`` people) into a temporary directory, and a copy of its export with 1% of the people changed
   (every other one a new title, the others moved to another department of their company);
2. for each database asked for (``--db``), for each of ``--repeat`` rounds, runs each path (``--paths``) on a
   fresh server of its own, one after the other, the order reversed every other round: an ephemeral local
   Keycloak on its dev database (in-memory H2), or a throw-away PostgreSQL (``postgres.py``) and a Keycloak
   on it. The paths (``sync_paths.py``):

   - **groupid**: the spec applied (not timed), the cold first read (timed on its own), the initial load,
     the no-change re-sync and the 1% re-sync, each ``sync_hr`` in a child process of its own that reports
     its peak memory and its own CPU;
   - **limit**: the spec applied the same way, the accounts groupid would create taken from its dry run
     (not timed), sent through ``POST /partialImport`` with groupid's chunk size and parallelism, their
     fingerprint compared with those groupid's load created; then the raw read of every user, and the member
     list of every group;
   - **naive**: a sample of ``--sample`` people created one by one (``POST /users`` and
     ``PUT /users/{id}/groups/{groupId}`` each);

3. reads, around every timed step, the CPU seconds of Keycloak's process tree and PostgreSQL's (``cpu.py``)
   and of the client (the sync's child process, or the script for the limit's plain requests);
4. prints each step as it happens, then the machine and versions, a table of every figure, the ratios per
   round with their median and spread (min–max) and whether each target is met, and the CPU milliseconds
   per account created or read, each side's.

Every server the script starts is stopped at the end, also when it fails or is interrupted.

    .venv/bin/python bench/sync_scale.py [--people 20000] [--departments 1000] [--companies 10] [--repeat 2]
                                         [--db dev|postgres|both] [--paths groupid,limit,naive]
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import tempfile
from datetime import UTC, datetime
from importlib.metadata import version as package_version
from pathlib import Path

from entry import exit_with
from hr_data import change_export, generate
from plan_scale import groupid_revision, say, server_facts
from postgres import PostgresError
from rounds import add_group_options, parse_paths, round_order
from servers import DEFAULT_HEAP, fresh_server, stop_servers_on_kill, use_heap
from sync_paths import AS_OF, PATHS, Figure, Run
from sync_report import report

from groupid.errors import GroupidError
from groupid.realms.base import IMPORT_CHUNK
from groupid.realms.keycloak.people import USER_PAGE_SIZE, USER_READERS
from groupid.sync.applying import CHUNK, IMPORTERS

CHANGED_SHARE = 0.01


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_group_options(parser, 20_000, 1_000, "people in the HR export")
    parser.add_argument("--repeat", type=int, default=2, help="rounds of the paths, order alternated (default 2)")
    parser.add_argument("--paths", type=lambda text: parse_paths(text, tuple(PATHS)), default=tuple(PATHS),
                        help=f"which paths, comma-separated: {', '.join(PATHS)}; or all (the default)")
    parser.add_argument("--sample", type=int, default=2_000, help="people in the naive loop (default 2000)")
    parser.add_argument("--db", choices=("dev", "postgres", "both"), default="both",
                        help="Keycloak's dev database, PostgreSQL, or both one after the other (default both)")
    parser.add_argument("--heap", default=None, help=f"Keycloak's heap options (default JAVA_OPTS_KC_HEAP, else "
                        f"'{DEFAULT_HEAP}')")
    parser.add_argument("--instance", default="bench-sync", help="prefix of the local Keycloaks' instance names "
                        "(default bench-sync: bench-sync-groupid, bench-sync-pg-limit, …)")
    parser.add_argument("--seed", type=int, default=1, help="seed of the generated group (default 1)")
    parser.add_argument("--keep", action="store_true", help="keep the generated files (the servers are stopped)")
    args = parser.parse_args(argv)
    if args.people < 1 or args.sample < 1 or args.repeat < 1 or args.departments < args.companies:
        parser.error("--people, --sample and --repeat must be positive, --departments at least --companies")
    # Keycloak reads its heap from the environment LocalKeycloak passes on; the same for every server
    use_heap(args.heap)
    stop_servers_on_kill()

    scratch = Path(tempfile.mkdtemp(prefix="groupid-bench-sync-"))
    try:
        data = generate(scratch / "data", args.people, args.departments, args.companies, args.seed, AS_OF)
        changed = change_export(data.export, scratch / "data" / "hr" / "employees-changed.csv", CHANGED_SHARE)
        say(f"groupid sync benchmark: {data.people:,} people, {data.companies} companies, "
            f"{data.departments:,} departments (generated in {data.seconds:.1f} s); {changed.titles + changed.moves:,} "
            f"people changed for the 1% re-sync; paths {', '.join(args.paths)}, {args.repeat} round(s)")
        facts = {
            "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
            "client cores": str(os.cpu_count()),
            "load average at start": " ".join(f"{x:.2f}" for x in os.getloadavg()),
            "keycloak heap": os.environ["JAVA_OPTS_KC_HEAP"],
            "groupid's bulk path": f"{IMPORT_CHUNK} accounts a request, parts of {CHUNK}, {IMPORTERS} at a time; "
                                   f"users read {USER_PAGE_SIZE} a page, {USER_READERS} at a time",
            "python": platform.python_version(),
            "python-keycloak": package_version("python-keycloak"),
            "groupid": f"{package_version('groupid')}, revision {groupid_revision()}",
        }
        figures: list[Figure] = []
        for db in ("dev", "postgres") if args.db == "both" else (args.db,):
            for round_ in range(1, args.repeat + 1):
                for path in round_order(args.paths, round_):
                    name = f"{args.instance}-{'pg-' if db == 'postgres' else ''}{path}"
                    say(f"[{db} {path} #{round_}] a fresh server:")
                    with fresh_server(db, name) as server:
                        facts.setdefault(f"keycloak ({db})",
                                         f"{server_facts(server.settings).get('keycloak', '?')} on {server.where}")
                        run = Run(db, round_, path, server.settings, server.meter, data, changed, scratch, args.sample)
                        figures += PATHS[path](run)
                    say(f"[{db} {path} #{round_}] servers stopped")
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
    exit_with(main, GroupidError, PostgresError)
