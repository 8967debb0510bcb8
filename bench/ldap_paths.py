"""The paths of the LDAP benchmark that start from the spec: groupid's sync, and two ways of creating the same
accounts with no groupid code in the timed part — Keycloak's own bulk path (the limit) and a naive loop.

Each path first applies the spec to its realm as ``groupid apply`` does (``plan_spec`` + ``apply_plans``; not
timed, a row of its own). Then, timed:

- **groupid**: ``groupid.ldap_sync.sync_ldap`` of the directory, from the first LDAP search to the last write.
  The partial imports and role grants it sends are kept, so that the run can show they are the limit's;
- **limit**: the accounts groupid's sync creates, sent through ``POST /admin/realms/{realm}/partialImport``
  (``ifResourceExists: SKIP``) with plain ``requests`` (``limit.py``, which the HR benchmark shares), as
  groupid sends them: in parts of
  :data:`~groupid.sync.applying.CHUNK` accounts, ``--limit-parallel`` parts at a time (default
  :data:`~groupid.sync.applying.IMPORTERS`), each part ``--limit-chunk`` accounts a request, one request after
  the other (default :data:`~groupid.realms.base.IMPORT_CHUNK`; 0: every account in one request). Each account is the
  representation groupid's partial import carries — username, names, email, enabled, the attributes
  (employee_id, source_anchor, …), the department group by path and the realm's default role — with the realm
  roles groupid grants after the import (``finance-editor``, to the approvers, nested ones too) among its
  ``realmRoles``, so that one request does what groupid does in two. Which accounts those are is found before
  the timing, by a dry run of groupid's sync on the same directory and realm: reading the directory and
  planning are groupid's work, not Keycloak's;
- **naive**: the same accounts the way an admin script creates them: one ``POST /users`` each with the same
  representation (Keycloak joins a new user to the groups its representation names by path and grants it the
  default role itself; it ignores ``realmRoles`` there), then one ``POST role-mappings/realm`` for each approver,
  one request at a time.

The limit and the naive loop have no re-sync: they create what groupid's first sync creates, nothing more.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING

from ldap_data import APPROVERS, PEOPLE, ROLE, ROLES, Directory, role_members
from limit import fingerprint, send_accounts, sent_accounts
from limit import planned_accounts as accounts_of
from plan_scale import CountingServer, say
from sync_paths import AS_OF, apply_spec, kinds

from groupid.keycloak_terms import ATTR_CODE
from groupid.realms.base import IMPORT_CHUNK, RealmAdapter
from groupid.realms.connection import ConnectionSettings
from groupid.sync.applying import IMPORTERS

if TYPE_CHECKING:
    from ldap_sync import DirectoryServer
    from limit import Admin



# -- the payload ---------------------------------------------------------------------------------------------


def planned_accounts(config: Path, spec: Path, adapter: RealmAdapter, realm: str, default_role: str) -> list[dict]:
    """The accounts groupid's sync of the directory would create in ``realm`` (``limit.planned_accounts`` of its
    dry run: nothing is written)."""
    from groupid.ldap_sync import sync_ldap
    from groupid.sync import SyncOptions

    plan = sync_ldap(config, spec, adapter, options=SyncOptions(realm=realm, today=AS_OF, dry_run=True)).plan
    return accounts_of(plan, default_role)


# -- groupid -------------------------------------------------------------------------------------------------


def write_source_config(scratch: Path, directory: DirectoryServer, page: int) -> Path:
    """The LDAP.yaml groupid reads: the columns of the entries, the role group, a guard that lets the 50
    leavers of the case through."""
    secret = scratch / "service-password"
    secret.write_text(directory.local.service_password)
    secret.chmod(0o600)
    config = scratch / "LDAP.yaml"
    config.write_text(f"""\
url: {directory.url}
bind_dn: {directory.local.service_dn}
bind_password_file: {secret}
page_size: {page}
type: openldap
people: {{base: "{PEOPLE}", filter: "(objectClass=inetOrgPerson)", scope: subtree}}
anchor: entryUUID
key: employee_id
columns: {{employee_id: employeeNumber, name: cn, company: o, department: departmentNumber, title: title,
          email: mail, phone: mobile, manager: manager, status: employeeType}}
values: {{status: {{在职: active}}}}
roles:
  base: "{ROLES}"
  filter: "(objectClass=groupOfNames)"
  nested: true
  map: {{"{APPROVERS}": {ROLE}}}
policy: {{guard: {{max_leavers: 1000, max_leaver_share: 0.5}}}}
""", encoding="utf-8")
    return config


class Groupid:
    """groupid's LDAP sync of the directory into the spec's realm."""

    path = "groupid"
    resyncs = True  #: the path has a re-sync, for the cases

    def __init__(self, admin: Admin, directory: DirectoryServer, realm: str, settings: ConnectionSettings,
                 data: Directory, scratch: Path, page: int):
        self.admin, self.directory, self.realm, self.settings = admin, directory, realm, settings
        self.data, self.scratch, self.page = data, scratch, page
        self.payload = ""  #: the fingerprint of the accounts the first sync created

    def set_up(self) -> str:
        """The spec applied to the realm, and the source config written."""
        _, self.setup_requests = apply_spec(self.settings, self.data, self.realm)
        self.config = write_source_config(self.scratch, self.directory, self.page)
        return f"the spec applied (plan_spec + apply_plans): {self.data.companies} companies, {self.data.departments:,} departments"

    def prepare(self) -> str:
        """Nothing to do between the setup and the full sync."""
        return ""

    def sync(self) -> tuple[float, int, str]:
        """``sync_ldap`` of the whole directory; (seconds, admin requests, its counts)."""
        from groupid.ldap_sync import sync_ldap
        from groupid.sync import SyncOptions

        server = CountingServer(self.settings)
        first = not self.payload
        if first:
            server.transport.sent = []
        started = time.perf_counter()
        result = sync_ldap(self.config, self.data.spec, server, options=SyncOptions(realm=self.realm, today=AS_OF))
        seconds = time.perf_counter() - started
        counts = ", ".join(f"{k} {v:,}" for k, v in sorted(result.counts().items()) if v) or "nothing"
        rejected = "".join(f"; rejected {r.employee_id}: {' '.join(r.reasons)}" for r in result.plan.rejections[:3])
        say(f"    [groupid] requests: {kinds({'kinds': server.kinds, 'kind_seconds': server.kind_seconds})}")
        note = f"{counts}; {result.writes:,} writes; exit code {int(result.exit_code)}{rejected}"
        if first:
            self.payload = fingerprint(sent_accounts(server.transport.sent), self.realm)
            note += f"; payload {self.payload}"
        return seconds, server.requests, note

    def after_first_sync(self) -> None:
        """Nothing: the source config maps the role group to the realm role."""

    def account(self, employee_id: str) -> list[dict]:
        """The accounts that carry an employee ID."""
        return [u for u in self.admin.find(self.realm, q=f"employee_id:{employee_id}")
                if (u.get("attributes") or {}).get("employee_id") == [employee_id]]

    def in_department(self, user: dict, code: str) -> bool:
        """Whether the user's groups hold the department's (groupid marks it with its code)."""
        return any((group.get("attributes") or {}).get(ATTR_CODE) == [code]
                   for group in self.admin.groups_of(self.realm, user["id"]))

    def check(self) -> tuple[bool, str]:
        """Whether the full sync left what groupid's sync leaves, looked at on two people: the first person in
        their department's group with the realm's default role, a member of the nested group with ROLE."""
        first = self.data.people[0]
        nested = next(p for p in self.data.people if p.dn == role_members(self.data.people)[0][0])
        default = self.admin.call("GET", self.realm, "check")["defaultRole"]["name"]
        seen, right = [], True
        for person, role in ((first, default), (nested, ROLE)):
            accounts = self.account(person.employee_id)
            if len(accounts) != 1:
                seen.append(f"{person.employee_id}: {len(accounts)} accounts")
                right = False
                continue
            grouped = self.in_department(accounts[0], person.department)
            granted = role in self.admin.realm_roles(self.realm, accounts[0]["id"])
            right = right and grouped and granted
            seen.append(f"{person.employee_id} {'in' if grouped else 'NOT in'} {person.department}'s group, "
                        f"{role} {'granted' if granted else 'NOT granted'}")
        return right, "; ".join(seen)


# -- Keycloak's own paths, on groupid's payload ----------------------------------------------------------------


class Limit(Groupid):
    """The accounts groupid creates, through Keycloak's partial import with plain ``requests``."""

    path = "limit"
    resyncs = False

    def __init__(self, *args, chunk: int = IMPORT_CHUNK, parallel: int = IMPORTERS):
        super().__init__(*args)
        self.chunk, self.parallel = chunk, parallel

    def prepare(self) -> str:
        """The accounts to send: those groupid's sync would create, found by its dry run (not timed)."""
        from groupid.realms import KeycloakServer

        started = time.perf_counter()
        self.default_role = self.admin.default_role(self.realm)
        self.accounts = planned_accounts(self.config, self.data.spec, KeycloakServer(self.settings), self.realm,
                                         self.default_role)
        self.payload = fingerprint(self.accounts, self.realm)
        granted = sum(1 for account in self.accounts if ROLE in account["realmRoles"])
        return (f"{len(self.accounts):,} accounts ({granted} with {ROLE}) planned by groupid's dry run in "
                f"{time.perf_counter() - started:.1f} s, not timed: reading the directory and planning are groupid's "
                f"part, not Keycloak's; payload {self.payload}")

    def sync(self) -> tuple[float, int, str]:
        """The partial imports as groupid sends them (``limit.send_accounts``, ``chunk`` accounts a request,
        ``parallel`` parts at a time); (seconds, requests, what Keycloak answered)."""
        sent = send_accounts(self.admin, self.realm, self.accounts, self.chunk, self.parallel)
        return sent.seconds, sent.requests, (f"{sent.describe()}; payload {self.payload}; no directory read: "
                                             f"Keycloak's own path on groupid's payload")


class Naive(Limit):
    """The accounts groupid creates, one ``POST /users`` after the other, as an admin script would."""

    path = "naive"

    def sync(self) -> tuple[float, int, str]:
        """One user at a time, its roles beside; (seconds, requests, what was done)."""
        self.admin.sign_in()
        before = self.admin.requests
        roles: dict[str, dict] = {}
        granted = 0
        started = time.perf_counter()
        for account in self.accounts:
            user = {key: value for key, value in account.items() if key != "realmRoles"}
            user_id = self.admin.call("POST", f"{self.realm}/users", "POST users", json=user)
            extra = [name for name in account["realmRoles"] if name != self.default_role]
            if extra:
                for name in extra:  # looked up once each, as a script would
                    if name not in roles:
                        role = self.admin.call("GET", f"{self.realm}/roles/{name}", "GET role")
                        roles[name] = {"id": role["id"], "name": role["name"]}
                self.admin.call("POST", f"{self.realm}/users/{user_id}/role-mappings/realm", "POST role-mappings",
                                json=[roles[name] for name in extra])
                granted += 1
        seconds = time.perf_counter() - started
        return seconds, self.admin.requests - before, (
            f"{len(self.accounts):,} POST users (the group by path inside), {granted} role grants, one at a time; "
            f"payload {self.payload}; no directory read")
