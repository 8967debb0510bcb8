"""What the tests of interrupted runs share: a Keycloak of their own on a database that survives a kill, a large
group and its people, an adapter that kills Keycloak or its own process after a given number of writes, and
snapshots of realms read straight from the Admin REST API (not through groupid) to compare end states.

Run as a module (``python -m tests.crash_harness ARGS``), it is the child process a test kills: it applies a
spec or syncs an export through the interrupting adapter.
"""

from __future__ import annotations

import json
import os
import random
import re
import shutil
import signal
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import quote

import requests

from groupid.errors import GroupidError
from groupid.keycloak_terms import LOCK_MARK
from groupid.localserver import LocalKeycloak, ServerInfo, cache_dir
from groupid.localserver.process import answers
from groupid.lock import LOCK_NAME
from groupid.realms import ConnectionSettings, KeycloakServer
from groupid.realms.keycloak import AdminTransport
from tests.conftest import skip_or_fail

ROOT = Path(__file__).resolve().parent.parent
INSTANCE = "crash-{pid}"
"""The local Keycloak instance of a test run: persistent (H2 files), so that a kill and a restart keep its
data; one per pytest process (named by its pid), so that two test runs never kill each other's server."""
PREFIX = "crash-"
"""Every realm these tests make starts with it."""
HR_HEADER = ["工号", "姓名", "公司编码", "部门编码", "职位", "直属上级工号", "手机", "邮箱", "入职日期", "离职日期",
             "在职状态", "员工类型", "身份证号"]


# --- the server -------------------------------------------------------------------------------------------


class CrashServer:
    """A local Keycloak on its dev-file database that the tests kill (SIGKILL to the process group the harness
    started) and start again; each start answers on a new port."""

    def __init__(self) -> None:
        _sweep()
        self.local = LocalKeycloak(INSTANCE.format(pid=os.getpid()))
        self.info: ServerInfo | None = None

    def start(self) -> ConnectionSettings:
        """Start it (or find it running); the settings to reach it."""
        self.info = self.local.start()
        return self.settings

    @property
    def settings(self) -> ConnectionSettings:
        """How to reach it now."""
        assert self.info is not None
        return ConnectionSettings(server_url=self.info.url, admin_user=self.info.admin_user,
                                  admin_password=self.info.admin_password())

    def adapter(self) -> KeycloakServer:
        """A fresh admin connection."""
        return KeycloakServer(self.settings)

    def assert_dead(self) -> None:
        """The Keycloak a child process killed is gone."""
        assert self.info is not None and not answers(self.info.url), "Keycloak still answers after the kill"

    def stop(self) -> None:
        """Stop it, whatever state it is in, and delete its data."""
        self.local.stop()
        shutil.rmtree(self.local.state_dir, ignore_errors=True)


def _sweep() -> None:
    """Stop the servers of test runs that were killed, and delete their data."""
    for state in (cache_dir() / "instances").glob(INSTANCE.format(pid="*")):
        pid = state.name.rpartition("-")[2]
        if pid.isdigit() and not _alive(int(pid)):
            LocalKeycloak(state.name).stop()
            shutil.rmtree(state, ignore_errors=True)


def start_or_skip(server: CrashServer) -> ConnectionSettings:
    """Start the server; skip the tests with the reason when it cannot start — or fail them under CI."""
    try:
        settings = server.start()
    except GroupidError as exc:
        skip_or_fail(f"cannot start the Keycloak for the crash tests: {exc}")
    delete_realms(KeycloakServer(settings))
    return settings


def delete_realms(adapter: KeycloakServer) -> None:
    """Delete every realm these tests made."""
    realms = adapter.transport.request("GET", "admin/realms", "list the realms", params={"briefRepresentation": "true"})
    for realm in realms:
        if realm["realm"].startswith(PREFIX):
            adapter.delete_realm(realm["realm"])


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass
    return True


# --- the group and its people -------------------------------------------------------------------------------


COMPANIES = (  # code, name, parent, region
    ("XS", "星海控股集团有限公司", None, "上海"),
    ("XS-TECH", "星海科技有限公司", "XS", "杭州"),
    ("XS-MFG", "星海制造有限公司", "XS", "深圳"),
    ("XS-FIN", "星海集团财务有限公司", "XS", "上海"),
    ("XS-MFG-SZ", "星海精密（苏州）有限公司", "XS-MFG", "苏州"),
    ("XS-HK", "星海国际（香港）有限公司", "XS", "香港"),
)
DEPARTMENTS = ("研发部", "财务部", "人力资源部", "市场部", "销售部", "运营部", "法务部", "采购部", "质量部", "行政部")
TEAMS = ("平台组", "数据组", "前端组", "后端组", "测试组", "运维组", "安全组", "产品组")
DEPARTMENT_ROLES = {"财务部": ["finance-staff"], "人力资源部": ["hr-admin"], "研发部": ["app-00-user", "app-01-user"]}
OWN_REALM = "XS-FIN"


def write_spec(root: Path, topology: str, teams_per_department: int, apps: int) -> Path:
    """A spec of the 星海 group under ``topology``: 6 companies, 10 departments each with
    ``teams_per_department`` teams, and ``apps`` pairs of app roles (user, and admin including it) besides
    the base roles. Under realm-per-company, 财务公司 has a realm of its own."""
    root.mkdir(parents=True, exist_ok=True)
    head = {"code": "XS", "name": "星海控股集团", "realm": "xinghai", "topology": topology, "default_roles": ["employee"]}
    if topology == "realm-per-company":
        head["public_url"] = "https://sso.xinghai.example.cn"
    lines = [f"group: {_flow(head)}", "companies:"]
    for code, name, parent, region in COMPANIES:
        company = {"code": code, "name": name, "region": region, "email_domains": [domain(code)]}
        if parent:
            company["parent"] = parent
        if code == OWN_REALM and topology == "realm-per-company":
            company["own_realm"] = True
        lines.append(f"  - {_flow(company)}")
    departments = []
    for code, *_ in COMPANIES:
        for number, name in enumerate(DEPARTMENTS):
            department = f"{code}-D{number:02d}"
            departments.append({"code": department, "name": name, "company": code, "roles": DEPARTMENT_ROLES.get(name, [])})
            departments += [{"code": f"{department}-T{team:02d}", "name": TEAMS[team % len(TEAMS)], "company": code,
                             "parent": department, "roles": [f"app-{team % apps:02d}-user"] if apps and team % 3 == 0 else []}
                            for team in range(teams_per_department)]
    roles = [{"name": "employee", "description": "集团员工"},
             {"name": "manager", "description": "主管", "composites": ["employee"]},
             {"name": "finance-staff", "description": "财务人员", "composites": ["employee"]},
             {"name": "hr-admin", "description": "人事管理员", "composites": ["employee"]}]
    for app in range(apps):
        roles += [{"name": f"app-{app:02d}-user", "description": f"应用{app}用户"},
                  {"name": f"app-{app:02d}-admin", "description": f"应用{app}管理员",
                   "composites": [f"app-{app:02d}-user", "manager"]}]
    lines += ["departments:", *(f"  - {_flow(department)}" for department in departments)]
    lines += ["roles:", *(f"  - {_flow(role)}" for role in roles)]
    (root / "group.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return root


def _flow(mapping: dict) -> str:
    """A YAML flow mapping (JSON is one)."""
    return json.dumps(mapping, ensure_ascii=False)


def domain(company: str) -> str:
    """The email domain of a company."""
    return f"{company.lower()}.xinghai.example.cn"


SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = "伟芳娜敏静磊强洋艳军杰娟勇涛明超秀霞平刚"
TITLES = ("工程师", "高级工程师", "经理", "专员", "主管", "会计", "出纳", "分析师")


def roster(count: int, seed: int = 7, start: int = 0) -> list[dict[str, str]]:
    """``count`` people of the group as HR exports them, numbered from ``start``; names repeat, as they do."""
    rng = random.Random(seed)
    people = []
    for number in range(start, start + count):
        company = rng.choice(COMPANIES)[0]
        department = f"{company}-D{rng.randrange(len(DEPARTMENTS)):02d}"
        name = rng.choice(SURNAMES) + rng.choice(GIVEN) + (rng.choice(GIVEN) if rng.random() < 0.4 else "")
        people.append({
            "工号": f"XS{number:05d}", "姓名": name, "公司编码": company, "部门编码": department,
            "职位": rng.choice(TITLES), "直属上级工号": "", "手机": f"139{number:08d}",
            "邮箱": f"p{number:05d}@{domain(company)}", "入职日期": "2020-01-06", "离职日期": "",
            "在职状态": "在职", "员工类型": "正式", "身份证号": "",
        })
    return people


def next_week(people: list[dict[str, str]], seed: int = 11) -> tuple[list[dict[str, str]], list[str]]:
    """The next week's export: joiners, movers (some to another company), new titles, leavers (some marked
    离职, some gone from the export); and the employee IDs of the leavers."""
    rng = random.Random(seed)
    week = [dict(person) for person in people]
    indexes = list(range(len(week)))
    rng.shuffle(indexes)
    marked, dropped = indexes[:25], set(indexes[25:45])
    for index in marked:
        week[index] |= {"在职状态": "离职", "离职日期": "2025-03-07"}
    for index in indexes[45:125]:
        company = week[index]["公司编码"] if index % 2 else rng.choice(COMPANIES)[0]
        week[index] |= {"公司编码": company, "部门编码": f"{company}-D{rng.randrange(len(DEPARTMENTS)):02d}",
                        "邮箱": f"p{week[index]['工号'][2:]}@{domain(company)}"}
    for index in indexes[125:175]:
        week[index] |= {"职位": "资深" + week[index]["职位"], "手机": "+86 138 " + week[index]["手机"][3:]}
    leavers = [week[index]["工号"] for index in [*marked, *sorted(dropped)]]
    kept = [person for index, person in enumerate(week) if index not in dropped]
    return kept + roster(150, seed=seed + 1, start=len(people)), leavers


# --- the interrupting adapter ---------------------------------------------------------------------------------


def is_lock(path: str, body) -> bool:
    """Whether a request is about the lock: its writes come and go with time (renewals), not with the run.
    The lock is the only client scope of the realm groupid writes, and scopes are addressed by id."""
    return (LOCK_NAME in path or re.search(r"realms/[^/]+/client-scopes(/|$)", path) is not None
            or (isinstance(body, dict) and body.get("name") == LOCK_NAME))


class Interrupting(KeycloakServer):
    """A KeycloakServer that calls ``then`` at its ``after``-th write request (the lock's not counted):
    ``during`` it (at the moment it is sent, from another thread), right ``after`` its answer; or, whatever
    ``after`` says, as the first account is about to be signed out (``when`` is ``logout``: a leaver is
    disabled, not yet signed out) or as the run is about to release its lock, every write done (``release``).
    ``writes`` counts them; with ``after`` 0 it only counts."""

    def __init__(self, settings: ConnectionSettings, after: int = 0, then: Callable[[], None] | None = None,
                 when: str = "after"):
        super().__init__(settings, transport=InterruptingTransport(settings, after, then, when))

    @property
    def writes(self) -> int:
        """The write requests sent so far (the lock's not counted)."""
        return self.transport.writes


class InterruptingTransport(AdminTransport):
    """The transport of an :class:`Interrupting` server: it counts the writes and calls ``then``."""

    def __init__(self, settings: ConnectionSettings, after: int, then: Callable[[], None] | None, when: str):
        self.after, self.then, self.when = after, then, when
        self.writes = 0
        self._writes_guard = threading.Lock()
        super().__init__(settings)

    def request(self, method, path, action, **options):
        if method == "GET" or is_lock(path, options.get("body")):
            if self.when == "release" and method == "DELETE" and self.writes and self.then is not None:
                self.then()  # the release, not the breaking of a dead run's lock: that comes before any write
            return super().request(method, path, action, **options)
        if self.when == "logout" and path.endswith("/logout") and self.then is not None:
            self.then()
        with self._writes_guard:
            self.writes += 1
            nth = self.writes
        struck = nth == self.after and self.then is not None
        if struck and self.when == "during":
            threading.Thread(target=self.then).start()
        try:
            return super().request(method, path, action, **options)
        finally:
            if struck and self.when == "after":
                self.then()


def kill_keycloak(pid: int, url: str) -> Callable[[], None]:
    """SIGKILL the process group of the Keycloak the harness started, and wait until its port is closed."""
    def kill() -> None:
        os.killpg(pid, signal.SIGKILL)  # kc.sh runs java in the group the harness made for it
        deadline = time.monotonic() + 30
        while answers(url) and time.monotonic() < deadline:
            time.sleep(0.05)
    return kill


def kill_self() -> None:
    """SIGKILL this very process: no finally block, no release of the lock."""
    os.kill(os.getpid(), signal.SIGKILL)


# --- running a child that is killed -----------------------------------------------------------------------------


def run_child(server: CrashServer, job: dict, timeout: float = 300) -> tuple[int, int]:
    """Run ``job`` (see :func:`_child`) in a child process against ``server``; its exit status (-9: killed)
    and how many writes it had sent when it was cut off."""
    import subprocess
    import tempfile

    assert server.info is not None
    with tempfile.TemporaryDirectory() as scratch:
        count = Path(scratch) / "writes"
        job = {**job, "url": server.info.url, "user": server.info.admin_user, "count_file": str(count),
               "password_file": str(server.info.password_file), "keycloak_pid": server.info.pid}
        done = subprocess.run([sys.executable, "-m", "tests.crash_harness", json.dumps(job, ensure_ascii=False)],
                              cwd=ROOT, capture_output=True, text=True, timeout=timeout)
        assert "Traceback" not in done.stderr, done.stderr[-3000:]
        return done.returncode, int(count.read_text()) if count.exists() else 0


def _child(job: dict) -> int:
    """Apply a spec or sync an export through an :class:`Interrupting` adapter; exit 1 on a groupid error."""
    from datetime import date

    from groupid.apply import apply_plans
    from groupid.hr_sync import sync_hr
    from groupid.operations import plan_spec
    from groupid.sync import SyncOptions
    from tests.hr_people import MAPPING

    settings = ConnectionSettings(server_url=job["url"], admin_user=job["user"],
                                  admin_password=Path(job["password_file"]).read_text(encoding="utf-8").strip())
    kill = kill_self if job["kill"] == "self" else kill_keycloak(job["keycloak_pid"], job["url"])

    once = threading.Lock()

    def then() -> None:
        # once only: leavers are signed out by several workers at a time, and a second caller would truncate
        # the file the first one is renaming into place as the kill comes
        if not once.acquire(blocking=False):
            return
        # written whole or not at all: the kill may come while the file is being written
        count = Path(job["count_file"])
        count.with_suffix(".tmp").write_text(str(adapter.writes), encoding="ascii")
        os.replace(count.with_suffix(".tmp"), count)
        kill()

    adapter = Interrupting(settings, job["after"], then, job.get("when", "after"))
    try:
        if job["what"] == "apply":
            apply_plans(plan_spec(job["spec"], adapter, realm=job["realm"]), adapter)
        else:
            sync_hr(job["export"], job["spec"], MAPPING, adapter,
                    options=SyncOptions(realm=job["realm"], today=date.fromisoformat(job["today"]), force=True))
    except GroupidError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


# --- snapshots ----------------------------------------------------------------------------------------------------


class Reader:
    """Reads the Admin REST API with requests alone, so that what groupid wrote is judged by another reader."""

    def __init__(self, settings: ConnectionSettings):
        self.settings = settings
        self.session = requests.Session()
        self.session.trust_env = False
        self._signed_at = 0.0

    def get(self, path: str, **params):
        """GET ``admin/realms/<path>`` as JSON."""
        if time.monotonic() - self._signed_at > 40:  # the admin token lives a minute
            self._sign_in()
        answer = self.session.get(f"{self.settings.server_url}/admin/realms/{path}", params=params, timeout=120)
        answer.raise_for_status()
        return answer.json()

    def pages(self, path: str, size: int = 500, **params) -> list:
        """Every entry of a paginated list."""
        entries, first = [], 0
        while True:
            page = self.get(path, first=first, max=size, **params)
            entries += page
            if len(page) < size:
                return entries
            first += size

    def _sign_in(self) -> None:
        token = self.session.post(
            f"{self.settings.server_url}/realms/master/protocol/openid-connect/token", timeout=60,
            data={"grant_type": "password", "client_id": "admin-cli", "username": self.settings.admin_user,
                  "password": self.settings.admin_password},
        ).json()["access_token"]
        self.session.headers["Authorization"] = f"Bearer {token}"
        self._signed_at = time.monotonic()


def snapshot(settings: ConnectionSettings, realms: list[str]) -> dict[str, str]:
    """What ``realms`` hold — realm settings, user profile, roles with composites and direct holders, clients,
    identity providers, groups with attributes, roles and members, organizations with members, users with
    their fields, attributes, enabled flag and sign-outs — flattened to ``path: value`` lines, ids left out and
    realm names replaced by their place in ``realms``, so that two groups of realms can be compared."""
    reader = Reader(settings)
    state = {f"realm{index}": _realm(reader, realm) for index, realm in enumerate(realms)}
    text = json.dumps(state, ensure_ascii=False, sort_keys=True)
    for index, realm in sorted(enumerate(realms), key=lambda pair: -len(pair[1])):
        text = text.replace(realm, f"<realm{index}>")
    return dict(_flatten(json.loads(text)))


def differences(expected: dict[str, str], actual: dict[str, str], limit: int = 30) -> list[str]:
    """The lines in which two snapshots differ, at most ``limit`` of them."""
    lines = [f"- {key}: {expected.get(key, '(none)')}  + {actual.get(key, '(none)')}"
             for key in sorted(set(expected) | set(actual)) if expected.get(key) != actual.get(key)]
    return lines[:limit] + ([f"… {len(lines) - limit} more"] if len(lines) > limit else [])


def _realm(reader: Reader, realm: str) -> dict:
    representation = reader.get(realm)
    clients = reader.get(f"{realm}/clients")
    client_ids = {client["id"]: client["clientId"] for client in clients}

    def ref(role: dict) -> str:
        return f"{client_ids[role['containerId']]}/{role['name']}" if role.get("clientRole") else role["name"]

    roles = {}
    for role in reader.pages(f"{realm}/roles", briefRepresentation="false"):
        if LOCK_MARK in (role.get("attributes") or {}):
            continue  # a lock comes and goes with the runs, as groupid's own reads have it
        composites = reader.get(f"{realm}/roles-by-id/{role['id']}/composites") if role.get("composite") else []
        holders = reader.pages(f"{realm}/roles/{quote(role['name'], safe='')}/users", briefRepresentation="true")
        roles[role["name"]] = {"description": role.get("description"), "attributes": role.get("attributes") or {},
                               "composites": sorted(map(ref, composites)),
                               "users": sorted(user["username"] for user in holders)}
    profile = reader.get(f"{realm}/users/profile")
    state = {
        "realm": {"displayName": representation.get("displayName"), "enabled": representation.get("enabled"),
                  "organizationsEnabled": representation.get("organizationsEnabled"),
                  "defaultRole": representation["defaultRole"]["name"],
                  "attributes": {key: value for key, value in (representation.get("attributes") or {}).items()
                                 if key.startswith("groupid")}},
        "profile": {"unmanagedAttributePolicy": profile.get("unmanagedAttributePolicy"),
                    "attributes": sorted(attribute["name"] for attribute in profile.get("attributes", []))},
        "roles": roles,
        "clients": {client["clientId"]: _client(reader, realm, client) for client in clients},
        "identityProviders": {idp["alias"]: _identity_provider(idp)
                              for idp in reader.get(f"{realm}/identity-provider/instances")},
        "groups": _groups(reader, realm),
        "users": _users(reader, realm),
    }
    if representation.get("organizationsEnabled"):
        state["organizations"] = {org["alias"]: _organization(reader, realm, org)
                                  for org in reader.pages(f"{realm}/organizations", briefRepresentation="false")}
    return state


def _identity_provider(idp: dict) -> dict:
    kept = ("displayName", "providerId", "enabled", "trustEmail")
    return {**{key: idp.get(key) for key in kept},
            "config": {key: value for key, value in idp.get("config", {}).items() if key != "clientSecret"}}


def _organization(reader: Reader, realm: str, org: dict) -> dict:
    members = reader.pages(f"{realm}/organizations/{org['id']}/members")
    return {"name": org["name"], "enabled": org.get("enabled"), "attributes": org.get("attributes") or {},
            "domains": sorted(entry["name"] for entry in org.get("domains") or ()),
            "members": sorted(member["username"] for member in members)}


def _client(reader: Reader, realm: str, client: dict) -> dict:
    kept = ("name", "enabled", "publicClient", "protocol", "rootUrl", "standardFlowEnabled", "directAccessGrantsEnabled")
    return {**{key: client.get(key) for key in kept}, "redirectUris": sorted(client.get("redirectUris") or ()),
            "attributes": {key: value for key, value in (client.get("attributes") or {}).items() if key.startswith("groupid")},
            "roles": sorted(role["name"] for role in reader.get(f"{realm}/clients/{client['id']}/roles"))}


def _groups(reader: Reader, realm: str) -> dict:
    groups, pending = {}, [("", group) for group in reader.pages(f"{realm}/groups", briefRepresentation="false")]
    while pending:
        parent, group = pending.pop()
        path = f"{parent}/{group['name']}"
        members = reader.pages(f"{realm}/groups/{group['id']}/members", briefRepresentation="true")
        groups[path] = {"attributes": group.get("attributes") or {}, "realmRoles": sorted(group.get("realmRoles") or ()),
                        "clientRoles": {client: sorted(names) for client, names in (group.get("clientRoles") or {}).items()},
                        "members": sorted(member["username"] for member in members)}
        if group.get("subGroupCount"):
            children = reader.pages(f"{realm}/groups/{group['id']}/children", briefRepresentation="false")
            pending += [(path, child) for child in children]
    return groups


def _users(reader: Reader, realm: str) -> dict:
    users = {}
    for user in reader.pages(f"{realm}/users", briefRepresentation="false"):
        entry = {key: user.get(key) for key in ("enabled", "firstName", "lastName", "email", "emailVerified")}
        entry["attributes"] = user.get("attributes") or {}
        if not user.get("enabled"):  # a leaver: signed out (Keycloak keeps when), and with no session left
            entry["signedOut"] = bool(user.get("notBefore"))
            entry["sessions"] = len(reader.get(f"{realm}/users/{user['id']}/sessions"))
        users[user["username"]] = entry
    return users


def _flatten(value, path: str = ""):
    if isinstance(value, dict) and value:
        for key, item in value.items():
            yield from _flatten(item, f"{path}/{key}" if path else key)
    else:
        yield path, json.dumps(value, ensure_ascii=False, sort_keys=True)


def sign_in(settings: ConnectionSettings, realm: str, usernames: list[str]) -> None:
    """Give each user a password and sign it in (a password grant), so that it has a session to lose."""
    reader = Reader(settings)
    for username in usernames:
        user = reader.get(f"{realm}/users", username=username, exact="true")[0]
        password = f"Pw-{random.getrandbits(64):x}"
        reader.session.put(f"{settings.server_url}/admin/realms/{realm}/users/{user['id']}/reset-password",
                           json={"type": "password", "value": password, "temporary": False}, timeout=60).raise_for_status()
        requests.post(f"{settings.server_url}/realms/{realm}/protocol/openid-connect/token", timeout=60,
                      data={"grant_type": "password", "client_id": "admin-cli", "username": username,
                            "password": password}).raise_for_status()


def usernames_of(settings: ConnectionSettings, realm: str, employee_ids: list[str]) -> list[str]:
    """The usernames of the accounts that carry these employee IDs."""
    wanted = set(employee_ids)
    return sorted(user["username"] for user in Reader(settings).pages(f"{realm}/users", briefRepresentation="false")
                  if (user.get("attributes") or {}).get("employee_id", [None])[0] in wanted)


if __name__ == "__main__":
    sys.exit(_child(json.loads(sys.argv[1])))
