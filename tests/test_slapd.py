"""The local directory (groupid.localserver.slapd) and the session's example directory, read with ldapsearch."""

from __future__ import annotations

import base64
import shutil
import subprocess

import pytest

from groupid.errors import LocalServerError
from groupid.localserver import slapd as slapd_module
from groupid.localserver.ldif import ldif_entries, ldif_entry
from groupid.localserver.slapd import LocalDirectory
from tests.ldap_directory import (
    APPROVERS_DN,
    PEOPLE_BASE,
    SIZE_LIMIT,
    SPECIAL_TITLE,
    SPECIAL_TITLE_PERSON,
)


def search(directory, *args: str, url: str | None = None, ca_file=None, paged: int | None = None,
           root: bool = False) -> subprocess.CompletedProcess[str]:
    """ldapsearch as the service account (or the root DN), LDIF without wrapping."""
    binary = shutil.which("ldapsearch")
    if binary is None:
        pytest.skip("ldapsearch is not installed")
    if root:
        credentials = ["-D", directory.root_dn, "-y", str(directory.folder / "root-password")]
    else:
        credentials = ["-D", directory.service_dn, "-w", directory.service_password]
    paging = ["-E", f"pr={paged}/noprompt"] if paged else []
    env = {"LDAPTLS_CACERT": str(ca_file or directory.ca_file), "LDAPTLS_REQCERT": "demand"}
    return subprocess.run([binary, "-x", "-o", "ldif-wrap=no", "-LLL", "-H", url or directory.url, *credentials,
                           *paging, "-b", directory.base, *args], capture_output=True, text=True, env=env,
                          check=False)


def dns(result: subprocess.CompletedProcess[str]) -> list[str]:
    """The DNs an ldapsearch printed."""
    return [line[4:] for line in result.stdout.splitlines() if line.startswith("dn: ")]


def test_the_example_is_loaded_and_paging_gets_past_the_size_limit(slapd):
    people = dns(search(slapd, "(objectClass=inetOrgPerson)", "1.1", paged=7))
    assert sorted(people) == sorted(slapd.example.people.values())
    assert len(people) > SIZE_LIMIT
    unpaged = search(slapd, "(objectClass=inetOrgPerson)", "1.1")
    assert unpaged.returncode == 4  # sizeLimitExceeded
    assert len(dns(unpaged)) == SIZE_LIMIT


def test_the_service_account_reads_but_anonymous_does_not(slapd):
    binary = shutil.which("ldapsearch") or pytest.skip("ldapsearch is not installed")
    anonymous = subprocess.run([binary, "-x", "-LLL", "-H", slapd.url, "-b", slapd.base, "(uid=XH000001)", "1.1"],
                               capture_output=True, text=True, check=False)
    assert dns(anonymous) == []
    assert dns(search(slapd, "(uid=XH000001)", "1.1")) == [slapd.example.people["XH000001"]]


def test_tls_with_the_test_ca_and_not_with_the_wrong_one(slapd):
    assert dns(search(slapd, "(uid=XH000001)", "1.1", url=slapd.ldaps_url)) == [slapd.example.people["XH000001"]]
    assert dns(search(slapd, "-ZZ", "(uid=XH000001)", "1.1")) == [slapd.example.people["XH000001"]]
    refused = search(slapd, "(uid=XH000001)", "1.1", url=slapd.ldaps_url, ca_file=slapd.wrong_ca_file)
    assert refused.returncode != 0 and dns(refused) == []


def test_values_reach_the_directory_exactly(slapd):
    found = search(slapd, f"(uid={SPECIAL_TITLE_PERSON})", "title", "manager", "cn")
    title = next(line.split(":: ", 1)[1] for line in found.stdout.splitlines() if line.startswith("title::"))
    assert base64.b64decode(title).decode() == SPECIAL_TITLE
    assert f"manager: {slapd.example.people['XH000101']}" in found.stdout
    group = search(slapd, "(cn=finance-approvers)", "member")
    assert sorted(dns(group))[0] == APPROVERS_DN
    assert len(dns(group)) == 2  # the same name in another subtree


def test_changes_stop_start_and_reset(slapd):
    person = slapd.example.people["XH000002"]
    try:
        slapd.modify(person, {"title": ["首席助理"], "mobile": []})
        slapd.rename(person, "uid=XH900002", f"ou=XH-HQ-SD,ou=XH,{PEOPLE_BASE}")
        slapd.delete(slapd.example.people["XH000003"])
        slapd.add(ldif_entry(f"uid=XH999999,{PEOPLE_BASE}", {"objectClass": "inetOrgPerson", "uid": "XH999999",
                                                                 "cn": "新人", "sn": "新"}))
        slapd.stop()
        assert search(slapd, "(uid=*)", "1.1").returncode != 0
        slapd.start()
        moved = search(slapd, "(uid=XH900002)", "title", "mobile")
        assert dns(moved) == [f"uid=XH900002,ou=XH-HQ-SD,ou=XH,{PEOPLE_BASE}"]
        assert "title:: " in moved.stdout and "mobile" not in moved.stdout
        assert dns(search(slapd, "(|(uid=XH000003)(uid=XH000002))", "1.1")) == []
        assert len(dns(search(slapd, "(uid=XH999999)", "1.1"))) == 1
    finally:
        slapd.reset()
    assert dns(search(slapd, "(uid=XH000002)", "1.1")) == [person]
    assert dns(search(slapd, "(uid=XH999999)", "1.1")) == []


def test_a_bulk_load_and_a_paged_total(tmp_path):
    people = [(f"uid=p{number},dc=bulk", {"objectClass": "inetOrgPerson", "uid": f"p{number}", "cn": "x", "sn": "x"})
              for number in range(20_000)]
    with LocalDirectory("dc=bulk", size_limit=10, paged_size_limit=15, folder=tmp_path) as directory:
        directory.load(ldif_entries(people), bulk=True)
        assert directory.running
        assert len(dns(search(directory, "(uid=*)", "1.1", root=True))) == 20_000
        cut = search(directory, "(uid=*)", "1.1", paged=5)
        assert cut.returncode == 4 and len(dns(cut)) == 15


def test_a_failed_change_says_what_the_tool_said(slapd):
    with pytest.raises(LocalServerError, match="ldapdelete failed.*No such object"):
        slapd.delete(f"uid=nobody,{PEOPLE_BASE}")


def test_missing_slapd_says_how_to_install_it(monkeypatch):
    monkeypatch.setenv("PATH", "/nonexistent")
    monkeypatch.setattr(slapd_module, "BINARY_DIRS", ())
    with pytest.raises(LocalServerError, match="slapd is not installed.*install-debian-packages.sh"):
        LocalDirectory("dc=none")
