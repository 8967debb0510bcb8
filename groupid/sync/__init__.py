"""The people lifecycle engine: joiners, movers and leavers from a people source into Keycloak.

Every people source (HR exports now) feeds :func:`sync_people`; :func:`sync_hr` reads an HR export into it::

    from groupid.realms import connect
    from groupid.sync import sync_hr

    # connect is called once the mapping, the spec and the export are read and checked
    result = sync_hr("花名册.csv", "spec/", "hr/mapping.yaml", connect=connect, dry_run=True, report="plan.jsonl")
    result.counts()      # Counter({'create': 57, 'unchanged': 0, ...})

The flow follows the modules: ``people`` turns source rows into desired people (placed and staged),
``planning`` compares them with the accounts Keycloak has, ``changes`` holds the plan, ``applying`` makes it
(bulk creates, bounded-concurrency updates), ``lock`` keeps runs apart, ``report`` writes the JSONL report,
``run`` ties it together with the guards.
"""

from groupid.policy import SyncPolicy
from groupid.sync.applying import Outcome, apply_sync
from groupid.sync.changes import ACTIONS, Notice, PersonChange, SyncPlan
from groupid.sync.lock import LOCK_NAME, LockLost, SyncLocked, break_lock, sync_lock
from groupid.sync.people import DesiredPerson, Directory, Placement, Rejection, Stage
from groupid.sync.planning import RealmPeople, plan_sync
from groupid.sync.report import report_lines, write_report
from groupid.sync.run import SyncInputs, SyncResult, read_sync_inputs, sync_hr, sync_people

__all__ = [
    "ACTIONS", "DesiredPerson", "Directory", "LOCK_NAME", "LockLost", "Notice", "Outcome", "PersonChange", "Placement",
    "RealmPeople", "Rejection", "Stage", "SyncInputs", "SyncLocked", "SyncPlan", "SyncPolicy", "SyncResult",
    "apply_sync", "break_lock", "plan_sync", "read_sync_inputs", "report_lines", "sync_hr", "sync_lock", "sync_people",
    "write_report",
]
