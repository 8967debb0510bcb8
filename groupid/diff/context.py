"""What one comparison of a realm shares across kinds of object: the inputs, the live lookups and the results."""

from __future__ import annotations

from dataclasses import dataclass, field

from groupid.keycloak_terms import ATTR_CODE, ATTR_MANAGED, MANAGED_SUBTYPE
from groupid.plan import Change, Delete, FieldChange, Finding
from groupid.realms.live import LiveRealm
from groupid.state import RealmState

OWNED = {ATTR_MANAGED: ["true"]}
"""The attribute that marks an object groupid made."""


@dataclass(frozen=True)
class DiffOptions:
    """How far a plan may go beyond creating and updating owned objects."""

    prune: bool = False  #: delete owned objects that left the spec
    adopt: bool = False  #: take over unmanaged objects that match the spec
    rotate_bind_passwords: bool = False  #: send every LDAP federation's bind password again, from its variable


@dataclass
class RealmComparison:
    """One comparison of a desired realm with a live one: what each kind of object adds to the plan."""

    desired: RealmState
    live: LiveRealm
    options: DiffOptions
    new_clients: frozenset[tuple[str, str]] = frozenset()  #: (realm, clientId) that another plan creates
    changes: list[Change] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.roles = {r.ref: r for r in [*self.live.roles, *self.live.client_roles]}

    def note(self, kind: str, key: str, message: str) -> None:
        """Something the plan does not change but the admin should know."""
        self.findings.append(Finding(kind, key, message))

    def prune_or_report(self, delete: Delete) -> None:
        """An owned object that left the spec: deleted under --prune, otherwise listed as a finding."""
        if self.options.prune:
            self.changes.append(delete)
        else:
            self.note(delete.kind, delete.key, f"{delete.label} left the spec; apply --prune deletes it")

    def managed_counts(self) -> dict[str, int]:
        """How many objects of each kind groupid owns: the base of the deletion guard."""
        return {
            "group": len({g.attribute(ATTR_CODE) for g in self.live.groups if owned(g.attributes) and g.attribute(ATTR_CODE)}),
            "role": sum(1 for r in self.roles.values() if owned(r.attributes)),
            "organization": sum(1 for o in self.live.organizations if owned(o.attributes)),
            "client": sum(1 for c in self.live.clients if c.attributes.get(ATTR_MANAGED) == "true"),
            "identity-provider": sum(1 for i in self.live.identity_providers if i.config.get(ATTR_MANAGED) == "true"),
            "sign-in-flow": len(self.live.sign_in_flows),  # groupid's by their alias
            "federation": sum(1 for f in self.live.federations if f.component.sub_type == MANAGED_SUBTYPE),
            "federation-mapper": sum(1 for f in self.live.federations for m in f.group_mappers
                                     if m.sub_type == MANAGED_SUBTYPE),
        }


def owned(attributes: dict[str, list[str]]) -> bool:
    """Whether attributes (or an identity provider's config, kept alike) mark an object groupid made."""
    return first(attributes, ATTR_MANAGED) == "true"


def first(attributes: dict[str, list[str]], name: str) -> str | None:
    """The first value of an attribute, None when it has none."""
    values = attributes.get(name) or [None]
    return values[0]


def field_changes(pairs: dict[str, tuple]) -> tuple[FieldChange, ...]:
    """FieldChanges for the pairs whose old and new differ; anything named a secret is marked sensitive."""
    return tuple(FieldChange(name, old, new, "secret" in name.lower()) for name, (old, new) in pairs.items() if old != new)


def shown_value(values: list[str] | None):
    """An attribute's values as a plan shows them: one value as itself, several sorted, none as None."""
    if not values:
        return None
    return values[0] if len(values) == 1 else sorted(values)
