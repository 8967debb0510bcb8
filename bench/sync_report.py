"""The end of the HR sync benchmark's output (``sync_scale.py``): every figure in a table, the ratios against
Keycloak's own limit round by round with their median and spread, the CPU per account, and each target met
or missed."""

from __future__ import annotations

import math
import os
import statistics
from collections.abc import Callable

from plan_scale import say
from rounds import spread
from sync_paths import CREATING, Figure

from groupid.lock import LEASE

TARGET_LOAD = 0.9  #: groupid's initial load, users/s, at least this share of the limit's
TARGET_READ = 1.2  #: groupid's no-change re-sync at most this many times the raw read
TARGET_NAIVE = 10.0  #: groupid's initial load at least this many times the naive loop's users/s
TARGET_MEMORY = 2**30  #: the sync's peak memory below this
RENEWAL_REQUESTS = 4  #: what renewing the lock's lease sends: the refused creation, two reads of the scopes, the update
SIDES = (("keycloak", "Keycloak"), ("postgres", "PostgreSQL"), ("client", "client"))
STEPS = (("load", "groupid: initial load", "created"), ("import", "limit: partial imports", "created"),
         ("naive", "naive loop", "created"), ("resync", "groupid: no-change re-sync", "read"),
         ("changed", "groupid: re-sync, 1% changed", "read"), ("read", "limit: raw read", "read"),
         ("members", "limit: raw member lists", "read"))
CLIENTS = {"groupid": "groupid", "limit": "requests", "naive": "groupid's client"}


def _number(value: int | float | None, digits: int = 0) -> str:
    return "" if value is None else f"{value:,.{digits}f}"


def table(figures: list[Figure]) -> None:
    """Every figure, a line each."""
    say(f"\n{'db':8} {'rd':>2} {'path':7} {'step':32} {'accounts':>8} {'requests':>8} {'writes':>7} {'seconds':>8} "
        f"{'users/s':>8} {'KC cpu s':>8} {'KC ms/acc':>9} {'PG ms/acc':>9} {'client ms/acc':>13} {'peak RSS':>9}")
    say("-" * 150)
    for f in figures:
        rate = _number(f.rate, 1) if f.step in CREATING else ""
        rss = f"{f.peak_rss / 2**20:,.0f} MiB" if f.peak_rss else ""
        say(f"{f.db:8} {f.round:>2} {f.path:7} {f.what[:32]:32} {_number(f.people or None):>8} {_number(f.requests):>8} "
            f"{_number(f.writes):>7} {f.seconds:8.1f} {rate:>8} {_number(f.cpu.get('keycloak'), 1):>8} "
            f"{_number(f.per_account('keycloak'), 2):>9} {_number(f.per_account('postgres'), 2):>9} "
            f"{_number(f.per_account('client'), 2):>13} {rss:>9}")
    say("-" * 150)
    say("requests: admin REST requests (token requests not counted); writes: write requests for people "
        "(groupid: result.writes; limit and naive: every request); seconds: wall time; CPU: utime + stime from "
        "/proc (Keycloak's java, PostgreSQL's processes), client: the process that sent the requests (groupid's "
        "sync child, or the limit's plain requests); ms/acc: CPU ms per account created (load, partial imports, "
        "naive) or read (re-syncs, raw read); peak RSS: ru_maxrss of the sync's own process")


def _by_round(figures: list[Figure], db: str, path: str, step: str) -> dict[int, Figure]:
    return {f.round: f for f in figures if (f.db, f.path, f.step) == (db, path, step)}


def _verdict(values: list[float], met: Callable[[float], bool]) -> str:
    hits = sum(met(value) for value in values)
    if hits == len(values):
        return "MET in every round"
    if met(statistics.median(values)):
        return f"met by the median, in {hits} of {len(values)} rounds"
    return f"MISSED (met in {hits} of {len(values)} rounds)"


def _ratio_line(label: str, target: str, ratios: dict[int, float], met: Callable[[float], bool]) -> None:
    if not ratios:
        say(f"  {label:58} not measured (a path of the two did not run)")
        return
    values = [ratios[r] for r in sorted(ratios)]
    say(f"  {label:58} {' '.join(f'{v:7.2f}' for v in values)}   {spread(values, '×')}; target {target}: "
        f"{_verdict(values, met)}")


def ratios(figures: list[Figure]) -> None:
    """The ratios against the limit (and the naive loop) per round, their median and spread, and the targets."""
    rounds = sorted({f.round for f in figures})
    for db in dict.fromkeys(f.db for f in figures):
        load, imported = _by_round(figures, db, "groupid", "load"), _by_round(figures, db, "limit", "import")
        resync, read = _by_round(figures, db, "groupid", "resync"), _by_round(figures, db, "limit", "read")
        naive = _by_round(figures, db, "naive", "naive")
        changed = _by_round(figures, db, "groupid", "changed")
        say(f"\n{db}: per round ({', '.join(f'round {r}' for r in rounds)})")
        _ratio_line("groupid load users/s ÷ limit users/s", f"≥ {TARGET_LOAD}",
                    {r: load[r].rate / imported[r].rate for r in load if r in imported}, lambda v: v >= TARGET_LOAD)
        _ratio_line("groupid no-change re-sync s ÷ raw read s", f"≤ {TARGET_READ}",
                    {r: resync[r].seconds / read[r].seconds for r in resync if r in read}, lambda v: v <= TARGET_READ)
        members = _by_round(figures, db, "limit", "members")
        _ratio_line("groupid no-change re-sync s ÷ (raw read + member lists) s", f"≤ {TARGET_READ}",
                    {r: resync[r].seconds / (read[r].seconds + members[r].seconds) for r in resync
                     if r in read and r in members}, lambda v: v <= TARGET_READ)
        _ratio_line("groupid load users/s ÷ naive loop users/s", f"≥ {TARGET_NAIVE:.0f}",
                    {r: load[r].rate / naive[r].rate for r in load if r in naive}, lambda v: v >= TARGET_NAIVE)
        for r, f in sorted(changed.items()):
            # the 1% re-sync costs the no-change one plus its writes: no more reads (the lock's lease renewals
            # aside, one every LEASE / 6 seconds; a shorter run renews it fewer times)
            base = resync[r]
            extra = f.reads - base.reads
            # the longer of the two runs renews the lock more often: the difference may go either way, by the
            # requests of a renewal each time (taking the lock again, reading its holder, finding it, writing it)
            renewals = math.ceil(max(f.seconds, base.seconds) / (LEASE / 6))
            tolerance = renewals * RENEWAL_REQUESTS
            more = f.seconds - base.seconds
            say(f"  round {r}: 1% re-sync {f.seconds:.1f} s = no-change {base.seconds:.1f} s {more:+.1f} s for "
                f"{f.writes:,} writes ({1000 * more / f.writes if f.writes else 0:+.0f} ms a write); reads "
                f"{f.reads:,} vs {base.reads:,} ({extra:+d}; target: the same, give or take {renewals} lock "
                f"renewal{'s' if renewals != 1 else ''} of {RENEWAL_REQUESTS} requests, plus its writes): "
                f"{'MET' if abs(extra) <= tolerance else 'MISSED'}")
        writes = [f.writes for f in resync.values()]
        peaks = [f.peak_rss for f in figures if f.db == db and f.peak_rss and f.path == "groupid"]
        if writes:
            say(f"  no-change re-sync writes: {', '.join(map(str, writes))} "
                f"({'MET' if not any(writes) else 'MISSED'}: target 0)")
        if peaks:
            say(f"  sync's peak memory: {max(peaks) / 2**20:,.0f} MiB at the most "
                f"({'MET' if max(peaks) < TARGET_MEMORY else 'MISSED'}: target < 1 GiB)")
        payloads = [(r, load[r].payload, imported[r].payload) for r in sorted(load) if r in imported]
        if payloads:
            same = all(a == b for _, a, b in payloads)
            say(f"  payload: the limit's accounts {'EQUAL' if same else 'DIFFER from'} those groupid's load created "
                f"({'; '.join(f'round {r}: groupid {a}, limit {b}' for r, a, b in payloads)})")


def cpu(figures: list[Figure]) -> None:
    """CPU milliseconds per account of each side, the median over the rounds, and how busy the cores were."""
    say("\nCPU ms per account, median over the rounds:")
    say(f"  {'db':8} {'step':30} {'per account':12} " + " ".join(f"{name:>10}" for _, name in SIDES)
        + f"  {'client is':16} {'cores busy':>10}")
    for db in dict.fromkeys(f.db for f in figures):
        for step, what, per in STEPS:
            mine = [f for f in figures if f.db == db and f.step == step]
            if not mine:
                continue
            cells = []
            for side, _ in SIDES:
                values = [v for f in mine if (v := f.per_account(side)) is not None]
                cells.append(f"{statistics.median(values):10.3f}" if values else f"{'—':>10}")
            busy = statistics.median(sum(f.cpu.values()) / f.seconds for f in mine if f.seconds)
            say(f"  {db:8} {what:30} {per:12} {' '.join(cells)}  {CLIENTS[mine[0].path]:16} {busy:10.2f}")
    say(f"cores busy: the CPU seconds of every side together over the wall time (the machine's other work left "
        f"out); this machine has {os.cpu_count()}")


def report(figures: list[Figure]) -> None:
    """The table, the ratios and targets, the CPU per account."""
    table(figures)
    ratios(figures)
    cpu(figures)
