"""The LDAP sync: people read from an LDAP or Active Directory server, as a source config says, fed to the
people engine — the same engine, guards, report and exit codes as the HR sync.

The config, the spec and the whole directory are read and checked before Keycloak is contacted: a directory
that cannot be read in full (a failed bind, a lost connection, a search cut short) stops the run there, and
nobody is taken for a leaver::

    from groupid.realms import connect
    from groupid.ldap_sync import sync_ldap
    from groupid.sync import SyncOptions

    result = sync_ldap("ldap.yaml", "spec/", connect=connect, options=SyncOptions(dry_run=True))
    result.counts()      # Counter({'create': 57, 'disable': 2, ...})
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from groupid.model import Group
from groupid.realms.base import RealmAdapter
from groupid.sources import PeopleSource, source_reader
from groupid.sources.ldap import LDAP, LdapConfig, load_config
from groupid.spec import load_spec
from groupid.sync import SyncOptions, SyncResult, bulk_build, sync_source


@dataclass(frozen=True)
class DirectoryInputs:
    """What an LDAP sync reads before it contacts Keycloak, each part read and checked."""

    config: LdapConfig
    group: Group
    rows: PeopleSource


def read_directory_inputs(config: Path | str, spec: Path | str) -> DirectoryInputs:
    """Read and check the source config and the spec, then read the directory in full. Raises
    :class:`SourceError` or :class:`SpecError` naming the file and line, or
    :class:`~groupid.errors.DirectoryError` saying what the directory did not answer."""
    with bulk_build():
        settings = load_config(config)
        group = load_spec(spec)
        rows = source_reader(LDAP)(settings)
    return DirectoryInputs(settings, group, rows)


def sync_ldap(
    config: Path | str, spec: Path | str, adapter: RealmAdapter | None = None, *,
    connect: Callable[[], RealmAdapter] | None = None, options: SyncOptions = SyncOptions(),
) -> SyncResult:
    """Sync the people of the directory that the source config at ``config`` describes into the realms of the
    spec at ``spec``, under the config's ``policy:`` unless ``options`` names one. See
    :func:`~groupid.sync.sync_people` for the rest; ``adapter`` and ``connect`` are as for
    :func:`~groupid.sync.sync_source`.
    """
    inputs = read_directory_inputs(config, spec)
    return sync_source(inputs.rows, inputs.group, adapter, connect=connect, policy=inputs.config.policy,
                       options=options)
