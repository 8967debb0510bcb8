"""The LDAP source config file: the server, the searches, which attribute feeds which person field, and the policy.

It is checked whole when it loads (see :mod:`groupid.sources.ldap` for the file): every key, URL, DN and filter,
and — with the HR mapping's own checks — the value tables, the scope and the policy. A mistake is reported with
the file's line before the directory is contacted. The bind password is never in the file, nor in this model:
:meth:`~groupid.sources.ldap.connection.Connection.bind_password` reads it when the directory is opened.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    ValidationInfo,
    field_validator,
    model_validator,
)

from groupid.policy import SyncPolicy
from groupid.sources.configs import At, load_config_file
from groupid.sources.hr.mapping import check_columns, check_policy, check_value_tables, compile_scope, require_fields
from groupid.sources.hr.normalise import REQUIRED_FIELDS
from groupid.sources.hr.scope import Scope
from groupid.sources.ldap.connection import Connection, ServerType
from groupid.sources.ldap.filters import check_filter
from groupid.sources.ldap.names import DN_LIMIT, is_below, normal_dn, parse_dn
from groupid.text import quoted

DEFAULT_ANCHORS: dict[str, str] = {"openldap": "entryUUID", "active_directory": "objectGUID"}
"""The anchor of each type of server when ``anchor:`` is not given."""

_ATTRIBUTE = re.compile(r"[A-Za-z][A-Za-z0-9-]*|\d+(?:\.\d+)*")
_VARIABLE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _dn(text: str) -> str:
    """``text`` when it is a DN (ValueError otherwise)."""
    parse_dn(text)
    return text.strip()


def _attribute(name: str) -> str:
    """``name`` when it is an attribute name (ValueError otherwise)."""
    if not _ATTRIBUTE.fullmatch(name.strip()):
        raise ValueError(f"{quoted(name)} is not an attribute name")
    return name.strip()


Dn = Annotated[str, AfterValidator(_dn)]
Filter = Annotated[str, AfterValidator(check_filter)]
AttributeName = Annotated[str, AfterValidator(_attribute)]


class PeopleSearch(_Section):
    """Where the people are: the search base, the filter, and whether to look below the base's children."""

    base: Dn
    filter: Filter
    scope: Literal["subtree", "one"] = "subtree"


class Departments(_Section):
    """Where a person's department comes from: ``attribute`` (the department column), ``ou`` (the nearest OU
    below the people base) or ``groups`` (the department group the person is a direct member of)."""

    origin: Literal["attribute", "ou", "groups"] = Field("attribute", alias="from")
    base: Dn | None = None  #: for groups: where the department groups are
    filter: Filter | None = None  #: for groups: which entries there are department groups
    code: AttributeName = "cn"  #: for groups: the attribute that holds the department code
    member_attribute: AttributeName = "member"  #: for groups: the attribute that lists the members' DNs

    @model_validator(mode="after")
    def _groups_only(self) -> Departments:
        if self.origin == "groups":
            for name in ("base", "filter"):
                if getattr(self, name) is None:
                    raise ValueError(f"from: groups needs {name}:")
        else:
            for name in ("base", "filter", "code", "member_attribute"):
                if name in self.model_fields_set:
                    raise At(f"{name}: is for from: groups, not from: {self.origin}", name)
        return self


class Roles(_Section):
    """Directory groups, by DN, mapped to the realm roles their (nested) members get."""

    base: Dn
    filter: Filter
    member_attribute: AttributeName = "member"
    nested: bool = True
    map: dict[str, str]

    @field_validator("map")
    @classmethod
    def _groups_below_base(cls, groups: dict[str, str], info: ValidationInfo) -> dict[str, str]:
        if not groups:
            raise ValueError("names no group; map at least one group DN to a realm role")
        base, seen = info.data.get("base"), {}
        for dn, role in groups.items():
            try:
                rdns = parse_dn(dn)
            except ValueError as exc:
                raise At(str(exc), dn) from None
            if base is not None and not (len(rdns) > len(parse_dn(base)) and is_below(rdns, parse_dn(base))):
                raise At(f"{quoted(dn, DN_LIMIT)} is not below base {quoted(base, DN_LIMIT)}: only groups there are read", dn)
            if normal_dn(dn) in seen:
                raise At(f"{quoted(dn, DN_LIMIT)} is the group {quoted(seen[normal_dn(dn)], DN_LIMIT)} again", dn)
            if not isinstance(role, str) or not role.strip():
                raise At("the realm role is empty", dn)
            seen[normal_dn(dn)] = dn
        return {dn.strip(): role.strip() for dn, role in groups.items()}


class LdapConfig(BaseModel):
    """An LDAP source config, checked: see :mod:`groupid.sources.ldap` for the file it is read from."""

    model_config = ConfigDict(extra="forbid", frozen=True, arbitrary_types_allowed=True)

    # the order matters: validators check against the keys above theirs
    type: ServerType = "openldap"
    url: tuple[str, ...]
    start_tls: bool = False
    bind_dn: Dn
    bind_password_env: str | None = None
    bind_password_file: Path | None = None
    ca_file: Path | None = None
    timeout: float = Field(30, gt=0, le=600)
    page_size: int = Field(500, ge=1, le=1000)
    people: PeopleSearch
    anchor: AttributeName
    columns: dict[str, str]
    departments: Departments = Departments()
    key: str = Field("employee_id", validate_default=True)
    values: dict[str, dict[str, str]] = {}
    scope: Scope | None = None
    policy: SyncPolicy = Field(SyncPolicy(), validate_default=True)
    roles: Roles | None = None
    _file: str = PrivateAttr("")

    @model_validator(mode="before")
    @classmethod
    def _default_anchor(cls, data: Any) -> Any:
        if isinstance(data, dict) and "anchor" not in data:
            return {**data, "anchor": DEFAULT_ANCHORS.get(data.get("type", "openldap"), "entryUUID")}
        return data

    @field_validator("url", mode="before")
    @classmethod
    def _urls(cls, urls: Any) -> Any:
        urls = [urls] if isinstance(urls, str) else urls
        if isinstance(urls, list) and not urls:
            raise ValueError("names no server")
        for index, url in enumerate(urls if isinstance(urls, list) else ()):
            parts = urlsplit(url) if isinstance(url, str) else None
            if parts is None or parts.scheme not in ("ldap", "ldaps") or not parts.hostname:
                raise At(f"{quoted(url)} is not an ldap:// or ldaps:// URL with a host", index)
            try:
                parts.port  # noqa: B018 -- urlsplit checks the port only when it is read
            except ValueError:
                raise At(f"{quoted(url)}: the port is not a number from 0 to 65535", index) from None
            if parts.path not in ("", "/") or parts.query or parts.username:
                raise At(f"{quoted(url)}: only the scheme, host and port are read; remove the rest", index)
        return urls

    @field_validator("start_tls")
    @classmethod
    def _tls_once(cls, start_tls: bool, info: ValidationInfo) -> bool:
        if start_tls and any(url.startswith("ldaps:") for url in info.data.get("url", ())):
            raise ValueError("StartTLS is for ldap:// URLs; an ldaps:// connection is encrypted already")
        return start_tls

    @field_validator("bind_password_env")
    @classmethod
    def _variable_name(cls, name: str | None) -> str | None:
        if name is not None and not _VARIABLE.fullmatch(name):
            raise ValueError(f"{quoted(name)} is not an environment variable name")
        return name

    @field_validator("bind_password_file", "ca_file")
    @classmethod
    def _placed(cls, path: Path | None, info: ValidationInfo) -> Path | None:
        if path is None:
            return None
        placed = Path((info.context or {}).get("directory", ".")) / path
        if info.field_name == "ca_file" and not placed.is_file():
            raise ValueError(f"{quoted(str(path))} is not a file (a relative path starts at the config's directory)")
        return placed

    @model_validator(mode="after")
    def _one_password(self) -> LdapConfig:
        if (self.bind_password_env is None) == (self.bind_password_file is None):
            raise At("give exactly one of bind_password_env and bind_password_file", "bind_dn")
        return self

    @field_validator("columns")
    @classmethod
    def _known_fields(cls, columns: dict[str, str]) -> dict[str, str]:
        columns = check_columns(columns, [name for name in REQUIRED_FIELDS if name != "employee_id"],
                                what="attribute name")
        for field, attribute in columns.items():
            if not _ATTRIBUTE.fullmatch(attribute):
                raise At(f"{quoted(attribute)} is not an attribute name", field)
        return columns

    @field_validator("departments")
    @classmethod
    def _one_origin(cls, departments: Departments, info: ValidationInfo) -> Departments:
        if departments.origin != "attribute" and "department" in info.data.get("columns", {}):
            raise At(f"from: {departments.origin} gives the department; remove department from columns", "from")
        return departments

    @field_validator("key")
    @classmethod
    def _filled_key(cls, key: str, info: ValidationInfo) -> str:
        require_fields([key], _filled(info))
        return key

    @field_validator("values")
    @classmethod
    def _value_tables(cls, values: dict[str, dict[str, str]], info: ValidationInfo) -> dict[str, dict[str, str]]:
        return check_value_tables(values, _filled(info))

    @field_validator("scope", mode="before")
    @classmethod
    def _compile_scope(cls, text: Any, info: ValidationInfo) -> Scope | None:
        return compile_scope(text, _filled(info))

    @field_validator("policy")
    @classmethod
    def _usable_policy(cls, policy: SyncPolicy, info: ValidationInfo) -> SyncPolicy:
        return check_policy(policy, _filled(info))

    @property
    def file(self) -> str:
        """How the config file is named in messages (empty for a config not loaded from a file)."""
        return self._file

    @property
    def connection(self) -> Connection:
        """The connection settings, for :func:`~groupid.sources.ldap.directory.open_directory`."""
        return Connection(self.url, self.start_tls, self.bind_dn, self.bind_password_env, self.bind_password_file,
                          self.ca_file, self.timeout, self.page_size, self.type)

    @property
    def fields(self) -> frozenset[str]:
        """The person fields the source fills: the columns, the employee ID (the anchor when not a column), the
        department when it comes from OUs or groups, and the status on Active Directory (userAccountControl)."""
        return frozenset(_fields(self.columns, self.departments, self.type))

    @property
    def managed_roles(self) -> frozenset[str]:
        """The realm roles the source decides: those of ``roles.map``."""
        return frozenset(self.roles.map.values()) if self.roles else frozenset()


def _fields(columns: Collection[str], departments: Departments | None, kind: str) -> list[str]:
    fields = [*columns, "employee_id"]
    if departments is not None and departments.origin != "attribute":
        fields.append("department")
    if kind == "active_directory":
        fields.append("status")
    return list(dict.fromkeys(fields))  # in order: messages list them as the file does


def _filled(info: ValidationInfo) -> list[str] | None:
    """The fields filled, as far as the keys validated so far say; None when the columns are wrong."""
    columns = info.data.get("columns")
    return None if columns is None else _fields(columns, info.data.get("departments"), info.data.get("type", ""))


def load_config(path: Path | str) -> LdapConfig:
    """Load an LDAP source config; raises :class:`SourceError` listing every problem with its file and line.
    Relative ``ca_file`` and ``bind_password_file`` paths are taken from the config file's directory."""
    config = load_config_file(path, LdapConfig, context={"directory": Path(path).parent})
    config._file = str(path)
    return config

