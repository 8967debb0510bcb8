"""How much memory the HR sync takes per person, measured without a Keycloak.

The claim under test: the sync's peak resident set grows by at most 4 KB per person, both for the initial load
(no accounts yet: everybody is a joiner) and for the no-change re-sync (every account read back, nothing
written).

What the script does:

1. generates the group with ``hr_data.py`` for each ``--people`` count (same departments and companies for all,
   so that only the people differ) into a temporary directory;
2. for each count runs two syncs, each in a fresh process (started with ``spawn``, so that it holds nothing of
   the script's), which reports its ``ru_maxrss``:

   a. the **initial load**: ``groupid.hr_sync.sync_hr`` of the whole export into a realm without accounts;
   b. the **re-sync**: the same call again, over the accounts (a) created: it must write nothing;

3. prints each sync's peak, and the growth per person between the smallest and the largest count:
   (peak at the largest - peak at the smallest) / (the difference in people). The fixed costs (Python,
   groupid's modules, the spec and its realm) cancel out; what is left is what the sync holds per person.

The Keycloak is a stand-in at the adapter boundary that holds no accounts in memory, so that the peak is what
the sync would hold against a real server. The realm's design (its groups, roles and user profile) lives in the
in-memory adapter (:class:`~groupid.realms.memory.MemoryRealms`): the same at every count. The people go
through groupid's own Keycloak people client (:class:`~groupid.realms.keycloak.people.PeopleClient`) over
:class:`DiskWire`, a transport that keeps the accounts on disk as Keycloak keeps them in its database: a bulk
create appends each account, as Keycloak would store it, to a file; the re-sync reads them back in pages of
the client's page size, each page parsed from JSON as one answer is, and the member lists of the groups
from a file each. So the users' JSON passes through the same conversion as against Keycloak, and is dropped
as it is there.

With ``--trace PEOPLE`` the script also runs both syncs of that count under ``tracemalloc`` and prints their
traced peak, and, at the heaviest of the moments the stand-in sees (the accounts read, the plan made, the
apply done), the lines of code that allocated what the sync held (the stand-in's own lines left out).

    .venv/bin/python bench/sync_memory.py [--people 20000 100000] [--departments 1000] [--companies 10]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import multiprocessing
import os
import resource
import shutil
import sys
import tempfile
import threading
import time
import tracemalloc
import uuid
from collections.abc import Iterator
from datetime import date
from itertools import chain
from pathlib import Path

from hr_data import generate

from groupid.realms.base import IMPORT_CHUNK

AS_OF = date(2026, 1, 1)  #: the day the syncs treat as today; every generated start date is before it
TARGET = 4000  #: bytes per person
SHOWN = 25  #: allocation sites printed by --trace


class DiskWire:
    """A transport for groupid's Keycloak people client (``request`` and ``pages``) that keeps the accounts in
    files of ``folder``, as a Keycloak keeps them in its database.

    A partial import appends each new account to ``users.jsonl`` as Keycloak stores it (username and email in
    lower case, an id, Keycloak's own fields) and its groups to ``members.txt``; :func:`settle` then files the
    members by group, for the next process to read.
    """

    def __init__(self, folder: Path, groups: dict[str, str]):
        self.folder = folder
        self.groups = groups  #: group path -> id, for the group paths of an import
        self.paths = {group_id: path for path, group_id in groups.items()}
        self._lock = threading.Lock()

    def request(self, method: str, path: str, action: str, *, body=None, **_):
        """The realm (for its default role), or a partial import of users."""
        realm = path.split("/")[2]
        if method == "GET":
            return {"defaultRole": {"name": f"default-roles-{realm}"}, "duplicateEmailsAllowed": False}
        json.dumps(body)  # the request's body, as the real transport encodes it
        results, users, members = [], [], []
        for user in body["users"]:
            user_id = str(uuid.uuid4())
            users.append(json.dumps(stored_user(user, user_id), ensure_ascii=False))
            members += [f"{user_id} {path}" for path in user.get("groups") or ()]
            results.append({"resourceType": "USER", "resourceName": user["username"], "id": user_id, "action": "ADDED"})
        with self._lock:
            with open(self.folder / "users.jsonl", "a", encoding="utf-8") as out:
                out.write("".join(line + "\n" for line in users))
            with open(self.folder / "members.txt", "a", encoding="utf-8") as out:
                out.write("".join(line + "\n" for line in members))
        return {"added": len(results), "results": results}

    def pages(self, url: str, action: str, *, size: int, at_once: int = 1, **_) -> Iterator[dict]:
        """The realm's users, or a group's members, a page of ``size`` at a time."""
        parts = url.split("/")
        if parts[-1] == "users":
            path, brief = self.folder / "users.jsonl", False
        else:
            path, brief = members_file(self.folder, self.paths[parts[-2]]), True
        if not path.exists():
            return
        with open(path, encoding="utf-8") as lines:
            page: list[str] = []
            for line in chain(lines, [None]):
                if line is not None:
                    page.append(f'{{"id": "{line.strip()}"}}' if brief else line)
                if len(page) == size or (line is None and page):
                    # a page is one answer, parsed whole as the real transport parses it (its keys shared)
                    yield from json.loads(f"[{','.join(page)}]")
                    page = []


def stored_user(user: dict, user_id: str) -> dict:
    """A user of a partial import as Keycloak answers it once stored (``briefRepresentation=false``)."""
    stored = {
        "id": user_id, "username": user["username"].lower(), "firstName": user.get("firstName"),
        "lastName": user.get("lastName"), "email": (user.get("email") or "").lower() or None,
        "emailVerified": user.get("emailVerified", False), "attributes": user.get("attributes") or {},
        "createdTimestamp": int(time.time() * 1000), "enabled": user.get("enabled", False), "totp": False,
        "disableableCredentialTypes": [], "requiredActions": [], "notBefore": 0, "access": {"manage": True},
    }
    return {key: value for key, value in stored.items() if value is not None}


def members_file(folder: Path, path: str) -> Path:
    """Where the members of the group at ``path`` are kept: by path, as every process gives the group another id."""
    return folder / "members" / hashlib.sha256(path.encode()).hexdigest()


def settle(folder: Path) -> None:
    """File the members an initial load wrote (``members.txt``) by group (:func:`members_file`)."""
    members: dict[str, list[str]] = {}
    source = folder / "members.txt"
    if not source.exists():
        return
    with open(source, encoding="utf-8") as lines:
        for line in lines:
            user_id, path = line.rstrip("\n").split(" ", 1)
            members.setdefault(path, []).append(user_id)
    (folder / "members").mkdir(exist_ok=True)
    for path, user_ids in members.items():
        members_file(folder, path).write_text("".join(f"{user_id}\n" for user_id in user_ids), encoding="utf-8")
    source.unlink()


def disk_realms(spec: Path, folder: Path):
    """The in-memory adapter with the spec's realms imported, its people kept by a :class:`DiskWire` in ``folder``."""
    from groupid.realms.keycloak.people import PeopleClient
    from groupid.realms.memory import MemoryRealms
    from groupid.spec import load_spec
    from groupid.state import compile_realms, realm_representation

    class DiskRealms(MemoryRealms):
        """Realms in memory, accounts on disk."""

        checkpoint = staticmethod(lambda: None)  #: called at each call that ends a step of the sync

        def __init__(self):
            super().__init__()
            for state in compile_realms(load_spec(spec)):
                self.import_realm(realm_representation(state))
            paths = {path: group_id for realm in self.realms for group_id, path in self.read(realm).paths().items()}
            self.client = PeopleClient(DiskWire(folder, paths))

        def read_users(self, realm, group_ids=(), organization_ids=()):
            users = self.client.read_users(realm, group_ids, organization_ids)
            self.checkpoint()
            return users

        def import_users(self, realm, users, chunk_size=IMPORT_CHUNK):
            self.checkpoint()
            return self.client.import_users(realm, users, chunk_size)

        def read_realm_attributes(self, realm):
            self.checkpoint()  # right after planning, and after the apply
            return super().read_realm_attributes(realm)

    return DiskRealms()


# -- one sync, in a process of its own ----------------------------------------------------------------------


def _sync_child(connection, data: dict, trace: bool) -> None:
    """Run one sync into the accounts of ``data["folder"]``; send back what it did and its peak memory."""
    from groupid.hr_sync import sync_hr
    from groupid.sync import SyncOptions

    adapter = disk_realms(Path(data["spec"]), Path(data["folder"]))
    heaviest: dict = {"size": 0, "snapshot": None}
    if trace:
        def checkpoint() -> None:
            size = tracemalloc.get_traced_memory()[0]
            if size > heaviest["size"]:
                heaviest.update(size=size, snapshot=None)  # the old one first: a snapshot is large itself
                heaviest["snapshot"] = tracemalloc.take_snapshot()

        adapter.checkpoint = checkpoint
        tracemalloc.start()
    started = time.perf_counter()
    result = sync_hr(data["export"], data["spec"], data["mapping"], adapter, options=SyncOptions(today=AS_OF))
    answer = {"seconds": time.perf_counter() - started, "counts": dict(result.counts()), "writes": result.writes}
    scale = 1 if sys.platform == "darwin" else 1024  # ru_maxrss is in KiB on Linux, bytes on macOS
    answer["peak_rss"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * scale
    if trace:
        answer["traced_peak"] = tracemalloc.get_traced_memory()[1]
        answer["heaviest"] = heaviest["size"]
        answer["sites"] = _sites(heaviest["snapshot"]) if heaviest["snapshot"] else []
        tracemalloc.stop()
    connection.send(answer)
    connection.close()


def _sites(snapshot: tracemalloc.Snapshot) -> list[tuple[str, int, int]]:
    """(file:line, bytes, blocks) of the allocation sites of ``snapshot``, largest first; this script's left out."""
    snapshot = snapshot.filter_traces([tracemalloc.Filter(False, __file__), tracemalloc.Filter(False, tracemalloc.__file__)])
    root = str(Path(__file__).resolve().parent.parent)
    sites = []
    for stat in snapshot.statistics("lineno"):
        frame = stat.traceback[0]
        name = frame.filename.removeprefix(root + os.sep)
        sites.append((f"{name}:{frame.lineno}", stat.size, stat.count))
    return sites


def run_sync(data: dict, trace: bool = False) -> dict:
    """One sync in a fresh process (so that its peak memory is its own)."""
    context = multiprocessing.get_context("spawn")
    receiver, sender = context.Pipe(duplex=False)
    child = context.Process(target=_sync_child, args=(sender, data, trace), name="groupid-sync")
    child.start()
    sender.close()
    try:
        answer = receiver.recv()
    except EOFError:
        raise SystemExit("the sync process died without an answer") from None
    child.join()
    return answer


def measure(people: int, args, scratch: Path, trace: bool = False) -> dict[str, dict]:
    """The initial load and the re-sync of ``people`` people, each in a process of its own."""
    generated = generate(scratch / f"data-{people}", people, args.departments, args.companies, args.seed, AS_OF)
    folder = scratch / f"keycloak-{people}{'-traced' if trace else ''}"
    folder.mkdir()
    data = {"export": str(generated.export), "spec": str(generated.spec), "mapping": str(generated.mapping),
            "folder": str(folder)}
    load = run_sync(data, trace)
    if load["counts"].get("create") != people:
        raise SystemExit(f"the initial load of {people:,} people created {load['counts'].get('create')}")
    settle(folder)
    resync = run_sync(data, trace)
    if resync["writes"] or resync["counts"].get("unchanged") != people:
        raise SystemExit(f"the re-sync of {people:,} people wrote {resync['writes']} times: {resync['counts']}")
    shutil.rmtree(folder)
    return {"load": load, "re-sync": resync}


def mib(size: int) -> str:
    return f"{size / 2**20:,.1f} MiB"


def say(text: str = "") -> None:
    print(text, flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--people", type=int, nargs="+", default=[20_000, 100_000],
                        help="people counts to measure (default 20000 100000)")
    parser.add_argument("--departments", type=int, default=1000, help="departments (default 1000)")
    parser.add_argument("--companies", type=int, default=10, help="companies (default 10)")
    parser.add_argument("--seed", type=int, default=1, help="the generator's seed (default 1)")
    parser.add_argument("--trace", type=int, metavar="PEOPLE",
                        help="also trace the syncs of this many people and print where their memory goes")
    args = parser.parse_args(argv)
    counts = sorted(set(args.people))
    scratch = Path(tempfile.mkdtemp(prefix="groupid-sync-memory-"))
    try:
        figures = {}
        for people in counts:
            figures[people] = measure(people, args, scratch)
            for kind, answer in figures[people].items():
                say(f"{people:>9,} people  {kind:<8} peak RSS {mib(answer['peak_rss']):>12}  "
                    f"{answer['seconds']:6.1f} s  {answer['writes']:,} writes")
        if len(counts) > 1:
            low, high = counts[0], counts[-1]
            say()
            say(f"growth per person, {low:,} to {high:,} people (target: at most {TARGET:,} bytes):")
            for kind in ("load", "re-sync"):
                grown = (figures[high][kind]["peak_rss"] - figures[low][kind]["peak_rss"]) / (high - low)
                say(f"  {kind:<8} {grown:7,.0f} bytes per person  {'met' if grown <= TARGET else 'MISSED'}")
        if args.trace:
            traced = measure(args.trace, args, scratch, trace=True)
            for kind, answer in traced.items():
                say()
                say(f"{args.trace:,} people, {kind}, under tracemalloc: peak {mib(answer['traced_peak'])}; "
                    f"held at its heaviest step {mib(answer['heaviest'])}, of which:")
                for site, size, blocks in answer["sites"][:SHOWN]:
                    say(f"  {size / args.trace:8,.0f} B/person  {mib(size):>11}  {blocks:>9,} blocks  {site}")
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
