#!/usr/bin/env python3
"""A tiny OpenID Connect app for the demo: sign in through Keycloak, see who you are.

    scripts/sample_app.py --config build/demo/apps/xinghe-demo/oidc.json [--port 8765]

It reads the app side that `groupid apps render` wrote for a generic-oidc app (issuer, client ID, redirect URI,
the client secret or the environment variable holding it), and runs the authorization code flow with PKCE
(S256), state and nonce. After sign-in it shows the person's name, username, email, groups (company and
department paths) and the app's roles, as Keycloak put them in the ID token.

The ID token comes straight from Keycloak's token endpoint, over the connection this app opened itself; its
issuer, audience, nonce and expiry are checked, its signature is not (OpenID Connect Core 3.1.3.7 allows
that for a token received this way). A real app should use a maintained OIDC library.

Only the standard library and requests. It listens on 127.0.0.1 only; it is a demo, not a server to expose.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import html
import json
import os
import secrets
import sys
import threading
import time
from http.cookies import SimpleCookie
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit

import requests

COOKIE = "sample_session"


class App:
    """The app's configuration, Keycloak's endpoints and the sessions of the people signed in."""

    def __init__(self, config: dict, secret: str | None):
        self.client_id = config["client_id"]
        self.issuer = config["issuer"]
        self.redirect_uri = config["redirect_uri"]
        self.scopes = " ".join(config.get("scopes") or ["openid"])
        self.claims = config.get("claims") or {}
        self.secret = secret
        discovery = requests.get(config["discovery_url"], timeout=10)
        discovery.raise_for_status()
        self.endpoints = discovery.json()
        self.pending: dict[str, dict] = {}  # state -> what the callback checks
        self.sessions: dict[str, dict] = {}  # session cookie -> the ID token's claims and the token itself
        self.lock = threading.Lock()

    def login_url(self) -> str:
        """Where to send the browser to sign in; remembers what the callback must find."""
        state, nonce, verifier = (secrets.token_urlsafe(32) for _ in range(3))
        challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
        with self.lock:
            self.pending[state] = {"nonce": nonce, "verifier": verifier, "at": time.time()}
        query = {"response_type": "code", "client_id": self.client_id, "redirect_uri": self.redirect_uri,
                 "scope": self.scopes, "state": state, "nonce": nonce, "code_challenge": challenge,
                 "code_challenge_method": "S256"}
        return f"{self.endpoints['authorization_endpoint']}?{urlencode(query)}"

    def finish(self, state: str, code: str) -> dict:
        """Exchange the code for tokens and check the ID token; return what the session keeps."""
        with self.lock:
            pending = self.pending.pop(state, None)
        if pending is None or time.time() - pending["at"] > 600:
            raise ValueError("unknown or expired sign-in (state); start again")
        form = {"grant_type": "authorization_code", "code": code, "redirect_uri": self.redirect_uri,
                "code_verifier": pending["verifier"], "client_id": self.client_id}
        auth = (self.client_id, self.secret) if self.secret else None
        answer = requests.post(self.endpoints["token_endpoint"], data=form, auth=auth, timeout=10)
        if answer.status_code != 200:
            raise ValueError(f"the token endpoint refused the code: HTTP {answer.status_code} {answer.text[:200]}")
        tokens = answer.json()
        claims = _payload(tokens["id_token"])
        audience = claims.get("aud")
        if claims.get("iss") != self.issuer:
            raise ValueError(f"ID token from another issuer: {claims.get('iss')!r}")
        if self.client_id not in (audience if isinstance(audience, list) else [audience]):
            raise ValueError("ID token for another client")
        if claims.get("nonce") != pending["nonce"]:
            raise ValueError("ID token with the wrong nonce")
        if claims.get("exp", 0) < time.time():
            raise ValueError("ID token expired")
        return {"claims": claims, "id_token": tokens["id_token"]}


def _payload(token: str) -> dict:
    """The claims of a JWT (its middle part)."""
    part = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))


def _handler(app: App):
    class Handler(BaseHTTPRequestHandler):
        """The app's four pages: home, login, callback, logout."""

        def log_message(self, format, *args):  # noqa: A002 - the base class names it so
            sys.stderr.write("sample app: " + (format % args) + "\n")

        def session(self) -> tuple[str | None, dict | None]:
            cookie = SimpleCookie(self.headers.get("Cookie", ""))
            key = cookie[COOKIE].value if COOKIE in cookie else None
            with app.lock:
                return key, app.sessions.get(key) if key else None

        def send(self, status: int, body: str, headers: dict[str, str] | None = None) -> None:
            data = body.encode("utf-8")
            self.send_response(status)
            for name, value in {"Content-Type": "text/html; charset=utf-8", "Content-Length": str(len(data)),
                                "Cache-Control": "no-store", **(headers or {})}.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)

        def redirect(self, url: str, headers: dict[str, str] | None = None) -> None:
            self.send(302, "", {"Location": url, **(headers or {})})

        def do_GET(self):  # noqa: N802 - the base class names it so
            url = urlsplit(self.path)
            query = {key: values[0] for key, values in parse_qs(url.query).items()}
            if url.path == "/login":
                return self.redirect(app.login_url())
            if url.path == "/callback":
                return self.callback(query)
            if url.path == "/logout":
                return self.logout()
            if url.path == "/":
                return self.home()
            return self.send(404, _page("未找到", "<p>没有这个页面。</p>"))

        def callback(self, query: dict[str, str]) -> None:
            if "error" in query:
                reason = query.get("error_description") or query["error"]
                return self.send(403, _page("登录被拒绝", f"<p>Keycloak 拒绝了登录：{html.escape(reason)}</p>"
                                                         '<p><a href="/">返回</a></p>'))
            try:
                session = app.finish(query.get("state", ""), query.get("code", ""))
            except (ValueError, KeyError, requests.RequestException) as exc:
                return self.send(400, _page("登录失败", f"<p>{html.escape(str(exc))}</p><p><a href=\"/\">返回</a></p>"))
            key = secrets.token_urlsafe(32)
            with app.lock:
                app.sessions[key] = session
            self.redirect("/", {"Set-Cookie": f"{COOKIE}={key}; HttpOnly; SameSite=Lax; Path=/"})

        def logout(self) -> None:
            key, session = self.session()
            with app.lock:
                app.sessions.pop(key, None)
            clear = {"Set-Cookie": f"{COOKIE}=; Max-Age=0; Path=/"}
            end = app.endpoints.get("end_session_endpoint")
            if session and end:
                base = app.redirect_uri.rsplit("/", 1)[0] + "/"
                query = urlencode({"id_token_hint": session["id_token"], "post_logout_redirect_uri": base})
                return self.redirect(f"{end}?{query}", clear)
            self.redirect("/", clear)

        def home(self) -> None:
            _, session = self.session()
            if session is None:
                return self.send(200, _page("星河示例应用", '<p>尚未登录。</p><p><a class="button" href="/login">'
                                                      "用集团账号登录</a></p>"))
            self.send(200, _page("星河示例应用", _profile(session["claims"], app.claims)))

    return Handler


def _profile(claims: dict, names: dict) -> str:
    """Who is signed in, from the ID token's claims; every value escaped."""
    def listed(values) -> str:
        values = values if isinstance(values, list) else [values] if values else []
        return "<ul>" + "".join(f"<li>{html.escape(str(v))}</li>" for v in values) + "</ul>" if values else "—"

    groups = claims.get(names.get("groups", "groups")) or []
    # a Chinese name is family name first: Keycloak's "name" claim puts the given name first
    family, given = claims.get("family_name") or "", claims.get("given_name") or ""
    name = f"{family}{given}" if family and given and not (family + given).isascii() else claims.get("name") or ""
    rows = [
        ("姓名", html.escape(str(name))),
        ("用户名", html.escape(str(claims.get(names.get("username", "preferred_username")) or ""))),
        ("邮箱", html.escape(str(claims.get(names.get("email", "email")) or ""))),
        ("所属公司/部门（组）", listed(groups)),
        ("本应用角色", listed(claims.get(names.get("roles", "roles")))),
    ]
    table = "".join(f"<tr><th>{label}</th><td>{value}</td></tr>" for label, value in rows)
    return f"<p>已登录。</p><table>{table}</table><p><a href=\"/logout\">退出登录</a></p>"


def _page(title: str, body: str) -> str:
    return (f'<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8"><title>{html.escape(title)}</title>'
            "<style>body{font-family:system-ui,sans-serif;max-width:46rem;margin:2rem auto;padding:0 1rem}"
            "th{text-align:left;vertical-align:top;padding-right:1rem}ul{margin:0;padding-left:1.2rem}"
            ".button{display:inline-block;padding:.5rem 1rem;background:#0b57d0;color:#fff;border-radius:.4rem;"
            f"text-decoration:none}}</style></head><body><h1>{html.escape(title)}</h1>{body}</body></html>")


def main() -> int:
    """Read the rendered config, then serve until interrupted."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--config", required=True, type=Path, help="oidc.json written by `groupid apps render`")
    parser.add_argument("--port", type=int, default=None, help="default: the redirect URI's port")
    arguments = parser.parse_args()
    config = json.loads(arguments.config.read_text(encoding="utf-8"))
    secret = config.get("client_secret") or os.environ.get(config.get("client_secret_env") or "")
    port = arguments.port or urlsplit(config["redirect_uri"]).port or 80
    app = App(config, secret or None)
    server = ThreadingHTTPServer(("127.0.0.1", port), _handler(app))
    sys.stderr.write(f"sample app: listening on http://127.0.0.1:{port}/ (client {app.client_id})\n")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
