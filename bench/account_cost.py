"""What each part of the accounts groupid sends costs Keycloak, per account created and per account read.

groupid creates every account with eight or nine declared user-profile attributes, in a department group up
to seven levels deep (the companies nested under the group, then the departments), with the realm's default
role among its realm roles and ``emailVerified: true``. Each of those may raise what Keycloak spends on an
account. This script measures each one on its own, with no groupid code in the timed part:

1. one fresh Keycloak (``--db dev`` or ``postgres``); the generated group's spec is applied to a scratch realm
   and groupid's sync plans its ``--people`` accounts (a dry run, not timed);
2. a warm-up round of every variant (not counted), so that Keycloak's code is warm for all: costs fall for
   several runs after a start;
3. then ``--rounds`` rounds, each starting one variant later than the one before. For each variant, a realm of
   its own is given the spec (not timed) and the variant's realm setting, then:

   - **create**: the variant's accounts through ``POST /partialImport``, as groupid sends them (``limit.py``);
   - **cold read**: every user read as groupid reads them (``limit.read_users``), for the first time;
   - **warm read**: the same read again, once the cold read could have put every user in Keycloak's user
     cache (it does not always keep them: docs/benchmarks.md);

   and the realm is deleted, so that the server stays the same size and each cold read is cold.

The variants, each one change from what groupid sends:

- ``as-sent``: the accounts as groupid sends them;
- ``no-attributes``: without their attributes;
- ``unmanaged``: the attributes left undeclared, the realm's ``unmanagedAttributePolicy`` ENABLED (the
  attributes are kept without a declaration);
- ``no-validators``: the user profile's validators emptied (Keycloak's own username, email and name
  checks; groupid's attributes have none). Keycloak's partial import does not validate against the user
  profile, and a read validates nothing, so this variant differs from ``as-sent`` in nothing timed: it is the
  control, and its ratios show how large an effect the run can tell from noise;
- ``flat-path``: all placed in the top group of their paths (the holding company's), one level deep and one
  group for all;
- ``no-default-role``: without the realm's default role (Keycloak's partial import does not grant it);
- ``unverified``: ``emailVerified`` false.

It prints each step as it happens, then per variant and step the median and spread of Keycloak's CPU
milliseconds per account, and of the same figure ÷ the ``as-sent`` variant's in the same round. Keycloak's
CPU (``cpu.py``) is the figure that matters: wall time on a shared 2-core machine also says who else ran.

    .venv/bin/python bench/account_cost.py [--people 3000] [--departments 100] [--rounds 3] [--db dev]
                                           [--variants as-sent,no-attributes,...]
"""

from __future__ import annotations

import argparse
import copy
import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

from cpu import Meter, span
from entry import exit_with
from hr_data import generate
from limit import Admin, planned_accounts, read_users, send_accounts
from plan_scale import groupid_revision, say, server_facts
from postgres import PostgresError
from rounds import add_group_options, parse_paths, spread
from servers import TIMEOUT, fresh_server, stop_servers_on_kill, use_heap
from sync_paths import AS_OF, apply_spec

from groupid.errors import GroupidError
from groupid.hr_sync import sync_hr
from groupid.realms.keycloak import KeycloakServer
from groupid.sync import SyncOptions

SETUP_REALM = "cost-setup"
STEPS = ("create", "cold read", "warm read")


def _without_attributes(account: dict) -> dict:
    """The account without its attributes."""
    return {key: value for key, value in account.items() if key != "attributes"}


def _flat_path(account: dict) -> dict:
    """The account in the top group of each of its paths."""
    return {**account, "groups": ["/" + path.strip("/").split("/")[0] for path in account.get("groups") or ()]}


def _unverified(account: dict) -> dict:
    """The account with its email address not verified."""
    return {**account, "emailVerified": False}


def _undeclare(profile: dict) -> dict:
    """The user profile without groupid's attributes, its undeclared attributes kept (``ENABLED``)."""
    defaults = {"username", "email", "firstName", "lastName"}
    return {**profile, "attributes": [a for a in profile["attributes"] if a["name"] in defaults],
            "unmanagedAttributePolicy": "ENABLED"}


def _no_validators(profile: dict) -> dict:
    """The user profile with no attribute validated."""
    return {**profile, "attributes": [{**attribute, "validations": {}} for attribute in profile["attributes"]]}


VARIANTS: dict[str, tuple[Callable[[dict], dict] | None, Callable[[dict], dict] | None, bool]] = {
    # name: (what it does to an account, what it does to the realm's user profile, whether the default role stays)
    "as-sent": (None, None, True),
    "no-attributes": (_without_attributes, None, True),
    "unmanaged": (None, _undeclare, True),
    "no-validators": (None, _no_validators, True),
    "flat-path": (_flat_path, None, True),
    "no-default-role": (None, None, False),
    "unverified": (_unverified, None, True),
}


def accounts_for(variant: str, accounts: list[dict], realm: str, default_role: str) -> list[dict]:
    """The planned ``accounts`` (planned in the setup realm) as ``variant`` sends them into ``realm``, whose
    default role is ``default_role``."""
    change, _, keep_default = VARIANTS[variant]
    setup_default = f"default-roles-{SETUP_REALM}"
    sent = []
    for account in accounts:
        account = copy.deepcopy(account)
        roles = [role for role in account.get("realmRoles") or () if role != setup_default]
        account["realmRoles"] = [default_role, *roles] if keep_default else roles
        sent.append(change(account) if change else account)
    return sent


def one_variant(variant: str, round_: int, admin: Admin, meter: Meter, data, accounts: list[dict],
                settings) -> dict[str, float]:
    """One variant in its own realm: the spec and the variant's setting, then the create, the cold read and the
    warm read (timed), then the realm deleted; Keycloak's CPU milliseconds per account of each step."""
    realm = f"cost-{variant}"
    apply_spec(settings, data, realm)
    _, profile_change, _ = VARIANTS[variant]
    if profile_change:
        profile = admin.call("GET", f"{realm}/users/profile", "profile")
        admin.call("PUT", f"{realm}/users/profile", "profile", json=profile_change(profile))
    sending = accounts_for(variant, accounts, realm, admin.default_role(realm))
    figures: dict[str, float] = {}
    seconds: dict[str, float] = {}
    with span(meter) as timed:
        sent = send_accounts(admin, realm, sending)
    if sent.added != len(sending):
        raise SystemExit(f"[{variant}] {sent.added:,} of {len(sending):,} accounts imported ({sent.describe()})")
    figures["create"], seconds["create"] = 1000 * timed.cpu["keycloak"] / sent.added, timed.seconds
    for step in ("cold read", "warm read"):
        with span(meter) as timed:
            read = read_users(admin, realm)
        if read.users != sent.added:
            raise SystemExit(f"[{variant}] read {read.users:,} users, {sent.added:,} were imported")
        figures[step], seconds[step] = 1000 * timed.cpu["keycloak"] / read.users, timed.seconds
    check(variant, admin, realm, sending[0], profile_change(profile) if profile_change else None)
    admin.call("DELETE", realm, "delete realm")
    say(f"  [{variant} #{round_}] " + "; ".join(
        f"{step} {seconds[step]:5.1f} s, Keycloak {figures[step]:5.2f} ms/account" for step in STEPS))
    return figures


def check(variant: str, admin: Admin, realm: str, sent: dict, profile: dict | None) -> None:
    """One imported account holds what the variant sent: its attributes, groups, realm roles and email
    verification; and the realm has the variant's user profile (``profile``), when it has one."""
    if profile is not None:
        held = admin.call("GET", f"{realm}/users/profile", "profile")
        if [a["name"] for a in held["attributes"]] != [a["name"] for a in profile["attributes"]] or (
                held.get("unmanagedAttributePolicy") != profile.get("unmanagedAttributePolicy")) or (
                [a.get("validations") or {} for a in held["attributes"]]
                != [a.get("validations") or {} for a in profile["attributes"]]):
            raise SystemExit(f"[{variant}] the user profile of {realm} is not the one sent")
    found = admin.find(realm, username=sent["username"], exact="true")
    if len(found) != 1:
        raise SystemExit(f"[{variant}] {sent['username']} is not in {realm}")
    user = found[0]
    wanted = {name: values for name, values in (sent.get("attributes") or {}).items()}
    held = {name: user.get("attributes", {}).get(name) for name in wanted}
    if held != wanted or bool(user.get("emailVerified")) != bool(sent.get("emailVerified")):
        raise SystemExit(f"[{variant}] {sent['username']} holds {held}, emailVerified {user.get('emailVerified')}; "
                         f"sent {wanted}, {sent.get('emailVerified')}")
    groups = sorted(group["path"] for group in admin.groups_of(realm, user["id"]))
    if groups != sorted(sent.get("groups") or ()):
        raise SystemExit(f"[{variant}] {sent['username']} is in {groups}, sent to {sent.get('groups')}")
    default = admin.default_role(realm)
    if (default in admin.realm_roles(realm, user["id"])) != (default in sent["realmRoles"]):
        raise SystemExit(f"[{variant}] {sent['username']} has the default role {default}: "
                         f"{default in admin.realm_roles(realm, user['id'])}; sent: {default in sent['realmRoles']}")


def main(argv: list[str] | None = None) -> int:
    """Measure the variants (``argv``: the command line's arguments); 0 when done."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_group_options(parser, 3_000, 100, "accounts a realm (at most 10000, the users Keycloak's user cache holds)")
    parser.add_argument("--rounds", type=int, default=3, help="rounds of the variants (default 3)")
    parser.add_argument("--variants", type=lambda text: parse_paths(text, tuple(VARIANTS)), default=tuple(VARIANTS),
                        help=f"which variants, comma-separated: {', '.join(VARIANTS)}; or all (the default)")
    parser.add_argument("--db", choices=("dev", "postgres"), default="dev", help="Keycloak's database (default dev)")
    parser.add_argument("--instance", default="bench-cost", help="the local Keycloak's instance name")
    args = parser.parse_args(argv)
    if not 1 <= args.people <= 10_000 or args.rounds < 1 or args.departments < args.companies:
        parser.error("--people must be within 1–10000, --rounds positive, --departments at least --companies")
    if "as-sent" not in args.variants:
        args.variants = ("as-sent", *args.variants)  # the yardstick of every ratio
    use_heap()
    stop_servers_on_kill()
    scratch = Path(tempfile.mkdtemp(prefix="groupid-bench-cost-"))
    figures: dict[tuple[str, int], dict[str, float]] = {}
    try:
        data = generate(scratch / "data", args.people, args.departments, args.companies, 1, AS_OF)
        with fresh_server(args.db, args.instance) as server:
            settings, meter, where = server.settings, server.meter, server.where
            apply_spec(settings, data, SETUP_REALM)
            plan = sync_hr(data.export, data.spec, data.mapping, KeycloakServer(settings),
                           options=SyncOptions(realm=SETUP_REALM, today=AS_OF, dry_run=True)).plan
            admin = Admin(settings.server_url, settings.admin_user, settings.admin_password, TIMEOUT)
            accounts = planned_accounts(plan, admin.default_role(SETUP_REALM))
            admin.call("DELETE", SETUP_REALM, "delete realm")
            say(f"the cost of an account's parts: {len(accounts):,} accounts a realm, {data.departments:,} departments, "
                f"Keycloak {server_facts(settings).get('keycloak', '?')} on the {where}; variants "
                f"{', '.join(args.variants)}, {args.rounds} round(s); groupid revision {groupid_revision()}; "
                f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
            say("warm-up (not counted):")
            for variant in args.variants:
                one_variant(variant, 0, admin, meter, data, accounts, settings)
            for round_ in range(1, args.rounds + 1):
                say(f"round {round_}:")
                turn = (round_ - 1) % len(args.variants)  # each round starts one variant later
                for variant in args.variants[turn:] + args.variants[:turn]:
                    figures[variant, round_] = one_variant(variant, round_, admin, meter, data, accounts, settings)
        say("\nKeycloak's CPU per account, per variant and step:")
        for variant in args.variants:
            for step in STEPS:
                mine = [figures[variant, round_][step] for round_ in range(1, args.rounds + 1)]
                line = f"  {variant:16} {step:10} {spread(mine, ' ms')}"
                if variant != "as-sent":
                    ratios = [figures[variant, round_][step] / figures["as-sent", round_][step]
                              for round_ in range(1, args.rounds + 1)]
                    line += f"; ÷ as-sent of its round: {spread(ratios, '×')}"
                say(line)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return 0


if __name__ == "__main__":
    exit_with(main, GroupidError, PostgresError)
