"""Plans shown to people and machines: plain text for a terminal, Markdown for a pull-request comment, JSON.

Rendering is kept apart from the plan itself, so that each view shows the same changes in the same order.
Sensitive values are shown as ``(sensitive)`` in every view.
"""

from __future__ import annotations

import json
from collections.abc import Iterable

from groupid.plan import KIND_ORDER, Change, FieldChange, Plan, plans_json

SYMBOLS = {"create": "+", "update": "~", "delete": "-"}


def summary(plan: Plan) -> str:
    """One line: what the plan does to its realm."""
    counts = plan.counts()
    if plan.empty:
        return f"realm {plan.realm}: no changes"
    return (
        f"realm {plan.realm}: {counts['create']} to create, {counts['update']} to update, "
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
                lines.append(f"    {SYMBOLS[change.action]} {change.action} {change.label}")
                lines += [f"        {_field_text(f)}" for f in _shown_fields(change)]
        if plan.findings:
            lines.append("  not changed:")
            lines += [f"    ! {finding.message}" for finding in plan.findings]
    return "\n".join(lines)


def as_markdown(plans: Iterable[Plan]) -> str:
    """The plans as Markdown, for a pull-request comment."""
    lines: list[str] = []
    for plan in plans:
        lines += [f"### groupid plan — {summary(plan)}", ""]
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
    return plans_json(list(plans))


def _by_kind(changes: list[Change]) -> list[tuple[str, list[Change]]]:
    grouped: dict[str, list[Change]] = {}
    for change in changes:
        grouped.setdefault(change.kind, []).append(change)
    return [(kind, grouped[kind]) for kind in KIND_ORDER if kind in grouped]


def _shown_fields(change: Change) -> tuple[FieldChange, ...]:
    """Every field of an update; of creates and deletes only what a reviewer must see (secrets, cascades)."""
    if change.action == "update":
        return change.fields
    return tuple(f for f in change.fields if f.sensitive or f.name == "deletes with it")


def _field_text(field: FieldChange) -> str:
    return f"{field.name}: {_shown(field.shown(field.old))} → {_shown(field.shown(field.new))}"


def _shown(value) -> str:
    if value is None:
        return "(none)"
    if value == "(sensitive)":
        return value
    return json.dumps(value, ensure_ascii=False)


def _md(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")
