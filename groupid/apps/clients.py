"""An app's Keycloak client, made from its template's declaration: the flows it needs and nothing more, the
mappers of the claims it reads, and the marks that say groupid owns it.

Secure by default: confidential unless the template is a browser or native app (then public, with PKCE S256
required); the standard flow only, no implicit flow, no password grant unless the app asks; the client's own
roles only in its tokens (``fullScopeAllowed`` off). The secret is never part of the representation.
"""

from __future__ import annotations

from groupid.apps.context import app_settings, client_id, origin, redirect_uris, under
from groupid.apps.templates import Template
from groupid.errors import SourceError
from groupid.keycloak_terms import ATTR_APP, ATTR_MANAGED, ATTR_TEMPLATE
from groupid.model import App

SAML_NAME_ID_FORMATS = ("username", "email", "transient", "persistent")
"""The name ID formats a Keycloak SAML client can be told to send (``saml_name_id_format``)."""

APP_ATTRIBUTES = (ATTR_MANAGED, ATTR_APP, ATTR_TEMPLATE, "pkce.code.challenge.method", "post.logout.redirect.uris",
                  "saml_assertion_consumer_url_post")
"""The attributes groupid sets on an app's client, some only for some apps: one an app no longer needs (PKCE for a
client made confidential) is removed from its client."""

OIDC_TOKENS = {"id.token.claim": "true", "access.token.claim": "true", "userinfo.token.claim": "true"}
"""Where the OIDC mappers put their claims: the ID token, the access token and the userinfo answer."""


def client_representation(app: App, template: Template) -> dict:
    """The ClientRepresentation of the app's client, as groupid creates and compares it."""
    spec = template.spec
    cid = client_id(app, template)
    saml = spec.protocol == "saml"
    public = spec.client == "public" and not saml
    uris = redirect_uris(app, template)
    attributes = {ATTR_MANAGED: "true", ATTR_APP: app.id, ATTR_TEMPLATE: template.name, **spec.attributes}
    if public:
        attributes["pkce.code.challenge.method"] = "S256"
    if spec.post_logout and not saml:
        attributes["post.logout.redirect.uris"] = "##".join(under(app.base_url, uri) for uri in spec.post_logout)
    if saml and uris:
        attributes["saml_assertion_consumer_url_post"] = uris[0]
    if saml:
        attributes.update(saml_setting_attributes(app, app_settings(app, template)))
    web_origins = [o for o in [origin(app.base_url)] if o and spec.web_origins]
    return {
        "clientId": cid,
        "name": app.name or app.id,
        "description": app.description or "",
        "enabled": True,
        "protocol": spec.protocol,
        "publicClient": public,
        "clientAuthenticatorType": "client-secret",
        "standardFlowEnabled": True,
        "implicitFlowEnabled": False,
        "directAccessGrantsEnabled": app.direct_access_grants and not saml,
        "serviceAccountsEnabled": False,
        "fullScopeAllowed": False,
        "alwaysDisplayInConsole": False,
        "baseUrl": app.launch_url or app.base_url or "",
        "redirectUris": sorted(uris),
        "webOrigins": web_origins,
        "defaultClientScopes": [] if saml else [*default_scopes(spec.claims, web_origins=bool(web_origins)), *spec.scopes],
        "optionalClientScopes": [] if saml else list(spec.optional_scopes),
        "attributes": attributes,
        "protocolMappers": saml_mappers(spec.claims) if saml else oidc_mappers(cid, spec.claims),
    }


def saml_setting_attributes(app: App, settings: dict) -> dict[str, str]:
    """The SAML client attributes a template leaves to the app's settings, for the knobs the template declares:
    ``name_id_format`` (one of :data:`SAML_NAME_ID_FORMATS`, forced on the SP's requests), and
    ``sp_certificate`` (the SP's signing certificate, base64 DER: then Keycloak requires signed requests;
    empty: the SP does not sign, and Keycloak must not expect it to)."""
    attributes: dict[str, str] = {}
    if "name_id_format" in settings:
        name_id = str(settings["name_id_format"])
        if name_id not in SAML_NAME_ID_FORMATS:
            raise SourceError(f"{app.label}: settings: name_id_format {name_id!r} is not one of "
                              f"{', '.join(SAML_NAME_ID_FORMATS)}", app.where("settings"))
        attributes.update({"saml_name_id_format": name_id, "saml_force_name_id_format": "true"})
    if "sp_certificate" in settings:
        certificate = "".join(str(settings["sp_certificate"] or "").split())
        attributes["saml.client.signature"] = "true" if certificate else "false"
        if certificate:
            attributes["saml.signing.certificate"] = certificate
    return attributes


def default_scopes(claims: list[str], *, web_origins: bool) -> list[str]:
    """The realm's client scopes the client takes: ``basic`` (sub), and ``profile`` and ``email`` when read."""
    return ["basic", *(name for name in ("profile", "email") if name in claims), *(["web-origins"] if web_origins else [])]


def oidc_mappers(cid: str, claims: list[str]) -> list[dict]:
    """The protocol mappers of an OIDC client: groups (full paths), the client's own roles as ``roles``, and
    the client as the access token's audience."""
    mappers = []
    if "groups" in claims:
        mappers.append(_mapper("groups", "openid-connect", "oidc-group-membership-mapper",
                               {"claim.name": "groups", "full.path": "true", **OIDC_TOKENS}))
    if "roles" in claims:
        mappers.append(_mapper("roles", "openid-connect", "oidc-usermodel-client-role-mapper", {
            "claim.name": "roles", "usermodel.clientRoleMapping.clientId": cid, "multivalued": "true",
            "jsonType.label": "String", **OIDC_TOKENS}))
    if "audience" in claims:
        mappers.append(_mapper("audience", "openid-connect", "oidc-audience-mapper", {
            "included.client.audience": cid, "id.token.claim": "true", "access.token.claim": "true"}))
    return mappers


def saml_mappers(claims: list[str]) -> list[dict]:
    """The protocol mappers of a SAML client: attributes for the username, names, email, groups and roles."""
    mappers = []
    if "profile" in claims:
        for name in ("username", "firstName", "lastName"):
            mappers.append(_mapper(name, "saml", "saml-user-property-mapper", {
                "user.attribute": name, "attribute.name": name, "friendly.name": name,
                "attribute.nameformat": "Basic"}))
    if "email" in claims:
        mappers.append(_mapper("email", "saml", "saml-user-property-mapper", {
            "user.attribute": "email", "attribute.name": "email", "friendly.name": "email",
            "attribute.nameformat": "Basic"}))
    if "groups" in claims:
        mappers.append(_mapper("groups", "saml", "saml-group-membership-mapper", {
            "attribute.name": "groups", "full.path": "true", "single": "true", "attribute.nameformat": "Basic"}))
    if "roles" in claims:
        mappers.append(_mapper("roles", "saml", "saml-role-list-mapper", {
            "attribute.name": "roles", "single": "true", "attribute.nameformat": "Basic"}))
    return mappers


def _mapper(name: str, protocol: str, mapper: str, config: dict[str, str]) -> dict:
    return {"name": name, "protocol": protocol, "protocolMapper": mapper, "config": config}
