"""The built-in templates generic-saml, spa, grafana, gitlab, jenkins, nextcloud and argocd: each one's app-side
file read back in its own format and held against the real Keycloak — the realm's discovery document, the
client Keycloak made from the rendered representation, and an authorization request built from what the app
will send, which Keycloak must answer with its login form, not an error page.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import textwrap
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import requests

import groupid
from groupid.apps import catalog_for, render_app
from groupid.realms import KeycloakServer
from groupid.realms.keycloak.transport import admin_url
from tests.app_formats import (
    MD,
    AppSide,
    read_argocd,
    read_gitlab,
    read_grafana,
    read_jenkins,
    read_nextcloud,
    read_saml,
    read_spa,
)

APPS = """\
apps:
  - {id: reports, name: 报表平台, template: generic-saml, base_url: https://reports.example.cn, roles: [viewer]}
  - {id: portal, name: 门户, template: spa, base_url: https://portal.example.cn}
  - {id: grafana, name: 运维监控平台, template: grafana, base_url: https://grafana.example.cn, roles: [viewer, editor, admin]}
  - {id: gitlab, name: 代码平台, template: gitlab, base_url: https://gitlab.example.cn}
  - {id: jenkins, name: 构建平台, template: jenkins, base_url: https://ci.example.cn, roles: [admin, developer]}
  - {id: nextcloud, name: 集团网盘, template: nextcloud, base_url: https://cloud.example.cn, settings: {occ: OCC}}
  - {id: argocd, name: 发布平台, template: argocd, base_url: https://argocd.example.cn, roles: [admin, readonly]}
"""

READERS = {"grafana": read_grafana, "gitlab": read_gitlab, "jenkins": read_jenkins, "argocd": read_argocd,
           "portal": read_spa, "reports": read_saml}
OIDC_APPS = ["portal", "grafana", "gitlab", "jenkins", "nextcloud", "argocd"]
CONFIDENTIAL = ["grafana", "gitlab", "jenkins", "nextcloud"]
APP_CALLBACKS = {  # where each app itself takes the browser back, from its own documentation and code
    "portal": "https://portal.example.cn/callback", "grafana": "https://grafana.example.cn/login/generic_oauth",
    "gitlab": "https://gitlab.example.cn/users/auth/openid_connect/callback",
    "jenkins": "https://ci.example.cn/securityRealm/finishLogin",
    "nextcloud": "https://cloud.example.cn/apps/user_oidc/code", "argocd": "https://argocd.example.cn/auth/callback",
}


def write_spec(folder: Path, realm: str, apps: str = APPS) -> Path:
    """A small spec: one group, one company, and ``apps``; the nextcloud script's occ is a stand-in there."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "group.yaml").write_text(textwrap.dedent(f"""\
        group: {{code: XH, name: 星河控股集团, realm: {realm}}}
        companies:
          - {{code: XH, name: 星河控股集团有限公司}}
        """), encoding="utf-8")
    (folder / "apps.yaml").write_text(apps.replace("OCC", str(folder / "occ")), encoding="utf-8")
    return folder


def rendered(folder: Path, keycloak_url: str | None = None, **secrets_by_app) -> dict:
    """Every app of the spec in ``folder`` rendered: app id -> RenderedApp (``secrets_by_app``: revealed)."""
    group = groupid.load_spec(str(folder))
    catalog = catalog_for(group)
    return {app.id: render_app(group, app, catalog, keycloak_url=keycloak_url, secret=secrets_by_app.get(app.id))
            for app in group.apps}


def app_side(app_id: str, files: dict[str, str], folder: Path, environment: dict | None = None) -> AppSide:
    """The app's file read back; nextcloud's script is run, its callback is the one user_oidc serves."""
    if app_id == "nextcloud":
        side = read_nextcloud(files, folder, environment or {"NEXTCLOUD_CLIENT_SECRET": "from-the-environment"})
        side.callback = "https://cloud.example.cn/apps/user_oidc/code"
        return side
    return READERS[app_id](files)


# -- against the real Keycloak ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def live(keycloak, realm_name, tmp_path_factory):
    """A fresh realm holding every app's client as rendered; its discovery document; the rendered apps."""
    folder = write_spec(tmp_path_factory.mktemp("spec"), realm_name)
    apps = rendered(folder, keycloak_url=keycloak.server_url)
    server = KeycloakServer(keycloak)
    server.import_realm({"realm": realm_name, "enabled": True})
    clients = {}
    for app_id, app in apps.items():
        server.create_client(realm_name, app.client)
        (clients[app_id],) = server.transport.request(
            "GET", admin_url(realm_name, "clients"), "read client", params={"clientId": app.client["clientId"]})
    discovery = requests.get(f"{keycloak.server_url}/realms/{realm_name}/.well-known/openid-configuration",
                             timeout=30).json()
    return {"folder": folder, "apps": apps, "clients": clients, "discovery": discovery, "realm": realm_name,
            "url": keycloak.server_url}


@pytest.mark.parametrize("app_id", OIDC_APPS)
def test_the_app_side_names_keycloaks_own_issuer_endpoints_and_the_clients_callback(live, app_id):
    side = app_side(app_id, live["apps"][app_id].files, live["folder"])
    client, discovery = live["clients"][app_id], live["discovery"]
    assert side.client_id == client["clientId"]
    assert side.callback == APP_CALLBACKS[app_id] and side.callback in client["redirectUris"]
    if side.issuer:
        assert side.issuer == discovery["issuer"]
    if side.discovery_url:
        # what the app discovers is the document itself, naming the same issuer
        assert requests.get(side.discovery_url, timeout=30).json()["issuer"] == discovery["issuer"]
    for key, url in side.endpoints.items():
        assert url == discovery[key], key
    if side.post_logout:
        assert side.post_logout in client["attributes"]["post.logout.redirect.uris"].split("##")
    granted = {"openid", *client["defaultClientScopes"], *client.get("optionalClientScopes", [])}
    assert set(side.scopes) <= granted, f"{app_id} asks for scopes its client lacks: {set(side.scopes) - granted}"
    if client["publicClient"]:
        assert client["attributes"]["pkce.code.challenge.method"] == "S256" and side.secret is None


@pytest.mark.parametrize("app_id", OIDC_APPS)
def test_keycloak_answers_the_apps_own_authorization_request_with_its_login_form(live, app_id):
    """What the app will send — its client id, callback, scopes, and PKCE when it uses it — is a request
    Keycloak accepts: it shows its login form, not an error page."""
    side = app_side(app_id, live["apps"][app_id].files, live["folder"])
    params = {"client_id": side.client_id, "redirect_uri": side.callback, "response_type": "code",
              "scope": " ".join(["openid", *side.scopes]) if "openid" not in side.scopes else " ".join(side.scopes),
              "state": secrets.token_urlsafe(8)}
    if side.pkce:
        verifier = secrets.token_urlsafe(48)
        params |= {"code_challenge_method": "S256", "code_challenge": base64.urlsafe_b64encode(
            hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()}
    answer = requests.get(live["discovery"]["authorization_endpoint"], params=params, timeout=30, allow_redirects=False)
    assert answer.status_code == 200 and 'id="kc-form-login"' in answer.text, (answer.status_code, answer.text[:400])


def test_a_public_client_without_pkce_is_refused_by_keycloak(live):
    """The PKCE the public clients declare is enforced by Keycloak, not only written into the app's file."""
    side = read_argocd(live["apps"]["argocd"].files)
    answer = requests.get(live["discovery"]["authorization_endpoint"], timeout=30, allow_redirects=False, params={
        "client_id": side.client_id, "redirect_uri": side.callback, "response_type": "code", "scope": "openid"})
    assert "kc-form-login" not in answer.text
    assert "code_challenge_method" in (answer.headers.get("Location", "") + answer.text)


def test_the_sp_descriptor_agrees_with_the_saml_client_and_keycloaks_idp_descriptor(live):
    side = read_saml(live["apps"]["reports"].files)
    client = live["clients"]["reports"]
    assert side.client_id == client["clientId"] == "https://reports.example.cn" and client["protocol"] == "saml"
    assert side.extra["acs"][0] == ("urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST", side.callback)
    assert side.callback == client["attributes"]["saml_assertion_consumer_url_post"] and side.callback in client["redirectUris"]
    assert side.extra["name_id_formats"] == ["urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified"]
    assert client["attributes"]["saml_name_id_format"] == "username"
    assert client["attributes"]["saml.client.signature"] == "false" and side.extra["authn_requests_signed"] == "false"
    idp = side.extra["idp"]
    descriptor = requests.get(idp["idp_metadata_url"], timeout=30)
    root = ET.fromstring(descriptor.content)
    entity = root if root.tag == f"{MD}EntityDescriptor" else root.find(f"{MD}EntityDescriptor")
    assert entity.get("entityID") == idp["idp_entity_id"] == side.issuer
    sso = {s.get("Binding"): s.get("Location") for s in entity.iter(f"{MD}SingleSignOnService")}
    for binding in idp["idp_sso_bindings"]:
        assert sso[binding] == idp["idp_sso_url"]


# -- secrets ------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def spec_folder(tmp_path_factory) -> Path:
    return write_spec(tmp_path_factory.mktemp("spec"), "xinghe")


SECRET = "kc-SECRET-4f1e9b"
REFERENCES = {  # how each app refers to its secret when it is not revealed
    "grafana": None,  # GF_AUTH_GENERIC_OAUTH_CLIENT_SECRET, which Grafana reads itself: no line at all
    "gitlab": 'ENV.fetch("GITLAB_CLIENT_SECRET")',
    "jenkins": "${JENKINS_CLIENT_SECRET}",
    "nextcloud": "from-the-environment",  # the script's $client_secret, from NEXTCLOUD_CLIENT_SECRET
}


@pytest.mark.parametrize("app_id", CONFIDENTIAL)
def test_a_secret_is_referred_to_and_never_written_unless_revealed(spec_folder, app_id):
    apps = rendered(spec_folder)
    side = app_side(app_id, apps[app_id].files, spec_folder)
    assert side.secret == REFERENCES[app_id]
    assert "GF_AUTH_GENERIC_OAUTH_CLIENT_SECRET" in apps["grafana"].files["grafana.ini"]
    revealed = rendered(spec_folder, **{app_id: SECRET})
    assert app_side(app_id, revealed[app_id].files, spec_folder, environment={}).secret == SECRET
    assert all(SECRET not in text for other, app in revealed.items() if other != app_id for text in app.files.values())


@pytest.mark.parametrize("app_id", CONFIDENTIAL)
def test_a_secret_file_is_read_by_the_app_where_it_can(spec_folder, app_id, tmp_path):
    group = groupid.load_spec(str(spec_folder))
    secret_file = tmp_path / "client-secret"
    secret_file.write_text(SECRET + "\n", encoding="utf-8")
    app = next(a for a in group.apps if a.id == app_id).model_copy(update={"secret_file": str(secret_file)})
    files = render_app(group, app, catalog_for(group)).files
    assert all(SECRET not in text for text in files.values())
    expected = {"grafana": f"$__file{{{secret_file}}}", "gitlab": f'File.read("{secret_file}").strip',
                "jenkins": f"${{readFile:{secret_file}}}", "nextcloud": SECRET}[app_id]
    assert app_side(app_id, files, spec_folder, environment={}).secret == expected


def test_the_public_and_saml_templates_have_no_secret_to_show(spec_folder):
    apps = rendered(spec_folder)
    assert not any("secret" in key.lower() for key in read_spa(apps["portal"].files).extra["config"])
    assert not any("secret" in key.lower() for key in read_argocd(apps["argocd"].files).extra["oidc"])
    assert not any("secret" in key.lower() for key in read_saml(apps["reports"].files).extra["idp"])
    assert apps["portal"].client["publicClient"] and apps["argocd"].client["publicClient"]


# -- what each app maps -------------------------------------------------------------------------------------


def test_grafana_maps_the_apps_client_roles_to_its_own(spec_folder):
    side = read_grafana(rendered(spec_folder)["grafana"].files)
    assert side.extra["role_attribute_path"] == (
        "contains(roles[*], 'admin') && 'Admin' || contains(roles[*], 'editor') && 'Editor' || 'Viewer'")
    assert side.extra["login_attribute_path"] == "preferred_username" and side.extra["signout_client_id"] == "grafana"


def test_gitlab_emits_every_key_it_means_to(spec_folder):
    side = read_gitlab(rendered(spec_folder)["gitlab"].files)
    values = side.extra["values"]
    assert values["label"] == "代码平台" and values["args.uid_field"] == "preferred_username"
    assert values["args.response_type"] == "code" and values["args.client_auth_method"] == "query"
    assert set(values) == {"name", "label", "args", *(f"args.{key}" for key in (
        "name", "scope", "response_type", "issuer", "discovery", "client_auth_method", "uid_field", "pkce",
        "client_options", "client_options.identifier", "client_options.secret", "client_options.redirect_uri"))}
    assert side.extra["settings"]["omniauth_allow_single_sign_on"] == "['openid_connect']"


def test_jenkins_takes_groups_from_the_apps_client_roles(spec_folder):
    oic = read_jenkins(rendered(spec_folder)["jenkins"].files).extra["oic"]
    assert oic["groupsFieldName"] == "roles" and oic["userNameField"] == "preferred_username"
    assert oic["logoutFromOpenidProvider"] is True and oic["properties"] == ["pkce"]


def test_argo_cd_maps_client_roles_to_its_rbac_roles_and_asks_for_no_scope_keycloak_lacks(spec_folder):
    side = read_argocd(rendered(spec_folder)["argocd"].files)
    assert side.extra["rbac"]["policy.csv"].splitlines() == ["g, admin, role:admin", "g, readonly, role:readonly"]
    assert side.extra["rbac"]["scopes"] == "[roles, groups]"
    assert side.pkce and "clientSecret" not in side.extra["oidc"] and "argocd-secret" not in side.extra["maps"]
