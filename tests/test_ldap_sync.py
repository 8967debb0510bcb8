"""The example group's directory, synced into a realm of the example spec, and changed the way directories are.

A real slapd holds the people (tests/slapd.py); each adapter (the in-memory realm and the real Keycloak) gets a
realm of its own with examples/xinghe applied. The story runs in order: the first sync loads everyone in
scope, with the roles of their directory groups (nested ones too) and not those of a same-named group
elsewhere; the same directory again changes nothing; then entries are deleted, marked inactive, moved and
renamed, and each comes out as a leaver, a mover or the same person — never a leaver plus a joiner. A
directory that stops answering part-way, or whose certificate does not verify, stops the run before
anything is written.
"""

from __future__ import annotations

import pytest

from groupid.errors import DirectoryError, ExitCode
from groupid.ldap_sync import sync_ldap
from groupid.realms import KeycloakServer
from groupid.sources.ldap.directory import LdapDirectory
from groupid.sync import SyncOptions
from tests.hr_people import ADAPTERS, Recorder, accounts, new_adapter, spec_realm
from tests.ldap_directory import APPROVER_ROLE, EXAMPLE, PASSWORD_ENV, SPECIAL_TITLE, SPECIAL_TITLE_PERSON
from tests.test_inert_output import run

LEAVER_GONE, LEAVER_INACTIVE, MOVER, RENAMED = "XH000005", "XH000105", "XH000003", "XH000112"
"""A finance approver who leaves the directory, one marked inactive, one who moves, one renamed."""


class Story:
    """One realm and the directory, synced step by step."""

    def __init__(self, adapter, realm: str, slapd, folder):
        self.adapter, self.recorder, self.realm, self.slapd = adapter, Recorder(adapter), realm, slapd
        self.config = slapd.source_config(folder)
        self.folder = folder

    def sync(self, **options):
        """One run through the recording adapter; the writes it sent are in ``self.recorder``."""
        self.recorder.reset()
        return sync_ldap(self.config, EXAMPLE, self.recorder, options=SyncOptions(realm=self.realm, **options))

    def accounts(self):
        """The realm's accounts by employee ID."""
        return accounts(self.adapter, self.realm)

    def roles_of(self, employee_id: str) -> set[str]:
        """The realm roles granted to a person's account directly."""
        return set(self.adapter.read_user_roles(self.realm, self.accounts()[employee_id].id))


@pytest.fixture(scope="module", params=ADAPTERS)
def story(request, slapd, tmp_path_factory):
    slapd.reset()
    adapter = new_adapter(request)
    with spec_realm(adapter, "ldap", EXAMPLE) as realm:
        yield Story(adapter, realm, slapd, tmp_path_factory.mktemp("ldap"))
    slapd.reset()


def test_the_first_sync_loads_everyone_in_scope_with_their_directory_roles(story, slapd):
    result = story.sync()
    example = slapd.example
    assert result.counts()["create"] == len(example.active), result.counts()
    assert set(story.accounts()) == example.active  # interns stay out, as the scope says; leavers never join
    for employee_id in example.approvers:  # XH000202 and XH000207 only through the nested group
        assert APPROVER_ROLE in story.roles_of(employee_id), employee_id
    for employee_id in example.legacy_approvers:  # a group of the same name elsewhere grants nothing
        assert APPROVER_ROLE not in story.roles_of(employee_id), employee_id
    person = story.accounts()[SPECIAL_TITLE_PERSON]
    assert person.attribute("title") == SPECIAL_TITLE  # * ( ) \ read back as written
    assert person.attribute("source_anchor")


def test_the_same_directory_again_writes_nothing(story):
    story.sync()
    result = story.sync()
    assert story.recorder.people_writes() == []
    assert result.exit_code == ExitCode.OK


def test_deleted_and_inactive_entries_are_leavers(story, slapd):
    story.sync()
    example = slapd.example
    slapd.delete(example.people[LEAVER_GONE])
    slapd.modify(example.people[LEAVER_INACTIVE], {"employeeType": ["inactive"]})
    result = story.sync()
    after = story.accounts()
    assert result.counts()["disable"] == 2, result.counts()
    assert not after[LEAVER_GONE].enabled and not after[LEAVER_INACTIVE].enabled
    assert after[LEAVER_GONE].groups == frozenset()  # memberships removed, per the default policy
    assert APPROVER_ROLE not in story.roles_of(LEAVER_GONE)  # and the role its directory group gave


def test_a_moved_entry_is_a_mover_and_a_renamed_one_the_same_account(story, slapd):
    story.sync()
    before = story.accounts()
    example = slapd.example
    assert before[MOVER].attribute("department_code") == "XH-HQ-SD"
    slapd.modify(example.people[MOVER], {"departmentNumber": ["XH-HQ-FA"]})
    slapd.rename(example.people[RENAMED], f"uid={RENAMED}-renamed")
    slapd.modify(example.people[RENAMED].replace(f"uid={RENAMED}", f"uid={RENAMED}-renamed"), {"cn": ["司马新名"]})
    result = story.sync()
    after = story.accounts()
    counts = result.counts()
    assert counts["create"] == 0 and counts["disable"] == 0, counts
    assert after[MOVER].id == before[MOVER].id and after[MOVER].attribute("department_code") == "XH-HQ-FA"
    renamed = after[RENAMED]
    assert renamed.id == before[RENAMED].id and renamed.username == before[RENAMED].username
    assert (renamed.last_name, renamed.first_name) == ("司马", "新名")


def test_a_directory_that_stops_answering_part_way_disables_nobody(story, slapd, monkeypatch):
    story.sync()
    before = story.accounts()
    search = LdapDirectory.search

    def cut_off(self, *args, **kwargs):
        for count, entry in enumerate(search(self, *args, **kwargs)):
            if count == 15:
                slapd.stop()  # the server goes away between two pages
            yield entry

    monkeypatch.setattr(LdapDirectory, "search", cut_off)
    try:
        with pytest.raises(DirectoryError) as raised:
            story.sync()
    finally:
        slapd.start()
    assert "was lost part-way" in str(raised.value), raised.value
    assert story.recorder.people_writes() == []
    assert {key: account.enabled for key, account in story.accounts().items()} == (
        {key: account.enabled for key, account in before.items()})


def test_a_certificate_the_ca_file_did_not_sign_stops_the_run(story, slapd):
    folder = story.folder / "wrong-ca"
    folder.mkdir()
    config = slapd.source_config(folder, ca_file=str(slapd.wrong_ca_file))
    with pytest.raises(DirectoryError) as raised:
        sync_ldap(config, EXAMPLE, story.recorder, options=SyncOptions(realm=story.realm))
    assert "certificate" in str(raised.value).lower()
    assert story.recorder.people_writes() == []


def test_the_command_exits_as_a_sync_does_and_never_shows_the_bind_password(keycloak, slapd, tmp_path):
    """``groupid sync ldap`` on the real Keycloak: exit 0, then 4 with a rejected entry, 1 for a wrong password
    or a directory that does not answer; the bind password is in no output and no report."""
    slapd.reset()
    server = KeycloakServer(keycloak)
    env = {"GROUPID_SERVER_URL": keycloak.server_url, "GROUPID_ADMIN_USER": keycloak.admin_user,
           "GROUPID_ADMIN_PASSWORD": keycloak.admin_password, PASSWORD_ENV: slapd.service_password}
    config = slapd.source_config(tmp_path)
    report = tmp_path / "sync.jsonl"
    with spec_realm(server, "ldap-cli", EXAMPLE) as realm:
        args = ["sync", "ldap", "--spec", EXAMPLE, "--source", config, "--realm", realm, "--report", report]
        code, output = run([*args, "--dry-run"], env)
        assert code == ExitCode.OK, output
        assert "planned (dry run)" in output and "XH-TECH" in output
        code, output = run(args, env)
        assert code == ExitCode.OK, output
        slapd.modify(slapd.example.people["XH000106"], {"mail": ["zhangwei@", "second@xinghe.example.cn"]})
        code, output = run(args, env)
        assert code == ExitCode.ROWS_REJECTED, output
        assert "ldap:uid=XH000106" in output and "mail has 2 values" in output
        for secret in [slapd.service_password]:
            assert secret not in output and secret not in report.read_text(encoding="utf-8")
        code, output = run(args, {**env, PASSWORD_ENV: "planted-wrong-ldap-password"})
        assert code == 1 and "refused: invalid credentials" in output, output
        assert "planted-wrong-ldap-password" not in output and "Traceback" not in output
        slapd.stop()
        try:
            code, output = run(args, env)
        finally:
            slapd.start()
        assert code == 1 and "no directory server could be used" in output, output
        assert "Traceback" not in output
    slapd.reset()
