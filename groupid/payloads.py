"""What apply needs to carry out one change, per kind of object: small frozen records, saved as they are.

Each kind of :class:`~groupid.plan.Change` carries one payload type (:data:`PAYLOADS`): everything apply
writes, decided when the plan was made, so that a plan saved to a file is applied later exactly as reviewed.
A payload never holds a secret: an identity provider names the client whose secret it takes
(``secret_from``), a client the file its secret is in (``secret_file``), an LDAP federation the environment
variable its bind password is in (``bind_password_env``), and apply looks the secret up at the moment it writes.

:func:`record_to_dict` and :func:`record_from_dict` are the one way payloads (and the other records of a saved
plan) become JSON and come back: driven by the dataclass fields and their types, every field written, every
field required and checked when read. ``docs/plan-file.md`` describes the result.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from dataclasses import dataclass, field
from typing import Any, TypeVar, Union

from groupid.text import quoted

Attributes = dict[str, list[str]]
"""Keycloak attributes: each name with its list of values."""


class Payload:
    """Base of every payload. A delete of most kinds takes nothing with it."""

    @property
    def below(self) -> tuple[str, ...]:
        """The paths of the objects a delete takes with it."""
        return ()

    @property
    def cascade(self) -> int:
        """How many objects a delete takes with it: they count for the deletion guard too."""
        return len(self.below)


@dataclass(frozen=True)
class RealmPayload(Payload):
    """The realm itself (create, update)."""

    display_name: str
    organizations_enabled: bool | None = None  #: True switches Organizations on; None leaves them as they are


@dataclass(frozen=True)
class UserProfilePayload(Payload):
    """The realm's whole user profile, groupid's attributes merged into what others declared (create, update)."""

    profile: dict


@dataclass(frozen=True)
class RolePayload(Payload):
    """A realm role, or a client's when ``client`` is set (create, update, delete)."""

    name: str
    client: str | None = None
    description: str | None = None
    attributes: Attributes = field(default_factory=dict)


@dataclass(frozen=True)
class CompositesPayload(Payload):
    """The roles to add to and remove from a composite role: a role's composites, or the realm's default
    roles (kinds ``composites`` and ``default-roles``; create, update)."""

    role: str
    add: tuple[str, ...] = ()
    remove: tuple[str, ...] = ()


@dataclass(frozen=True)
class GroupRolesPayload(Payload):
    """The roles to grant to and take from one group (create, update).

    ``id`` is None for a group the same plan creates: apply uses the id it got when creating it.
    """

    group: str
    id: str | None = None
    add: tuple[str, ...] = ()
    remove: tuple[str, ...] = ()


@dataclass(frozen=True)
class GroupPayload(Payload):
    """A company or department group (create, update, move, delete).

    ``parent_id`` is None for a top-level group, and for a parent the same plan creates (apply uses the id it
    got then). An update with ``move`` first moves the group under ``parent``. A delete takes the groups
    ``below`` it with it.
    """

    name: str
    id: str | None = None  #: None for a group the plan creates
    parent: str | None = None  #: the parent's code
    parent_id: str | None = None
    attributes: Attributes = field(default_factory=dict)
    move: bool = False
    below: tuple[str, ...] = ()  #: the paths of the groups a delete takes with it


@dataclass(frozen=True)
class OrganizationPayload(Payload):
    """A Keycloak Organization (create, update, delete); ``id`` is None for one the plan creates."""

    name: str
    alias: str
    id: str | None = None
    domains: tuple[str, ...] = ()
    attributes: Attributes = field(default_factory=dict)


@dataclass(frozen=True)
class ClientPayload(Payload):
    """A client groupid makes (create, update, delete); ``uuid`` is None for one the plan creates.

    ``secret_file`` is the (spec directory, path in it) of the file whose content apply sets as the client's
    secret, read when it writes; None lets Keycloak generate the secret (and an update keep it).
    """

    client_id: str
    uuid: str | None = None
    representation: dict = field(default_factory=dict)  #: the fields groupid sets, never a secret; empty for a delete
    secret_file: tuple[str, str] | None = None


@dataclass(frozen=True)
class IdentityProviderPayload(Payload):
    """An identity provider groupid makes (create, update, delete).

    ``secret_from`` is the (realm, clientId) of the client whose secret apply looks up and sets, for a new
    provider and for one whose client the same apply recreates; None keeps the secret it has.
    """

    alias: str
    representation: dict = field(default_factory=dict)  #: without the secret; empty for a delete
    secret_from: tuple[str, str] | None = None


@dataclass(frozen=True)
class SignInFlowPayload(Payload):
    """An app's own browser flow (create, update, delete): only holders of ``role`` (a reference) may sign in
    to the client ``client_id``, whose browser flow it is. ``id`` is None for one the plan creates."""

    alias: str
    client_id: str | None  #: None for a delete of a flow no client uses
    role: str | None
    id: str | None = None


@dataclass(frozen=True)
class FederationPayload(Payload):
    """An LDAP user federation groupid makes (create, update, delete); ``id`` is None for one the plan creates.

    ``config`` holds the keys groupid sets, never the password: apply reads it from the environment variable
    ``bind_password_env`` when the change sends it (a create, or a rotation); empty, an update keeps the stored
    password, and a delete needs none.
    """

    name: str
    id: str | None = None
    config: dict[str, list[str]] = field(default_factory=dict)
    bind_password_env: str = ""


@dataclass(frozen=True)
class FederationMapperPayload(Payload):
    """The group mapper of an LDAP federation (create, update, delete). ``federation_id`` is None when the same
    plan creates the federation (apply uses the id it got then); ``id`` is None for a mapper the plan creates."""

    federation: str  #: the federation's name
    name: str
    federation_id: str | None = None
    id: str | None = None
    config: dict[str, list[str]] = field(default_factory=dict)


PAYLOADS: dict[str, type[Payload]] = {
    "realm": RealmPayload,
    "user-profile": UserProfilePayload,
    "role": RolePayload,
    "group": GroupPayload,
    "composites": CompositesPayload,
    "default-roles": CompositesPayload,
    "group-roles": GroupRolesPayload,
    "organization": OrganizationPayload,
    "client": ClientPayload,
    "sign-in-flow": SignInFlowPayload,
    "identity-provider": IdentityProviderPayload,
    "federation": FederationPayload,
    "federation-mapper": FederationMapperPayload,
}
"""The payload type of each kind of change."""


R = TypeVar("R")


def record_to_dict(record: Any) -> dict:
    """A JSON-ready form of a dataclass record: every field, tuples as lists."""
    return {f.name: _plain(getattr(record, f.name)) for f in dataclasses.fields(record)}


def record_from_dict(cls: type[R], data: Any) -> R:
    """The ``cls`` record :func:`record_to_dict` wrote; ValueError when a field is missing, unknown or of
    the wrong type."""
    if not isinstance(data, dict):
        raise ValueError(f"{_describe(cls)} must be an object, not {_json_type(data)}")
    names = [f.name for f in dataclasses.fields(cls)]
    missing = [name for name in names if name not in data]
    unknown = sorted(quoted(key) for key in data if key not in names)
    if missing or unknown:
        raise ValueError("; ".join(
            [f"field {name} is missing" for name in missing] + [f"field {name} is unknown" for name in unknown]))
    hints = typing.get_type_hints(cls)
    return cls(**{name: _checked(data[name], hints[name], name) for name in names})


def _plain(value: Any) -> Any:
    if isinstance(value, (tuple, list)):
        return [_plain(item) for item in value]
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    return value


def _checked(value: Any, hint: Any, name: str) -> Any:
    """``value`` as field ``name`` of type ``hint`` holds it; ValueError naming the field when it does not fit."""
    try:
        return _converted(value, hint)
    except _Mismatch as exc:
        raise ValueError(f"field {name} must be {_describe(hint)} (found {_json_type(exc.args[0])})") from None


class _Mismatch(Exception):
    """A value (the argument) that does not fit its type."""


def _converted(value: Any, hint: Any) -> Any:
    """``value`` checked against ``hint``; lists become tuples where the type says so."""
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin in (Union, types.UnionType):
        if value is None and type(None) in args:
            return None
        (inner,) = [arg for arg in args if arg is not type(None)]
        return _converted(value, inner)
    if origin in (tuple, list) and isinstance(value, list):
        items = [args[0]] * len(value) if origin is list or args[-1] is Ellipsis else list(args)
        if len(items) == len(value):
            converted = [_converted(item, item_hint) for item, item_hint in zip(value, items)]
            return tuple(converted) if origin is tuple else converted
    elif dict in (origin, hint) and isinstance(value, dict):
        if not args:
            return value
        return {_converted(key, args[0]): _converted(item, args[1]) for key, item in value.items()}
    elif hint is Any or (hint is bool and isinstance(value, bool)):
        return value
    elif hint in (str, int) and isinstance(value, hint) and not isinstance(value, bool):
        return value
    raise _Mismatch(value)


def _describe(hint: Any) -> str:
    return hint.__name__ if isinstance(hint, type) else str(hint)


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    return {bool: "a boolean", str: "text", int: "a number", float: "a number", list: "a list",
            dict: "an object"}.get(type(value), type(value).__name__)
