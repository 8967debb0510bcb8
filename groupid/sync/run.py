"""One sync run from end to end: read the source, lock the realm, read Keycloak, plan, guard, apply, record.

:func:`sync_people` is the engine every people source feeds; :func:`sync_hr` reads an HR export into it.
Every input is read and checked before Keycloak is contacted (:func:`read_sync_inputs`): a broken mapping or
export is reported as such, even when no server answers.
"""

from __future__ import annotations

import gc
import os
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path


from groupid.keycloak_terms import ATTR_CODE, ATTR_KIND, keeps_attribute
from groupid.connectors.hr import Mapping, SourceRows, load_mapping, read_people
from groupid.errors import (
    ApplyFailed, AuthenticationFailed, ConfigurationError, ExitCode, KeycloakUnreachable, SafetyGuardRefused,
    SourceError,
)
from groupid.policy import GuardPolicy, SyncPolicy
from groupid.model import Group
from groupid.realms.base import LiveRealm, RealmAdapter
from groupid.spec import load_spec
from groupid.state import USER_ATTRIBUTES, compile_realms
from groupid.sync.applying import Outcome, Progress, apply_sync
from groupid.sync.changes import SyncPlan, totals
from groupid.sync.lock import LockLost, sync_lock
from groupid.sync.people import DesiredPerson, Directory, Rejection, desire
from groupid.sync.planning import RealmPeople, plan_sync
from groupid.sync.report import write_report

ROWS_RECORD = "groupid.sync.{source}.rows"
LAST_RECORD = "groupid.sync.{source}.last"
"""Realm attributes (of the group's realm) where a successful run records its row count and date; the next run
compares its row count with it to catch a truncated export."""


@dataclass
class SyncResult:
    """What a sync planned and, unless it was a dry run, did."""

    plan: SyncPlan
    outcome: Outcome | None  #: None on a dry run
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


@dataclass(frozen=True)
class SyncInputs:
    """What an HR sync reads before it contacts Keycloak, each part read and checked."""

    mapping: Mapping
    group: Group
    rows: SourceRows


def read_sync_inputs(export: Path | str, spec: Path | str, mapping: Path | str) -> SyncInputs:
    """Read and check the mapping, the spec and the export (in that order: the export is read as the mapping
    says). Raises :class:`SourceError` or :class:`SpecError` naming the file and line of the first that fails."""
    with _bulk_build():
        rules = load_mapping(mapping)
        group = load_spec(spec)
        rows = read_people(export, rules)
    return SyncInputs(rules, group, rows)


def sync_hr(
    export: Path | str, spec: Path | str, mapping: Path | str, adapter: RealmAdapter | None = None, *,
    connect: Callable[[], RealmAdapter] | None = None,
    realm: str | None = None, dry_run: bool = False, force: bool = False, today: date | None = None,
    report: Path | str | None = None, progress: Progress | None = None, wait: float = 0.0,
) -> SyncResult:
    """Sync the people of the HR export at ``export`` (read as the ``mapping`` file says) into the realms of
    the spec at ``spec``. See :func:`sync_people` for the rest.

    The Keycloak is ``adapter``, or what ``connect()`` returns: it is called only once every input is read and
    checked, and the report's folder is known to exist, so that a bad input is reported as such even when no
    server answers.
    """
    if (adapter is None) == (connect is None):
        raise TypeError("sync_hr takes either an adapter or a connect callable")
    inputs = read_sync_inputs(export, spec, mapping)
    group = inputs.group.under_realm(realm)
    if report is not None:
        _check_writable(Path(report))
    adapter = adapter if adapter is not None else connect()
    return sync_people(inputs.rows, group, adapter, inputs.mapping.policy, dry_run=dry_run, force=force,
                       today=today, report=report, progress=progress, wait=wait, source="hr")


def _check_writable(report: Path) -> None:
    """Refuse a report path that cannot be written, before the run instead of after it."""
    folder = report.parent
    if report.is_dir():
        raise SourceError(f"{report}: is a directory; --report names the file to write")
    if not folder.is_dir():
        raise SourceError(f"{report}: the folder {folder} does not exist")
    if not os.access(folder, os.W_OK | os.X_OK) or (report.exists() and not os.access(report, os.W_OK)):
        raise SourceError(f"{report}: cannot write the report here (permission denied)")


def sync_people(
    rows: SourceRows, group: Group, adapter: RealmAdapter, policy: SyncPolicy = SyncPolicy(), *,
    realm: str | None = None, dry_run: bool = False, force: bool = False, today: date | None = None,
    report: Path | str | None = None, progress: Progress | None = None, wait: float = 0.0, source: str = "hr",
) -> SyncResult:
    """Plan and apply the joiners, movers and leavers ``rows`` describe, under ``policy``.

    ``realm`` puts the group's realm under another name; ``today`` is the day the run treats as today;
    ``report`` is where the JSONL report goes; ``wait`` is how long to wait for another run's lock.
    Raises :class:`SafetyGuardRefused` (nothing written) when a guard refuses and ``force`` is not set,
    :class:`ApplyFailed` when some people could not be written (the rest was; the report says which).
    """
    group = group.under_realm(realm)
    today = today or date.today()
    with _bulk_build():
        directory = Directory(group, compile_realms(group))
        source_entries = _entries(rows, directory, today)
    for name in directory.realms:  # before the lock, which lives in the group's realm
        if not adapter.realm_exists(name):
            raise ConfigurationError(f"realm {name} does not exist: apply the spec first (groupid apply)")
    if dry_run:
        plan, last_rows = _plan(adapter, directory, rows, source_entries, policy, today, source)
        _check_guards(plan, policy, last_rows, force, report)
        return _finish(SyncResult(plan, None), report)
    with sync_lock(adapter, group.realm, source, wait) as lease:
        plan, last_rows = _plan(adapter, directory, rows, source_entries, policy, today, source)
        _check_guards(plan, policy, last_rows, force, report)
        try:
            outcome = apply_sync(plan, adapter, workers=policy.workers, progress=progress, guard=lease.check)
        except (KeycloakUnreachable, AuthenticationFailed, LockLost) as exc:
            _finish(SyncResult(plan, exc.outcome), report)  # what was written before the server went away
            raise
        result = SyncResult(plan, outcome, bookkeeping=2)
        if not outcome.failed:
            result.bookkeeping += _record(adapter, group.realm, source, plan.rows, today)
    _finish(result, report)
    if outcome.failed:
        raise ApplyFailed(
            f"{len(outcome.failed)} of {len(plan.changes)} people could not be written "
            f"(first: {outcome.failed[0][0].employee_id}: {outcome.failed[0][1]}); the others were",
            result=result,
        )
    return result


@contextmanager
def _bulk_build() -> Iterator[None]:
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


def _entries(rows: SourceRows, directory: Directory, today: date) -> list[DesiredPerson | Rejection]:
    entries: list[DesiredPerson | Rejection] = [desire(row.values, row.where, directory, today) for row in rows.people]
    entries += [Rejection(row.where, row.employee_id, tuple(row.reasons)) for row in rows.rejected]
    return entries


def _plan(adapter: RealmAdapter, directory: Directory, rows: SourceRows, entries, policy: SyncPolicy,
          today: date, source: str) -> tuple[SyncPlan, int | None]:
    realms = [_realm_people(adapter, directory, name) for name in directory.realms]
    out_of_scope = {row.employee_id for row in rows.out_of_scope if row.employee_id}
    with _bulk_build():
        plan = plan_sync(entries, out_of_scope, realms, policy, today, rows=len(rows))
    last = adapter.read_realm_attributes(directory.group.realm).get(ROWS_RECORD.format(source=source))
    return plan, int(last) if last and last.isdigit() else None


def _realm_people(adapter: RealmAdapter, directory: Directory, realm: str) -> RealmPeople:
    live = adapter.read(realm)
    _check_user_profile(live)
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
    return RealmPeople(realm, users, groups, organizations)


def _check_user_profile(live: LiveRealm) -> None:
    """Keycloak 24+ drops undeclared attributes without a word: refuse to sync into a realm that would."""
    missing = [name for name, _ in USER_ATTRIBUTES if not keeps_attribute(live.user_profile, name)]
    if missing:
        raise ConfigurationError(
            f"the user profile of realm {live.name} does not declare {', '.join(missing)}: Keycloak would drop "
            "them silently. Apply the spec (it declares them unless declare_user_attributes is false), "
            "or declare them yourself"
        )


def _check_guards(plan: SyncPlan, policy: SyncPolicy, last_rows: int | None, force: bool,
                  report: Path | str | None) -> None:
    """Raise :class:`SafetyGuardRefused` when a guard trips; the report then shows what was refused."""
    if force:
        return
    try:
        _check_thresholds(plan, policy.guard, last_rows)
    except SafetyGuardRefused:
        _finish(SyncResult(plan, None), report)  # planned lines: what a human looks at before --force
        raise


def _check_thresholds(plan: SyncPlan, guard: GuardPolicy, last_rows: int | None) -> None:
    # the truncation guard first: it names the cause when both trip
    if last_rows and plan.rows < guard.min_row_share * last_rows:
        raise SafetyGuardRefused(
            f"the export has {plan.rows} rows, the last successful run had {last_rows}: it looks truncated "
            f"(fewer than {guard.min_row_share:.0%}); nothing was written. If it is right, run again with --force"
        )
    leavers = plan.leavers
    if leavers > guard.max_leavers and leavers > guard.max_leaver_share * plan.active:
        raise SafetyGuardRefused(
            f"this run would disable or delete {leavers} of {plan.active} enabled accounts, more than "
            f"{guard.max_leavers} and more than {guard.max_leaver_share:.0%}; nothing was written. "
            "Check the export; if it is right, run again with --force"
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
