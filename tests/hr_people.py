"""What the people-sync tests share: the 北辰集团 data, exports written in every format, a realm with the spec
applied, an adapter that records what it is asked to write, and the accounts read back from a realm.

The data (tests/data/hr) tells one story in exports a week apart: ``day0.csv`` (the realm's first sync: one
person), ``day1.csv`` (the full roster) and ``day2.csv`` (joiners, movers, leavers, a rehire). Tests check the
result in the realm itself, person by person, never in the engine's own bookkeeping alone.
"""

from __future__ import annotations

import contextlib
import csv
import json
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import openpyxl
import pytest
from keycloak import KeycloakAdmin, KeycloakOpenID, KeycloakOpenIDConnection

from groupid.apply import apply_plans
from groupid.keycloak_terms import ATTR_CODE
from groupid.operations import plan_spec
from groupid.realms import IMPORT_CHUNK, KeycloakServer
from groupid.realms.memory import MemoryRealms

DATA = Path(__file__).parent / "data" / "hr"
SPEC = DATA / "spec"
MAPPING = DATA / "mapping.yaml"
NATIONAL_ID = "身份证号"
DAYS = {0: date(2025, 2, 24), 1: date(2025, 3, 3), 2: date(2025, 3, 10), 3: date(2025, 3, 17)}
"""The dates the story's runs treat as today: a weekly sync."""

BOOKKEEPING = frozenset({"acquire_lock", "renew_lock", "release_lock", "set_realm_attributes"})
"""Writes a sync makes that are not about people: the lock, and the run record the truncation guard reads."""
_WRITE_PREFIXES = ("create_", "update_", "delete_", "add_", "remove_", "move_", "set_", "import_", "logout_")


def export(day: int) -> Path:
    """The export HR sends on ``day``."""
    return DATA / f"day{day}.csv"


# --- exports ------------------------------------------------------------------------------------------------


def read_records(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    """The header and rows of one of the data files (UTF-8 CSV), read with the standard library, not groupid."""
    with open(path, encoding="utf-8", newline="") as source:
        reader = csv.DictReader(source)
        return list(reader.fieldnames or []), list(reader)


def write_csv(path: Path, header: list[str], records: list[dict], encoding: str = "utf-8") -> Path:
    """Write ``records`` as Excel would save them: CRLF lines, in ``encoding`` (``utf-8-sig`` adds the BOM)."""
    with open(path, "w", encoding=encoding, newline="") as out:
        writer = csv.DictWriter(out, header, lineterminator="\r\n")
        writer.writeheader()
        writer.writerows(records)
    return path


def edited_export(path: Path, day: int, changes: dict[str, dict] | None = None, drop=(), extra=()) -> Path:
    """Day ``day``'s export with some cells changed (employee ID -> cells), some people dropped, some added."""
    header, records = read_records(export(day))
    changes = changes or {}
    records = [{**record, **changes.get(record["工号"], {})} for record in records if record["工号"] not in drop]
    return write_csv(path, header, [*records, *extra])


def write_xlsx(path: Path, header: list[str], records: list[dict]) -> Path:
    """Write ``records`` to the first sheet of a workbook, the cells typed as people type them in Excel: dates
    as date cells, all-digit phones as numbers, an Excel serial number as a number."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(header)
    for record in records:
        sheet.append([_excel_cell(name, record[name]) for name in header])
    book.save(path)
    return path


def _excel_cell(name: str, value: str):
    if name == "入职日期" and value.isdigit():
        return int(value)
    if name == "入职日期" and len(value) == 10 and value[4] == "-":
        return datetime.strptime(value, "%Y-%m-%d")
    if name == "手机" and value.isdigit():
        return int(value)
    return value


def write_json(path: Path, records: list[dict], lines: bool = False) -> Path:
    """Write ``records`` as a JSON list, or as JSON Lines with ``lines``."""
    if lines:
        text = "".join(json.dumps(record, ensure_ascii=False) + "\n" for record in records)
    else:
        text = json.dumps(records, ensure_ascii=False, indent=1)
    path.write_text(text, encoding="utf-8")
    return path


def mapping_with(path: Path, policy: str | None = None, source: str | None = None) -> Path:
    """A copy of the mapping at ``path`` with a ``policy:`` and/or a ``source:`` line (YAML flow style)."""
    lines = MAPPING.read_text(encoding="utf-8").splitlines()
    if source:
        lines = [f"source: {source}" if line.startswith("source:") else line for line in lines]
    if policy:
        lines.append(f"policy: {policy}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


# --- realms and adapters ------------------------------------------------------------------------------------


def new_adapter(request):
    """The adapter a test parametrized over ``memory`` and ``keycloak`` runs against."""
    if request.param == "memory":
        return MemoryRealms()
    return KeycloakServer(request.getfixturevalue("keycloak"))


ADAPTERS = ["memory", pytest.param("keycloak", marks=pytest.mark.keycloak)]


@contextlib.contextmanager
def spec_realm(adapter, prefix: str, spec: Path = SPEC) -> Iterator[str]:
    """A new realm with the spec applied (the 北辰集团 one unless ``spec`` says), named for this test alone;
    afterwards it is deleted, with the company realms of a realm-per-company spec."""
    name = f"t-{prefix}-{uuid.uuid4().hex[:6]}"
    plans = plan_spec(spec, adapter, realm=name)
    try:
        apply_plans(plans, adapter)
        yield name
    finally:
        for plan in plans:
            if isinstance(adapter, KeycloakServer) and adapter.realm_exists(plan.realm):
                adapter.delete_realm(plan.realm)


class Recorder:
    """An adapter that passes every call on and records the writes: ``(method, args)`` in call order.

    The sync calls it from several threads; appending to a list is atomic, and the lock keeps it so.
    """

    def __init__(self, adapter):
        self.adapter = adapter
        self.calls: list[tuple[str, tuple]] = []
        self._lock = threading.Lock()

    def __getattr__(self, name: str):
        target = getattr(self.adapter, name)
        if not (callable(target) and (name.startswith(_WRITE_PREFIXES) or name in BOOKKEEPING)):
            return target

        def recorded(*args, **kwargs):
            with self._lock:
                self.calls.append((name, args))
            return target(*args, **kwargs)

        return recorded

    def people_writes(self) -> list[tuple[str, tuple]]:
        """The writes recorded so far to accounts and memberships (the lock and the run record left out)."""
        return [call for call in self.calls if call[0] not in BOOKKEEPING]

    def reset(self) -> None:
        """Forget what was recorded."""
        self.calls.clear()


def write_requests(calls: list[tuple[str, tuple]]) -> int:
    """The requests recorded writes make: a bulk create sends its users :data:`IMPORT_CHUNK` to a request."""
    return sum(-(-len(args[1]) // IMPORT_CHUNK) if name == "import_users" else 1 for name, args in calls)


# --- accounts read back -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Account:
    """One user as the realm holds it: what a sync is judged by."""

    id: str
    username: str
    enabled: bool
    first_name: str | None
    last_name: str | None
    email: str | None
    attributes: dict
    groups: frozenset[str]  #: the codes of the groupid groups it is a direct member of
    organizations: frozenset[str] = frozenset()  #: the company codes of the Organizations it is a member of

    def attribute(self, name: str) -> str | None:
        """The first value of an attribute."""
        return (self.attributes.get(name) or [None])[0]


def accounts(adapter, realm: str) -> dict[str, Account]:
    """Every user of ``realm`` by employee ID (by ``@username`` for users without one), with its memberships."""
    live = adapter.read(realm)
    codes = {group.id: group.attribute(ATTR_CODE) for group in live.groups if group.attribute(ATTR_CODE)}
    companies = {org.id: org.attribute(ATTR_CODE) for org in live.organizations}
    found = {}
    for user in adapter.read_users(realm, list(codes), list(companies)):
        key = user.attribute("employee_id") or f"@{user.username}"
        found[key] = Account(user.id, user.username, user.enabled, user.first_name, user.last_name, user.email,
                             dict(user.attributes), frozenset(codes[group_id] for group_id in user.groups),
                             frozenset(companies[org_id] for org_id in user.organizations))
    return found


def keycloak_admin(adapter, realm: str) -> KeycloakAdmin | None:
    """python-keycloak's admin client on ``realm`` of the adapter's server; None for the in-memory adapter."""
    settings = getattr(adapter, "settings", None)
    if settings is None:
        return None
    connection = KeycloakOpenIDConnection(server_url=settings.server_url + "/", username=settings.admin_user,
                                          password=settings.admin_password, realm_name=realm,
                                          user_realm_name=settings.auth_realm)
    return KeycloakAdmin(connection=connection)


def effective_roles(admin: KeycloakAdmin, user_id: str) -> set[str]:
    """The realm roles Keycloak says a user has: direct, default, through groups and composites."""
    return {role["name"] for role in admin.get_composite_realm_roles_of_user(user_id)}


def sign_in(admin: KeycloakAdmin, realm: str, user_id: str, username: str) -> None:
    """Give a user a password and sign it in with a password grant, so that it has a session to lose."""
    password = f"Pw-{uuid.uuid4().hex}"
    admin.set_user_password(user_id, password, temporary=False)
    client = KeycloakOpenID(server_url=admin.connection.server_url, realm_name=realm, client_id="admin-cli")
    client.token(username, password)


def search_values(adapter, realm: str, values: list[str]) -> list[str]:
    """The ``values`` found anywhere in the full representation of any user of ``realm``, or in its attributes."""
    found = []
    texts = [json.dumps(adapter.read_realm_attributes(realm), ensure_ascii=False)]
    texts += [json.dumps(adapter.read_user(realm, user.id), ensure_ascii=False) for user in adapter.read_users(realm)]
    for value in values:
        if any(value in text for text in texts):
            found.append(value)
    return found
