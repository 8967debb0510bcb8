"""Keycloak's LDAP user federation declared in a spec: validated with its lines, planned, applied and pruned like
any other object, its bind password read from the environment at apply time and shown nowhere. Each plan test
runs against the in-memory realm and against the real Keycloak."""

from __future__ import annotations

import textwrap
import uuid

import pytest
import requests

from groupid.apply import apply_plans
from groupid.diff import DiffOptions
from groupid.errors import ConfigurationError, SpecError
from groupid.export import export_realm
from groupid.keycloak_terms import BIND_CREDENTIAL, LDAP_PROVIDER, MANAGED_SUBTYPE, USER_STORAGE_TYPE
from groupid.operations import plan_spec
from groupid.plan import save_plans
from groupid.realms import KeycloakServer
from groupid.realms.memory import MemoryRealms
from groupid.spec import load_spec
from groupid.state.federation import federation_realm
from groupid.views import as_json, as_markdown, as_text
from tests.ldap_directory import DEPARTMENTS_BASE, PEOPLE_BASE, SIZE_LIMIT

PASSWORD_ENV = "GROUPID_TEST_LDAP_BIND"
PASSWORD = "Bind-Pw-4711-never-shown"

SPEC = """\
group: {code: BC, name: 北辰集团, realm: REALM}
companies:
  - {code: BC, name: 北辰集团有限公司}
federation:
  - name: corp-ldap
    connection_urls: [ldap://ldap.example.com:389, ldaps://ldap2.example.com:636]
    bind_dn: cn=keycloak,ou=services,dc=example,dc=com
    bind_password_env: GROUPID_TEST_LDAP_BIND
    users_dn: ou=people,dc=example,dc=com
    full_sync_period: 86400
    group_mapper:
      groups_dn: ou=groups,dc=example,dc=com
"""


@pytest.fixture(params=["memory", pytest.param("keycloak", marks=pytest.mark.keycloak)])
def adapter(request):
    if request.param == "memory":
        return MemoryRealms()
    return KeycloakServer(request.getfixturevalue("keycloak"))


@pytest.fixture
def realm(adapter):
    name = f"t-fed-{uuid.uuid4().hex[:8]}"
    yield name
    if isinstance(adapter, KeycloakServer) and adapter.realm_exists(name):
        adapter.delete_realm(name)


@pytest.fixture
def spec(tmp_path, realm):
    """The spec directory; ``spec.edit(old, new)`` changes its text."""

    class Spec:
        path = tmp_path / "spec"
        file = path / "group.yaml"

        def write(self, text: str) -> None:
            self.path.mkdir(exist_ok=True)
            self.file.write_text(textwrap.dedent(text).replace("REALM", realm), encoding="utf-8")

        def edit(self, old: str, new: str) -> None:
            text = self.file.read_text(encoding="utf-8")
            assert old in text
            self.file.write_text(text.replace(old, new), encoding="utf-8")

    spec = Spec()
    spec.write(SPEC)
    return spec


@pytest.fixture(autouse=True)
def password(monkeypatch):
    monkeypatch.setenv(PASSWORD_ENV, PASSWORD)


def plan(spec, adapter, **options):
    (only,) = plan_spec(spec.path, adapter, options=DiffOptions(**options))
    return only


def changes(plan, *kinds):
    """(action, kind, key) of the plan's changes of those kinds."""
    return [(str(c.action), c.kind, c.key) for c in plan.changes if c.kind in kinds]


KINDS = ("federation", "federation-mapper")


# -- the spec ------------------------------------------------------------------------------------------------


def spec_problems(tmp_path, text: str) -> list[str]:
    (tmp_path / "group.yaml").write_text(textwrap.dedent(text), encoding="utf-8")
    with pytest.raises(SpecError) as caught:
        load_spec(tmp_path)
    return [str(problem).replace(str(tmp_path) + "/", "") for problem in caught.value.problems]


def test_a_federation_is_read_with_its_defaults(tmp_path):
    (tmp_path / "group.yaml").write_text(SPEC.replace("REALM", "bc"), encoding="utf-8")
    (federation,) = load_spec(tmp_path).federation
    assert (federation.vendor, federation.edit_mode, federation.import_users, federation.uuid_attribute) == (
        "other", "READ_ONLY", True, "entryUUID")
    assert federation.group_mapper.mode == "READ_ONLY"
    assert federation.bind_password_env == PASSWORD_ENV


def test_a_bad_federation_is_refused_with_the_line_of_each_mistake(tmp_path):
    problems = spec_problems(tmp_path, """\
        group: {code: BC, name: 北辰集团, realm: bc}
        companies:
          - {code: BC, name: 北辰集团有限公司}
        federation:
          - name: corp
            connection_urls: [http://ldap.example.com]
            bind_dn: cn=keycloak,dc=example,dc=com
            bind_password_env: "not a variable"
            users_dn: ou=people,dc=example,dc=com
            vendor: openldap
          - name: other
            company: NOPE
            connection_urls: [ldap://ldap.example.com:389]
            bind_dn: cn=keycloak,dc=example,dc=com
            bind_password_env: LDAP_BIND
            users_dn: ou=people,dc=example,dc=com
            sync_registrations: true
            group_mapper: {groups_dn: "ou=groups,dc=example,dc=com", mode: LDAP_ONLY}
        """)
    assert any(p.startswith("group.yaml:6: federation corp: connection_urls") and "LDAP URL" in p for p in problems), problems
    assert any(p.startswith("group.yaml:8: federation corp: bind_password_env") for p in problems), problems
    assert any(p.startswith("group.yaml:10: federation corp: vendor") for p in problems), problems
    assert any(p.startswith("group.yaml:18: federation other: group_mapper") for p in problems), problems


def test_a_federation_must_name_a_known_company_and_may_not_register_read_only(tmp_path):
    problems = spec_problems(tmp_path, """\
        group: {code: BC, name: 北辰集团, realm: bc}
        companies:
          - {code: BC, name: 北辰集团有限公司}
        federation:
          - name: other
            company: NOPE
            connection_urls: [ldap://ldap.example.com:389]
            bind_dn: cn=keycloak,dc=example,dc=com
            bind_password_env: LDAP_BIND
            users_dn: ou=people,dc=example,dc=com
            sync_registrations: true
          - name: other
            connection_urls: [ldap://ldap.example.com:389]
            bind_dn: cn=keycloak,dc=example,dc=com
            bind_password_env: LDAP_BIND
            users_dn: ou=people,dc=example,dc=com
        """)
    assert any(p.startswith("group.yaml:6: federation other: company 'NOPE' is not a known company") for p in problems), problems
    assert any(p.startswith("group.yaml:11: federation other: sync_registrations") for p in problems), problems
    assert any(p.startswith("group.yaml:12: federation other: federation name 'other' is already used") for p in problems), problems


def test_a_password_in_the_spec_is_an_unknown_key(tmp_path):
    problems = spec_problems(tmp_path, """\
        group: {code: BC, name: 北辰集团, realm: bc}
        federation:
          - name: corp
            connection_urls: [ldap://ldap.example.com:389]
            bind_dn: cn=keycloak,dc=example,dc=com
            bind_password: hunter2
            bind_password_env: LDAP_BIND
            users_dn: ou=people,dc=example,dc=com
        """)
    assert any(p.startswith("group.yaml:6: federation corp:") and "bind_password" in p for p in problems), problems
    assert not any("hunter2" in p for p in problems)


# -- plan and apply ------------------------------------------------------------------------------------------


def test_a_federation_is_created_then_left_alone_then_updated_then_pruned(adapter, realm, spec):
    first = plan(spec, adapter)
    assert changes(first, *KINDS) == [("create", "federation", "corp-ldap"),
                                      ("create", "federation-mapper", "corp-ldap/groups")]
    apply_plans([first], adapter)

    (federation,) = adapter.read(realm).federations
    config = federation.component.config
    assert config["connectionUrl"] == ["ldap://ldap.example.com:389 ldaps://ldap2.example.com:636"]
    assert (config["editMode"], config["vendor"], config["fullSyncPeriod"], federation.component.sub_type) == (
        ["READ_ONLY"], ["other"], ["86400"], MANAGED_SUBTYPE)
    assert BIND_CREDENTIAL not in config
    assert adapter.read_component(realm, federation.component.id)["config"][BIND_CREDENTIAL] == ["**********"]
    (mapper,) = federation.group_mappers
    assert (mapper.name, mapper.config["groups.dn"], mapper.config["mode"]) == (
        "groups", ["ou=groups,dc=example,dc=com"], ["READ_ONLY"])
    if isinstance(adapter, MemoryRealms):
        stored = adapter.realms[realm].components[federation.component.id]
        assert stored["config"][BIND_CREDENTIAL] == [PASSWORD]

    assert changes(plan(spec, adapter), *KINDS) == []

    spec.edit("users_dn: ou=people,", "users_dn: ou=staff,")
    spec.edit("groups_dn: ou=groups,", "groups_dn: ou=teams,")
    update = plan(spec, adapter)
    assert changes(update, *KINDS) == [("update", "federation", "corp-ldap"),
                                       ("update", "federation-mapper", "corp-ldap/groups")]
    (fields,) = [c.fields for c in update.changes if c.kind == "federation"]
    assert [(f.name, f.old, f.new) for f in fields] == [
        ("config.usersDn", "ou=people,dc=example,dc=com", "ou=staff,dc=example,dc=com")]
    apply_plans([update], adapter)
    (federation,) = adapter.read(realm).federations
    assert federation.component.config["usersDn"] == ["ou=staff,dc=example,dc=com"]
    assert federation.group_mappers[0].config["groups.dn"] == ["ou=teams,dc=example,dc=com"]
    assert adapter.read_component(realm, federation.component.id)["config"][BIND_CREDENTIAL] == ["**********"]
    assert changes(plan(spec, adapter), *KINDS) == []

    text = spec.file.read_text(encoding="utf-8")
    spec.write(text[: text.index("federation:")])
    kept = plan(spec, adapter)
    assert changes(kept, *KINDS) == []
    assert any(f.kind == "federation" and "--prune" in f.message for f in kept.findings)
    pruned = plan(spec, adapter, prune=True)
    assert changes(pruned, *KINDS) == [("delete", "federation-mapper", "corp-ldap/groups"),
                                       ("delete", "federation", "corp-ldap")]
    assert any(f.kind == "federation" and "every user it imported" in f.message for f in pruned.findings)
    apply_plans([pruned], adapter)
    assert adapter.read(realm).federations == []


def test_the_group_mapper_alone_goes_when_the_spec_drops_it(adapter, realm, spec):
    apply_plans([plan(spec, adapter)], adapter)
    text = spec.file.read_text(encoding="utf-8")
    spec.write(text[: text.index("    group_mapper:")])
    pruned = plan(spec, adapter, prune=True)
    assert changes(pruned, *KINDS) == [("delete", "federation-mapper", "corp-ldap/groups")]
    apply_plans([pruned], adapter)
    (federation,) = adapter.read(realm).federations
    assert federation.group_mappers == []


@pytest.mark.parametrize("adapter", ["memory"], indirect=True)  # it looks into the in-memory store
def test_keycloaks_own_mappers_are_never_touched(adapter, spec, realm):
    apply_plans([plan(spec, adapter)], adapter)
    state = adapter.realms[realm]
    (federation,) = adapter.read(realm).federations
    own = {c["name"] for c in state.components.values() if c["parentId"] == federation.component.id}
    assert {"username", "email", "first name", "last name", "creation date", "modify date"} <= own
    text = spec.file.read_text(encoding="utf-8")
    spec.write(text[: text.index("    group_mapper:")])
    apply_plans([plan(spec, adapter, prune=True)], adapter)
    left = {c["name"] for c in state.components.values() if c["parentId"] == federation.component.id}
    assert left == own - {"groups"}


def test_a_federation_made_by_hand_is_never_touched(adapter, realm, spec):
    apply_plans([plan(spec, adapter)], adapter)  # creates the realm
    (ours,) = adapter.read(realm).federations
    adapter.delete_component(realm, ours.component.id)
    by_hand = {"connectionUrl": ["ldap://hand.example.com:389"], "bindDn": ["cn=admin,dc=example,dc=com"],
               "bindCredential": ["by-hand"], "usersDn": ["ou=people,dc=example,dc=com"], "authType": ["simple"],
               "vendor": ["other"], "editMode": ["READ_ONLY"], "usernameLDAPAttribute": ["uid"],
               "rdnLDAPAttribute": ["uid"], "uuidLDAPAttribute": ["entryUUID"],
               "userObjectClasses": ["inetOrgPerson"]}
    for name in ("corp-ldap", "someone-elses"):
        adapter.create_component(realm, {"name": name, "providerId": LDAP_PROVIDER, "providerType": USER_STORAGE_TYPE,
                                         "config": by_hand})
    pruning = plan(spec, adapter, prune=True)
    assert changes(pruning, *KINDS) == []
    assert any(f.kind == "federation" and f.key == "corp-ldap" and "--adopt" in f.message for f in pruning.findings)
    assert sorted(f.name for f in adapter.read(realm).federations) == ["corp-ldap", "someone-elses"]

    adopted = plan(spec, adapter, adopt=True)
    assert changes(adopted, *KINDS) == [("update", "federation", "corp-ldap"),
                                        ("create", "federation-mapper", "corp-ldap/groups")]
    (fields,) = [c.fields for c in adopted.changes if c.kind == "federation"]
    assert ("subType", None, MANAGED_SUBTYPE) in [(f.name, f.old, f.new) for f in fields]
    apply_plans([adopted], adapter)
    assert changes(plan(spec, adapter), *KINDS) == []  # groupid's now, without --adopt


def test_a_federation_that_already_matches_is_adopted_by_its_mark_alone(adapter, realm, spec):
    apply_plans([plan(spec, adapter)], adapter)
    (ours,) = adapter.read(realm).federations
    for component in (ours.component, *ours.group_mappers):  # as if made by hand, exactly as the spec says
        adapter.update_component(realm, component.id, {"subType": "by-hand"})
    assert changes(plan(spec, adapter), *KINDS) == []
    adopted = plan(spec, adapter, adopt=True)
    assert [[(f.name, f.new) for f in c.fields] for c in adopted.changes if c.kind in KINDS] == [
        [("subType", MANAGED_SUBTYPE)], [("subType", MANAGED_SUBTYPE)]]
    apply_plans([adopted], adapter)
    (federation,) = adapter.read(realm).federations
    assert (federation.component.sub_type, federation.group_mappers[0].sub_type) == (MANAGED_SUBTYPE, MANAGED_SUBTYPE)


def test_an_update_keeps_the_stored_password_and_needs_no_variable(adapter, realm, spec, monkeypatch):
    apply_plans([plan(spec, adapter)], adapter)
    monkeypatch.delenv(PASSWORD_ENV)
    spec.edit("full_sync_period: 86400", "full_sync_period: 43200")
    update = plan(spec, adapter)
    assert all(f.name != f"config.{BIND_CREDENTIAL}" for c in update.changes for f in c.fields)
    apply_plans([update], adapter)
    (federation,) = adapter.read(realm).federations
    assert federation.component.config["fullSyncPeriod"] == ["43200"]
    if isinstance(adapter, MemoryRealms):
        assert adapter.realms[realm].components[federation.component.id]["config"][BIND_CREDENTIAL] == [PASSWORD]


def test_a_missing_password_variable_stops_apply_before_anything_is_written(adapter, realm, spec, monkeypatch):
    first = plan(spec, adapter)
    monkeypatch.delenv(PASSWORD_ENV)
    with pytest.raises(ConfigurationError, match=f"{PASSWORD_ENV} is not set or empty; .*Nothing was written"):
        apply_plans([first], adapter)
    assert not adapter.realm_exists(realm)


def test_the_password_is_in_no_plan_view_or_plan_file(adapter, realm, spec, tmp_path):
    plans = [plan(spec, adapter)]
    saved = tmp_path / "plan.json"
    save_plans(plans, saved)
    shown = [as_text(plans), as_markdown(plans), as_json(plans), saved.read_text(encoding="utf-8"),
             repr([c.to_dict() for c in plans[0].changes])]
    assert all(PASSWORD not in text for text in shown)
    assert all(PASSWORD_ENV in text for text in shown[2:])  # the variable's name is: apply reads it
    apply_plans(plans, adapter)
    spec.edit("users_dn: ou=people,", "users_dn: ou=staff,")
    update = [plan(spec, adapter)]
    assert PASSWORD not in as_json(update) and PASSWORD not in as_text(update)


def test_rotating_the_bind_password_sends_it_again_and_shows_only_its_variable(adapter, realm, spec, monkeypatch):
    apply_plans([plan(spec, adapter)], adapter)
    assert changes(plan(spec, adapter), *KINDS) == []
    monkeypatch.setenv(PASSWORD_ENV, "Rotated-Pw-0815")
    rotation = plan(spec, adapter, rotate_bind_passwords=True)
    assert changes(rotation, *KINDS) == [("update", "federation", "corp-ldap")]
    (fields,) = [c.fields for c in rotation.changes if c.kind == "federation"]
    assert [(f.name, f.new) for f in fields] == [(f"config.{BIND_CREDENTIAL}", f"from ${PASSWORD_ENV}")]
    assert "Rotated-Pw-0815" not in as_json([rotation]) + as_text([rotation])
    apply_plans([rotation], adapter)
    if isinstance(adapter, MemoryRealms):
        (federation,) = adapter.read(realm).federations
        assert adapter.realms[realm].components[federation.component.id]["config"][BIND_CREDENTIAL] == ["Rotated-Pw-0815"]


def test_an_exported_realm_declares_its_federation_and_plans_to_no_change(adapter, realm, spec, tmp_path):
    apply_plans([plan(spec, adapter)], adapter)
    exported = export_realm(adapter, realm, tmp_path / "exported")
    text = exported.path.read_text(encoding="utf-8")
    assert PASSWORD not in text and "LDAP_CORP_LDAP_BIND_PASSWORD" in text
    (federation,) = load_spec(exported.path.parent).federation
    assert (federation.name, federation.connection_urls, federation.full_sync_period) == (
        "corp-ldap", ["ldap://ldap.example.com:389", "ldaps://ldap2.example.com:636"], 86400)
    assert federation.group_mapper.groups_dn == "ou=groups,dc=example,dc=com"
    (again,) = plan_spec(exported.path.parent, adapter)
    assert changes(again, *KINDS) == []


# -- Keycloak's own sync, through what apply made -------------------------------------------------------------


@pytest.mark.keycloak
@pytest.mark.parametrize("adapter", ["keycloak"], indirect=True)
def test_keycloak_syncs_the_directory_through_the_federation_apply_made(adapter, keycloak, slapd, realm, spec,
                                                                       monkeypatch):
    """The real directory behind the federation: Keycloak's own full sync imports its people, page by page, with
    the bind password apply sent; an update keeps that password (Keycloak answers it masked); a rotation to a
    wrong one makes the next sync read nobody, and back to the right one, everyone again."""
    monkeypatch.setenv(PASSWORD_ENV, slapd.service_password)
    spec.edit("[ldap://ldap.example.com:389, ldaps://ldap2.example.com:636]", f"[{slapd.url}]")
    spec.edit("cn=keycloak,ou=services,dc=example,dc=com", slapd.service_dn)
    spec.edit("ou=people,dc=example,dc=com", PEOPLE_BASE)
    # the department groups: Keycloak's group mapper cannot read ou=groups, whose two finance-approvers (one
    # in ou=legacy) its tree of groups takes for a cycle ("Recursion detected"); its sync then imports nobody
    spec.edit("ou=groups,dc=example,dc=com", DEPARTMENTS_BASE)
    # pages smaller than the people, and than what one unpaged search may return: the sync reads several
    spec.edit("    full_sync_period: 86400", f"    full_sync_period: 86400\n    batch_size: {SIZE_LIMIT - 5}")
    apply_plans([plan(spec, adapter)], adapter)
    (federation,) = adapter.read(realm).federations
    sync = KeycloakSync(keycloak, realm, federation.component.id)

    people = len(slapd.example.people)
    assert sync.full() == {"added": people, "updated": 0, "failed": 0}
    spec.edit("full_sync_period: 86400", "full_sync_period: 43200")
    apply_plans([plan(spec, adapter)], adapter)  # sends the config, and the same password again
    assert sync.full() == {"added": 0, "updated": people, "failed": 0}

    monkeypatch.setenv(PASSWORD_ENV, "not-the-password")
    apply_plans([plan(spec, adapter, rotate_bind_passwords=True)], adapter)
    # Keycloak cannot bind: 26.4 refuses the sync (HTTP 400); 26.5 and 26.7 log it and answer a sync of nobody
    assert sync.full() in (None, {"added": 0, "updated": 0, "failed": 0})
    monkeypatch.setenv(PASSWORD_ENV, slapd.service_password)
    apply_plans([plan(spec, adapter, rotate_bind_passwords=True)], adapter)
    assert sync.full() == {"added": 0, "updated": people, "failed": 0}


class KeycloakSync:
    """Keycloak's own full sync of one federation, asked for with plain requests."""

    def __init__(self, settings, realm: str, component_id: str):
        token = requests.post(f"{settings.server_url}/realms/master/protocol/openid-connect/token", timeout=30,
                              data={"grant_type": "password", "client_id": "admin-cli",
                                    "username": settings.admin_user, "password": settings.admin_password}).json()
        self.url = f"{settings.server_url}/admin/realms/{realm}/user-storage/{component_id}/sync"
        self.headers = {"Authorization": f"Bearer {token['access_token']}"}

    def full(self) -> dict | None:
        """The counts of a full sync (users added, updated and failed); None when Keycloak refused it."""
        answer = requests.post(self.url, params={"action": "triggerFullSync"}, headers=self.headers, timeout=120)
        if answer.status_code == 400:
            return None
        answer.raise_for_status()
        return {key: answer.json().get(key) for key in ("added", "updated", "failed")}


@pytest.mark.parametrize("adapter", ["memory"], indirect=True)  # export is one code over both adapters
def test_export_leaves_out_what_the_spec_cannot_express_and_says_why(adapter, realm, spec, tmp_path):
    apply_plans([plan(spec, adapter)], adapter)
    anonymous = {"connectionUrl": ["ldap://ldap.example.com:389"], "authType": ["none"], "editMode": ["READ_ONLY"],
                 "usersDn": ["ou=people,dc=example,dc=com"], "vendor": ["other"]}
    for name in ("anonymous", "Corp LDAP"):
        adapter.create_component(realm, {"name": name, "providerId": LDAP_PROVIDER, "providerType": USER_STORAGE_TYPE,
                                         "config": anonymous if name == "anonymous" else {**anonymous, "bindDn": ["cn=x"]}})
    exported = export_realm(adapter, realm, tmp_path / "exported")
    assert [note.split(":")[0] for note in exported.not_exported] == ["LDAP federation anonymous"]
    assert "bind_dn" in exported.not_exported[0]
    names = {f.name: f.bind_password_env for f in load_spec(exported.path.parent).federation}
    assert names == {"Corp LDAP": "LDAP_CORP_LDAP_BIND_PASSWORD", "corp-ldap": "LDAP_CORP_LDAP_2_BIND_PASSWORD"}


def test_a_federation_goes_to_the_realm_of_its_company(tmp_path):
    (tmp_path / "group.yaml").write_text(textwrap.dedent("""\
        group: {code: BC, name: 北辰集团, realm: bc, topology: realm-per-company, public_url: "https://sso.example.cn"}
        companies:
          - {code: BC, name: 北辰集团有限公司}
          - {code: SUB, name: 北辰子公司, parent: BC, own_realm: true}
          - {code: GRAND, name: 北辰孙公司, parent: SUB}
        federation:
          - {name: grand, company: GRAND, connection_urls: [ldap://l:389], bind_dn: cn=k, bind_password_env: X,
             users_dn: ou=p}
          - {name: top, connection_urls: [ldap://l:389], bind_dn: cn=k, bind_password_env: X, users_dn: ou=p}
        """), encoding="utf-8")
    group = load_spec(tmp_path)
    assert {f.name: federation_realm(group, f) for f in group.federation} == {"grand": "bc-sub", "top": "bc"}


def test_bad_federation_values_are_reported_at_their_lines(tmp_path):
    problems = spec_problems(tmp_path, """\
        group: {code: BC, name: 北辰集团, realm: bc}
        federation:
          - name: corp
            connection_urls: []
            bind_dn: cn=keycloak,dc=example,dc=com
            bind_password_env: LDAP_BIND
            users_dn: ou=people,dc=example,dc=com
            edit_mode: UNSYNCED
            import_users: false
          - name: ports
            connection_urls: ["ldaps://x:0/", "ldap://:abc"]
            bind_dn: cn=keycloak,dc=example,dc=com
            bind_password_env: LDAP_BIND
            users_dn: ou=people,dc=example,dc=com
        """)
    assert any(p.startswith("group.yaml:4:") and "connection_urls" in p for p in problems), problems
    assert any(p.startswith("group.yaml:11:") and "ldaps://x:0/" in p for p in problems), problems
    assert any(p.startswith("group.yaml:11:") and "ldap://:abc" in p for p in problems), problems


def test_unsynced_without_import_is_refused_before_keycloak_would(tmp_path):
    problems = spec_problems(tmp_path, """\
        group: {code: BC, name: 北辰集团, realm: bc}
        federation:
          - name: corp
            connection_urls: [ldap://ldap.example.com:389]
            bind_dn: cn=keycloak,dc=example,dc=com
            bind_password_env: LDAP_BIND
            users_dn: ou=people,dc=example,dc=com
            edit_mode: UNSYNCED
            import_users: false
        """)
    assert any(p.startswith("group.yaml:8: federation corp: edit_mode UNSYNCED") for p in problems), problems
