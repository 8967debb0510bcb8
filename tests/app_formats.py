"""The app-side files of the built-in templates read back in their own formats, each into one :class:`AppSide`:
what the app will send to Keycloak and expect from it. The tests compare it with Keycloak's discovery document
and the client Keycloak holds.

Every reader parses its format for real (configparser, YAML, JSON, XML; the shell script is run with a
stand-in for ``occ``), except Ruby, which has no parser here: its hash is tokenized, and every key the template
emits must be read back.
"""

from __future__ import annotations

import configparser
import io
import json
import os
import re
import stat
import subprocess
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from ruamel.yaml import YAML

MD = "{urn:oasis:names:tc:SAML:2.0:metadata}"
"""The SAML metadata namespace, as ElementTree spells it."""


@dataclass
class AppSide:
    """What one app's own configuration says about its sign-in."""

    client_id: str
    callback: str  #: the redirect URI the app sends (and Keycloak must allow)
    issuer: str | None = None
    discovery_url: str | None = None  #: where the app reads Keycloak's endpoints, when it discovers them
    endpoints: dict[str, str] = field(default_factory=dict)  #: endpoints named in the file: discovery's key -> URL
    post_logout: str | None = None
    scopes: list[str] = field(default_factory=list)
    pkce: bool = False
    secret: str | None = None  #: the secret as written: a reference (env, file) or, revealed, the value
    extra: dict = field(default_factory=dict)  #: what else a test checks of this app


def yaml_documents(text: str) -> list:
    """Every document of a YAML stream."""
    return [document for document in YAML(typ="safe").load_all(io.StringIO(text)) if document is not None]


def read_grafana(files: dict[str, str]) -> AppSide:
    """grafana.ini: ``[server] root_url`` and ``[auth.generic_oauth]``."""
    ini = configparser.ConfigParser(interpolation=None)
    ini.read_string(files["grafana.ini"])
    oauth = ini["auth.generic_oauth"]
    signout = urlsplit(oauth["signout_redirect_url"])
    query = parse_qs(signout.query)
    assert oauth.getboolean("enabled") and oauth.getboolean("use_pkce")
    return AppSide(
        client_id=oauth["client_id"],
        callback=ini["server"]["root_url"].rstrip("/") + "/login/generic_oauth",
        endpoints={"authorization_endpoint": oauth["auth_url"], "token_endpoint": oauth["token_url"],
                   "userinfo_endpoint": oauth["api_url"],
                   "end_session_endpoint": signout._replace(query="").geturl()},
        post_logout=query["post_logout_redirect_uri"][0],
        scopes=oauth["scopes"].split(),
        pkce=True,
        secret=oauth.get("client_secret"),
        extra={"role_attribute_path": oauth["role_attribute_path"], "signout_client_id": query["client_id"][0],
               "login_attribute_path": oauth["login_attribute_path"]},
    )


RUBY_TOKEN = re.compile(r'''
    (?P<string>"(?:[^"\\]|\\.)*") | (?P<single>'[^']*') | (?P<key>[a-z_]+):(?=\s) | (?P<word>\.?[A-Za-z_][\w.]*)
  | (?P<punct>[\[\]{}(),=]) | (?P<space>\s+) | (?P<comment>\#[^\n]*)
''', re.VERBOSE)


def ruby_tokens(text: str) -> list[tuple[str, str]]:
    """The tokens of the Ruby that gitlab.rb holds; anything else fails (so the reader sees every character)."""
    tokens, position = [], 0
    while position < len(text):
        match = RUBY_TOKEN.match(text, position)
        assert match, f"gitlab.rb: cannot read {text[position:position + 30]!r}"
        kind = match.lastgroup
        if kind not in ("space", "comment"):
            tokens.append((kind, match.group()))
        position = match.end()
    return tokens


def ruby_string(token: str) -> str:
    """The value of a double-quoted Ruby string without interpolation (``\\#`` is a ``#``)."""
    assert not re.search(r'(?<!\\)#\{', token), f"interpolation in {token}"
    return re.sub(r'\\(.)', lambda m: {"n": "\n"}.get(m.group(1), m.group(1)), token[1:-1])


def ruby_values(tokens: list[tuple[str, str]]) -> dict[str, object]:
    """``key: value`` pairs of the hash, by dotted path (``args.client_options.identifier``); a value is a
    string, a word, a list of strings, the source of a call, or ``{...}`` for a nested hash. The brackets must
    balance, and no key may come twice."""
    depth, values, path = 0, {}, []  # path: (the depth inside the nested hash, its key)
    for index, (kind, text) in enumerate(tokens):
        if kind == "punct":
            depth += {"[": 1, "{": 1, "(": 1, "]": -1, "}": -1, ")": -1}.get(text, 0)
            assert depth >= 0, "gitlab.rb: a bracket closes that was never opened"
            while path and depth < path[-1][0]:
                path.pop()
        if kind != "key":
            continue
        name = ".".join([*(key for _, key in path), text[:-1]])
        assert name not in values, f"gitlab.rb: {name} twice"
        kind2, value = tokens[index + 1]
        if kind2 == "string":
            values[name] = ruby_string(value)
        elif value == "{":
            values[name] = "{...}"
            path.append((depth + 1, text[:-1]))
        elif value == "[":
            items, cursor = [], index + 2
            while tokens[cursor][1] != "]":
                if tokens[cursor][0] == "string":
                    items.append(ruby_string(tokens[cursor][1]))
                cursor += 1
            values[name] = items
        elif kind2 == "word":
            call, cursor = [value], index + 2
            while tokens[cursor][1] not in (",", "}"):
                call.append(tokens[cursor][1])
                cursor += 1
            values[name] = "".join(call)
    assert depth == 0, "gitlab.rb: the brackets do not balance"
    return values


def read_gitlab(files: dict[str, str]) -> AppSide:
    """gitlab.rb: the ``omniauth_providers`` hash, tokenized."""
    text = files["gitlab.rb"]
    values = ruby_values(ruby_tokens(text))
    settings = dict(re.findall(r"^gitlab_rails\['(\w+)'\] = (.+)$", text, re.MULTILINE))
    args, options = "args.", "args.client_options."
    assert values["name"] == values[args + "name"] == "openid_connect"
    assert values[args + "discovery"] == "true" and values[args + "pkce"] == "true"
    return AppSide(
        client_id=values[options + "identifier"], callback=values[options + "redirect_uri"],
        issuer=values[args + "issuer"],
        discovery_url=values[args + "issuer"].rstrip("/") + "/.well-known/openid-configuration",
        scopes=values[args + "scope"], pkce=True, secret=values[options + "secret"],
        extra={"values": values, "settings": settings},
    )


def read_jenkins(files: dict[str, str]) -> AppSide:
    """jenkins.yaml (JCasC): ``jenkins.securityRealm.oic`` and the Jenkins URL."""
    (document,) = yaml_documents(files["jenkins.yaml"])
    oic = document["jenkins"]["securityRealm"]["oic"]
    well_known = oic["serverConfiguration"]["wellKnown"]
    return AppSide(
        client_id=oic["clientId"],
        callback=document["unclassified"]["location"]["url"].rstrip("/") + "/securityRealm/finishLogin",
        discovery_url=well_known["wellKnownOpenIDConfigurationUrl"],
        post_logout=oic["postLogoutRedirectUrl"],
        scopes=well_known["scopesOverride"].split(),
        pkce="pkce" in oic["properties"],
        secret=oic["clientSecret"],
        extra={"oic": oic},
    )


OCC_STAND_IN = """#!/bin/sh
# stands in for occ: writes the arguments it was given, one JSON document
python3 -c 'import json, sys; print(json.dumps(sys.argv[1:]))' "$@" > "$OCC_ARGUMENTS"
"""


def read_nextcloud(files: dict[str, str], folder: Path, environment: dict[str, str] | None = None) -> AppSide:
    """nextcloud-oidc.sh, run by ``sh`` with a stand-in for ``occ`` (the app must have been rendered with
    ``settings.occ`` naming ``<folder>/occ``): the options occ receives."""
    script, occ, arguments = folder / "nextcloud-oidc.sh", folder / "occ", folder / "occ-arguments.json"
    script.write_text(files["nextcloud-oidc.sh"], encoding="utf-8")
    occ.write_text(OCC_STAND_IN, encoding="utf-8")
    occ.chmod(occ.stat().st_mode | stat.S_IXUSR)
    env = {"PATH": os.environ["PATH"], "OCC_ARGUMENTS": str(arguments), **(environment or {})}
    run = subprocess.run(["sh", str(script)], env=env, capture_output=True, text=True, timeout=30)
    assert run.returncode == 0, run.stderr
    command, provider, *options = json.loads(arguments.read_text(encoding="utf-8"))
    assert command == "user_oidc:provider"
    given = dict(option[2:].split("=", 1) for option in options)
    return AppSide(
        client_id=given["clientid"], callback="", discovery_url=given["discoveryuri"],
        endpoints={"end_session_endpoint": given["endsessionendpointuri"]},
        scopes=given["scope"].split(), secret=given["clientsecret"],
        extra={"provider": provider, "options": given},
    )


def read_argocd(files: dict[str, str]) -> AppSide:
    """argocd-cm.yaml: the argocd-cm ConfigMap (its ``oidc.config`` is YAML again) and argocd-rbac-cm."""
    maps = {document["metadata"]["name"]: document for document in yaml_documents(files["argocd-cm.yaml"])}
    assert {document["kind"] for document in maps.values()} == {"ConfigMap"}
    data = maps["argocd-cm"]["data"]
    (oidc,) = yaml_documents(data["oidc.config"])
    url = data["url"].rstrip("/")
    return AppSide(
        client_id=oidc["clientID"], callback=url + "/auth/callback", issuer=oidc["issuer"],
        discovery_url=oidc["issuer"].rstrip("/") + "/.well-known/openid-configuration",
        scopes=oidc["requestedScopes"], pkce=oidc["enablePKCEAuthentication"] is True,
        secret=oidc.get("clientSecret"),
        extra={"url": url, "rbac": maps["argocd-rbac-cm"]["data"], "oidc": oidc, "maps": maps},
    )


def read_spa(files: dict[str, str]) -> AppSide:
    """oidc-config.json: oidc-client-ts' settings."""
    config = json.loads(files["oidc-config.json"])
    assert config["response_type"] == "code"
    return AppSide(
        client_id=config["client_id"], callback=config["redirect_uri"], issuer=config["authority"],
        discovery_url=config["metadataUrl"], post_logout=config.get("post_logout_redirect_uri"),
        scopes=config["scope"].split(), pkce=True, extra={"config": config},
    )


def read_saml(files: dict[str, str]) -> AppSide:
    """sp-metadata.xml (the SP descriptor) and saml-idp.json (the IdP as the SP sees it)."""
    root = ET.fromstring(files["sp-metadata.xml"].encode("utf-8"))
    assert root.tag == f"{MD}EntityDescriptor"
    sp = root.find(f"{MD}SPSSODescriptor")
    acs = sp.findall(f"{MD}AssertionConsumerService")
    idp = json.loads(files["saml-idp.json"])
    assert idp["sp_entity_id"] == root.get("entityID") and idp["sp_acs_url"] == acs[0].get("Location")
    return AppSide(
        client_id=root.get("entityID"), callback=acs[0].get("Location"), issuer=idp["idp_entity_id"],
        extra={"idp": idp, "acs": [(a.get("Binding"), a.get("Location")) for a in acs],
               "name_id_formats": [n.text for n in sp.findall(f"{MD}NameIDFormat")],
               "authn_requests_signed": sp.get("AuthnRequestsSigned"),
               "want_assertions_signed": sp.get("WantAssertionsSigned")},
    )
