"""Who may sign in to an app, counted from a live realm: the people its audience reaches, by company.

The count follows the grants groupid compiles (:mod:`groupid.state.apps`), read from what the realm holds now:
an app without an audience is open to every enabled user of the realm; one with an audience to the enabled
members of its company and department groups (their sub-groups included) and to the holders of its roles —
granted directly, through a group (and its sub-groups), or as part of another role (a composite).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from groupid.errors import KeycloakError
from groupid.keycloak_terms import ATTR_CODE, ATTR_KIND, default_role_name
from groupid.model import App
from groupid.realms.base import RealmAdapter
from groupid.realms.live import LiveGroup, LiveRealm, LiveUser

NO_COMPANY = "-"
"""The company shown for a user who has no company attribute and sits in no company's group."""

COMPANY_ATTRIBUTE = "company_code"
"""The user attribute a sync writes the company code into."""


@dataclass(frozen=True)
class SignInCount:
    """How many enabled people may sign in to one app, by company code."""

    app: str
    realm: str
    everyone: bool  #: the app has no audience: every enabled user of the realm
    by_company: dict[str, int]

    @property
    def total(self) -> int:
        """Everyone counted."""
        return sum(self.by_company.values())


def count_sign_ins(adapter: RealmAdapter, realm: str, app: App) -> SignInCount:
    """Count who may sign in to ``app`` in the live ``realm``, by company."""
    live = adapter.read(realm)
    if not live.exists:
        raise KeycloakError(f"realm '{realm}' does not exist")
    users = [u for u in adapter.read_users(realm, [g.id for g in live.groups]) if u.enabled]
    company_of = _company_of_groups(live.groups)
    audience = app.audience
    if not audience.everyone:
        roles = _roles_reaching(live, set(audience.roles))
        if default_role_name(realm) in roles:
            allowed = None  # every user holds the default role
        else:
            groups = _groups_with_descendants(live.groups, [
                g.id for g in live.groups
                if g.attribute(ATTR_CODE) in {*audience.companies, *audience.departments} or roles & set(g.role_refs())])
            holders = {user_id for ref in sorted(roles) for user_id in adapter.role_holders(realm, ref)}
            allowed = {u.id for u in users if u.groups & groups or u.id in holders}
        if allowed is not None:
            users = [u for u in users if u.id in allowed]
    counts = Counter(_company(user, company_of) for user in users)
    return SignInCount(app.id, realm, audience.everyone, dict(sorted(counts.items())))


def _roles_reaching(live: LiveRealm, targets: set[str]) -> set[str]:
    """The references of the roles that are one of ``targets`` or include one, however deep."""
    composites = {role.ref: set(role.composites) for role in [*live.roles, *live.client_roles]}
    reaching = {ref for ref in targets if ref in composites}
    grown = True
    while grown:  # a fixed point: roles including a role that reaches a target reach it too
        more = {ref for ref, parts in composites.items() if ref not in reaching and parts & reaching}
        reaching |= more
        grown = bool(more)
    return reaching


def _groups_with_descendants(groups: list[LiveGroup], roots: list[str]) -> set[str]:
    """The ids of the groups ``roots`` and of every group below them (``groups`` lists parents first)."""
    chosen = set(roots)
    for group in groups:
        if group.parent_id in chosen:
            chosen.add(group.id)
    return chosen


def _company_of_groups(groups: list[LiveGroup]) -> dict[str, str]:
    """The code of the company each group belongs to: itself when it is a company (or a top-level group), else
    the nearest company above it."""
    company: dict[str, str] = {}
    for group in groups:  # parents first
        code = group.attribute(ATTR_CODE) or group.name
        if group.parent_id is None or group.attribute(ATTR_KIND) == "company":
            company[group.id] = code
        else:
            company[group.id] = company.get(group.parent_id, code)
    return company


def _company(user: LiveUser, company_of: dict[str, str]) -> str:
    """A user's company: its company attribute, else the company of a group it sits in (the first by code)."""
    code = user.attribute(COMPANY_ATTRIBUTE)
    if code:
        return code
    found = sorted(company_of[g] for g in user.groups if g in company_of)
    return found[0] if found else NO_COMPANY
