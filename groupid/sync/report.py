"""The JSONL report of a sync: one line per person and action, rejected rows and notices included.

Personal values (phones, emails) never appear: a change says that they changed. National IDs cannot appear at
all: columns the mapping does not name are never read. Control characters in names are written as ``\\u``
escapes, as in every JSON groupid writes.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

from groupid.errors import SourceError
from groupid.runs import Outcome
from groupid.sync.changes import PersonChange, SyncPlan
from groupid.text import inert_json


def report_lines(plan: SyncPlan, outcome: Outcome[PersonChange] | None) -> Iterator[dict]:
    """The report's lines: planned changes on a dry run (or a refused run); after an apply, each change as
    ``done``, ``failed`` or — when the run stopped part-way — ``not started``."""
    if outcome is None:
        statuses = ((change, "planned", None) for change in plan.changes)
    else:
        failed = {id(change): error for change, error in outcome.failed}
        done = {id(change) for change in outcome.done}
        statuses = ((change, "failed" if id(change) in failed else "done" if id(change) in done else "not started",
                     failed.get(id(change))) for change in plan.changes)
    for change, status, error in statuses:
        data = change.data()
        actions = data.pop("actions")
        for action in actions:
            yield {"action": action, "status": status, **({"error": error} if error else {}), **data}
    for rejection in plan.rejections:
        yield {"action": "reject", "employee_id": rejection.employee_id, "company": rejection.company,
               "source": str(rejection.where), "reasons": list(rejection.reasons)}
    for notice in plan.notices:
        yield {"action": "notice", "employee_id": notice.employee_id, "company": notice.company,
               **({"source": str(notice.where)} if notice.where else {}), "message": notice.message}


def write_report(path: Path | str, plan: SyncPlan, outcome: Outcome[PersonChange] | None) -> int:
    """Write the JSONL report to ``path``; return the number of lines."""
    count = 0
    try:
        with open(path, "w", encoding="utf-8") as out:
            for line in report_lines(plan, outcome):
                # names from an HR export are not trusted: a log viewer that shows the report acts on nothing
                out.write(inert_json(json.dumps(line, ensure_ascii=False)) + "\n")
                count += 1
    except OSError as exc:
        raise SourceError(f"{path}: cannot write the report: {exc.strerror}") from None
    return count


def check_writable(report: Path | str) -> None:
    """Refuse a report path that cannot be written (:class:`SourceError`): before a run instead of after it."""
    report = Path(report)
    folder = report.parent
    if report.is_dir():
        raise SourceError(f"{report}: is a directory; --report names the file to write")
    if not folder.is_dir():
        raise SourceError(f"{report}: the folder {folder} does not exist")
    if not os.access(folder, os.W_OK | os.X_OK) or (report.exists() and not os.access(report, os.W_OK)):
        raise SourceError(f"{report}: cannot write the report here (permission denied)")
