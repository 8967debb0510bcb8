"""Reading directory entries into person rows: mapping, rejections, departments, roles, managers, AD encodings and
the filters the source builds — against an in-memory directory (tests.memory_directory), no server."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from groupid.errors import DirectoryError, SourceError
from groupid.sources import OutOfScope, Rejection, SourceRow, managed_roles, source_reader
from groupid.sources.ldap import LdapConfig, guid_text, load_config, people, read_directory
from groupid.sources.ldap.names import normal_dn
from tests.memory_directory import MemoryDirectory, entry

PEOPLE = "ou=people,dc=xinghe,dc=example"
GROUPS = "ou=groups,dc=xinghe,dc=example"

CONFIG = f"""\
url: ldap://127.0.0.1:3389
bind_dn: cn=groupid,ou=system,dc=xinghe,dc=example
bind_password_env: GROUPID_TEST_LDAP_PASSWORD
people: {{base: "{PEOPLE}", filter: "(objectClass=inetOrgPerson)"}}
columns: {{employee_id: employeeNumber, name: cn, company: o, department: departmentNumber, email: mail,
          phone: mobile, manager: manager, status: employeeType, start_date: startDate}}
values: {{status: {{staff: active, left: terminated}}}}
"""


def _config(tmp_path: Path, text: str = CONFIG, **replace: str) -> LdapConfig:
    for old, new in replace.items():
        text = text.replace(old, new)
    path = tmp_path / "ldap.yaml"
    path.write_text(text, encoding="utf-8")
    return load_config(path)


def _person(uid: str, parent: str = PEOPLE, **attributes) -> object:
    values = {"entryUUID": f"00000000-0000-4000-8000-{int(uid):012d}", "employeeNumber": uid, "cn": f"Person {uid}",
              "o": "XH", "employeeType": "staff"}
    values.update(attributes)
    return entry(f"uid={uid},{parent}", **{key: value for key, value in values.items() if value is not None})


def _rows(config: LdapConfig, *entries) -> tuple[dict[str, object], MemoryDirectory]:
    directory = MemoryDirectory(entries)
    source = read_directory(config, directory=directory)
    return {row.employee_id if not isinstance(row, SourceRow) else row.values["employee_id"]: row
            for row in source}, directory


def test_entries_become_normalised_rows_located_by_their_dn(tmp_path):
    config = _config(tmp_path)
    directory = MemoryDirectory([
        _person("1001", mail="Li.Na@Xinghe.Example", mobile="138 1234 5678", departmentNumber="TECH",
                startDate="20230305000000Z"),
        _person("1002", employeeType="left"),
    ])
    source = read_directory(config, directory=directory)
    assert source.name == "ldap" and len(source) == 2 and managed_roles(source) == frozenset()
    first, second = source.rows
    assert isinstance(first, SourceRow)
    assert str(first.where) == f"ldap:uid=1001,{PEOPLE}"
    assert first.anchor == "00000000-0000-4000-8000-000000001001" and first.roles is None
    assert first.values == {"employee_id": "1001", "name": "Person 1001", "company": "XH", "department": "TECH",
                            "email": "li.na@xinghe.example", "phone": "+8613812345678", "manager": None,
                            "status": "active", "start_date": __import__("datetime").date(2023, 3, 5)}
    assert second.values["status"] == "terminated"
    base, search, attributes, scope = directory.searches[0]
    assert (base, search, scope) == (PEOPLE, "(objectClass=inetOrgPerson)", "subtree")
    assert set(attributes) == {"employeeNumber", "cn", "o", "departmentNumber", "mail", "mobile", "manager",
                               "employeeType", "startDate", "entryUUID"}
    assert directory.closed is False  # a directory handed in is the caller's to close


def test_the_source_is_registered_as_ldap():
    assert source_reader("ldap") is read_directory


def test_read_directory_opens_and_closes_its_own_directory(tmp_path, monkeypatch):
    opened = MemoryDirectory([_person("1001")])
    monkeypatch.setattr(people, "open_directory", lambda settings: opened)
    source = read_directory(_config(tmp_path))
    assert [row.employee_id for row in source] == ["1001"] and opened.closed


def test_each_entry_is_rejected_with_every_reason(tmp_path):
    rows, _ = _rows(_config(tmp_path),
                    _person("1001", mail=["a@xinghe.example", "b@xinghe.example"], mobile="12345"),
                    _person("1002", cn="Zhang\u202eSan"),
                    _person("1003", entryUUID=None),
                    _person("1004", o=b"\xff\xfe"),
                    _person("1005", employeeType="contractor"))
    assert rows["1001"].reasons == ("email (mail): mail has 2 values, where a person has one",
                                    "phone (mobile): '*****' is neither a mainland mobile (1[3-9] and 11 digits) "
                                    "nor a +852/+853/+886 number")
    assert "U+202E" in rows["1002"].reasons[0] and rows["1002"].reasons[0].startswith("name (cn): ")
    assert rows["1003"].reasons == ("the anchor entryUUID: is missing",)
    assert rows["1004"].reasons == ("company (o): is not UTF-8 text",)
    assert rows["1005"].reasons == ("status (employeeType): unknown value 'contractor'; expected one of staff, left",)
    assert all(str(row.where).startswith("ldap:uid=") for row in rows.values())
    # a rejected entry keeps its anchor: the engine never takes the account it names for absent
    assert rows["1001"].anchor and rows["1003"].anchor is None


def test_both_entries_with_one_key_are_rejected_each_naming_the_other(tmp_path):
    source = read_directory(_config(tmp_path), directory=MemoryDirectory([
        _person("1001"), _person("1002", employeeNumber="1001", entryUUID="u-2"), _person("1003")]))
    rejected = [row for row in source if isinstance(row, Rejection)]
    assert [row.reasons for row in rejected] == [
        (f"employee_id 1001 appears more than once (also at uid=1002,{PEOPLE})",),
        (f"employee_id 1001 appears more than once (also at uid=1001,{PEOPLE})",),
    ]
    assert [row.employee_id for row in source if isinstance(row, SourceRow)] == ["1003"]


def test_without_an_employee_id_column_the_anchor_is_the_employee_id(tmp_path):
    config = _config(tmp_path, **{"employee_id: employeeNumber, ": ""})
    rows, directory = _rows(config, _person("1001"), _person("1002", entryUUID=None))
    assert rows["00000000-0000-4000-8000-000000001001"].anchor == "00000000-0000-4000-8000-000000001001"
    assert rows[None].reasons == ("the anchor entryUUID: is missing",)


def test_the_scope_leaves_people_out(tmp_path):
    config = _config(tmp_path, CONFIG + "scope: 'company eq \"XH\"'\n")
    rows, _ = _rows(config, _person("1001"), _person("1002", o="BX", mail=["x@y.cn", "z@y.cn"]))
    assert isinstance(rows["1001"], SourceRow) and isinstance(rows["1002"], OutOfScope)


def test_manager_dns_become_employee_ids_once_everyone_is_read(tmp_path):
    rows, _ = _rows(_config(tmp_path),
                    _person("1001", manager="UID=1003, OU=People,DC=xinghe,DC=example"),  # before its manager
                    _person("1002", manager=f"uid=9999,{PEOPLE}"),  # no one read
                    _person("1003"),
                    _person("1004", manager="not a dn"))
    assert rows["1001"].values["manager"] == "1003"
    assert isinstance(rows["1002"], SourceRow) and rows["1002"].values["manager"] is None
    assert rows["1004"].values["manager"] is None


def test_a_failed_page_fails_the_whole_read(tmp_path):
    directory = MemoryDirectory([_person("1001"), _person("1002"), _person("1003")], fail_after=2)
    with pytest.raises(DirectoryError, match="connection lost"):
        read_directory(_config(tmp_path), directory=directory)


# --- departments ---------------------------------------------------------------------------------------------


def test_departments_from_the_nearest_ou_below_the_people_base(tmp_path):
    config = _config(tmp_path, CONFIG + "departments: {from: ou}\nvalues: {department: {Research: RND, XH: XH}}\n",
                     **{"department: departmentNumber, ": "", "values: {status: {staff: active, left: terminated}}\n": "",
                        "status: employeeType, ": ""})
    rows, _ = _rows(config,
                    _person("1001", parent=f"ou=Research,ou=XH,{PEOPLE}"),
                    _person("1002", parent=f"ou=XH,{PEOPLE}"),
                    _person("1003"),
                    _person("1004", parent=f"ou=Sales,ou=XH,{PEOPLE}"))
    assert rows["1001"].values["department"] == "RND"
    assert rows["1002"].values["department"] == "XH"  # the nearest OU, whatever its level
    assert rows["1003"].values["department"] is None
    assert rows["1004"].reasons == ("department (ou): unknown value 'Sales'; expected one of Research, XH",)


def test_departments_from_groups(tmp_path):
    departments = "ou=departments,dc=xinghe,dc=example"
    config = _config(tmp_path, CONFIG + f'departments: {{from: groups, base: "{departments}", '
                     'filter: "(objectClass=groupOfNames)", code: ou}\n', **{"department: departmentNumber, ": ""})
    rows, directory = _rows(
        config,
        entry(f"cn=tech,{departments}", ou="TECH", member=[f"uid=1001,{PEOPLE}", f"UID=1002,{PEOPLE}"]),
        entry(f"cn=sales,{departments}", ou="SALES", member=[f"uid=1002,{PEOPLE}"]),
        entry(f"cn=broken,{departments}", member=[f"uid=1004,{PEOPLE}"]),
        _person("1001"), _person("1002"), _person("1003"), _person("1004"),
    )
    assert rows["1001"].values["department"] == "TECH"
    assert rows["1002"].reasons[0].startswith("department (groups): a member of 2 department groups (")
    assert rows["1003"].values["department"] is None
    assert "has 0 values of ou" in rows["1004"].reasons[0]
    assert directory.searches[0][:2] == (departments, "(objectClass=groupOfNames)")


# --- roles ---------------------------------------------------------------------------------------------------

ROLES = f"""\
roles:
  base: "{GROUPS}"
  filter: (objectClass=groupOfNames)
  map:
    "cn=approvers,ou=finance,{GROUPS}": finance-approver
    "CN=Admins, OU=IT,{GROUPS}": it-admin
"""


def _groups(*extra):
    return [
        entry(f"cn=approvers,ou=finance,{GROUPS}", member=[f"uid=1001,{PEOPLE}", f"cn=leads,ou=finance,{GROUPS}"]),
        entry(f"cn=leads,ou=finance,{GROUPS}", member=[f"uid=1002,{PEOPLE}", f"cn=deputies,ou=finance,{GROUPS}"]),
        # a cycle: deputies lists leads, which lists deputies
        entry(f"cn=deputies,ou=finance,{GROUPS}", member=[f"uid=1003,{PEOPLE}", f"cn=leads,ou=finance,{GROUPS}"]),
        entry(f"cn=admins,ou=it,{GROUPS}", member=[f"uid=1004,{PEOPLE}"]),
        # the same name in another subtree is another group
        entry(f"cn=admins,ou=lab,{GROUPS}", member=[f"uid=1005,{PEOPLE}"]),
        *extra,
    ]


def _people(count: int = 6):
    return [_person(str(1000 + number)) for number in range(1, count + 1)]


def test_roles_follow_nested_groups_through_a_cycle_and_never_by_name_alone(tmp_path):
    config = _config(tmp_path, CONFIG + ROLES)
    source = read_directory(config, directory=MemoryDirectory([*_groups(), *_people()]))
    roles = {row.employee_id: row.roles for row in source}
    assert roles == {"1001": {"finance-approver"}, "1002": {"finance-approver"}, "1003": {"finance-approver"},
                     "1004": {"it-admin"}, "1005": frozenset(), "1006": frozenset()}
    assert source.managed_roles == {"finance-approver", "it-admin"} == managed_roles(source)


def test_without_nesting_only_direct_members_count(tmp_path):
    config = _config(tmp_path, CONFIG + ROLES + "  nested: false\n")
    source = read_directory(config, directory=MemoryDirectory([*_groups(), *_people()]))
    assert {row.employee_id for row in source if row.roles} == {"1001", "1004"}


def test_a_mapped_group_the_directory_lacks_stops_the_read(tmp_path):
    config = _config(tmp_path, CONFIG + ROLES)
    groups = [group for group in _groups() if not group.dn.startswith("cn=admins,ou=it")]
    with pytest.raises(SourceError, match=r"ldap\.yaml: roles: map: the directory has no group 'CN=Admins, OU=IT"):
        read_directory(config, directory=MemoryDirectory([*groups, *_people()]))


def test_group_lookups_escape_every_value_they_put_in_a_filter(tmp_path):
    hostile = r"cn=Lee (Sales) *\5c\00,ou=finance," + GROUPS
    config = _config(tmp_path, CONFIG + ROLES.replace(f"cn=approvers,ou=finance,{GROUPS}", hostile.replace("\\", "\\\\")))
    nested = r"cn=a\2a)(uid=*,ou=finance," + GROUPS  # a member group whose name would end the filter early
    directory = MemoryDirectory([
        entry(hostile.replace(r"\5c", "\\5c"), member=[f"uid=1001,{PEOPLE}", nested]),
        entry(nested, member=[f"uid=1002,{PEOPLE}"]),
        *_groups()[3:], *_people(3),
    ])
    source = read_directory(config, directory=directory)
    assert {row.employee_id: row.roles for row in source} == {
        "1001": {"finance-approver"}, "1002": {"finance-approver"}, "1003": frozenset()}
    lookups = directory.filters(GROUPS)
    assert lookups[0] == r"(&(objectClass=groupOfNames)(|(cn=Admins)(cn=Lee \28Sales\29 \2a\5c\00)))"
    assert r"(cn=a\2a\29\28uid=\2a)" in lookups[1]
    assert all(search[0] == GROUPS for search in directory.searches[:-1])


# --- Active Directory ----------------------------------------------------------------------------------------

AD = """\
url: ldaps://dc1.corp.example
bind_dn: cn=groupid,ou=system,dc=corp,dc=example
bind_password_env: GROUPID_TEST_LDAP_PASSWORD
type: active_directory
people: {base: "ou=staff,dc=corp,dc=example", filter: "(&(objectCategory=person)(objectClass=user))"}
columns: {employee_id: sAMAccountName, name: displayName, company: company, email: userPrincipalName}
"""
GUID = uuid.UUID("3f2504e0-4f89-11d3-9a0c-0305e82c3301")
GUID_BYTES = bytes.fromhex("e004253f894fd3119a0c0305e82c3301")  # as Active Directory stores it


def test_guid_text_reads_the_little_endian_layout():
    assert GUID.bytes_le == GUID_BYTES
    assert guid_text(GUID_BYTES) == "3f2504e0-4f89-11d3-9a0c-0305e82c3301"
    with pytest.raises(ValueError, match="16 bytes, not 3"):
        guid_text(b"abc")


def test_active_directory_entries(tmp_path):
    config = _config(tmp_path, AD)

    def user(name: str, uac: str | None, guid: bytes = GUID_BYTES):
        return entry(f"cn={name},ou=staff,dc=corp,dc=example", objectGUID=guid, sAMAccountName=name,
                     displayName=name.title(), company="XH", userPrincipalName=f"{name}@Corp.Example",
                     **({"userAccountControl": uac} if uac is not None else {}))

    rows, directory = _rows(config, user("lina", "512"), user("wei", "514", bytes(range(16))), user("bo", "x"),
                            user("mo", None), user("qi", "66048", b"\x01\x02"))
    assert rows["lina"].anchor == "3f2504e0-4f89-11d3-9a0c-0305e82c3301"
    assert rows["lina"].values["status"] == "active" and rows["lina"].values["email"] == "lina@corp.example"
    assert rows["wei"].values["status"] == "terminated"  # ACCOUNTDISABLE: a leaver, still read
    assert rows["wei"].anchor == str(uuid.UUID(bytes_le=bytes(range(16))))
    assert rows["bo"].reasons == ("status (userAccountControl): userAccountControl 'x' is not a number",)
    assert rows["mo"].reasons == ("status (userAccountControl): is missing: whether the account is disabled "
                                  "cannot be told",)
    assert rows["qi"].reasons == ("the anchor objectGUID: an objectGUID is 16 bytes, not 2",)
    base, search, attributes, _ = directory.searches[0]
    assert search == "(&(objectCategory=person)(objectClass=user))"  # disabled accounts are read too
    assert {"objectGUID", "userAccountControl"} <= set(attributes)
    assert normal_dn(base) == "ou=staff,dc=corp,dc=example"
