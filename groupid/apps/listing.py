"""The app table of ``groupid apps list``: one row per app, as text cells or JSON values."""

from __future__ import annotations

from groupid.apps import app_realm, catalog_for
from groupid.model import App, Group

COLUMNS = ("app", "name", "owner", "kind", "template", "protocol", "realm", "audience")
"""The columns of the table, in order."""


def app_rows(group: Group) -> list[dict]:
    """One row per app of the group: the :data:`COLUMNS`; ``audience`` is ``everyone`` or a mapping of the
    companies, departments and roles it lists. The spec is valid, so every template loads."""
    catalog = catalog_for(group)
    return [{
        "app": app.id,
        "name": app.name or app.id,
        "owner": app.owner or group.code,
        "kind": app.kind,
        "template": app.template,
        "protocol": catalog.get(app.template).spec.protocol,
        "realm": app_realm(group, app),
        "audience": audience_of(app),
    } for app in group.apps]


def audience_of(app: App) -> str | dict[str, list[str]]:
    """``everyone``, or the non-empty lists of the app's audience."""
    if app.audience.everyone:
        return "everyone"
    return {key: list(values) for key, values in app.audience.model_dump().items() if values}


def audience_text(audience: str | dict[str, list[str]]) -> str:
    """An audience as one table cell: ``everyone``, or ``companies: A, B; roles: r``."""
    if isinstance(audience, str):
        return audience
    return "; ".join(f"{key}: {', '.join(values)}" for key, values in audience.items())
