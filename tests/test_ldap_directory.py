"""The directory adapter (groupid.sources.ldap.directory) against the session's real slapd."""

from __future__ import annotations

import pytest

from groupid.errors import DirectoryError
from groupid.localserver.ldif import ldif_entries
from groupid.localserver.process import free_port
from groupid.localserver.slapd import LocalDirectory
from groupid.sources.ldap.connection import Connection
from groupid.sources.ldap.directory import join_ranges, open_directory
from groupid.sources.ldap.escaping import escape_filter_value
from tests.ldap_directory import PASSWORD_ENV, PEOPLE_BASE, SIZE_LIMIT, SPECIAL_TITLE, SPECIAL_TITLE_PERSON

PEOPLE = "(objectClass=inetOrgPerson)"


def settings(directory, **changes) -> Connection:
    """Settings that read ``directory`` as its service account over ldaps://, 10 entries a page; the password is
    in :data:`~tests.ldap_directory.PASSWORD_ENV`, which the ``slapd`` fixture sets."""
    values = {"urls": (directory.ldaps_url,), "start_tls": False, "bind_dn": directory.service_dn,
              "password_env": PASSWORD_ENV, "password_file": None, "ca_file": directory.ca_file, "timeout": 5,
              "page_size": 10, "type": "openldap"}
    return Connection(**{**values, **changes})


def uids(entries) -> list[str]:
    """The uid of each entry."""
    return [entry.text("uid") for entry in entries]


def test_paging_reads_past_the_size_limit_and_gives_raw_values(slapd):
    with open_directory(settings(slapd)) as directory:
        entries = list(directory.search(PEOPLE_BASE, PEOPLE, ["uid", "employeeNumber", "entryUUID", "cn"]))
    assert sorted(entry.dn for entry in entries) == sorted(slapd.example.people.values())
    assert len(entries) > SIZE_LIMIT
    first = next(entry for entry in entries if entry.text("uid") == "XH000001")
    assert set(first.attributes) == {"uid", "employeenumber", "entryuuid", "cn"}
    assert first.raw("cn") == "欧阳振华".encode()
    assert len(first.text("entryUUID")) == 36


def test_a_search_hands_out_each_page_before_it_asks_for_the_next(slapd):
    """What lets a directory of any size stream: one page of raw entries held at a time."""
    with open_directory(settings(slapd, page_size=10)) as directory:
        asked = []
        search = directory._search
        directory._search = lambda *args, **options: asked.append(args[1]) or search(*args, **options)
        entries = directory.search(PEOPLE_BASE, PEOPLE, ["uid"])
        seen = [len(asked) for _ in zip(range(21), entries)]
    assert seen == [1] * 10 + [2] * 10 + [3]


def test_a_search_the_server_cuts_is_an_error_not_a_shorter_answer(tmp_path, monkeypatch):
    people = [(f"uid=p{n},dc=cut", {"objectClass": "inetOrgPerson", "uid": f"p{n}", "cn": "x", "sn": "x"})
              for n in range(30)]
    with LocalDirectory("dc=cut", size_limit=5, paged_size_limit=12, folder=tmp_path) as local:
        local.load(ldif_entries(people))
        monkeypatch.setenv("GROUPID_TEST_CUT_PASSWORD", local.service_password)
        read = []
        with open_directory(settings(local, page_size=4, password_env="GROUPID_TEST_CUT_PASSWORD")) as directory:
            with pytest.raises(DirectoryError, match=r"search of dc=cut .* failed: size limit exceeded \(result 4\)"):
                read.extend(directory.search("dc=cut", PEOPLE, ["uid"]))
        assert 0 < len(read) < 30


def test_tls_with_the_right_ca_and_start_tls(slapd):
    for options in ({}, {"urls": (slapd.url,), "start_tls": True}):
        with open_directory(settings(slapd, **options)) as directory:
            assert uids(directory.search(PEOPLE_BASE, "(uid=XH000001)", ["uid"])) == ["XH000001"]


@pytest.mark.parametrize("start_tls", [False, True])
def test_a_certificate_the_ca_did_not_sign_is_refused(slapd, start_tls):
    url = slapd.url if start_tls else slapd.ldaps_url
    wrong = settings(slapd, urls=(url,), start_tls=start_tls, ca_file=slapd.wrong_ca_file)
    with pytest.raises(DirectoryError) as raised:
        open_directory(wrong)
    assert f"TLS: the certificate of 127.0.0.1 is not signed by {slapd.wrong_ca_file}" in str(raised.value)


def test_a_wrong_password_is_refused_and_never_shown(slapd, monkeypatch):
    monkeypatch.setenv("GROUPID_TEST_WRONG_PASSWORD", "not-the-password")
    with pytest.raises(DirectoryError) as raised:
        open_directory(settings(slapd, password_env="GROUPID_TEST_WRONG_PASSWORD"))
    assert f"bind as {slapd.service_dn} refused: invalid credentials" in str(raised.value)
    assert "not-the-password" not in str(raised.value) and "not-the-password" not in repr(settings(slapd))


def test_failover_to_the_next_url_and_every_failure_named(slapd):
    dead = f"ldap://127.0.0.1:{free_port()}"
    with open_directory(settings(slapd, urls=(dead, slapd.ldaps_url))) as directory:
        assert directory.url == slapd.ldaps_url
        assert uids(directory.search(PEOPLE_BASE, "(uid=XH000002)", ["uid"])) == ["XH000002"]
    with pytest.raises(DirectoryError, match=f"{dead}: 127.0.0.1 refused the connection; {dead}"):
        open_directory(settings(slapd, urls=(dead, dead)))


def test_a_server_lost_mid_search_is_an_error(slapd):
    read = []
    try:
        with open_directory(settings(slapd, page_size=5)) as directory:
            with pytest.raises(DirectoryError, match=f"{slapd.ldaps_url}: the search of {PEOPLE_BASE} .* failed"):
                for entry in directory.search(PEOPLE_BASE, PEOPLE, ["uid"]):
                    read.append(entry)
                    if len(read) == 3:
                        slapd.stop()
    finally:
        slapd.start()
    assert len(read) == 5  # the page already received, and nothing after it


def test_a_missing_base_is_an_error(slapd):
    with open_directory(settings(slapd)) as directory:
        with pytest.raises(DirectoryError, match="no such object"):
            list(directory.search(f"ou=nowhere,{PEOPLE_BASE}", PEOPLE, ["uid"]))


def test_escaped_values_find_exactly_their_entry(slapd):
    names = ["a*b", "a(b)", "a\\b", "a\0b", "ab", "a", "a*", "(a)", "a\\5cb"]
    base = f"ou=escapes,{slapd.base}"
    entries = [(base, {"objectClass": "organizationalUnit", "ou": "escapes"})]
    entries += [(f"uid=n{index},{base}", {"objectClass": "inetOrgPerson", "uid": f"n{index}", "cn": name, "sn": "x"})
                for index, name in enumerate(names)]
    slapd.add(ldif_entries(entries))
    try:
        with open_directory(settings(slapd)) as directory:
            for index, name in enumerate(names):
                found = list(directory.search(base, f"(cn={escape_filter_value(name)})", ["uid", "cn"]))
                assert uids(found) == [f"n{index}"], name
                assert found[0].text("cn") == name
            special = f"(title={escape_filter_value(SPECIAL_TITLE)})"
            assert uids(directory.search(PEOPLE_BASE, special, ["uid"])) == [SPECIAL_TITLE_PERSON]
    finally:
        slapd.reset()


def test_ranged_values_are_read_to_the_last_range_and_joined():
    asked = []
    ranges = {"member;range=2-*": {"member;range=2-3": [b"c", b"d"]},
              "member;range=4-*": {"Member;Range=4-*": [b"e"]}}

    def next_range(dn: str, attribute: str):
        asked.append((dn, attribute))
        return ranges[attribute]

    raw = {"member;range=0-1": [b"a", b"b"], "objectGUID": [b"\x01\x02"], "Member": []}
    joined = join_ranges("cn=big", raw, next_range)
    assert joined == {"member": (b"a", b"b", b"c", b"d", b"e"), "objectguid": (b"\x01\x02",)}
    assert asked == [("cn=big", "member;range=2-*"), ("cn=big", "member;range=4-*")]
    with pytest.raises(DirectoryError, match="no range member;range=2-"):
        join_ranges("cn=big", {"member;range=0-1": [b"a"]}, lambda dn, attribute: {})
