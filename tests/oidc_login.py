"""A real OIDC sign-in for the tests: authorization code with PKCE (S256) by authlib, through Keycloak's own
login form over HTTP, as a browser without JavaScript would go.

:func:`sign_in` opens the authorization URL with a cookie session, fills in ``<form id="kc-form-login">``,
and takes the ``code`` from the redirect to the app without following it (the app need not exist). authlib
then trades the code for the tokens with the code verifier. When Keycloak answers a page instead of the
redirect, the page's text is the refusal.
"""

from __future__ import annotations

from dataclasses import dataclass
from html.parser import HTMLParser
from urllib.parse import parse_qs, urljoin, urlsplit

import requests
from authlib.common.security import generate_token
from authlib.integrations.requests_client import OAuth2Session
from joserfc import jwt
from joserfc.jwk import KeySet

REDIRECTS = 10
"""How many redirects within Keycloak a sign-in follows before it gives up."""


LOOPBACK = frozenset({"127.0.0.1", "localhost", "[::1]"})


class Browser(requests.Session):
    """A cookie session that sends cookies to a loopback address as a browser does.

    Keycloak marks its login cookies ``Secure`` (with ``SameSite=None``) and writes RFC 2965's ``Version=1``.
    Browsers count ``http://127.0.0.1`` as a secure context and ignore the version, so they send the cookies back;
    Python's cookie jar keeps both kinds to itself over plain HTTP. So before each request the loopback cookies
    are made plain ones.
    """

    def prepare_request(self, request):
        """The request, with the loopback cookies as a browser would send them."""
        for cookie in self.cookies:
            if cookie.domain in LOOPBACK:
                cookie.secure, cookie.version = False, 0
        return super().prepare_request(request)


@dataclass
class SignIn:
    """What a sign-in came to: the tokens, or the text of the page Keycloak answered instead of a code."""

    tokens: dict | None
    refusal: str | None = None
    status: int | None = None  #: the status of the page that refused
    nonce: str | None = None  #: the nonce the sign-in asked for; the ID token must carry it

    @property
    def signed_in(self) -> bool:
        """Whether Keycloak handed out tokens."""
        return self.tokens is not None


@dataclass
class Client:
    """An OIDC client of a realm, as an app holds it: its id, secret (None for a public one), redirect URI."""

    issuer: str
    client_id: str
    redirect_uri: str
    secret: str | None = None

    def discovery(self) -> dict:
        """The realm's discovery document."""
        return _json(requests.get(f"{self.issuer}/.well-known/openid-configuration", timeout=30))


def sign_in(client: Client, username: str, password: str, cookies: requests.Session | None = None) -> SignIn:
    """Sign ``username`` in to ``client`` with the authorization code flow and PKCE; ``cookies`` keeps the
    cookies between sign-ins (a session Keycloak opened signs the user in without the form)."""
    cookies = cookies or Browser()
    discovery = client.discovery()
    oauth = OAuth2Session(
        client.client_id, client.secret, scope="openid email profile", redirect_uri=client.redirect_uri,
        code_challenge_method="S256",
        token_endpoint_auth_method="client_secret_basic" if client.secret else "none",
    )
    verifier, nonce = generate_token(64), generate_token(20)
    url, state = oauth.create_authorization_url(discovery["authorization_endpoint"], code_verifier=verifier, nonce=nonce)
    page = _until_app_or_page(cookies, "GET", url, client.redirect_uri)
    if isinstance(page, requests.Response):
        form = _login_form(page.text)
        if form is None:
            return SignIn(None, page_text(page.text), page.status_code)
        page = _until_app_or_page(cookies, "POST", urljoin(page.url, form), client.redirect_uri,
                                  data={"username": username, "password": password, "credentialId": ""})
        if isinstance(page, requests.Response):
            return SignIn(None, page_text(page.text), page.status_code)
    query = parse_qs(urlsplit(page).query)
    if "code" not in query:
        return SignIn(None, f"redirected without a code: {query}")
    assert query["state"] == [state], "the state came back changed"
    tokens = oauth.fetch_token(discovery["token_endpoint"], code=query["code"][0], code_verifier=verifier)
    return SignIn(dict(tokens), nonce=nonce)


def verified_id_token(client: Client, result: SignIn) -> dict:
    """The claims of the ID token of a sign-in, its signature checked against the realm's keys (JWKS) and its
    issuer, audience, expiry and nonce checked."""
    discovery = client.discovery()
    keys = KeySet.import_key_set(_json(requests.get(discovery["jwks_uri"], timeout=30)))
    token = jwt.decode(result.tokens["id_token"], keys)
    registry = jwt.JWTClaimsRegistry(iss={"essential": True, "value": discovery["issuer"]},
                                     aud={"essential": True, "value": client.client_id},
                                     exp={"essential": True}, sub={"essential": True},
                                     nonce={"essential": True, "value": result.nonce})
    registry.validate(token.claims)
    return token.claims


def _until_app_or_page(cookies: requests.Session, method: str, url: str, redirect_uri: str, **kwargs):
    """Follow Keycloak's redirects; the first one to the app is answered as its URL (not followed), a page as
    the response."""
    for _ in range(REDIRECTS):
        response = cookies.request(method, url, allow_redirects=False, timeout=30, **kwargs)
        if response.status_code not in (301, 302, 303, 307, 308):
            return response
        url = urljoin(response.url, response.headers["Location"])
        if url.startswith(redirect_uri):
            return url
        method, kwargs = "GET", {}
    raise AssertionError(f"more than {REDIRECTS} redirects signing in")


class _Page(HTMLParser):
    """The login form's action and the visible text of a page."""

    def __init__(self):
        super().__init__()
        self.action: str | None = None
        self.text: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "form" and attributes.get("id") == "kc-form-login":
            self.action = attributes.get("action")
        if tag in ("script", "style", "head"):
            self._hidden += 1

    def handle_endtag(self, tag):
        if tag in ("script", "style", "head") and self._hidden:
            self._hidden -= 1

    def handle_data(self, data):
        if not self._hidden and data.strip():
            self.text.append(data.strip())


def _parsed(html: str) -> _Page:
    page = _Page()
    page.feed(html)
    return page


def _login_form(html: str) -> str | None:
    """Where Keycloak's login form posts to; None when the page has none."""
    return _parsed(html).action


def page_text(html: str) -> str:
    """The visible text of a page, one space between its pieces."""
    return " ".join(_parsed(html).text)


def _json(response: requests.Response) -> dict:
    response.raise_for_status()
    return response.json()
