"""Template folders: a spec's own templates add to the built-in ones or replace them, and a template that is
wrong fails validation at its own file and line — a syntax error, a value the context lacks, a value that is
there but empty — never rendering an empty string."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

import groupid
from groupid.apps import catalog_for, render_app
from groupid.errors import SpecError
from tests.test_app_templates_a import write_spec


def add_template(spec: Path, name: str, files: dict[str, str], yaml: str | None = None) -> Path:
    """A template folder ``<spec>/templates/<name>/``, its template.yaml naming ``files``."""
    folder = spec / "templates" / name
    folder.mkdir(parents=True)
    listed = "".join(f"  {out}: {source}\n" for out, source in ((f.removesuffix(".j2"), f) for f in files))
    (folder / "template.yaml").write_text(yaml or f"description: {name}\ncallbacks: [/cb]\nfiles:\n{listed}",
                                          encoding="utf-8")
    for file, text in files.items():
        (folder / file).write_text(textwrap.dedent(text), encoding="utf-8")
    return folder


def one_app(template: str, extra: str = "base_url: https://app.example.cn") -> str:
    return f"apps:\n  - {{id: app1, template: {template}, {extra}}}\n"


def spec_problems(spec: Path) -> str:
    with pytest.raises(SpecError) as caught:
        groupid.load_spec(str(spec))
    return str(caught.value)


def test_a_spec_adds_a_template_of_its_own(tmp_path):
    spec = write_spec(tmp_path, "xinghe", one_app("house-app"))
    add_template(spec, "house-app", {"app.env.j2": "ISSUER={{ issuer }}\nCALLBACK={{ callback_url }}\n"})
    group = groupid.load_spec(str(spec))
    catalog = catalog_for(group)
    assert "house-app" in catalog.names() and "grafana" in catalog.names()
    out = render_app(group, group.apps[0], catalog, keycloak_url="https://sso.example.cn")
    assert out.files == {"app.env": "ISSUER=https://sso.example.cn/realms/xinghe\nCALLBACK=https://app.example.cn/cb\n"}
    assert out.client["redirectUris"] == ["https://app.example.cn/cb"] and not out.template.builtin


def test_a_spec_template_of_a_built_in_name_replaces_it(tmp_path):
    spec = write_spec(tmp_path, "xinghe", one_app("grafana"))
    add_template(spec, "grafana", {"grafana.ini.j2": "[auth.generic_oauth]\nclient_id = {{ client_id }}\n"})
    group = groupid.load_spec(str(spec))
    out = render_app(group, group.apps[0], catalog_for(group))
    assert out.files == {"grafana.ini": "[auth.generic_oauth]\nclient_id = app1\n"}
    assert out.client["redirectUris"] == ["https://app.example.cn/cb"]  # its own callbacks, not the built-in's


def test_a_template_with_a_syntax_error_fails_at_its_file_and_line(tmp_path):
    spec = write_spec(tmp_path, "xinghe", one_app("broken"))
    folder = add_template(spec, "broken", {"conf.j2": "a = 1\nb = 2\n{% if issuer %}\nc = {{ issuer }\n"})
    message = spec_problems(spec)
    assert f"{folder}/conf.j2:4: template syntax" in message


def test_an_undefined_value_fails_at_render_with_its_file_and_line_never_as_empty_text(tmp_path):
    spec = write_spec(tmp_path, "xinghe", one_app("typo"))
    folder = add_template(spec, "typo", {"conf.j2": "issuer = {{ issuer }}\nrealm = {{ app.realm_name }}\n"})
    message = spec_problems(spec)
    assert f"{folder}/conf.j2:2: undefined value" in message and "realm_name" in message


def test_a_value_a_built_in_template_requires_fails_when_the_app_lacks_it(tmp_path):
    """Grafana needs its root_url: an app with only redirect URIs is refused at the template's line, instead of
    a grafana.ini saying ``root_url = None``."""
    spec = write_spec(tmp_path, "xinghe", one_app("grafana", "redirect_uris: [https://grafana.example.cn/login/generic_oauth]"))
    message = spec_problems(spec)
    assert "builtin:grafana/grafana.ini.j2:1: undefined value: base_url (Grafana's root_url) is not set" in message


def test_a_template_yaml_with_an_unknown_key_fails_at_its_line(tmp_path):
    spec = write_spec(tmp_path, "xinghe", one_app("odd"))
    folder = add_template(spec, "odd", {"x.j2": "x"}, yaml="description: odd\nfiles: {x: x.j2}\nclaimz: [groups]\n")
    assert f"{folder}/template.yaml:3" in spec_problems(spec)


def test_an_unknown_name_id_format_is_refused_at_the_apps_settings(tmp_path):
    spec = write_spec(tmp_path, "xinghe", one_app("generic-saml", "base_url: https://sp.example.cn, settings: {name_id_format: uuid}"))
    message = spec_problems(spec)
    assert "apps.yaml:2" in message and "name_id_format 'uuid' is not one of username, email, transient, persistent" in message


def test_a_saml_sp_that_signs_gets_its_certificate_checked_by_keycloak(tmp_path):
    certificate = "MIIBszCCAVmgAwIBAgIU" + "A" * 40
    spec = write_spec(tmp_path, "xinghe", one_app("generic-saml", f"base_url: https://sp.example.cn, settings: {{sp_certificate: {certificate}}}"))
    group = groupid.load_spec(str(spec))
    out = render_app(group, group.apps[0], catalog_for(group))
    assert out.client["attributes"]["saml.client.signature"] == "true"
    assert out.client["attributes"]["saml.signing.certificate"] == certificate
    assert 'AuthnRequestsSigned="true"' in out.files["sp-metadata.xml"] and certificate in out.files["sp-metadata.xml"]
