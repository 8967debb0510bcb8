"""The plan of a people sync: one :class:`PersonChange` per account to touch, in a stable order.

Like a realm plan, a sync plan is made before anything is written, counted, checked against the guards, and
only then applied. A change holds everything its apply needs: no second read of the live state.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from groupid.errors import Location
from groupid.runs import Action
from groupid.sources import Rejection
from groupid.sync.people import DesiredPerson, Stage

PERSONAL_FIELDS = frozenset({"phone", "email"})
"""Fields whose values stay out of reports and plans: a report says that they changed, not what to."""


@dataclass(frozen=True, slots=True)
class NewAccount:
    """The account a joiner gets, as planned: whose it is, its username, and ``disabled_on`` when it is created
    disabled (a future joiner created ahead of the start date, which groupid enables on that day).

    Its UserRepresentation is made when it is sent (:meth:`representation`), a part of a bulk create at a time:
    made by the planner, every joiner's was held from the plan to the end of the run, a kilobyte each.
    """

    person: DesiredPerson
    username: str
    disabled_on: str | None = None  #: the day the account is created disabled on (ISO); None: created enabled

    @property
    def groups(self) -> list[str]:
        """The paths of the groups the account is created in."""
        return [self.person.placement.group_path]

    def representation(self) -> dict:
        """The UserRepresentation of the new account (with ``groups`` as paths), made anew at each call."""
        person = self.person
        first, last = person.names
        attributes = person.attributes
        if self.disabled_on is not None:
            attributes["disabled_on"] = [self.disabled_on]
        representation = {
            "username": self.username, "enabled": person.stage is Stage.ACTIVE, "firstName": first, "lastName": last,
            "attributes": attributes, "groups": self.groups,
        }
        if person.person.email:
            representation |= {"email": person.person.email, "emailVerified": True}
        return representation


@dataclass(frozen=True, eq=False, slots=True)
class PersonChange:
    """What a sync does to one person's account in one realm, made whole by the planner and never changed.

    ``actions`` says what it amounts to (a rehire that also changed department is ``enable`` and ``move``);
    the other fields are the requests that bring it about. The id Keycloak gives an account the change
    creates is the apply's (:attr:`groupid.runs.Outcome.ids`). A change is itself only: two changes that look
    alike are still two, and either can key a mapping.
    """

    realm: str
    employee_id: str
    username: str
    company: str | None
    actions: tuple[Action, ...]  #: what the change amounts to (of :data:`groupid.runs.PEOPLE_ACTIONS`)
    where: Location | None = None  #: the source row, when the person is in the source
    user_id: str | None = None  #: None for an account still to be created
    new: NewAccount | None = None  #: the account to create, for a joiner
    update: dict | None = None  #: the fields of the account to PUT (attributes complete)
    fields: dict[str, tuple] = field(default_factory=dict)  #: what changes: name -> (old, new)
    add_groups: tuple[tuple[str, str], ...] = ()  #: (id, path)
    remove_groups: tuple[tuple[str, str], ...] = ()
    add_organizations: tuple[tuple[str, str], ...] = ()  #: (id, company code)
    remove_organizations: tuple[tuple[str, str], ...] = ()
    add_roles: tuple[str, ...] = ()  #: realm roles granted directly (of those the source manages)
    remove_roles: tuple[str, ...] = ()  #: realm roles taken away (of those the source manages)
    logout: bool = False  #: revoke every session (a leaver)
    delete: bool = False

    @property
    def create(self) -> dict | None:
        """The UserRepresentation of the account to create (with ``groups`` as paths), made anew at each call;
        None when the account exists."""
        return self.new.representation() if self.new is not None else None

    @property
    def order(self) -> tuple:
        """Creates first (in bulk), then everything else by realm and employee ID."""
        return (Action.CREATE not in self.actions, self.realm, self.employee_id)

    def data(self) -> dict:
        """The change as plain data, personal values left out: for reports and JSON."""
        fields = {name: "changed" if name in PERSONAL_FIELDS else [_plain(old), _plain(new)]
                  for name, (old, new) in self.fields.items()}
        data = {
            "employee_id": self.employee_id,
            "realm": self.realm,
            "username": self.username,
            "company": self.company,
            "actions": [str(action) for action in self.actions],
            "changes": fields,
            "groups_added": [path for _, path in self.add_groups] + (self.new.groups if self.new else []),
            "groups_removed": [path for _, path in self.remove_groups],
            "organizations_added": [code for _, code in self.add_organizations],
            "organizations_removed": [code for _, code in self.remove_organizations],
            "roles_added": list(self.add_roles),
            "roles_removed": list(self.remove_roles),
        }
        if self.where:
            data["source"] = str(self.where)
        return {key: value for key, value in data.items() if value not in ([], {}, None)}


def _plain(value):
    return value if value is None or isinstance(value, (str, bool)) else str(value)


@dataclass(frozen=True)
class Notice:
    """Something worth knowing that changes nothing: an unknown manager, an account disabled by hand."""

    employee_id: str
    where: Location | None
    message: str
    company: str | None = None


@dataclass
class SyncPlan:
    """Every change of one sync, with what was rejected and noticed, and the figures the guards need."""

    changes: list[PersonChange] = field(default_factory=list)
    rejections: list[Rejection] = field(default_factory=list)
    notices: list[Notice] = field(default_factory=list)
    unchanged: Counter = field(default_factory=Counter)  #: company -> people already as they should be
    waiting: Counter = field(default_factory=Counter)  #: company -> future joiners not created yet
    out_of_scope: int = 0
    managed: int = 0  #: accounts in Keycloak that carry an employee ID
    active: int = 0  #: … of which enabled: the leaver guard's share is of these, the accounts that can still be lost
    rows: int = 0  #: data rows of the source

    @property
    def leavers(self) -> int:
        """Accounts this plan disables or deletes: what the leaver guard counts."""
        return sum(1 for change in self.changes if {Action.DISABLE, Action.DELETE} & set(change.actions))

    def counts(self) -> Counter:
        """How many accounts each action touches, plus ``rejected``, ``unchanged`` and ``waiting``, and — when a
        source manages roles — ``roles_added`` and ``roles_removed``: the accounts that gain or lose some."""
        return totals(self.by_company())

    def by_company(self) -> dict[str, Counter]:
        """The counts of :meth:`counts`, per company code (``?`` for rows without a usable one)."""
        table: dict[str, Counter] = {}
        for change in self.changes:
            counts = table.setdefault(change.company or "?", Counter())
            counts.update(str(action) for action in change.actions)
            counts.update(name for name, roles in (("roles_added", change.add_roles), ("roles_removed", change.remove_roles))
                          if roles)
        for rejection in self.rejections:
            table.setdefault(rejection.company or "?", Counter())["rejected"] += 1
        for name, counter in (("unchanged", self.unchanged), ("waiting", self.waiting)):
            for company, count in counter.items():
                table.setdefault(company, Counter())[name] += count
        return dict(sorted(table.items()))


def totals(table: dict[str, Counter]) -> Counter:
    """The sum of per-company counts."""
    total: Counter = Counter()
    for counts in table.values():
        total.update(counts)
    return total
