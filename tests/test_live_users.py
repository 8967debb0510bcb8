"""Users as the realm adapters answer them: kept compact (a sync holds every user of a realm at once), and read
as the dict of lists Keycloak sends."""

from __future__ import annotations

import json

from groupid.keycloak_terms import shown_to_admins
from groupid.realms.live import LiveUser
from groupid.realms.representations import UsersRead


def test_a_user_reads_its_attributes_as_lists_and_compares_by_them():
    user = LiveUser("id1", "zhang.wei", attributes={"employee_id": ["E1"], "tags": ["a", "b"], "none": []})

    assert user.attributes == {"employee_id": ["E1"], "tags": ["a", "b"], "none": []}
    assert [user.attribute(name) for name in ("employee_id", "tags", "none", "other")] == ["E1", "a", None, None]
    user.attributes["employee_id"].append("E2")  # a new dict at each call: changing it changes nothing
    assert user.attributes["employee_id"] == ["E1"]
    assert user == LiveUser("id1", "zhang.wei", attributes={"none": [], "tags": ["a", "b"], "employee_id": ["E1"]})
    assert user != LiveUser("id1", "zhang.wei", attributes={"employee_id": ["E2"], "tags": ["a", "b"], "none": []})
    assert "attributes={'employee_id': ['E1']" in repr(user)


def _answer(number: int, department: str) -> dict:
    """A UserRepresentation as a page of JSON brings it: its texts copies of their own."""
    return json.loads(json.dumps({"id": f"id{number}", "username": f"user{number}", "firstName": "小伟",
                                  "attributes": {"department_code": [department]}}))


def test_users_read_together_keep_one_copy_of_what_they_share():
    read = UsersRead()
    first, second, third = read.user(_answer(1, "D1")), read.user(_answer(2, "D1")), read.user(_answer(3, "D2"))

    assert first.attribute("department_code") is second.attribute("department_code") == "D1"
    assert first.first_name is second.first_name
    for user in (first, second, third):
        read.join(user, "groups", "g1")
    read.join(third, "groups", "g2")
    read.join(second, "organizations", "o1")
    assert first.groups == {"g1"} and first.groups is second.groups
    assert third.groups == {"g1", "g2"} and second.organizations == {"o1"} and first.organizations == frozenset()


def test_a_member_list_in_full_keeps_only_the_attributes_an_admin_sees_in_the_user_profile():
    # a group's member list answers every stored attribute; the pages of users, what the profile shows admins
    profile = {"attributes": [{"name": "username"}, {"name": "employee_id", "permissions": {"view": ["admin"]}},
                              {"name": "title", "permissions": {"edit": ["admin", "user"]}},
                              {"name": "nickname", "permissions": {"view": ["user"], "edit": ["user"]}},
                              {"name": "bare"}]}
    entry = {"id": "id1", "username": "zhang.wei", "notBefore": 7,
             "attributes": {name: ["v"] for name in ("employee_id", "title", "nickname", "bare", "kept", "username")}}

    hidden = UsersRead().user(entry, shown_to_admins(profile))
    shown = UsersRead().user(entry, shown_to_admins({**profile, "unmanagedAttributePolicy": "ADMIN_VIEW"}))

    assert sorted(hidden.attributes) == ["employee_id", "title"] and hidden.not_before == 7
    assert sorted(shown.attributes) == ["employee_id", "kept", "title"]
    assert sorted(UsersRead().user(entry).attributes) == sorted(entry["attributes"])
