"""Plans shown to people and machines: plain text for a terminal, Markdown for a pull-request comment, JSON.

Rendering is kept apart from the plan itself, so that each view shows the same changes in the same order.
Sensitive values are shown as ``(sensitive)`` in every view.

Names come from specs and from live realms that anyone with admin rights may have edited, so every view keeps
them inert: the text view escapes control characters (an escape sequence, a hyperlink, a bidirectional override
or a line break in a name shows as ``\\x1b``, ``\\u202e``, ``\\n``), the Markdown view also escapes what
Markdown and HTML would act on, and the JSON view writes such characters as ``\\u`` escapes.
"""

from __future__ import annotations

import json
from collections.abc import Iterable

from groupid.plan import KIND_ORDER, Change, FieldChange, Plan, plans_json
from groupid.runs import Action
from groupid.text import escape, inert_json

SYMBOLS = {Action.CREATE: "+", Action.UPDATE: "~", Action.DELETE: "-"}


def summary(plan: Plan) -> str:
    """One line: what the plan does to its realm."""
    counts = plan.counts()
    realm = escape(plan.realm)
    if plan.empty:
        return f"realm {realm}: no changes"
    return (
        f"realm {realm}: {counts['create']} to create, {counts['update']} to update, "
        f"{counts['delete']} to delete"
    )


def as_text(plans: Iterable[Plan]) -> str:
    """The plans for a terminal: grouped by kind, updates field by field (old → new)."""
    lines: list[str] = []
    for plan in plans:
        lines.append(summary(plan))
        for kind, changes in _by_kind(plan.changes):
            lines.append(f"  {kind} ({len(changes)})")
            for change in changes:
                lines.append(f"    {SYMBOLS[change.action]} {change.action} {escape(change.label)}")
                lines += [f"        {_field_text(f)}" for f in _shown_fields(change)]
        if plan.findings:
            lines.append("  not changed:")
            lines += [f"    ! {escape(finding.message)}" for finding in plan.findings]
    return "\n".join(lines)


def as_markdown(plans: Iterable[Plan]) -> str:
    """The plans as Markdown, for a pull-request comment."""
    lines: list[str] = []
    for plan in plans:
        lines += [f"### groupid plan — {_md(summary(plan))}", ""]
        if not plan.empty:
            lines += ["| | kind | object | change |", "|---|---|---|---|"]
            for kind, changes in _by_kind(plan.changes):
                for change in changes:
                    details = "<br>".join(_md(_field_text(f)) for f in _shown_fields(change))
                    lines.append(f"| {SYMBOLS[change.action]} | {kind} | {_md(change.label)} | {details} |")
            lines.append("")
        if plan.findings:
            lines += ["Not changed:", ""] + [f"- {_md(finding.message)}" for finding in plan.findings] + [""]
    return "\n".join(lines).rstrip() + "\n"


def as_json(plans: Iterable[Plan]) -> str:
    """The plans as JSON — the same document ``plan -o FILE`` saves and ``apply FILE`` reads."""
    return plans_json(list(plans))  # inert already: plans_json escapes what a terminal would act on


def _by_kind(changes: list[Change]) -> list[tuple[str, list[Change]]]:
    grouped: dict[str, list[Change]] = {}
    for change in changes:
        grouped.setdefault(change.kind, []).append(change)
    return [(kind, grouped[kind]) for kind in KIND_ORDER if kind in grouped]


def _shown_fields(change: Change) -> tuple[FieldChange, ...]:
    """Every field of an update; of creates and deletes only what a reviewer must see: secrets, and what a
    delete takes with it (a group's subgroups, from its payload)."""
    if change.action == Action.UPDATE:
        return change.fields
    shown = tuple(f for f in change.fields if f.sensitive)
    if change.action == Action.DELETE and change.payload.below:
        shown += (FieldChange("deletes with it", None, list(change.payload.below)),)
    return shown + _who_may_sign_in(change)


def _who_may_sign_in(change: Change) -> tuple[FieldChange, ...]:
    """For an app's sign-in flow made or deleted: who may sign in to the app before and after, in words."""
    if change.kind != "sign-in-flow" or change.action == Action.UPDATE or not change.payload.client_id:
        return ()
    everyone, holders = "everyone in the realm", f"holders of {change.payload.role} only"
    before, after = (everyone, holders) if change.action == Action.CREATE else (holders, everyone)
    return (FieldChange(f"who may sign in to {change.payload.client_id}", before, after),)


def _field_text(field: FieldChange) -> str:
    """``name: old → new``, one line whatever the values hold."""
    return f"{escape(field.name)}: {_shown(field.shown(field.old))} → {_shown(field.shown(field.new))}"


def _shown(value) -> str:
    if value is None:
        return "(none)"
    if value == "(sensitive)":
        return value
    return inert_json(json.dumps(value, ensure_ascii=False))


MARKDOWN_ACTIVE = "\\`*_[]<>|~#!$&"
"""Characters Markdown (with GitHub's tables, strike-through and math) or HTML would act on in a table cell or list
item. Each is escaped, so a name is shown as written, never as formatting, a link, a tag or another column."""


def _md(text: str) -> str:
    """``text`` (one line of a view) for a Markdown table cell or list item: control characters escaped, then
    what Markdown and HTML act on."""
    return "".join(_md_char(char) for char in escape(text))


def _md_char(char: str) -> str:
    if char not in MARKDOWN_ACTIVE:
        return char
    # HTML entities where a backslash is not enough: GitHub passes some HTML through
    return {"<": "&lt;", ">": "&gt;", "&": "&amp;"}.get(char, "\\" + char)
