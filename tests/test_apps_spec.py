"""``apps:`` in the spec: every reference checked with its line, templates checked by rendering them, and the
apps compiled into the desired realm: a client each, its roles, who holds them and the sign-in flow."""

from __future__ import annotations

import pytest

from groupid.apps import app_realm, catalog_for, render_app
from groupid.errors import SpecError
from groupid.keycloak_terms import ACCESS_ROLE
from groupid.spec import load_spec
from groupid.state import compile_realms
from tests.test_spec import problems, write

GROUP = """\
group: {code: BX, name: 北辰集团, realm: beichen}
companies:
  - {code: BX, name: 北辰集团有限公司}
  - {code: BX-A, name: 北辰甲公司, parent: BX}
departments:
  - {code: BX-A-OPS, name: 运维部, company: BX-A}
  - {code: BX-A-OPS-1, name: 一组, company: BX-A, parent: BX-A-OPS}
roles:
  - {name: employee}
  - {name: ops-lead, composites: [employee]}
"""

APP = "  - {id: wiki, template: generic-oidc, base_url: 'https://wiki.beichen.example'"


def spec_with(tmp_path, apps: str, extra: dict | None = None):
    return write(tmp_path, {"group.yaml": GROUP, "apps.yaml": "apps:\n" + apps, **(extra or {})})


BAD = {
    "unknown references": (
        APP + ", owner: BX-Z, audience: {companies: [BX-Q], departments: [BX-A-OPZ], roles: [ops-leed]}}\n",
        ["apps.yaml:2: app wiki: audience 'BX-A-OPZ' is not a known department; did you mean 'BX-A-OPS'?",
         "apps.yaml:2: app wiki: audience 'BX-Q' is not a known company; did you mean 'BX-A'?",
         "apps.yaml:2: app wiki: audience 'ops-leed' is not a known role; did you mean 'ops-lead'?",
         "apps.yaml:2: app wiki: owner 'BX-Z' is not a known company; did you mean 'BX-A'?"],
    ),
    "role map": (
        APP + ", roles: [reader], role_map: {editor: [ops-lead], reader: [nobody]}}\n",
        ["apps.yaml:2: app wiki: role_map: 'editor' is not one of the app's roles",
         "apps.yaml:2: app wiki: role_map: 'nobody' is neither a role nor a company or department code"],
    ),
    "unknown template": (
        "  - {id: wiki, template: grafanna, base_url: 'https://wiki.beichen.example'}\n",
        ["apps.yaml:2: app wiki: no app template 'grafanna'"],
    ),
    "wildcard": (
        "  - {id: wiki, template: generic-oidc, redirect_uris: ['https://wiki.beichen.example/*']}\n",
        ["apps.yaml:2: app wiki: the redirect URI 'https://wiki.beichen.example/*' has a wildcard, which lets a token "
         "go wherever it matches; list exact URIs, or set allow_wildcard_redirects: true"],
    ),
    "no redirect": (
        "  - {id: wiki, template: generic-oidc}\n",
        ["apps.yaml:2: app wiki: no redirect URI; give redirect_uris, or base_url for the template's callback"],
    ),
    "one clientId twice": (
        APP + "}\n  - {id: wiki2, client_id: wiki, template: generic-oidc, base_url: 'https://w.example'}\n",
        ["apps.yaml:3: app wiki2: clientId 'wiki' is already app wiki's"],
    ),
    "password grant past the audience": (
        APP + ", direct_access_grants: true, audience: {roles: [ops-lead]}}\n",
        ["apps.yaml:2: app wiki: the password grant skips the browser sign-in that refuses whoever is outside the "
         "audience; an app with an audience cannot have direct_access_grants"],
    ),
    "client roles where realm roles belong": (
        APP + ", roles: [reader], audience: {roles: [realm-management/view-users]}, role_map: {reader: [other/x]}}\n",
        ["apps.yaml:2: app wiki: audience: 'realm-management/view-users' is a client role; an audience names realm roles",
         "apps.yaml:2: app wiki: role_map: 'other/x' is a client role; the app's roles go to realm roles, companies "
         "and departments"],
    ),
    "a secret variable a shell would run": (
        APP + ", settings: {secret_env: '$(reboot)'}}\n",
        ["apps.yaml:2: app wiki: secret_env '$(reboot)' is not an environment variable's name (A-Z, 0-9, _)"],
    ),
    "company app without owner": (
        APP + ", kind: company}\n",
        ["apps.yaml:2: app wiki: an app of kind company needs an owner (the company it belongs to)"],
    ),
}


@pytest.mark.parametrize("case", BAD, ids=list(BAD))
def test_bad_apps_are_refused_with_their_line(tmp_path, case):
    apps, expected = BAD[case]
    found = problems(tmp_path, {"group.yaml": GROUP, "apps.yaml": "apps:\n" + apps})
    assert [p.split(";")[0] if "no app template" in p else p for p in found] == expected


def test_a_wildcard_is_allowed_only_when_opted_in(tmp_path):
    group = load_spec(spec_with(tmp_path, "  - {id: wiki, template: generic-oidc, allow_wildcard_redirects: true, "
                                          "redirect_uris: ['https://wiki.beichen.example/*']}\n"))
    assert compile_realms(group)[0].clients[0].representation["redirectUris"] == ["https://wiki.beichen.example/*"]


def test_a_template_of_the_spec_fails_at_its_own_file_and_line(tmp_path):
    template = "description: ours\ncallbacks: [/cb]\nfiles: {app.conf: app.conf.j2}\n"
    spec = spec_with(tmp_path, "  - {id: wiki, template: ours, base_url: 'https://wiki.beichen.example'}\n", {
        "templates/ours/template.yaml": template,
        "templates/ours/app.conf.j2": "issuer = {{ issuer }}\nport = {{ settings.port }}\n",
    })
    with pytest.raises(SpecError) as caught:
        load_spec(spec)
    assert [str(p) for p in caught.value.problems] == [
        f"{spec}/templates/ours/app.conf.j2:2: undefined value: 'dict object' has no attribute 'port'"]
    (spec / "templates/ours/app.conf.j2").write_text("issuer = {{ issuer \n", encoding="utf-8")
    with pytest.raises(SpecError) as caught:
        load_spec(spec)
    assert str(caught.value.problems[0]).startswith(f"{spec}/templates/ours/app.conf.j2:1: template syntax:")
    (spec / "templates/ours/template.yaml").write_text(template + "protocol: ldap\n", encoding="utf-8")
    with pytest.raises(SpecError) as caught:
        load_spec(spec)
    assert str(caught.value.problems[0]).startswith(f"{spec}/templates/ours/template.yaml:4: ")


def test_a_template_of_the_spec_renders_with_its_settings(tmp_path):
    spec = spec_with(tmp_path, "  - {id: wiki, template: ours, base_url: 'https://wiki.beichen.example', "
                               "settings: {port: 8080}}\n", {
        "templates/ours/template.yaml": "description: ours\ncallbacks: [/cb]\nfiles: {app.conf: app.conf.j2}\n",
        "templates/ours/app.conf.j2": "issuer = {{ issuer }}\nport = {{ settings.port }}\ncb = {{ callback_url }}\n",
    })
    group = load_spec(spec)
    rendered = render_app(group, group.apps[0], catalog_for(group), keycloak_url="https://sso.beichen.example/")
    assert rendered.files == {"app.conf": "issuer = https://sso.beichen.example/realms/beichen\nport = 8080\n"
                                          "cb = https://wiki.beichen.example/cb\n"}


def test_the_audience_and_the_role_map_compile_into_grants_and_a_sign_in_flow(tmp_path):
    group = load_spec(spec_with(tmp_path, APP + ", roles: [reader, editor], role_map: {editor: [ops-lead, BX-A-OPS]}, "
                                                "audience: {companies: [BX-A], roles: [ops-lead]}}\n"))
    state = compile_realms(group)[0]
    (client,) = state.clients
    assert client.client_id == "wiki" and client.representation["attributes"]["groupid.managed"] == "true"
    assert {r.ref for r in state.roles if r.client} == {"wiki/reader", "wiki/editor", f"wiki/{ACCESS_ROLE}"}
    groups = {node.code: node for _, node in state.walk_groups()}
    assert groups["BX-A"].roles == (f"wiki/{ACCESS_ROLE}",)
    assert groups["BX-A-OPS"].roles == ("wiki/editor",)
    assert groups["BX"].roles == () and groups["BX-A-OPS-1"].roles == ()
    lead = next(r for r in state.roles if r.name == "ops-lead")
    assert lead.composites == ("employee", "wiki/editor", f"wiki/{ACCESS_ROLE}")
    (flow,) = state.sign_in_flows
    assert (flow.alias, flow.client_id, flow.role) == ("groupid-sign-in-wiki", "wiki", f"wiki/{ACCESS_ROLE}")


def test_an_app_for_everyone_has_no_access_role_and_no_flow(tmp_path):
    state = compile_realms(load_spec(spec_with(tmp_path, APP + "}\n")))[0]
    assert [r.ref for r in state.roles if r.client] == [] and state.sign_in_flows == ()


def test_a_client_is_confidential_with_the_standard_flow_only(tmp_path):
    representation = compile_realms(load_spec(spec_with(tmp_path, APP + "}\n")))[0].clients[0].representation
    assert (representation["publicClient"], representation["standardFlowEnabled"], representation["implicitFlowEnabled"],
            representation["directAccessGrantsEnabled"], representation["fullScopeAllowed"]) == (False, True, False, False, False)
    assert representation["redirectUris"] == ["https://wiki.beichen.example/oidc/callback"]
    assert "secret" not in representation


def test_an_app_of_a_company_with_its_own_realm_lives_there(tmp_path):
    group_yaml = GROUP.replace("realm: beichen}", "realm: beichen, topology: realm-per-company, "
                                                  "public_url: 'https://sso.beichen.example'}")
    group_yaml = group_yaml.replace("{code: BX-A, name: 北辰甲公司, parent: BX}", "{code: BX-A, name: 北辰甲公司, parent: BX, own_realm: true}")
    spec = write(tmp_path, {"group.yaml": group_yaml, "apps.yaml": "apps:\n" + APP + ", owner: BX-A}\n"})
    group = load_spec(spec)
    assert app_realm(group, group.apps[0]) == "beichen-bx-a"
    states = {state.realm: state for state in compile_realms(group)}
    assert [c.client_id for c in states["beichen-bx-a"].clients] == ["wiki"]
    assert "wiki" not in [c.client_id for c in states["beichen"].clients]


def test_a_template_of_the_spec_cannot_run_code(tmp_path):
    spec = spec_with(tmp_path, "  - {id: wiki, template: ours, base_url: 'https://wiki.beichen.example'}\n", {
        "templates/ours/template.yaml": "description: ours\ncallbacks: [/cb]\nfiles: {app.conf: app.conf.j2}\n",
        "templates/ours/app.conf.j2": "{{ ''.__class__.__mro__[1].__subclasses__() }}\n",
    })
    with pytest.raises(SpecError) as caught:
        load_spec(spec)
    (problem,) = caught.value.problems
    assert str(problem).startswith(f"{spec}/templates/ours/app.conf.j2: template error: ") and "unsafe" in str(problem)


def test_a_secret_file_goes_into_a_shell_script_quoted(tmp_path):
    group = load_spec(spec_with(tmp_path, "  - {id: registry, template: harbor, base_url: 'https://harbor.beichen.example', "
                                          "secret_file: '$(touch hacked).txt'}\n"))
    script = render_app(group, group.apps[0], catalog_for(group)).files["configure-harbor.sh"]
    assert "cat '$(touch hacked).txt'" in script and '"$(touch' not in script
