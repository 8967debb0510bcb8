"""The contract every :class:`~groupid.realms.base.RealmAdapter` fulfils, as a reusable test suite.

Subclass :class:`RealmContract`, provide the ``adapter`` fixture and, when realms must not outlive a test,
override :meth:`RealmContract.drop_realm` (and :meth:`RealmContract.realm_url` for a server that checks where
an identity provider points): every test below then runs against that adapter, each in a fresh realm. The same
tests pass against the real Keycloak and against :class:`~groupid.realms.memory.MemoryRealms`, which is what
lets unit tests trust the in-memory one.

Among the :class:`~groupid.realms.base.RealmAdapter` interface the tests use ``read_identity_provider`` and
``read_component``: the places where a stored secret shows, masked or as a vault reference; ``read_user_roles``: the realm roles granted to
a user directly; and ``read_raw``: a realm with what groupid's view leaves out, against the in-memory realm's copy
of Keycloak's defaults (:mod:`groupid.realms.memory.defaults`).
"""

from __future__ import annotations

import dataclasses
import uuid
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager

import pytest

from groupid.errors import Conflict, KeycloakError
from groupid.keycloak_terms import (
    ACCESS_ROLE,
    ATTR_CODE,
    ATTR_MANAGED,
    BIND_CREDENTIAL,
    GROUP_MAPPER_PROVIDER,
    KEYCLOAK_CLIENTS,
    KEYCLOAK_DEFAULT_ROLES,
    LDAP_MAPPER_TYPE,
    LDAP_PROVIDER,
    LOCK_MARK,
    MANAGED_SUBTYPE,
    USER_STORAGE_TYPE,
    default_role_name,
    role_reference,
    sign_in_flow_alias,
)
from groupid.realms.base import RealmAdapter
from groupid.realms.live import LiveIdentityProvider, LiveOrganization, LiveRealm, LiveRole, LiveUser
from groupid.realms.locks import KEPT_AS_ROLE
from groupid.realms.memory import defaults as copied_defaults

MANAGED = {ATTR_MANAGED: ["true"]}
NOBODY = "00000000-0000-0000-0000-000000000000"  # an id of the right shape that nothing has
MASK = "**********"  # what Keycloak shows in place of a stored secret
BUILT_IN_CLIENTS = {"account", "account-console", "admin-cli", "broker", "realm-management", "security-admin-console"}
# what a new realm's default role is made of: Keycloak's realm roles and two roles of its client "account"
DEFAULT_ROLES = ["account/manage-account", "account/view-profile", "offline_access", "uma_authorization"]


def fresh_realm_name() -> str:
    """A realm name no other test uses."""
    return f"contract-{uuid.uuid4().hex[:10]}"


def code(value: str) -> dict[str, list[str]]:
    """The attributes of a managed group with that code."""
    return {ATTR_CODE: [value], **MANAGED}


def by_name(live: LiveRealm) -> dict:
    """The groups of ``live`` by name (the tests give groups unique names)."""
    return {group.name: group for group in live.groups}


def find(items: list, **match):
    """The first of ``items`` whose fields have the values of ``match``, or None."""
    return next((item for item in items if all(getattr(item, k) == v for k, v in match.items())), None)


def role(live: LiveRealm, ref: str):
    """The role of ``live`` referred to as ``ref`` (``name`` or ``clientId/name``), or None."""
    return find([*live.roles, *live.client_roles], ref=ref)


def assert_not_found(*writes, naming: str | None = None) -> None:
    """Each of ``writes`` fails as Keycloak's HTTP 404 does: an error, and not a :class:`Conflict`; with
    ``naming``, an error that says what was not found."""
    for write in writes:
        with pytest.raises(KeycloakError, match="404") as caught:
            write()
        assert not isinstance(caught.value, Conflict)
        assert naming is None or f"'{naming}'" in str(caught.value), str(caught.value)


def broker_client(company_realm: str, client_id: str = "company-xinghe") -> dict:
    """The confidential client a group realm gives a company realm to sign in through (realm-per-company)."""
    return {
        "clientId": client_id, "name": "星河", "enabled": True, "publicClient": False, "rootUrl": "${authBaseUrl}",
        "redirectUris": [f"/realms/{company_realm}/broker/group/endpoint"], "attributes": {ATTR_MANAGED: "true"},
    }


def without_secret(config: dict) -> dict:
    """An identity provider config as the live state shows it."""
    return {key: value for key, value in config.items() if key != "clientSecret"}


class RealmContract:
    """The tests every realm adapter passes. Subclasses provide the ``adapter`` fixture."""

    def drop_realm(self, adapter: RealmAdapter, realm: str) -> None:
        """Remove a realm a test made; by default nothing (the interface has no way to delete a realm)."""

    @pytest.fixture
    def adapter(self) -> RealmAdapter:
        """The adapter under test."""
        raise NotImplementedError("a RealmContract subclass provides the adapter fixture")

    def realm_url(self, adapter: RealmAdapter, realm: str) -> str:
        """Where ``realm`` of the adapter's server is (an identity provider points at it)."""
        return f"https://keycloak.example/realms/{realm}"

    def read_everything(self, adapter: RealmAdapter, realm: str):
        """``realm`` read raw, the roles of Keycloak's own clients in it; by default :meth:`read_raw`."""
        return adapter.read_raw(realm)

    def keycloak_release(self, adapter: RealmAdapter) -> tuple[int, ...]:
        """The Keycloak release the adapter behaves as, whose defaults a new realm holds: by default the one the
        in-memory realm copies."""
        return copied_defaults.COPIED_RELEASE

    @contextmanager
    def fresh_realm(self, adapter: RealmAdapter, display_name: str):
        """A new realm created through the adapter, dropped afterwards."""
        name = fresh_realm_name()
        adapter.create_realm(name, display_name)
        try:
            yield name
        finally:
            self.drop_realm(adapter, name)

    @pytest.fixture
    def realm(self, adapter: RealmAdapter) -> str:
        """A fresh, empty realm created through the adapter."""
        with self.fresh_realm(adapter, "契约测试") as name:
            yield name

    @pytest.fixture
    def other_realm(self, adapter: RealmAdapter) -> str:
        """A second fresh realm on the same server: the group realm a company realm links to."""
        with self.fresh_realm(adapter, "集团") as name:
            yield name

    @pytest.fixture
    def organizations(self, adapter: RealmAdapter, realm: str) -> str:
        """The fresh realm, with Organizations enabled."""
        adapter.update_realm(realm, "契约测试", organizations_enabled=True)
        return realm

    def user(self, adapter: RealmAdapter, realm: str, username: str) -> str:
        """A new user's id."""
        return adapter.create_user(realm, {"username": username, "enabled": True})

    def oidc_provider(self, adapter: RealmAdapter, group_realm: str, client_id: str, secret: str) -> dict:
        """An identity provider "group" that signs users in through ``group_realm`` of the same server."""
        issuer = self.realm_url(adapter, group_realm)
        endpoints = f"{issuer}/protocol/openid-connect"
        config = {
            "issuer": issuer, "authorizationUrl": f"{endpoints}/auth", "tokenUrl": f"{endpoints}/token",
            "userInfoUrl": f"{endpoints}/userinfo", "jwksUrl": f"{endpoints}/certs", "logoutUrl": f"{endpoints}/logout",
            "clientId": client_id, "clientSecret": secret, "clientAuthMethod": "client_secret_post",
            "syncMode": "IMPORT", "validateSignature": "true", "useJwksUrl": "true", ATTR_MANAGED: "true",
        }
        return {"alias": "group", "providerId": "keycloak-oidc", "displayName": "星河集团", "enabled": True, "config": config}

    # -- realms ------------------------------------------------------------------------------------------

    def test_a_new_realm_has_keycloaks_defaults(self, adapter, realm):
        live = adapter.read(realm)
        assert live.exists and live.name == realm and live.display_name == "契约测试"
        assert live.groups == []
        assert {"offline_access", "uma_authorization", f"default-roles-{realm}"} <= {r.name for r in live.roles}
        assert role(live, f"default-roles-{realm}").composites == DEFAULT_ROLES
        assert live.default_roles == DEFAULT_ROLES
        # the roles of Keycloak's own clients are not listed, though references to them work
        assert live.client_roles == []
        assert {"username", "email", "firstName", "lastName"} <= {a["name"] for a in live.user_profile["attributes"]}
        assert (live.organizations_enabled, live.organizations, live.identity_providers) == (False, [], [])
        clients = {client.client_id: client for client in live.clients}
        assert set(clients) == BUILT_IN_CLIENTS
        assert clients["admin-cli"].public_client and not clients["realm-management"].public_client
        assert clients["security-admin-console"].redirect_uris == [f"/admin/{realm}/console/*"]

    def test_a_new_realm_holds_what_the_in_memory_realm_copies_of_keycloak(self, adapter, realm):
        # the in-memory realm's frozen copy of Keycloak's defaults: against the real server, a Keycloak that
        # changed them fails here
        raw = self.read_everything(adapter, realm)
        assert {r.name: r.description for r in raw.roles} == {
            **KEYCLOAK_DEFAULT_ROLES, default_role_name(realm): "${role_default-roles}"}
        assert role(raw, default_role_name(realm)).composites == sorted(copied_defaults.DEFAULT_ROLE_COMPOSITES)
        own_roles = {r.ref: (r.description, r.composites) for r in raw.client_roles if r.client in KEYCLOAK_CLIENTS}
        assert own_roles == {
            role_reference(client, name): (f"${{role_{name}}}", sorted(role_reference(client, c) for c in composites))
            for client, roles in copied_defaults.built_in_client_roles(self.keycloak_release(adapter)).items()
            for name, composites in roles.items()
        }
        clients = {c.client_id: c for c in raw.clients}
        assert set(clients) == KEYCLOAK_CLIENTS == {c["clientId"] for c in copied_defaults.BUILT_IN_CLIENTS}
        for copied in copied_defaults.BUILT_IN_CLIENTS:
            client = clients[copied["clientId"]]
            redirect_uris = [uri.replace("{realm}", realm) for uri in copied.get("redirectUris", [])]
            assert (client.public_client, client.root_url, client.redirect_uris) == (
                copied.get("publicClient", False), copied.get("rootUrl"), redirect_uris), copied["clientId"]
            assert copied.get("attributes", {}).items() <= client.attributes.items(), copied["clientId"]
        # and groupid's view of the realm leaves Keycloak's own roles out
        assert adapter.read(realm).client_roles == []

    def test_a_missing_realm_reads_as_not_existing(self, adapter):
        live = adapter.read(fresh_realm_name())
        assert not live.exists
        assert (live.groups, live.roles, live.default_roles) == ([], [], [])
        assert (live.organizations, live.clients, live.identity_providers) == ([], [], [])

    def test_creating_a_realm_twice_is_a_conflict(self, adapter, realm):
        with pytest.raises(Conflict):
            adapter.create_realm(realm, "again")
        assert adapter.read(realm).display_name == "契约测试"

    def test_display_name_changes_and_clears(self, adapter, realm):
        adapter.update_realm(realm, "星河集团")
        assert adapter.read(realm).display_name == "星河集团"
        adapter.update_realm(realm, None)
        assert adapter.read(realm).display_name is None

    def test_writing_to_a_missing_realm_is_an_error(self, adapter):
        with pytest.raises(KeycloakError, match="404"):
            adapter.create_group(fresh_realm_name(), None, "x", {})

    # -- groups ------------------------------------------------------------------------------------------

    def test_groups_read_back_with_their_attributes(self, adapter, realm):
        top = adapter.create_group(realm, None, "星河集团", {**code("XH"), "email_domains": ["xinghe.cn", "xh.cn"]})
        child = adapter.create_group(realm, top, "技术部", code("XH-TECH"))
        groups = by_name(adapter.read(realm))
        assert set(groups) == {"星河集团", "技术部"}
        assert (groups["星河集团"].id, groups["星河集团"].parent_id) == (top, None)
        assert (groups["技术部"].id, groups["技术部"].parent_id) == (child, top)
        assert sorted(groups["星河集团"].attributes["email_domains"]) == ["xh.cn", "xinghe.cn"]
        assert groups["技术部"].attribute(ATTR_CODE) == "XH-TECH"
        assert groups["技术部"].realm_roles == []

    def test_a_deep_tree_reads_parents_first_with_paths(self, adapter, realm):
        expected = {}
        for company in ("A", "B"):
            parent_id = None
            path = ""
            for level in range(4):
                name = f"{company}{level}"
                parent_id = adapter.create_group(realm, parent_id, name, code(name))
                path += f"/{name}"
                expected[parent_id] = path
            # a second child at the bottom, and an unmanaged group made by hand beside the managed ones
            expected[adapter.create_group(realm, parent_id, f"{company}-leaf", code(f"{company}-leaf"))] = f"{path}/{company}-leaf"
            expected[adapter.create_group(realm, None, f"{company}-hand", {})] = f"/{company}-hand"
        live = adapter.read(realm)
        assert live.paths() == expected
        seen = set()
        for group in live.groups:
            assert group.parent_id is None or group.parent_id in seen, f"{group.name} came before its parent"
            seen.add(group.id)

    def test_sibling_names_are_unique(self, adapter, realm):
        top = adapter.create_group(realm, None, "A", {})
        adapter.create_group(realm, top, "B", {})
        with pytest.raises(Conflict):
            adapter.create_group(realm, None, "A", {})
        with pytest.raises(Conflict):
            adapter.create_group(realm, top, "B", {})
        # the same name elsewhere in the tree is fine
        adapter.create_group(realm, None, "B", {})
        assert sorted(adapter.read(realm).paths().values()) == ["/A", "/A/B", "/B"]

    def test_rename_keeps_members_role_mappings_and_sub_groups(self, adapter, realm):
        adapter.create_role(realm, "研发", None, {})
        group = adapter.create_group(realm, None, "技术部", {**code("T"), "region": ["上海"]})
        child = adapter.create_group(realm, group, "研发一组", {})
        adapter.add_group_roles(realm, group, ["研发"])
        user = self.user(adapter, realm, "zhang.wei")
        adapter.add_member(realm, group, user)

        adapter.update_group(realm, group, "研发中心", code("T"))

        groups = by_name(adapter.read(realm))
        assert groups["研发中心"].id == group
        # attributes are replaced, not merged: "region" is gone
        assert groups["研发中心"].attributes == code("T")
        assert groups["研发中心"].realm_roles == ["研发"]
        assert groups["研发一组"].id == child and groups["研发一组"].parent_id == group
        assert adapter.members(realm, group) == [user]
        assert "技术部" not in groups

    def test_renaming_onto_a_sibling_is_a_conflict(self, adapter, realm):
        adapter.create_group(realm, None, "A", {})
        b = adapter.create_group(realm, None, "B", code("B"))
        with pytest.raises(Conflict):
            adapter.update_group(realm, b, "A", {})
        assert by_name(adapter.read(realm))["B"].attributes == code("B")

    def test_move_keeps_members_role_mappings_and_sub_groups(self, adapter, realm):
        adapter.create_role(realm, "财务", None, {})
        old_parent = adapter.create_group(realm, None, "旧公司", {})
        new_parent = adapter.create_group(realm, None, "新公司", {})
        group = adapter.create_group(realm, old_parent, "财务部", code("FIN"))
        child = adapter.create_group(realm, group, "会计组", {})
        adapter.add_group_roles(realm, group, ["财务"])
        user = self.user(adapter, realm, "li.na")
        adapter.add_member(realm, group, user)

        adapter.move_group(realm, group, new_parent)

        live = adapter.read(realm)
        assert live.paths()[group] == "/新公司/财务部"
        assert live.paths()[child] == "/新公司/财务部/会计组"
        moved = by_name(live)["财务部"]
        assert (moved.attributes, moved.realm_roles) == (code("FIN"), ["财务"])
        assert adapter.members(realm, group) == [user]

    def test_move_to_the_top_level(self, adapter, realm):
        parent = adapter.create_group(realm, None, "集团", {})
        group = adapter.create_group(realm, parent, "子公司", code("SUB"))
        user = self.user(adapter, realm, "wang.fang")
        adapter.add_member(realm, group, user)

        adapter.move_group(realm, group, None)

        live = adapter.read(realm)
        assert by_name(live)["子公司"].parent_id is None
        assert live.paths()[group] == "/子公司"
        assert adapter.members(realm, group) == [user]

    def test_moving_next_to_a_namesake_is_a_conflict(self, adapter, realm):
        a = adapter.create_group(realm, None, "A", {})
        b = adapter.create_group(realm, None, "B", {})
        adapter.create_group(realm, a, "X", {})
        x_under_b = adapter.create_group(realm, b, "X", {})
        with pytest.raises(Conflict):
            adapter.move_group(realm, x_under_b, a)
        assert adapter.read(realm).paths()[x_under_b] == "/B/X"

    def test_moving_under_itself_or_its_own_descendant_is_refused_before_it_is_sent(self, adapter, realm):
        # Keycloak itself answers such a move with a stack overflow, which can hang Keycloak 26.7's realm cache:
        # the adapter refuses it first
        top = adapter.create_group(realm, None, "A", {})
        below = adapter.create_group(realm, top, "B", {})
        bottom = adapter.create_group(realm, below, "C", {})
        for group_id, parent_id in ((top, top), (top, below), (top, bottom), (below, bottom)):
            with pytest.raises(KeycloakError, match="the new parent is the group itself or one of its sub-groups"):
                adapter.move_group(realm, group_id, parent_id)
        assert adapter.read(realm).paths() == {top: "/A", below: "/A/B", bottom: "/A/B/C"}
        # a move up the same branch is no loop
        adapter.move_group(realm, bottom, top)
        assert adapter.read(realm).paths() == {top: "/A", below: "/A/B", bottom: "/A/C"}

    def test_delete_takes_the_subtree_and_its_memberships(self, adapter, realm):
        top = adapter.create_group(realm, None, "集团", {})
        middle = adapter.create_group(realm, top, "事业部", {})
        bottom = adapter.create_group(realm, middle, "小组", {})
        user = self.user(adapter, realm, "zhao.lei")
        adapter.add_member(realm, bottom, user)

        adapter.delete_group(realm, middle)

        assert adapter.read(realm).paths() == {top: "/集团"}
        with pytest.raises(KeycloakError, match="404"):
            adapter.members(realm, bottom)
        # the person stays; only the membership went with the group
        assert adapter.read_user(realm, user)["username"] == "zhao.lei"

    def test_an_unknown_group_is_an_error_not_a_conflict(self, adapter, realm):
        assert_not_found(
            lambda: adapter.update_group(realm, NOBODY, "x", {}),
            lambda: adapter.move_group(realm, NOBODY, None),
            lambda: adapter.delete_group(realm, NOBODY),
            lambda: adapter.create_group(realm, NOBODY, "x", {}),
        )

    # -- roles -------------------------------------------------------------------------------------------

    def test_roles_are_created_updated_and_deleted(self, adapter, realm):
        adapter.create_role(realm, "hr-admin", "人事管理员", MANAGED)
        created = role(adapter.read(realm), "hr-admin")
        assert (created.description, created.attributes, created.composites) == ("人事管理员", MANAGED, [])

        adapter.update_role(realm, "hr-admin", "人事", {**MANAGED, "scope": ["group"]})
        changed = role(adapter.read(realm), "hr-admin")
        assert (changed.description, changed.attributes) == ("人事", {**MANAGED, "scope": ["group"]})
        adapter.update_role(realm, "hr-admin", None, {})
        updated = role(adapter.read(realm), "hr-admin")
        assert (updated.description, updated.attributes) == (None, {})

        adapter.delete_role(realm, "hr-admin")
        assert role(adapter.read(realm), "hr-admin") is None

    def test_creating_a_role_twice_is_a_conflict(self, adapter, realm):
        adapter.create_role(realm, "employee", "员工", {})
        with pytest.raises(Conflict):
            adapter.create_role(realm, "employee", "again", {})
        assert role(adapter.read(realm), "employee").description == "员工"

    def test_an_unknown_role_is_an_error(self, adapter, realm):
        group = adapter.create_group(realm, None, "A", {})
        for write in (
            lambda: adapter.update_role(realm, "nope", None, {}),
            lambda: adapter.delete_role(realm, "nope"),
            lambda: adapter.add_composites(realm, "offline_access", ["nope"]),
            lambda: adapter.add_group_roles(realm, group, ["nope"]),
        ):
            with pytest.raises(KeycloakError, match="404"):
                write()

    def test_composites_are_added_and_removed(self, adapter, realm):
        for name in ("manager", "employee", "approver"):
            adapter.create_role(realm, name, None, {})
        adapter.add_composites(realm, "manager", ["employee", "approver"])
        assert role(adapter.read(realm), "manager").composites == ["approver", "employee"]

        adapter.remove_composites(realm, "manager", ["approver"])
        live = adapter.read(realm)
        assert role(live, "manager").composites == ["employee"]
        # the roles themselves stay, and the realm's default role is not touched
        assert role(live, "approver") is not None
        assert live.default_roles == DEFAULT_ROLES

    def test_group_roles_are_granted_and_revoked(self, adapter, realm):
        for name in ("employee", "finance"):
            adapter.create_role(realm, name, None, {})
        group = adapter.create_group(realm, None, "财务部", {})
        adapter.add_group_roles(realm, group, ["employee", "finance"])
        assert by_name(adapter.read(realm))["财务部"].realm_roles == ["employee", "finance"]

        adapter.remove_group_roles(realm, group, ["finance"])
        assert by_name(adapter.read(realm))["财务部"].realm_roles == ["employee"]

    def test_deleting_a_role_drops_it_from_composites_and_groups(self, adapter, realm):
        for name in ("manager", "employee"):
            adapter.create_role(realm, name, None, {})
        adapter.add_composites(realm, "manager", ["employee"])
        group = adapter.create_group(realm, None, "A", {})
        adapter.add_group_roles(realm, group, ["employee", "manager"])

        adapter.delete_role(realm, "employee")

        live = adapter.read(realm)
        assert role(live, "manager").composites == []
        assert live.groups[0].realm_roles == ["manager"]

    # -- client roles ------------------------------------------------------------------------------------

    def app_client(self, adapter: RealmAdapter, realm: str, client_id: str = "oa") -> str:
        """A new client that apps' roles hang on; its id."""
        return adapter.create_client(realm, {"clientId": client_id, "name": client_id.upper()})

    def test_client_roles_are_created_updated_and_deleted(self, adapter, realm):
        self.app_client(adapter, realm)
        adapter.create_client_role(realm, "oa", "approve", "审批", MANAGED)
        # a realm role of the same name is another role
        adapter.create_role(realm, "approve", "realm", {})
        live = adapter.read(realm)
        assert live.client_roles == [LiveRole("approve", "审批", MANAGED, [], client="oa")]
        assert live.client_roles[0].ref == "oa/approve"

        adapter.update_client_role(realm, "oa", "approve", "OA 审批", {**MANAGED, "scope": ["oa"]})
        changed = role(adapter.read(realm), "oa/approve")
        assert (changed.description, changed.attributes) == ("OA 审批", {**MANAGED, "scope": ["oa"]})
        adapter.update_client_role(realm, "oa", "approve", None, {})
        live = adapter.read(realm)
        assert (role(live, "oa/approve").description, role(live, "oa/approve").attributes) == (None, {})
        assert role(live, "approve").description == "realm"

        adapter.delete_client_role(realm, "oa", "approve")
        live = adapter.read(realm)
        assert live.client_roles == []
        assert role(live, "approve") is not None

    def test_a_client_role_name_is_unique_within_its_client(self, adapter, realm):
        for client_id in ("oa", "crm"):
            self.app_client(adapter, realm, client_id)
        adapter.create_client_role(realm, "oa", "read", "OA", {})
        with pytest.raises(Conflict):
            adapter.create_client_role(realm, "oa", "read", "again", {})
        adapter.create_client_role(realm, "crm", "read", "CRM", {})
        described = [(r.ref, r.description) for r in adapter.read(realm).client_roles]
        assert described == [("crm/read", "CRM"), ("oa/read", "OA")]

    def test_composites_of_a_realm_role_mix_realm_and_client_roles(self, adapter, realm):
        self.app_client(adapter, realm)
        adapter.create_client_role(realm, "oa", "approve", None, {})
        for name in ("manager", "employee"):
            adapter.create_role(realm, name, None, {})

        adapter.add_composites(realm, "manager", ["oa/approve", "employee", "account/view-profile"])
        assert role(adapter.read(realm), "manager").composites == ["account/view-profile", "employee", "oa/approve"]

        adapter.remove_composites(realm, "manager", ["oa/approve", "employee"])
        live = adapter.read(realm)
        assert role(live, "manager").composites == ["account/view-profile"]
        assert role(live, "oa/approve") is not None and role(live, "employee") is not None

    def test_composites_of_a_client_role_mix_realm_and_client_roles(self, adapter, realm):
        for client_id in ("oa", "crm"):
            self.app_client(adapter, realm, client_id)
        for ref in ("oa/admin", "oa/approve", "crm/read"):
            adapter.create_client_role(realm, *ref.split("/"), None, {})
        adapter.create_role(realm, "employee", None, {})

        adapter.add_composites(realm, "oa/admin", ["oa/approve", "crm/read", "employee"])
        live = adapter.read(realm)
        assert role(live, "oa/admin").composites == ["crm/read", "employee", "oa/approve"]
        assert role(live, "crm/read").composites == []

        adapter.remove_composites(realm, "oa/admin", ["crm/read", "employee"])
        assert role(adapter.read(realm), "oa/admin").composites == ["oa/approve"]

    def test_client_roles_are_granted_to_groups_and_revoked(self, adapter, realm):
        for client_id in ("oa", "crm"):
            self.app_client(adapter, realm, client_id)
        adapter.create_client_role(realm, "oa", "approve", None, {})
        adapter.create_client_role(realm, "crm", "read", None, {})
        adapter.create_role(realm, "employee", None, {})
        # a managed group below one made by hand, and one made by hand below that: each comes from another listing
        hand = adapter.create_group(realm, None, "手工", {})
        managed = adapter.create_group(realm, hand, "财务部", code("FIN"))
        below = adapter.create_group(realm, hand, "手工组", {})
        granted = ["crm/read", "employee", "oa/approve", "realm-management/view-users"]
        for group in (hand, managed, below):
            adapter.add_group_roles(realm, group, granted)

        for group in adapter.read(realm).groups:
            assert (group.realm_roles, group.role_refs()) == (["employee"], granted), group.name
            assert group.client_roles == {"crm": ["read"], "oa": ["approve"], "realm-management": ["view-users"]}

        adapter.remove_group_roles(realm, managed, ["oa/approve", "employee", "realm-management/view-users"])
        groups = by_name(adapter.read(realm))
        assert (groups["财务部"].realm_roles, groups["财务部"].client_roles) == ([], {"crm": ["read"]})
        assert groups["手工"].role_refs() == granted

    def test_deleting_a_client_role_or_its_client_drops_it_from_composites_and_groups(self, adapter, realm):
        oa = self.app_client(adapter, realm)
        self.app_client(adapter, realm, "crm")
        for ref in ("oa/approve", "oa/read", "crm/read"):
            adapter.create_client_role(realm, *ref.split("/"), None, {})
        adapter.create_role(realm, "manager", None, {})
        adapter.add_composites(realm, "manager", ["oa/approve", "oa/read", "crm/read"])
        group = adapter.create_group(realm, None, "A", {})
        adapter.add_group_roles(realm, group, ["oa/approve", "oa/read", "crm/read"])

        adapter.delete_client_role(realm, "oa", "approve")
        live = adapter.read(realm)
        assert role(live, "manager").composites == ["crm/read", "oa/read"]
        assert live.groups[0].role_refs() == ["crm/read", "oa/read"]

        adapter.delete_client(realm, oa)
        live = adapter.read(realm)
        assert [r.ref for r in live.client_roles] == ["crm/read"]
        assert role(live, "manager").composites == ["crm/read"]
        assert live.groups[0].client_roles == {"crm": ["read"]}

    def test_a_renamed_client_keeps_its_roles_and_their_grants(self, adapter, realm):
        oa = self.app_client(adapter, realm)
        adapter.create_client_role(realm, "oa", "approve", None, {})
        adapter.create_role(realm, "manager", None, {})
        adapter.add_composites(realm, "manager", ["oa/approve"])
        group = adapter.create_group(realm, None, "A", {})
        adapter.add_group_roles(realm, group, ["oa/approve"])

        adapter.update_client(realm, oa, {"clientId": "workflow"})

        live = adapter.read(realm)
        assert [r.ref for r in live.client_roles] == ["workflow/approve"]
        assert role(live, "manager").composites == ["workflow/approve"]
        assert live.groups[0].role_refs() == ["workflow/approve"]

    def test_a_client_id_with_slashes_is_a_reference_too(self, adapter, realm):
        # SAML clients are often named by URL: the role name is what follows the last "/"
        self.app_client(adapter, realm, "https://oa.example/sp")
        adapter.create_client_role(realm, "https://oa.example/sp", "approve", None, {})
        adapter.create_role(realm, "manager", None, {})
        adapter.add_composites(realm, "manager", ["https://oa.example/sp/approve"])
        group = adapter.create_group(realm, None, "A", {})
        adapter.add_group_roles(realm, group, ["https://oa.example/sp/approve"])

        live = adapter.read(realm)
        assert [(r.client, r.name) for r in live.client_roles] == [("https://oa.example/sp", "approve")]
        assert role(live, "manager").composites == ["https://oa.example/sp/approve"]
        assert live.groups[0].client_roles == {"https://oa.example/sp": ["approve"]}

    def test_an_unknown_client_or_client_role_is_an_error_naming_it(self, adapter, realm):
        self.app_client(adapter, realm)
        adapter.create_client_role(realm, "oa", "approve", None, {})
        adapter.create_role(realm, "employee", None, {})
        group = adapter.create_group(realm, None, "A", {})
        for ref in ("nope/approve", "oa/nope"):
            assert_not_found(
                lambda ref=ref: adapter.add_composites(realm, "employee", [ref]),
                lambda ref=ref: adapter.remove_composites(realm, "employee", [ref]),
                lambda ref=ref: adapter.add_composites(realm, ref, ["employee"]),
                lambda ref=ref: adapter.add_group_roles(realm, group, [ref]),
                lambda ref=ref: adapter.remove_group_roles(realm, group, [ref]),
                lambda ref=ref: adapter.update_client_role(realm, *ref.split("/"), None, {}),
                lambda ref=ref: adapter.delete_client_role(realm, *ref.split("/")),
                naming=ref,
            )
        assert_not_found(lambda: adapter.create_client_role(realm, "nope", "x", None, {}), naming="nope")
        # one unknown role in a grant changes nothing, whatever the order
        with pytest.raises(KeycloakError, match="404"):
            adapter.add_group_roles(realm, group, ["employee", "oa/approve", "nope/approve"])
        with pytest.raises(KeycloakError, match="404"):
            adapter.add_composites(realm, "employee", ["oa/approve", "oa/nope"])
        live = adapter.read(realm)
        assert (live.groups[0].role_refs(), role(live, "employee").composites) == ([], [])

    # -- user profile and people -------------------------------------------------------------------------

    def test_declared_user_attributes_survive_and_undeclared_are_dropped(self, adapter, realm):
        profile = adapter.read(realm).user_profile
        declared = {"name": "employee_id", "displayName": "工号", "permissions": {"view": ["admin"], "edit": ["admin"]}}
        adapter.set_user_profile(realm, {**profile, "attributes": [*profile["attributes"], declared]})
        assert "employee_id" in {a["name"] for a in adapter.read(realm).user_profile["attributes"]}

        user = adapter.create_user(realm, {
            "username": "chen.jing", "enabled": True,
            "attributes": {"employee_id": ["XH000042"], "undeclared": ["lost"]},
        })

        stored = adapter.read_user(realm, user)
        assert stored["username"] == "chen.jing"
        assert stored["attributes"] == {"employee_id": ["XH000042"]}

    def test_a_username_is_unique(self, adapter, realm):
        self.user(adapter, realm, "sun.li")
        with pytest.raises(Conflict):
            self.user(adapter, realm, "sun.li")

    def test_members_are_the_direct_members(self, adapter, realm):
        top = adapter.create_group(realm, None, "集团", {})
        child = adapter.create_group(realm, top, "部门", {})
        first, second = self.user(adapter, realm, "zhou.min"), self.user(adapter, realm, "wu.gang")
        adapter.add_member(realm, child, first)
        adapter.add_member(realm, child, second)
        adapter.add_member(realm, child, first)  # again: nothing changes
        assert sorted(adapter.members(realm, child)) == sorted([first, second])
        assert adapter.members(realm, top) == []

    def test_an_unknown_user_is_an_error(self, adapter, realm):
        group = adapter.create_group(realm, None, "A", {})
        with pytest.raises(KeycloakError, match="404"):
            adapter.read_user(realm, NOBODY)
        with pytest.raises(KeycloakError, match="404"):
            adapter.add_member(realm, group, NOBODY)

    # -- people in bulk: what sync reads and writes ------------------------------------------------------

    def declare(self, adapter: RealmAdapter, realm: str, *names: str) -> None:
        """Declare user attributes in the realm's user profile, so that Keycloak keeps them."""
        profile = adapter.read_user_profile(realm)
        declared = [{"name": name, "permissions": {"view": ["admin"], "edit": ["admin"]}} for name in names]
        adapter.set_user_profile(realm, {**profile, "attributes": [*profile["attributes"], *declared]})

    def test_read_users_gives_every_user_with_the_memberships_asked_for(self, adapter, realm):
        self.declare(adapter, realm, "employee_id")
        top = adapter.create_group(realm, None, "集团", {})
        department = adapter.create_group(realm, top, "技术部", {})
        other = adapter.create_group(realm, None, "手工组", {})
        zhang = adapter.create_user(realm, {
            "username": "Zhang.Wei", "enabled": True, "firstName": "伟", "lastName": "张", "email": "Zhang.Wei@Xinghe.cn",
            "attributes": {"employee_id": ["XH000001"], "undeclared": ["lost"]},
        })
        li = self.user(adapter, realm, "li.na")
        for group in (department, other):
            adapter.add_member(realm, group, zhang)
        adapter.add_member(realm, top, li)

        users = adapter.read_users(realm, [top, department])

        # by username; usernames and emails in lower case; only the asked-for groups, direct membership only
        assert [user.username for user in users] == ["li.na", "zhang.wei"]
        assert users[1] == LiveUser(zhang, "zhang.wei", True, "伟", "张", "zhang.wei@xinghe.cn", False,
                                    {"employee_id": ["XH000001"]}, {department}, set())
        assert (users[0].id, users[0].groups, users[0].attribute("employee_id")) == (li, {top}, None)
        assert [user.groups for user in adapter.read_users(realm)] == [set(), set()]
        assert_not_found(lambda: adapter.read_users(realm, [NOBODY]))

    def test_import_users_creates_the_new_and_skips_who_exists(self, adapter, realm):
        self.declare(adapter, realm, "employee_id")
        top = adapter.create_group(realm, None, "集团", {})
        department = adapter.create_group(realm, top, "技术部", {})
        existing = adapter.create_user(realm, {"username": "zhang.wei", "email": "zw@xinghe.cn", "enabled": True})
        users = [
            {"username": "Wang.Fang", "enabled": True, "email": "wf@xinghe.cn", "groups": ["/集团/技术部"],
             "attributes": {"employee_id": ["XH000002"], "undeclared": ["lost"]}},
            {"username": "ZHANG.WEI", "enabled": True},  # the username exists, in another case
            {"username": "zhao.lei", "enabled": True, "email": "ZW@xinghe.cn"},  # the email exists
            {"username": "li.na", "enabled": False, "groups": ["/集团"]},
        ]

        created = adapter.import_users(realm, users, chunk_size=3)

        assert set(created) == {"Wang.Fang", "ZHANG.WEI", "zhao.lei", "li.na"}
        assert created["ZHANG.WEI"] is created["zhao.lei"] is None
        live = {user.username: user for user in adapter.read_users(realm, [top, department])}
        assert set(live) == {"zhang.wei", "wang.fang", "li.na"} and live["zhang.wei"].id == existing
        wang = live["wang.fang"]
        assert (wang.id, wang.groups, wang.attributes, wang.email) == (created["Wang.Fang"], {department},
                                                                       {"employee_id": ["XH000002"]}, "wf@xinghe.cn")
        assert (live["li.na"].id, live["li.na"].enabled, live["li.na"].groups) == (created["li.na"], False, {top})
        # nothing is overwritten: the existing user is as it was
        assert (live["zhang.wei"].enabled, live["zhang.wei"].email) == (True, "zw@xinghe.cn")

    def test_imported_users_get_the_default_roles_as_created_ones_do(self, adapter, realm):
        created = adapter.import_users(realm, [{"username": "wang.fang", "enabled": True}])
        single = self.user(adapter, realm, "li.na")
        default = [f"default-roles-{realm}"]
        assert adapter.read_user_roles(realm, created["wang.fang"]) == adapter.read_user_roles(realm, single) == default

    def test_role_holders_are_the_users_granted_a_role_directly(self, adapter, realm):
        adapter.create_role(realm, "auditor", None, {})
        adapter.create_client(realm, {"clientId": "wiki", "protocol": "openid-connect"})
        adapter.create_client_role(realm, "wiki", "reader", None, {})
        group = adapter.create_group(realm, None, "集团", {})
        adapter.add_group_roles(realm, group, ["auditor"])
        created = adapter.import_users(realm, [{"username": "wang.fang", "enabled": True, "realmRoles": ["auditor"]},
                                               {"username": "li.na", "enabled": True, "groups": ["/集团"]}])
        assert adapter.role_holders(realm, "auditor") == [created["wang.fang"]]  # li.na holds it through a group
        assert sorted(adapter.role_holders(realm, f"default-roles-{realm}")) == sorted(created.values())
        assert adapter.role_holders(realm, "wiki/reader") == []
        with pytest.raises(KeycloakError, match="404"):
            adapter.role_holders(realm, "no-such-role")

    def test_realm_roles_are_granted_to_a_user_and_taken_away(self, adapter, realm):
        for name in ("auditor", "approver", "by-hand"):
            adapter.create_role(realm, name, None, {})
        group = adapter.create_group(realm, None, "集团", {})
        adapter.add_group_roles(realm, group, ["approver"])
        user = self.user(adapter, realm, "wang.fang")
        adapter.add_member(realm, group, user)
        adapter.add_user_roles(realm, user, ["by-hand"])
        default = f"default-roles-{realm}"

        adapter.add_user_roles(realm, user, ["auditor", "approver"])
        adapter.add_user_roles(realm, user, ["auditor"])  # held already: nothing changes
        assert adapter.read_user_roles(realm, user) == sorted(["approver", "auditor", "by-hand", default])
        assert adapter.role_holders(realm, "approver") == [user]

        # a role not held is no error; a grant through a group stays when the direct one goes
        adapter.remove_user_roles(realm, user, ["approver", "auditor"])
        adapter.remove_user_roles(realm, user, ["auditor"])
        assert adapter.read_user_roles(realm, user) == sorted(["by-hand", default])
        assert adapter.role_holders(realm, "approver") == []
        assert by_name(adapter.read(realm))["集团"].realm_roles == ["approver"]

    def test_granting_an_unknown_role_or_to_an_unknown_user_changes_nothing(self, adapter, realm):
        adapter.create_role(realm, "auditor", None, {})
        user = self.user(adapter, realm, "wang.fang")
        before = adapter.read_user_roles(realm, user)
        for edit in (adapter.add_user_roles, adapter.remove_user_roles):
            with pytest.raises(KeycloakError, match="404"):
                edit(realm, user, ["auditor", "no-such-role"])
            with pytest.raises(KeycloakError, match="404"):
                edit(realm, NOBODY, ["auditor"])
        assert adapter.read_user_roles(realm, user) == before

    def test_a_role_made_again_is_granted_by_its_new_self(self, adapter, realm):
        adapter.create_role(realm, "auditor", None, {})
        first, second = self.user(adapter, realm, "wang.fang"), self.user(adapter, realm, "li.na")
        adapter.add_user_roles(realm, first, ["auditor"])
        adapter.delete_role(realm, "auditor")
        adapter.create_role(realm, "auditor", None, {})
        adapter.add_user_roles(realm, second, ["auditor"])
        assert adapter.role_holders(realm, "auditor") == [second]

    def test_an_import_into_a_missing_group_names_it_and_stops_there(self, adapter, realm):
        adapter.create_group(realm, None, "集团", {})
        users = [{"username": f"u{n}", "enabled": True, "groups": ["/集团"]} for n in range(4)]
        users[2]["groups"] = ["/集团/没有"]
        with pytest.raises(KeycloakError, match="u2.*no group /集团/没有") as caught:
            adapter.import_users(realm, users)
        assert not isinstance(caught.value, Conflict)
        # the users before it are in; it and those after it are not
        assert [user.username for user in adapter.read_users(realm)] == ["u0", "u1"]

    def test_an_import_with_the_same_username_twice_is_a_conflict(self, adapter, realm):
        with pytest.raises(Conflict):
            adapter.import_users(realm, [{"username": "li.na"}, {"username": "Li.Na"}])
        with pytest.raises(Conflict):
            adapter.import_users(realm, [{"username": "a1", "email": "x@xinghe.cn"}, {"username": "a2", "email": "x@xinghe.cn"}])
        assert adapter.read_users(realm) == []

    def test_update_user_merges_fields_and_replaces_attributes(self, adapter, realm):
        self.declare(adapter, realm, "employee_id", "title")
        user = adapter.create_user(realm, {
            "username": "chen.jing", "enabled": True, "firstName": "静", "lastName": "陈", "email": "cj@xinghe.cn",
            "attributes": {"employee_id": ["XH000042"], "title": ["工程师"]},
        })
        adapter.update_user(realm, user, {"enabled": False, "lastName": "程"})
        stored = adapter.read_user(realm, user)
        # fields left out stay, attributes included
        assert (stored["enabled"], stored["firstName"], stored["lastName"], stored["email"]) == (False, "静", "程", "cj@xinghe.cn")
        assert stored["attributes"] == {"employee_id": ["XH000042"], "title": ["工程师"]}

        names = {"firstName": "静", "lastName": "程", "email": "cj@xinghe.cn"}
        adapter.update_user(realm, user, {**names, "attributes": {"employee_id": ["XH000042"], "undeclared": ["x"]}})
        # attributes given replace the whole map
        stored = adapter.read_user(realm, user)
        assert (stored["attributes"], {key: stored.get(key) for key in names}) == ({"employee_id": ["XH000042"]}, names)

        adapter.update_user(realm, user, {"firstName": "晶", "attributes": {"employee_id": ["XH000043"]}})
        # Keycloak takes them for the whole user profile: the names and email not given beside them are cleared
        stored = adapter.read_user(realm, user)
        assert (stored["firstName"], stored.get("lastName"), stored.get("email")) == ("晶", None, None)
        adapter.update_user(realm, user, {"email": "cj@xinghe.cn"})

        other = self.user(adapter, realm, "li.na")
        with pytest.raises(Conflict):
            adapter.update_user(realm, other, {"email": "CJ@xinghe.cn"})

    def test_memberships_end_and_deleted_users_go(self, adapter, realm):
        group = adapter.create_group(realm, None, "集团", {})
        user, other = self.user(adapter, realm, "zhou.min"), self.user(adapter, realm, "wu.gang")
        for member in (user, other):
            adapter.add_member(realm, group, member)
        adapter.logout_user(realm, user)

        adapter.remove_member(realm, group, user)
        adapter.remove_member(realm, group, user)  # again: nothing changes
        assert adapter.members(realm, group) == [other]

        adapter.delete_user(realm, other)
        assert (adapter.members(realm, group), [u.id for u in adapter.read_users(realm)]) == ([], [user])
        assert_not_found(
            lambda: adapter.read_user(realm, other),
            lambda: adapter.update_user(realm, other, {"enabled": False}),
            lambda: adapter.logout_user(realm, other),
            lambda: adapter.delete_user(realm, other),
            lambda: adapter.remove_member(realm, group, other),
        )

    def test_organization_members_are_added_read_and_removed(self, adapter, organizations):
        realm = organizations
        org = adapter.create_organization(realm, "星河集团", "xinghe", [], MANAGED)
        other = adapter.create_organization(realm, "星河控股", "xh", [], MANAGED)
        user, outsider = self.user(adapter, realm, "zhou.min"), self.user(adapter, realm, "wu.gang")
        adapter.add_organization_member(realm, org, user)
        adapter.add_organization_member(realm, org, user)  # again: nothing changes
        adapter.add_organization_member(realm, other, outsider)

        users = {u.username: u.organizations for u in adapter.read_users(realm, organization_ids=[org])}
        assert users == {"zhou.min": {org}, "wu.gang": set()}

        adapter.remove_organization_member(realm, org, user)
        assert [u.organizations for u in adapter.read_users(realm, organization_ids=[org, other])] == [{other}, set()]
        assert_not_found(lambda: adapter.remove_organization_member(realm, org, user),
                         lambda: adapter.add_organization_member(realm, NOBODY, user))

    def test_realm_attributes_are_merged(self, adapter, realm):
        before = adapter.read_realm_attributes(realm)
        adapter.set_realm_attributes(realm, {"groupid.sync.last": "2025-01-01"})
        adapter.set_realm_attributes(realm, {"groupid.sync.note": "星河"})
        adapter.set_realm_attributes(realm, {"groupid.sync.last": "2025-01-02"})
        assert adapter.read_realm_attributes(realm) == {**before, "groupid.sync.last": "2025-01-02", "groupid.sync.note": "星河"}

    def test_a_lock_is_held_by_one_until_released(self, adapter, realm):
        first, second = {"host": "a", "pid": "1"}, {"host": "b", "pid": "2"}
        live = adapter.read(realm)
        assert adapter.acquire_lock(realm, "groupid.sync", first) is None
        assert adapter.acquire_lock(realm, "groupid.sync", second) == first
        # the lock is no part of the realm's design
        assert adapter.read(realm) == live

        adapter.release_lock(realm, "groupid.sync")
        adapter.release_lock(realm, "groupid.sync")  # not held: nothing happens
        assert adapter.acquire_lock(realm, "groupid.sync", second) is None
        assert adapter.acquire_lock(realm, "groupid.sync", first) == second

    def test_a_lock_is_a_client_scope_not_a_role(self, adapter, realm):
        # deleting a role makes Keycloak drop every cached user of the realm; deleting a client scope does not
        assert adapter.acquire_lock(realm, "groupid.sync", {"host": "a"}) is None
        assert adapter.read_role_attributes(realm, "groupid.sync") is None
        assert adapter.read_client_scope_attributes(realm, "groupid.sync") == {"host": "a", LOCK_MARK: "true"}
        adapter.renew_lock(realm, "groupid.sync", {"host": "a", "renewed": "now"})
        assert adapter.acquire_lock(realm, "groupid.sync", {"host": "b"}) == {"host": "a", "renewed": "now"}
        adapter.release_lock(realm, "groupid.sync")
        assert adapter.read_client_scope_attributes(realm, "groupid.sync") is None

    def test_a_lock_an_older_groupid_keeps_as_a_role_is_honoured_and_broken_as_one(self, adapter, realm):
        adapter.create_role(realm, "groupid.sync", "held by a running groupid", {"host": ["old"], LOCK_MARK: ["true"]})
        held = adapter.acquire_lock(realm, "groupid.sync", {"host": "new"})
        assert held == {"host": "old", KEPT_AS_ROLE: "true"}
        assert adapter.read_client_scope_attributes(realm, "groupid.sync") is None  # given back at once
        assert adapter.acquire_lock(realm, "groupid.sync", {"host": "new"}) == held
        adapter.release_lock(realm, "groupid.sync", held)  # broken: the role goes
        assert adapter.read_role_attributes(realm, "groupid.sync") is None
        assert adapter.acquire_lock(realm, "groupid.sync", {"host": "new"}) is None
        # a role of that name that is no lock takes nothing from anyone
        adapter.release_lock(realm, "groupid.sync")
        adapter.create_role(realm, "groupid.sync", None, {})
        assert adapter.acquire_lock(realm, "groupid.sync", {"host": "new"}) is None

    def test_client_scopes_are_created_once_read_updated_and_discarded_by_name(self, adapter, realm):
        adapter.create_client_scope(realm, "groupid-x", "d", {"k": "值"})
        with pytest.raises(Conflict):
            adapter.create_client_scope(realm, "groupid-x", None, {})
        with pytest.raises(Conflict):
            adapter.create_client_scope(realm, "email", None, {})  # Keycloak's own names are taken too
        assert adapter.read_client_scope_attributes(realm, "groupid-x") == {"k": "值"}
        adapter.update_client_scope(realm, "groupid-x", None, {"k": "v2", "n": "1"})
        assert adapter.read_client_scope_attributes(realm, "groupid-x") == {"k": "v2", "n": "1"}
        adapter.discard_client_scope(realm, "groupid-x")
        adapter.discard_client_scope(realm, "groupid-x")  # none: nothing happens
        assert adapter.read_client_scope_attributes(realm, "groupid-x") is None
        with pytest.raises(KeycloakError, match="404"):
            adapter.update_client_scope(realm, "groupid-x", None, {})

    def test_of_many_creations_of_one_client_scope_at_once_exactly_one_succeeds(self, adapter, realm):
        def create(round_and_n):
            try:
                adapter.create_client_scope(realm, f"groupid-race-{round_and_n[0]}", None, {"n": str(round_and_n[1])})
                return True
            except Conflict:
                return False

        with ThreadPoolExecutor(max_workers=4) as pool:
            for round_ in range(5):
                won = list(pool.map(create, [(round_, n) for n in range(4)]))
                assert won.count(True) == 1, won
                winner = won.index(True)
                assert adapter.read_client_scope_attributes(realm, f"groupid-race-{round_}") == {"n": str(winner)}

    def test_people_calls_from_several_threads_all_land(self, adapter, realm):
        self.declare(adapter, realm, "title")
        ids = adapter.import_users(realm, [{"username": f"u{n:02d}", "enabled": True} for n in range(50)])
        with ThreadPoolExecutor(max_workers=8) as pool:
            list(pool.map(lambda item: adapter.update_user(realm, item[1], {"attributes": {"title": [item[0]]}}),
                          ids.items()))
        titles = {user.username: user.attribute("title") for user in adapter.read_users(realm)}
        assert titles == {username: username for username in ids}

    # -- organizations -----------------------------------------------------------------------------------

    def test_organizations_are_off_until_turned_on_and_hidden_while_off(self, adapter, realm):
        assert_not_found(lambda: adapter.create_organization(realm, "星河集团", "xinghe", [], {}))

        adapter.update_realm(realm, "契约测试", organizations_enabled=True)
        org = adapter.create_organization(realm, "星河集团", "xinghe", ["xinghe.cn"], {})
        adapter.update_realm(realm, "星河")  # no organizations_enabled: left as it is
        live = adapter.read(realm)
        assert (live.display_name, live.organizations_enabled, [o.id for o in live.organizations]) == ("星河", True, [org])

        adapter.update_realm(realm, "星河", organizations_enabled=False)
        live = adapter.read(realm)
        assert (live.display_name, live.organizations_enabled, live.organizations) == ("星河", False, [])
        # turned off, Organizations are hidden, not deleted
        adapter.update_realm(realm, "星河", organizations_enabled=True)
        assert [o.id for o in adapter.read(realm).organizations] == [org]

    def test_organizations_are_created_read_updated_and_deleted(self, adapter, organizations):
        realm = organizations
        org = adapter.create_organization(realm, "星河集团", "xinghe", ["xinghe.cn", "XH.cn"], code("XH"))
        # domains come back in lower case, sorted
        created = LiveOrganization(org, "星河集团", "xinghe", ["xh.cn", "xinghe.cn"], code("XH"), enabled=True)
        assert adapter.read(realm).organizations == [created]

        adapter.update_organization(realm, org, "星河控股", ["xinghe.com"], {**MANAGED, "region": ["上海"]})
        # domains and attributes are replaced, the alias stays
        changed = LiveOrganization(org, "星河控股", "xinghe", ["xinghe.com"], {**MANAGED, "region": ["上海"]}, enabled=True)
        assert adapter.read(realm).organizations == [changed]

        adapter.delete_organization(realm, org)
        assert adapter.read(realm).organizations == []

    def test_an_organization_needs_no_domain(self, adapter, organizations):
        org = adapter.create_organization(organizations, "星河集团", "xinghe", [], MANAGED)
        assert find(adapter.read(organizations).organizations, id=org).domains == []
        adapter.update_organization(organizations, org, "星河集团", ["xinghe.cn"], MANAGED)
        adapter.update_organization(organizations, org, "星河集团", [], MANAGED)
        assert find(adapter.read(organizations).organizations, id=org).domains == []

    def test_two_organizations_cannot_share_a_domain(self, adapter, organizations):
        realm = organizations
        a = adapter.create_organization(realm, "A", "a", ["a.cn"], {})
        with pytest.raises(Conflict):
            adapter.create_organization(realm, "B", "b", ["b.cn", "A.CN"], {})
        b = adapter.create_organization(realm, "B", "b", ["b.cn"], {})
        with pytest.raises(Conflict):
            adapter.update_organization(realm, b, "B", ["b.cn", "a.cn"], {})
        assert {o.alias: o.domains for o in adapter.read(realm).organizations} == {"a": ["a.cn"], "b": ["b.cn"]}

        # once the other organization gives it up, the domain is free
        adapter.update_organization(realm, a, "A", [], {})
        adapter.update_organization(realm, b, "B", ["b.cn", "a.cn"], {})
        assert {o.alias: o.domains for o in adapter.read(realm).organizations} == {"a": [], "b": ["a.cn", "b.cn"]}

    def test_organization_names_and_aliases_are_unique(self, adapter, organizations):
        realm = organizations
        adapter.create_organization(realm, "A", "a", [], {})
        b = adapter.create_organization(realm, "B", "b", [], {})
        for write in (
            lambda: adapter.create_organization(realm, "A", "other", [], {}),
            lambda: adapter.create_organization(realm, "Other", "a", [], {}),
            lambda: adapter.update_organization(realm, b, "A", [], {}),
        ):
            with pytest.raises(Conflict):
                write()
        assert sorted((o.name, o.alias) for o in adapter.read(realm).organizations) == [("A", "a"), ("B", "b")]

    def test_an_unknown_organization_is_an_error_not_a_conflict(self, adapter, organizations):
        assert_not_found(
            lambda: adapter.update_organization(organizations, NOBODY, "x", [], {}),
            lambda: adapter.delete_organization(organizations, NOBODY),
        )

    # -- clients -----------------------------------------------------------------------------------------

    def test_clients_are_created_read_updated_and_deleted(self, adapter, realm):
        client_uuid = adapter.create_client(realm, broker_client("xinghe"))
        created = find(adapter.read(realm).clients, client_id="company-xinghe")
        assert (created.id, created.name, created.enabled, created.public_client) == (client_uuid, "星河", True, False)
        # a root URL Keycloak fills in, and a redirect URI relative to it
        assert (created.root_url, created.redirect_uris) == ("${authBaseUrl}", ["/realms/xinghe/broker/group/endpoint"])
        assert created.attributes[ATTR_MANAGED] == "true"

        adapter.update_client(realm, client_uuid, {"name": "星河控股"})
        renamed = find(adapter.read(realm).clients, id=client_uuid)
        assert renamed == dataclasses.replace(created, name="星河控股")

        uris = ["/realms/xinghe/broker/group/endpoint", "/realms/xh/broker/group/endpoint"]
        adapter.update_client(realm, client_uuid, {"enabled": False, "redirectUris": uris, "attributes": {"note": "x"}})
        changed = find(adapter.read(realm).clients, id=client_uuid)
        # attributes are merged key by key: the managed mark stays
        expected = dataclasses.replace(renamed, enabled=False, redirect_uris=uris, attributes={**renamed.attributes, "note": "x"})
        assert changed == expected
        # an empty value removes an attribute
        adapter.update_client(realm, client_uuid, {"attributes": {"note": ""}})
        assert find(adapter.read(realm).clients, id=client_uuid).attributes == renamed.attributes

        adapter.delete_client(realm, client_uuid)
        assert {client.client_id for client in adapter.read(realm).clients} == BUILT_IN_CLIENTS

    def test_a_confidential_client_has_a_secret_and_a_public_one_none(self, adapter, realm):
        client_uuid = adapter.create_client(realm, broker_client("xinghe"))
        secret = adapter.client_secret(realm, "company-xinghe")
        assert isinstance(secret, str) and len(secret) >= 16
        assert secret not in repr(adapter.read(realm))
        adapter.update_client(realm, client_uuid, {"name": "星河控股"})
        assert adapter.client_secret(realm, "company-xinghe") == secret

        adapter.create_client(realm, {**broker_client("xh", "company-xh"), "secret": "given-secret"})
        assert adapter.client_secret(realm, "company-xh") == "given-secret"
        with pytest.raises(KeycloakError, match="public or bearer-only"):
            adapter.client_secret(realm, "admin-cli")

    def test_a_client_id_is_unique(self, adapter, realm):
        adapter.create_client(realm, broker_client("xinghe"))
        other = adapter.create_client(realm, broker_client("xh", "company-xh"))
        with pytest.raises(Conflict):
            adapter.create_client(realm, broker_client("xinghe"))
        with pytest.raises(Conflict):
            adapter.update_client(realm, other, {"clientId": "company-xinghe"})
        assert find(adapter.read(realm).clients, id=other).client_id == "company-xh"

    def test_an_unknown_client_is_an_error_not_a_conflict(self, adapter, realm):
        assert_not_found(
            lambda: adapter.update_client(realm, NOBODY, {"name": "x"}),
            lambda: adapter.delete_client(realm, NOBODY),
            # the clientId is matched exactly
            lambda: adapter.client_secret(realm, "company"),
        )

    def app_mappers(self, client_id: str) -> list[dict]:
        """Two protocol mappers an app's client carries."""
        tokens = {"id.token.claim": "true", "access.token.claim": "true"}
        return [
            {"name": "groups", "protocol": "openid-connect", "protocolMapper": "oidc-group-membership-mapper",
             "config": {"claim.name": "groups", "full.path": "true", **tokens}},
            {"name": "audience", "protocol": "openid-connect", "protocolMapper": "oidc-audience-mapper",
             "config": {"included.client.audience": client_id, **tokens}},
        ]

    def test_a_client_is_created_with_its_mappers_and_default_scopes(self, adapter, realm):
        adapter.create_client(realm, {"clientId": "wiki", "protocolMappers": self.app_mappers("wiki"),
                                      "defaultClientScopes": ["basic", "profile"]})
        adapter.create_client(realm, {"clientId": "plain"})
        wiki, plain = (find(adapter.read(realm).clients, client_id=c) for c in ("wiki", "plain"))
        assert [m["name"] for m in wiki.protocol_mappers] == ["audience", "groups"]
        assert wiki.protocol_mappers[1]["config"]["claim.name"] == "groups"
        assert wiki.default_client_scopes == ["basic", "profile"]
        # named none, a client gets the realm's default scopes for its protocol
        assert plain.default_client_scopes == ["acr", "basic", "email", "profile", "roles", "web-origins"]

    def test_an_update_brings_mappers_and_scopes_in_line_and_keeps_the_rest(self, adapter, realm):
        uuid_ = adapter.create_client(realm, {"clientId": "wiki", "protocolMappers": self.app_mappers("wiki"),
                                              "defaultClientScopes": ["basic"], "consentRequired": True,
                                              "attributes": {"by.hand": "x"}})
        groups, audience = self.app_mappers("wiki")
        groups["config"]["claim.name"] = "teams"
        roles = {"name": "roles", "protocol": "openid-connect", "protocolMapper": "oidc-usermodel-client-role-mapper",
                 "config": {"claim.name": "roles", "usermodel.clientRoleMapping.clientId": "wiki", "multivalued": "true"}}
        # "address" is an optional scope of a new client: made a default one, it stops being optional
        adapter.update_client(realm, uuid_, {"description": "知识库", "protocolMappers": [groups, roles],
                                             "defaultClientScopes": ["basic", "email", "address"]})
        wiki = find(adapter.read(realm).clients, id=uuid_)
        assert [m["name"] for m in wiki.protocol_mappers] == ["groups", "roles"]
        assert wiki.protocol_mappers[0]["config"]["claim.name"] == "teams"
        assert wiki.default_client_scopes == ["address", "basic", "email"]
        assert wiki.settings["description"] == "知识库" and wiki.settings["consentRequired"] is True
        assert wiki.attributes["by.hand"] == "x"
        with pytest.raises(KeycloakError, match="no client scope 'nope'"):
            adapter.update_client(realm, uuid_, {"defaultClientScopes": ["basic", "nope"]})

    def test_a_secret_is_rotated_to_a_new_one(self, adapter, realm):
        adapter.create_client(realm, {"clientId": "wiki"})
        before = adapter.client_secret(realm, "wiki")
        rotated = adapter.rotate_client_secret(realm, "wiki")
        assert rotated != before and adapter.client_secret(realm, "wiki") == rotated
        with pytest.raises(KeycloakError, match="public or bearer-only"):
            adapter.rotate_client_secret(realm, "admin-cli")
        assert_not_found(lambda: adapter.rotate_client_secret(realm, "nope"))

    def sign_in(self, adapter: RealmAdapter, realm: str, username: str, password: str, client_id: str) -> None:
        """A session of ``username`` with the client: in memory its stand-in (a real server overrides this)."""
        user_id = find(adapter.read_users(realm), username=username).id
        adapter.open_session(realm, user_id, client_id)

    def test_users_without_a_clients_role_are_signed_out_of_it(self, adapter, realm):
        adapter.create_client(realm, {"clientId": "wiki", "directAccessGrantsEnabled": True, "secret": "wiki-secret-1"})
        adapter.create_client_role(realm, "wiki", "access", None, {})
        adapter.create_role(realm, "ops", None, {})
        adapter.add_composites(realm, "ops", ["wiki/access"])
        parent = adapter.create_group(realm, None, "科技", {})
        child = adapter.create_group(realm, parent, "运维部", {})
        ids = {}
        for name in ("inherits", "composite", "outsider"):
            ids[name] = adapter.create_user(realm, {
                "username": name, "enabled": True, "email": f"{name}@example.cn", "emailVerified": True,
                "firstName": name, "lastName": "测试",
                "credentials": [{"type": "password", "value": f"pw-{name}", "temporary": False}]})
        adapter.add_group_roles(realm, parent, ["wiki/access"])
        adapter.add_member(realm, child, ids["inherits"])  # through the parent group
        other = adapter.create_group(realm, None, "其他", {})
        adapter.add_group_roles(realm, other, ["ops"])
        adapter.add_member(realm, other, ids["composite"])  # through a composite
        for name in ids:
            self.sign_in(adapter, realm, name, f"pw-{name}", "wiki")
        assert sorted(adapter.client_session_users(realm, "wiki")) == sorted(ids.values())
        assert adapter.user_client_roles(realm, ids["inherits"], "wiki") == ["access"]
        assert adapter.user_client_roles(realm, ids["composite"], "wiki") == ["access"]
        assert adapter.user_client_roles(realm, ids["outsider"], "wiki") == []

        assert adapter.sign_out_without(realm, "wiki", "access") == 1
        assert sorted(adapter.client_session_users(realm, "wiki")) == sorted([ids["inherits"], ids["composite"]])

    # -- identity providers ------------------------------------------------------------------------------

    def test_a_realm_links_to_another_through_a_client_and_an_identity_provider(self, adapter, realm, other_realm):
        # realm-per-company: the group realm has a client for the company realm, whose identity provider uses it
        adapter.create_client(other_realm, broker_client(realm))
        provider = self.oidc_provider(adapter, other_realm, "company-xinghe", adapter.client_secret(other_realm, "company-xinghe"))
        adapter.create_identity_provider(realm, provider)

        # the config, a key of groupid's own included, reads back without the secret
        expected = LiveIdentityProvider("group", "keycloak-oidc", "星河集团", True, without_secret(provider["config"]))
        assert adapter.read(realm).identity_providers == [expected]
        assert adapter.read_identity_provider(realm, "group")["config"]["clientSecret"] == MASK

        # a config without the secret keeps it (all the admin API shows of a plain secret is that one is there)
        adapter.update_identity_provider(realm, "group", {"config": without_secret(provider["config"])})
        assert adapter.read_identity_provider(realm, "group")["config"]["clientSecret"] == MASK

        adapter.delete_identity_provider(realm, "group")
        assert adapter.read(realm).identity_providers == []

    def test_updating_an_identity_provider_keeps_its_secret(self, adapter, realm, other_realm):
        # Keycloak masks a stored secret but shows a vault reference as it is: with one as the secret, the admin
        # API shows whether the stored secret is still the same
        provider = self.oidc_provider(adapter, other_realm, "company-xinghe", "${vault.group-secret}")
        adapter.create_identity_provider(realm, provider)
        config = {key: value for key, value in without_secret(provider["config"]).items() if key != "logoutUrl"}

        adapter.update_identity_provider(realm, "group", {"displayName": "集团", "config": config})
        stored = adapter.read_identity_provider(realm, "group")
        # the given config replaced the old one (no logoutUrl), but for the secret
        assert stored["config"] == {**config, "clientSecret": "${vault.group-secret}"}
        assert adapter.read(realm).identity_providers == [LiveIdentityProvider("group", "keycloak-oidc", "集团", True, config)]

        adapter.update_identity_provider(realm, "group", {"enabled": False})  # no config: the config stays
        adapter.update_identity_provider(realm, "group", {"config": {**config, "clientSecret": MASK}})
        assert adapter.read_identity_provider(realm, "group")["config"] == {**config, "clientSecret": "${vault.group-secret}"}
        assert adapter.read(realm).identity_providers == [LiveIdentityProvider("group", "keycloak-oidc", "集团", False, config)]

        # a secret given is the new secret
        adapter.update_identity_provider(realm, "group", {"config": {**config, "clientSecret": "${vault.rotated}"}})
        assert adapter.read_identity_provider(realm, "group")["config"]["clientSecret"] == "${vault.rotated}"

    def test_an_identity_provider_alias_is_unique(self, adapter, realm, other_realm):
        adapter.create_identity_provider(realm, self.oidc_provider(adapter, other_realm, "company-xinghe", "s1"))
        with pytest.raises(Conflict):
            adapter.create_identity_provider(realm, self.oidc_provider(adapter, other_realm, "company-xh", "s2"))
        assert adapter.read(realm).identity_providers[0].config["clientId"] == "company-xinghe"

    def test_an_unknown_identity_provider_is_an_error_not_a_conflict(self, adapter, realm):
        assert_not_found(
            lambda: adapter.update_identity_provider(realm, "nope", {"displayName": "x"}),
            lambda: adapter.delete_identity_provider(realm, "nope"),
            lambda: adapter.read_identity_provider(realm, "nope"),
        )

    # -- sign-in flows (who may sign in to an app) -------------------------------------------------------

    def app_with_access_role(self, adapter: RealmAdapter, realm: str, client_id: str) -> str:
        """A client with the access role an app's audience holds; its id."""
        client_uuid = self.app_client(adapter, realm, client_id)
        adapter.create_client_role(realm, client_id, ACCESS_ROLE, None, MANAGED)
        return client_uuid

    def test_a_sign_in_flow_is_put_read_replaced_and_deleted(self, adapter, realm):
        # a clientId with dots: Keycloak's role condition spells the role "clientId.name", split at a dot
        self.app_with_access_role(adapter, realm, "oa.xinghe")
        adapter.create_role(realm, "ops", None, MANAGED)
        alias = sign_in_flow_alias("oa.xinghe")
        adapter.put_sign_in_flow(realm, alias, "oa.xinghe", f"oa.xinghe/{ACCESS_ROLE}")
        (flow,) = adapter.read(realm).sign_in_flows
        assert (flow.alias, flow.role, flow.client_id, flow.complete) == (alias, f"oa.xinghe/{ACCESS_ROLE}", "oa.xinghe", True)

        # put again: the same flow checks another role, still bound
        adapter.put_sign_in_flow(realm, alias, "oa.xinghe", "ops")
        assert adapter.read(realm).sign_in_flows == [dataclasses.replace(flow, role="ops")]

        adapter.delete_sign_in_flow(realm, alias)
        assert adapter.read(realm).sign_in_flows == []
        # the client is back on the realm's browser flow, and a flow can be made for it again
        adapter.put_sign_in_flow(realm, alias, "oa.xinghe", "ops")
        assert [f.client_id for f in adapter.read(realm).sign_in_flows] == ["oa.xinghe"]

    def test_a_sign_in_flow_follows_its_client(self, adapter, realm):
        # bound to a second client, the flow is that client's; a deleted client leaves the flow unbound
        self.app_with_access_role(adapter, realm, "oa")
        other = self.app_with_access_role(adapter, realm, "crm")
        alias = sign_in_flow_alias("oa")
        adapter.put_sign_in_flow(realm, alias, "oa", f"oa/{ACCESS_ROLE}")
        adapter.delete_client(realm, find(adapter.read(realm).clients, client_id="oa").id)
        (flow,) = adapter.read(realm).sign_in_flows
        # with the client gone, Keycloak reads "oa.groupid-access" as the name of a realm role, as it is read here
        assert (flow.client_id, flow.role) == (None, f"oa.{ACCESS_ROLE}")
        adapter.put_sign_in_flow(realm, alias, "crm", f"crm/{ACCESS_ROLE}")
        assert [(f.client_id, f.role) for f in adapter.read(realm).sign_in_flows] == [("crm", f"crm/{ACCESS_ROLE}")]
        adapter.delete_client(realm, other)

    def test_only_groupids_flows_are_read(self, adapter, realm):
        # Keycloak's own flows (browser, direct grant, …) are no sign-in flows
        assert adapter.read(realm).sign_in_flows == []

    def test_a_sign_in_flow_needs_its_client_and_role(self, adapter, realm):
        self.app_with_access_role(adapter, realm, "oa")
        alias = sign_in_flow_alias("oa")
        # a role that is not there would let everyone in: Keycloak reads a missing role as not held
        assert_not_found(
            lambda: adapter.put_sign_in_flow(realm, alias, "crm", f"oa/{ACCESS_ROLE}"),
            lambda: adapter.put_sign_in_flow(realm, alias, "oa", "oa/nobody"),
            lambda: adapter.put_sign_in_flow(realm, alias, "oa", "nobody"),
            lambda: adapter.delete_sign_in_flow(realm, alias),
        )
        assert adapter.read(realm).sign_in_flows == []

    # -- LDAP federations: components ------------------------------------------------------------------------

    LDAP_CONFIG = {
        "enabled": ["true"], "vendor": ["other"], "connectionUrl": ["ldap://127.0.0.1:1"], "authType": ["simple"],
        "bindDn": ["cn=reader,dc=example,dc=com"], BIND_CREDENTIAL: ["bind-secret"],
        "usersDn": ["ou=people,dc=example,dc=com"], "userObjectClasses": ["inetOrgPerson, organizationalPerson"],
        "usernameLDAPAttribute": ["uid"], "rdnLDAPAttribute": ["uid"], "uuidLDAPAttribute": ["entryUUID"],
        "searchScope": ["2"], "editMode": ["READ_ONLY"], "importEnabled": ["true"], "syncRegistrations": ["false"],
        "fullSyncPeriod": ["-1"], "changedSyncPeriod": ["-1"], "pagination": ["true"],
    }
    GROUP_MAPPER_CONFIG = {
        "groups.dn": ["ou=groups,dc=example,dc=com"], "group.name.ldap.attribute": ["cn"],
        "group.object.classes": ["groupOfNames"], "membership.ldap.attribute": ["member"],
        "membership.attribute.type": ["DN"], "membership.user.ldap.attribute": ["uid"], "mode": ["READ_ONLY"],
        "preserve.group.inheritance": ["true"], "user.roles.retrieve.strategy": ["LOAD_GROUPS_BY_MEMBER_ATTRIBUTE"],
    }

    def ldap_federation(self, adapter, realm, name: str = "corp") -> str:
        """An LDAP federation of the realm (no server behind it: nothing here connects), with a group mapper."""
        federation = adapter.create_component(realm, {
            "name": name, "providerId": LDAP_PROVIDER, "providerType": USER_STORAGE_TYPE, "subType": MANAGED_SUBTYPE,
            "config": {**self.LDAP_CONFIG, "groupid.unknown": ["kept?"]}})
        adapter.create_component(realm, {"name": "groups", "providerId": GROUP_MAPPER_PROVIDER,
                                         "providerType": LDAP_MAPPER_TYPE, "parentId": federation,
                                         "subType": MANAGED_SUBTYPE, "config": self.GROUP_MAPPER_CONFIG})
        return federation

    def test_an_ldap_federation_is_read_without_its_password_and_keycloaks_own_mappers(self, adapter, realm):
        assert adapter.read(realm).federations == []
        federation = self.ldap_federation(adapter, realm)
        (live,) = adapter.read(realm).federations
        assert (live.name, live.component.id, live.component.provider_id) == ("corp", federation, LDAP_PROVIDER)
        expected = {key: values for key, values in self.LDAP_CONFIG.items() if key != BIND_CREDENTIAL}
        assert {key: live.component.config.get(key) for key in expected} == expected
        # a config key the provider does not declare is dropped; the subType, groupid's mark, is kept
        assert "groupid.unknown" not in live.component.config
        assert live.component.sub_type == MANAGED_SUBTYPE
        assert BIND_CREDENTIAL not in live.component.config
        assert adapter.read_component(realm, federation)["config"][BIND_CREDENTIAL] == [MASK]
        # the default mappers Keycloak made below it (username, email, …) are not part of the live state
        (mapper,) = live.group_mappers
        assert (mapper.name, mapper.provider_id, mapper.parent_id) == ("groups", GROUP_MAPPER_PROVIDER, federation)
        assert {key: mapper.config.get(key) for key in self.GROUP_MAPPER_CONFIG} == self.GROUP_MAPPER_CONFIG
        assert mapper.sub_type == MANAGED_SUBTYPE

    def test_updating_a_federation_changes_what_is_given_and_keeps_its_password(self, adapter, realm):
        federation = self.ldap_federation(adapter, realm)
        adapter.update_component(realm, federation, {"name": "corp", "config": {
            "usersDn": ["ou=staff,dc=example,dc=com"], BIND_CREDENTIAL: [MASK]}})
        (live,) = adapter.read(realm).federations
        assert live.component.config["usersDn"] == ["ou=staff,dc=example,dc=com"]
        assert (live.component.config["bindDn"], live.component.sub_type) == (
            ["cn=reader,dc=example,dc=com"], MANAGED_SUBTYPE)
        assert adapter.read_component(realm, federation)["config"][BIND_CREDENTIAL] == [MASK]
        adapter.update_component(realm, live.group_mappers[0].id, {"name": "groups", "config": {
            **self.GROUP_MAPPER_CONFIG, "groups.dn": ["ou=teams,dc=example,dc=com"]}})
        (live,) = adapter.read(realm).federations
        assert live.group_mappers[0].config["groups.dn"] == ["ou=teams,dc=example,dc=com"]

    def test_a_federation_made_by_hand_takes_groupids_mark_when_updated_with_it(self, adapter, realm):
        federation = adapter.create_component(realm, {"name": "by-hand", "providerId": LDAP_PROVIDER,
                                                      "providerType": USER_STORAGE_TYPE, "config": self.LDAP_CONFIG})
        assert adapter.read(realm).federations[0].component.sub_type is None
        adapter.update_component(realm, federation, {"name": "by-hand", "subType": MANAGED_SUBTYPE, "config": {}})
        assert adapter.read(realm).federations[0].component.sub_type == MANAGED_SUBTYPE

    def test_deleting_a_federation_deletes_its_mappers(self, adapter, realm):
        federation = self.ldap_federation(adapter, realm)
        (mapper,) = adapter.read(realm).federations[0].group_mappers
        adapter.delete_component(realm, federation)
        assert adapter.read(realm).federations == []
        assert_not_found(
            lambda: adapter.read_component(realm, mapper.id),
            lambda: adapter.read_component(realm, federation),
            lambda: adapter.update_component(realm, NOBODY, {"name": "x", "config": {}}),
            lambda: adapter.delete_component(realm, NOBODY),
        )
