"""The SAML proof, with a real SAML library against the real Keycloak: a generic-saml app's client is created in
a fresh realm; pysaml2 takes groupid's SP descriptor as the SP and Keycloak's own IdP descriptor as the IdP, and
they must agree. Then pysaml2 sends a real AuthnRequest to Keycloak, a test user signs in through Keycloak's
login form, and pysaml2 checks the signed response Keycloak posts to the SP's ACS.

pysaml2 signs and verifies with the ``xmlsec1`` binary (Debian package xmlsec1, which ``make test`` installs
through scripts/install-debian-packages.sh); without it the proof skips with the reason, and fails under CI.
"""

from __future__ import annotations

import base64
import html
import re
import shutil
import xml.etree.ElementTree as ET

import pytest
import requests

import groupid
from groupid.apps import catalog_for, render_app
from groupid.realms import KeycloakServer
from groupid.realms.keycloak.transport import admin_url
from tests.app_formats import read_saml
from tests.conftest import skip_or_fail
from tests.test_app_templates_a import write_spec

APP = """\
apps:
  - {id: reports, name: 报表平台, template: generic-saml, base_url: https://reports.example.cn, roles: [viewer],
     settings: {name_id_format: email}}
"""
PASSWORD = "Saml-proof-7d1c"


@pytest.fixture(scope="module")
def xmlsec1() -> str:
    binary = shutil.which("xmlsec1")
    if not binary:
        skip_or_fail("xmlsec1 is not installed (Debian package xmlsec1: run scripts/install-debian-packages.sh as root)")
    return binary


@pytest.fixture(scope="module")
def saml_realm(keycloak, realm_name, tmp_path_factory):
    """A fresh realm with the generic-saml app's client, as rendered, and a user who may sign in."""
    spec = write_spec(tmp_path_factory.mktemp("spec"), realm_name, APP)
    group = groupid.load_spec(str(spec))
    app = render_app(group, group.apps[0], catalog_for(group), keycloak_url=keycloak.server_url)
    server = KeycloakServer(keycloak)
    server.import_realm({"realm": realm_name, "enabled": True})
    server.create_client(realm_name, app.client)
    server.transport.request("POST", admin_url(realm_name, "users"), "create a user", body={
        "username": "li.lei", "email": "li.lei@example.cn", "firstName": "Lei", "lastName": "Li",
        "emailVerified": True, "enabled": True,
        "credentials": [{"type": "password", "value": PASSWORD, "temporary": False}]})
    idp_metadata = requests.get(f"{keycloak.server_url}/realms/{realm_name}/protocol/saml/descriptor", timeout=30)
    idp_metadata.raise_for_status()
    return {"app": app, "idp_metadata": idp_metadata.text, "url": keycloak.server_url, "realm": realm_name}


def sp_client(saml_realm, xmlsec1):
    """A pysaml2 SP configured from groupid's SP descriptor alone, with Keycloak's IdP descriptor as its IdP."""
    from saml2 import BINDING_HTTP_POST
    from saml2.client import Saml2Client
    from saml2.config import SPConfig

    side = read_saml(saml_realm["app"].files)
    config = SPConfig()
    config.load({
        "entityid": side.client_id,
        "xmlsec_binary": xmlsec1,
        "metadata": {"inline": [saml_realm["idp_metadata"], saml_realm["app"].files["sp-metadata.xml"]]},
        "allow_unknown_attributes": True,
        "service": {"sp": {
            "endpoints": {"assertion_consumer_service": [(location, binding) for binding, location in side.extra["acs"]]},
            "name_id_format": side.extra["name_id_formats"],
            "authn_requests_signed": side.extra["authn_requests_signed"] == "true",
            "want_assertions_signed": side.extra["want_assertions_signed"] == "true",
            "want_response_signed": False,
        }},
    })
    assert BINDING_HTTP_POST in dict((b, loc) for b, loc in side.extra["acs"])
    return Saml2Client(config=config), side


def cookies_of(response: requests.Response) -> str:
    """The cookies Keycloak set on the way to ``response``, as a Cookie header: Keycloak marks them Secure, and
    a cookie jar keeps a Secure cookie from plain HTTP, which a browser allows for 127.0.0.1."""
    jar = {}
    for step in (*response.history, response):
        jar.update({cookie.name: cookie.value for cookie in step.cookies})
    return "; ".join(f"{name}={value}" for name, value in jar.items())


def test_pysaml2_finds_groupids_sp_descriptor_and_keycloaks_idp_descriptor_in_agreement(saml_realm, xmlsec1):
    from cryptography import x509
    from saml2 import BINDING_HTTP_POST, BINDING_HTTP_REDIRECT

    client, side = sp_client(saml_realm, xmlsec1)
    metadata = client.metadata
    idp_id = side.issuer
    assert idp_id == f"{saml_realm['url']}/realms/{saml_realm['realm']}"
    assert set(metadata.identity_providers()) == {idp_id}
    # the SP as the metadata store read it from groupid's descriptor
    assert [s["location"] for s in metadata.assertion_consumer_service(side.client_id, BINDING_HTTP_POST)] == [side.callback]
    (sp,) = metadata[side.client_id]["spsso_descriptor"]
    assert [n["text"] for n in sp["name_id_format"]] == ["urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress"]
    # the IdP as Keycloak describes itself: its SSO endpoint for both bindings is the one groupid told the SP
    for binding in (BINDING_HTTP_REDIRECT, BINDING_HTTP_POST):
        (sso,) = metadata.single_sign_on_service(idp_id, binding)
        assert sso["location"] == side.extra["idp"]["idp_sso_url"]
    (certificate,) = {c[1] for c in metadata.certs(idp_id, "idpsso", "signing")}
    parsed = x509.load_der_x509_certificate(base64.b64decode("".join(certificate.split())))
    assert saml_realm["realm"] in parsed.subject.rfc4514_string()


def test_a_real_authn_request_gets_keycloaks_login_form_and_a_signed_response_pysaml2_accepts(saml_realm, xmlsec1):
    from saml2 import BINDING_HTTP_POST, BINDING_HTTP_REDIRECT

    client, side = sp_client(saml_realm, xmlsec1)
    request_id, info = client.prepare_for_authenticate(entityid=side.issuer, binding=BINDING_HTTP_REDIRECT)
    location = dict(info["headers"])["Location"]
    login = requests.get(location, timeout=30)
    assert login.status_code == 200 and 'id="kc-form-login"' in login.text, login.text[:400]
    action = html.unescape(re.search(r'id="kc-form-login"[^>]*action="([^"]+)"', login.text).group(1))
    posted = requests.post(action, data={"username": "li.lei", "password": PASSWORD, "credentialId": ""},
                           headers={"Cookie": cookies_of(login)}, timeout=30)
    assert posted.status_code == 200, re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", posted.text))[-800:]
    form_action = html.unescape(re.search(r'<form[^>]*action="([^"]+)"', posted.text).group(1))
    response = html.unescape(re.search(r'name="SAMLResponse"\s+value="([^"]+)"', posted.text).group(1))
    assert form_action == side.callback  # Keycloak posts to the ACS of the descriptor
    authn = client.parse_authn_request_response(response, BINDING_HTTP_POST, outstanding={request_id: "/"})
    assert authn is not None and authn.name_id.text == "li.lei@example.cn"
    assert authn.name_id.format == "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress"
    attributes = authn.get_identity()
    assert attributes["email"] == ["li.lei@example.cn"] and attributes["username"] == ["li.lei"]
    assert authn.assertion.issuer.text == side.issuer
    # the assertion was signed: Keycloak signs what the client's attributes ask for, and pysaml2 checked it
    decoded = ET.fromstring(base64.b64decode(response))
    assertion = decoded.find("{urn:oasis:names:tc:SAML:2.0:assertion}Assertion")
    assert assertion.find("{http://www.w3.org/2000/09/xmldsig#}Signature") is not None
