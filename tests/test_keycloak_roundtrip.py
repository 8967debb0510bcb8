"""Render → Keycloak's own import → read back, against the real Keycloak."""

from __future__ import annotations

import dataclasses

import pytest

from groupid.errors import AuthenticationFailed, RealmExists
from groupid.keycloak_terms import ATTR_CODE
from groupid.operations import import_realm, render_spec
from groupid.realms import KeycloakServer
from groupid.spec import load_spec
from groupid.state import USER_ATTRIBUTES, compile_realms
from tests.test_example import EXAMPLE


@pytest.fixture(scope="module")
def imported(keycloak, realm_name, tmp_path_factory):
    (path,) = render_spec(EXAMPLE, tmp_path_factory.mktemp("render"))
    result = import_realm(path, KeycloakServer(keycloak), realm=realm_name)
    return result, path


def walk(live):
    """(path, group) for each group of a LiveRealm."""
    paths = live.paths()
    return [(paths[group.id], group) for group in live.groups]


def test_import_creates_the_realm(imported, keycloak, realm_name):
    result, _ = imported
    assert result.created and result.realm == realm_name
    group = load_spec(EXAMPLE)
    assert result.groups == len(group.companies) + len(group.departments)
    assert result.roles == len(group.roles)  # Keycloak's own roles in the file are not counted
    # imported under another name, the realm's default role follows it and grants the spec's default roles
    live = KeycloakServer(keycloak).read(realm_name)
    assert set(group.default_roles) <= set(live.default_roles)
    assert f"default-roles-{realm_name}" in {role.name for role in live.roles}


def test_groups_read_back_match_the_model(imported, keycloak, realm_name):
    (state,) = compile_realms(load_spec(EXAMPLE))
    expected = {node.code: (path, node.attributes) for path, node in state.walk_groups()}
    live = {group.attribute(ATTR_CODE): (path, group.attributes) for path, group in walk(KeycloakServer(keycloak).read(realm_name))}
    assert set(live) == set(expected)
    for code, (path, attributes) in expected.items():
        live_path, live_attributes = live[code]
        assert live_path == path
        assert {k: sorted(v) for k, v in live_attributes.items()} == {k: sorted(v) for k, v in attributes.items()}


def test_reading_the_tree_pages_through_small_pages(imported, keycloak, realm_name):
    small = {path: g.attribute(ATTR_CODE) for path, g in walk(KeycloakServer(keycloak, page_size=3).read(realm_name))}
    large = {path: g.attribute(ATTR_CODE) for path, g in walk(KeycloakServer(keycloak).read(realm_name))}
    assert small == large and len(small) > 3 * 3


def test_roles_read_back_with_composites(imported, keycloak, realm_name):
    live = {role.name: role for role in KeycloakServer(keycloak).read(realm_name).roles}
    for role in load_spec(EXAMPLE).roles:
        assert live[role.name].composites == sorted(role.composites), role.name
        assert live[role.name].description == role.description, role.name


def test_user_profile_keeps_groupid_attributes(imported, keycloak, realm_name):
    server = KeycloakServer(keycloak)
    declared = {a["name"] for a in server.read_user_profile(realm_name)["attributes"]}
    assert {name for name, _ in USER_ATTRIBUTES} <= declared
    user_id = server.create_user(realm_name, {
        "username": "zhangwei", "enabled": True, "firstName": "伟", "lastName": "张", "email": "zhangwei@xinghe.example.cn",
        "attributes": {"employee_id": ["XH000001"], "department_code": ["XH-TECH-RD"], "undeclared_attr": ["dropped"]},
    })
    attributes = server.read_user(realm_name, user_id)["attributes"]
    assert attributes["employee_id"] == ["XH000001"]
    assert attributes["department_code"] == ["XH-TECH-RD"]
    # the trap the user profile exists for: an undeclared attribute is silently dropped by Keycloak
    assert "undeclared_attr" not in attributes


def test_existing_realm_is_never_overwritten(imported, keycloak, realm_name):
    _, path = imported
    with pytest.raises(RealmExists, match=f"realm '{realm_name}' already exists"):
        import_realm(path, KeycloakServer(keycloak), realm=realm_name)
    skipped = import_realm(path, KeycloakServer(keycloak), realm=realm_name, skip_existing=True)
    assert not skipped.created
    assert len([g for g in KeycloakServer(keycloak).read(realm_name).groups if g.parent_id is None]) == 1


def test_wrong_credentials_are_a_clear_error(keycloak):
    wrong = dataclasses.replace(keycloak, admin_password="not-the-password")
    with pytest.raises(AuthenticationFailed, match=r"refused the credentials of user 'admin' \(realm master\)"):
        KeycloakServer(wrong)
