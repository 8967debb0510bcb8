"""The app catalog: each app of the spec becomes a Keycloak client and the app's own configuration, both from
one template, and is checked with its template before anything is written.

- :mod:`groupid.apps.templates` — template folders, built-in and the spec's own, rendered strictly.
- :mod:`groupid.apps.context` — what a template sees: the app, Keycloak's endpoints, the secret by reference.
- :mod:`groupid.apps.clients` — the app's Keycloak client: flows, mappers, marks.

Who may sign in is compiled with the rest of the realm (:mod:`groupid.state.apps`); docs/apps.md tells it all.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from groupid.apps.clients import client_representation
from groupid.apps.context import app_context, client_id, redirect_uris, secret_env
from groupid.apps.templates import Template, TemplateCatalog
from groupid.errors import Problem, SourceError
from groupid.model import App, Group, company_realm

ENV_NAME = re.compile(r"[A-Z_][A-Z0-9_]*")
"""What the name of the environment variable an app reads its secret from may be: it goes into shell scripts."""

PLACEHOLDER_KEYCLOAK = "https://keycloak.example"
"""Where Keycloak is said to be when the spec names no ``public_url`` and no server is at hand (validate)."""


@dataclass(frozen=True)
class RenderedApp:
    """Both sides of one app: its Keycloak client and its own files (name -> text)."""

    app: App
    template: Template
    realm: str
    client: dict
    files: dict[str, str]


def catalog_for(group: Group) -> TemplateCatalog:
    """The templates the group's spec can use: the built-in ones and its own."""
    return TemplateCatalog(group.directory)


def app_realm(group: Group, app: App) -> str:
    """The realm the app's client lives in: its owner's own realm under ``realm-per-company``, else the group's."""
    return company_realm(group, app.owner)


def render_app(group: Group, app: App, catalog: TemplateCatalog, *, keycloak_url: str | None = None,
               secret: str | None = None, idp_certificate: str | None = None) -> RenderedApp:
    """Both sides of ``app``; raises :class:`SourceError` for a missing template or one that fails to render."""
    template = catalog.get(app.template)
    realm = app_realm(group, app)
    context = app_context(app, template, realm=realm, keycloak_url=keycloak_url or group.public_url or PLACEHOLDER_KEYCLOAK,
                          secret=secret, idp_certificate=idp_certificate)
    client = client_representation(app, template)  # first: a bad setting is the app's fault, not the file's
    files = {name: template.render(source, context) for name, source in template.spec.files.items()}
    return RenderedApp(app, template, realm, client, files)


def app_problems(group: Group) -> list[Problem]:
    """What is wrong with the group's apps that only their templates tell: an unknown or broken template, a
    value a template needs and lacks, no redirect URI, a wildcard not opted in to, two apps on one clientId."""
    catalog = catalog_for(group)
    problems: list[Problem] = []
    seen: dict[tuple[str, str], App] = {}
    for app in group.apps:
        try:
            rendered = render_app(group, app, catalog)
        except SourceError as exc:
            where = exc.where or app.where("template")
            problems.append(Problem(where, f"{app.label}: {exc.reason}" if exc.where is None else exc.reason))
            continue
        template = rendered.template
        uris = redirect_uris(app, template)
        if not uris:
            problems.append(Problem(app.where(), f"{app.label}: no redirect URI; give redirect_uris, or base_url for "
                                                 f"the template's callback"))
        wild = [uri for uri in uris if "*" in uri]
        if wild and not app.allow_wildcard_redirects:
            problems.append(Problem(app.where("redirect_uris"), (
                f"{app.label}: the redirect URI {wild[0]!r} has a wildcard, which lets a token go wherever it "
                f"matches; list exact URIs, or set allow_wildcard_redirects: true")))
        env = secret_env(app, template)
        if not ENV_NAME.fullmatch(env):
            problems.append(Problem(app.where("settings"), f"{app.label}: secret_env {env!r} is not an environment "
                                                           f"variable's name (A-Z, 0-9, _)"))
        if app.direct_access_grants and not app.audience.everyone:
            problems.append(Problem(app.where("direct_access_grants"), (
                f"{app.label}: the password grant skips the browser sign-in that refuses whoever is outside the "
                f"audience; an app with an audience cannot have direct_access_grants")))
        if template.spec.client == "public" and app.secret_file:
            problems.append(Problem(app.where("secret_file"), f"{app.label}: template {template.name} makes a "
                                                              f"public client, which has no secret"))
        key = (rendered.realm, client_id(app, template))
        if key in seen:
            problems.append(Problem(app.where("id"), f"{app.label}: clientId {key[1]!r} is already {seen[key].label}'s"))
        seen[key] = app
    return problems


__all__ = ["RenderedApp", "Template", "TemplateCatalog", "app_problems", "app_realm", "catalog_for", "render_app"]
