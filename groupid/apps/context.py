"""What an app's templates see: the app, its Keycloak endpoints, its redirect URIs, its secret by reference.

One context serves both sides, the Keycloak client and the app's own files, so the two cannot drift apart:
the callback the client allows is the callback the app's file names.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from groupid.apps.templates import Template
from groupid.model import App


def redirect_uris(app: App, template: Template) -> list[str]:
    """Where Keycloak may send the browser back: the app's ``redirect_uris``, else the template's callbacks; paths
    are under ``base_url``, and left out when there is none."""
    uris = app.redirect_uris or template.spec.callbacks
    return [under(app.base_url, uri) for uri in uris if "://" in uri or app.base_url]


def under(base_url: str | None, uri: str) -> str:
    """``uri`` when it is a URL, else the path ``uri`` under ``base_url`` (the path itself when there is none)."""
    if "://" in uri or not base_url:
        return uri
    return base_url.rstrip("/") + "/" + uri.lstrip("/")


def origin(url: str | None) -> str | None:
    """The origin of ``url`` (``https://host:port``), for CORS; None for None."""
    if not url:
        return None
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def client_id(app: App, template: Template) -> str:
    """The app's clientId: ``client_id`` when given, else the base URL for a template that takes it (a SAML SP's
    entity ID), else the app's id."""
    if app.client_id:
        return app.client_id
    if template.spec.client_id == "base_url" and app.base_url:
        return app.base_url
    return app.id


def app_settings(app: App, template: Template) -> dict[str, Any]:
    """The template's knobs as the app sets them: the template's defaults, overridden by the app's ``settings``."""
    return {**template.spec.settings, **app.settings}


def secret_env(app: App, template: Template) -> str:
    """The environment variable the app side reads its client secret from."""
    default = template.spec.secret_env or f"{app.id.upper().replace('-', '_').replace('.', '_')}_CLIENT_SECRET"
    return str(app.settings.get("secret_env", default))


def app_context(app: App, template: Template, *, realm: str, keycloak_url: str, secret: str | None = None,
                idp_certificate: str | None = None) -> dict[str, Any]:
    """The values a template renders with. ``keycloak_url`` is where people reach Keycloak; ``secret`` is the
    client secret itself, given only to render it in clear (``--reveal``); ``idp_certificate`` the realm's
    SAML signing certificate, when read from the live realm."""
    issuer = f"{keycloak_url.rstrip('/')}/realms/{realm}"
    oidc = f"{issuer}/protocol/openid-connect"
    uris = redirect_uris(app, template)
    public = template.spec.client == "public"
    return {
        "app": {
            "id": app.id, "name": app.name or app.id, "description": app.description, "owner": app.owner,
            "kind": app.kind, "base_url": app.base_url, "launch_url": app.launch_url or app.base_url,
            "roles": list(app.roles), "role_map": {k: list(v) for k, v in app.role_map.items()},
        },
        "settings": app_settings(app, template),
        "client_id": client_id(app, template),
        "public": public,
        "realm": realm,
        "keycloak_url": keycloak_url.rstrip("/"),
        "issuer": issuer,
        "discovery_url": f"{issuer}/.well-known/openid-configuration",
        "endpoints": {
            "authorization": f"{oidc}/auth", "token": f"{oidc}/token", "userinfo": f"{oidc}/userinfo",
            "jwks": f"{oidc}/certs", "end_session": f"{oidc}/logout", "introspection": f"{oidc}/token/introspect",
        },
        "saml": {
            "entity_id": issuer, "sso_url": f"{issuer}/protocol/saml",
            "metadata_url": f"{issuer}/protocol/saml/descriptor", "certificate": idp_certificate,
        },
        "redirect_uris": uris,
        "callback_url": uris[0] if uris else None,
        "claims": {"groups": "groups", "roles": "roles", "username": "preferred_username", "email": "email",
                   "name": "name"},
        "secret": None if public or template.spec.protocol == "saml" else {
            "env": secret_env(app, template), "file": app.secret_file, "value": secret},
    }
