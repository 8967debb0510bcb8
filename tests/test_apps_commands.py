"""The apps commands on examples/xinghe: the table, both sides rendered, who may sign in, the portal pages, and
the apps an export brings back — against the in-memory realm and the real Keycloak."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser

import pytest
from typer.testing import CliRunner

from groupid.apps.listing import COLUMNS
from groupid.apps.portal import portal_pages
from groupid.cli import app
from groupid.export import export_realm
from groupid.operations import (
    apply_target,
    count_app_sign_ins,
    list_apps,
    render_apps,
    sync_hr_export,
    write_portal,
)
from groupid.realms import KeycloakServer
from groupid.spec import load_spec
from groupid.sync import SyncOptions
from tests.test_example import EXAMPLE
from tests.test_plan_apply import adapter, realm  # noqa: F401  (fixtures: memory and the real Keycloak)

runner = CliRunner()
KEYCLOAK_URL = "https://sso.xinghe.example.cn"


def test_the_example_has_apps_of_two_companies_and_one_for_a_subsidiary_alone():
    group = load_spec(EXAMPLE)
    assert len(group.apps) >= 5
    assert len({app.owner for app in group.apps if app.owner}) >= 2
    assert [app.id for app in group.apps if app.audience.companies == ["XH-MFG-SZ"]] == ["mes-sz"]


def test_the_table_has_every_column_and_the_audience_in_words():
    rows = {row["app"]: row for row in list_apps(EXAMPLE)}
    assert all(list(row) == list(COLUMNS) for row in rows.values())
    assert rows["cloud"]["audience"] == "everyone" and rows["cloud"]["protocol"] == "openid-connect"
    assert rows["mes-sz"]["audience"] == {"companies": ["XH-MFG-SZ"]} and rows["mes-sz"]["owner"] == "XH-MFG-SZ"
    result = runner.invoke(app, ["apps", "list", str(EXAMPLE)])
    assert result.exit_code == 0
    assert re.search(r"^grafana\s+运维监控平台\s+XH-TECH\s+group-wide\s+grafana\s+openid-connect\s+xinghe\s+"
                     r"departments: XH-HQ-IT-OPS, XH-TECH-OPS; roles: it-admin$", result.stdout, re.M), result.stdout
    as_json = json.loads(runner.invoke(app, ["apps", "list", str(EXAMPLE), "--json"]).stdout)
    assert as_json == list(rows.values())


def test_validate_counts_the_apps():
    result = runner.invoke(app, ["validate", str(EXAMPLE)])
    assert result.exit_code == 0 and f"{len(load_spec(EXAMPLE).apps)} apps" in result.stdout


def test_render_writes_both_sides_of_each_app_and_no_secret(tmp_path):
    written = render_apps(EXAMPLE, tmp_path, ["fin-report", "xinghe-demo"], server_url=KEYCLOAK_URL)
    assert sorted(p.relative_to(tmp_path).as_posix() for p in written) == [
        "fin-report/keycloak-client.json", "fin-report/oidc.json", "xinghe-demo/keycloak-client.json",
        "xinghe-demo/oidc.json"]
    client = json.loads((tmp_path / "fin-report" / "keycloak-client.json").read_text(encoding="utf-8"))
    side = json.loads((tmp_path / "fin-report" / "oidc.json").read_text(encoding="utf-8"))
    assert client["clientId"] == side["client_id"] == "fin-report" and "secret" not in client
    assert side["issuer"] == f"{KEYCLOAK_URL}/realms/xinghe" and side["redirect_uri"] in client["redirectUris"]
    assert side["client_secret_env"] == "FIN_REPORT_CLIENT_SECRET" and "client_secret" not in side


def test_render_under_another_realm_names_it_in_the_issuer(tmp_path):
    render_apps(EXAMPLE, tmp_path, ["fin-report"], server_url=KEYCLOAK_URL, realm="xinghe-staging")
    side = json.loads((tmp_path / "fin-report" / "oidc.json").read_text(encoding="utf-8"))
    assert side["issuer"] == f"{KEYCLOAK_URL}/realms/xinghe-staging"


@pytest.mark.parametrize(("args", "says"), [
    (["apps", "render", str(EXAMPLE), "--out", "{tmp}"], "set public_url"),
    (["apps", "render", str(EXAMPLE), "nope", "--out", "{tmp}"], "no app 'nope' in the spec"),
    (["apps", "who", str(EXAMPLE), "nope", "--realm", "xinghe"], "no app 'nope' in the spec"),
    (["apps", "list", "{tmp}/missing"], "missing"),
])
def test_bad_input_is_a_message_and_exit_1(tmp_path, monkeypatch, args, says):
    monkeypatch.delenv("GROUPID_SERVER_URL", raising=False)
    result = runner.invoke(app, [arg.replace("{tmp}", str(tmp_path)) for arg in args])
    assert result.exit_code == 1 and says in result.output and "Traceback" not in result.output, result.output


def test_a_broken_app_entry_is_named_with_its_file_and_line(tmp_path):
    for source in EXAMPLE.iterdir():
        if source.is_file():
            (tmp_path / source.name).write_bytes(source.read_bytes())
    (tmp_path / "apps.yaml").write_text("apps:\n  - {id: x, template: generic-oidc, base_url: https://x.example.cn,\n"
                                        "     redirect_uris: ['https://x.example.cn/*']}\n", encoding="utf-8")
    result = runner.invoke(app, ["apps", "list", str(tmp_path)])
    assert result.exit_code == 1 and "apps.yaml:3" in result.output and "wildcard" in result.output, result.output


class _Links(HTMLParser):
    """The links, the loaded resources and the text of a page."""

    def __init__(self):
        super().__init__()
        self.links, self.loads, self.text = [], [], []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "a":
            self.links.append(attrs["href"])
        if tag in ("script", "img", "link", "iframe") or "src" in attrs:
            self.loads.append(tag)

    def handle_data(self, data):
        self.text.append(data)


def _read(page: str) -> _Links:
    parser = _Links()
    parser.feed(page)
    return parser


def test_the_portal_lists_each_company_the_apps_its_people_may_use(tmp_path):
    paths = write_portal(EXAMPLE, tmp_path)
    group = load_spec(EXAMPLE)
    assert sorted(p.name for p in paths) == sorted([f"{c.code}.html" for c in group.companies] + ["index.html"])
    everyone = {"https://cloud.xinghe.example.cn", "https://jira.xinghe.example.cn", "http://127.0.0.1:8765"}
    pages = {p.stem: _read(p.read_text(encoding="utf-8")) for p in paths}
    assert all(not page.loads for page in pages.values()), "self-contained: nothing loaded"
    suzhou, tech, hk = (set(pages[code].links) for code in ("XH-MFG-SZ", "XH-TECH", "XH-HK"))
    assert suzhou == everyone | {"https://qms.mfg.xinghe.example.cn", "https://mes.sz.mfg.xinghe.example.cn", "index.html"}
    assert "https://mes.sz.mfg.xinghe.example.cn" not in set(pages["XH-MFG"].links)  # the subsidiary's alone
    assert {"https://grafana.xinghe.example.cn", "https://argocd.tech.xinghe.example.cn"} <= tech
    assert "https://report.fin.xinghe.example.cn" in hk  # its finance department holds finance-staff
    assert "苏州工厂制造执行系统" in "".join(pages["XH-MFG-SZ"].text)
    assert set(pages["index"].links) == {f"{c.code}.html" for c in group.companies}


def test_portal_pages_escape_what_the_spec_says():
    group = load_spec(EXAMPLE)
    hostile = group.apps[0].model_copy(update={"name": '<script>alert(1)</script>"', "description": "a & <b>b</b>"})
    pages = portal_pages(group.model_copy(update={"apps": [hostile]}))
    assert "<script>" not in pages["XH.html"] and "&lt;script&gt;" in pages["XH.html"]
    assert "a &amp; &lt;b&gt;b&lt;/b&gt;" in pages["XH.html"]


def test_export_brings_the_apps_back(adapter, realm, tmp_path):  # noqa: F811
    apply_target(EXAMPLE, adapter, realm=realm)
    result = export_realm(adapter, realm, tmp_path / "exported")
    original, exported = load_spec(EXAMPLE).under_realm(realm), load_spec(tmp_path / "exported")
    assert result.apps == len(original.apps)
    rendered = {}
    for group in (original, exported):
        written = render_apps(tmp_path / "exported" if group is exported else EXAMPLE, tmp_path / str(id(group)),
                              server_url=KEYCLOAK_URL, realm=realm)
        rendered[group is exported] = {p.relative_to(tmp_path / str(id(group))).as_posix(): p.read_text(encoding="utf-8")
                                       for p in written}
    assert rendered[True] == rendered[False], "both sides render the same from the export"

    def shape(app):
        audience = {key: sorted(values) for key, values in app.audience.model_dump().items()}
        return (app.id, app.template, app.name, app.description, sorted(app.roles), audience,
                {k: sorted(v) for k, v in app.role_map.items()})

    assert sorted(map(shape, exported.apps)) == sorted(map(shape, original.apps))
    assert not [r for r in exported.roles if r.client], "the apps' client roles are the apps' own"


def test_who_counts_the_people_an_audience_reaches_by_company(adapter, realm):  # noqa: F811
    apply_target(EXAMPLE, adapter, realm=realm)
    sync_hr_export(EXAMPLE / "hr" / "employees.csv", EXAMPLE, EXAMPLE / "hr" / "mapping.yaml", adapter,
                   options=SyncOptions(realm=realm))
    users = [u for u in adapter.read_users(realm) if u.enabled]
    everyone = count_app_sign_ins(EXAMPLE, "cloud", adapter, realm=realm)
    assert everyone.everyone and everyone.total == len(users)
    suzhou = count_app_sign_ins(EXAMPLE, "mes-sz", adapter, realm=realm)
    staff = [u for u in users if u.attribute("company_code") == "XH-MFG-SZ"]
    assert suzhou.by_company == {"XH-MFG-SZ": len(staff)} and staff
    industry = count_app_sign_ins(EXAMPLE, "qms", adapter, realm=realm)  # a company's subsidiaries are in
    assert set(industry.by_company) == {"XH-MFG", "XH-MFG-SZ"}
    finance = count_app_sign_ins(EXAMPLE, "fin-report", adapter, realm=realm)  # a role, held through departments
    assert {"XH", "XH-FIN", "XH-HK", "XH-MFG", "XH-TECH"} >= set(finance.by_company) and finance.total > 0
    assert finance.total < everyone.total
    # a role granted directly counts too, and a composite that includes the role
    outsider = next(u for u in users if u.attribute("company_code") == "XH-MFG-SZ")
    adapter.create_role(realm, "fin-auditor", None, {})
    adapter.add_composites(realm, "fin-auditor", ["finance-staff"])
    if isinstance(adapter, KeycloakServer):
        adapter.transport.request("POST", f"admin/realms/{realm}/users/{outsider.id}/role-mappings/realm", "grant",
                                  body=[adapter.transport.request("GET", f"admin/realms/{realm}/roles/fin-auditor", "read")])
    else:
        state = adapter.store.realms[realm]
        state.user_roles[outsider.id].append((None, "fin-auditor"))
    again = count_app_sign_ins(EXAMPLE, "fin-report", adapter, realm=realm)
    assert again.total == finance.total + 1 and again.by_company.get("XH-MFG-SZ", 0) == 1
