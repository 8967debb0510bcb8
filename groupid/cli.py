"""The groupid command line: a thin shell over the library.

Each command parses its options, makes one call of :mod:`groupid.operations` (the ``keycloak`` commands: of
:mod:`groupid.localserver`), renders the result and maps errors to the exit codes every command shares: 0 done
or nothing to change, 1 error, 2 changes pending (``plan --detailed-exitcode``), 3 a safety guard refused and
nothing was written, 4 a sync finished but rejected some source rows.
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
import shlex
import sys
import traceback
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.cells import cell_len
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from groupid import __version__, operations
from groupid.apps.listing import COLUMNS, audience_text
from groupid.diff import DiffOptions
from groupid.errors import ApplyFailed, ConfigurationError, ExitCode, GroupidError, SpecError
from groupid.localserver import LocalKeycloak, ServerInfo
from groupid.realms import connect
from groupid.runs import count_actions
from groupid.sync import SyncOptions, SyncResult
from groupid.text import escape, inert, quoted
from groupid.views import as_json, as_markdown, as_text


class InertConsole(Console):
    """A console that prints text as it is: never as Rich markup or emoji codes ("[bold]", "app:x:admin"), and
    with control characters escaped, so that an escape sequence, a hyperlink or a bidirectional override in a
    name, a path or a message never acts on the terminal. Line breaks between lines stay."""

    def __init__(self, **options):
        super().__init__(highlight=False, soft_wrap=True, markup=False, emoji=False, **options)

    def print(self, *objects, **options) -> None:
        """Print ``objects``, each string made inert first."""
        super().print(*(inert(o) if isinstance(o, str) else o for o in objects), **options)


out = InertConsole()
err = InertConsole(stderr=True)

app = typer.Typer(
    name="groupid",
    help=(
        "Identity for a corporate group (集团) on Keycloak: model the group's companies, departments and roles, "
        "keep Keycloak realms in line with the model, sync people from HR.\n\n"
        "Example: groupid validate examples/xinghe && groupid render examples/xinghe --out build/\n\n"
        "Connection settings come from the environment (GROUPID_SERVER_URL, GROUPID_ADMIN_USER, "
        "GROUPID_ADMIN_PASSWORD or GROUPID_ADMIN_PASSWORD_FILE, or GROUPID_CLIENT_ID and GROUPID_CLIENT_SECRET). "
        "Exit codes: 0 done or nothing to change, 1 error, 2 changes pending, 3 refused by a safety guard, "
        "4 sync done but some source rows rejected."
    ),
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode="markdown",  # docstring paragraphs re-flow; names in [brackets] are not markup
)
keycloak_app = typer.Typer(
    help=(
        "A local Keycloak for trying groupid out and for tests: fetched with Maven, started on 127.0.0.1.\n\n"
        'Example: eval "$(groupid keycloak start)"'
    ),
    no_args_is_help=True,
    rich_markup_mode="markdown",
)
app.add_typer(keycloak_app, name="keycloak")
sync_app = typer.Typer(
    help=(
        "Sync people into Keycloak: joiners, movers and leavers, planned first, guarded, reported.\n\n"
        "Example: groupid sync hr 花名册.csv --spec examples/xinghe --mapping examples/xinghe/hr/mapping.yaml --dry-run"
    ),
    no_args_is_help=True,
    rich_markup_mode="markdown",
)
app.add_typer(sync_app, name="sync")
apps_app = typer.Typer(
    help=(
        "The apps of a spec: each app's Keycloak client and its own config from one template, who may sign in, "
        "its secret, and the portal pages (统一应用门户).\n\n"
        "Example: groupid apps list examples/xinghe"
    ),
    no_args_is_help=True,
    rich_markup_mode="markdown",
)
app.add_typer(apps_app, name="apps")

ServerUrl = Annotated[
    str | None,
    typer.Option("--server-url", help="Keycloak base URL; default: $GROUPID_SERVER_URL.", show_default=False),
]


def handles_errors(command):
    """Map groupid errors to their exit codes and messages; never show a traceback for them."""

    @functools.wraps(command)
    def wrapper(*args, **kwargs):
        try:
            return command(*args, **kwargs)
        except GroupidError as exc:
            err.print(f"error: {exc}" if not isinstance(exc, SpecError) else str(exc))
            raise typer.Exit(int(exc.exit_code)) from None
        except KeyboardInterrupt:
            err.print("interrupted")
            raise typer.Exit(130) from None
        except (typer.Exit, typer.Abort):
            raise
        except Exception as exc:  # a bug: say so plainly, keep the traceback for those who ask
            if os.environ.get("GROUPID_DEBUG"):
                traceback.print_exc()
            err.print(
                f"internal error: {type(exc).__name__}: {quoted(str(exc), 200)}\n"
                "This is a bug in groupid; rerun with GROUPID_DEBUG=1 for the traceback and please report it."
            )
            raise typer.Exit(int(ExitCode.ERROR)) from None

    return wrapper


def _version(value: bool) -> None:
    if value:
        out.print(f"groupid {__version__}")
        raise typer.Exit()


@app.callback()
def _main(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version and exit.")
    ] = False,
) -> None:
    """Identity for a corporate group on Keycloak."""


@app.command()
@handles_errors
def validate(
    spec_dir: Annotated[Path, typer.Argument(help="The spec: a directory of YAML files, or one YAML file.")],
) -> None:
    """Check a spec and list every problem, each with file and line.

    Checks unknown keys, references, cycles in the company and department trees, department parents in
    another company, duplicate codes and sibling names, and the check character of each 统一社会信用代码.
    Exit 0 when valid, 1 when not.

    Example: groupid validate examples/xinghe
    """
    group = operations.validate_spec(spec_dir)
    out.print(
        f"{spec_dir}: valid — group {group.code} ({group.name}), realm {group.realm}, topology {group.topology.value}: "
        f"{len(group.companies)} companies, {len(group.departments)} departments, {len(group.roles)} roles"
        + (f", {len(group.people)} people" if group.people else "")
        + (f", {len(group.apps)} apps" if group.apps else "")
    )


@app.command()
@handles_errors
def render(
    spec_dir: Annotated[Path, typer.Argument(help="The spec: a directory of YAML files, or one YAML file.")],
    out_dir: Annotated[Path, typer.Option("--out", "-o", help="Directory to write <realm>.json into.")],
) -> None:
    """Write the realm(s) of a spec as Keycloak realm JSON, offline (no server needed).

    Each realm becomes DIR/<realm>.json, a representation Keycloak's own import accepts: groups mirroring
    companies and departments, realm roles with composites, and the user profile declaring the attributes
    groupid writes.

    Example: groupid render examples/xinghe --out build/
    """
    for path in operations.render_spec(spec_dir, out_dir):
        out.print(f"wrote {path}")


@app.command("import")
@handles_errors
def import_(
    realm_file: Annotated[Path, typer.Argument(help="A realm JSON file written by `groupid render`.")],
    realm: Annotated[
        str | None, typer.Option("--realm", help="Import under this realm name instead of the file's.")
    ] = None,
    skip_existing: Annotated[
        bool, typer.Option("--skip-existing", help="Exit 0 and change nothing when the realm already exists.")
    ] = False,
    server_url: ServerUrl = None,
) -> None:
    """Create a new realm in Keycloak from a rendered realm file.

    An existing realm is never overwritten: the command fails (exit 1) and changes nothing, or with
    --skip-existing leaves the realm alone and exits 0.

    Example: groupid import build/xinghe.json --server-url http://127.0.0.1:8080
    """
    result = operations.import_realm(realm_file, functools.partial(connect, server_url), realm=realm,
                                     skip_existing=skip_existing)
    if result.created:
        out.print(f"created realm {result.realm} at {result.server_url}: {result.groups} groups, {result.roles} roles")
    else:
        out.print(f"realm {result.realm} already exists at {result.server_url}; left unchanged")


RealmOverride = Annotated[
    str | None,
    typer.Option("--realm", help="Put the group's realm under this name instead (e.g. a staging copy)."),
]
Prune = Annotated[bool, typer.Option("--prune", help="Delete objects groupid made that left the spec.")]
Adopt = Annotated[bool, typer.Option("--adopt", help="Take over objects made by hand that match the spec.")]
RotateBindPasswords = Annotated[bool, typer.Option(
    "--rotate-bind-passwords",
    help="Send each LDAP federation's bind password again, from its environment variable (Keycloak never shows it).",
)]
Wait = Annotated[float, typer.Option("--wait", help="Seconds to wait for another run that holds the realm's lock.")]


@app.command()
@handles_errors
def plan(
    spec_dir: Annotated[Path, typer.Argument(help="The spec: a directory of YAML files, or one YAML file.")],
    realm: RealmOverride = None,
    server_url: ServerUrl = None,
    prune: Prune = False,
    adopt: Adopt = False,
    rotate_bind_passwords: RotateBindPasswords = False,
    as_json_: Annotated[bool, typer.Option("--json", help="Print the plan as JSON.")] = False,
    markdown: Annotated[bool, typer.Option("--markdown", help="Print the plan as Markdown (for a pull request).")] = False,
    out_file: Annotated[
        Path | None, typer.Option("--out", "-o", help="Also save the plan here, for `groupid apply FILE`.")
    ] = None,
    detailed_exitcode: Annotated[
        bool, typer.Option("--detailed-exitcode", help="Exit 0 when nothing would change, 2 when something would.")
    ] = False,
) -> None:
    """Show what apply would change in the live realm(s): creates, updates (old → new) and deletes.

    Reads the live realm, compares it with the spec and prints the changes grouped by kind, in the order apply
    would make them. Objects made by hand that match the spec are listed as unmanaged (see --adopt); objects
    groupid made that left the spec are listed as orphans (see --prune). Secrets show as (sensitive).

    Example: groupid plan examples/xinghe --detailed-exitcode -o xinghe.plan.json
    """
    if as_json_ and markdown:
        raise ConfigurationError("choose one of --json and --markdown")
    plans = operations.plan_spec(spec_dir, functools.partial(connect, server_url), realm=realm,
                                 options=DiffOptions(prune=prune, adopt=adopt,
                                                                 rotate_bind_passwords=rotate_bind_passwords),
                                 out=out_file)
    if out_file:
        err.print(f"saved the plan to {out_file}; apply it with: groupid apply {out_file}")
    out.print(as_json(plans) if as_json_ else as_markdown(plans) if markdown else as_text(plans))
    if detailed_exitcode and any(not p.empty for p in plans):
        raise typer.Exit(int(ExitCode.CHANGES_PENDING))


@app.command()
@handles_errors
def apply(
    target: Annotated[Path, typer.Argument(help="A spec directory (or YAML file), or a plan saved by `plan -o`.")],
    realm: RealmOverride = None,
    server_url: ServerUrl = None,
    prune: Prune = False,
    adopt: Adopt = False,
    rotate_bind_passwords: RotateBindPasswords = False,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Apply without asking for confirmation.")] = False,
    force: Annotated[bool, typer.Option("--force", help="Apply even when the deletion guard trips.")] = False,
    wait: Wait = 0.0,
    revoke_sessions: Annotated[bool, typer.Option(
        "--revoke-sessions",
        help="Then sign out whoever is signed in to an app whose audience the apply narrowed and may no longer use it.",
    )] = False,
) -> None:
    """Apply the spec (or a saved plan) to the live realm(s), in dependency order.

    Shows the plan and asks for confirmation on a terminal unless --yes. A saved plan is refused when the
    live realm changed after it was made. Refuses (exit 3, nothing written) when more than 10 objects and
    more than 20% of the managed objects of one kind would be deleted, unless --force, and when a sync or
    another apply holds the realm (see --wait). A second apply changes nothing; an apply cut off part-way
    is finished by the next one. With --revoke-sessions, people who left an app's audience lose their open
    sessions with it at once, instead of at their next sign-in.

    Example: groupid apply examples/xinghe --yes
    """
    results = operations.apply_target(target, functools.partial(connect, server_url), realm=realm,
                                      options=DiffOptions(prune, adopt, rotate_bind_passwords), force=force, wait=wait,
                                      revoke_sessions=revoke_sessions,
                                      show=lambda plans: out.print(as_text(plans)),
                                      confirm=None if yes else _confirm_apply, progress=_progress)
    for plan, outcome in results:
        counts = count_actions(change.action for change in outcome.done)
        out.print(f"realm {plan.realm}: {counts['create']} created, {counts['update']} updated, {counts['delete']} deleted")
        if revoke_sessions:
            out.print(f"realm {plan.realm}: {outcome.signed_out} signed out of apps they may no longer use")


def _confirm_apply(plans) -> None:
    """Ask on the terminal whether to apply the plans shown; abort unless the answer is yes."""
    if not sys.stdin.isatty():
        raise ConfigurationError("not on a terminal, so nobody can confirm: pass --yes to apply")
    typer.confirm("Apply these changes?", abort=True)


@app.command()
@handles_errors
def export(
    realm: Annotated[str, typer.Option("--realm", help="The live realm to export.")],
    out_dir: Annotated[Path, typer.Option("--out", "-o", help="Directory to write group.yaml into.")],
    server_url: ServerUrl = None,
) -> None:
    """Write a spec from a live realm, so that `groupid plan` against it shows no changes.

    Groups and roles made by hand or by another tool are exported too; plan lists them as unmanaged and
    `groupid apply --adopt` takes them over. Groups without a groupid code get one made from their id.

    Example: groupid export --realm legacy --out specs/legacy
    """
    result = operations.export_spec(realm, out_dir, functools.partial(connect, server_url))
    out.print(
        f"wrote {result.path}: {result.companies} companies, {result.departments} departments, {result.roles} roles"
        + (f", {result.apps} apps" if result.apps else "")
        + (f"; {result.generated_codes} groups got a generated code (G-…), rename them as you like" if result.generated_codes else "")
    )
    for note in result.not_exported:
        err.print(f"not exported: {note}")


Reveal = Annotated[
    bool,
    typer.Option("--reveal", help="Print the admin password itself instead of the file that holds it."),
]
Instance = Annotated[
    str,
    typer.Option("--instance", help="Which local Keycloak: each instance has its own port, data and password."),
]


@keycloak_app.command()
@handles_errors
def start(
    reveal: Reveal = False,
    instance: Instance = "default",
    version: Annotated[
        str | None, typer.Option("--version", help="Keycloak version (default: the pinned one).")
    ] = None,
) -> None:
    """Start the local Keycloak (or reuse the running one) and print shell lines to use it.

    The first start fetches the Keycloak distribution with Maven into ~/.cache/groupid and takes a minute;
    later starts reuse it. The admin password stays in a file readable only by you.

    Example: eval "$(groupid keycloak start)"
    """
    info = LocalKeycloak(instance, version=version).start()
    verb = "is already running" if info.reused else "started"
    err.print(f"Keycloak {info.version} {verb} at {info.url} (log: {info.log_file})")
    _print_exports(info, reveal)


@keycloak_app.command()
@handles_errors
def status(reveal: Reveal = False, instance: Instance = "default") -> None:
    """Print the shell lines for the local Keycloak while it runs; exit 1 when it is not running.

    Example: eval "$(groupid keycloak status)"
    """
    server = LocalKeycloak(instance)
    info = server.status()
    if info is None:
        pending = server.starting()
        if pending:
            err.print(f"Keycloak (pid {pending.pid}) is starting or not answering at {pending.url}; see {pending.log_file}")
        else:
            err.print("the local Keycloak is not running; start it with: groupid keycloak start")
        raise typer.Exit(int(ExitCode.ERROR))
    err.print(f"Keycloak {info.version} is running at {info.url} (pid {info.pid}, log: {info.log_file})")
    _print_exports(info, reveal)


@keycloak_app.command()
@handles_errors
def stop(instance: Instance = "default") -> None:
    """Stop the local Keycloak started by `groupid keycloak start`.

    Example: groupid keycloak stop
    """
    stopped = LocalKeycloak(instance).stop()
    err.print("stopped the local Keycloak" if stopped else "the local Keycloak was not running")


@contextlib.contextmanager
def _progress(total: int | None = None, label: str = "applying"):
    """A progress bar on a terminal (an apply or sync of a large group takes minutes); nothing in logs and pipes.

    Yields a callback that counts one step per call; a call that passes ``(done, total)`` also sets the total.
    """
    if not err.is_terminal:
        yield lambda *_: None
        return
    with Progress(TextColumn(label), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(), console=err,
                  transient=True) as bar:
        task = bar.add_task(label, total=total)
        yield lambda *args: bar.update(task, advance=1, total=args[1] if len(args) > 1 else None)


_SUMMARY_COLUMNS = (("create", "created"), ("update", "updated"), ("move", "moved"), ("disable", "disabled"),
                    ("enable", "re-enabled"), ("delete", "deleted"), ("failed", "failed"), ("rejected", "rejected"),
                    ("unchanged", "unchanged"), ("waiting", "not started"))
_ROLE_COLUMNS = (("roles_added", "given roles"), ("roles_removed", "lost roles"))
"""Shown when a source that manages roles changed some: the accounts that were given or lost some."""


def _print_summary(result: SyncResult) -> None:
    """The per-company table of a sync, then its totals and what was noticed."""
    totals = result.counts()
    columns = _SUMMARY_COLUMNS + tuple(column for column in _ROLE_COLUMNS if totals[column[0]])
    header = ["company", *(title for _, title in columns)]
    rows = [[escape(company), *(str(counts[key] or "") for key, _ in columns)]
            for company, counts in result.by_company().items()]
    rows.append(["total", *(str(totals[key]) for key, _ in columns)])
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    if result.dry_run:
        out.print("planned (dry run):")
    for row in [header, *rows]:  # plain text: cron mails and logs have no terminal width
        out.print("  ".join([row[0].ljust(widths[0]), *(cell.rjust(width) for cell, width in zip(row[1:], widths[1:]))]))
    plan = result.plan
    out.print(f"{plan.rows} rows read, {plan.out_of_scope} out of scope, {plan.managed} managed accounts before the run; "
              f"{result.writes} writes" + ("" if result.dry_run else f" (+{result.bookkeeping} for the lock and run record)"))
    for notice in plan.notices[:20]:  # escaped one by one: a line break in a value must not start a line
        out.print(escape(f"note: {notice.where or notice.employee_id}: {notice.employee_id} {notice.message}"))
    if len(plan.notices) > 20:
        out.print(f"note: … {len(plan.notices) - 20} more in the report")
    for rejection in plan.rejections[:20]:
        out.print(escape(f"rejected: {rejection.where}: {'; '.join(rejection.reasons)}"))
    if len(plan.rejections) > 20:
        out.print(f"rejected: … {len(plan.rejections) - 20} more in the report")


DryRun = Annotated[bool, typer.Option("--dry-run", help="Plan and report, write nothing.")]
Report = Annotated[Path | None, typer.Option("--report", help="Write a JSONL report here: one line per person and action.")]
Force = Annotated[bool, typer.Option("--force", help="Go on when the leaver or truncation guard trips.")]
Today = Annotated[datetime | None, typer.Option("--today", formats=["%Y-%m-%d"], help="Treat this date as today.")]


def _run_sync(sync: Callable[..., SyncResult], server_url: str | None, report: Path | None, **choices) -> None:
    """Run one sync (``sync(connect, options=...)``) with a progress bar, print its summary, and exit with its
    code: 0 done, 3 refused by a guard, 4 done with rejected rows."""
    today = choices.pop("today")
    try:
        with _progress(label="syncing") as advance:  # connects only once the inputs are read and checked
            options = SyncOptions(**choices, today=today.date() if today else None, report=report, progress=advance)
            result = sync(functools.partial(connect, server_url), options=options)
    except ApplyFailed as exc:
        if exc.result is not None:
            _print_summary(exc.result)
        raise
    _print_summary(result)
    if report:
        err.print(f"wrote {result.report_lines} lines to {report}")
    raise typer.Exit(int(result.exit_code))


@sync_app.command("hr")
@handles_errors
def sync_hr_command(
    export: Annotated[Path, typer.Argument(help="The HR export: CSV (encoding detected), XLSX, JSON or JSONL.")],
    spec: Annotated[Path, typer.Option("--spec", help="The spec directory: where each company and department lives.")],
    mapping: Annotated[Path, typer.Option("--mapping", help="The mapping file: columns, values, scope and policy.")],
    realm: RealmOverride = None,
    server_url: ServerUrl = None,
    dry_run: DryRun = False,
    report: Report = None,
    force: Force = False,
    today: Today = None,
    wait: Wait = 0.0,
) -> None:
    """Sync the people of an HR export into Keycloak: joiners, movers, leavers, rehires.

    Plans first and prints a summary per company. Refuses (exit 3, nothing written) when more than 20 accounts
    and more than 5% of the managed ones would be disabled or deleted, when the export has far fewer rows than
    the last successful run, or when another sync holds the realm — unless --force (the lock always holds).
    Rows that cannot be used are rejected with their reason and the rest goes on: the exit code is then 4.

    Example: groupid sync hr 花名册.csv --spec examples/xinghe --mapping examples/xinghe/hr/mapping.yaml --report sync.jsonl
    """
    _run_sync(functools.partial(operations.sync_hr_export, export, spec, mapping), server_url, report,
              realm=realm, dry_run=dry_run, force=force, today=today, wait=wait)


@sync_app.command("ldap")
@handles_errors
def sync_ldap_command(
    spec: Annotated[Path, typer.Option("--spec", help="The spec directory: where each company and department lives.")],
    source: Annotated[Path, typer.Option("--source", help="The source config: server, bind, searches, columns, policy.")],
    realm: RealmOverride = None,
    server_url: ServerUrl = None,
    dry_run: DryRun = False,
    report: Report = None,
    force: Force = False,
    today: Today = None,
    wait: Wait = 0.0,
) -> None:
    """Sync the people of an LDAP or Active Directory server into Keycloak: joiners, movers, leavers, rehires.

    Reads the whole directory first, page by page; a directory that cannot be read in full (bind refused,
    certificate not trusted, connection lost, search cut short) stops the run with exit 1 before anything is
    written, so nobody is taken for a leaver. Then as `sync hr`: the same guards (exit 3), the same report,
    and exit 4 when entries were rejected. The bind password comes from the variable or file the config names
    (GROUPID_LDAP_PASSWORD in the example).

    Example: groupid sync ldap --spec examples/xinghe --source examples/xinghe/ldap/openldap.yaml --dry-run
    """
    _run_sync(functools.partial(operations.sync_ldap_directory, source, spec), server_url, report,
              realm=realm, dry_run=dry_run, force=force, today=today, wait=wait)


@sync_app.command("unlock")
@handles_errors
def sync_unlock_command(
    realm: Annotated[str, typer.Option("--realm", help="The realm whose lock to break: the group's realm.")],
    server_url: ServerUrl = None,
) -> None:
    """Break the lock a killed sync or apply left on a realm — only once its owner is shown to be gone.

    The owner is gone when its lease lapsed (nobody renewed it for two minutes), or when it ran on this host
    and its process has ended. A lock whose owner may still run is never broken (exit 3): the message says
    who holds it and how that run ends. A lock left behind is taken over by the next run as well; this
    command is for looking at it, and for breaking it at once.

    Example: groupid sync unlock --realm xinghe
    """
    broken = operations.unlock_realm(realm, functools.partial(connect, server_url))
    if broken is None:
        out.print(f"realm {inert(realm)} is not locked")
        return
    holder, reason = broken
    out.print(f"broke the lock of realm {inert(realm)} held by {inert(holder.get('holder', 'unknown'))} "
              f"({inert(holder.get('source', '?'))} since {inert(holder.get('since', '?'))}): {reason}")


SpecDir = Annotated[Path, typer.Argument(help="The spec: a directory of YAML files, or one YAML file.")]
AsJson = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]


def _table(header: list[str], rows: list[list[str]]) -> None:
    """Plain text columns (logs and pipes have no terminal width), every cell escaped."""
    cells = [header, *([escape(cell) for cell in row] for row in rows)]
    widths = [max(cell_len(row[i]) for row in cells) for i in range(len(header))]  # a Chinese character is two wide
    for row in cells:
        out.print("  ".join(cell + " " * (width - cell_len(cell)) for cell, width in zip(row, widths)).rstrip())


@apps_app.command("list")
@handles_errors
def apps_list(spec_dir: SpecDir, as_json_: AsJson = False) -> None:
    """List the apps of a spec: id, name, owner, kind, template, protocol, realm and audience.

    The audience is "everyone" (every user of the realm may sign in) or the companies, departments and roles
    it names. Offline: no server needed.

    Example: groupid apps list examples/xinghe --json
    """
    rows = operations.list_apps(spec_dir)
    if as_json_:
        out.print(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    _table(list(COLUMNS), [[str(row[c]) if c != "audience" else audience_text(row[c]) for c in COLUMNS] for row in rows])


@apps_app.command("render")
@handles_errors
def apps_render(
    spec_dir: SpecDir,
    apps: Annotated[list[str] | None, typer.Argument(help="The apps to render (default: all).", show_default=False)] = None,
    out_dir: Annotated[Path, typer.Option("--out", "-o", help="Directory to write one folder per app into.")] = Path("build/apps"),
    reveal: Annotated[bool, typer.Option("--reveal", help="Read the client secrets from Keycloak and write them into the files.")] = False,
    realm: RealmOverride = None,
    server_url: ServerUrl = None,
) -> None:
    """Write both sides of each app: DIR/<app>/keycloak-client.json and the app's own config files.

    Keycloak's URL in the files is the spec's public_url, else the server of --server-url or GROUPID_SERVER_URL.
    Client secrets are never written unless --reveal: the files read them from an environment variable or a
    secret file, and the client JSON leaves them out.

    Example: groupid apps render examples/xinghe wiki --out build/apps
    """
    url = server_url or os.environ.get("GROUPID_SERVER_URL") or None
    written = operations.render_apps(spec_dir, out_dir, tuple(apps or ()), realm=realm, server_url=url, reveal=reveal,
                                     adapter=functools.partial(connect, server_url))
    for path in written:
        out.print(f"wrote {path}")
    if reveal:
        err.print("the files hold client secrets in clear: keep them out of version control")


@apps_app.command("who")
@handles_errors
def apps_who(
    spec_dir: SpecDir,
    app_id: Annotated[str, typer.Argument(help="The app's id in the spec.", metavar="APP")],
    realm: Annotated[str | None, typer.Option("--realm", help="The live realm (default: the spec's).")] = None,
    server_url: ServerUrl = None,
    as_json_: AsJson = False,
) -> None:
    """Count who may sign in to an app, by company, from the live realm.

    Everyone enabled in the realm when the app has no audience; otherwise the enabled members of its company and
    department groups (sub-groups included) and the holders of its roles (directly, through a group, or as part
    of another role).

    Example: groupid apps who examples/xinghe wiki --realm xinghe
    """
    count = operations.count_app_sign_ins(spec_dir, app_id, functools.partial(connect, server_url), realm=realm)
    if as_json_:
        out.print(json.dumps({"app": count.app, "realm": count.realm, "everyone": count.everyone,
                              "total": count.total, "by_company": count.by_company}, ensure_ascii=False, indent=2))
        return
    who = "everyone in the realm (no audience)" if count.everyone else "its audience"
    out.print(f"app {inert(count.app)} in realm {inert(count.realm)}: {count.total} people may sign in, {who}")
    _table(["company", "people"], [[company, str(n)] for company, n in count.by_company.items()])


@apps_app.command("portal")
@handles_errors
def apps_portal(
    spec_dir: SpecDir,
    out_dir: Annotated[Path, typer.Option("--out", "-o", help="Directory to write the pages into.")],
) -> None:
    """Write the app portal (统一应用门户): DIR/<company code>.html per company, and DIR/index.html.

    Each page lists the apps people of that company may use, with name, description, owner and launch link:
    one self-contained HTML file each, nothing loaded from the network. Keycloak's account console cannot list
    apps by audience, hence the pages (docs/apps.md).

    Example: groupid apps portal examples/xinghe --out build/portal
    """
    paths = operations.write_portal(spec_dir, out_dir)
    out.print(f"wrote {len(paths)} pages into {out_dir} (open {out_dir / 'index.html'})")


@apps_app.command("secret")
@handles_errors
def apps_secret_command(
    spec_dir: Annotated[Path, typer.Argument(help="The spec: a directory of YAML files, or one YAML file.")],
    app_id: Annotated[str, typer.Argument(metavar="APP", help="The app's id in the spec.")],
    rotate: Annotated[bool, typer.Option(
        "--rotate", help="Give the app's client a new secret (its secret file's, or one Keycloak generates).")] = False,
    reveal: Annotated[bool, typer.Option("--reveal", help="Print the secret itself (never shown otherwise).")] = False,
    realm: RealmOverride = None,
    server_url: ServerUrl = None,
) -> None:
    """Say where an app's client secret is; with --rotate, rotate it and say what must be redeployed.

    The secret is Keycloak's (generated) unless the app names a secret_file in the spec; then --rotate sets the
    file's current content, so put the new secret there first. The app side reads it from an environment
    variable (or that file). The secret is masked unless --reveal.

    Example: groupid apps secret examples/xinghe grafana --rotate
    """
    connector = functools.partial(connect, server_url)
    if rotate:
        found = operations.rotate_app_secret(spec_dir, app_id, realm, connector, reveal=reveal)
    else:
        found = operations.app_secret(spec_dir, app_id, connector, realm=realm, reveal=reveal)
    where = f"the secret file {found.secret_file}" if found.secret_file else "Keycloak (generated)"
    verb = "rotated" if found.rotated else "kept in"
    out.print(f"app {found.app}: the secret of client {found.client_id} in realm {found.realm} is {verb} {where}")
    out.print(f"secret: {found.value if found.value is not None else '********'}")
    if found.rotated:
        files = ", ".join(found.files) or "none of the template's files"
        out.print(f"redeploy: {files}; the app reads the secret from ${found.env}"
                  + (f" or the file {found.secret_file}" if found.secret_file else ""))
    else:
        out.print(f"the app reads it from ${found.env}; rotate it with: groupid apps secret {spec_dir} {found.app} --rotate")


def _print_exports(info: ServerInfo, reveal: bool) -> None:
    """Shell lines for eval; the password as a file path unless --reveal."""
    lines = [
        "unset GROUPID_ADMIN_PASSWORD GROUPID_ADMIN_PASSWORD_FILE GROUPID_CLIENT_ID GROUPID_CLIENT_SECRET GROUPID_CLIENT_SECRET_FILE",
        f"export GROUPID_SERVER_URL={shlex.quote(info.url)}",
        f"export GROUPID_ADMIN_USER={shlex.quote(info.admin_user)}",
    ]
    if reveal:
        lines.append(f"export GROUPID_ADMIN_PASSWORD={shlex.quote(info.admin_password())}")
    else:
        lines.append(f"export GROUPID_ADMIN_PASSWORD_FILE={shlex.quote(str(info.password_file))}")
    out.print("\n".join(lines))


def main() -> None:
    """Entry point of the ``groupid`` console script."""
    app(prog_name="groupid")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
