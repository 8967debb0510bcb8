"""The people side of the Keycloak adapter past the contract: what reading users costs, what Keycloak's partial
import does on its own (and what the adapter adds to it), and requests from several threads at once."""

from __future__ import annotations

import math
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pytest

from groupid.errors import KeycloakError
from groupid.realms import IMPORT_CHUNK, ConnectionSettings
from groupid.realms.keycloak import people
from groupid.realms.keycloak.people import MEMBER_PAGE_SIZE, USER_PAGE_SIZE, USER_READERS
from groupid.realms.keycloak.transport import AdminTransport, SignedInConnection, admin_url
from tests.test_realm_contract import by_hand, company_realm, server  # noqa: F401 (fixtures)


@pytest.fixture
def realm(company_realm):
    """A fresh realm (Organizations enabled), deleted afterwards."""
    return company_realm


@pytest.mark.parametrize("lists_wait", [False, True], ids=["lists-beside-pages", "lists-after-pages"])
def test_reading_users_costs_pages_not_users(server, realm, monkeypatch, lists_wait):
    monkeypatch.setattr(people, "MEMBER_LISTS_WAIT", lists_wait)
    groups = [server.create_group(realm, None, f"部门{n}", {}) for n in range(3)]
    count = USER_PAGE_SIZE + 50
    users = [{"username": f"user{n:04d}", "enabled": True, "groups": [f"/部门{n % 3}"]} for n in range(count)]
    before = server.requests
    server.import_users(realm, users)
    # the realm (for its default role), then a request per IMPORT_CHUNK users: what the sync counts as writes
    assert server.requests - before == 1 + math.ceil(count / IMPORT_CHUNK)

    before, events, request = server.requests, [], server.transport.request

    def recording(method, path, action, **kwargs):
        if path.endswith("/members"):
            events.append("list sent")
        answer = request(method, path, action, **kwargs)
        if path.endswith("/users"):
            events.append("page answered")
        return answer

    monkeypatch.setattr(server.transport, "request", recording)
    live = server.read_users(realm, groups)

    assert len(live) == count and all(len(user.groups) == 1 for user in live)
    user_pages = page_requests(count, USER_PAGE_SIZE, USER_READERS)
    member_pages = len(groups) * math.ceil((count // 3 + 2) / MEMBER_PAGE_SIZE)
    # and the user profile, which tells what of a member list in full the pages of users would show
    assert server.requests - before == user_pages + member_pages + 1
    assert events.count("page answered") == user_pages and events.count("list sent") == member_pages
    if lists_wait:  # beside the pages, a list may go before or after any page but the first: no order to assert
        assert events == ["page answered"] * user_pages + ["list sent"] * member_pages


def test_a_realm_with_no_users_is_read_in_one_request(server, realm):
    # the first load of a realm asks for no member list: nobody can be a member yet
    groups = [server.create_group(realm, None, f"部门{n}", {}) for n in range(3)]
    before = server.requests
    assert server.read_users(realm, groups) == []
    assert server.requests - before == 1


def test_a_realm_whose_only_users_are_service_accounts_reads_as_empty_in_one_request(server, realm):
    # a client's service account is a user to Keycloak, but no person: it is neither read nor a reason to read
    # the member lists
    server.create_client(realm, {"clientId": "robot", "publicClient": False, "serviceAccountsEnabled": True})
    group = server.create_group(realm, None, "部门", {})
    before = server.requests
    assert server.read_users(realm, [group]) == []
    assert server.requests - before == 1


def test_a_failed_page_of_users_ends_the_read_and_drops_the_member_lists_not_yet_sent(server, realm, monkeypatch):
    # 12 member lists wait for 5 readers, each list held a second here; the third page fails long before the
    # first lists are answered, so the 7 still waiting are never sent, and the readers have all stopped by the
    # time the error comes out: nothing is asked for afterwards, and no thread is left behind
    monkeypatch.setattr(people, "USER_PAGE_SIZE", 10)
    groups = [server.create_group(realm, None, f"部门{n}", {}) for n in range(12)]
    server.import_users(realm, [{"username": f"user{n:03d}", "enabled": True} for n in range(45)])
    returned, lists, after_return = threading.Event(), [], []
    request = server.transport.request

    def failing(method, path, action, **kwargs):
        if returned.is_set():
            after_return.append(path)
        if path.endswith("/members"):
            lists.append(path)
            time.sleep(1)
        elif path.endswith("/users") and (kwargs.get("params") or {}).get("first") == 20:
            raise KeycloakError(f"{action}: HTTP 503")
        return request(method, path, action, **kwargs)

    monkeypatch.setattr(server.transport, "request", failing)
    threads = threading.active_count()
    with pytest.raises(KeycloakError, match="HTTP 503"):
        server.read_users(realm, groups)
    returned.set()
    assert len(lists) == people.READERS
    time.sleep(0.5)
    assert after_return == [] and threading.active_count() == threads


def test_member_lists_are_read_beside_the_pages_of_users(server, realm, monkeypatch):
    # Keycloak answers each page of full users on one thread: the member lists go out while the later pages are
    # still being read, not after the last one. The later pages wait here until a member list has gone out, so
    # a reader that reads the lists only after the pages is caught by the wait's timeout.
    monkeypatch.setattr(people, "USER_PAGE_SIZE", 10)
    groups = [server.create_group(realm, None, f"部门{n}", {}) for n in range(3)]
    server.import_users(realm, [{"username": f"user{n:03d}", "enabled": True, "groups": [f"/部门{n % 3}"]}
                                for n in range(45)])
    a_list_went_out, late_pages = threading.Event(), []
    request = server.transport.request

    def watched(method, path, action, **kwargs):
        if path.endswith("/members"):
            a_list_went_out.set()
        elif path.endswith("/users") and (kwargs.get("params") or {}).get("first"):
            late_pages.append(a_list_went_out.wait(timeout=15))
        return request(method, path, action, **kwargs)

    monkeypatch.setattr(server.transport, "request", watched)
    live = server.read_users(realm, groups)

    assert late_pages and all(late_pages), "a later page of users was asked for before any member list"
    assert len(live) == 45 and all(len(user.groups) == 1 for user in live)


def a_realm_of_people(server, realm) -> tuple[list[str], dict[str, str]]:
    """Three groups of people with declared attributes, one of them signed out, and beside them a user in no
    group (enabled), two leavers in none (disabled) and a client's service account in a group; (the group ids,
    the ids of the users in no group by username)."""
    profile = server.read_user_profile(realm)
    profile["attributes"] += [{"name": name, "permissions": {"view": ["admin"], "edit": ["admin"]},
                               "multivalued": False} for name in ("employee_id", "title")]
    # kept by the partial import, and shown in a member list, but not to an admin reading the user's profile
    profile["attributes"] += [{"name": "nickname", "permissions": {"view": ["user"], "edit": ["user"]}},
                              {"name": "bare"}]
    server.set_user_profile(realm, profile)
    groups = [server.create_group(realm, None, f"部门{n}", {}) for n in range(3)]
    people_ = [{"username": f"user{n:02d}", "enabled": True, "email": f"user{n:02d}@xinghe.cn", "firstName": "伟",
                "lastName": "张", "emailVerified": n % 2 == 0, "groups": [f"/部门{n % 3}"],
                "attributes": {"employee_id": [f"XH{n:04d}"], "title": ["工程师"], "nickname": ["小张"], "bare": ["x"],
                               "undeclared": ["kept"]}} for n in range(25)]
    server.import_users(realm, people_)
    alone = {name: server.create_user(realm, {"username": name, "enabled": name == "hand.made",
                                              "attributes": {"employee_id": [name]}})
             for name in ("hand.made", "left.one", "left.two")}
    client = server.create_client(realm, {"clientId": "robot", "publicClient": False, "serviceAccountsEnabled": True})
    robot = server.transport.request("GET", admin_url(realm, "clients", client, "service-account-user"), "robot")
    server.add_member(realm, groups[0], robot["id"])
    signed_out = server.read_users(realm)[3]
    server.logout_user(realm, signed_out.id)
    return groups, alone


def read_from_full_pages(server, realm, groups, monkeypatch):
    """What the realm reads as in full pages of users, the member lists brief."""
    with monkeypatch.context() as patched:
        patched.setattr(people, "USERS_FROM_LISTS", False)
        return server.read_users(realm, groups)


def recorded(server, monkeypatch, change=None) -> list[tuple[str, dict]]:
    """The (path, params) of every request the server's transport sends from now on; ``change`` may alter an
    answer (given the path, the params and the answer) before the adapter sees it."""
    asked = []
    request = server.transport.request

    def recording(method, path, action, **kwargs):
        params = dict(kwargs.get("params") or {})
        asked.append((path, params))
        answer = request(method, path, action, **kwargs)
        return change(path, params, answer) if change else answer

    monkeypatch.setattr(server.transport, "request", recording)
    return asked


def alone_reads(asked: list[tuple[str, dict]]) -> list[str]:
    """The paths of the users read one by one."""
    return sorted(path for path, _ in asked if "/users/" in path and not path.endswith("/profile"))


def test_users_come_in_full_from_their_member_lists_and_alone_when_in_none(server, realm, monkeypatch):
    # the pages of users are brief; each person comes in full from their group's member list, and the three
    # users in no group one by one: the same users as from full pages, the service account left out
    groups, alone = a_realm_of_people(server, realm)
    asked = recorded(server, monkeypatch)
    live = server.read_users(realm, groups)
    monkeypatch.undo()

    assert live == read_from_full_pages(server, realm, groups, monkeypatch)
    assert len(live) == 28 and {user.username for user in live if not user.groups} == set(alone)
    assert sum(user.not_before > 0 for user in live) == 1
    assert {user.attribute("employee_id") for user in live} == {f"XH{n:04d}" for n in range(25)} | set(alone)
    assert {name for user in live for name in user.attributes} == {"employee_id", "title"}
    users_pages = [params["briefRepresentation"] for path, params in asked if path.endswith("/users")]
    assert users_pages == ["true"] * page_requests(28, USER_PAGE_SIZE, USER_READERS)
    assert [params["briefRepresentation"] for path, params in asked if path.endswith("/members")] == ["false"] * 3
    assert alone_reads(asked) == sorted(admin_url(realm, "users", user_id) for user_id in alone.values())


def test_users_in_no_group_come_from_the_full_pages_of_their_state_when_most_of_it_is_wanted(server, realm, monkeypatch):
    # past USERS_ALONE, the two leavers (every disabled user) come from the full pages of the disabled users, a
    # request per page; the one enabled user in no group of 26 enabled is still read alone, as the full pages
    # of the enabled users would read all 26
    groups, alone = a_realm_of_people(server, realm)
    monkeypatch.setattr(people, "USERS_ALONE", 0)
    asked = recorded(server, monkeypatch)
    live = server.read_users(realm, groups)
    monkeypatch.undo()

    assert live == read_from_full_pages(server, realm, groups, monkeypatch)
    by_state = [params.get("enabled") for path, params in asked
                if path.endswith("/users") and params.get("briefRepresentation") == "false"]
    assert by_state == ["false"] and alone_reads(asked) == [admin_url(realm, "users", alone["hand.made"])]


def test_a_federated_member_is_read_alone(server, realm, monkeypatch):
    # a federated user's member-list entry holds its stored attributes only, not those its provider adds: the
    # user is read alone, as the pages of users would show it (the link is added to the list's answer here)
    groups, alone = a_realm_of_people(server, realm)
    federated = next(user for user in server.read_users(realm) if user.username == "user00")

    def linked(path, params, answer):
        if path.endswith("/members") and params.get("briefRepresentation") == "false":
            return [{**entry, "federationLink": "ldap"} if entry["id"] == federated.id else entry for entry in answer]
        return answer

    asked = recorded(server, monkeypatch, linked)
    live = server.read_users(realm, groups)
    monkeypatch.undo()

    assert live == read_from_full_pages(server, realm, groups, monkeypatch)
    assert alone_reads(asked) == sorted(admin_url(realm, "users", user_id) for user_id in [*alone.values(), federated.id])


def test_a_user_deleted_before_it_is_read_alone_is_left_out(server, realm, monkeypatch):
    # a user in no group, deleted between its brief page and its own read, is gone: the read leaves it out
    groups, alone = a_realm_of_people(server, realm)
    request = server.transport.request

    def deleting_first(method, path, action, **kwargs):
        if method == "GET" and path == admin_url(realm, "users", alone["hand.made"]):
            request("DELETE", path, "delete hand.made")
        return request(method, path, action, **kwargs)

    monkeypatch.setattr(server.transport, "request", deleting_first)
    live = server.read_users(realm, groups)

    assert len(live) == 27 and "hand.made" not in {user.username for user in live}


def page_requests(entries: int, size: int, at_once: int) -> int:
    """The requests for a list of ``entries`` read ``size`` to a page: a first page, then windows of ``at_once``
    pages up to the window holding the first page that is not full."""
    short = entries // size  # the first page that is not full (empty when the list fills its pages exactly)
    return 1 + at_once * math.ceil(short / at_once)


@pytest.mark.parametrize("count", [35, 40, 75])
def test_users_read_several_pages_at_once_come_once_each(server, realm, monkeypatch, count):
    # pages of 10: 35 users end in the first window; 40 fill their pages exactly; 75 need a third window
    monkeypatch.setattr(people, "USER_PAGE_SIZE", 10)
    expected = [f"user{n:03d}" for n in range(count)]
    server.import_users(realm, [{"username": name, "enabled": True} for name in expected])

    before = server.requests
    live = server.read_users(realm)

    assert [user.username for user in live] == expected
    assert server.requests - before == page_requests(count, 10, USER_READERS)
    # read_users keys users by id; the pages themselves must hold each user once, none twice, none skipped
    listed = server.transport.pages(admin_url(realm, "users"), "read users", size=10, at_once=USER_READERS)
    assert sorted(user["username"] for user in listed) == expected


def test_partial_import_alone_grants_no_default_role(server, realm):
    # what import_users makes up for: Keycloak's partial import creates users without the realm's default role
    by_hand(server, "POST", f"{realm}/partialImport", {"ifResourceExists": "SKIP", "users": [{"username": "bare"}]})
    bare = server.read_users(realm)[0]
    assert server.read_user_roles(realm, bare.id) == []

    created = server.import_users(realm, [{"username": "given"}])
    assert server.read_user_roles(realm, created["given"]) == [f"default-roles-{realm}"]


def test_a_user_skipped_for_its_email_costs_a_few_requests_not_the_chunk(server, realm):
    # Keycloak fails a whole chunk when it skips a user for its email alone: the adapter halves the chunk
    server.create_user(realm, {"username": "zhang.wei", "email": "zw@xinghe.cn", "enabled": True})
    users = [{"username": f"user{n:02d}", "enabled": True} for n in range(64)]
    users[40] = {"username": "zhao.lei", "email": "zw@xinghe.cn", "enabled": True}

    before = server.requests
    created = server.import_users(realm, users, chunk_size=64)

    assert created["zhao.lei"] is None and sum(1 for user_id in created.values() if user_id) == 63
    # the realm, then halves down to the one user (2 requests a level), and a look-up of its email
    assert server.requests - before <= 1 + 1 + 2 * math.log2(64) + 1


def test_threads_that_find_the_token_expired_refresh_it_once(server, realm):
    connection = server.transport.connection
    refreshed = []
    refresh = connection.refresh_token

    def counted_refresh():
        refreshed.append(threading.current_thread().name)
        refresh()

    connection.refresh_token = counted_refresh
    connection._expires_at = datetime.now(tz=UTC) - timedelta(seconds=1)
    with ThreadPoolExecutor(max_workers=8) as pool:
        answers = list(pool.map(lambda _: server.read_realm_attributes(realm), range(16)))
    assert len(answers) == 16 and len(refreshed) == 1


def test_a_longer_timeout_is_the_asking_threads_own():
    # python-keycloak reads the connection's timeout for every request: a long export in one thread must not
    # give the requests of the others its 600 s
    connection = SignedInConnection(server_url="http://keycloak.test/", username="admin", password="pw",
                                    realm_name="master", timeout=30.0)
    transport = AdminTransport(ConnectionSettings("http://keycloak.test", timeout=30.0), connection=connection)
    inside, beside = threading.Event(), []

    def other_thread():
        inside.wait(10)
        beside.append(connection.timeout)

    thread = threading.Thread(target=other_thread)
    thread.start()
    with transport.timeout_at_least(600.0):
        with transport.timeout_at_least(5.0):  # shorter than the usual: changes nothing
            assert connection.timeout == 600.0
        inside.set()
        thread.join(10)
        assert connection.timeout == 600.0
    assert beside == [30.0] and connection.timeout == 30.0


def test_role_holders_are_read_a_page_at_a_time_and_a_role_once_for_many_grants(server, realm, monkeypatch):
    monkeypatch.setattr("groupid.realms.keycloak.server.MEMBER_PAGE_SIZE", 2)
    server.create_role(realm, "approver", None, {})
    created = server.import_users(realm, [{"username": f"user{n}", "enabled": True} for n in range(5)])

    before = server.requests
    for user_id in created.values():
        server.add_user_roles(realm, user_id, ["approver"])
    # the role is read once, then one request per person granted it
    assert server.requests - before == 1 + len(created)

    before = server.requests
    holders = server.role_holders(realm, "approver")
    assert sorted(holders) == sorted(created.values())
    assert server.requests - before == 3  # pages of 2: 2, 2 and 1
