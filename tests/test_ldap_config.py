"""The LDAP source config: what it reads, and every mistake reported with the file's line."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from groupid.errors import ConfigurationError, SourceError
from groupid.sources.ldap import LdapConfig, load_config
from groupid.sources.ldap.filters import check_filter
from groupid.sources.ldap.names import normal_dn, parse_dn

PASSWORD_VARIABLE = "GROUPID_TEST_LDAP_CONFIG_PASSWORD"

BASE = """\
url: ldaps://dc1.example.com
bind_dn: cn=groupid,ou=system,dc=example,dc=com
bind_password_env: GROUPID_TEST_LDAP_CONFIG_PASSWORD
people:
  base: ou=people,dc=example,dc=com
  filter: (objectClass=inetOrgPerson)
columns:
  employee_id: employeeNumber
  name: cn
  company: o
  department: departmentNumber
  email: mail
  manager: manager
  status: employeeType
"""
"""A config of 14 lines; the tests below add or replace keys and name the line they expect."""


def _write(tmp_path: Path, text: str, name: str = "ldap.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _load(tmp_path: Path, text: str) -> LdapConfig:
    return load_config(_write(tmp_path, text))


def _problems(tmp_path: Path, text: str) -> str:
    with pytest.raises(SourceError) as caught:
        _load(tmp_path, text)
    return str(caught.value)


def test_a_small_config_takes_the_defaults(tmp_path):
    config = _load(tmp_path, BASE)
    assert config.url == ("ldaps://dc1.example.com",)
    assert (config.type, config.anchor, config.page_size, config.timeout) == ("openldap", "entryUUID", 500, 30)
    assert config.people.scope == "subtree"
    assert config.departments.origin == "attribute"
    assert config.key == "employee_id" and config.roles is None and config.managed_roles == frozenset()
    assert config.file == str(tmp_path / "ldap.yaml")


def test_active_directory_anchors_on_the_object_guid(tmp_path):
    config = _load(tmp_path, BASE + "type: active_directory\n")
    assert config.anchor == "objectGUID"
    assert "status" in config.fields  # userAccountControl says it, whether or not a column does
    assert _load(tmp_path, BASE + "type: active_directory\nanchor: objectSid\n").anchor == "objectSid"


def test_the_connection_settings_name_where_the_password_is_never_the_password(tmp_path, monkeypatch):
    (tmp_path / "ca.pem").write_text("a CA")
    config = _load(tmp_path, BASE.replace("ldaps://dc1.example.com", "[ldap://a.example.com, ldap://b.example.com:389]")
                   + "start_tls: true\nca_file: ca.pem\ntimeout: 5\npage_size: 1000\n")
    connection = config.connection
    assert connection.urls == ("ldap://a.example.com", "ldap://b.example.com:389")
    assert (connection.start_tls, connection.ca_file, connection.timeout, connection.page_size) == (
        True, tmp_path / "ca.pem", 5, 1000)
    monkeypatch.setenv(PASSWORD_VARIABLE, "s3cret-value")
    assert connection.bind_password() == "s3cret-value"
    assert "s3cret-value" not in repr(connection) + repr(config)
    monkeypatch.delenv(PASSWORD_VARIABLE)
    with pytest.raises(ConfigurationError, match=f"variable {PASSWORD_VARIABLE} is not set"):
        connection.bind_password()


def test_a_password_file_is_read_from_beside_the_config(tmp_path):
    config = _load(tmp_path, BASE.replace("bind_password_env: GROUPID_TEST_LDAP_CONFIG_PASSWORD",
                                          "bind_password_file: secrets/ldap"))
    with pytest.raises(SourceError, match=r"secrets/ldap") as caught:
        config.connection.bind_password()
    (tmp_path / "secrets").mkdir()
    (tmp_path / "secrets" / "ldap").write_text("from-a-file\n")
    assert config.connection.bind_password() == "from-a-file"
    assert "from-a-file" not in str(caught.value)


def test_departments_and_roles_read(tmp_path):
    config = _load(tmp_path, BASE.replace("  department: departmentNumber\n", "") + """\
departments: {from: groups, base: "ou=departments,dc=example,dc=com", filter: "(objectClass=groupOfNames)"}
roles:
  base: ou=groups,dc=example,dc=com
  filter: (objectClass=groupOfNames)
  map:
    "cn=Approvers,ou=groups,dc=example,dc=com": finance-approver
    "cn=admins,ou=it,ou=groups,dc=example,dc=com": it-admin
""")
    assert (config.departments.origin, config.departments.code, config.departments.member_attribute) == (
        "groups", "cn", "member")
    assert config.roles.nested and config.roles.member_attribute == "member"
    assert config.managed_roles == {"finance-approver", "it-admin"}


def test_employee_id_may_come_from_the_anchor(tmp_path):
    config = _load(tmp_path, BASE.replace("  employee_id: employeeNumber\n", "") + "scope: 'employee_id sw \"1\"'\n")
    assert "employee_id" not in config.columns and "employee_id" in config.fields


LINE_OF = {"url": 1, "people": 4, "base": 5, "filter": 6, "columns": 7, "status": 15}


@pytest.mark.parametrize(("change", "expected"), [
    ({"url: ldaps://dc1.example.com": "url: https://dc1.example.com"},
     r"ldap\.yaml:1: url: 'https://dc1\.example\.com' is not an ldap:// or ldaps:// URL"),
    ({"url: ldaps://dc1.example.com": "url: [ldap://a.example.com, 'ldap://']"},
     r"ldap\.yaml:1: url: 'ldap://' is not an ldap:// or ldaps:// URL with a host"),
    ({"url: ldaps://dc1.example.com": "url: ldaps://dc1.example.com:99999"},
     r"ldap\.yaml:1: url: 'ldaps://dc1\.example\.com:99999': the port is not a number from 0 to 65535"),
    ({"": "start_tls: true\n"}, r"ldap\.yaml:15: start_tls: StartTLS is for ldap:// URLs"),
    ({"bind_dn: cn=groupid,ou=system,dc=example,dc=com": "bind_dn: groupid"},
     r"ldap\.yaml:2: bind_dn: 'groupid' is not a DN"),
    ({"": "bind_password_file: pw\n"}, r"ldap\.yaml:2: give exactly one of bind_password_env and bind_password_file"),
    ({"bind_password_env: GROUPID_TEST_LDAP_CONFIG_PASSWORD": "bind_password_env: not-a-name"},
     r"ldap\.yaml:3: bind_password_env: 'not-a-name' is not an environment variable name"),
    ({"": "ca_file: missing.pem\n"}, r"ldap\.yaml:15: ca_file: 'missing\.pem' is not a file"),
    ({"": "page_size: 2000\n"}, r"ldap\.yaml:15: page_size: Input should be less than or equal to 1000"),
    ({"": "timeout: 0\n"}, r"ldap\.yaml:15: timeout: Input should be greater than 0"),
    ({"": "type: novell\n"}, r"ldap\.yaml:15: type: Input should be 'openldap' or 'active_directory'"),
    ({"  base: ou=people,dc=example,dc=com": "  base: people"}, r"ldap\.yaml:5: people: base: 'people' is not a DN"),
    ({"  filter: (objectClass=inetOrgPerson)": "  filter: (&(objectClass=inetOrgPerson)"},
     r"ldap\.yaml:6: people: filter: .* its parentheses do not balance"),
    ({"  filter: (objectClass=inetOrgPerson)": "  filter: objectClass=inetOrgPerson"},
     r"ldap\.yaml:6: people: filter: .* expected \( at character 1"),
    ({"  email: mail": "  e-mail: mail"}, r"ldap\.yaml:12: columns: 'e-mail' is not a person field"),
    ({"  email: mail": "  email: mail address"}, r"ldap\.yaml:12: columns: 'mail address' is not an attribute"),
    ({"  name: cn\n": ""}, r"ldap\.yaml:7: columns: every person needs name, company; map name too"),
    ({"": "values: {status: {inactive: gone}}\n"}, r"ldap\.yaml:15: values: status: 'inactive' becomes"),
    ({"": "values: {title: {a: b}}\n"}, r"ldap\.yaml:15: values: 'title' is not in columns"),
    ({"": "scope: 'employment_type eq \"x\"'\n"}, r"ldap\.yaml:15: scope: .*employment_type"),
    ({"": "key: email_address\n"}, r"ldap\.yaml:15: key: 'email_address' is not in columns"),
    ({"": "departments: {from: ou}\n"}, r"ldap\.yaml:15: departments: from: ou gives the department; remove"),
    ({"": "departments: {from: attribute, code: ou}\n"}, r"ldap\.yaml:15: departments: code: is for from: groups"),
    ({"": "departments: {from: groups}\n"}, r"ldap\.yaml:15: departments: from: groups needs base:"),
    ({"": "policy: {absent: keep}\n"}, r"ldap\.yaml:15: policy: absent: Input should be 'leaver' or 'ignore'"),
    ({"": "bind_password: secret\n"}, r"ldap\.yaml:15: unknown key 'bind_password'; did you mean"),
])
def test_each_mistake_names_its_line(tmp_path, change, expected):
    text = BASE
    for old, new in change.items():
        text = text + new if old == "" else text.replace(old, new)
    assert re.search(expected, _problems(tmp_path, text)), _problems(tmp_path, text)


ROLES = """\
roles:
  base: ou=groups,dc=example,dc=com
  filter: (objectClass=groupOfNames)
  map:
    "cn=approvers,ou=groups,dc=example,dc=com": finance-approver
"""


@pytest.mark.parametrize(("extra", "expected"), [
    ('    "cn=admins,ou=groups,dc=other,dc=com": it-admin\n',
     r"ldap\.yaml:20: roles: map: .* is not below base"),
    ('    "CN=Approvers, OU=Groups,DC=example,DC=com": other\n',
     r"ldap\.yaml:20: roles: map: .* is the group 'cn=approvers,ou=groups,dc=example,dc=com' again"),
    ('    "cn=x,ou=groups,dc=example,dc=com": " "\n', r"ldap\.yaml:20: roles: map: the realm role is empty"),
    ('    "approvers": x\n', r"ldap\.yaml:20: roles: map: 'approvers' is not a DN"),
    ('  nested: maybe\n', r"ldap\.yaml:20: roles: nested: Input should be a valid boolean"),
])
def test_roles_mistakes_name_their_line(tmp_path, extra, expected):
    message = _problems(tmp_path, BASE + ROLES + extra)
    assert re.search(expected, message), message


def test_every_mistake_is_listed_at_once(tmp_path):
    text = BASE.replace("ldaps://", "http://").replace("(objectClass=inetOrgPerson)", "(objectClass=x") + "page_size: 0\n"
    lines = _problems(tmp_path, text).splitlines()
    assert sorted(int(line.split(":")[1]) for line in lines) == [1, 6, 15], lines


@pytest.mark.parametrize("text", [
    "(objectClass=*)", "(&(objectClass=user)(!(cn=x*y)))", "(|(cn=a)(sn=b))", "(cn=Lee \\28Sales\\29)",
    "(userAccountControl:1.2.840.113556.1.4.803:=2)", "(cn:dn:caseExactMatch:=x)", "(cn;lang-en>=m)",
])
def test_filters_that_check(text):
    assert check_filter(text) == text


@pytest.mark.parametrize(("text", "why"), [
    ("(cn=a", "parentheses do not balance"), ("cn=a", r"expected \("), ("(cn=a))", "follows its last"),
    ("(!(a=b)(c=d))", "exactly one"), ("(cn=(a)", "unescaped parenthesis"), ("(cn=a\\zz)", "two hex digits"),
    ("(=a)", "not an attribute"), ("(c n=a)", "not an attribute"), ("(&(cn=a)", "do not balance"),
])
def test_filters_that_do_not(text, why):
    with pytest.raises(ValueError, match=why):
        check_filter(text)


@pytest.mark.parametrize(("one", "other"), [
    ("CN=Admins, OU=Groups,DC=corp", "cn=admins,ou=groups,dc=corp"),
    ("cn=a\\2cb,dc=x", "cn=a\\,b,dc=x"),
    ("cn=Li  Na,dc=x", "cn=li na,dc=x"),
    ("cn=a+sn=b,dc=x", "SN=B+CN=A,DC=X"),
])
def test_dns_that_are_the_same_entry(one, other):
    assert normal_dn(one) == normal_dn(other)


def test_a_value_that_only_begins_with_a_hash_stays_escaped():
    dn = normal_dn(r"cn=\#x\,y,ou=people,dc=x")
    assert parse_dn(dn) == parse_dn(r"cn=\#x\,y,ou=people,dc=x")
    assert normal_dn("cn=#6869,dc=x") == "cn=#6869,dc=x"  # a value in its BER form is kept as it is


def test_dns_that_are_not():
    assert normal_dn("cn=admins,ou=it,dc=x") != normal_dn("cn=admins,ou=lab,dc=x")
    for text in ("admins", "cn=a,=b", 'cn="a",dc=x', "cn=a\\"):
        with pytest.raises(ValueError, match="is not a DN"):
            parse_dn(text)
