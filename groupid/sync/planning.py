"""Compare what the source wants with the accounts Keycloak has, and plan the joiners, movers and leavers.

The rules, in the words of an IT admin:

* **joiner** — no account carries the employee ID: one is created with a fresh username, its attributes and
  its group; a future start date waits (or creates it disabled, per policy).
* **mover** — the company or department changed: the old group membership goes, the new one comes, the same
  account stays; attributes follow the source.
* **leaver** — terminated, or the end date has passed, or missing from the export (per policy): disabled and
  signed out everywhere, memberships removed (per policy), the account kept; deleted only after the grace
  period, counted from ``disabled_on``.
* **rehire** — an account groupid disabled comes back: re-enabled, the same username. An account someone
  disabled by hand is never re-enabled by a sync; that is reported instead.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from groupid.policy import SyncPolicy
from groupid.realms.live import LiveUser
from groupid.runs import Action
from groupid.sources import Rejection
from groupid.state import USER_ATTRIBUTES
from groupid.sync.changes import Notice, PersonChange, SyncPlan
from groupid.sync.people import MANAGED_ATTRIBUTE, DesiredPerson, Stage, person_name, resolve_managers
from groupid.text import masked
from groupid.usernames import STRATEGIES, UsernameAllocator, name_fields, name_to_username

SYNCED_ATTRIBUTES = tuple(name for name, _ in USER_ATTRIBUTES if name != "disabled_on")
"""The user attributes that follow the source; ``disabled_on`` is the sync's own bookkeeping."""


@dataclass
class RealmPeople:
    """The accounts of one realm and the groups and organizations people are placed in."""

    realm: str
    users: list[LiveUser]
    groups: dict[str, tuple[str, str]] = field(default_factory=dict)  #: group code -> (id, path)
    organizations: dict[str, str] = field(default_factory=dict)  #: company code -> organization id

    def __post_init__(self) -> None:
        self.group_codes = {group_id: code for code, (group_id, _) in self.groups.items()}
        self.group_paths = {group_id: path for group_id, path in self.groups.values()}
        self.organization_codes = {org_id: code for code, org_id in self.organizations.items()}
        self.group_ids = frozenset(self.group_codes)  #: built once: every person's memberships are checked against it
        self.organization_ids = frozenset(self.organization_codes)


@dataclass
class _Account:
    """A managed account and the realm it lives in."""

    user: LiveUser
    realm: RealmPeople

    @property
    def employee_id(self) -> str:
        return self.user.attribute(MANAGED_ATTRIBUTE) or ""


def plan_sync(
    source: Iterable[DesiredPerson | Rejection],
    out_of_scope: Iterable[str],
    realms: list[RealmPeople],
    policy: SyncPolicy,
    today: date,
    rows: int = 0,
) -> SyncPlan:
    """The plan that brings the accounts of ``realms`` in line with ``source`` under ``policy`` on ``today``.

    ``out_of_scope`` are the employee IDs the scope left out; ``rows`` is how many data rows the source had.
    """
    planner = _Planner(realms, policy, today)
    desired: list[DesiredPerson] = []
    managed = [account for accounts in planner.accounts.values() for account in accounts]
    plan = SyncPlan(rows=rows, managed=len(managed), active=sum(account.user.enabled for account in managed))
    for entry in source:
        (desired if isinstance(entry, DesiredPerson) else plan.rejections).append(entry)
    desired = planner.reject_ambiguous(desired, plan)
    desired = planner.reject_shared_emails(desired, plan)
    # managers after every rejection: a manager whose row was rejected has no account to point to
    known = {employee_id for _, employee_id in planner.accounts}
    people = {person.employee_id: person for person in desired}
    plan.notices += [Notice(problem.employee_id, problem.where, problem.message, people[problem.employee_id].placement.company)
                     for problem in resolve_managers(people, known)]
    for person in sorted(desired, key=lambda p: p.employee_id):
        planner.plan_person(person, plan)
    waiting = {p.employee_id for p in desired if p.stage is Stage.FUTURE and policy.future_joiners == "wait"}
    placed_anywhere = {person.employee_id for person in desired} - waiting
    rejected = {rejection.employee_id for rejection in plan.rejections if rejection.employee_id}
    skipped = set(out_of_scope) - placed_anywhere - rejected
    anonymous = sum(1 for rejection in plan.rejections if not rejection.employee_id)
    if anonymous and (policy.absent == "leaver" or policy.out_of_scope == "leaver"):
        # a row rejected before its ID could be read may be anyone's: nobody counts as absent this time
        plan.notices.append(Notice("", None, f"{anonymous} rejected row(s) without a readable employee ID: "
                                             "nobody is treated as absent from the export in this run"))
    for account in planner.accounts_by_id():
        employee_id = account.employee_id
        if (account.realm.realm, employee_id) in planner.placed or employee_id in rejected | waiting:
            continue  # the source speaks for it, its row is rejected, or its move to this realm has not begun
        if employee_id in placed_anywhere:
            leaves = True  # the person now belongs in another realm
        elif anonymous:
            leaves = False
        elif employee_id in skipped:
            leaves = policy.out_of_scope == "leaver"
        else:
            leaves = policy.absent == "leaver"
        if leaves:
            planner.plan_leaver(account, None, plan)
    plan.out_of_scope = len(skipped)
    plan.changes.sort(key=lambda change: change.order)
    return plan


class _Planner:
    """The state of one planning run: the accounts by employee ID and the usernames taken per realm."""

    def __init__(self, realms: list[RealmPeople], policy: SyncPolicy, today: date):
        self.policy, self.today = policy, today
        self.realms = {people.realm: people for people in realms}
        self.accounts: dict[tuple[str, str], list[_Account]] = {}
        for people in realms:
            for user in people.users:
                if user.attribute(MANAGED_ATTRIBUTE):
                    account = _Account(user, people)
                    self.accounts.setdefault((people.realm, account.employee_id), []).append(account)
        self.usernames = {people.realm: UsernameAllocator(user.username for user in people.users) for people in realms}
        self.emails: dict[tuple[str, str], list[LiveUser]] = {}  #: (realm, email) -> the accounts that have it
        for people in realms:
            for user in people.users:
                if user.email:
                    self.emails.setdefault((people.realm, user.email.lower()), []).append(user)
        self.placed: set[tuple[str, str]] = set()  #: (realm, employee ID) of accounts the source speaks for

    def accounts_by_id(self) -> list[_Account]:
        """Every managed account, in a stable order."""
        return [account for key in sorted(self.accounts) for account in self.accounts[key]]

    def reject_ambiguous(self, desired: list[DesiredPerson], plan: SyncPlan) -> list[DesiredPerson]:
        """Reject people whose employee ID two accounts of one realm carry: which one is theirs is a human call.

        A leaver is the exception: every account carrying the ID is disabled, which is safe whoever's it is.
        """
        kept = []
        for person in desired:
            key = (person.placement.realm, person.employee_id)
            accounts = self.accounts.get(key, [])
            if len(accounts) < 2:
                kept.append(person)
                continue
            self.placed.add(key)
            if person.stage is Stage.LEAVER:
                for account in accounts:
                    self.plan_leaver(account, person, plan)
                continue
            names = ", ".join(sorted(account.user.username for account in accounts))
            reason = f"accounts {names} in realm {key[0]} all carry employee ID {person.employee_id}"
            plan.rejections.append(Rejection(person.where, person.employee_id, (reason,), person.placement.company))
        return kept

    def reject_shared_emails(self, desired: list[DesiredPerson], plan: SyncPlan) -> list[DesiredPerson]:
        """Reject people whose email another person of the source, or another account, has.

        Keycloak keeps emails unique within a realm: the second account would be refused — and in a bulk
        create, the whole chunk with it. Only rows that write their email count: a leaver's email is never
        written, so sharing it never stops a disable.
        """
        rows: dict[tuple[str, str], list[DesiredPerson]] = {}
        for person in desired:
            if person.person.email and person.stage is not Stage.LEAVER:
                rows.setdefault((person.placement.realm, person.person.email.lower()), []).append(person)
        refused: set[int] = set()
        for (realm, email), people in rows.items():
            ids = {p.employee_id for p in people}
            others = [user.username for user in self.emails.get((realm, email), [])
                      if user.attribute(MANAGED_ATTRIBUTE) not in ids]
            if len(people) == 1 and not others:
                continue
            for person in people:
                plan.rejections.append(Rejection(person.where, person.employee_id, (_shared(email, person, people, others),),
                                                 person.placement.company))
                refused.add(id(person))
        return [person for person in desired if id(person) not in refused]

    def plan_person(self, person: DesiredPerson, plan: SyncPlan) -> None:
        """Plan one person of the source."""
        key = (person.placement.realm, person.employee_id)
        self.placed.add(key)
        account = (self.accounts.get(key) or [None])[0]
        company = person.placement.company
        if person.stage is Stage.LEAVER:
            if account is not None:
                self.plan_leaver(account, person, plan)
            return
        if person.stage is Stage.FUTURE and self.policy.future_joiners == "wait":
            plan.waiting[company] += 1
            return
        change = self._joiner(person) if account is None else self._current(account, person, plan)
        if change is None:
            plan.unchanged[company] += 1
        else:
            plan.changes.append(change)

    def _joiner(self, person: DesiredPerson) -> PersonChange:
        placement = person.placement
        username = self.usernames[placement.realm].allocate(self._username_base(person))
        first, last = person.names
        enabled = person.stage is Stage.ACTIVE
        attributes = dict(person.attributes)
        if not enabled:  # a future joiner created ahead of the day: groupid enables it on the start date
            attributes["disabled_on"] = [self.today.isoformat()]
        representation = {
            "username": username, "enabled": enabled, "firstName": first, "lastName": last,
            "attributes": attributes, "groups": [placement.group_path],
        }
        if person.person.email:
            representation |= {"email": person.person.email, "emailVerified": True}
        people = self.realms[placement.realm]
        organizations = ((people.organizations[placement.organization], placement.organization),) if (
            placement.organization in people.organizations) else ()
        return PersonChange(placement.realm, person.employee_id, username, placement.company, (Action.CREATE,),
                            where=person.where, create=representation, add_organizations=organizations)

    def _username_base(self, person: DesiredPerson) -> str:
        policy, p = self.policy.username, person.person
        if policy.strategy == "template":
            fields = {**name_fields(p.name), "employee_id": p.employee_id, "email": p.email or ""}
            base = STRATEGIES["template"](policy.template, fields)
        elif policy.strategy == "email" and p.email:
            base = STRATEGIES["email"](p.email)
        elif policy.strategy == "employee_id":
            base = STRATEGIES["employee_id"](p.employee_id)
        else:
            base = name_to_username(p.name, fallback=p.employee_id)
        return base or STRATEGIES["employee_id"](p.employee_id)

    def _current(self, account: _Account, person: DesiredPerson, plan: SyncPlan) -> PersonChange | None:
        """An existing account of someone the source lists as active (or starting, under ``disabled``)."""
        user, people = account.user, account.realm
        actions: list[Action] = []
        attributes = {**_synced(user.attributes, person.attributes)}
        if user.enabled:
            attributes.pop("disabled_on", None)  # re-enabled by hand: a later disable is not groupid's
        else:
            if user.attribute("disabled_on") is None:
                plan.notices.append(Notice(person.employee_id, person.where,
                                           f"account {user.username} was disabled outside groupid; left disabled",
                                           person.placement.company))
            elif person.stage is Stage.ACTIVE:
                actions.append(Action.ENABLE)
                attributes.pop("disabled_on", None)
        was = (user.attribute("company_code"), user.attribute("department_code"))
        if was[0] is not None and was != (person.placement.company, person.person.department):
            actions.append(Action.MOVE)
        fields, update = _edit(user, person, attributes, enabled=user.enabled or Action.ENABLE in actions)
        if fields and not actions:
            actions.append(Action.UPDATE)
        memberships = _memberships(user, people, {person.placement.group_code}, person.placement.organization)
        if memberships and not {Action.MOVE, Action.ENABLE, Action.UPDATE} & set(actions):
            actions.append(Action.UPDATE)  # memberships repaired: someone changed them by hand
        if not actions:
            return None
        return self._change(account, person, actions, fields=fields, update=update, **vars(memberships))

    def plan_leaver(self, account: _Account, person: DesiredPerson | None, plan: SyncPlan) -> None:
        """Disable, sign out and (per policy) remove the memberships of a leaver; delete after the grace period."""
        user, people = account.user, account.realm
        actions: list[Action] = []
        logout = False
        attributes = _synced(user.attributes, person.attributes) if person else dict(user.attributes)
        if user.enabled:
            actions.append(Action.DISABLE)
            logout = True
            attributes["disabled_on"] = [self.today.isoformat()]
        elif self._grace_over(user):
            plan.changes.append(self._change(account, person, [Action.DELETE], delete=True))
            return
        fields, update = _edit(user, person, attributes, enabled=user.enabled and not logout)
        if fields and not actions:
            actions.append(Action.UPDATE)
        memberships = _memberships(user, people, set(), None) if self.policy.leavers.memberships == "remove" else (
            _Memberships())
        if not user.enabled and not _signed_out(user):
            # disabled by a run that was cut off before it signed the account out: finish that now
            logout = True
            fields["sessions"] = ("open", "ended")
        if not actions and (update or logout or memberships.removes):
            actions.append(Action.UPDATE)
        change = self._change(account, person, actions, fields=fields, update=update, logout=logout,
                              **vars(memberships))
        if actions:
            plan.changes.append(change)
        else:
            plan.unchanged[change.company or "?"] += 1

    def _grace_over(self, user: LiveUser) -> bool:
        days = self.policy.leavers.delete_after_days
        since = user.attribute("disabled_on")
        if days is None or since is None:
            return False
        try:
            return date.fromisoformat(since) + timedelta(days=days) <= self.today
        except ValueError:
            return False  # a hand-edited date: never a reason to delete

    @staticmethod
    def _change(account: _Account, person: DesiredPerson | None, actions: list[Action], **requests) -> PersonChange:
        """The change of an existing account, whole: ``requests`` are the PersonChange fields that make it."""
        user = account.user
        company = person.placement.company if person else user.attribute("company_code")
        return PersonChange(account.realm.realm, account.employee_id, user.username, company, tuple(actions),
                            where=person.where if person else None, user_id=user.id, **requests)


def _edit(user: LiveUser, person: DesiredPerson | None, attributes: dict[str, list[str]],
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
    for name in sorted(set(attributes) | set(user.attributes)):
        old, new = _first(user.attributes.get(name)), _first(attributes.get(name))
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
class _Memberships:
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


def _memberships(user: LiveUser, people: RealmPeople, codes: set[str], organization: str | None) -> _Memberships:
    """The membership edits that leave ``user`` in exactly the groups of ``codes`` among groupid's."""
    wanted = {people.groups[code][0] for code in codes if code in people.groups}
    wanted_orgs = {people.organizations[organization]} if organization in people.organizations else set()
    return _Memberships(
        add_groups=tuple((group_id, people.group_paths[group_id]) for group_id in sorted(wanted - user.groups)),
        remove_groups=tuple((group_id, people.group_paths[group_id])
                            for group_id in sorted((user.groups & people.group_ids) - wanted)),
        add_organizations=tuple((org_id, people.organization_codes[org_id])
                                for org_id in sorted(wanted_orgs - user.organizations)),
        remove_organizations=tuple((org_id, people.organization_codes[org_id])
                                   for org_id in sorted((user.organizations & people.organization_ids) - wanted_orgs)),
    )


def _shared(email: str, person: DesiredPerson, people: list[DesiredPerson], others: list[str]) -> str:
    """Why ``person`` is rejected for an email others have; the address masked, at most a few lines named."""
    lines = [str(p.where.line) for p in people if p is not person]
    shown = ", ".join(lines[:3]) + (f" and {len(lines) - 3} more" if len(lines) > 3 else "")
    if lines:
        return f"email {masked(email)} is also on line {shown}"
    return f"email {masked(email)} belongs to account {', '.join(others[:3])}"


def _synced(current: dict[str, list[str]], source: dict[str, list[str]]) -> dict[str, list[str]]:
    """The attribute map to write: the source's values for the synced attributes, everything else kept."""
    kept = {name: values for name, values in current.items() if name not in SYNCED_ATTRIBUTES}
    return {**kept, **source}


def _signed_out(user: LiveUser) -> bool:
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

