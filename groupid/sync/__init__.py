"""The people lifecycle engine: joiners, movers and leavers from a people source into Keycloak.

Every people source (:class:`groupid.sources.PeopleSource`: an HR export now) feeds :func:`sync_people`, which
knows no source by name; how it runs is one :class:`SyncOptions`::

    from groupid.sync import SyncOptions, sync_people

    result = sync_people(rows, group, adapter, SyncOptions(dry_run=True, report="plan.jsonl"))
    result.counts()      # Counter({'create': 57, 'unchanged': 0, ...})

(:func:`groupid.hr_sync.sync_hr` reads an HR export, its mapping and the spec, and does just that.)

The flow follows the modules: ``people`` turns source rows into desired people (placed and staged),
``planning`` compares them with the accounts Keycloak has, ``changes`` holds the plan, ``applying`` makes it
(bulk creates, bounded-concurrency updates), ``report`` writes the JSONL report, ``run`` ties it together with
the guards and the lock that keeps runs apart (:mod:`groupid.lock`).
"""

from groupid.sync.applying import apply_sync
from groupid.sync.changes import NewAccount, Notice, PersonChange, SyncPlan
from groupid.sync.people import DesiredPerson, Directory, PersonRecord, Placement, Stage, person_record
from groupid.sync.planning import RealmPeople, plan_sync
from groupid.sync.report import check_writable, report_lines, write_report
from groupid.sync.run import LAST_RECORD, ROWS_RECORD, SyncOptions, SyncResult, bulk_build, sync_people, sync_source

__all__ = [
    "DesiredPerson", "Directory", "LAST_RECORD", "NewAccount", "Notice", "PersonChange", "PersonRecord",
    "Placement", "ROWS_RECORD", "RealmPeople", "Stage", "SyncOptions", "SyncPlan",
    "SyncResult", "apply_sync", "bulk_build", "check_writable", "person_record", "plan_sync",
    "report_lines", "sync_people", "sync_source", "write_report",
]
