"""The first re-sync after a bulk load, beside the raw read, on the same state: each on a fresh Keycloak that
holds the same accounts, imported the same way.

``sync_scale.py`` times groupid's no-change re-sync after groupid's own load, and the limit's raw read after the
limit's partial imports: two servers in two states. This script puts every first read after the same import,
so that what differs is the reader alone:

1. a fresh Keycloak (``--db dev`` or ``postgres``) is given the generated group's spec, and the accounts
   groupid's sync would create (its dry run, not timed) through plain ``POST /partialImport`` (``limit.py``);
2. one arm reads every user for the first time (timed, with Keycloak's CPU and the reader's):

   - **raw**: the limit's raw read of every user (``limit.read_users``), then the member list of every group
     (``limit.read_members``), one after the other, with plain ``requests``; the users' read is timed alone
     too (the re-sync target's yardstick: the raw read of the same users);
   - **raw-lists**: the same with no groupid code, in the way groupid's re-sync now reads: every user in brief
     pages (``limit.read_users(brief=True)``), then the member list of every group in full
     (``limit.read_members(full=True)``), one after the other;
   - **groupid**: groupid's no-change re-sync (``sync_hr`` in a child process), which reads the member lists
     beside the pages of users;
   - **groupid-wait**: the same, with the member lists read after the last page
     (``groupid.realms.keycloak.people.MEMBER_LISTS_WAIT``);
   - **groupid-hedged**: the re-sync with the realm's design read as on a server up for longer than
     ``groupid.realms.keycloak.STARTED_WITHIN`` (the partial export, hedged), where a fresh server's is paged;
   - **groupid-pages**: the re-sync with every user read from full pages of users and the member lists brief,
     as before ``groupid.realms.keycloak.people.USERS_FROM_LISTS`` (the users in full from their member lists,
     the pages brief);

3. then, on the same server, the raw read and the member lists once more (warm): the server's own yardstick,
   so that a slower server shows as one.

Each round runs every arm once, each on a fresh server, and starts one arm later than the round before. The
script prints every read as it happens, then per arm the median and spread of the first read in seconds,
÷ the same server's warm yardstick, and ÷ the raw arm's first read of the same round (and of its users
alone).

    .venv/bin/python bench/first_resync.py [--people 20000] [--departments 1000] [--rounds 3] [--db dev]
                                           [--arms raw,raw-lists,groupid,groupid-wait,groupid-hedged,
                                            groupid-pages]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import tempfile
from pathlib import Path

from cpu import span
from entry import exit_with
from hr_data import generate
from limit import Admin, read_members, read_users, send_accounts
from plan_scale import groupid_revision, say, server_facts
from postgres import PostgresError
from rounds import add_group_options, parse_paths, spread
from servers import TIMEOUT, fresh_server, stop_servers_on_kill, use_heap
from sync_paths import AS_OF, Run, apply_spec, run_sync

from groupid.errors import GroupidError

REALM = "bench-first"
ARMS = {
    "raw": None,
    "raw-lists": None,
    "groupid": {},
    "groupid-wait": {"groupid.realms.keycloak.people.MEMBER_LISTS_WAIT": True},
    "groupid-hedged": {"groupid.realms.keycloak.reading.STARTED_WITHIN": 0.0},
    "groupid-pages": {"groupid.realms.keycloak.people.USERS_FROM_LISTS": False},
}
"""Each arm's module constants for groupid's sync (None: the raw read, no groupid code)."""


def raw_read(admin: Admin, meter, expected: int, lists: bool = False) -> tuple[float, float, float, float]:
    """The raw read of every user and then the member list of every group (``lists``: the users brief, the lists
    in full); (their seconds, Keycloak's CPU, the client's CPU, the seconds of the users alone)."""
    group_ids = admin.group_ids(REALM)
    with span(meter) as timed:
        read = read_users(admin, REALM, brief=lists)
        members = read_members(admin, REALM, group_ids, full=lists)
    if read.users != expected or members.users != expected:
        raise SystemExit(f"the raw read found {read.users:,} users and {members.users:,} memberships, "
                         f"{expected:,} each were imported")
    return timed.seconds, timed.cpu["keycloak"], timed.cpu["client"], read.seconds


def one_arm(arm: str, round_: int, db: str, data, scratch: Path, instance: str) -> dict:
    """One arm on a fresh server: the import, the arm's first read, the warm yardstick."""
    with fresh_server(db, f"{instance}-{arm}") as server:
        settings, meter = server.settings, server.meter
        apply_spec(settings, data, REALM)
        run = Run(db, round_, arm, settings, meter, data, None, scratch, 0)
        plan = run_sync(run, REALM, data.export, dry_run=True)
        admin = Admin(settings.server_url, settings.admin_user, settings.admin_password, TIMEOUT)
        sent = send_accounts(admin, REALM, plan["accounts"])  # groupid's accounts, its default role among their roles
        if sent.added != data.people:
            raise SystemExit(f"{sent.added:,} of {data.people:,} accounts imported")
        if ARMS[arm] is None:
            first, keycloak, client, users = raw_read(admin, meter, sent.added, lists=arm == "raw-lists")
            what = f"of which the users {users:.1f} s"
        else:
            answer = run_sync(run, REALM, data.export, tuning=ARMS[arm])
            first, keycloak, client = answer["seconds"], answer["cpu"]["keycloak"], answer["cpu"]["client"]
            if answer["writes"]:
                raise SystemExit(f"groupid's re-sync after the import wrote {answer['writes']} requests: "
                                 "not a no-change re-sync")
            users = None
            slowest = sorted(answer["kind_seconds"].items(), key=lambda item: -item[1])[:4]
            what = (f"{answer['requests']:,} requests; the realm read {answer['read_path']}; request seconds summed: "
                    + ", ".join(f"{kind} {seconds:.1f} s ({answer['kinds'][kind]})" for kind, seconds in slowest))
        warm, warm_keycloak, _, _ = raw_read(admin, meter, sent.added)
        version = server_facts(settings).get("keycloak", "?")
    figure = {"arm": arm, "round": round_, "first": first, "keycloak": keycloak, "client": client, "warm": warm,
              "warm_keycloak": warm_keycloak, "users": users}
    say(f"  [{arm} #{round_}] first read {first:6.1f} s ({what}; Keycloak CPU {keycloak:6.1f} s, reader "
        f"{client:5.1f} s); warm raw read + lists {warm:5.1f} s (Keycloak CPU {warm_keycloak:5.1f} s): "
        f"{first / warm:.2f}×; Keycloak {version}, heap {os.environ.get('JAVA_OPTS_KC_HEAP')}")
    return figure


def main(argv: list[str] | None = None) -> int:
    """Run the arms in rotated rounds (``argv``: the command line's arguments); 0 when done."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_group_options(parser, 20_000, 1_000)
    parser.add_argument("--rounds", type=int, default=3, help="rounds of the arms (default 3)")
    parser.add_argument("--arms", type=lambda text: parse_paths(text, tuple(ARMS)), default=tuple(ARMS),
                        help=f"which arms, comma-separated: {', '.join(ARMS)}; or all (the default)")
    parser.add_argument("--db", choices=("dev", "postgres"), default="dev", help="Keycloak's database (default dev)")
    parser.add_argument("--instance", default="bench-first", help="prefix of the local Keycloaks' instance names")
    args = parser.parse_args(argv)
    if args.people < 1 or args.rounds < 1 or args.departments < args.companies:
        parser.error("--people and --rounds must be positive, --departments at least --companies")
    use_heap()
    stop_servers_on_kill()
    scratch = Path(tempfile.mkdtemp(prefix="groupid-bench-first-"))
    figures: list[dict] = []
    try:
        data = generate(scratch / "data", args.people, args.departments, args.companies, 1, AS_OF)
        say(f"the first re-sync after a bulk load: {data.people:,} people, {data.departments:,} departments, "
            f"{args.db} database, arms {', '.join(args.arms)}, {args.rounds} round(s); groupid revision "
            f"{groupid_revision()}; load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
        for round_ in range(1, args.rounds + 1):
            say(f"round {round_}:")
            turn = (round_ - 1) % len(args.arms)  # each round starts one arm later: none always runs first
            for arm in args.arms[turn:] + args.arms[:turn]:
                figures.append(one_arm(arm, round_, args.db, data, scratch, args.instance))
        say("\nper arm, the first read after the import:")
        raw = {figure["round"]: figure["first"] for figure in figures if figure["arm"] == "raw"}
        raw_users = {figure["round"]: figure["users"] for figure in figures if figure["arm"] == "raw"}
        for arm in args.arms:
            mine = [figure for figure in figures if figure["arm"] == arm]
            line = (f"  {arm:13} {spread([f['first'] for f in mine], ' s')}; ÷ its server's warm read: "
                    f"{spread([f['first'] / f['warm'] for f in mine], '×')}; Keycloak CPU median "
                    f"{statistics.median(f['keycloak'] for f in mine):.1f} s")
            if arm != "raw" and raw:
                line += (f"; ÷ the raw arm of its round: {spread([f['first'] / raw[f['round']] for f in mine], '×')}"
                         f", ÷ its users alone: {spread([f['first'] / raw_users[f['round']] for f in mine], '×')}")
            say(line)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return 0


if __name__ == "__main__":
    exit_with(main, GroupidError, PostgresError)
