"""How many requests, and how long, a plan takes against a realm with thousands of groups.

The claim under test: reading the live state is never N+1 (one request per group). A no-change plan against a
realm of 5,000 groups in a 5-level tree needs about (groups / page size) plus a small constant requests.

What the script does, in one run:

1. builds a group model in memory (10 companies with subsidiaries, departments down to ``--depth`` levels,
   about ``--groups`` groups in all, a handful of roles) and checks it with ``groupid.checks.find_problems``.
   Department names repeat across the tree as in real groups (every company has a 财务部);
   ``--unique-names`` makes each one unique;
2. loads it into Keycloak with one ``POST /admin/realms`` (Keycloak's own realm import), timed;
3. measures, each with a fresh :class:`KeycloakServer` whose request counter starts at 0:

   0. the first read after the import (cold: the server has only run the import), then ``--warmup - 1`` more
      untimed reads. ``--cold-read`` says how the first read is made: ``groupid`` (the default: the partial
      export, and the paged read beside it once the export is slow), ``export`` (the partial export awaited,
      however long it takes: what groupid did before) or ``paged``;
   a. a no-change plan (compile + read + diff), ``--repeat`` times: it must be empty;
   b. a one-change plan (a department deep in the tree renamed): exactly one update; then its apply;
   c. a naive baseline: one ``GET group-by-path`` per desired group, the least any per-group lookup costs;
      when the whole of it would not fit in ``--naive-budget`` seconds it runs on a sample and is
      extrapolated linearly (the output says so);
   d. the paged read that a server refusing the partial export (HTTP 403) gets, at page sizes 100 (the
      default) and 500.

Request counts are admin REST requests only: the sign-in (one token request when a KeycloakServer is made)
is not counted and not timed; its time is shown on its own. Token refreshes during long runs are not counted
either. For each read the output says which path it took (partial export, or paged) and where its requests
went; for a paged read, how many entries the search for managed groups answered, how many of them were
distinct, and how many ``/children`` pages the read needed for the groups the search missed.

By default the script starts a fresh local Keycloak of its own (``--instance``, default "bench") and stops it
at the end: on its dev database (in-memory H2), or with ``--db postgres`` on a throw-away PostgreSQL
(``postgres.py``). ``--restart`` (PostgreSQL only) restarts that Keycloak between the import and the first
read, so that the cold figure is the first plan after Keycloak starts on a realm its database already holds:
the first plan after a deployment or a node's restart. With ``--server-url`` it signs in with
GROUPID_ADMIN_USER / GROUPID_ADMIN_PASSWORD (or the other GROUPID_* credentials) and creates, then deletes, a
realm ``bench-plan-<random>`` there.

    .venv/bin/python bench/plan_scale.py [--groups 5000] [--depth 5] [--db dev|postgres] [--restart]
                                         [--server-url URL]
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import platform
import random
import secrets
import statistics
import subprocess
import threading
import time
from collections import Counter
from datetime import UTC, datetime
from importlib.metadata import version as package_version
from pathlib import Path
from urllib.parse import quote

from entry import exit_with
from postgres import PostgresError
from servers import FreshServer, fresh_server, say, stop_servers_on_kill

import groupid
from groupid.apply import apply_plans
from groupid.checks import find_problems
from groupid.diff import diff_realm
from groupid.errors import GroupidError
from groupid.keycloak_terms import ATTR_CODE
from groupid.model import Group
from groupid.plan import Plan, Update
from groupid.realms.connection import ConnectionSettings
from groupid.realms.keycloak import (
    HEDGE_AFTER,
    PAGE_SIZE,
    READ_PATHS,
    STARTED_WITHIN,
    AdminTransport,
    KeycloakServer,
    RealmReader,
)
from groupid.realms.keycloak.server import REALM_IMPORT_TIMEOUT
from groupid.state import RealmState, compile_realms, realm_representation

COMPANY_NAMES = ("星河集团", "星河科技", "星河制造", "星河金融", "星河云计算", "星河智能", "星河精密", "星河保险", "星河支付", "星河物流")
COMPANY_PARENTS = (None, 0, 0, 0, 1, 1, 2, 2, 3, 3)  # index of the parent company: levels 1, 2, 2, 2, 3 × 6
REGIONS = ("华东", "华北", "华南", "西南")
DEPARTMENT_NAMES = ("研发部", "财务部", "人力资源部", "市场部", "销售部", "运营部", "法务部", "采购部", "质量部", "信息技术部", "行政部", "审计部")
TEAM_NAMES = ("平台组", "数据组", "前端组", "后端组", "测试组", "运维组", "安全组", "产品组", "设计组", "客服组", "交付组", "支持组")
ROLES = (
    {"name": "employee", "description": "每位员工"},
    {"name": "it-user", "description": "内部系统用户"},
    {"name": "finance-viewer", "description": "查看财务数据"},
    {"name": "finance-editor", "description": "编辑财务数据", "composites": ["finance-viewer"]},
    {"name": "manager", "description": "部门负责人", "composites": ["employee"]},
    {"name": "group-admin", "description": "集团管理员", "composites": ["manager", "finance-editor"]},
)
PAGED_SIZES = (PAGE_SIZE, 500)
EXPORT = "POST partial-export"
SEARCH = "GET group search page"
CHILDREN = "GET children page"
NAIVE_MIN_SAMPLE = 500


# -- the model -------------------------------------------------------------------------------------------


def build_group(realm: str, groups: int, depth: int, unique_names: bool = False) -> Group:
    """A group of 10 companies (3 levels of subsidiaries at most) and departments down to ``depth`` levels.

    The group tree has ``groups`` groups in all; every company's departments fill the levels below it, each
    level larger than the one above, so the deepest level holds most of them. Department names repeat across
    the tree as they do in real groups (every company has a 财务部); ``unique_names`` appends each one's code.
    """
    company_cap = max(1, min(3, depth - 1))  # the deepest level a company sits at; departments go below
    companies, levels = [], []
    for index, name in enumerate(COMPANY_NAMES):
        parent = COMPANY_PARENTS[index]
        while parent is not None and levels[parent] + 1 > company_cap:  # a shallow tree: hang it higher up
            parent = COMPANY_PARENTS[parent]
        levels.append(1 if parent is None else levels[parent] + 1)
        companies.append({
            "code": f"C{index:02d}",
            "name": name,
            "parent": None if parent is None else f"C{parent:02d}",
            "region": REGIONS[index % len(REGIONS)],
            "roles": ["it-user"] + (["group-admin"] if index == 0 else []),
        })
    budget = groups - len(companies)
    departments = []
    for index, company in enumerate(companies):
        share = budget // len(companies) + (1 if index < budget % len(companies) else 0)
        departments += company_departments(company["code"], share, depth - levels[index], unique_names)
    return Group.model_validate({
        "code": "XH-BENCH",
        "name": "星河集团（基准）",
        "realm": realm,
        "default_roles": ["employee"],
        "companies": companies,
        "departments": departments,
        "roles": list(ROLES),
    })


def company_departments(company: str, count: int, levels: int, unique_names: bool = False) -> list[dict]:
    """``count`` departments of ``company`` in ``levels`` levels, each level about ``b`` times the one above."""
    if count <= 0 or levels <= 0:
        return []
    sizes = _level_sizes(count, levels)
    departments: list[dict] = []
    parents: list[str | None] = [None]  # None: directly under the company
    names_used: Counter[str | None] = Counter()
    sequence = 0
    for depth, size in enumerate(sizes):
        names = DEPARTMENT_NAMES if depth == 0 else TEAM_NAMES
        level = []
        for i in range(size):
            parent = parents[i % len(parents)]
            nth = names_used[parent]
            names_used[parent] += 1
            base = names[nth % len(names)]
            name = base if nth < len(names) else f"{base}{nth // len(names) + 1}"
            sequence += 1
            code = f"{company}-{sequence:05d}"
            if unique_names:
                name = f"{name}·{code}"
            roles = ["finance-viewer"] if base == "财务部" else []
            departments.append({"code": code, "name": name, "company": company, "parent": parent, "roles": roles})
            level.append(code)
        parents = level
    return departments


def _level_sizes(count: int, levels: int) -> list[int]:
    """Sizes of ``levels`` levels that add up to ``count``: b, b², …, the last one taking what is left."""
    levels = min(levels, count)
    low, high = 1.0, float(count)
    for _ in range(60):  # b such that b + b² + … + b^levels = count
        b = (low + high) / 2
        if sum(b**i for i in range(1, levels + 1)) > count:
            high = b
        else:
            low = b
    sizes = [max(1, round(low**i)) for i in range(1, levels)]
    while sum(sizes) > count - 1:  # leave at least one for the deepest level
        sizes[sizes.index(max(sizes))] -= 1
    return [*sizes, count - sum(sizes)]


def renamed(group: Group, code: str, name: str) -> Group:
    """The group with one department renamed."""
    departments = [d.model_copy(update={"name": name}) if d.code == code else d for d in group.departments]
    return group.model_copy(update={"departments": departments})


def deepest_department(state: RealmState) -> tuple[str, str, int]:
    """(path, code, level) of a department on the deepest level of the tree."""
    best = ("", "", 0)
    for path, node in state.walk_groups():
        level = path.count("/")
        if node.kind == "department" and level > best[2]:
            best = (path, node.code, level)
    return best


# -- counting requests -----------------------------------------------------------------------------------


class CountingServer(KeycloakServer):
    """A KeycloakServer that also counts its requests by kind (group search page, role, realm, ...), and adds
    up the seconds each kind took (summed over threads when requests run concurrently): see
    :class:`CountingTransport`, whose figures it shows."""

    FIGURES = frozenset({"sign_in_seconds", "kinds", "kind_seconds", "searched", "exported_bytes", "sent"})

    def __init__(self, settings: ConnectionSettings, page_size: int = PAGE_SIZE):
        super().__init__(settings, page_size, transport=CountingTransport(settings, page_size))

    def __getattr__(self, name):
        if name in self.FIGURES:
            return getattr(self.transport, name)
        raise AttributeError(name)


def settled(server: KeycloakServer) -> str:
    """Wait for a partial export the server's reader dropped for the paged read (it keeps Keycloak busy), so
    that the next step does not share Keycloak with it; what was waited for, in words."""
    if server.reader.wait_for_exports(0):
        return ""
    started = time.perf_counter()
    server.reader.wait_for_exports()
    return f"; the dropped partial export ended {time.perf_counter() - started:.1f} s later (not timed)"


class CountingTransport(AdminTransport):
    """The transport of a :class:`CountingServer`: it counts the requests by kind, and their seconds."""

    def __init__(self, settings: ConnectionSettings, page_size: int = PAGE_SIZE):
        started = time.perf_counter()
        super().__init__(settings, page_size)  # signs in: one token request, not counted in .requests
        self.sign_in_seconds = time.perf_counter() - started
        self.kinds: Counter[str] = Counter()
        self.kind_seconds: Counter[str] = Counter()
        self._kinds_lock = threading.Lock()  # the sync sends requests from several threads
        self.searched: list[str] = []  # ids of the groups the paged managed-group search answered
        self.exported_bytes = 0  # size of the partial export's answer
        self.sent: list[tuple[str, str, object, object]] | None = None
        """Set to a list to keep every write request sent from then on: (method, path, body, answer)."""

    def request(self, method, path, action, **kwargs):
        kind = _kind(method, path, kwargs.get("params") or {})
        started = time.perf_counter()
        try:
            answer = super().request(method, path, action, **kwargs)
        finally:
            with self._kinds_lock:
                self.kinds[kind] += 1
                self.kind_seconds[kind] += time.perf_counter() - started
        if self.sent is not None and method != "GET":
            with self._kinds_lock:
                self.sent.append((method, path, kwargs.get("body"), answer))
        if kind == SEARCH:
            self.searched += [group["id"] for group in answer]
        if kind == EXPORT and answer is not None:
            self.exported_bytes = len(json.dumps(answer, ensure_ascii=False).encode())
        return answer


class PagedServer(CountingServer):
    """A CountingServer refused the partial export, as an identity without the rights for it is: it reads paged."""

    def __init__(self, settings: ConnectionSettings, page_size: int = PAGE_SIZE):
        super().__init__(settings, page_size)
        self.reader = RefusedExport(self.transport)


class RefusedExport(RealmReader):
    """The reader of a :class:`PagedServer`: its partial export is refused, counted as such."""

    def exported_content(self, realm):
        self.transport.kinds[EXPORT + " (refused)"] += 1
        return None


def _kind(method: str, path: str, params: dict) -> str:
    if path == "admin/serverinfo":
        return f"{method} server info"
    parts = path.split("/")[3:]  # after admin/realms/{realm}
    if not parts:
        return f"{method} realm"
    head = parts[0]
    if head == "groups" and len(parts) == 1:
        return "GET group search page" if "q" in params or "search" in params else "GET top-level group page"
    if head == "groups" and parts[-1] == "children":
        return "GET children page"
    if head == "roles":
        return "GET role page" if len(parts) == 1 else f"{method} role {'composites' if 'composites' in parts else ''}".strip()
    if head == "users" and parts[-1] == "profile":
        return f"{method} user profile"
    if head == "group-by-path":
        return "GET group-by-path"
    return f"{method} " + "/".join("{id}" if len(part) == 36 and part.count("-") == 4 else part for part in parts)


# -- measurements ----------------------------------------------------------------------------------------


@dataclasses.dataclass
class Figure:
    what: str
    requests: int
    seconds: float
    note: str = ""
    kinds: Counter | None = None
    sign_in: float = 0.0  #: seconds the sign-in took (not in ``seconds``)
    live_groups: int = 0  #: groups the read found
    searched: int = 0  #: entries the paged managed-group search returned
    searched_unique: int = 0  #: distinct groups among them
    exported_bytes: int = 0  #: size of the partial export's answer (JSON, UTF-8)
    read_path: str = "?"  #: how the read got the groups and roles (:data:`groupid.realms.keycloak.READ_PATHS`)


WINDOW_PAST = 0.001
"""The window after Keycloak's start that the warm plans are given: groupid asks the server info as it always
does, and the server, which has just started for the benchmark, is past it, as one up for long is."""


def measure_plan(settings: ConnectionSettings, group: Group, page_size: int = PAGE_SIZE,
                 paged: bool = False, hedge_after: float | None = HEDGE_AFTER,
                 started_within: float = WINDOW_PAST) -> tuple[Figure, Plan]:
    """A plan from the in-memory model: compile, read the live realm, diff. Sign-in not counted.

    ``paged``: as a server that refuses the partial export would have it read. ``hedge_after``: the seconds the
    partial export has before the paged read starts beside it (None: the export is awaited). ``started_within``:
    the seconds after Keycloak's start in which groupid reads it paged alone: :data:`WINDOW_PAST` by default here,
    :data:`STARTED_WITHIN` for groupid's own first plan after the start.
    """
    server = (PagedServer if paged else CountingServer)(settings, page_size)
    server.reader.hedge_after = hedge_after
    server.reader.started_within = started_within
    started = time.perf_counter()
    state = compile_realms(group)[0]
    compiled = time.perf_counter()
    live = server.read(state.realm)
    read = time.perf_counter()
    plan = diff_realm(state, live)
    done = time.perf_counter()
    note = f"compile {compiled - started:.2f} s, read {read - compiled:.2f} s, diff {done - read:.2f} s"
    if server.kind_seconds.get("GET server info"):  # asked beside the user profile: not all of it is waited for
        note += f", server info {server.kind_seconds['GET server info']:.3f} s"
    note += settled(server)
    figure = Figure("", server.requests, done - started, note, server.kinds, server.sign_in_seconds, len(live.groups),
                    len(server.searched), len(set(server.searched)), server.exported_bytes,
                    server.reader.last_path or "?")
    return figure, plan


def measure_naive(settings: ConnectionSettings, realm: str, state: RealmState, budget: float, seed: int) -> Figure:
    """One GET group-by-path per desired group, checking each answer against the desired group.

    Runs on every group when that fits in ``budget`` seconds; otherwise stops after a sample of at least
    NAIVE_MIN_SAMPLE groups (spread over the whole tree) and extrapolates linearly to all of them.
    """
    desired = list(state.walk_groups())
    random.Random(seed).shuffle(desired)  # a sample is then spread over every level and every company
    server = CountingServer(settings)
    total, mismatches, done = len(desired), 0, 0
    started = time.perf_counter()
    for path, node in desired:
        found = server.transport.request("GET", _by_path(realm, path), f"look up {path}", missing_ok=True)
        if found is None or (found.get("attributes") or {}).get(ATTR_CODE) != [node.code]:
            mismatches += 1
        done += 1
        elapsed = time.perf_counter() - started
        if done == NAIVE_MIN_SAMPLE and elapsed / done * total > budget:
            break
        if elapsed > budget and done >= NAIVE_MIN_SAMPLE:
            break
    elapsed = time.perf_counter() - started
    if mismatches:
        raise SystemExit(f"naive lookup: {mismatches} of {done} groups not found as expected")
    if done == total:
        return Figure("", server.requests, elapsed, f"measured on all {total:,} groups", server.kinds)
    per = elapsed / done
    figure = Figure("", round(server.requests / done * total), per * total,
                    f"EXTRAPOLATED from {done:,} of {total:,} groups ({per * 1000:.1f} ms each; "
                    f"measured: {server.requests:,} requests, {elapsed:.1f} s)", server.kinds)
    return figure


def _by_path(realm: str, path: str) -> str:
    segments = "/".join(quote(segment, safe="") for segment in path.strip("/").split("/"))
    return f"admin/realms/{quote(realm, safe='')}/group-by-path/{segments}"


def server_facts(settings: ConnectionSettings) -> dict[str, str]:
    """Keycloak version, Java, heap and OS as the server reports them (no paths)."""
    server = KeycloakServer(settings)
    try:
        info = server.transport.request("GET", "admin/serverinfo", "read the server info")
    except GroupidError as exc:
        return {"keycloak": f"unknown ({exc})"}
    system, memory = info.get("systemInfo") or {}, info.get("memoryInfo") or {}
    facts = {
        "keycloak": system.get("version", "?"),
        "java": f"{system.get('javaVersion', '?')} ({system.get('javaVendor') or system.get('javaVm') or '?'})",
        "server os": f"{system.get('osName', '?')} {system.get('osArchitecture', '')}".strip(),
    }
    if memory.get("total"):
        facts["server heap max"] = f"{memory['total'] / 2**20:,.0f} MiB"
    cpus = (info.get("cpuInfo") or {}).get("processorCount")
    if cpus:
        facts["server cores"] = str(cpus)
    return facts


def groupid_revision() -> str:
    """The git commit of the groupid package measured, and whether its files differ from it."""
    where = str(Path(groupid.__file__).resolve().parent)
    try:
        head = subprocess.run(["git", "-C", where, "rev-parse", "--short", "HEAD"], capture_output=True, text=True, timeout=10)
        if head.returncode:
            return "unknown (not a git checkout)"
        dirty = subprocess.run(["git", "-C", where, "status", "--porcelain", "--", "."], capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return head.stdout.strip() + (" with uncommitted changes in groupid/" if dirty.stdout.strip() else "")


# -- the run ---------------------------------------------------------------------------------------------


def run(settings: ConnectionSettings, args, where: str, server: FreshServer | None = None) -> None:
    """The whole benchmark on one server: the model built and imported, then measured (``server``: the local
    Keycloak, for ``--restart``)."""
    realm = f"bench-plan-{secrets.token_hex(3)}"
    names = "unique department names" if args.unique_names else "department names repeated across the tree"
    say(f"groupid plan benchmark: {args.groups:,} groups, {args.depth} levels, {names}; realm {realm} ({where})")
    facts = {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        **server_facts(settings),
        "client cores": str(os.cpu_count()),
        "load average at start": " ".join(f"{x:.2f}" for x in os.getloadavg()),
        "python": platform.python_version(),
        "python-keycloak": package_version("python-keycloak"),
        "groupid": f"{package_version('groupid')}, revision {groupid_revision()}",
    }
    for key, value in facts.items():
        say(f"  {key:22} {value}")

    started = time.perf_counter()
    group = build_group(realm, args.groups, args.depth, args.unique_names)
    problems = find_problems(group)
    if problems:
        raise SystemExit("the generated model is not valid:\n" + "\n".join(str(p) for p in problems[:20]))
    state = compile_realms(group)[0]
    built = time.perf_counter() - started
    count = sum(1 for _ in state.walk_groups())
    deepest_path, deepest_code, deepest_level = deepest_department(state)
    levels = Counter(path.count("/") for path, _ in state.walk_groups())
    say(f"\nmodel: {count:,} groups ({len(group.companies)} companies, {len(group.departments):,} departments), "
        f"{len(group.roles)} roles; groups per level {dict(sorted(levels.items()))}; built and checked in {built:.2f} s")

    setup = CountingServer(settings)
    representation = realm_representation(state)
    representation["realm"] = realm
    try:
        started = time.perf_counter()
        setup.import_realm(representation)
        imported = time.perf_counter() - started
        total = setup.transport.request("GET", f"admin/realms/{realm}/groups/count", "count groups")["count"]
        say(f"import: 1 POST /admin/realms in {imported:.1f} s; Keycloak counts {total:,} groups\n")
        if total != count:
            raise SystemExit(f"Keycloak holds {total} groups, the model {count}")
        if args.restart:
            seconds = server.restart()
            settings = server.settings
            say(f"Keycloak restarted in {seconds:.1f} s: its caches are empty, its database holds the realm\n")
        figures = measure(settings, args, realm, group, state, count, deepest_path, deepest_code)
    finally:
        cleaner = CountingServer(settings)
        if not args.stop_server and cleaner.realm_exists(realm):  # a server of our own goes away with it
            started = time.perf_counter()
            cleaner.delete_realm(realm)
            say(f"\ndeleted realm {realm} in {time.perf_counter() - started:.1f} s")
    report(figures, count, deepest_level, imported)


def breakdown(figure: Figure) -> str:
    """The read path, and where a read's requests went: the export, or search pages (and how much they
    overlapped) and children pages; the rest."""
    kinds = figure.kinds or Counter()
    search, children = kinds[SEARCH], kinds[CHILDREN]
    if not search:
        return (f"read path: {figure.read_path}; {kinds[EXPORT]} partial export ({figure.exported_bytes / 1e6:.1f} MB); "
                f"{figure.requests - kinds[EXPORT]} other")
    rest = figure.requests - search - children
    return (f"read path: {figure.read_path}; {search} search pages answering {figure.searched:,} entries, "
            f"{figure.searched_unique:,} distinct; {children} children pages; {rest} other")


def other_requests(figure: Figure) -> str:
    """The requests of a read that are neither search nor children pages, by kind."""
    kinds = (figure.kinds or Counter()).items()
    return ", ".join(f"{n} {kind}" for kind, n in kinds if kind not in (SEARCH, CHILDREN, EXPORT))


def measure(settings, args, realm, group, state, count, deepest_path, deepest_code) -> list[Figure]:
    figures: list[Figure] = []

    # a fresh server has only ever run the import: its first reads are slower (JIT, caches). The first is
    # reported as the cold figure, the others warm the server up
    for i in range(max(1, args.warmup)):
        if i == 0 and args.cold_read != "groupid":
            figure, plan = measure_plan(settings, group, args.cold_page_size, paged=args.cold_read == "paged",
                                        hedge_after=None)
        else:
            figure, plan = measure_plan(settings, group, args.cold_page_size if i == 0 else PAGE_SIZE,
                                        started_within=STARTED_WITHIN if i == 0 else WINDOW_PAST)
        if not plan.empty or figure.live_groups != count:
            raise SystemExit(f"the first read found {figure.live_groups} groups and planned {len(plan.changes)} changes")
        say(f"warm-up read #{i + 1}: {figure.requests} requests, {figure.seconds:.2f} s ({figure.note})\n      {breakdown(figure)}")
        if i == 0:
            after = "Keycloak's restart" if args.restart else "the import"
            figures.append(dataclasses.replace(figure, what=f"first plan after {after}",
                                               note=f"cold, --cold-read {args.cold_read}, pages of {args.cold_page_size}; {breakdown(figure)}"))
            if figure.read_path == READ_PATHS[3]:
                # the plans that follow within the window are paged too: what one of them costs
                within, plan = measure_plan(settings, group, started_within=STARTED_WITHIN)
                if not plan.empty or within.read_path != READ_PATHS[3]:
                    raise SystemExit(f"the plan after the first one read {within.read_path}, planned {len(plan.changes)} changes")
                say(f"next plan, within {STARTED_WITHIN:.0f} s of the start: {within.requests} requests, {within.seconds:.2f} s "
                    f"({within.note})\n      {breakdown(within)}")
                figures.append(dataclasses.replace(within, what=f"next plan, up < {STARTED_WITHIN:.0f} s",
                                                   note=breakdown(within)))

    # (a) no-change plan, repeated
    runs = []
    for i in range(args.repeat):
        figure, plan = measure_plan(settings, group)
        if not plan.empty:
            raise SystemExit(f"the no-change plan is not empty: {[c.label for c in plan.changes[:5]]}")
        if figure.live_groups != count:
            raise SystemExit(f"the read found {figure.live_groups} groups, expected {count}")
        runs.append(figure)
        say(f"(a) no-change plan #{i + 1}: {figure.requests} requests, {figure.seconds:.2f} s ({figure.note}; "
            f"sign-in {figure.sign_in:.2f} s not included)\n      {breakdown(figure)}")
    requests = [f.requests for f in runs]
    seconds = [f.seconds for f in runs]
    spread = f"requests {min(requests)}–{max(requests)}, " if len(set(requests)) > 1 else ""
    middle = sorted(runs, key=lambda f: f.requests)[(len(runs) - 1) // 2]  # a real run, for the breakdown
    figures.append(dataclasses.replace(
        middle, what="no-change plan", seconds=statistics.median(seconds),
        note=f"median of {len(runs)} runs ({spread}{min(seconds):.2f}–{max(seconds):.2f} s); the plan is empty"))

    # (b) one-change plan: rename a department on the deepest level, then apply it
    new_name = deepest_path.rsplit("/", 1)[-1] + "（更名）"
    changed = renamed(group, deepest_code, new_name)
    figure, plan = measure_plan(settings, changed)
    updates = [c for c in plan.changes if isinstance(c, Update) and c.kind == "group" and c.key == deepest_code]
    if len(plan.changes) != 1 or len(updates) != 1:
        raise SystemExit(f"expected exactly one update, got {[(c.action, c.label) for c in plan.changes]}")
    say(f"(b) one-change plan: {figure.requests} requests, {figure.seconds:.2f} s ({figure.note}); "
        f"1 update: {deepest_path} renamed\n      {breakdown(figure)}")
    figures.append(dataclasses.replace(
        figure, what="one-change plan", note=f"1 update: a level-{deepest_path.count('/')} department renamed"))

    applier = CountingServer(settings)
    started = time.perf_counter()
    results = apply_plans([plan], applier)
    applied = time.perf_counter() - started
    if [len(r.done) for r in results] != [1]:
        raise SystemExit(f"apply applied {[len(r.done) for r in results]} changes")
    figures.append(Figure("apply of that one change", applier.requests, applied,
                          ", ".join(f"{n} {k}" for k, n in applier.kinds.items())))
    after, plan = measure_plan(settings, changed)
    if not plan.empty:
        raise SystemExit("the plan after apply is not empty")
    say(f"    apply: {applier.requests} requests, {applied:.3f} s; the plan after it is empty "
        f"({after.requests} requests, {after.seconds:.2f} s)")

    # (c) the naive baseline on the unchanged model: rename the department back first, so every path is found
    _, plan = measure_plan(settings, group)
    apply_plans([plan], CountingServer(settings))
    naive = measure_naive(settings, realm, state, args.naive_budget, args.seed)
    naive.what = "naive per-group lookup"
    figures.append(naive)
    say(f"(c) naive lookup: {naive.requests:,} requests, {naive.seconds:.1f} s ({naive.note})")
    # what a lookup by path makes of the rename: the new path is not there, so it would create a group
    new_path = deepest_path.rsplit("/", 1)[0] + "/" + new_name
    missing = CountingServer(settings).transport.request("GET", _by_path(realm, new_path), "look up", missing_ok=True) is None
    say(f"    the renamed department's new path: {'not found (a lookup by path sees a create, not a rename)' if missing else 'found'}")

    # (d) the paged read, which a server that refuses the partial export gets
    for size in PAGED_SIZES:
        figure, plan = measure_plan(settings, group, page_size=size, paged=True)
        if not plan.empty or figure.live_groups != count:
            raise SystemExit(f"paged read, page size {size}: {figure.live_groups} groups, {len(plan.changes)} changes")
        figures.append(dataclasses.replace(figure, what=f"paged fallback, page size {size}", note=breakdown(figure)))
        say(f"(d) paged fallback, page size {size}: {figure.requests} requests, {figure.seconds:.2f} s ({figure.note})")
    return figures


def report(figures: list[Figure], groups: int, depth: int, imported: float) -> None:
    by_name = {f.what: f for f in figures}
    no_change, naive = by_name["no-change plan"], by_name["naive per-group lookup"]
    say(f"\n{'measurement':34} {'groups':>7} {'depth':>5} {'requests':>9} {'seconds':>8}  notes")
    say("-" * 120)
    say(f"{'import (POST /admin/realms)':34} {groups:>7,} {depth:>5} {1:>9} {imported:>8.1f}  Keycloak's own realm import")
    for f in figures:
        say(f"{f.what:34} {groups:>7,} {depth:>5} {f.requests:>9,} {f.seconds:>8.2f}  {f.note}")
    say("-" * 120)
    ratio_requests = naive.requests / no_change.requests
    ratio_seconds = naive.seconds / no_change.seconds
    say(f"naive lookup vs no-change plan: {naive.requests:,} vs {no_change.requests:,} requests "
        f"({ratio_requests:,.0f}× fewer for the plan), {naive.seconds:,.1f} s vs {no_change.seconds:.2f} s "
        f"({ratio_seconds:,.1f}× faster)")
    pages = -(-groups // PAGE_SIZE)
    say(f"groups / page size = {groups:,} / {PAGE_SIZE} = {pages}; the no-change plan used {breakdown(no_change)}")
    say(f"other: {other_requests(no_change)}")
    say("requests: admin REST requests (sign-in, one token request per connection, not counted); "
        "seconds: wall time (sign-in excluded)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--groups", type=int, default=5000, help="groups in the realm (default 5000)")
    parser.add_argument("--depth", type=int, default=5, help="levels of the group tree (default 5)")
    parser.add_argument("--server-url", help="use this Keycloak (credentials from GROUPID_ADMIN_USER / "
                        "GROUPID_ADMIN_PASSWORD) instead of starting a local one")
    parser.add_argument("--repeat", type=int, default=3, help="no-change plans to time (default 3; the median counts)")
    parser.add_argument("--warmup", type=int, default=1,
                        help="no-change plans run first, the first one reported as the cold figure (default 1)")
    parser.add_argument("--cold-read", choices=("groupid", "export", "paged"), default="groupid",
                        help="how the first read after the import is made: groupid's way (default), the partial "
                        "export awaited however long it takes, or paged")
    parser.add_argument("--cold-page-size", type=int, default=PAGE_SIZE,
                        help=f"groups a page of the first read's paged way (default {PAGE_SIZE}, groupid's)")
    parser.add_argument("--naive-budget", type=float, default=420.0,
                        help="seconds the naive baseline may take before it is sampled and extrapolated (default 420)")
    parser.add_argument("--seed", type=int, default=1, help="seed of the naive baseline's lookup order")
    parser.add_argument("--unique-names", action="store_true",
                        help="make every department name unique in the realm (by default names repeat, as in real groups)")
    parser.add_argument("--db", choices=("dev", "postgres"), default="dev",
                        help="the local Keycloak's database: its dev database (in-memory H2, the default) or a "
                        "throw-away PostgreSQL")
    parser.add_argument("--restart", action="store_true",
                        help="restart the local Keycloak after the import, so that the first plan is the first after "
                        "Keycloak starts on a realm its database holds (needs --db postgres)")
    parser.add_argument("--instance", default="bench", help="the local Keycloak's instance name (default bench)")
    args = parser.parse_args(argv)
    if args.depth < 2 or args.groups < 20 or args.repeat < 1 or args.warmup < 0:
        parser.error("--depth must be at least 2, --groups at least 20, --repeat at least 1")
    if args.restart and (args.server_url or args.db != "postgres"):
        parser.error("--restart needs a local Keycloak on --db postgres: the dev database lives in Keycloak's "
                     "memory, and a server given by --server-url is not the script's to restart")
    args.stop_server = not args.server_url

    if args.server_url:
        settings = ConnectionSettings.from_env(server_url=args.server_url)
        settings = dataclasses.replace(settings, timeout=max(settings.timeout, REALM_IMPORT_TIMEOUT))
        run(settings, args, "the server given")
        return 0
    stop_servers_on_kill()
    with fresh_server(args.db, args.instance, timeout=REALM_IMPORT_TIMEOUT) as server:
        run(server.settings, args, f"a fresh local Keycloak on the {server.where}", server)
    say("the local servers stopped")
    return 0


if __name__ == "__main__":
    exit_with(main, GroupidError, PostgresError)
