"""Objects matched by a key and compared field by field: roles, organizations, identity providers (and clients,
in :mod:`groupid.diff.clients`).

Each is created when missing, updated when owned (or adopted), reported when made by hand, and pruned when
owned and gone from the spec.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from groupid.diff.context import RealmComparison, field_changes, owned, shown_value
from groupid.keycloak_terms import ATTR_CODE, ATTR_MANAGED
from groupid.payloads import IdentityProviderPayload, OrganizationPayload, Payload
from groupid.plan import Create, Delete, Update
from groupid.realms.live import LiveIdentityProvider


def diff_objects(
    comparison: RealmComparison, kind: str, wanted: dict[str, dict], live: dict[str, Any], *,
    view: Callable[[Any], dict], is_owned: Callable[[Any], bool], payload: Callable[[str, Any], Payload],
    label: Callable[[str], str], secret: Callable[[str], tuple[str, str] | None] | None = None,
) -> None:
    """Create, update (owned or adopted), report (unmanaged) and prune objects of one kind, keyed alike.

    ``wanted`` holds the fields the spec sets, by key; ``view`` gives the same fields of a live object;
    ``payload(key, live_or_None)`` what apply needs; ``secret(key)`` the (realm, clientId) whose secret a
    new object takes.
    """
    for key, fields in wanted.items():
        current = live.get(key)
        if current is None:
            created = field_changes({name: (None, value) for name, value in fields.items()})
            if secret and secret(key):
                created += field_changes({"config.clientSecret": (None, f"secret of client {secret(key)[1]}")})
            comparison.changes.append(Create(kind, key, label(key), payload(key, None), created))
        elif is_owned(current) or comparison.options.adopt:
            now = view(current)
            changed = field_changes({name: (now.get(name), value) for name, value in fields.items()})
            if changed:
                comparison.changes.append(Update(kind, key, label(key), payload(key, current), changed))
        else:
            comparison.note(kind, key, f"{label(key)} exists but was not made by groupid; apply --adopt takes it over")
    for key, current in live.items():
        if key not in wanted and is_owned(current):
            comparison.prune_or_report(Delete(kind, key, label(key), payload(key, current)))


def diff_organizations(comparison: RealmComparison) -> None:
    """One organization per company (topology organizations), matched by code, else by alias."""
    nodes = {org.code: org for org in comparison.desired.organizations}
    by_alias = {org.alias: org.code for org in nodes.values()}
    live = {}
    for org in comparison.live.organizations:
        key = org.attribute(ATTR_CODE) if owned(org.attributes) else by_alias.get(org.alias)
        live[key or f"alias:{org.alias}"] = org

    def view(org) -> dict:
        return {"name": org.name, "domains": sorted(org.domains),
                **{f"attributes.{k}": shown_value(v) for k, v in org.attributes.items()}}

    def payload(code: str, org) -> OrganizationPayload:
        node = nodes.get(code)
        if node is None:
            return OrganizationPayload(org.name, org.alias, org.id, tuple(org.domains), org.attributes)
        attributes = {**(org.attributes if org else {}), **node.attributes}
        return OrganizationPayload(node.name, node.alias, org.id if org else None, tuple(node.domains), attributes)

    diff_objects(comparison, "organization", {code: view(node) for code, node in nodes.items()}, live, view=view,
                 is_owned=lambda o: owned(o.attributes), payload=payload, label=lambda code: f"organization {code}")


def idp_view(representation: dict) -> dict:
    """The fields of an identity provider a plan compares: never its secret."""
    view = {name: representation.get(name) for name in ("displayName", "enabled", "providerId")}
    view.update({f"config.{k}": v for k, v in representation.get("config", {}).items() if k != "clientSecret"})
    return view


def diff_identity_providers(comparison: RealmComparison) -> None:
    """The identity providers groupid makes (links between realms), matched by alias."""
    nodes = {i.alias: i for i in comparison.desired.identity_providers}
    wanted = {alias: idp_view(node.representation) for alias, node in nodes.items()}
    live = {i.alias: i for i in comparison.live.identity_providers}
    # a link whose client is recreated elsewhere in this apply must pick up the client's new secret
    renew = {alias for alias, node in nodes.items() if node.secret_from in comparison.new_clients and alias in live}
    for alias in sorted(renew):
        wanted[alias]["config.clientSecret"] = f"new secret of client {nodes[alias].secret_from[1]}"

    def view(idp: LiveIdentityProvider) -> dict:
        return idp_view({"displayName": idp.display_name, "enabled": idp.enabled,
                         "providerId": idp.provider_id, "config": idp.config})

    def payload(alias: str, idp: LiveIdentityProvider | None) -> IdentityProviderPayload:
        node = nodes.get(alias)
        if node is None:
            return IdentityProviderPayload(alias)
        config = {**(idp.config if idp else {}), **node.representation["config"]}
        fresh = idp is None or alias in renew
        return IdentityProviderPayload(alias, {**node.representation, "config": config},
                                       node.secret_from if node.secret_from and fresh else None)

    diff_objects(comparison, "identity-provider", wanted, live, view=view,
                 is_owned=lambda i: i.config.get(ATTR_MANAGED) == "true", payload=payload,
                 label=lambda alias: f"identity provider {alias}", secret=lambda alias: nodes[alias].secret_from)
