"""Carrying plans out through a realm adapter.

Before anything is written, every plan passes its checks: a saved plan must still match the live realm it
was made against (else :class:`StalePlan`), and no plan may delete more than the deletion guard allows
(else :class:`SafetyGuardRefused`), unless forced. Then the changes run in the plan's dependency order. A
failure part-way is reported as such — how many changes were applied and which one failed — never as
success.

An apply holds the lock a sync takes (:mod:`groupid.sync.lock`, in the group's realm), from its checks to its
last change: two applies, or an apply and a sync, never write one realm at once, and a saved plan cannot go
stale between its check and its changes. A group's first apply, which creates the realm, has nothing to lock.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from groupid.diff import live_checksum
from groupid.errors import ApplyFailed, GroupidError, StalePlan
from groupid.plan import Change, Plan, count_actions
from groupid.realms.base import RealmAdapter
from groupid.sync.lock import Lease, sync_lock


@dataclass
class ApplyResult:
    """What one plan's apply did."""

    realm: str
    applied: list[Change] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        """How many creates, updates and deletes were applied."""
        return count_actions(self.applied)


def check_plans(plans: list[Plan], adapter: RealmAdapter, *, saved: bool, force: bool = False) -> None:
    """Refuse, before any write, plans whose realm changed since (saved plans) or that delete too much."""
    for plan in plans:
        if saved:
            current = live_checksum(adapter.read(plan.realm))
            if current != plan.live_checksum:
                raise StalePlan(
                    f"realm {plan.realm} changed after the plan was made (or the plan was applied already); "
                    "nothing was written. Make a new plan and review it"
                )
        plan.check_deletions(force)


def apply_plans(
    plans: list[Plan],
    adapter: RealmAdapter,
    *,
    saved: bool = False,
    force: bool = False,
    progress: Callable[[Change], None] | None = None,
    wait: float = 0.0,
) -> list[ApplyResult]:
    """Lock the group's realm, check every plan, then apply them one after the other.

    ``saved`` plans (read back from a file) are first compared with the live realm. ``progress`` is called
    after each applied change. ``wait`` is how long to wait for another run's lock; raises
    :class:`~groupid.sync.lock.SyncLocked` (nothing written) when it is still held then.
    """
    with _locked(plans, adapter, wait) as lease:
        check_plans(plans, adapter, saved=saved, force=force)
        return [_Applier(plan, adapter, progress, lease).run() for plan in plans]


@contextmanager
def _locked(plans: list[Plan], adapter: RealmAdapter, wait: float) -> Iterator[Lease | None]:
    """Hold the lock of the group's realm (the first plan's) while there is something to write to a realm
    that exists already."""
    if not plans or all(plan.empty for plan in plans) or not adapter.realm_exists(plans[0].realm):
        yield None
        return
    with sync_lock(adapter, plans[0].realm, "apply", wait) as lease:
        yield lease


class _Applier:
    """Applies one plan; remembers the ids of the groups it creates for the changes that follow."""

    def __init__(self, plan: Plan, adapter: RealmAdapter, progress: Callable[[Change], None] | None,
                 lease: Lease | None = None):
        self.plan = plan
        self.lease = lease
        self.realm = plan.realm
        self.adapter = adapter
        self.progress = progress
        self.created: dict[str, str] = {}
        # one handler per kind; each does what the change's action asks, and nothing for an action it lacks
        self.handlers: dict[str, Callable[[Change], None]] = {
            "realm": self._realm,
            "user-profile": lambda c: adapter.set_user_profile(self.realm, c.data["profile"]),
            "role": self._role,
            "composites": self._composites,
            "default-roles": self._composites,
            "group": self._group,
            "group-roles": self._group_roles,
            "organization": self._organization,
            "client": self._client,
            "identity-provider": self._identity_provider,
        }

    def run(self) -> ApplyResult:
        result = ApplyResult(self.realm)
        for change in self.plan.changes:
            try:
                if self.lease is not None:
                    self.lease.check()
                self.handlers[change.kind](change)
            except (GroupidError, KeyError, TypeError, ValueError) as exc:
                # KeyError and friends: a saved plan edited by hand; say so with the progress made
                reason = str(exc) if isinstance(exc, GroupidError) else f"the plan is damaged ({type(exc).__name__}: {exc})"
                raise ApplyFailed(
                    f"realm {self.realm}: {change.action} {change.label} failed after {len(result.applied)} of "
                    f"{len(self.plan.changes)} changes were applied: {reason.rstrip('.')}. Run plan again to see what remains"
                ) from exc
            result.applied.append(change)
            if self.progress:
                self.progress(change)
        return result

    def _group_id(self, code: str | None, known: str | None) -> str | None:
        """A group's id: known from the plan, or created earlier in this apply."""
        if code is None:
            return None
        return known or self.created[code]

    def _realm(self, change: Change) -> None:
        if change.action == "create":
            self.adapter.create_realm(self.realm, change.data["display_name"])
            if not change.data.get("organizations_enabled"):
                return
        self.adapter.update_realm(self.realm, change.data["display_name"], change.data.get("organizations_enabled"))

    def _role(self, change: Change) -> None:
        """Realm and client roles alike; a change's data names the client when the role has one."""
        data, adapter = change.data, self.adapter
        if data.get("client"):
            write = {"create": adapter.create_client_role, "update": adapter.update_client_role,
                     "delete": adapter.delete_client_role}[change.action]
            target = (self.realm, data["client"], data["name"])
        else:
            write = {"create": adapter.create_role, "update": adapter.update_role,
                     "delete": adapter.delete_role}[change.action]
            target = (self.realm, data["name"])
        write(*target) if change.action == "delete" else write(*target, data["description"], data["attributes"])

    def _composites(self, change: Change) -> None:
        self._edit_set(change, change.data["role"], self.adapter.add_composites, self.adapter.remove_composites)

    def _group_roles(self, change: Change) -> None:
        group_id = self._group_id(change.data["group"], change.data.get("id"))
        self._edit_set(change, group_id, self.adapter.add_group_roles, self.adapter.remove_group_roles)

    def _edit_set(self, change: Change, target: str, add, remove) -> None:
        """Add and remove the members a set change lists (a role's composites, a group's roles)."""
        if change.data["add"]:
            add(self.realm, target, change.data["add"])
        if change.data["remove"]:
            remove(self.realm, target, change.data["remove"])

    def _group(self, change: Change) -> None:
        data = change.data
        if change.action == "delete":
            self.adapter.delete_group(self.realm, data["id"])
            return
        parent_id = self._group_id(data["parent"], data.get("parent_id"))
        if change.action == "create":
            self.created[change.key] = self.adapter.create_group(self.realm, parent_id, data["name"], data["attributes"])
            return
        # move first: a new name may be taken under the old parent (a department swapped into its place)
        if data.get("move"):
            self.adapter.move_group(self.realm, data["id"], parent_id)
        self.adapter.update_group(self.realm, data["id"], data["name"], data["attributes"])

    def _organization(self, change: Change) -> None:
        data = change.data
        if change.action == "delete":
            self.adapter.delete_organization(self.realm, data["id"])
        elif change.action == "create":
            self.adapter.create_organization(self.realm, data["name"], data["alias"], data["domains"], data["attributes"])
        else:
            self.adapter.update_organization(self.realm, data["id"], data["name"], data["domains"], data["attributes"])

    def _client(self, change: Change) -> None:
        data = change.data
        if change.action == "delete":
            self.adapter.delete_client(self.realm, data["uuid"])
        elif change.action == "create":
            self.adapter.create_client(self.realm, data["representation"])
        else:
            self.adapter.update_client(self.realm, data["uuid"], data["representation"])

    def _identity_provider(self, change: Change) -> None:
        if change.action == "delete":
            self.adapter.delete_identity_provider(self.realm, change.key)
            return
        representation = change.data["representation"]
        if change.data.get("secret_from"):
            # looked up now, never stored in the plan: a saved plan file holds no secret
            realm, client_id = change.data["secret_from"]
            secret = self.adapter.client_secret(realm, client_id)
            representation = {**representation, "config": {**representation["config"], "clientSecret": secret}}
        if change.action == "create":
            self.adapter.create_identity_provider(self.realm, representation)
        else:
            self.adapter.update_identity_provider(self.realm, change.key, representation)
