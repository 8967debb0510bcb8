"""The realm itself and its user profile."""

from __future__ import annotations

from groupid.diff.context import RealmComparison, field_changes
from groupid.payloads import RealmPayload, UserProfilePayload
from groupid.plan import Create, FieldChange, Update
from groupid.state import USER_PROFILE_GROUP, user_profile


def diff_realm_settings(comparison: RealmComparison) -> None:
    """The realm itself: existence, display name, Organizations switched on."""
    desired, live = comparison.desired, comparison.live
    # Organizations are switched on when the topology needs them, never off: someone may use them by hand.
    wanted = {"displayName": desired.display_name}
    if desired.organizations_enabled:
        wanted["organizationsEnabled"] = True
    payload = RealmPayload(desired.display_name, wanted.get("organizationsEnabled"))
    label = f"realm {desired.realm}"
    if not live.exists:
        comparison.changes.append(
            Create("realm", desired.realm, label, payload, field_changes({k: (None, v) for k, v in wanted.items()})))
        return
    current = {"displayName": live.display_name or live.name, "organizationsEnabled": live.organizations_enabled}
    fields = field_changes({k: (current[k], v) for k, v in wanted.items()})
    if fields:
        comparison.changes.append(Update("realm", desired.realm, label, payload, fields))


def diff_user_profile(comparison: RealmComparison) -> None:
    """Declare groupid's user attributes, keeping what others declared."""
    if not comparison.desired.declare_user_attributes:
        return
    current = comparison.live.user_profile or {"attributes": [], "groups": []}
    merged, added, changed = merge_profile(current, user_profile())
    if not added and not changed:
        return
    fields = []
    if added:
        fields.append(FieldChange("attributes added", None, ", ".join(added)))
    if changed:
        fields.append(FieldChange("attributes changed", None, ", ".join(changed)))
    action = Create if not comparison.live.exists else Update
    comparison.changes.append(action("user-profile", "user-profile", "user profile", UserProfilePayload(merged), tuple(fields)))


def merge_profile(current: dict, wanted: dict) -> tuple[dict, list[str], list[str]]:
    """The live user profile with groupid's attributes and attribute group added or corrected.

    Attributes and groups that others declared stay as they are.
    """
    ours = {a["name"]: a for a in wanted["attributes"] if a.get("group") == USER_PROFILE_GROUP}
    attributes, added, changed = [], [], []
    for attribute in current.get("attributes", []):
        name = attribute["name"]
        if name in ours:
            expected = {**attribute, **ours.pop(name)}
            if expected != attribute:
                changed.append(name)
            attributes.append(expected)
        else:
            attributes.append(attribute)
    for name, attribute in ours.items():
        added.append(name)
        attributes.append(attribute)
    groups = list(current.get("groups", []))
    our_group = next(g for g in wanted["groups"] if g["name"] == USER_PROFILE_GROUP)
    if not any(g.get("name") == USER_PROFILE_GROUP for g in groups):
        groups.append(our_group)
        if not added and not changed:
            changed.append(f"group {USER_PROFILE_GROUP}")
    if not current.get("attributes"):
        # a realm about to be created: start from Keycloak's defaults
        return wanted, added, changed
    return {**current, "attributes": attributes, "groups": groups}, added, changed
