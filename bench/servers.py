"""The servers a benchmark measures on: a fresh local Keycloak, on its dev database or on a throw-away
PostgreSQL (``postgres.py``), stopped at the end whatever happens; and the one line of progress every script
prints.

A Keycloak on PostgreSQL can be restarted in the middle of a run (:meth:`FreshServer.restart`): its database
keeps the realms, and its caches start empty, as after a deployment or a node's restart in production. The dev
database lives in Keycloak's memory and goes with it, so a server on it cannot be restarted.
"""

from __future__ import annotations

import os
import signal
import sys
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass

from cpu import Meter
from postgres import LocalPostgres

from groupid.localserver import LocalKeycloak
from groupid.realms.connection import ConnectionSettings

DEFAULT_HEAP = "-Xms4g -Xmx4g"
"""The dev database lives in Keycloak's heap: at 20,000 people a 2 GiB heap made the same read of every user vary
from 10 s to 21 s with garbage collection (median 12.2 s); a fixed 4 GiB one kept it within 9–15 s (median 10.7 s)."""

TIMEOUT = 900.0
"""Seconds one request may take: the spec's apply, a realm's import and a cold partial import are slow."""

START_TIMEOUT = 600.0
"""Seconds a Keycloak may take to start: the first start of a version builds it."""


def use_heap(heap: str | None = None) -> str:
    """Give every Keycloak started from here ``heap`` (else ``JAVA_OPTS_KC_HEAP``, else :data:`DEFAULT_HEAP`),
    through the environment that :class:`~groupid.localserver.LocalKeycloak` passes on; returns it."""
    os.environ["JAVA_OPTS_KC_HEAP"] = heap or os.environ.get("JAVA_OPTS_KC_HEAP") or DEFAULT_HEAP
    return os.environ["JAVA_OPTS_KC_HEAP"]


def stop_servers_on_kill() -> None:
    """Make a plain kill (SIGTERM) stop the servers too: SystemExit runs the blocks that stop them, which the
    signal's default action would skip."""
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))


def say(text: str = "") -> None:
    """A line of progress, printed at once (the runs are long, and their output is often piped)."""
    print(text, flush=True)


@dataclass
class FreshServer:
    """A Keycloak started for one measurement: how to reach it, the meter of its CPU (and PostgreSQL's), and what
    it runs on."""

    settings: ConnectionSettings
    meter: Meter
    where: str
    local: LocalKeycloak
    postgres_pid: int | None = None

    def restart(self) -> float:
        """Stop Keycloak and start it again on the same database; its caches start empty. Returns the seconds
        the start took. Only a Keycloak on PostgreSQL keeps its realms across a restart."""
        if self.postgres_pid is None:
            raise SystemExit("a Keycloak on the dev database cannot be restarted: its realms live in its memory; "
                             "choose --db postgres")
        self.local.stop()
        started = time.perf_counter()
        server = self.local.start(timeout=START_TIMEOUT)
        seconds = time.perf_counter() - started
        self.settings = connect(server, self.settings.timeout)
        self.meter = Meter({"keycloak": server.pid, "postgres": self.postgres_pid})
        return seconds


def connect(server, timeout: float) -> ConnectionSettings:
    """How to reach a started local Keycloak (a :class:`groupid.localserver.ServerInfo`) as its admin."""
    return ConnectionSettings(server_url=server.url, admin_user=server.admin_user,
                              admin_password=server.admin_password(), timeout=timeout)


@contextmanager
def fresh_server(db: str, name: str, timeout: float = TIMEOUT) -> Iterator[FreshServer]:
    """A Keycloak named ``name`` started for one path (on a PostgreSQL started for it with ``db`` postgres),
    stopped at the end whatever happens; ``timeout`` is the seconds one request may take."""
    with ExitStack() as stack:
        postgres_pid = None
        if db == "postgres":
            postgres = LocalPostgres()
            stack.callback(postgres.stop)
            info = postgres.start()
            postgres_pid = postgres.pid()
            local = LocalKeycloak(name, database=info.keycloak_database())
            where = f"PostgreSQL {info.version.split()[0]}"
        else:
            local = LocalKeycloak(name, ephemeral=True)
            where = "dev database (in-memory H2)"
        if local.status() or local.starting():
            raise SystemExit(f"a local Keycloak named {name} runs already, so it would not be fresh: stop it "
                             f"(groupid keycloak stop --instance {name}) or choose another --instance")
        stack.callback(local.stop)
        started = time.perf_counter()
        server = local.start(timeout=START_TIMEOUT)
        say(f"  Keycloak {name} started in {time.perf_counter() - started:.1f} s on the {where}")
        roots = {"keycloak": server.pid, "postgres": postgres_pid}
        yield FreshServer(connect(server, timeout), Meter({key: pid for key, pid in roots.items() if pid}), where,
                          local, postgres_pid)
