"""The contract every :class:`~groupid.realms.base.RealmAdapter` fulfils, as a reusable test suite.

Subclass :class:`RealmContract`, provide the ``adapter`` fixture and, when realms must not outlive a test,
override :meth:`RealmContract.drop_realm`: every test below then runs against that adapter, each in a fresh
realm. The same tests pass against the real
Keycloak and against :class:`~groupid.realms.memory.MemoryRealms`, which is what lets unit tests trust the
in-memory one.
"""

from __future__ import annotations

import uuid

import pytest

from groupid.errors import Conflict, KeycloakError
from groupid.realms.base import LiveRealm, RealmAdapter
from groupid.state import ATTR_CODE, ATTR_MANAGED

MANAGED = {ATTR_MANAGED: ["true"]}
NOBODY = "00000000-0000-0000-0000-000000000000"  # an id of the right shape that nothing has


def fresh_realm_name() -> str:
    """A realm name no other test uses."""
    return f"contract-{uuid.uuid4().hex[:10]}"


def code(value: str) -> dict[str, list[str]]:
    """The attributes of a managed group with that code."""
    return {ATTR_CODE: [value], **MANAGED}


def by_name(live: LiveRealm) -> dict:
    """The groups of ``live`` by name (the tests give groups unique names)."""
    return {group.name: group for group in live.groups}


def role(live: LiveRealm, name: str):
    """The role ``name`` of ``live``, or None."""
    return next((r for r in live.roles if r.name == name), None)


class RealmContract:
    """The tests every realm adapter passes. Subclasses provide the ``adapter`` fixture."""

    def drop_realm(self, adapter: RealmAdapter, realm: str) -> None:
        """Remove a realm a test made; by default nothing (the interface has no way to delete a realm)."""

    @pytest.fixture
    def adapter(self) -> RealmAdapter:
        """The adapter under test."""
        raise NotImplementedError("a RealmContract subclass provides the adapter fixture")

    @pytest.fixture
    def realm(self, adapter: RealmAdapter) -> str:
        """A fresh, empty realm created through the adapter."""
        name = fresh_realm_name()
        adapter.create_realm(name, "契约测试")
        yield name
        self.drop_realm(adapter, name)

    def user(self, adapter: RealmAdapter, realm: str, username: str) -> str:
        """A new user's id."""
        return adapter.create_user(realm, {"username": username, "enabled": True})

    # -- realms ------------------------------------------------------------------------------------------

    def test_a_new_realm_has_keycloaks_defaults(self, adapter, realm):
        live = adapter.read(realm)
        assert live.exists and live.name == realm and live.display_name == "契约测试"
        assert live.groups == []
        assert {"offline_access", "uma_authorization", f"default-roles-{realm}"} <= {r.name for r in live.roles}
        assert role(live, f"default-roles-{realm}").composites == ["offline_access", "uma_authorization"]
        assert live.default_roles == ["offline_access", "uma_authorization"]
        assert {"username", "email", "firstName", "lastName"} <= {a["name"] for a in live.user_profile["attributes"]}

    def test_a_missing_realm_reads_as_not_existing(self, adapter):
        live = adapter.read(fresh_realm_name())
        assert not live.exists
        assert (live.groups, live.roles, live.default_roles) == ([], [], [])

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
        assert groups["研发一组"].parent_id == group
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

    def test_moving_under_its_own_descendant_is_refused(self, adapter, realm):
        top = adapter.create_group(realm, None, "A", {})
        below = adapter.create_group(realm, top, "B", {})
        with pytest.raises(KeycloakError):
            adapter.move_group(realm, top, below)
        assert adapter.read(realm).paths() == {top: "/A", below: "/A/B"}

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
        for write in (
            lambda: adapter.update_group(realm, NOBODY, "x", {}),
            lambda: adapter.move_group(realm, NOBODY, None),
            lambda: adapter.delete_group(realm, NOBODY),
            lambda: adapter.create_group(realm, NOBODY, "x", {}),
        ):
            with pytest.raises(KeycloakError, match="404") as caught:
                write()
            assert not isinstance(caught.value, Conflict)

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
        assert live.default_roles == ["offline_access", "uma_authorization"]

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
