"""App templates: a folder each, with ``template.yaml`` (what the app needs from Keycloak) and the Jinja2 files
of the app's own configuration.

Built-in templates live in ``groupid/apps/builtin/``; a spec adds its own in ``<spec dir>/templates/<name>/``,
where a name of a built-in one replaces it. Jinja2 runs with ``StrictUndefined``: a value a template names but
the context lacks is an error at render, with the template file and line, never an empty string.
"""

from __future__ import annotations

import shlex
import sys
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any, Literal

import jinja2
from jinja2.sandbox import SandboxedEnvironment
from pydantic import BaseModel, ConfigDict, ValidationError

from groupid.documents import key_line, load_yaml
from groupid.errors import Location, SourceError
from groupid.files import read_file
from groupid.wording import describe_error, did_you_mean

BUILTIN = Path(__file__).parent / "builtin"
"""The folder of the built-in templates."""

TEMPLATE_FILE = "template.yaml"
"""The file in a template folder that says what the app needs from Keycloak."""

SPEC_TEMPLATES = "templates"
"""The folder of a spec directory that holds the spec's own templates."""

Claim = Literal["groups", "roles", "email", "profile", "audience"]
"""What an app reads from its tokens or assertions; each is one protocol mapper or client scope (docs/apps.md)."""


class TemplateSpec(BaseModel):
    """What ``template.yaml`` declares: how the app signs in, and which files its own side is made of."""

    model_config = ConfigDict(extra="forbid")
    description: str
    protocol: Literal["openid-connect", "saml"] = "openid-connect"
    client: Literal["confidential", "public"] = "confidential"  #: public: a browser or native app, PKCE S256
    callbacks: list[str] = []  #: redirect URIs: paths under base_url, or absolute URLs (a CLI's loopback)
    post_logout: list[str] = []  #: where the app may be sent after logout, alike
    web_origins: bool = False  #: the app calls Keycloak from the browser (CORS from base_url's origin)
    claims: list[Claim] = []
    scopes: list[str] = []  #: realm client scopes always in its tokens, besides those its claims take (roles)
    optional_scopes: list[str] = []  #: realm client scopes the app may ask for by name (offline_access)
    client_id: Literal["id", "base_url"] = "id"  #: base_url: a SAML SP whose entity ID is its base URL
    secret_env: str | None = None  #: the environment variable the app side reads the client secret from
    settings: dict[str, Any] = {}  #: the template's knobs, with their defaults; an app's ``settings`` override them
    attributes: dict[str, str] = {}  #: client attributes the protocol needs (SAML signing, name ID format)
    files: dict[str, str]  #: output file name -> template file of the folder


@dataclass(frozen=True)
class Template:
    """One loaded template: its name, its folder and what ``template.yaml`` declares."""

    name: str
    folder: Path
    spec: TemplateSpec
    builtin: bool

    @cached_property
    def environment(self) -> jinja2.Environment:
        """The Jinja2 environment of the template's files: strict about undefined values, no HTML escaping;
        ``tojson`` keeps Chinese names readable (no ``\\u`` escapes); the filter ``required`` makes a value that
        is there but empty (an app without ``base_url``) as strict."""
        # sandboxed: a spec's own template is read by validate and plan, in CI too, and must not run code
        environment = SandboxedEnvironment(
            loader=jinja2.FileSystemLoader(str(self.folder)), undefined=jinja2.StrictUndefined,
            keep_trailing_newline=True, autoescape=False, trim_blocks=True, lstrip_blocks=True,
        )
        environment.policies["json.dumps_kwargs"] = {"ensure_ascii": False, "sort_keys": True}
        environment.filters["required"] = required
        environment.filters["shell"] = shlex.quote
        return environment

    def where(self, file: str = TEMPLATE_FILE, line: int | None = None) -> Location:
        """A place in the template, for a message: ``builtin:grafana/grafana.ini.j2:3`` or the user's path."""
        folder = f"builtin:{self.name}" if self.builtin else str(self.folder)
        return Location(f"{folder}/{file}", line)

    def render(self, file: str, context: dict[str, Any]) -> str:
        """One of the template's files rendered with ``context``; raises :class:`SourceError` at the file and line
        of a syntax error or of a value the context lacks."""
        try:
            return self.environment.get_template(file).render(context)
        except jinja2.TemplateSyntaxError as exc:
            raise SourceError(f"template syntax: {exc.message}", self.where(file, exc.lineno)) from None
        except jinja2.TemplateNotFound as exc:
            raise SourceError(f"template file {exc.name!r} is missing", self.where()) from None
        except jinja2.UndefinedError as exc:
            raise SourceError(f"undefined value: {exc.message}", self.where(file, _failing_line(file))) from None
        except jinja2.TemplateError as exc:
            raise SourceError(f"template error: {exc}", self.where(file)) from None


def required(value: Any, name: str = "a value") -> Any:
    """The Jinja2 filter ``required``: ``value`` itself, or an undefined-value error when it is None or empty,
    so that a template never renders ``None`` or nothing where the app needs a value."""
    if value is None or value == "" or isinstance(value, jinja2.Undefined):
        raise jinja2.UndefinedError(f"{name} is not set, and the template needs it")
    return value


def _failing_line(file: str) -> int | None:
    """The line of ``file`` that was rendering when the error being handled was raised: Jinja2 puts the
    template's own file and line into the traceback."""
    line = None
    traceback = sys.exc_info()[2]
    while traceback is not None:
        if traceback.tb_frame.f_code.co_filename.endswith(file):
            line = traceback.tb_lineno
        traceback = traceback.tb_next
    return line


class TemplateCatalog:
    """The templates a spec can use: the built-in ones and those in its own ``templates/`` folder."""

    def __init__(self, spec_directory: str | Path | None = None):
        self.folders: dict[str, tuple[Path, bool]] = {}
        for folder, builtin in ((BUILTIN, True), (Path(spec_directory) / SPEC_TEMPLATES if spec_directory else None, False)):
            if folder is not None and folder.is_dir():
                for entry in sorted(folder.iterdir()):
                    if (entry / TEMPLATE_FILE).is_file():
                        self.folders[entry.name] = (entry, builtin)
        self._loaded: dict[str, Template] = {}

    def names(self) -> list[str]:
        """Every template's name, sorted."""
        return sorted(self.folders)

    def get(self, name: str) -> Template:
        """The template called ``name``; :class:`SourceError` when there is none or its ``template.yaml`` is bad."""
        if name not in self._loaded:
            if name not in self.folders:
                raise SourceError(f"no app template {name!r}{did_you_mean(name, self.folders)}")
            folder, builtin = self.folders[name]
            self._loaded[name] = _load(name, folder, builtin)
        return self._loaded[name]


def _load(name: str, folder: Path, builtin: bool) -> Template:
    shown = f"builtin:{name}/{TEMPLATE_FILE}" if builtin else str(folder / TEMPLATE_FILE)
    document = load_yaml(read_file(folder / TEMPLATE_FILE, shown), shown, TemplateSpec.model_fields)
    try:
        spec = TemplateSpec.model_validate(dict(document))
    except ValidationError as exc:
        error = exc.errors()[0]
        line = key_line(document, error["loc"][0]) if error["loc"] else None
        raise SourceError(describe_error(error, TemplateSpec), Location(shown, line)) from None
    template = Template(name, folder, spec, builtin)
    for file in spec.files.values():
        if not (folder / file).is_file():
            raise SourceError(f"files: {file!r} is not in the template's folder", Location(shown, key_line(document, "files")))
    return template
