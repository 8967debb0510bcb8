"""Keycloak's own limit on groupid's payload, for the sync benchmarks: the accounts groupid's sync creates, sent
through Keycloak's partial import with plain ``requests``, and every user read back the way groupid reads them.
No groupid code runs in the timed part.

- **The payload** is groupid's: which accounts a sync creates, and each one's representation, come from its
  dry-run plan (:func:`planned_accounts`), before any timing — reading the source and planning are groupid's
  work, not Keycloak's. The realm roles groupid grants an account after its import go into the account's
  ``realmRoles``, so that one request does what groupid does in two.
- **Sending** (:func:`send_accounts`) goes as groupid's sync sends: parts of
  :data:`~groupid.sync.applying.CHUNK` accounts, :data:`~groupid.sync.applying.IMPORTERS` parts at a time, each
  part :data:`~groupid.realms.base.IMPORT_CHUNK` accounts a request, one request after the other, with
  ``ifResourceExists: SKIP``.
- **Reading** (:func:`read_users`): every user with its attributes, the re-sync target's yardstick: ``GET
  /users`` with ``briefRepresentation=false``, pages of :data:`~groupid.realms.keycloak.people.USER_PAGE_SIZE`,
  after a full first page :data:`~groupid.realms.keycloak.people.USER_READERS` pages at a time. ``brief=True``
  asks for the brief pages that groupid's re-sync reads beside the member lists in full.
- **Memberships** (:func:`read_members`): Keycloak answers a user's groups in no list of users, so knowing who is
  in which group takes a request per group, whoever asks: ``GET /groups/{id}/members``, brief (``full=True``:
  with each member's attributes, as groupid's re-sync reads them), pages of
  :data:`~groupid.realms.keycloak.people.MEMBER_PAGE_SIZE`, :data:`~groupid.realms.keycloak.people.READERS`
  groups at a time. The group ids are listed before the timing.
- **The same accounts?** :func:`sent_accounts` rebuilds what groupid's sync sent from its write requests, and
  :func:`fingerprint` digests either side, so that a run can show both sides created the same accounts.

``ldap_paths.py`` (the LDAP benchmark) and ``sync_paths.py`` (the HR benchmark) use it.
"""

from __future__ import annotations

import copy
import hashlib
import json
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import requests

from groupid.realms.base import IMPORT_CHUNK
from groupid.realms.keycloak.people import MEMBER_PAGE_SIZE, READERS, USER_PAGE_SIZE, USER_READERS
from groupid.sync.applying import CHUNK, IMPORTERS

TOKEN_AGE = 40.0  #: seconds after which a token is renewed: admin-cli tokens live 60 s


# -- Keycloak's admin REST API, plain ------------------------------------------------------------------------


class Admin:
    """The admin REST API through ``requests`` alone, signed in as the master realm's admin; counts requests.
    Safe to call from several threads at once (the limit sends its partial imports a few at a time)."""

    def __init__(self, url: str, user: str, password: str, timeout: float):
        self.url, self.user, self.password, self.timeout = url.rstrip("/"), user, password, timeout
        self.http = requests.Session()
        self.requests = 0
        self.kinds: Counter[str] = Counter()
        self._token_at = 0.0
        self._lock = threading.Lock()
        self.sign_in()

    def sign_in(self) -> None:
        """Get a new token (token requests are not counted)."""
        answer = self.http.post(f"{self.url}/realms/master/protocol/openid-connect/token", timeout=60,
                                data={"grant_type": "password", "client_id": "admin-cli",
                                      "username": self.user, "password": self.password})
        answer.raise_for_status()
        self.http.headers["Authorization"] = f"Bearer {answer.json()['access_token']}"
        self._token_at = time.monotonic()

    def call(self, method: str, path: str, kind: str = "", **kwargs):
        """One admin request (``path`` below ``/admin/realms/``); the JSON answer, the Location's id, or None."""
        with self._lock:
            if time.monotonic() - self._token_at > TOKEN_AGE:
                self.sign_in()
        answer = self.http.request(method, f"{self.url}/admin/realms/{path}", timeout=self.timeout, **kwargs)
        with self._lock:
            self.requests += 1
            self.kinds[kind or f"{method} {path.split('/', 2)[-1].split('?')[0]}"] += 1
        if answer.status_code == 404 and method == "GET":
            return None
        if answer.status_code >= 400:
            raise SystemExit(f"{method} {path}: HTTP {answer.status_code} {answer.text[:300]}")
        if "Location" in answer.headers:
            return answer.headers["Location"].rsplit("/", 1)[-1]
        return answer.json() if answer.content else None

    def user_count(self, realm: str) -> int:
        """The users Keycloak stores in the realm."""
        return self.call("GET", f"{realm}/users/count", "count")

    def default_role(self, realm: str) -> str:
        """The name of the realm's default role."""
        return self.call("GET", realm, "realm")["defaultRole"]["name"]

    def find(self, realm: str, **params) -> list[dict]:
        """Users matching ``params`` (full representations)."""
        return self.call("GET", f"{realm}/users", "find", params={"briefRepresentation": "false", **params})

    def groups_of(self, realm: str, user_id: str) -> list[dict]:
        """A user's groups, with their attributes."""
        return self.call("GET", f"{realm}/users/{user_id}/groups", "groups", params={"briefRepresentation": "false"})

    def group_ids(self, realm: str) -> list[str]:
        """The ids of every group of the realm, at every level: one flat search that every name matches."""
        return [group["id"] for group in self.call("GET", f"{realm}/groups", "groups", params={
            "search": " ", "max": 1_000_000, "briefRepresentation": "true", "populateHierarchy": "false"})]

    def realm_roles(self, realm: str, user_id: str) -> set[str]:
        """A user's effective realm roles."""
        return {role["name"] for role in self.call("GET", f"{realm}/users/{user_id}/role-mappings/realm/composite",
                                                   "roles")}


# -- the payload ---------------------------------------------------------------------------------------------


def planned_accounts(plan, default_role: str) -> list[dict]:
    """The accounts a sync plan (``groupid.sync.SyncPlan``, a dry run's) creates, in the order it creates them,
    as its partial import sends them (``default_role`` among their ``realmRoles``), with the realm roles the
    sync grants them afterwards added to their ``realmRoles``."""
    return [{**change.create, "realmRoles": [*dict.fromkeys([default_role, *change.add_roles])]}
            for change in plan.changes if change.create is not None]


def sent_accounts(sent: list[tuple[str, str, object, object]]) -> list[dict]:
    """The accounts groupid created, from the write requests it sent (``CountingTransport.sent``): each as its
    partial import carried it, with the realm roles it granted the account afterwards among its ``realmRoles``."""
    accounts: dict[str, dict] = {}
    usernames: dict[str, str] = {}  #: user id → username, from the partial imports' answers
    for _, path, body, answer in sent:
        if path.endswith("/partialImport") and isinstance(answer, dict):  # no answer: Keycloak refused it, resent
            for user in body["users"]:
                accounts[user["username"]] = copy.deepcopy(user)
            usernames |= {result["id"]: result["resourceName"] for result in answer.get("results") or ()
                          if result.get("resourceType") == "USER" and result.get("id")}
    for method, path, body, _ in sent:
        if method == "POST" and path.endswith("/role-mappings/realm"):
            user = accounts[usernames[path.split("/")[-3]]]
            user["realmRoles"] = [*dict.fromkeys([*(user.get("realmRoles") or ()), *(role["name"] for role in body)])]
    return list(accounts.values())


def fingerprint(accounts: list[dict], realm: str) -> str:
    """A short digest of the accounts that two runs into two realms share: the realm's name (in its default
    role) left out, and a ``source_anchor`` (an LDAP entryUUID, which slapadd draws anew for each copy of a
    directory)."""
    def normal(user: dict) -> dict:
        attributes = {**(user.get("attributes") or {})}
        if "source_anchor" in attributes:
            attributes["source_anchor"] = ["<entryUUID>"]
        return {**user, "attributes": attributes,
                "realmRoles": sorted(role.replace(realm, "<realm>") for role in user.get("realmRoles") or ())}

    text = json.dumps(sorted((normal(user) for user in accounts), key=lambda user: user["username"]),
                      sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def batches(accounts: list[dict], size: int) -> list[list[dict]]:
    """The accounts ``size`` to a request (0: all in one)."""
    size = size or len(accounts) or 1
    return [accounts[start:start + size] for start in range(0, len(accounts), size)]


# -- sending and reading -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Sent:
    """What the partial imports of :func:`send_accounts` did."""

    seconds: float
    requests: int
    added: int
    skipped: int
    parts: int
    at_once: int
    chunk: int  #: accounts a request

    def describe(self) -> str:
        """Keycloak's answers and how they were sent, in words."""
        return (f"{self.added:,} added, {self.skipped:,} skipped; {self.requests:,} partial imports of {self.chunk:,} "
                f"in {self.parts} part(s), {self.at_once} at a time")


def send_accounts(admin: Admin, realm: str, accounts: list[dict], chunk: int = IMPORT_CHUNK,
                  parallel: int = IMPORTERS) -> Sent:
    """The accounts through ``POST /partialImport`` as groupid's sync sends them: parts of
    :data:`~groupid.sync.applying.CHUNK` accounts, ``parallel`` parts at a time, each part ``chunk`` accounts to
    a request, one request after the other (``chunk`` 0: every account in one request). Timed from the first
    request to the last answer, on a fresh token."""
    parts = [batches(part, chunk) for part in batches(accounts, CHUNK if chunk else 0)]

    def send(part: list[list[dict]]) -> list[dict]:
        return [admin.call("POST", f"{realm}/partialImport", "POST partialImport",
                           json={"ifResourceExists": "SKIP", "users": users}) for users in part]

    admin.sign_in()  # no sign-in inside the timing
    before = admin.requests
    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=parallel, thread_name_prefix="limit") as pool:
        answers = [answer for sent in pool.map(send, parts) for answer in sent]
    seconds = time.perf_counter() - started
    return Sent(seconds, admin.requests - before, sum(answer.get("added", 0) for answer in answers),
                sum(answer.get("skipped", 0) for answer in answers), len(parts), min(parallel, len(parts)),
                len(parts[0][0]) if parts else 0)


@dataclass(frozen=True)
class Read:
    """What :func:`read_users` read."""

    seconds: float
    requests: int
    users: int


def read_users(admin: Admin, realm: str, size: int = USER_PAGE_SIZE, at_once: int = USER_READERS,
               brief: bool = False) -> Read:
    """Every user of the realm with its attributes (``brief``: without), ``GET /users`` with
    ``briefRepresentation=false`` (``true``), ``size`` to a page; after a full first page ``at_once`` pages at a
    time, the whole window sent even past a short page. Timed on a fresh token."""
    def page(first: int) -> list[dict]:
        return admin.call("GET", f"{realm}/users", "GET users page",
                          params={"first": first, "max": size, "briefRepresentation": str(brief).lower()})

    admin.sign_in()
    before = admin.requests
    started = time.perf_counter()
    users = page(0)
    count, full, first = len(users), len(users) == size, size
    with ThreadPoolExecutor(max_workers=at_once, thread_name_prefix="read") as pool:
        while full:
            for entries in list(pool.map(page, range(first, first + size * at_once, size))):
                count += len(entries)
                if len(entries) < size:
                    full = False
                    break
            first += size * at_once
    return Read(time.perf_counter() - started, admin.requests - before, count)


def read_members(admin: Admin, realm: str, group_ids: list[str], size: int = MEMBER_PAGE_SIZE,
                 at_once: int = READERS, full: bool = False) -> Read:
    """The member list of each group (brief: ``briefRepresentation=true``; ``full``: each member with its
    attributes), ``size`` to a page, ``at_once`` groups at a time; ``users`` counts the memberships read. Timed
    on a fresh token."""
    def members(group_id: str) -> int:
        count, first = 0, 0
        while True:
            page = admin.call("GET", f"{realm}/groups/{group_id}/members", "GET group members",
                              params={"first": first, "max": size, "briefRepresentation": str(not full).lower()})
            if page is None:  # deleted while the lists were read: a benchmark's realm must hold still
                raise SystemExit(f"group {group_id} of {realm} went away while its members were read")
            count += len(page)
            if len(page) < size:
                return count
            first += size

    admin.sign_in()
    before = admin.requests
    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=at_once, thread_name_prefix="members") as pool:
        memberships = sum(pool.map(members, group_ids))
    return Read(time.perf_counter() - started, admin.requests - before, memberships)
