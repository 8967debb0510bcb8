"""Carrying plans out through a realm adapter.

Before anything is written, every plan passes its checks: a saved plan must still match the live realm it
was made against (else :class:`StalePlan`), and no plan may delete more than the deletion guard allows
(else :class:`~groupid.errors.TooMuchChange`), unless forced. Then the changes run in the plan's dependency order. A
failure part-way is reported as such — how many changes were applied and which one failed — never as
success.

An apply holds the lock a sync takes (:mod:`groupid.lock`, in the group's realm), from its checks to its
last change: two applies, or an apply and a sync, never write one realm at once, and a saved plan cannot go
stale between its check and its changes. A group's first apply, which creates the realm, has nothing to lock.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from groupid.diff import live_checksum
from groupid.errors import ApplyFailed, ConfigurationError, GroupidError, StalePlan
from groupid.files import read_secret_file
from groupid.keycloak_terms import (
    ACCESS_ROLE,
    BIND_CREDENTIAL,
    GROUP_MAPPER_PROVIDER,
    LDAP_MAPPER_TYPE,
    LDAP_PROVIDER,
    MANAGED_SUBTYPE,
    USER_STORAGE_TYPE,
    split_reference,
)
from groupid.lock import Lease, sync_lock
from groupid.payloads import (
    ClientPayload,
    CompositesPayload,
    FederationMapperPayload,
    FederationPayload,
    GroupPayload,
    GroupRolesPayload,
    IdentityProviderPayload,
    OrganizationPayload,
    RealmPayload,
    RolePayload,
    SignInFlowPayload,
    UserProfilePayload,
)
from groupid.plan import Change, Plan
from groupid.realms.base import RealmAdapter
from groupid.runs import Action, Outcome, Progress


def check_plans(plans: list[Plan], adapter: RealmAdapter, *, saved: bool, force: bool = False) -> None:
    """Refuse, before any write, plans whose realm changed since (saved plans), that delete too much, or whose
    LDAP federations' bind passwords are not in the environment."""
    check_bind_passwords(plans)
    for plan in plans:
        if saved:
            current = live_checksum(adapter.read(plan.realm))
            if current != plan.live_checksum:
                raise StalePlan(
                    f"realm {plan.realm} changed after the plan was made (or the plan was applied already); "
                    "nothing was written. Make a new plan and review it"
                )
        plan.check_deletions(force)


def check_bind_passwords(plans: list[Plan]) -> None:
    """A :class:`ConfigurationError` naming every environment variable an LDAP federation's bind password should
    be in but that is unset or empty, when a plan sends it (creates such a federation, or rotates its password)."""
    missing = sorted({change.payload.bind_password_env for plan in plans for change in plan.changes
                      if isinstance(change.payload, FederationPayload) and change.payload.bind_password_env
                      and not os.environ.get(change.payload.bind_password_env)})
    if missing:
        raise ConfigurationError(
            f"the LDAP bind password variable{'s' if len(missing) > 1 else ''} {', '.join(missing)} "
            f"{'are' if len(missing) > 1 else 'is'} not set or empty; set {'them' if len(missing) > 1 else 'it'} "
            "in the environment of apply. Nothing was written")


def apply_plans(
    plans: list[Plan],
    adapter: RealmAdapter,
    *,
    saved: bool = False,
    force: bool = False,
    progress: Progress | None = None,
    wait: float = 0.0,
    revoke_sessions: bool = False,
) -> list[Outcome[Change]]:
    """Lock the group's realm, check every plan, then apply them one after the other.

    Returns one :class:`~groupid.runs.Outcome` per plan, in the plans' order: the changes applied and the
    write requests they took. ``saved`` plans (read back from a file) are first compared with the live realm.
    ``progress`` is told after each applied change, counting the changes of all plans. ``wait`` is how long to
    wait for another run's lock; raises :class:`~groupid.lock.SyncLocked` (nothing written) when it is
    still held then. ``revoke_sessions`` signs out, after each plan, whoever holds a session with an app
    whose audience the plan narrowed and may no longer sign in to it (:func:`revoke_left_sessions`); each
    outcome counts them in ``signed_out``.
    """
    check_bind_passwords(plans)  # before the lock, which is a write too
    with _locked(plans, adapter, wait) as lease:
        check_plans(plans, adapter, saved=saved, force=force)
        steps = _Steps(sum(len(plan.changes) for plan in plans), progress)
        outcomes = []
        for plan in plans:
            outcome = _Applier(plan, adapter, steps, lease).run()
            if revoke_sessions:
                outcome.signed_out = revoke_left_sessions(plan, adapter)
            outcomes.append(outcome)
        return outcomes


def revoke_left_sessions(plan: Plan, adapter: RealmAdapter) -> int:
    """After ``plan`` was applied: sign out the users holding a session with an app they may no longer sign in to.

    Only apps whose audience the plan narrowed are looked at: those whose access role
    (:data:`~groupid.keycloak_terms.ACCESS_ROLE`) a group or a role lost, and every app with one when the plan
    deleted groups or roles (their members lose what those held). An app whose access role the plan deleted is
    open to everyone now and is left alone. Returns how many users were signed out.
    """
    narrowed: set[str] = set()
    everything = False
    for change in plan.changes:
        payload = change.payload
        if isinstance(payload, (GroupRolesPayload, CompositesPayload)):
            narrowed |= {client for client, name in map(split_reference, payload.remove) if client and name == ACCESS_ROLE}
        everything |= change.action == Action.DELETE and isinstance(payload, (GroupPayload, RolePayload))
    if not (narrowed or everything):
        return 0
    live = adapter.read(plan.realm)
    guarded = {role.client for role in live.client_roles if role.name == ACCESS_ROLE}
    return sum(adapter.sign_out_without(plan.realm, client, ACCESS_ROLE)
               for client in sorted(guarded if everything else guarded & narrowed))


class _Steps:
    """The changes applied so far across all plans, told to a :class:`~groupid.runs.Progress`."""

    def __init__(self, total: int, progress: Progress | None):
        self.done, self.total, self.progress = 0, total, progress

    def advance(self) -> None:
        self.done += 1
        if self.progress:
            self.progress(self.done, self.total)


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

    def __init__(self, plan: Plan, adapter: RealmAdapter, steps: _Steps, lease: Lease | None = None):
        self.plan = plan
        self.lease = lease
        self.realm = plan.realm
        self.adapter = adapter
        self.steps = steps
        self.outcome: Outcome[Change] = Outcome()
        self.created: dict[str, str] = {}
        self.created_federations: dict[str, str] = {}  #: federation name -> the id it got in this apply
        # one handler per payload type; each does what the change's action asks
        self.handlers: dict[type, Callable[[Change, Any], None]] = {
            RealmPayload: self._realm,
            UserProfilePayload: lambda c, p: self._write(adapter.set_user_profile, self.realm, p.profile),
            RolePayload: self._role,
            CompositesPayload: self._composites,
            GroupPayload: self._group,
            GroupRolesPayload: self._group_roles,
            OrganizationPayload: self._organization,
            ClientPayload: self._client,
            IdentityProviderPayload: self._identity_provider,
            SignInFlowPayload: self._sign_in_flow,
            FederationPayload: self._federation,
            FederationMapperPayload: self._federation_mapper,
        }

    def run(self) -> Outcome[Change]:
        """Apply every change of the plan, in order; :class:`ApplyFailed` at the first that fails."""
        applied = self.outcome.done
        for change in self.plan.changes:
            try:
                if self.lease is not None:
                    self.lease.check()
                self.handlers[type(change.payload)](change, change.payload)
            except (GroupidError, KeyError, TypeError, ValueError) as exc:
                # KeyError and friends: a saved plan edited by hand; say so with the progress made
                reason = str(exc) if isinstance(exc, GroupidError) else f"the plan is damaged ({type(exc).__name__}: {exc})"
                raise ApplyFailed(
                    f"realm {self.realm}: {change.action} {change.label} failed after {len(applied)} of "
                    f"{len(self.plan.changes)} changes were applied: {reason.rstrip('.')}. Run plan again to see what remains"
                ) from exc
            applied.append(change)
            self.steps.advance()
        return self.outcome

    def _write(self, write: Callable[..., Any], *args: Any) -> Any:
        """One write request to the realm, counted in the outcome."""
        self.outcome.writes += 1
        return write(*args)

    def _group_id(self, code: str | None, known: str | None) -> str | None:
        """A group's id: known from the plan, or created earlier in this apply."""
        if code is None:
            return None
        return known or self.created[code]

    def _realm(self, change: Change, payload: RealmPayload) -> None:
        if change.action == Action.CREATE:
            self._write(self.adapter.create_realm, self.realm, payload.display_name)
            if not payload.organizations_enabled:
                return
        self._write(self.adapter.update_realm, self.realm, payload.display_name, payload.organizations_enabled)

    def _role(self, change: Change, payload: RolePayload) -> None:
        """Realm and client roles alike; the payload names the client when the role has one."""
        adapter = self.adapter
        if payload.client:
            write = {Action.CREATE: adapter.create_client_role, Action.UPDATE: adapter.update_client_role,
                     Action.DELETE: adapter.delete_client_role}[change.action]
            target = (self.realm, payload.client, payload.name)
        else:
            write = {Action.CREATE: adapter.create_role, Action.UPDATE: adapter.update_role,
                     Action.DELETE: adapter.delete_role}[change.action]
            target = (self.realm, payload.name)
        if change.action == Action.DELETE:
            self._write(write, *target)
        else:
            self._write(write, *target, payload.description, payload.attributes)

    def _composites(self, change: Change, payload: CompositesPayload) -> None:
        self._edit_set(payload.role, payload.add, payload.remove, self.adapter.add_composites, self.adapter.remove_composites)

    def _group_roles(self, change: Change, payload: GroupRolesPayload) -> None:
        group_id = self._group_id(payload.group, payload.id)
        self._edit_set(group_id, payload.add, payload.remove, self.adapter.add_group_roles, self.adapter.remove_group_roles)

    def _edit_set(self, target: str, add: tuple[str, ...], remove: tuple[str, ...], adding, removing) -> None:
        """Add and remove the members a set change lists (a role's composites, a group's roles)."""
        if add:
            self._write(adding, self.realm, target, list(add))
        if remove:
            self._write(removing, self.realm, target, list(remove))

    def _group(self, change: Change, payload: GroupPayload) -> None:
        if change.action == Action.DELETE:
            self._write(self.adapter.delete_group, self.realm, payload.id)
            return
        parent_id = self._group_id(payload.parent, payload.parent_id)
        if change.action == Action.CREATE:
            self.created[change.key] = self._write(self.adapter.create_group, self.realm, parent_id, payload.name,
                                                   payload.attributes)
            return
        # move first: a new name may be taken under the old parent (a department swapped into its place)
        if payload.move:
            self._write(self.adapter.move_group, self.realm, payload.id, parent_id)
        self._write(self.adapter.update_group, self.realm, payload.id, payload.name, payload.attributes)

    def _organization(self, change: Change, payload: OrganizationPayload) -> None:
        if change.action == Action.DELETE:
            self._write(self.adapter.delete_organization, self.realm, payload.id)
        elif change.action == Action.CREATE:
            self._write(self.adapter.create_organization, self.realm, payload.name, payload.alias,
                        list(payload.domains), payload.attributes)
        else:
            self._write(self.adapter.update_organization, self.realm, payload.id, payload.name,
                        list(payload.domains), payload.attributes)

    def _client(self, change: Change, payload: ClientPayload) -> None:
        if change.action == Action.DELETE:
            self._write(self.adapter.delete_client, self.realm, payload.uuid)
            return
        representation = payload.representation
        if payload.secret_file:
            # read now, never stored in the plan: a saved plan file holds no secret
            representation = {**representation, "secret": read_secret_file(*payload.secret_file)}
        if change.action == Action.CREATE:
            self._write(self.adapter.create_client, self.realm, representation)
        else:
            self._write(self.adapter.update_client, self.realm, payload.uuid, representation)

    def _identity_provider(self, change: Change, payload: IdentityProviderPayload) -> None:
        if change.action == Action.DELETE:
            self._write(self.adapter.delete_identity_provider, self.realm, payload.alias)
            return
        representation = payload.representation
        if payload.secret_from:
            # looked up now, never stored in the plan: a saved plan file holds no secret
            realm, client_id = payload.secret_from
            secret = self.adapter.client_secret(realm, client_id)
            representation = {**representation, "config": {**representation["config"], "clientSecret": secret}}
        if change.action == Action.CREATE:
            self._write(self.adapter.create_identity_provider, self.realm, representation)
        else:
            self._write(self.adapter.update_identity_provider, self.realm, payload.alias, representation)

    def _sign_in_flow(self, change: Change, payload: SignInFlowPayload) -> None:
        """Create or bring in line the app's own browser flow (bound to its client), or unbind and delete it."""
        if change.action == Action.DELETE:
            self._write(self.adapter.delete_sign_in_flow, self.realm, payload.alias)
        else:
            self._write(self.adapter.put_sign_in_flow, self.realm, payload.alias, payload.client_id, payload.role)

    def _federation(self, change: Change, payload: FederationPayload) -> None:
        """An LDAP federation, its bind password read from the environment now: never kept in the plan."""
        if change.action == Action.DELETE:
            self._write(self.adapter.delete_component, self.realm, payload.id)
            return
        config = dict(payload.config)
        if payload.bind_password_env:  # created, or rotated; an update without it keeps the stored password
            password = os.environ.get(payload.bind_password_env, "")
            if not password:  # check_bind_passwords saw it set; it may have been unset since
                raise ConfigurationError(f"the LDAP bind password variable {payload.bind_password_env} is not set or empty")
            config[BIND_CREDENTIAL] = [password]
        if change.action == Action.CREATE:
            representation = {"name": payload.name, "providerId": LDAP_PROVIDER, "providerType": USER_STORAGE_TYPE,
                              "subType": MANAGED_SUBTYPE, "config": config}
            self.created_federations[payload.name] = self._write(self.adapter.create_component, self.realm,
                                                                 representation)
        else:
            self._write(self.adapter.update_component, self.realm, payload.id,
                        {"name": payload.name, "subType": MANAGED_SUBTYPE, "config": config})

    def _federation_mapper(self, change: Change, payload: FederationMapperPayload) -> None:
        """The group mapper of an LDAP federation; below the one this apply created, when it did."""
        if change.action == Action.DELETE:
            self._write(self.adapter.delete_component, self.realm, payload.id)
        elif change.action == Action.CREATE:
            parent = payload.federation_id or self.created_federations[payload.federation]
            representation = {"name": payload.name, "providerId": GROUP_MAPPER_PROVIDER,
                              "providerType": LDAP_MAPPER_TYPE, "parentId": parent, "subType": MANAGED_SUBTYPE,
                              "config": payload.config}
            self._write(self.adapter.create_component, self.realm, representation)
        else:
            self._write(self.adapter.update_component, self.realm, payload.id,
                        {"name": payload.name, "subType": MANAGED_SUBTYPE, "config": payload.config})
