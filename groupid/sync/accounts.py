"""The accounts of a people sync: those of a realm as Keycloak has them, and what differs on one of them.

The planner (:mod:`groupid.sync.planning`) decides who joins, moves and leaves; this module says what that takes
of one account — its fields and attributes to PUT, its memberships and managed roles to edit.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time

from groupid.realms.live import LiveUser
from groupid.state import USER_ATTRIBUTES
from groupid.sync.people import ANCHOR_ATTRIBUTE, MANAGED_ATTRIBUTE, DesiredPerson, Stage, person_name

SYNCED_ATTRIBUTES = tuple(name for name, _ in USER_ATTRIBUTES if name not in ("disabled_on", ANCHOR_ATTRIBUTE))
"""The user attributes that follow the source; ``disabled_on`` is the sync's own bookkeeping, and the anchor is
written by the sources that have one and kept by the others."""


@dataclass
class RealmPeople:
    """The accounts of one realm and the groups and organizations people are placed in."""

    realm: str
    users: list[LiveUser]
    groups: dict[str, tuple[str, str]] = field(default_factory=dict)  #: group code -> (id, path)
    organizations: dict[str, str] = field(default_factory=dict)  #: company code -> organization id
    role_holders: dict[str, frozenset[str]] = field(default_factory=dict)  #: managed role -> ids of its direct holders

    def __post_init__(self) -> None:
        self.group_codes = {group_id: code for code, (group_id, _) in self.groups.items()}
        self.group_paths = {group_id: path for group_id, path in self.groups.values()}
        self.organization_codes = {org_id: code for code, org_id in self.organizations.items()}
        self.group_ids = frozenset(self.group_codes)  #: built once: every person's memberships are checked against it
        self.organization_ids = frozenset(self.organization_codes)


@dataclass(slots=True)
class Account:
    """A managed account and the realm it lives in; ``claimed`` is the new employee ID of the person whose
    anchor it carries, when their employee ID changed."""

    user: LiveUser
    realm: RealmPeople
    claimed: str | None = None

    @property
    def employee_id(self) -> str:
        """The employee ID of the person the account is theirs: its own, or the one it is claimed for."""
        return self.claimed or self.user.attribute(MANAGED_ATTRIBUTE) or ""

    @property
    def roles(self) -> frozenset[str]:
        """The managed roles the account holds directly."""
        return frozenset(name for name, holders in self.realm.role_holders.items() if self.user.id in holders)

    def role_edits(self, roles: frozenset[str] | None) -> dict[str, tuple[str, ...]]:
        """The role edits (``add_roles``, ``remove_roles``) that leave the account with exactly the managed roles
        of ``roles``; none when ``roles`` is None: the source does not speak for them."""
        wanted = managed_of(self.realm, roles)
        if wanted is None:
            return {}
        held = self.roles
        edits = {"add_roles": tuple(sorted(wanted - held)), "remove_roles": tuple(sorted(held - wanted))}
        return {name: names for name, names in edits.items() if names}


def managed_of(people: RealmPeople, roles: frozenset[str] | None) -> frozenset[str] | None:
    """The roles of ``roles`` the source manages (those whose holders were read); None stays None."""
    return None if roles is None else roles & people.role_holders.keys()


def field_edits(user: LiveUser, person: DesiredPerson | None, attributes: dict[str, list[str]],
                enabled: bool) -> tuple[dict[str, tuple], dict | None]:
    """What differs on ``user`` — names, email, the attributes — as name -> (old, new), and the representation
    to PUT (None when neither that nor ``enabled`` differs)."""
    wanted: dict = {"enabled": enabled}
    if person:
        wanted["firstName"], wanted["lastName"] = person.names
        if person.person.email and person.stage is not Stage.LEAVER:  # a leaver's address may be someone's now
            wanted["email"] = person.person.email
    else:  # names Keycloak would refuse would make it refuse the whole update, the disable with it
        wanted["firstName"], wanted["lastName"] = (
            person_name(name) if name else name for name in (user.first_name, user.last_name))
    current = {"enabled": user.enabled, "firstName": user.first_name, "lastName": user.last_name, "email": user.email}
    fields: dict[str, tuple] = {}
    for name, value in wanted.items():
        if current[name] != value and name != "enabled":
            fields[name] = (current[name], value)
    held = user.attributes
    for name in sorted(set(attributes) | set(held)):
        old, new = _first(held.get(name)), _first(attributes.get(name))
        if old != new:
            fields[name] = (old, new)
    if not fields and wanted["enabled"] == user.enabled:
        return fields, None
    representation = {"username": user.username, "firstName": user.first_name, "lastName": user.last_name,
                      "email": user.email, **wanted, "attributes": attributes}
    if wanted.get("email") and wanted["email"] != user.email:
        representation["emailVerified"] = True
    return fields, {key: value for key, value in representation.items() if value is not None}


@dataclass(frozen=True)
class Memberships:
    """Membership edits of one account, as (id, path) of groups and (id, company code) of organizations."""

    add_groups: tuple[tuple[str, str], ...] = ()
    remove_groups: tuple[tuple[str, str], ...] = ()
    add_organizations: tuple[tuple[str, str], ...] = ()
    remove_organizations: tuple[tuple[str, str], ...] = ()

    def __bool__(self) -> bool:
        return bool(self.add_groups or self.remove_groups or self.add_organizations or self.remove_organizations)

    @property
    def removes(self) -> bool:
        """Whether any membership goes."""
        return bool(self.remove_groups or self.remove_organizations)


def membership_edits(user: LiveUser, people: RealmPeople, codes: set[str], organization: str | None) -> Memberships:
    """The membership edits that leave ``user`` in exactly the groups of ``codes`` among groupid's."""
    wanted = {people.groups[code][0] for code in codes if code in people.groups}
    wanted_orgs = {people.organizations[organization]} if organization in people.organizations else set()
    return Memberships(
        add_groups=tuple((group_id, people.group_paths[group_id]) for group_id in sorted(wanted - user.groups)),
        remove_groups=tuple((group_id, people.group_paths[group_id])
                            for group_id in sorted((user.groups & people.group_ids) - wanted)),
        add_organizations=tuple((org_id, people.organization_codes[org_id])
                                for org_id in sorted(wanted_orgs - user.organizations)),
        remove_organizations=tuple((org_id, people.organization_codes[org_id])
                                   for org_id in sorted((user.organizations & people.organization_ids) - wanted_orgs)),
    )


def synced(current: dict[str, list[str]], source: dict[str, list[str]]) -> dict[str, list[str]]:
    """The attribute map to write: the source's values for the synced attributes, everything else kept."""
    kept = {name: values for name, values in current.items() if name not in SYNCED_ATTRIBUTES}
    return {**kept, **source}


def signed_out(user: LiveUser) -> bool:
    """Whether an account groupid disabled was signed out since: Keycloak keeps when all of a user's sessions
    were last ended (``notBefore``), and a disable is followed by a sign-out the same day.

    Accounts disabled by hand (no ``disabled_on``, or one edited into no date) are not groupid's to judge.
    """
    try:
        day = date.fromisoformat(user.attribute("disabled_on") or "")
    except ValueError:
        return True
    return user.not_before >= datetime.combine(day, time.min).timestamp()


def _first(values: list[str] | None) -> str | None:
    return values[0] if values else None
