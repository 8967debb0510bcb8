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
* **new employee ID** — a source with anchors (a directory's entry IDs) finds the account by its anchor when no
  account carries the new ID and the old one is not in the source any more: the same account, its employee ID
  rewritten — never a leaver and a joiner.

Roles a source manages (:func:`groupid.sources.managed_roles`) follow its rows: granted directly to whom a row
grants them, taken from every other account it manages (a leaver's only when its memberships go). Other roles
are never touched.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import date, timedelta
from operator import attrgetter

from groupid.policy import SyncPolicy
from groupid.realms.live import LiveUser
from groupid.runs import Action
from groupid.sources import Rejection
from groupid.sync.accounts import (
    Account,
    Memberships,
    RealmPeople,
    field_edits,
    managed_of,
    membership_edits,
    signed_out,
    synced,
)
from groupid.sync.changes import NewAccount, Notice, PersonChange, SyncPlan
from groupid.sync.people import ANCHOR_ATTRIBUTE, MANAGED_ATTRIBUTE, DesiredPerson, Stage, resolve_managers
from groupid.text import lowercase, masked
from groupid.usernames import STRATEGIES, UsernameAllocator, name_fields, name_to_username

__all__ = ["RealmPeople", "plan_sync"]


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
    in_source = {person.employee_id for person in desired} | set(out_of_scope)
    in_source |= {rejection.employee_id for rejection in plan.rejections if rejection.employee_id}
    held = {rejection.anchor for rejection in plan.rejections if rejection.anchor}
    desired = planner.match_anchors(desired, in_source, held, plan)
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
        if employee_id in planner.placed[account.realm.realm] or employee_id in rejected | waiting:
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
    # PersonChange.order, as stable sorts by its keys from the last to the first: no key tuple for each of
    # 100,000 changes at once
    for key in (attrgetter("employee_id"), attrgetter("realm"), lambda change: Action.CREATE not in change.actions):
        plan.changes.sort(key=key)
    return plan


class _Planner:
    """The state of one planning run: the accounts by employee ID and the usernames taken per realm."""

    def __init__(self, realms: list[RealmPeople], policy: SyncPolicy, today: date):
        self.policy, self.today = policy, today
        self.realms = {people.realm: people for people in realms}
        self.accounts: dict[tuple[str, str], list[Account]] = {}
        for people in realms:
            for user in people.users:
                if user.attribute(MANAGED_ATTRIBUTE):
                    account = Account(user, people)
                    self.accounts.setdefault((people.realm, account.employee_id), []).append(account)
        self.usernames = {people.realm: UsernameAllocator(user.username for user in people.users) for people in realms}
        self.emails: dict[str, dict[str, list[LiveUser]]] = {}  #: realm -> email -> the accounts that have it
        for people in realms:
            emails = self.emails.setdefault(people.realm, {})
            for user in people.users:
                if user.email:
                    emails.setdefault(lowercase(user.email), []).append(user)
        #: realm -> the employee IDs of its accounts the source speaks for
        self.placed: defaultdict[str, set[str]] = defaultdict(set)
        self.owners: dict[str, str] = {}  #: user id -> the employee ID of the person it is claimed for by anchor

    def accounts_by_id(self) -> list[Account]:
        """Every managed account, in a stable order."""
        return [account for key in sorted(self.accounts) for account in self.accounts[key]]

    def match_anchors(self, desired: list[DesiredPerson], in_source: set[str], held: set[str],
                      plan: SyncPlan) -> list[DesiredPerson]:
        """Give people whose employee ID no account of their realm carries the account that carries their anchor,
        when that account's own employee ID is not in the source: the person's ID changed, the account stays.

        Two such accounts, or two rows claiming one, are a human call: those rows are rejected, and the accounts
        left alone (never taken for leavers) — as are the accounts carrying the anchor of a rejected row
        (``held``), whose person may be behind a new employee ID.
        """
        anchors: dict[tuple[str, str], list[Account]] = {}
        for account in self.accounts_by_id():
            anchor = account.user.attribute(ANCHOR_ATTRIBUTE)
            if anchor in held:
                self.placed[account.realm.realm].add(account.employee_id)
            elif anchor and account.employee_id not in in_source:
                anchors.setdefault((account.realm.realm, anchor), []).append(account)
        claims: dict[tuple[str, str], list[DesiredPerson]] = {}
        for person in desired:
            realm = person.placement.realm
            if person.anchor and (realm, person.employee_id) not in self.accounts and (realm, person.anchor) in anchors:
                claims.setdefault((realm, person.anchor), []).append(person)
        refused: set[int] = set()
        for (realm, anchor), people in claims.items():
            accounts = anchors[(realm, anchor)]
            if len(accounts) == 1 and len(people) == 1:
                self._claim(accounts[0], people[0].employee_id)
                continue
            self.placed[realm].update(account.employee_id for account in accounts)
            if len(accounts) > 1:
                names = ", ".join(sorted(account.user.username for account in accounts))
                reason = f"accounts {names} in realm {realm} all carry the source anchor {anchor}"
            else:
                ids = ", ".join(sorted(person.employee_id for person in people))
                reason = f"employee IDs {ids} all have the source anchor {anchor} of account {accounts[0].user.username}"
            for person in people:
                plan.rejections.append(Rejection(person.where, person.employee_id, (reason,), person.placement.company,
                                                 anchor))
                refused.add(id(person))
        return [person for person in desired if id(person) not in refused]

    def _claim(self, account: Account, employee_id: str) -> None:
        """File ``account`` under its person's new employee ID, and no longer under its old one."""
        old = (account.realm.realm, account.employee_id)
        self.accounts[old].remove(account)
        if not self.accounts[old]:
            del self.accounts[old]
        account.claimed = employee_id
        self.accounts[(account.realm.realm, employee_id)] = [account]
        self.owners[account.user.id] = employee_id

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
            self.placed[person.placement.realm].add(person.employee_id)
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
                rows.setdefault((person.placement.realm, lowercase(person.person.email)), []).append(person)
        refused: set[int] = set()
        for (realm, email), people in rows.items():
            ids = {p.employee_id for p in people}
            others = [user.username for user in self.emails.get(realm, {}).get(email, [])
                      if self.owners.get(user.id, user.attribute(MANAGED_ATTRIBUTE)) not in ids]
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
        self.placed[person.placement.realm].add(person.employee_id)
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
        # a future joiner created ahead of the day is created disabled: groupid enables it on the start date
        disabled_on = None if person.stage is Stage.ACTIVE else self.today.isoformat()
        people = self.realms[placement.realm]
        organizations = ((people.organizations[placement.organization], placement.organization),) if (
            placement.organization in people.organizations) else ()
        roles = managed_of(people, person.roles)
        return PersonChange(placement.realm, person.employee_id, username, placement.company, (Action.CREATE,),
                            where=person.where, new=NewAccount(person, username, disabled_on),
                            add_organizations=organizations, add_roles=tuple(sorted(roles or ())))

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

    def _current(self, account: Account, person: DesiredPerson, plan: SyncPlan) -> PersonChange | None:
        """An existing account of someone the source lists as active (or starting, under ``disabled``)."""
        user, people = account.user, account.realm
        actions: list[Action] = []
        attributes = {**synced(user.attributes, person.attributes)}
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
        fields, update = field_edits(user, person, attributes, enabled=user.enabled or Action.ENABLE in actions)
        if fields and not actions:
            actions.append(Action.UPDATE)
        memberships = membership_edits(user, people, {person.placement.group_code}, person.placement.organization)
        roles = account.role_edits(person.roles)
        if (memberships or roles) and not {Action.MOVE, Action.ENABLE, Action.UPDATE} & set(actions):
            actions.append(Action.UPDATE)  # memberships repaired, or the source's roles changed
        if not actions:
            return None
        return self._change(account, person, actions, fields=fields, update=update, **vars(memberships), **roles)

    def plan_leaver(self, account: Account, person: DesiredPerson | None, plan: SyncPlan) -> None:
        """Disable, sign out and (per policy) remove the memberships of a leaver; delete after the grace period."""
        user, people = account.user, account.realm
        actions: list[Action] = []
        logout = False
        attributes = synced(user.attributes, person.attributes) if person else dict(user.attributes)
        if user.enabled:
            actions.append(Action.DISABLE)
            logout = True
            attributes["disabled_on"] = [self.today.isoformat()]
        elif self._grace_over(user):
            plan.changes.append(self._change(account, person, [Action.DELETE], delete=True))
            return
        fields, update = field_edits(user, person, attributes, enabled=user.enabled and not logout)
        if fields and not actions:
            actions.append(Action.UPDATE)
        removing = self.policy.leavers.memberships == "remove"
        memberships = membership_edits(user, people, set(), None) if removing else Memberships()
        roles = account.role_edits(frozenset()) if removing else {}
        if not user.enabled and not signed_out(user):
            # disabled by a run that was cut off before it signed the account out: finish that now
            logout = True
            fields["sessions"] = ("open", "ended")
        if not actions and (update or logout or memberships.removes or roles):
            actions.append(Action.UPDATE)
        change = self._change(account, person, actions, fields=fields, update=update, logout=logout,
                              **vars(memberships), **roles)
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
    def _change(account: Account, person: DesiredPerson | None, actions: list[Action], **requests) -> PersonChange:
        """The change of an existing account, whole: ``requests`` are the PersonChange fields that make it."""
        user = account.user
        company = person.placement.company if person else user.attribute("company_code")
        return PersonChange(account.realm.realm, account.employee_id, user.username, company, tuple(actions),
                            where=person.where if person else None, user_id=user.id, **requests)


def _shared(email: str, person: DesiredPerson, people: list[DesiredPerson], others: list[str]) -> str:
    """Why ``person`` is rejected for an email others have; the address masked, at most a few lines named."""
    lines = [str(p.where.line) for p in people if p is not person]
    shown = ", ".join(lines[:3]) + (f" and {len(lines) - 3} more" if len(lines) > 3 else "")
    if lines:
        return f"email {masked(email)} is also on line {shown}"
    return f"email {masked(email)} belongs to account {', '.join(others[:3])}"
