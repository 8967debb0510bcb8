"""What each groupid command does, one function per command: validate, render, plan, apply, import, export,
sync people from HR or a directory, unlock a realm, and the ``apps`` commands (list, render, who, portal, secret).

The command line parses its options, calls one of these and prints what it returns; nothing here prints or
exits. Each function that reaches Keycloak takes a :data:`~groupid.realms.base.Connector`: an adapter (the
real server's, or :class:`~groupid.realms.memory.MemoryRealms`), or a callable that connects one. A callable is
called only once the input is read and checked, so that a bad spec or file is reported as such even when no
server answers.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, replace
from pathlib import Path

from groupid.apply import apply_plans, check_plans
from groupid.apps import app_realm, catalog_for, render_app
from groupid.apps.context import client_id as app_client_id
from groupid.apps.context import secret_env
from groupid.apps.listing import app_rows
from groupid.apps.portal import portal_pages
from groupid.audience import SignInCount, count_sign_ins
from groupid.diff import DiffOptions, diff_realm
from groupid.errors import ConfigurationError, RealmExists, SourceError
from groupid.export import ExportResult, export_realm
from groupid.files import read_json, read_secret_file
from groupid.hr_sync import sync_hr
from groupid.keycloak_terms import ATTR_MANAGED, KEYCLOAK_DEFAULT_ROLES, default_role_name
from groupid.ldap_sync import sync_ldap
from groupid.lock import break_lock
from groupid.model import App, Group, checked_realm_name
from groupid.plan import Plan, load_plans, save_plans
from groupid.realms.base import Connector, RealmAdapter, connected
from groupid.realms.connection import checked_server_url
from groupid.realms.keycloak import KeycloakServer
from groupid.realms.memory.store import WHERE as MEMORY_WHERE
from groupid.runs import Outcome
from groupid.spec import load_spec
from groupid.state import compile_realms, realm_representation
from groupid.sync import SyncOptions, SyncResult

__all__ = [
    "AppSecret",
    "ImportResult",
    "app_secret",
    "apply_target",
    "count_app_sign_ins",
    "list_apps",
    "render_apps",
    "write_portal",
    "export_spec",
    "import_realm",
    "plan_spec",
    "read_representation",
    "render_spec",
    "rotate_app_secret",
    "sync_hr_export",
    "sync_ldap_directory",
    "unlock_realm",
    "validate_spec",
]


# -- the spec, offline ---------------------------------------------------------------------------------------


def validate_spec(spec: Path | str) -> Group:
    """Load and check the spec at ``spec``; raise :class:`~groupid.errors.SpecError` listing every problem."""
    return load_spec(spec)


def render_spec(spec: Path | str, out: Path | str) -> list[Path]:
    """Load the spec at ``spec`` and write one ``<realm>.json`` per realm into ``out``; return the paths."""
    out = Path(out)
    states = compile_realms(load_spec(spec))
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise SourceError(f"{out}: cannot create the output directory: {exc.strerror}") from None
    written = []
    for state in states:
        path = out / f"{state.realm}.json"
        text = json.dumps(realm_representation(state), ensure_ascii=False, indent=2) + "\n"
        try:
            path.write_text(text, encoding="utf-8")
        except OSError as exc:
            raise SourceError(f"{path}: cannot write: {exc.strerror}") from None
        written.append(path)
    return written


# -- plan and apply --------------------------------------------------------------------------------------------


def plan_spec(
    spec: Path | str, adapter: Connector, *, realm: str | None = None,
    options: DiffOptions = DiffOptions(), out: Path | str | None = None,
) -> list[Plan]:
    """Load the spec at ``spec`` and plan every realm it needs against the live realms of ``adapter``.

    ``realm`` puts the group's realm under another name (a staging copy, say); ``out``, when given, is where
    the plans are saved for a later :func:`apply_target`. ``adapter`` may be a callable that connects: it is
    called only once the spec is loaded and checked, so that a bad spec is reported as such even when no server
    answers.
    """
    group = load_spec(spec).under_realm(realm)
    states = compile_realms(group)
    adapter = connected(adapter)
    plans: list[Plan] = []
    for state in states:  # the group realm first: its new link clients concern the company realms' plans
        new_clients = {(p.realm, c.key) for p in plans for c in p.changes if c.kind == "client" and c.action == "create"}
        plans.append(diff_realm(state, adapter.read(state.realm), options, frozenset(new_clients)))
    if out is not None:
        save_plans(plans, out)
    return plans


ProgressDisplay = Callable[[int], AbstractContextManager[Callable[..., None]]]
"""Opens a progress display for that many changes; what it yields is called once per change made."""


def apply_target(
    target: Path, adapter: Connector, *, realm: str | None = None, options: DiffOptions = DiffOptions(),
    force: bool = False, wait: float = 0.0, revoke_sessions: bool = False,
    show: Callable[[list[Plan]], None] | None = None,
    confirm: Callable[[list[Plan]], None] | None = None,
    progress: ProgressDisplay | None = None,
) -> list[tuple[Plan, Outcome]]:
    """Apply the spec at ``target``, or the plan saved there, to the live realms of ``adapter``.

    A saved plan is applied as it was reviewed: ``realm`` and ``options`` belong to the plan that made it, and
    it is refused when the live realm changed since. ``show`` is called with the plans as soon as they are
    made (a refused plan is seen too); when something would change, the plans are checked (the deletion guard,
    unless ``force``), then ``confirm`` is called — it raises to stop before anything is written — and they are
    applied, waiting up to ``wait`` seconds for another run's lock. ``revoke_sessions`` then signs out whoever
    holds a session with an app whose audience the apply narrowed and may no longer sign in to it (each outcome's
    ``signed_out`` counts them). Returns each plan with what its apply did; nothing when there was nothing to do.
    """
    saved = target.is_file() and target.suffix == ".json"  # a plan saved by `groupid plan -o`
    if saved and (realm or options != DiffOptions()):
        raise ConfigurationError(f"{target} is a saved plan: it is applied as reviewed; --realm, --prune, "
                                 "--adopt and --rotate-bind-passwords belong to the plan command")
    adapter = _once(adapter)  # signs in once the input is read
    plans = load_plans(target) if saved else plan_spec(target, adapter, realm=realm, options=options)
    if show is not None:
        show(plans)
    if all(p.empty for p in plans):
        return []
    check_plans(plans, adapter(), saved=saved, force=force)  # refuse before asking, not after
    if confirm is not None:
        confirm(plans)
    display = progress(sum(len(p.changes) for p in plans)) if progress else nullcontext(None)
    with display as advance:
        return list(zip(plans, apply_plans(plans, adapter(), saved=saved, force=force, progress=advance, wait=wait,
                                               revoke_sessions=revoke_sessions)))


def _once(adapter: Connector) -> Callable[[], RealmAdapter]:
    """A callable giving the adapter of ``adapter``, connecting on the first call only."""
    made: list[RealmAdapter] = []

    def get() -> RealmAdapter:
        if not made:
            made.append(connected(adapter))
        return made[0]

    return get


# -- whole realms: import and export -----------------------------------------------------------------------------


@dataclass(frozen=True)
class ImportResult:
    """What :func:`import_realm` did."""

    realm: str
    server_url: str  #: where the realm went: the server's URL (or the in-memory realms' name)
    created: bool  #: False when the realm existed and ``skip_existing`` left it alone
    groups: int
    roles: int


def read_representation(path: Path | str) -> dict:
    """Read a realm representation (JSON) written by ``groupid render`` or by Keycloak's export."""
    data = read_json(path, "a realm representation")
    if not isinstance(data, dict) or not isinstance(data.get("realm"), str) or not data["realm"]:
        raise SourceError(f"{path}: not a realm representation (no \"realm\" name)")
    for key, kind in (("groups", list), ("roles", dict), ("users", list), ("clients", list)):
        if key in data and not isinstance(data[key], kind):
            raise SourceError(f"{path}: \"{key}\" must be a JSON {'list' if kind is list else 'object'}")
    realm_roles = (data.get("roles") or {}).get("realm", [])
    if not isinstance(realm_roles, list) or not all(isinstance(role, dict) for role in realm_roles):
        raise SourceError(f"{path}: \"roles\": \"realm\" must be a JSON list of role objects")
    _check_groups(data.get("groups") or [], path)
    return data


def _check_groups(groups: list, path: Path | str) -> None:
    """Refuse a group tree that is not made of group objects with lists of sub-groups."""
    pending = [groups]
    while pending:  # a walk, not a recursion: the file decides how deep the tree is
        level = pending.pop()
        if not isinstance(level, list) or not all(isinstance(group, dict) for group in level):
            raise SourceError(f"{path}: \"groups\" and each \"subGroups\" must be JSON lists of group objects")
        pending += [group["subGroups"] for group in level if group.get("subGroups") is not None]


def import_realm(
    path: Path | str, adapter: Connector, *, realm: str | None = None, skip_existing: bool = False,
) -> ImportResult:
    """Create a new realm from the representation in ``path`` (Keycloak's own import); ``realm`` renames it on
    the way in.

    An existing realm is never overwritten: :class:`~groupid.errors.RealmExists` is raised, or with
    ``skip_existing`` the realm is left as it is and the result says so. ``adapter`` may be a callable that
    connects: it is called once the file is read and checked.
    """
    representation = read_representation(path)
    if realm:
        representation = _renamed(representation, checked_realm_name(realm))
    else:
        checked_realm_name(representation["realm"], f"{path}: realm")
    # the realm's own roles: Keycloak's (offline_access, default-roles-…) come with every realm
    builtin = {*KEYCLOAK_DEFAULT_ROLES, default_role_name(representation["realm"])}
    roles = [r for r in representation.get("roles", {}).get("realm", []) if r.get("name") not in builtin]
    adapter = connected(adapter)
    result = ImportResult(representation["realm"], _where(adapter), True, _count_groups(representation), len(roles))
    try:
        adapter.import_realm(representation)
    except RealmExists:
        if not skip_existing:
            raise
        return replace(result, created=False)
    return result


def _where(adapter: RealmAdapter) -> str:
    """Where the realms of ``adapter`` live, for messages: the server's URL, or the in-memory realms' name."""
    return adapter.settings.server_url if isinstance(adapter, KeycloakServer) else MEMORY_WHERE


def _renamed(representation: dict, realm: str) -> dict:
    """The representation under another realm name; its default role (``default-roles-<realm>``) follows."""
    old, new = default_role_name(representation["realm"]), default_role_name(realm)
    roles = representation.get("roles") or {}
    realm_roles = [{**r, "name": new} if r.get("name") == old else r for r in roles.get("realm", [])]
    renamed = {**representation, "realm": realm, "roles": {**roles, "realm": realm_roles}}
    if (representation.get("defaultRole") or {}).get("name") == old:
        renamed["defaultRole"] = {**representation["defaultRole"], "name": new}
    return renamed


def _count_groups(parent: dict) -> int:
    groups = parent.get("groups", parent.get("subGroups")) or []
    return sum(1 + _count_groups(group) for group in groups)


def export_spec(realm: str, out: Path | str, adapter: Connector) -> ExportResult:
    """Write ``out/group.yaml``, a spec of the live ``realm`` that plans to no changes against it (see
    :func:`groupid.export.export_realm`)."""
    return export_realm(adapter, realm, out)


# -- apps --------------------------------------------------------------------------------------------------------


def list_apps(spec: Path | str) -> list[dict]:
    """The apps of the spec at ``spec``, a row each (see :func:`groupid.apps.listing.app_rows`)."""
    return app_rows(load_spec(spec))


def render_apps(
    spec: Path | str, out: Path | str, app_ids: list[str] | tuple[str, ...] = (), *, realm: str | None = None,
    server_url: str | None = None, reveal: bool = False, adapter: Connector | None = None,
) -> list[Path]:
    """Write both sides of the apps ``app_ids`` (all when empty) of the spec at ``spec``: ``out/<app>/``
    holds ``keycloak-client.json`` and the template's files. Returns the paths written.

    Keycloak's URL in the files is the spec's ``public_url``, else ``server_url`` (the connection's). With
    ``reveal`` the client secrets are read from the live realms through ``adapter`` and written in; without, the
    files refer to them (an environment variable or a secret file).
    """
    group = load_spec(spec).under_realm(realm)
    apps = _chosen_apps(group, app_ids)
    if group.public_url:
        keycloak_url = group.public_url
    elif server_url:
        keycloak_url = checked_server_url(server_url)
    else:
        raise ConfigurationError("where do people reach Keycloak? set public_url in the spec's group: mapping "
                                 "(e.g. public_url: https://sso.example.cn), or GROUPID_SERVER_URL")
    catalog = catalog_for(group)
    live = connected(adapter) if reveal and adapter is not None else None
    if reveal and live is None:
        raise ConfigurationError("--reveal reads the client secrets from Keycloak: no server to read them from")
    written: list[Path] = []
    for app in apps:
        template = catalog.get(app.template)
        secret = None
        if live is not None and template.spec.client == "confidential" and template.spec.protocol == "openid-connect":
            secret = live.client_secret(app_realm(group, app), app_client_id(app, template))
        rendered = render_app(group, app, catalog, keycloak_url=keycloak_url, secret=secret)
        files = {"keycloak-client.json": json.dumps(rendered.client, ensure_ascii=False, indent=2) + "\n",
                 **rendered.files}
        written += _write_files(Path(out) / app.id, files)
    return written


def _chosen_apps(group: Group, app_ids: list[str] | tuple[str, ...]) -> list[App]:
    """The apps named (all of them when none is), in the spec's order; an unknown name is an error."""
    known = {app.id: app for app in group.apps}
    unknown = [name for name in app_ids if name not in known]
    if unknown:
        listed = ", ".join(known) or "none"
        raise ConfigurationError(f"no app {unknown[0]!r} in the spec (its apps: {listed})")
    return [app for app in group.apps if not app_ids or app.id in app_ids]


def _write_files(folder: Path, files: dict[str, str]) -> list[Path]:
    """Write ``files`` (name -> text) into ``folder``; a name that would leave the folder is refused."""
    written = []
    for name, text in files.items():
        path = folder / name
        if ".." in Path(name).parts or Path(name).is_absolute():
            raise SourceError(f"{path}: a rendered file must stay inside {folder}")
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
        except OSError as exc:
            raise SourceError(f"{path}: cannot write: {exc.strerror}") from None
        written.append(path)
    return written


def count_app_sign_ins(spec: Path | str, app_id: str, adapter: Connector, *, realm: str | None = None) -> SignInCount:
    """How many people may sign in to the app ``app_id`` of the spec at ``spec``, by company, counted in its
    live realm (``realm`` puts the group's realm under another name, as for plan)."""
    group = load_spec(spec).under_realm(realm)
    app = _chosen_apps(group, [app_id])[0]
    return count_sign_ins(connected(adapter), app_realm(group, app), app)


def write_portal(spec: Path | str, out: Path | str) -> list[Path]:
    """Write the portal of the spec at ``spec`` into ``out``: a page per company and an index (see
    :mod:`groupid.apps.portal`). Returns the paths written."""
    return _write_files(Path(out), portal_pages(load_spec(spec)))


# -- people and locks ------------------------------------------------------------------------------------------


def sync_hr_export(
    export: Path | str, spec: Path | str, mapping: Path | str, adapter: Connector, *,
    options: SyncOptions = SyncOptions(),
) -> SyncResult:
    """Sync the people of the HR export at ``export`` into the realms of the spec (see
    :func:`groupid.hr_sync.sync_hr`); a callable ``adapter`` is called once every input is read and checked."""
    server = {"connect": adapter} if callable(adapter) else {"adapter": adapter}
    return sync_hr(export, spec, mapping, **server, options=options)


def sync_ldap_directory(config: Path | str, spec: Path | str, adapter: Connector, *,
                        options: SyncOptions = SyncOptions()) -> SyncResult:
    """Sync the people of the directory the source config at ``config`` describes into the realms of the spec
    (see :func:`groupid.ldap_sync.sync_ldap`); a callable ``adapter`` is called once the config, the spec and
    the whole directory are read and checked."""
    server = {"connect": adapter} if callable(adapter) else {"adapter": adapter}
    return sync_ldap(config, spec, **server, options=options)


def unlock_realm(realm: str, adapter: Connector) -> tuple[dict[str, str], str] | None:
    """Break the lock a killed run left on ``realm`` once its owner is shown to be gone: its holder record and
    why it could be broken, or None when the realm was not locked (see :func:`groupid.lock.break_lock`)."""
    return break_lock(adapter, realm)


# -- apps' secrets ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AppSecret:
    """Where an app's client secret is, and, after a rotation, what must be redeployed. ``value`` is the secret
    itself, filled in only when asked for (``reveal``): never print it otherwise."""

    app: str
    realm: str
    client_id: str
    env: str  #: the environment variable the app side reads the secret from
    secret_file: str | None  #: the spec's secret file (relative to the spec directory), or None: Keycloak generated it
    files: tuple[str, ...]  #: the app-side files of the app's template that refer to the secret
    rotated: bool = False
    value: str | None = None


def app_secret(spec: Path | str, app_id: str, adapter: Connector, *, realm: str | None = None,
               reveal: bool = False) -> AppSecret:
    """Where the secret of the app ``app_id`` of the spec at ``spec`` is kept, read from the live client only
    with ``reveal``. A public or SAML app has none: :class:`~groupid.errors.ConfigurationError`."""
    group, app, template, client_id_, app_realm_ = _secret_app(spec, app_id, realm)
    found = _app_secret(group, app, template, client_id_, app_realm_)
    if not reveal:
        return found
    return replace(found, value=connected(adapter).client_secret(app_realm_, client_id_))


def rotate_app_secret(spec: Path | str, app_id: str, realm: str | None = None, connector: Connector | None = None,
                      *, reveal: bool = False) -> AppSecret:
    """Give the client of the app ``app_id`` a new secret: the content of its secret file when the spec names one
    (put the new secret there first), else one Keycloak generates. Returns what must be redeployed: the app-side
    files that refer to the secret, and where the app reads it; the secret itself only with ``reveal``."""
    if connector is None:
        raise ConfigurationError("rotating a secret needs a Keycloak to rotate it in")
    group, app, template, client_id_, app_realm_ = _secret_app(spec, app_id, realm)
    found = _app_secret(group, app, template, client_id_, app_realm_)
    adapter = connected(connector)
    client = next((c for c in adapter.read(app_realm_).clients if c.client_id == client_id_), None)
    if client is None:
        raise ConfigurationError(f"app {app_id}: realm {app_realm_} has no client {client_id_!r} yet; run apply first")
    if client.attributes.get(ATTR_MANAGED) != "true":
        raise ConfigurationError(f"app {app_id}: client {client_id_!r} of realm {app_realm_} was not made by groupid; "
                                 "apply --adopt takes it over first")
    if app.secret_file:
        value = read_secret_file(group.directory or ".", app.secret_file)
        adapter.update_client(app_realm_, client.id, {"secret": value})
    else:
        value = adapter.rotate_client_secret(app_realm_, client_id_)
    return replace(found, rotated=True, value=value if reveal else None)


def _secret_app(spec: Path | str, app_id: str, realm: str | None):
    """The group, the app ``app_id``, its template, clientId and realm; an app without a secret is refused."""
    group = load_spec(spec).under_realm(realm)
    app = next((a for a in group.apps if a.id == app_id), None)
    if app is None:
        known = ", ".join(a.id for a in group.apps) or "none"
        raise ConfigurationError(f"the spec has no app {app_id!r} (its apps: {known})")
    template = catalog_for(group).get(app.template)
    if template.spec.client == "public" or template.spec.protocol == "saml":
        raise ConfigurationError(f"app {app_id}: its client is {'a SAML' if template.spec.protocol == 'saml' else 'a public'} "
                                 "client, which has no secret")
    return group, app, template, app_client_id(app, template), app_realm(group, app)


SECRET_PROBE = "groupid-secret-probe-8f3c1e"
"""A stand-in secret rendered into an app's files to find those that refer to the secret; never a real one."""


def _app_secret(group: Group, app, template, client_id_: str, realm: str) -> AppSecret:
    """The app's secret by reference, and the app-side files that hold or name it."""
    env = secret_env(app, template)
    rendered = render_app(group, app, catalog_for(group), secret=SECRET_PROBE)
    needles = [SECRET_PROBE, env, *([app.secret_file] if app.secret_file else [])]
    files = tuple(sorted(name for name, text in rendered.files.items() if any(n in text for n in needles)))
    return AppSecret(app.id, realm, client_id_, env, app.secret_file, files)
