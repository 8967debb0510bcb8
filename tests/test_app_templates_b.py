"""The harbor, minio, kubernetes, oauth2-proxy, spring-boot and jira templates: each app-side file parsed in its
own format (JSON, env lines, YAML, TOML, flags, XML) and held against the realm's real discovery document or
SAML descriptor and against the client Keycloak made from the rendered representation; then a user signs in
through Keycloak's login form and the tokens carry what each file says the app reads. A secret appears only
when it is given."""

from __future__ import annotations

import base64
import hashlib
import html
import json
import re
import secrets
import shutil
import subprocess
import tomllib
import xml.etree.ElementTree as ET
from io import StringIO
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from ruamel.yaml import YAML

from groupid.apps import catalog_for, render_app
from groupid.realms import KeycloakServer
from groupid.spec import load_spec
from tests.test_spec import write

GROUP = """\
group: {code: BX, name: 北辰集团, realm: beichen}
companies:
  - {code: BX, name: 北辰集团有限公司}
"""

APPS = """\
apps:
  - {id: harbor, name: 镜像仓库, template: harbor, base_url: "https://harbor.beichen.example", settings: {admin_group: /BX}}
  - {id: minio, name: 对象存储, template: minio, base_url: "https://minio.beichen.example", roles: [consoleAdmin]}
  - {id: minio-one, template: minio, base_url: "https://m1.beichen.example", settings: {role_policy: readonly}}
  - {id: k8s, name: 容器平台, template: kubernetes}
  - {id: tools, name: 内部工具, template: oauth2-proxy, base_url: "https://tools.beichen.example", roles: [user],
     settings: {allowed_roles: [user], allowed_groups: [/BX]}}
  - {id: tools-file, template: oauth2-proxy, base_url: "https://t2.beichen.example", secret_file: proxy.secret}
  - {id: orders, name: 订单系统, template: spring-boot, base_url: "https://orders.beichen.example", roles: [admin]}
  - {id: jira, name: 项目管理, template: jira, base_url: "https://jira.beichen.example"}
"""

SECRET = "s3cr3t-never-in-files-7f3a"
SAML_MD = "{urn:oasis:names:tc:SAML:2.0:metadata}"
DSIG = "{http://www.w3.org/2000/09/xmldsig#}"
SHELL_SCRIPTS = {"harbor": "configure-harbor.sh", "jira": "configure-jira.sh"}


@pytest.fixture(scope="module")
def group(tmp_path_factory):
    spec = write(tmp_path_factory.mktemp("spec"), {"group.yaml": GROUP, "apps.yaml": APPS})
    return load_spec(spec)


def rendered(group, app_id, *, url="https://sso.beichen.example", realm=None, secret=None, certificate=None):
    group = group.under_realm(realm)
    app = next(a for a in group.apps if a.id == app_id)
    return render_app(group, app, catalog_for(group), keycloak_url=url, secret=secret, idp_certificate=certificate)


def yaml_documents(text: str) -> list:
    return list(YAML(typ="safe").load_all(StringIO(text)))


def env_lines(text: str) -> dict[str, str]:
    """An environment file as systemd and docker read it: KEY=value lines; comments and blanks skipped."""
    pairs = [line.split("=", 1) for line in text.splitlines() if line.strip() and not line.startswith("#")]
    assert all(len(pair) == 2 for pair in pairs), text
    keys = [key for key, _ in pairs]
    assert len(keys) == len(set(keys)), f"a key twice: {keys}"
    return dict(pairs)


def flag_lines(text: str) -> dict[str, str]:
    pairs = [line.removeprefix("--").split("=", 1) for line in text.splitlines() if line.strip()]
    assert all(len(pair) == 2 for pair in pairs), text
    return dict(pairs)


# --- without Keycloak: secrets, syntax -----------------------------------------------------------------------

MINE = ["harbor", "minio", "minio-one", "k8s", "tools", "tools-file", "orders", "jira"]


@pytest.mark.parametrize("app_id", MINE)
def test_no_secret_without_reveal(group, app_id):
    files = rendered(group, app_id).files
    assert files
    for name, text in files.items():
        assert SECRET not in text, name
        assert "None" not in text, f"{name}: an empty value rendered as None"


@pytest.mark.parametrize(("app_id", "file", "where"), [
    ("harbor", "harbor-oidc.json", lambda text: json.loads(text)["oidc_client_secret"]),
    ("minio", "minio.env", lambda text: env_lines(text)["MINIO_IDENTITY_OPENID_CLIENT_SECRET"]),
    ("tools", "oauth2-proxy.cfg", lambda text: tomllib.loads(text)["client_secret"]),
    ("orders", "application.yml",
     lambda text: yaml_documents(text)[0]["spring"]["security"]["oauth2"]["client"]["registration"]["keycloak"][
         "client-secret"]),
])
def test_a_given_secret_is_where_the_app_reads_it(group, app_id, file, where):
    files = rendered(group, app_id, secret=SECRET).files
    assert where(files[file]) == SECRET
    assert [name for name, text in files.items() if SECRET in text] == [file]


@pytest.mark.parametrize("app_id", ["k8s", "jira"])
def test_public_and_saml_clients_have_no_secret_to_show(group, app_id):
    assert all(SECRET not in text for text in rendered(group, app_id, secret=SECRET).files.values())


def test_secrets_by_reference(group):
    harbor = rendered(group, "harbor").files
    assert "oidc_client_secret" not in json.loads(harbor["harbor-oidc.json"])
    assert '"${HARBOR_OIDC_CLIENT_SECRET:-}"' in harbor["configure-harbor.sh"]
    assert "MINIO_IDENTITY_OPENID_CLIENT_SECRET" not in env_lines(rendered(group, "minio").files["minio.env"])
    proxy = tomllib.loads(rendered(group, "tools").files["oauth2-proxy.cfg"])
    assert "client_secret" not in proxy and "client_secret_file" not in proxy
    assert tomllib.loads(rendered(group, "tools-file").files["oauth2-proxy.cfg"])["client_secret_file"] == "proxy.secret"
    spring = yaml_documents(rendered(group, "orders").files["application.yml"])[0]
    assert spring["spring"]["security"]["oauth2"]["client"]["registration"]["keycloak"]["client-secret"] == \
        "${ORDERS_CLIENT_SECRET}"


@pytest.mark.parametrize(("app_id", "secret"), [("harbor", None), ("harbor", SECRET), ("jira", None)])
def test_shell_scripts_parse(group, app_id, secret):
    if shutil.which("sh") is None:
        pytest.skip("no sh")
    script = rendered(group, app_id, secret=secret).files[SHELL_SCRIPTS[app_id]]
    assert subprocess.run(["sh", "-n"], input=script, text=True, capture_output=True).returncode == 0, script


def test_minio_policy_claim_or_one_role_policy(group):
    claim = env_lines(rendered(group, "minio").files["minio.env"])
    one = env_lines(rendered(group, "minio-one").files["minio.env"])
    # MinIO refuses both at once
    assert claim["MINIO_IDENTITY_OPENID_CLAIM_NAME"] == "roles" and "MINIO_IDENTITY_OPENID_ROLE_POLICY" not in claim
    assert one["MINIO_IDENTITY_OPENID_ROLE_POLICY"] == "readonly" and "MINIO_IDENTITY_OPENID_CLAIM_NAME" not in one
    assert claim["MINIO_IDENTITY_OPENID_DISPLAY_NAME"] == "对象存储"


def test_kubernetes_flags_say_what_the_authentication_configuration_says(group):
    files = rendered(group, "k8s").files
    (config,) = yaml_documents(files["authentication-config.yaml"])
    flags = flag_lines(files["kube-apiserver-oidc-flags.txt"])
    jwt = config["jwt"][0]
    assert config["kind"] == "AuthenticationConfiguration"
    assert config["apiVersion"] == "apiserver.config.k8s.io/v1"
    assert flags["oidc-issuer-url"] == jwt["issuer"]["url"]
    assert [flags["oidc-client-id"]] == jwt["issuer"]["audiences"]
    assert flags["oidc-username-claim"] == jwt["claimMappings"]["username"]["claim"]
    assert flags["oidc-username-prefix"] == jwt["claimMappings"]["username"]["prefix"]
    assert flags["oidc-groups-claim"] == jwt["claimMappings"]["groups"]["claim"]
    assert flags["oidc-groups-prefix"] == jwt["claimMappings"]["groups"]["prefix"]


def test_jira_certificate_when_known(group):
    files = rendered(group, "jira", certificate="MIIBcert").files
    assert json.loads(files["jira-idp.json"])["certificate"] == "MIIBcert"
    assert "curl" not in files["configure-jira.sh"].split("set -eu", 1)[1].split("printf", 1)[0]
    assert "MIIBcert" in files["jira-sso.txt"]
    unknown = rendered(group, "jira").files
    assert "certificate" not in json.loads(unknown["jira-idp.json"])
    assert "/protocol/saml/descriptor" in unknown["configure-jira.sh"]


# --- against the real Keycloak -------------------------------------------------------------------------------


class Admin:
    """The admin REST API of the test realm, signed in as the test's admin."""

    def __init__(self, settings, realm):
        self.url = settings.server_url
        self.realm = realm
        token = requests.post(f"{self.url}/realms/master/protocol/openid-connect/token", timeout=60, data={
            "grant_type": "password", "client_id": "admin-cli", "username": settings.admin_user,
            "password": settings.admin_password}).json()["access_token"]
        self.headers = {"Authorization": f"Bearer {token}"}

    def create_client(self, representation: dict) -> dict:
        answer = requests.post(f"{self.url}/admin/realms/{self.realm}/clients", json=representation,
                               headers=self.headers, timeout=60)
        assert answer.status_code == 201, answer.text
        (client,) = requests.get(f"{self.url}/admin/realms/{self.realm}/clients", headers=self.headers, timeout=60,
                                 params={"clientId": representation["clientId"]}).json()
        return client


@pytest.fixture(scope="module")
def live(keycloak, realm_name, group):
    """The test realm with every app's client created from its representation; per app: (files, client)."""
    KeycloakServer(keycloak).create_realm(realm_name, None)
    admin = Admin(keycloak, realm_name)
    apps = {}
    for app_id in MINE:
        out = rendered(group, app_id, url=keycloak.server_url, realm=realm_name)
        apps[app_id] = (out.files, admin.create_client(out.client))
    return apps


@pytest.fixture(scope="module")
def discovery(keycloak, realm_name, live):
    return requests.get(f"{keycloak.server_url}/realms/{realm_name}/.well-known/openid-configuration",
                        timeout=60).json()


@pytest.fixture(scope="module")
def descriptor(keycloak, realm_name, live):
    return ET.fromstring(requests.get(f"{keycloak.server_url}/realms/{realm_name}/protocol/saml/descriptor",
                                      timeout=60).content)


def mapper(client: dict, name: str) -> dict:
    return next(m for m in client.get("protocolMappers", []) if m["name"] == name)


def test_harbor_against_keycloak(live, discovery):
    files, client = live["harbor"]
    body = json.loads(files["harbor-oidc.json"])
    assert body["auth_mode"] == "oidc_auth"
    # Harbor reads the discovery document under oidc_endpoint
    assert requests.get(body["oidc_endpoint"] + "/.well-known/openid-configuration", timeout=60).json() == discovery
    assert body["oidc_endpoint"] == discovery["issuer"]
    assert body["oidc_client_id"] == client["clientId"] == "harbor"
    assert "https://harbor.beichen.example/c/oidc/callback" in client["redirectUris"]
    assert body["oidc_groups_claim"] == mapper(client, "groups")["config"]["claim.name"]
    assert body["oidc_admin_group"] == "/BX"
    scopes = body["oidc_scope"].split(",")
    assert set(scopes) <= set(discovery["scopes_supported"])
    assert set(scopes) - {"openid"} <= set(client["defaultClientScopes"]) | set(client["optionalClientScopes"])
    assert client["publicClient"] is False


def test_minio_against_keycloak(live, discovery):
    files, client = live["minio"]
    env = env_lines(files["minio.env"])
    assert requests.get(env["MINIO_IDENTITY_OPENID_CONFIG_URL"], timeout=60).json() == discovery
    assert env["MINIO_IDENTITY_OPENID_CLIENT_ID"] == client["clientId"]
    assert env["MINIO_IDENTITY_OPENID_REDIRECT_URI"] in client["redirectUris"]
    assert env["MINIO_IDENTITY_OPENID_REDIRECT_URI"] == env["MINIO_BROWSER_REDIRECT_URL"] + "/oauth_callback"
    assert env["MINIO_IDENTITY_OPENID_CLAIM_NAME"] == mapper(client, "roles")["config"]["claim.name"]
    assert set(env["MINIO_IDENTITY_OPENID_SCOPES"].split(",")) <= set(discovery["scopes_supported"])


def test_kubernetes_against_keycloak(live, discovery):
    files, client = live["k8s"]
    (config,) = yaml_documents(files["authentication-config.yaml"])
    (kubeconfig,) = yaml_documents(files["kubeconfig-user.yaml"])
    jwt = config["jwt"][0]
    assert jwt["issuer"]["url"] == discovery["issuer"]
    # the ID token's aud is the client ID, which the API server requires
    assert jwt["issuer"]["audiences"] == [client["clientId"]]
    assert jwt["claimMappings"]["groups"]["claim"] == mapper(client, "groups")["config"]["claim.name"]
    assert mapper(client, "groups")["config"]["id.token.claim"] == "true"
    (user,) = kubeconfig["users"]
    args = user["user"]["exec"]["args"]
    assert args[:2] == ["oidc-login", "get-token"]
    options = dict(arg.removeprefix("--").split("=", 1) for arg in args[2:] if "=" in arg)
    assert options["oidc-issuer-url"] == discovery["issuer"]
    assert options["oidc-client-id"] == client["clientId"]
    assert options["oidc-pkce-method"] in discovery["code_challenge_methods_supported"]
    assert "oidc-client-secret" not in options
    extra = [arg.split("=", 1)[1] for arg in args if arg.startswith("--oidc-extra-scope=")]
    assert set(extra) <= set(client["defaultClientScopes"])
    # a native app: public, PKCE S256 required, kubelogin's loopback ports
    assert client["publicClient"] is True
    assert client["attributes"]["pkce.code.challenge.method"] == "S256"
    assert sorted(client["redirectUris"]) == ["http://localhost:18000", "http://localhost:8000"]
    assert client["implicitFlowEnabled"] is False and client["directAccessGrantsEnabled"] is False


def test_oauth2_proxy_against_keycloak(live, discovery):
    files, client = live["tools"]
    cfg = tomllib.loads(files["oauth2-proxy.cfg"])
    assert cfg["provider"] == "keycloak-oidc"
    assert cfg["oidc_issuer_url"] == discovery["issuer"]
    assert cfg["client_id"] == client["clientId"]
    assert cfg["redirect_url"] in client["redirectUris"]
    assert cfg["redirect_url"] == "https://tools.beichen.example/oauth2/callback"
    assert cfg["code_challenge_method"] in discovery["code_challenge_methods_supported"]
    # oauth2-proxy checks aud against its client ID: the audience mapper puts it there
    assert mapper(client, "audience")["config"]["included.client.audience"] == cfg["client_id"]
    # keycloak-oidc reads resource_access.<client>.roles, which the realm's roles scope fills
    assert "roles" in client["defaultClientScopes"]
    assert cfg["allowed_roles"] == ["tools:user"]
    assert cfg["allowed_groups"] == ["/BX"]
    assert set(cfg["scope"].split()) <= set(discovery["scopes_supported"])


def test_spring_boot_against_keycloak(live, discovery):
    files, client = live["orders"]
    (document,) = yaml_documents(files["application.yml"])
    oauth2 = document["spring"]["security"]["oauth2"]
    registration = oauth2["client"]["registration"]["keycloak"]
    provider = oauth2["client"]["provider"][registration["provider"]]
    jwt = oauth2["resourceserver"]["jwt"]
    assert provider["issuer-uri"] == jwt["issuer-uri"] == discovery["issuer"]
    assert registration["client-id"] == client["clientId"]
    assert jwt["audiences"] == [client["clientId"]]
    # Spring's callback {baseUrl}/login/oauth2/code/{registrationId}, with the registration's name
    assert registration["redirect-uri"] == "https://orders.beichen.example/login/oauth2/code/keycloak"
    assert registration["redirect-uri"] in client["redirectUris"]
    assert jwt["authorities-claim-name"] == mapper(client, "roles")["config"]["claim.name"]
    assert mapper(client, "roles")["config"]["usermodel.clientRoleMapping.clientId"] == client["clientId"]
    assert provider["user-name-attribute"] == "preferred_username"
    assert mapper(client, "audience")["config"]["included.client.audience"] == client["clientId"]


def test_jira_against_keycloak(live, descriptor):
    files, client = live["jira"]
    idp = json.loads(files["jira-idp.json"])
    sso = descriptor.find(f"{SAML_MD}IDPSSODescriptor")
    post = [s.get("Location") for s in sso.findall(f"{SAML_MD}SingleSignOnService")
            if s.get("Binding") == "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST"]
    assert idp["sso-type"] == "SAML"
    assert idp["sso-issuer"] == descriptor.get("entityID")
    assert idp["sso-url"] in post
    assert idp["username-attribute"] == "${NameID}"
    # the SP: Jira's base URL as entity ID, its ACS, the username as name ID, signed assertions
    assert client["protocol"] == "saml"
    assert client["clientId"] == "https://jira.beichen.example"
    acs = "https://jira.beichen.example/plugins/servlet/samlconsumer"
    assert acs in client["redirectUris"]
    attributes = client["attributes"]
    assert attributes["saml_assertion_consumer_url_post"] == acs
    assert attributes["saml_name_id_format"] == "username"
    assert attributes["saml.assertion.signature"] == "true"
    assert attributes["saml.client.signature"] == "false"
    # the text file for the admin page: the same fields, by label
    for label, value in (("Single sign-on issuer", idp["sso-issuer"]), ("Identity provider SSO URL", idp["sso-url"]),
                         ("Audience URL (Entity ID)", client["clientId"]), ("Assertion consumer URL", acs)):
        assert any(line.startswith(label) and line.split()[-1] == value
                   for line in files["jira-sso.txt"].splitlines()), label


def test_jira_with_the_realm_certificate(group, live, descriptor, keycloak, realm_name):
    certificate = descriptor.find(f".//{SAML_MD}KeyDescriptor[@use='signing']//{DSIG}X509Certificate").text
    files = rendered(group, "jira", url=keycloak.server_url, realm=realm_name, certificate=certificate).files
    assert json.loads(files["jira-idp.json"])["certificate"] == certificate
    # what the script would fetch when the certificate is not known: the same, with grep and sed
    script = rendered(group, "jira", url=keycloak.server_url, realm=realm_name).files["configure-jira.sh"]
    pipeline = next(line for line in script.splitlines() if line.startswith("certificate="))
    pipeline = pipeline.removeprefix("certificate=$(").removesuffix(")")
    if shutil.which("curl") is None:
        pytest.skip("no curl")
    fetched = subprocess.run(["sh", "-c", pipeline], capture_output=True, text=True, timeout=60)
    assert fetched.stdout.strip() == certificate, fetched.stderr


DOCS = Path(__file__).resolve().parent.parent / "docs" / "apps.md"
DOC_SPEC = {
    "group.yaml": """\
        group: {code: XH, name: 星河集团, realm: xinghe, public_url: "https://sso.xinghe.example.cn"}
        companies:
          - {code: XH, name: 星河集团有限公司}
          - {code: XH-TECH, name: 星河科技, parent: XH}
        """,
    "apps.yaml": """\
        apps:
          - {id: harbor, name: 镜像仓库, template: harbor, base_url: "https://harbor.xinghe.example.cn",
             settings: {admin_group: /XH/XH-TECH}}
          - {id: minio, name: 对象存储, template: minio, base_url: "https://minio-console.xinghe.example.cn",
             roles: [consoleAdmin, readwrite, readonly]}
          - {id: k8s, name: 容器平台, template: kubernetes}
          - {id: tools, name: 内部工具, template: oauth2-proxy, base_url: "https://tools.xinghe.example.cn", roles: [user],
             role_map: {user: [XH-TECH]}, settings: {allowed_roles: [user], allowed_groups: [/XH]}}
          - {id: orders, name: 订单系统, template: spring-boot, base_url: "https://orders.xinghe.example.cn", roles: [admin]}
          - {id: jira, name: 项目管理, template: jira, base_url: "https://jira.xinghe.example.cn"}
        """,
}


@pytest.mark.parametrize("template", ["harbor", "minio", "kubernetes", "oauth2-proxy", "spring-boot", "jira"])
def test_docs_show_what_the_templates_render(tmp_path, template):
    """Every line of the app-side excerpts in the template's section of docs/apps.md is a line it renders."""
    group = load_spec(write(tmp_path, DOC_SPEC))
    app = next(a for a in group.apps if a.template == template)
    lines = set("\n".join(render_app(group, app, catalog_for(group)).files.values()).splitlines())
    section = DOCS.read_text(encoding="utf-8").split(f"\n### {template}\n", 1)[1].split("\n### ", 1)[0]
    excerpts = [body for body in re.findall(r"```\w+\n(.*?)```", section, re.S) if "template:" not in body]
    assert excerpts
    for body in excerpts:
        assert [line for line in body.splitlines() if line.strip() and line not in lines] == []


# --- a real sign-in: what the apps read from the tokens ------------------------------------------------------

PASSWORD = "Pw-for-tests-only-1"


def claims_of(token: str) -> dict:
    payload = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


class SignIn:
    """A user of the test realm signing in through Keycloak's real login form, authorization code with PKCE."""

    def __init__(self, admin: Admin, discovery: dict):
        self.admin, self.discovery = admin, discovery
        base = f"{admin.url}/admin/realms/{admin.realm}"
        answer = requests.post(f"{base}/groups", json={"name": "BX"}, headers=admin.headers, timeout=60)
        assert answer.status_code == 201, answer.text
        group_id = answer.headers["Location"].rsplit("/", 1)[1]
        answer = requests.post(f"{base}/users", headers=admin.headers, timeout=60, json={
            "username": "zhang.san", "enabled": True, "email": "zhang.san@beichen.example", "emailVerified": True,
            "firstName": "San", "lastName": "Zhang",
            "credentials": [{"type": "password", "value": PASSWORD, "temporary": False}]})
        assert answer.status_code == 201, answer.text
        self.user_id = answer.headers["Location"].rsplit("/", 1)[1]
        requests.put(f"{base}/users/{self.user_id}/groups/{group_id}", headers=admin.headers, timeout=60)

    def grant(self, client: dict, role: str) -> None:
        """Give the user one of the client's roles (the apply does so from role_map; here by hand)."""
        base = f"{self.admin.url}/admin/realms/{self.admin.realm}/clients/{client['id']}/roles"
        requests.post(base, json={"name": role}, headers=self.admin.headers, timeout=60)
        representation = requests.get(f"{base}/{role}", headers=self.admin.headers, timeout=60).json()
        answer = requests.post(f"{self.admin.url}/admin/realms/{self.admin.realm}/users/{self.user_id}/role-mappings/"
                               f"clients/{client['id']}", json=[representation], headers=self.admin.headers, timeout=60)
        assert answer.status_code == 204, answer.text

    def tokens(self, client: dict, redirect_uri: str, scope: str) -> dict:
        """The token answer of one sign-in to ``client``."""
        verifier = secrets.token_urlsafe(48)
        challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).decode().rstrip("=")
        browser = requests.Session()
        page = browser.get(self.discovery["authorization_endpoint"], timeout=60, params={
            "client_id": client["clientId"], "redirect_uri": redirect_uri, "response_type": "code", "scope": scope,
            "state": "s", "code_challenge": challenge, "code_challenge_method": "S256"}, allow_redirects=False)
        assert page.status_code == 200, page.headers.get("Location")  # an error goes back to the app at once
        action = re.search(r'<form[^>]*id="kc-form-login"[^>]*action="([^"]+)"', page.text)
        assert action, page.text[:2000]
        # Keycloak marks its cookies Secure, which the cookie jar keeps off plain http: a browser on localhost
        # sends them all the same
        cookies = "; ".join(f"{cookie.name}={cookie.value}" for cookie in browser.cookies)
        answer = requests.post(html.unescape(action.group(1)), data={"username": "zhang.san", "password": PASSWORD},
                               headers={"Cookie": cookies}, allow_redirects=False, timeout=60)
        assert answer.status_code == 302, " ".join(re.sub(r"(?s)<script.*?</script>|<[^>]+>", " ", answer.text).split())
        location = answer.headers["Location"]
        assert location.startswith(redirect_uri), location
        code = parse_qs(urlsplit(location).query)["code"][0]
        form = {"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri,
                "client_id": client["clientId"], "code_verifier": verifier}
        if not client["publicClient"]:
            form["client_secret"] = requests.get(
                f"{self.admin.url}/admin/realms/{self.admin.realm}/clients/{client['id']}/client-secret",
                headers=self.admin.headers, timeout=60).json()["value"]
        answer = requests.post(self.discovery["token_endpoint"], data=form, timeout=60)
        assert answer.status_code == 200, answer.text
        return answer.json()


@pytest.fixture(scope="module")
def person(keycloak, realm_name, live, discovery):
    return SignIn(Admin(keycloak, realm_name), discovery)


def test_kubernetes_id_token_carries_audience_and_groups(live, person):
    files, client = live["k8s"]
    (kubeconfig,) = yaml_documents(files["kubeconfig-user.yaml"])
    args = kubeconfig["users"][0]["user"]["exec"]["args"]
    scope = " ".join(["openid", *(a.split("=", 1)[1] for a in args if a.startswith("--oidc-extra-scope="))])
    token = claims_of(person.tokens(client, "http://localhost:8000", scope)["id_token"])
    (config,) = yaml_documents(files["authentication-config.yaml"])
    jwt = config["jwt"][0]
    assert token["iss"] == jwt["issuer"]["url"]
    assert token["aud"] == client["clientId"] and [token["aud"]] == jwt["issuer"]["audiences"]
    assert token[jwt["claimMappings"]["username"]["claim"]] == "zhang.san"
    assert token[jwt["claimMappings"]["groups"]["claim"]] == ["/BX"]


def test_oauth2_proxy_tokens_carry_audience_roles_and_groups(live, person):
    files, client = live["tools"]
    cfg = tomllib.loads(files["oauth2-proxy.cfg"])
    person.grant(client, "user")
    answer = person.tokens(client, cfg["redirect_url"], cfg["scope"])
    access, identity = claims_of(answer["access_token"]), claims_of(answer["id_token"])
    assert cfg["client_id"] in access["aud"]
    assert identity["iss"] == cfg["oidc_issuer_url"]
    # keycloak-oidc's allowed_roles <client>:<role> matches resource_access.<client>.roles
    roles = {f"{name}:{role}" for name, entry in access.get("resource_access", {}).items() for role in entry["roles"]}
    assert set(cfg["allowed_roles"]) <= roles
    assert set(cfg["allowed_groups"]) <= set(identity["groups"])


def test_harbor_gets_an_offline_token(live, person):
    files, client = live["harbor"]
    body = json.loads(files["harbor-oidc.json"])
    answer = person.tokens(client, client["redirectUris"][0], body["oidc_scope"].replace(",", " "))
    assert claims_of(answer["refresh_token"])["typ"] == "Offline"
    identity = claims_of(answer["id_token"])
    assert identity[body["oidc_user_claim"]] == "zhang.san"
    assert identity[body["oidc_groups_claim"]] == ["/BX"]


def test_minio_and_spring_read_the_app_roles(live, person):
    files, client = live["minio"]
    env = env_lines(files["minio.env"])
    person.grant(client, "consoleAdmin")
    answer = person.tokens(client, env["MINIO_IDENTITY_OPENID_REDIRECT_URI"],
                           env["MINIO_IDENTITY_OPENID_SCOPES"].replace(",", " "))
    assert claims_of(answer["id_token"])[env["MINIO_IDENTITY_OPENID_CLAIM_NAME"]] == ["consoleAdmin"]
    files, client = live["orders"]
    (document,) = yaml_documents(files["application.yml"])
    oauth2 = document["spring"]["security"]["oauth2"]
    registration = oauth2["client"]["registration"]["keycloak"]
    person.grant(client, "admin")
    access = claims_of(person.tokens(client, registration["redirect-uri"], " ".join(registration["scope"]))[
        "access_token"])
    jwt = oauth2["resourceserver"]["jwt"]
    assert access[jwt["authorities-claim-name"]] == ["admin"]
    assert set(jwt["audiences"]) <= set([access["aud"]] if isinstance(access["aud"], str) else access["aud"])
    assert access[jwt["principal-claim-name"]] == "zhang.san"
