"""What a sync does in the cases where organisations differ: the ``policy:`` section of a mapping file.

Every field has the default an auditor would pick (nothing is deleted, leavers lose their access at once), so
a mapping file without ``policy:`` is safe::

    policy:
      future_joiners: wait          # wait: create on the start date | disabled: create now, disabled
      absent: leaver                # people missing from the export: leaver | ignore
      out_of_scope: ignore          # people the scope leaves out: ignore | leaver
      leavers: {memberships: remove, delete_after_days: null}   # null: never delete
      username: {strategy: pinyin}  # pinyin | employee_id | email | template (with template: "...")
      guard: {max_leavers: 20, max_leaver_share: 0.05, min_row_share: 0.8}
      workers: 8
"""

from __future__ import annotations

import re
import string
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from groupid.text import quoted

TEMPLATE_FIELDS = ("family_pinyin", "given_pinyin", "given_initials", "employee_id", "email")
"""The fields a username template may name: the pinyin pieces of groupid.usernames.name_fields, and two
person fields."""
_MAX_WIDTH = 255  # a username's length in Keycloak: no width or precision in a template needs more


class _Section(BaseModel):
    # strict: YAML's `yes` or "20" is not quietly a number (delete_after_days: yes would be one day)
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


class LeaverPolicy(_Section):
    """What happens to a leaver's account besides being disabled and signed out everywhere."""

    memberships: Literal["remove", "keep"] = "remove"  #: the company/department groups and organization
    #: days after leaving before deletion; None: never. At most a century: a larger number is no date at all
    delete_after_days: int | None = Field(None, ge=0, le=36500)


class UsernamePolicy(_Section):
    """How new accounts are named; an existing account keeps its username whatever this says."""

    strategy: Literal["pinyin", "employee_id", "email", "template"] = "pinyin"
    template: str | None = None  #: for ``template``: fields of usernames.name_fields plus employee_id, email

    @field_validator("template")
    @classmethod
    def _fillable(cls, template: str | None) -> str | None:
        if template is not None:
            template_fields(template)
        return template

    @model_validator(mode="after")
    def _template_given(self) -> UsernamePolicy:
        if (self.strategy == "template") != (self.template is not None):
            raise ValueError("template: is required with strategy: template, and only then")
        return self


class GuardPolicy(_Section):
    """The thresholds above which a run refuses (exit 3, nothing written) unless forced."""

    max_leavers: int = Field(20, ge=0)  #: disables plus deletes may exceed this number …
    max_leaver_share: float = Field(0.05, ge=0, le=1)  #: … only within this share of the enabled managed accounts
    min_row_share: float = Field(0.8, ge=0, le=1)  #: an export with fewer rows than this share of the last run's


class SyncPolicy(_Section):
    """The lifecycle policy of a people sync; see the module docstring for the file form."""

    future_joiners: Literal["wait", "disabled"] = "wait"
    absent: Literal["leaver", "ignore"] = "leaver"
    out_of_scope: Literal["ignore", "leaver"] = "ignore"
    leavers: LeaverPolicy = LeaverPolicy()
    username: UsernamePolicy = UsernamePolicy()
    guard: GuardPolicy = GuardPolicy()
    workers: int = Field(8, ge=1, le=64)  #: concurrent update requests


def template_fields(template: str) -> set[str]:
    """The fields a username template names; raises ValueError when it names an unknown field, has no field
    at all, or is not a valid :meth:`str.format` template (``{``, ``{name!x}``, ``{email:d}``)."""
    try:
        parts = list(string.Formatter().parse(template))
    except ValueError as exc:
        raise ValueError(f"{quoted(template)} is not a valid template: {exc}") from None
    names = set()
    for _, name, spec, _ in parts:
        if name is None:
            continue
        if name not in TEMPLATE_FIELDS:
            shown = quoted(name) if name else "{}"
            raise ValueError(f"{shown} is not a field a template may use; allowed: "
                             f"{', '.join('{' + field + '}' for field in TEMPLATE_FIELDS)}")
        if "{" in spec or any(int(number) > _MAX_WIDTH for number in re.findall(r"\d+", spec)):
            raise ValueError(f"{{{name}:{quoted(spec)[1:-1]}}}: widths and precisions go up to {_MAX_WIDTH}, "
                             "and cannot be fields themselves")
        names.add(name)
    if not names:
        raise ValueError(f"{quoted(template)} names no field: every account would get the same username")
    try:
        template.format_map(dict.fromkeys(TEMPLATE_FIELDS, "x"))
    except (ValueError, TypeError) as exc:  # a bad conversion (!x) or format spec (:d)
        raise ValueError(f"{quoted(template)} is not a valid template: {exc}") from None
    return names
