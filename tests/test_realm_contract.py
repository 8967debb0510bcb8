"""The realm contract against both adapters; what reading a large realm costs on the real Keycloak (from its
partial export, and paged when that is refused), and what it does about Keycloak's small default pages and its
PUTs that replace rather than change."""

from __future__ import annotations

import math
import threading
import uuid

import pytest
import requests
import responses
from responses import matchers

from groupid.errors import Conflict, KeycloakError
from groupid.keycloak_terms import ATTR_CODE, ATTR_MANAGED
from groupid.localserver.versions import release
from groupid.realms import ConnectionSettings, KeycloakServer, MemoryRealms
from groupid.realms.keycloak import PAGE_SIZE, RealmReader
from groupid.realms.keycloak.transport import admin_url
from groupid.realms.live import LiveRealm
from tests.conftest import temporary_realm
from tests.realm_contract import RealmContract, fresh_realm_name

MANAGED_ORG = {ATTR_MANAGED: ["true"], ATTR_CODE: ["XH"]}


class TestMemoryRealm(RealmContract):
    @pytest.fixture
    def adapter(self):
        return MemoryRealms()


class TestKeycloakRealm(RealmContract):
    @pytest.fixture
    def adapter(self, keycloak):
        return KeycloakServer(keycloak)

    def drop_realm(self, adapter, realm):
        adapter.delete_realm(realm)

    def read_everything(self, adapter, realm):
        # the roles of Keycloak's own clients come with the partial export alone: wait for it, however cold
        # the server, and even if it started moments ago
        adapter.reader.hedge_after = None
        return adapter.read_raw(realm)

    def keycloak_release(self, adapter):
        info = adapter.transport.request("GET", "admin/serverinfo", "read the server's version")
        return release(info["systemInfo"]["version"])

    def realm_url(self, adapter, realm):
        # Keycloak wants https for an identity provider's URLs, but for the local server's own
        return f"{adapter.settings.server_url}/realms/{realm}"

    def sign_in(self, adapter, realm, username, password, client_id):
        # a real session: the password grant, with the client's own secret
        answer = requests.post(f"{adapter.settings.server_url}/realms/{realm}/protocol/openid-connect/token", data={
            "grant_type": "password", "client_id": client_id, "client_secret": adapter.client_secret(realm, client_id),
            "username": username, "password": password, "scope": "openid"}, timeout=30)
        assert answer.status_code == 200, answer.text


# -- past the first page, and past Keycloak's replacing PUTs ------------------------------------------------


@pytest.fixture
def server(keycloak):
    return KeycloakServer(keycloak)


@pytest.fixture
def company_realm(server):
    name = fresh_realm_name()
    server.create_realm(name, None)
    server.update_realm(name, None, organizations_enabled=True)
    yield name
    server.delete_realm(name)


def by_hand(server: KeycloakServer, method: str, path: str, body=None):
    """What an admin does in the console, past the adapter: one admin request on ``admin/realms/{path}``."""
    return server.transport.request(method, f"admin/realms/{path}", f"{method} {path} by hand", body=body)


def test_organizations_clients_and_identity_providers_are_read_past_the_first_page(keycloak, server, company_realm):
    # Keycloak lists 10 organizations unless asked for more: 12 need a second page even at the default size
    for n in range(12):
        server.create_organization(company_realm, f"公司{n:02d}", f"c{n:02d}", [f"c{n:02d}.cn"], {})
    for n in range(3):
        server.create_client(company_realm, {"clientId": f"app-{n}"})
        config = {"clientId": "x", "authorizationUrl": "https://idp.example/auth", "tokenUrl": "https://idp.example/token"}
        server.create_identity_provider(company_realm, {"alias": f"idp-{n}", "providerId": "oidc", "config": config})

    small = KeycloakServer(keycloak, page_size=5).read(company_realm)
    live = server.read(company_realm)

    assert len(live.organizations) == 12 and live.organizations == small.organizations
    assert [o.alias for o in live.organizations] == [f"c{n:02d}" for n in range(12)]
    assert len(live.clients) == 6 + 3 and live.clients == small.clients
    assert [p.alias for p in small.identity_providers] == ["idp-0", "idp-1", "idp-2"]


def test_an_organization_update_keeps_what_an_admin_set_by_hand(server, company_realm):
    # Keycloak's PUT resets what it is not sent: the adapter reads the organization and changes it
    org = server.create_organization(company_realm, "星河集团", "xinghe", ["xinghe.cn", "xh.cn"], {})
    current = by_hand(server, "GET", f"{company_realm}/organizations/{org}")
    domains = [{"name": "xinghe.cn", "verified": True}, {"name": "xh.cn", "verified": False}]
    by_hand(server, "PUT", f"{company_realm}/organizations/{org}", {
        **current, "enabled": False, "description": "手工", "redirectUrl": "https://xinghe.cn/", "domains": domains,
    })

    server.update_organization(company_realm, org, "星河控股", ["xinghe.cn", "xinghe.com"], MANAGED_ORG)

    after = by_hand(server, "GET", f"{company_realm}/organizations/{org}")
    assert (after["name"], after["alias"], after["attributes"]) == ("星河控股", "xinghe", MANAGED_ORG)
    assert (after["enabled"], after["description"], after["redirectUrl"]) == (False, "手工", "https://xinghe.cn/")
    assert sorted((d["name"], d["verified"]) for d in after["domains"]) == [("xinghe.cn", True), ("xinghe.com", False)]


def test_a_shared_domain_is_a_conflict_though_keycloak_answers_400(server, company_realm):
    # Keycloak answers HTTP 400 in words that change between versions: the message is groupid's own
    where = server.settings.server_url
    server.create_organization(company_realm, "星河集团", "a", ["a.cn"], {})
    with pytest.raises(Conflict) as created:
        server.create_organization(company_realm, "B", "b", ["b.cn", "A.cn"], {})
    assert str(created.value) == (
        f"Keycloak at {where} refused to create organization 'B' in {company_realm}: the email domain a.cn belongs "
        "to organization '星河集团' already, and two organizations cannot share one"
    )
    b = server.create_organization(company_realm, "B", "b", ["b.cn"], {})
    with pytest.raises(Conflict, match=r"refused to update organization .*: the email domain a.cn belongs to organization '星河集团'"):
        server.update_organization(company_realm, b, "B", ["b.cn", "a.cn"], {})
    server.update_organization(company_realm, b, "B", ["b.cn", "c.cn"], {})  # its own domains clash with nothing

    # any other 400 stays a plain error, with Keycloak's words after groupid's
    with pytest.raises(KeycloakError, match=rf"^Keycloak at {where} refused to create organization 'C' in {company_realm}: HTTP 400: .+") as caught:
        server.create_organization(company_realm, "C", "c", ["not a domain"], {})
    assert not isinstance(caught.value, Conflict)


# -- reading a large realm ------------------------------------------------------------------------------

PAGE = 50


def managed(name: str, children: list[dict] = ()) -> dict:
    return {"name": name, "attributes": {ATTR_CODE: [name], ATTR_MANAGED: ["true"]}, "subGroups": list(children)}


def hand_made(name: str, children: list[dict] = ()) -> dict:
    return {"name": name, "attributes": {"note": ["made by hand"]}, "subGroups": list(children)}


def granted(group: dict, realm_roles: list[str], client_roles: dict[str, list[str]] | None = None) -> dict:
    return {**group, "realmRoles": realm_roles, "clientRoles": client_roles or {}}


def team(name: str, with_sub_team: bool) -> dict:
    return managed(name, [managed(f"{name}X")] if with_sub_team else [])


def large_tree() -> list[dict]:
    """303 managed groups five levels deep, with subtrees made by hand at the top and in the middle."""
    companies = []
    for c in range(3):
        departments = []
        for d in range(4):
            # 4 sections of 4 teams; the first team of each section has a sub-team (level 5)
            sections = [managed(f"C{c}D{d}S{s}", [team(f"C{c}D{d}S{s}T{t}", t == 0) for t in range(4)]) for s in range(4)]
            if (c, d) == (0, 0):
                sections.append(hand_made("项目组", [hand_made("P1", [hand_made("P1a")]), hand_made("P2")]))
            departments.append(managed(f"C{c}D{d}", sections))
        # every company has a 财务部 with the same teams: names repeat across the tree, as in real groups
        departments.append(granted(managed("财务部", [managed("平台组"), managed("数据组")]), ["employee"], {"app": ["view"]}))
        companies.append(granted(managed(f"C{c}", departments), ["manager", "employee"]))
    # a managed group under groups made by hand: the search brings the ancestors, the rest is read by hand
    first = hand_made("甲", [hand_made("甲一", [managed("受管")]), hand_made("甲二")])
    extra = hand_made("手工组", [first, hand_made("乙"), hand_made("丙")])
    return [*companies, extra]


def expected_paths(groups: list[dict], parent: str = "") -> dict[str, dict]:
    paths = {}
    for group in groups:
        path = f"{parent}/{group['name']}"
        paths[path] = group["attributes"]
        paths.update(expected_paths(group["subGroups"], path))
    return paths


# realm and client roles, composites of both kinds, a client role in the realm's default role
ROLES = {
    "realm": [
        {"name": "employee", "description": "每位员工", "attributes": {"groupid.managed": ["true"]}},
        {"name": "manager", "composite": True, "composites": {"realm": ["employee"], "client": {"app": ["view"]}}},
    ],
    "client": {"app": [{"name": "view"}, {"name": "edit", "composite": True, "composites": {"client": {"app": ["view"]}}}]},
}


class RefusedExport(RealmReader):
    """A reader refused the partial export, as an identity without the rights for it is: it reads paged."""

    def exported_content(self, realm):
        return None


def paged_server(settings: ConnectionSettings, page_size: int = PAGE_SIZE) -> KeycloakServer:
    """A KeycloakServer that reads paged: its partial export is refused."""
    server = KeycloakServer(settings, page_size)
    # the path of a refusal, whenever the session's Keycloak started: no question of its uptime
    server.reader = RefusedExport(server.transport, started_within=0)
    return server


@pytest.fixture(scope="module")
def large_realm(keycloak, realm_name):
    tree = large_tree()
    KeycloakServer(keycloak).import_realm({
        "realm": realm_name, "enabled": True, "groups": tree, "roles": ROLES,
        "clients": [{"clientId": "app", "publicClient": True}, {"clientId": "portal", "rootUrl": "https://portal.example"}],
    })
    KeycloakServer(keycloak).add_composites(realm_name, f"default-roles-{realm_name}", ["app/view"])
    return expected_paths(tree)


def read_paths(server: KeycloakServer, realm: str) -> dict[str, dict]:
    live = server.read(realm)
    paths = live.paths()
    return {paths[group.id]: group.attributes for group in live.groups}


def test_reading_a_large_realm_costs_a_few_requests_whatever_its_size(keycloak, realm_name, large_realm):
    server = KeycloakServer(keycloak, page_size=PAGE)
    # the realm was just imported, so Keycloak exports it cold; on a busy machine that may take longer than the
    # paged read waits for it, and the paged read would start beside it (its cost: the test below)
    server.reader.hedge_after = None
    assert read_paths(server, realm_name) == large_realm
    # realm + partial export (groups, roles, clients) + user profile + identity providers + authentication flows
    # (no sign-in flow among them) + user federations (none); Organizations are off
    assert server.requests == 6


def test_read_paged_when_partial_export_is_refused_costs_pages_not_groups(keycloak, realm_name, large_realm):
    server = paged_server(keycloak, page_size=PAGE)
    asked, request = [], server.transport.request
    server.transport.request = lambda method, path, action, **kwargs: asked.append(path) or request(method, path, action, **kwargs)
    assert read_paths(server, realm_name) == large_realm
    # every group from the search that matches every name: none looked for as a child of another
    assert not [path for path in asked if path.endswith("/children")]

    managed_count = sum(1 for attributes in large_realm.values() if ATTR_MANAGED in attributes)
    assert managed_count == 313
    search_pages = math.ceil(managed_count / PAGE) + 1  # the last page may look full: one more, empty
    # realm + top level + roles + a request for each of the 3 composite roles (the default role among them) + the
    # roles of the 2 clients of the realm's own + user profile + clients + identity providers + authentication
    # flows + user federations (Organizations are off: not listed), and one children request for each group holding groups made by hand: C0D0, 项目组,
    # P1, 手工组, 甲; pages end where a run of equal names begins, which may cost a few more pages
    constant = 13 + 5 + 6 + 1
    assert server.requests <= search_pages + constant
    # fewer than one request per ten groups (a naive reader makes one per group with sub-groups)
    assert server.requests * 10 < len(large_realm)


def test_both_ways_of_reading_see_the_same_realm(keycloak, realm_name, large_realm):
    exported = exported_read(keycloak, realm_name)
    paged = paged_server(keycloak, page_size=7).read(realm_name)

    assert exported == paged
    assert [group.id for group in exported.groups] == [group.id for group in paged.groups]  # parents first
    finance = [group for group in exported.groups if group.name == "财务部"]
    assert len(finance) == 3 and all(group.role_refs() == ["app/view", "employee"] for group in finance)
    composites = {role.ref: role.composites for role in [*exported.roles, *exported.client_roles]}
    assert (composites["manager"], composites["app/edit"], composites["app/view"]) == (["app/view", "employee"], ["app/view"], [])
    assert [role.ref for role in exported.client_roles] == ["app/edit", "app/view"]  # by clientId, then name
    assert "app/view" in exported.default_roles


def test_a_large_realm_reads_the_same_whatever_the_page_size(keycloak, realm_name, large_realm):
    small = paged_server(keycloak, page_size=7).read(realm_name)
    large = paged_server(keycloak).read(realm_name)
    assert small.groups == large.groups
    assert len(large.groups) == len(large_realm)


class SlowExport(RealmReader):
    """A reader whose partial export answers only once ``release`` is set, as a cold Keycloak's answers late."""

    def __init__(self, transport, hedge_after):
        super().__init__(transport, hedge_after)
        self.release = threading.Event()
        self.exported = threading.Event()  #: set when the export has answered

    def exported_content(self, realm):
        self.release.wait(300)
        try:
            return super().exported_content(realm)
        finally:
            self.exported.set()


def slow_export_server(settings: ConnectionSettings) -> tuple[KeycloakServer, SlowExport, list[str]]:
    """A KeycloakServer whose export is slow, and the group search pages it asks for, by their ``first``."""
    server = KeycloakServer(settings, PAGE)
    reader = server.reader = SlowExport(server.transport, hedge_after=0.05)
    reader.started_within = 0  # the session's Keycloak may have started minutes ago: the race is the subject here
    searched, request = [], server.transport.request

    def counted(method, path, action, **kwargs):
        params = kwargs.get("params") or {}
        if path.endswith("/groups") and ("q" in params or "search" in params):
            searched.append(params["first"])
        return request(method, path, action, **kwargs)

    server.transport.request = counted
    return server, reader, searched


def exported_read(settings: ConnectionSettings, realm: str) -> LiveRealm:
    """``realm`` read from the partial export, awaited however long it takes."""
    server = KeycloakServer(settings)
    server.reader.hedge_after = None
    live = server.read(realm)
    assert server.reader.last_path == "partial export"
    return live


def test_a_server_that_started_within_the_window_is_read_paged_alone_and_the_same(keycloak, realm_name, large_realm):
    exported = exported_read(keycloak, realm_name)
    server = KeycloakServer(keycloak, PAGE)
    asked, request = [], server.transport.request
    server.transport.request = lambda method, path, action, **kwargs: asked.append(path) or request(method, path, action, **kwargs)
    server.reader.started_within = 10**9  # whenever the session's Keycloak started, it is within this
    live = server.read(realm_name)
    assert server.reader.last_path == "paged, Keycloak started moments ago" and live == exported
    assert not [path for path in asked if path.endswith("partial-export")]
    assert asked.count("admin/serverinfo") == 1
    # the uptime is the real server's, in seconds: as its own server info says, a moment later
    uptime = server.reader.uptime()
    told = server.transport.request("GET", "admin/serverinfo", "read the uptime")["systemInfo"]["uptimeMillis"] / 1000
    assert uptime is not None and 0 <= told - uptime < 30


def test_an_admin_of_another_realm_is_not_told_the_uptime_and_exports_as_before(keycloak):
    with temporary_realm(keycloak, "uptime") as realm:
        server = KeycloakServer(keycloak)
        server.create_realm(realm, None)
        secret = "s-" + uuid.uuid4().hex
        server.create_client(realm, {"clientId": "robot", "publicClient": False, "secret": secret,
                                     "serviceAccountsEnabled": True, "standardFlowEnabled": False})
        robot = server.transport.request("GET", admin_url(realm, "clients"), "find the robot", params={"clientId": "robot"})[0]
        account = server.transport.request("GET", admin_url(realm, "clients", robot["id"], "service-account-user"), "its account")
        management = server.transport.request("GET", admin_url(realm, "clients"), "find realm-management",
                                              params={"clientId": "realm-management"})[0]
        admin_role = server.transport.request("GET", admin_url(realm, "clients", management["id"], "roles", "realm-admin"),
                                              "read realm-admin")
        server.transport.request("POST", admin_url(realm, "users", account["id"], "role-mappings", "clients", management["id"]),
                                 "grant realm-admin", body=[admin_role])
        scoped = KeycloakServer(ConnectionSettings(server_url=keycloak.server_url, auth_realm=realm, client_id="robot",
                                                   client_secret=secret))
        scoped.reader.started_within, scoped.reader.hedge_after = 10**9, 30.0
        scoped.read(realm)
        assert scoped.reader.started_moments_ago() is False and scoped.reader.last_path == "partial export"


def test_a_slow_partial_export_is_overtaken_by_the_paged_read(keycloak, realm_name, large_realm):
    exported = exported_read(keycloak, realm_name)
    server, reader, searched = slow_export_server(keycloak)
    try:
        live = server.read(realm_name)  # the export has not answered: the paged read starts after 0.05 s
        assert reader.last_path == "paged, the partial export slow"
        assert live == exported and len(searched) > 1
        assert not reader.exported.is_set()
        # the slow export still runs: a second read does not ask Keycloak for another, it reads paged again
        assert server.read(realm_name) == exported and reader.last_path == "paged, the partial export slow"
    finally:
        reader.release.set()
    assert reader.exported.wait(60)


def test_a_partial_export_that_answers_while_the_paged_read_goes_on_is_used(keycloak, realm_name, large_realm):
    exported = exported_read(keycloak, realm_name)
    server, reader, searched = slow_export_server(keycloak)
    request = server.transport.request

    def first_page_releases_the_export(method, path, action, **kwargs):
        answer = request(method, path, action, **kwargs)
        if searched and not reader.release.is_set():
            reader.release.set()  # the export answers while the paged read holds its first search page
            assert reader.wait_for_exports(120)
        return answer

    server.transport.request = first_page_releases_the_export
    live = server.read(realm_name)
    assert reader.last_path == "partial export" and live == exported
    assert searched == [0]  # the paged read stopped at its next page


# -- a server that nests search answers in their ancestors ------------------------------------------------

SERVER = "http://keycloak.test"


def node(name: str, managed_group: bool, count: int, children: list[dict] = ()) -> dict:
    attributes = {ATTR_MANAGED: ["true"]} if managed_group else {}
    return {"id": name, "name": name, "attributes": attributes, "subGroupCount": count, "subGroups": list(children)}


def answer(path: str, body: list | dict, **params) -> None:
    """Register one GET answer, for exactly these query parameters."""
    query = {key: str(value) for key, value in params.items()}
    responses.get(f"{SERVER}/admin/realms/r{path}", json=body, match=[matchers.query_param_matcher(query)])


@responses.activate(assert_all_requests_are_fired=True)
def test_a_search_answered_nested_is_still_read_to_the_end():
    # a Keycloak that ignores populateHierarchy=false answers each match inside its ancestors: a page of two
    # matches may hold a single top-level entry, which must not be taken for the last page
    responses.post(f"{SERVER}/realms/master/protocol/openid-connect/token", json={"access_token": "t", "expires_in": 300})
    answer("", {"realm": "r", "id": "r-id"})
    answer("/components", [], parent="r-id", type="org.keycloak.storage.UserStorageProvider")
    # an identity without the rights for a partial export is read the paged way
    responses.post(f"{SERVER}/admin/realms/r/partial-export", status=403, json={"error": "HTTP 403 Forbidden"})
    answer("/roles", [], briefRepresentation="false", first=0, max=2)
    answer("/users/profile", {"attributes": []})
    answer("/clients", [], first=0, max=2)
    answer("/identity-provider/instances", [], briefRepresentation="false", first=0, max=2)
    answer("/authentication/flows", [])
    # a server that finds no group by a blank name: the managed groups, the top level and the children are read
    answer("/groups/count", {"count": 6})
    answer("/groups", [], search=" ", briefRepresentation="false", populateHierarchy="false", subGroupsCount="false",
           first=0, max=2)
    search = {"q": f"{ATTR_MANAGED}:true", "briefRepresentation": "false", "populateHierarchy": "false", "max": 2}
    answer("/groups", [node("A", True, 2, [node("B", True, 1)])], first=0, **search)
    answer("/groups", [node("A", True, 2, [node("B", True, 1, [node("C", True, 0)]), node("D", True, 0)])], first=2, **search)
    answer("/groups", [node("E", False, 1, [node("F", True, 0)])], first=4, **search)
    answer("/groups", [node("A", True, 2), node("E", False, 1)], briefRepresentation="false", first=0, max=2)
    answer("/groups", [], briefRepresentation="false", first=2, max=2)

    live = KeycloakServer(ConnectionSettings(SERVER, admin_user="admin", admin_password="pw"), page_size=2).read("r")

    assert sorted(live.paths().values()) == ["/A", "/A/B", "/A/B/C", "/A/D", "/E", "/E/F"]
    # every page was asked for (assert_all_requests_are_fired), and no group's children one by one
    assert not any("/children" in call.request.url for call in responses.calls)
