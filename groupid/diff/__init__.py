"""Comparing the desired state of a realm with its live state, into a :class:`~groupid.plan.Plan`.

Identity is the code, not the name: a live group is matched to the spec by its ``groupid.code`` attribute,
so a renamed department is an update of the same group and a moved one is a move — never a delete and a
create that would lose its members and role mappings.

Ownership decides what may be touched. Objects groupid created carry ``groupid.managed``; only those are
updated freely and, with ``prune``, deleted when they leave the spec. An object made by hand (or by another
tool) that matches the spec — a group at the same path, a role of the same name — is reported as unmanaged
and left alone, unless ``adopt`` asks to take it over.

One module per kind of object: :mod:`~groupid.diff.realm` (the realm and its user profile),
:mod:`~groupid.diff.roles` (roles, composites, default roles), :mod:`~groupid.diff.groups` and
:mod:`~groupid.diff.objects` (organizations, identity providers, and the compare-by-key they share with roles
and clients), :mod:`~groupid.diff.clients` (clients compared in full), :mod:`~groupid.diff.flows` (who may sign in
to each app), :mod:`~groupid.diff.federations` (LDAP federations and their group mappers);
:mod:`~groupid.diff.context` holds what one comparison shares.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict

from groupid.diff.clients import diff_clients
from groupid.diff.context import DiffOptions, RealmComparison
from groupid.diff.federations import diff_federations
from groupid.diff.flows import diff_sign_in_flows
from groupid.diff.groups import diff_groups
from groupid.diff.objects import diff_identity_providers, diff_organizations
from groupid.diff.realm import diff_realm_settings, diff_user_profile
from groupid.diff.roles import diff_default_roles, diff_roles
from groupid.plan import Plan
from groupid.realms.live import LiveRealm
from groupid.state import RealmState

__all__ = ["DiffOptions", "diff_realm", "live_checksum"]


def live_checksum(live: LiveRealm) -> str:
    """A fingerprint of the live state; a saved plan is stale when it no longer matches."""
    canonical = asdict(live)
    canonical["groups"] = sorted(canonical["groups"], key=lambda g: g["id"])
    canonical["roles"] = sorted(canonical["roles"], key=lambda r: r["name"])
    text = json.dumps(canonical, sort_keys=True, ensure_ascii=False, default=sorted)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()




def diff_realm(
    desired: RealmState, live: LiveRealm, options: DiffOptions = DiffOptions(),
    new_clients: frozenset[tuple[str, str]] = frozenset(),
) -> Plan:
    """The plan that brings ``live`` in line with ``desired``.

    ``new_clients`` are (realm, clientId) pairs another plan creates: an identity provider that takes its
    secret from one of them gets the new secret.
    """
    comparison = RealmComparison(desired, live, options, new_clients)
    for kind in (diff_realm_settings, diff_user_profile, diff_roles, diff_default_roles, diff_groups,
                 diff_organizations, diff_clients, diff_sign_in_flows, diff_identity_providers, diff_federations):  # in the order a plan applies them
        kind(comparison)
    return Plan(
        realm=desired.realm,
        changes=comparison.changes,
        findings=comparison.findings,
        live_checksum=live_checksum(live),
        managed=comparison.managed_counts(),
    )
