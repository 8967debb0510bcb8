"""Carry out a sync plan: new accounts in bulk, then every other change with bounded concurrency.

New accounts go through Keycloak's partial import in chunks (``ifResourceExists: SKIP``: an account that
appeared in the meantime is skipped and reported, never overwritten). Each other change is a handful of
small requests; up to ``workers`` people are updated at once. One person's failure (Keycloak refused an email
already in use, say) is recorded and the rest goes on; losing the server, the credentials or the lock stops the
run (:class:`~groupid.errors.RunInterrupted`, with what was done until then). The ids Keycloak gives the new
accounts are the outcome's (:attr:`groupid.runs.Outcome.ids`): the plan is never written to.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import FIRST_EXCEPTION, ThreadPoolExecutor, wait
from itertools import groupby

from groupid.errors import AuthenticationFailed, KeycloakError, KeycloakUnreachable, RunInterrupted
from groupid.lock import LockLost
from groupid.realms.base import IMPORT_CHUNK, RealmAdapter
from groupid.runs import Outcome, Progress
from groupid.sync.changes import PersonChange, SyncPlan

CHUNK = 500
"""Accounts handed to the adapter's bulk create at a time — it sends them :data:`IMPORT_CHUNK` to a request —
so that progress shows and one refused request costs a retry of no more than this many."""


class _Run:
    """One apply in progress: the outcome, guarded by a lock because workers report into it."""

    def __init__(self, adapter: RealmAdapter, total: int, progress: Progress | None,
                 guard: Callable[[], None] | None = None):
        self.adapter, self.total, self.progress = adapter, total, progress
        self.guard = guard or (lambda: None)
        self.outcome: Outcome[PersonChange] = Outcome()
        self._lock = threading.Lock()
        self._count = 0

    def user_id(self, change: PersonChange) -> str | None:
        """The account's id: the plan's, or the one Keycloak gave the account this run created."""
        return change.user_id or self.outcome.ids.get(change)

    def wrote(self, count: int = 1) -> None:
        with self._lock:
            self.outcome.writes += count

    def failed_after_create(self, change: PersonChange, error: str) -> None:
        """A new account whose follow-up (its organization, its roles) failed: counted as a failure, not a second
        person."""
        what = " and ".join(part for part, wanted in (("added to its organization", change.add_organizations),
                                                       ("given its roles", change.add_roles)) if wanted)
        with self._lock:
            self.outcome.failed.append((change, f"created, but not {what}: {error}"))

    def finished(self, change: PersonChange, error: str | None = None, user_id: str | None = None) -> None:
        """Record ``change`` as done (the account Keycloak created as ``user_id``, if it did) or failed."""
        with self._lock:
            if user_id is not None:
                self.outcome.ids[change] = user_id
            if error is None:
                self.outcome.done.append(change)
            else:
                self.outcome.failed.append((change, error))
            self._count += 1
            count = self._count
        if self.progress:
            self.progress(count, self.total)


def apply_sync(plan: SyncPlan, adapter: RealmAdapter, *, workers: int = 8, chunk: int = CHUNK,
               progress: Progress | None = None, guard: Callable[[], None] | None = None) -> Outcome[PersonChange]:
    """Make the changes of ``plan`` through ``adapter``; return what was done, what failed, and the ids of
    the accounts created (``ids``).

    ``guard`` is called before each write request and stops the run by raising (the lock's
    :meth:`~groupid.lock.Lease.check`). Raises :class:`RunInterrupted` — its ``cause`` a
    :class:`KeycloakUnreachable`, :class:`AuthenticationFailed` or :class:`LockLost` — when the server, the
    credentials or the lock are lost part-way; its ``outcome`` is what was done until then.
    """
    run = _Run(adapter, len(plan.changes), progress, guard)
    creates = [change for change in plan.changes if change.new is not None]
    others = [change for change in plan.changes if change.new is None]
    try:
        for realm, changes in groupby(creates, key=lambda change: change.realm):
            _create(run, realm, list(changes), chunk)
        created = [change for change in run.outcome.done
                   if (change.add_organizations or change.add_roles) and change in run.outcome.ids]
        _concurrently(run, others, workers)
        _concurrently(run, created, workers, follow_up=True)
    except (KeycloakUnreachable, AuthenticationFailed, LockLost) as exc:
        raise RunInterrupted(str(exc), outcome=run.outcome, cause=exc) from exc
    return run.outcome


IMPORTERS = 3
"""Bulk-create requests sent at once: Keycloak creates the accounts of one request one after the other, so a
few requests in flight keep its cores busy while each waits on the database."""


def _create(run: _Run, realm: str, changes: list[PersonChange], chunk: int) -> None:
    parts = [changes[start:start + chunk] for start in range(0, len(changes), chunk)]
    _in_pool(IMPORTERS, [lambda part=part: _create_part(run, realm, part) for part in parts])


def _create_part(run: _Run, realm: str, part: list[PersonChange]) -> None:
    try:
        ids = _import(run, realm, part)
    except (KeycloakUnreachable, AuthenticationFailed):
        raise
    except KeycloakError:
        # Keycloak refused a request of the slice, which may have created some accounts before it: one
        # at a time, each person gets their own answer (an account made the first time is skipped now)
        ids = {}
        for change in part:
            try:
                ids |= _import(run, realm, [change])
            except (KeycloakUnreachable, AuthenticationFailed):
                raise
            except KeycloakError as exc:
                ids[change.username] = exc
        retried = True
    else:
        retried = False
    for change in part:
        answer = ids.get(change.username)
        if isinstance(answer, str):
            run.finished(change, user_id=answer)
        elif answer is None and retried:
            # skipped on the retry: the refused request created it (the username was free when planned,
            # and the planner turned away emails in use); the next run finds it by its employee ID
            run.finished(change)
        else:
            run.finished(change, str(answer) if answer else
                         "Keycloak skipped the new account: its username or email is already in use")


def _import(run: _Run, realm: str, part: list[PersonChange]) -> dict:
    run.guard()
    try:
        # each representation is made as its part is sent, never all at once
        return run.adapter.import_users(realm, [change.new.representation() for change in part])
    finally:
        run.wrote(-(-len(part) // IMPORT_CHUNK))  # the requests the adapter sends for them


def _concurrently(run: _Run, changes: list[PersonChange], workers: int, follow_up: bool = False) -> None:
    if not changes:
        return
    _in_pool(workers, [lambda change=change: _apply_one(run, change, follow_up) for change in changes])


def _in_pool(workers: int, tasks: list[Callable[[], None]]) -> None:
    """Run ``tasks``, ``workers`` at a time; a lost server, lost credentials or Ctrl-C stops the rest."""
    pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="groupid-sync")
    try:
        pending = {pool.submit(task) for task in tasks}
        while pending:  # in short waits, so that Ctrl-C is noticed while the workers go on
            done, pending = wait(pending, timeout=0.5, return_when=FIRST_EXCEPTION)
            for future in done:
                future.result()  # re-raise a lost server or lost credentials
    finally:
        # the tasks not started yet are not started at all
        pool.shutdown(wait=True, cancel_futures=True)


def _apply_one(run: _Run, change: PersonChange, follow_up: bool) -> None:
    errors: list[str] = []
    for request in _requests(change, run.user_id(change), follow_up):
        run.guard()
        try:
            request(run.adapter)
        except (KeycloakUnreachable, AuthenticationFailed):
            raise
        except KeycloakError as exc:
            errors.append(str(exc))
            if not change.logout:
                break  # a leaver's other steps still go: each one takes some access away
        finally:
            run.wrote()
    if follow_up:
        if errors:
            run.failed_after_create(change, errors[0])
        return
    run.finished(change, "; ".join(errors) if errors else None)


def _requests(change: PersonChange, user_id: str | None,
              follow_up: bool) -> list[Callable[[RealmAdapter], None]]:
    """The adapter calls that make ``change`` of the account ``user_id``, in an order that never leaves a
    leaver with access; ``follow_up``: those a new account needs once it exists (its organization, its roles)."""
    realm = change.realm
    follow_ups = [
        *(lambda a, o=org_id: a.add_organization_member(realm, o, user_id) for org_id, _ in change.add_organizations),
        *(lambda a, o=org_id: a.remove_organization_member(realm, o, user_id) for org_id, _ in change.remove_organizations),
    ]
    # realm roles go in one request each way, however many
    if change.remove_roles:
        follow_ups.append(lambda a: a.remove_user_roles(realm, user_id, list(change.remove_roles)))
    if change.add_roles:
        follow_ups.append(lambda a: a.add_user_roles(realm, user_id, list(change.add_roles)))
    if follow_up:
        return follow_ups
    if change.delete:
        return [lambda a: a.delete_user(realm, user_id)]
    calls: list[Callable[[RealmAdapter], None]] = []
    if change.update is not None:
        calls.append(lambda a: a.update_user(realm, user_id, change.update))
    if change.logout:  # after the disable, so no new session can start in between
        calls.append(lambda a: a.logout_user(realm, user_id))
    calls += [lambda a, g=group_id: a.remove_member(realm, g, user_id) for group_id, _ in change.remove_groups]
    calls += [lambda a, g=group_id: a.add_member(realm, g, user_id) for group_id, _ in change.add_groups]
    return calls + follow_ups
