"""A realm as groupid sees it: what an adapter reads, without what is no part of the realm's design.

Both adapters read everything (:meth:`~groupid.realms.base.RealmConfiguration.read_raw`); the rules of what
groupid leaves out are written here once, for both:

- lock roles (realm roles carrying :data:`~groupid.keycloak_terms.LOCK_MARK`, the locks of older groupids):
  they come and go with the runs that hold them; today's locks are client scopes, which a live realm does
  not hold;
- the roles of Keycloak's own clients (:data:`~groupid.keycloak_terms.KEYCLOAK_CLIENTS`): they are Keycloak's;
  a spec may refer to them without defining them.
"""

from __future__ import annotations

import dataclasses

from groupid.keycloak_terms import KEYCLOAK_CLIENTS, LOCK_MARK
from groupid.realms.live import LiveRealm, LiveRole


def is_lock_role(role: LiveRole) -> bool:
    """Whether ``role`` is a lock a run holds, not a role of the realm's design."""
    return role.client is None and LOCK_MARK in role.attributes


def realm_as_groupid_sees_it(live: LiveRealm) -> LiveRealm:
    """``live`` without lock roles and without the roles of Keycloak's own clients; the rest as it is."""
    return dataclasses.replace(
        live,
        roles=[role for role in live.roles if not is_lock_role(role)],
        client_roles=[role for role in live.client_roles if role.client not in KEYCLOAK_CLIENTS],
    )
