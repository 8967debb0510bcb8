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

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class LeaverPolicy(_Section):
    """What happens to a leaver's account besides being disabled and signed out everywhere."""

    memberships: Literal["remove", "keep"] = "remove"  #: the company/department groups and organization
    delete_after_days: int | None = Field(None, ge=0)  #: days after leaving before deletion; None: never


class UsernamePolicy(_Section):
    """How new accounts are named; an existing account keeps its username whatever this says."""

    strategy: Literal["pinyin", "employee_id", "email", "template"] = "pinyin"
    template: str | None = None  #: for ``template``: fields of usernames.name_fields plus employee_id, email

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
