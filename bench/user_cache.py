"""What Keycloak's user cache does to a read of every user: cold after a bulk create, warm, and after a realm
role is deleted or updated, or a client scope is deleted (groupid's run lock, released at the end of every sync
and apply, is a client scope because of it).

Keycloak keeps the users it has read in its ``users`` cache. Deleting any role of a realm makes Keycloak drop
every cached user of that realm (``UserCacheSession.preRemove`` invalidates the whole realm), so the read
after it loads each user from the database again. This script measures that, with no groupid code in the timed
part:

1. a fresh ephemeral Keycloak (dev database) is given the generated group's spec, and the accounts groupid's
   sync would create (its dry run, not timed) through plain ``POST /partialImport`` (``limit.py``);
2. every user read as groupid reads them (``limit.read_users``) right after the import (cold), and once more
   to warm Keycloak up (not counted);
3. then ``--rounds`` times, each round starting one step later than the one before: every user read after the
   previous step (warm); a realm role created and deleted, and every user read; a realm role created and
   updated, and every user read; a client scope created and deleted, and every user read.

It prints each read's wall time and Keycloak's CPU seconds, and per kind of read the median and the spread.

    .venv/bin/python bench/user_cache.py [--people 20000] [--rounds 3]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import tempfile
from pathlib import Path

from cpu import span
from entry import exit_with
from hr_data import generate
from limit import Admin, planned_accounts, read_users, send_accounts
from plan_scale import say
from rounds import spread
from servers import TIMEOUT, fresh_server, stop_servers_on_kill, use_heap
from sync_paths import AS_OF, apply_spec

from groupid.errors import GroupidError
from groupid.hr_sync import sync_hr
from groupid.realms.keycloak import KeycloakServer
from groupid.sync import SyncOptions

REALM = "bench-cache"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--people", type=int, default=20_000, help="people (default 20000; a department per 20)")
    parser.add_argument("--rounds", type=int, default=3, help="rounds of warm, role deleted, role updated, client scope deleted (default 3)")
    parser.add_argument("--instance", default="bench-cache", help="the local Keycloak's instance name")
    args = parser.parse_args(argv)
    if args.people < 20 or args.rounds < 1:
        parser.error("--people must be at least 20 and --rounds positive")
    use_heap()
    stop_servers_on_kill()
    scratch = Path(tempfile.mkdtemp(prefix="groupid-bench-cache-"))
    reads: dict[str, list[tuple[float, float]]] = {}
    try:
        data = generate(scratch / "data", args.people, max(args.people // 20, 10), 10, 1, AS_OF)
        with fresh_server("dev", args.instance) as server:
            settings, meter, where = server.settings, server.meter, server.where
            apply_spec(settings, data, REALM)
            plan = sync_hr(data.export, data.spec, data.mapping, KeycloakServer(settings),
                           options=SyncOptions(realm=REALM, today=AS_OF, dry_run=True)).plan
            admin = Admin(settings.server_url, settings.admin_user, settings.admin_password, TIMEOUT)
            sent = send_accounts(admin, REALM, planned_accounts(plan, admin.default_role(REALM)))
            say(f"{sent.added:,} accounts imported into {REALM} on the {where}")

            def read(kind: str) -> None:
                with span(meter) as timed:
                    done = read_users(admin, REALM)
                if done.users != sent.added:
                    raise SystemExit(f"read {done.users:,} users, {sent.added:,} were imported")
                reads.setdefault(kind, []).append((timed.seconds, timed.cpu.get("keycloak", 0.0)))
                say(f"  {kind:34} {timed.seconds:6.1f} s, Keycloak CPU {timed.cpu.get('keycloak', 0.0):6.1f} s")

            def delete_a_role(round_: int) -> None:
                admin.call("POST", f"{REALM}/roles", json={"name": f"bench-deleted-{round_}"})
                admin.call("DELETE", f"{REALM}/roles/bench-deleted-{round_}")

            def update_a_role(round_: int) -> None:
                name = f"bench-updated-{round_}"
                admin.call("POST", f"{REALM}/roles", json={"name": name})
                admin.call("PUT", f"{REALM}/roles/{name}", json={"name": name, "attributes": {"holder": ["x"]}})

            def delete_a_client_scope(round_: int) -> None:
                scope = admin.call("POST", f"{REALM}/client-scopes",
                                   json={"name": f"bench-scope-{round_}", "protocol": "openid-connect"})
                admin.call("DELETE", f"{REALM}/client-scopes/{scope}")

            steps = [("warm", lambda round_: None), ("after a realm role was deleted", delete_a_role),
                     ("after a realm role was updated", update_a_role),
                     ("after a client scope was deleted", delete_a_client_scope)]
            read("after the import (cold)")
            read("warm-up (not counted)")  # the first reads also warm Keycloak's code up
            for round_ in range(1, args.rounds + 1):
                say(f"round {round_}:")
                # each round starts one step later, so that no step always comes first or last
                turn = (round_ - 1) % len(steps)
                for kind, step in steps[turn:] + steps[:turn]:
                    step(round_)
                    read(kind)
        say("\nper kind of read:")
        warm = statistics.median(seconds for seconds, _ in reads["warm"])
        for kind, values in reads.items():
            if kind.startswith("warm-up"):
                continue
            seconds = [s for s, _ in values]
            cpu = [c for _, c in values]
            say(f"  {kind:34} {spread(seconds, ' s')}; Keycloak CPU median {statistics.median(cpu):.1f} s; "
                f"{statistics.median(seconds) / warm:.2f}× the warm read")
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return 0


if __name__ == "__main__":
    exit_with(main, GroupidError)
