"""The HR sync: an HR export, read as its mapping file says, fed to the people engine.

Every input is read and checked before Keycloak is contacted (:func:`read_sync_inputs`): a broken mapping or
export is reported as such, even when no server answers::

    from groupid.realms import connect
    from groupid.hr_sync import sync_hr
    from groupid.sync import SyncOptions

    # connect is called once the mapping, the spec and the export are read and checked
    result = sync_hr("花名册.csv", "spec/", "hr/mapping.yaml", connect=connect,
                     options=SyncOptions(dry_run=True, report="plan.jsonl"))
    result.counts()      # Counter({'create': 57, 'unchanged': 0, ...})
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from groupid.model import Group
from groupid.realms.base import RealmAdapter
from groupid.sources import source_reader
from groupid.sources.hr import HR, Mapping, SourceRows, load_mapping
from groupid.spec import load_spec
from groupid.sync import SyncOptions, SyncResult, bulk_build, sync_source


@dataclass(frozen=True)
class SyncInputs:
    """What an HR sync reads before it contacts Keycloak, each part read and checked."""

    mapping: Mapping
    group: Group
    rows: SourceRows


def read_sync_inputs(export: Path | str, spec: Path | str, mapping: Path | str) -> SyncInputs:
    """Read and check the mapping, the spec and the export (in that order: the export is read as the mapping
    says). Raises :class:`SourceError` or :class:`SpecError` naming the file and line of the first that fails."""
    with bulk_build():
        rules = load_mapping(mapping)
        group = load_spec(spec)
        rows = source_reader(HR)(export, rules)
    return SyncInputs(rules, group, rows)


def sync_hr(
    export: Path | str, spec: Path | str, mapping: Path | str, adapter: RealmAdapter | None = None, *,
    connect: Callable[[], RealmAdapter] | None = None, options: SyncOptions = SyncOptions(),
) -> SyncResult:
    """Sync the people of the HR export at ``export`` (read as the ``mapping`` file says) into the realms of
    the spec at ``spec``, under the mapping's ``policy:`` unless ``options`` names one. See
    :func:`~groupid.sync.sync_people` for the rest.

    The Keycloak is ``adapter``, or what ``connect()`` returns: it is called only once every input is read and
    checked (``--realm`` too), and the report's folder is known to exist, so that a bad input is reported as
    such even when no server answers.
    """
    inputs = read_sync_inputs(export, spec, mapping)
    return sync_source(inputs.rows, inputs.group, adapter, connect=connect, policy=inputs.mapping.policy,
                       options=options)
