"""CPU seconds spent during a benchmark's timed steps: the servers' (read from ``/proc``) and the client's own.

Wall time on a shared 2-core machine says as much about the machine as about the code; CPU seconds per account
say what a step costs each side, whoever else runs beside it.

- **A server** is a process tree: the local Keycloak's is ``kc.sh`` and the ``java`` it starts (the tree's root
  is the pid :class:`groupid.localserver.ServerInfo` gives), PostgreSQL's the postmaster and its backends.
  Its CPU is the sum, over the processes of the tree alive at the reading, of their ``utime + stime`` and of
  ``cutime + cstime`` (what their children that have ended and been waited for used: a backend that ends
  between two readings is counted in its postmaster's). Fields 14–17 of ``/proc/<pid>/stat``, in clock ticks.
- **The client** is the calling process, all its threads: ``getrusage(RUSAGE_SELF)``. The sync runs in a
  child process of its own, so groupid's CPU is that child's.

Where there is no ``/proc`` (not Linux) the servers' figures are left out.
"""

from __future__ import annotations

import os
import resource
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

PROC = Path("/proc")
TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def _stat(pid: int) -> tuple[int, list[str]] | None:
    """(parent pid, the fields after the command name) of a process, or None when it is gone."""
    try:
        text = (PROC / str(pid) / "stat").read_text(encoding="ascii", errors="replace")
    except OSError:
        return None
    fields = text[text.rindex(")") + 2:].split()  # the command name may hold spaces and parentheses
    return int(fields[1]), fields


def tree_cpu(root: int) -> float | None:
    """CPU seconds of the process ``root`` and its live descendants, with their waited-for children's (see the
    module's notes); None when ``root`` is gone or there is no ``/proc``."""
    stats: dict[int, tuple[int, list[str]]] = {}
    for entry in PROC.glob("[0-9]*") if PROC.is_dir() else ():
        found = _stat(int(entry.name))
        if found:
            stats[int(entry.name)] = found
    if root not in stats:
        return None
    children: dict[int, list[int]] = {}
    for pid, (parent, _) in stats.items():
        children.setdefault(parent, []).append(pid)
    ticks, todo = 0, [root]
    while todo:
        pid = todo.pop()
        fields = stats[pid][1]
        ticks += sum(int(value) for value in fields[11:15])  # utime, stime, cutime, cstime
        todo += children.get(pid, [])
    return ticks / TICKS


def own_cpu() -> float:
    """CPU seconds of this process so far, all its threads."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


@dataclass(frozen=True)
class Meter:
    """The servers whose CPU a benchmark reads: a name (``keycloak``, ``postgres``) for each process tree's root.
    Plain data, so that it can be handed to a child process."""

    roots: dict[str, int]

    def read(self) -> dict[str, float]:
        """Each server's CPU seconds so far (those that cannot be read are left out)."""
        return {name: seconds for name, pid in self.roots.items() if (seconds := tree_cpu(pid)) is not None}


@dataclass
class Span:
    """One timed step: its wall time, and the CPU seconds each side spent in it (``client``: this process)."""

    seconds: float = 0.0
    cpu: dict[str, float] = field(default_factory=dict)


@contextmanager
def span(meter: Meter) -> Iterator[Span]:
    """Time the block, and read the servers' CPU and the client's before and after it."""
    result = Span()
    servers, client, started = meter.read(), own_cpu(), time.perf_counter()
    yield result
    result.seconds = time.perf_counter() - started
    after = meter.read()
    result.cpu = {name: after[name] - servers[name] for name in after if name in servers}
    result.cpu["client"] = own_cpu() - client
