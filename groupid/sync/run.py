"""One sync run from end to end: lock the realm, read Keycloak, plan, guard, apply, record.

:func:`sync_people` is the engine every people source feeds (:class:`~groupid.sources.PeopleSource`); how it
runs is one :class:`SyncOptions`. It knows no source by name: the HR sync (:mod:`groupid.hr_sync`) reads an HR
export and its mapping, checks every input before Keycloak is contacted, and hands the rows in.
"""

from __future__ import annotations

import gc
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path

from groupid.errors import ApplyFailed, ConfigurationError, ExitCode, RunInterrupted, SafetyGuardRefused
from groupid.keycloak_terms import ATTR_CODE, ATTR_KIND, keeps_attribute
from groupid.lock import sync_lock
from groupid.model import Group
from groupid.policy import GuardPolicy, SyncPolicy
from groupid.realms.base import RealmAdapter
from groupid.realms.live import LiveRealm
from groupid.runs import Outcome, Progress, Threshold
from groupid.sources import PeopleSource, Rejection, SourceRow, managed_roles
from groupid.state import USER_ATTRIBUTES, compile_realms
from groupid.sync.applying import apply_sync
from groupid.sync.changes import PersonChange, SyncPlan, totals
from groupid.sync.people import ANCHOR_ATTRIBUTE, DesiredPerson, Directory, desire
from groupid.sync.planning import RealmPeople, plan_sync
from groupid.sync.report import check_writable, write_report
from groupid.text import quoted

ROWS_RECORD = "groupid.sync.{source}.rows"
LAST_RECORD = "groupid.sync.{source}.last"
"""Realm attributes (of the group's realm) where a successful run records its row count and date; the next run
compares its row count with it to catch a truncated export. ``{source}`` is the source's name."""


@dataclass(frozen=True)
class SyncOptions:
    """How one sync runs, whatever its source."""

    policy: SyncPolicy | None = None  #: None: the source's own (an HR mapping's ``policy:``), else the defaults
    realm: str | None = None  #: the group's realm under another name (``--realm``: a staging copy, say)
    dry_run: bool = False  #: plan, guard and report; write nothing
    force: bool = False  #: go on when the leaver or truncation guard trips (the lock always holds)
    today: date | None = None  #: the day the run treats as today; None: the real one
    report: Path | str | None = None  #: where the JSONL report goes
    progress: Progress | None = None  #: told (people done, people in all) as the apply goes
    wait: float = 0.0  #: seconds to wait for another run's lock


@dataclass
class SyncResult:
    """What a sync planned and, unless it was a dry run, did."""

    plan: SyncPlan
    outcome: Outcome[PersonChange] | None  #: None on a dry run
    report_lines: int = 0
    bookkeeping: int = 0  #: writes that are not about people: the lock and the run record

    @property
    def dry_run(self) -> bool:
        """True when nothing was applied."""
        return self.outcome is None

    @property
    def writes(self) -> int:
        """Write requests sent for people (accounts, memberships); 0 on a dry run."""
        return self.outcome.writes if self.outcome else 0

    def by_company(self) -> dict[str, Counter]:
        """Per company: the actions done (planned, on a dry run), ``failed``, ``rejected``, ``unchanged``, ``waiting``."""
        if self.outcome is None:
            return self.plan.by_company()
        failed = {id(change) for change, _ in self.outcome.failed}  # one person, one count: not also "create"
        made = [change for change in self.outcome.done if id(change) not in failed]
        done = SyncPlan(made, self.plan.rejections, [], self.plan.unchanged, self.plan.waiting).by_company()
        for change, _ in self.outcome.failed:
            done.setdefault(change.company or "?", Counter())["failed"] += 1
        return dict(sorted(done.items()))

    def counts(self) -> Counter:
        """The totals of :meth:`by_company`."""
        return totals(self.by_company())

    @property
    def exit_code(self) -> ExitCode:
        """0 when everything went, :attr:`ExitCode.ROWS_REJECTED` when some source rows were rejected."""
        return ExitCode.ROWS_REJECTED if self.plan.rejections else ExitCode.OK


def sync_source(source: PeopleSource, group: Group, adapter: RealmAdapter | None = None, *,
                connect: Callable[[], RealmAdapter] | None = None, policy: SyncPolicy | None = None,
                options: SyncOptions = SyncOptions()) -> SyncResult:
    """:func:`sync_people` for a source whose inputs are already read and checked, under ``options.policy``,
    else the source's own ``policy``.

    The Keycloak is ``adapter``, or what ``connect()`` returns: it is called only once the report's folder is
    known to exist, so that every bad input is reported as such, even when no server answers.
    """
    if (adapter is None) == (connect is None):
        raise TypeError("a sync takes either an adapter or a connect callable")
    group.under_realm(options.realm)  # a bad --realm is reported before the server is contacted
    if options.report is not None:
        check_writable(options.report)
    adapter = adapter if adapter is not None else connect()
    return sync_people(source, group, adapter, replace(options, policy=options.policy or policy))


def sync_people(source: PeopleSource, group: Group, adapter: RealmAdapter,
                options: SyncOptions = SyncOptions()) -> SyncResult:
    """Plan and apply the joiners, movers and leavers ``source`` describes for the realms of ``group``.

    Raises :class:`SafetyGuardRefused` (nothing written) when a guard refuses and ``options.force`` is not set,
    :class:`ApplyFailed` when some people could not be written (the rest was; the report says which), and
    :class:`RunInterrupted` when the server, the credentials or the lock were lost part-way (the report says
    what was written).
    """
    policy = options.policy or SyncPolicy()
    group = group.under_realm(options.realm)
    today = options.today or date.today()
    with bulk_build():
        directory = Directory(group, compile_realms(group))
        entries, out_of_scope = _entries(source, directory, today)
    rows = len(source)
    for name in directory.realms:  # before the lock, which lives in the group's realm
        if not adapter.realm_exists(name):
            raise ConfigurationError(f"realm {name} does not exist: apply the spec first (groupid apply)")
    roles = managed_roles(source)
    _check_roles(adapter, directory.realms, roles, source.name)
    if options.dry_run:
        plan, last_rows = _plan(adapter, directory, entries, out_of_scope, rows, policy, today, source.name, roles)
        _check_guards(plan, policy, last_rows, options)
        return _finish(SyncResult(plan, None), options.report)
    with sync_lock(adapter, group.realm, source.name, options.wait) as lease:
        plan, last_rows = _plan(adapter, directory, entries, out_of_scope, rows, policy, today, source.name, roles)
        _check_guards(plan, policy, last_rows, options)
        try:
            outcome = apply_sync(plan, adapter, workers=policy.workers, progress=options.progress, guard=lease.check)
        except RunInterrupted as exc:
            _finish(SyncResult(plan, exc.outcome), options.report)  # what was written before the run stopped
            raise
        result = SyncResult(plan, outcome, bookkeeping=2)
        if not outcome.failed:
            result.bookkeeping += _record(adapter, group.realm, source.name, plan.rows, today)
    _finish(result, options.report)
    if outcome.failed:
        raise ApplyFailed(
            f"{len(outcome.failed)} of {len(plan.changes)} people could not be written "
            f"(first: {outcome.failed[0][0].employee_id}: {outcome.failed[0][1]}); the others were",
            result=result,
        )
    return result


@contextmanager
def bulk_build() -> Iterator[None]:
    """Build many long-lived objects without Python's cycle collector stepping in.

    Reading an export of 100,000 people and planning them allocate millions of objects that all stay alive;
    the collector would walk them again and again for nothing (it took half the time of those steps). What
    little cyclic garbage they leave waits for the collector's next pass. Reading Keycloak is left outside:
    it waits on the network, and a re-sync reads for minutes.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _entries(source: PeopleSource, directory: Directory,
             today: date) -> tuple[list[DesiredPerson | Rejection], set[str]]:
    """The source's rows as desired people and rejections (those the source made last), and the employee IDs
    of the rows out of scope."""
    desired: list[DesiredPerson | Rejection] = []
    rejected: list[Rejection] = []
    out_of_scope: set[str] = set()
    for entry in source:
        if isinstance(entry, SourceRow):
            desired.append(desire(entry.values, entry.where, directory, today, anchor=entry.anchor, roles=entry.roles))
        elif isinstance(entry, Rejection):
            rejected.append(entry)
        elif entry.employee_id:
            out_of_scope.add(entry.employee_id)
    return desired + rejected, out_of_scope


def _plan(adapter: RealmAdapter, directory: Directory, entries: list[DesiredPerson | Rejection], out_of_scope: set[str],
          rows: int, policy: SyncPolicy, today: date, source: str,
          roles: frozenset[str] = frozenset()) -> tuple[SyncPlan, int | None]:
    # a realm applied before anchors existed lacks their attribute: only a source that has anchors needs it
    anchors = any(isinstance(entry, DesiredPerson) and entry.anchor for entry in entries)
    attributes = [name for name, _ in USER_ATTRIBUTES if anchors or name != ANCHOR_ATTRIBUTE]
    realms = [_realm_people(adapter, directory, name, roles, attributes) for name in directory.realms]
    with bulk_build():
        plan = plan_sync(entries, out_of_scope, realms, policy, today, rows=rows)
    last = adapter.read_realm_attributes(directory.group.realm).get(ROWS_RECORD.format(source=source))
    return plan, int(last) if last and last.isdigit() else None


def _realm_people(adapter: RealmAdapter, directory: Directory, realm: str, roles: frozenset[str],
                  attributes: list[str]) -> RealmPeople:
    """The accounts of ``realm``, the groups and organizations people are placed in, and who holds each of the
    source's managed ``roles`` directly: one paged list per role, never a request per user."""
    live = adapter.read(realm)
    _check_user_profile(live, attributes)
    groups, paths = {}, live.paths()
    for group in live.groups:
        code = group.attribute(ATTR_CODE)
        if group.attribute(ATTR_KIND) in ("company", "department") and directory.places.get(code, ("", ""))[0] == realm:
            groups[code] = (group.id, paths[group.id])
    missing = sorted(code for code, (where, _) in directory.places.items() if where == realm and code not in groups)
    if missing:
        raise ConfigurationError(
            f"realm {realm} lacks the groups of {', '.join(missing[:5])}{' …' if len(missing) > 5 else ''} "
            f"({len(missing)} in all): apply the spec first (groupid plan, groupid apply)"
        )
    organizations = {org.attribute(ATTR_CODE): org.id for org in live.organizations
                     if directory.organizations.get(org.attribute(ATTR_CODE)) == realm}
    users = adapter.read_users(realm, [group_id for group_id, _ in groups.values()], list(organizations.values()))
    holders = {name: frozenset(adapter.role_holders(realm, name)) for name in sorted(roles)}
    return RealmPeople(realm, users, groups, organizations, holders)


def _check_roles(adapter: RealmAdapter, realms: list[str], roles: frozenset[str], source: str) -> None:
    """Refuse a source that manages a realm role one of the ``realms`` people live in lacks: before the lock,
    and so before anything is written."""
    for realm in realms:
        lacking = [quoted(name) for name in sorted(roles) if adapter.read_role_attributes(realm, name) is None]
        if lacking:
            raise ConfigurationError(
                f"realm {realm} has no role {', '.join(lacking)}, which the people source {source} manages: "
                "define it in the spec and apply it (groupid apply), or leave it out of the source's roles"
            )


def _check_user_profile(live: LiveRealm, attributes: list[str]) -> None:
    """Keycloak 24+ drops undeclared attributes without a word: refuse to sync into a realm that would drop
    some of ``attributes``."""
    missing = [name for name in attributes if not keeps_attribute(live.user_profile, name)]
    if missing:
        raise ConfigurationError(
            f"the user profile of realm {live.name} does not declare {', '.join(missing)}: Keycloak would drop "
            "them silently. Apply the spec (it declares them unless declare_user_attributes is false), "
            "or declare them yourself"
        )


def _check_guards(plan: SyncPlan, policy: SyncPolicy, last_rows: int | None, options: SyncOptions) -> None:
    """Raise :class:`SafetyGuardRefused` when a guard trips; the report then shows what was refused."""
    if options.force:
        return
    try:
        _check_thresholds(plan, policy.guard, last_rows)
    except SafetyGuardRefused:
        _finish(SyncResult(plan, None), options.report)  # planned lines: what a human looks at before --force
        raise


def _check_thresholds(plan: SyncPlan, guard: GuardPolicy, last_rows: int | None) -> None:
    # the truncation guard first: it names the cause when both trip
    if last_rows and plan.rows < guard.min_row_share * last_rows:
        raise SafetyGuardRefused(
            f"the export has {plan.rows} rows, the last successful run had {last_rows}: it looks truncated "
            f"(fewer than {guard.min_row_share:.0%}); nothing was written. If it is right, run again with --force"
        )
    leavers = plan.leavers
    Threshold(guard.max_leavers, guard.max_leaver_share).check(
        leavers, plan.active,
        f"this run would disable or delete {leavers} of {plan.active} enabled accounts, more than "
        f"{guard.max_leavers} and more than {guard.max_leaver_share:.0%}; nothing was written. "
        "Check the export; if it is right, run again with --force",
    )


def _record(adapter: RealmAdapter, realm: str, source: str, rows: int, today: date) -> int:
    """Remember this run's row count for the next run's truncation guard; return the writes it took."""
    record = {ROWS_RECORD.format(source=source): str(rows), LAST_RECORD.format(source=source): today.isoformat()}
    current = adapter.read_realm_attributes(realm)
    if all(current.get(key) == value for key, value in record.items()):
        return 0
    adapter.set_realm_attributes(realm, record)
    return 1


def _finish(result: SyncResult, report: Path | str | None) -> SyncResult:
    if report is not None:
        result.report_lines = write_report(report, result.plan, result.outcome)
    return result
