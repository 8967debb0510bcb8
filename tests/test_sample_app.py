"""The demo's sample app signs a person in through the real Keycloak: its app side rendered by `groupid apps
render --reveal`, the authorization code flow with PKCE through Keycloak's own login form, the ID token's
name, groups and roles on the page."""

from __future__ import annotations

import html
import re
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
import requests

from groupid.operations import apply_target, render_apps
from groupid.realms import KeycloakServer

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = f"Sample-{uuid.uuid4().hex[:12]}"

SPEC = """\
group: {{code: SA, name: 样例集团, realm: {realm}, default_roles: [employee]}}
companies:
  - {{code: SA, name: 样例集团有限公司}}
departments:
  - {{code: SA-IT, name: 信息部, company: SA}}
roles:
  - {{name: employee, description: 员工}}
apps:
  - {{id: sample, name: 示例应用, template: generic-oidc, base_url: "http://127.0.0.1:{port}",
     redirect_uris: ["http://127.0.0.1:{port}/callback"], roles: [viewer], role_map: {{viewer: [SA-IT]}}}}
"""


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def server(keycloak):
    return KeycloakServer(keycloak)


def test_a_person_signs_in_to_the_sample_app(server, tmp_path):
    realm, port = f"t-sample-{uuid.uuid4().hex[:8]}", _free_port()
    (tmp_path / "spec").mkdir()
    (tmp_path / "spec" / "group.yaml").write_text(SPEC.format(realm=realm, port=port), encoding="utf-8")
    try:
        apply_target(tmp_path / "spec", server)
        group_id = next(g.id for g in server.read(realm).groups if g.attribute("groupid.code") == "SA-IT")
        user_id = server.create_user(realm, {
            "username": "zhang.san", "enabled": True, "firstName": "三", "lastName": "张",
            "email": "zhangsan@sample.example.cn", "emailVerified": True,
            "credentials": [{"type": "password", "value": PASSWORD, "temporary": False}]})
        server.add_member(realm, group_id, user_id)
        render_apps(tmp_path / "spec", tmp_path / "apps", ["sample"], server_url=server.settings.server_url,
                    reveal=True, adapter=server)
        config = tmp_path / "apps" / "sample" / "oidc.json"
        process = subprocess.Popen([sys.executable, str(ROOT / "scripts" / "sample_app.py"), "--config", str(config)],
                                   stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        try:
            page = _sign_in(f"http://127.0.0.1:{port}", "zhang.san", PASSWORD)
        finally:
            process.terminate()
            process.wait(10)
        assert "已登录" in page and "张三" in page and "zhang.san" in page, page
        assert "/样例集团有限公司/信息部" in page and "<li>viewer</li>" in page, page
    finally:
        if server.realm_exists(realm):
            server.delete_realm(realm)


def _sign_in(app_url: str, username: str, password: str) -> str:
    """Sign in as a browser would: the app sends us to Keycloak, we post its login form, and follow back."""
    session = requests.Session()
    for _ in range(50):  # the app starts
        try:
            session.get(app_url, timeout=1)
            break
        except requests.ConnectionError:
            time.sleep(0.1)
    form = session.get(f"{app_url}/login", timeout=10)
    # Keycloak marks its cookies Secure; browsers send them to 127.0.0.1 over http, requests does not
    for cookie in session.cookies:
        cookie.secure = False
    action = re.search(r'<form[^>]*id="kc-form-login"[^>]*action="([^"]+)"', form.text)
    assert action, form.text[:500]
    answer = session.post(html.unescape(action.group(1)), data={"username": username, "password": password}, timeout=10)
    assert answer.url.startswith(app_url), answer.url
    return answer.text
