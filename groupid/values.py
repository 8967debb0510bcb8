"""The kinds of text a spec holds — codes, names, realm and role names, domains, free text — each a ``str``
type that checks itself when a record is validated.

Every kind refuses control characters (C0, C1, DEL) and bidirectional formatting characters, naming the
first one and its position, before anything else: such a character makes a code or name look like something
it is not. Then the ends are trimmed, and a value that must be there may not be empty. Lengths are those
Keycloak can store (:mod:`groupid.limits`); a longer value would otherwise fail half-way through an apply.
Messages quote a value at most cut short and escaped (:func:`groupid.text.quoted`), never whole.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Annotated

from pydantic import AfterValidator

from groupid import limits
from groupid.text import hidden_character, quoted

MASTER_REALM = "master"
"""Keycloak's own administration realm. groupid never manages it, under any spelling."""

_CODE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")
_REALM = re.compile(r"[a-z0-9][a-z0-9_-]*")
_ROLE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]*")
_ROLE_REF = re.compile(rf"(?:{_ROLE.pattern}/)?{_ROLE.pattern}")
_DOMAIN = re.compile(r"(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}")
_URL = re.compile(r"https?://[^\s/]+(/[^\s]*)?")
_TEMPLATE = re.compile(r"[a-z0-9][a-z0-9_-]*")
_REDIRECT = re.compile(r"(?:[a-z][a-z0-9+.-]*://[^\s/]+(/[^\s]*)?|/[^\s]*)")
_ENTITY = re.compile(r"[^\s]+")
_LDAP_URL = re.compile(r"ldaps?://(\[[0-9A-Fa-f:.]+\]|[^\s/:@\[\]]+)(?::([0-9]{1,5}))?/?")
_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_LDAP_NAME = re.compile(r"[A-Za-z][A-Za-z0-9-]*")


def _visible(value: str) -> str:
    """Refuse a control or bidirectional formatting character anywhere (the ends included), then trim."""
    hidden = hidden_character(value)
    if hidden:
        position, what = hidden
        raise ValueError(f"{what} at character {position}")
    return value.strip()


def _filled(value: str) -> str:
    if not value:
        raise ValueError("must not be empty")
    return value


def _or_none(value: str) -> str | None:
    """An optional text that is empty, or only spaces, is no text: it is left out, as an empty cell is."""
    return value or None


def _at_most(limit: int) -> Callable[[str], str]:
    def check(value: str) -> str:
        if len(value) > limit:
            raise ValueError(f"is {len(value)} characters long; Keycloak stores at most {limit}")
        return value

    return check


def _ldap_url(value: str) -> str:
    found = _LDAP_URL.fullmatch(value)
    if not found or (found.group(2) is not None and not 0 < int(found.group(2)) < 65536):
        raise ValueError(f"{quoted(value)} is not a valid LDAP URL (ldap://host:port or ldaps://host:port, "
                         "a port from 1 to 65535)")
    return value


def _matching(pattern: re.Pattern[str], what: str) -> Callable[[str], str]:
    def check(value: str) -> str:
        if not pattern.fullmatch(value):
            raise ValueError(f"{quoted(value)} is not a valid {what}")
        return value

    return check


def _not_master(value: str) -> str:
    if value.casefold() == MASTER_REALM:
        raise ValueError(f"{quoted(value)} is Keycloak's own administration realm; groupid never manages it")
    return value


def _no_slash(value: str) -> str:
    # Keycloak builds group paths by joining names with '/', so a slash in a name breaks the path.
    if "/" in value:
        raise ValueError(f"{quoted(value)} must not contain '/'")
    return value


def _kind(*checks: Callable) -> list[AfterValidator]:
    return [AfterValidator(_visible), *(AfterValidator(check) for check in checks)]


Code = Annotated[str, *_kind(_filled, _at_most(limits.ATTRIBUTE_VALUE),
                             _matching(_CODE, "code (letters, digits, '.', '_', '-')"))]
"""A company, department or app code, or an employee ID: written as the attribute ``groupid.code``."""

Name = Annotated[str, *_kind(_filled, _at_most(limits.NAME), _no_slash)]
"""A name that becomes a group's, an organization's or a realm's display name."""

RealmName = Annotated[str, *_kind(_filled, _not_master, _at_most(limits.REALM_NAME),
                                  _matching(_REALM, "realm name (lower-case letters, digits, '_', '-')"))]
"""A realm's name, as it appears in every URL of the realm; never ``master``."""

RoleName = Annotated[str, *_kind(_filled, _at_most(limits.ROLE_NAME),
                                 _matching(_ROLE, "role name (letters, digits, '.', '_', ':', '-')"))]
"""A realm role's or a client role's name."""

ClientId = Annotated[str, *_kind(_filled, _at_most(limits.CLIENT_ID),
                                 _matching(_ROLE, "clientId (letters, digits, '.', '_', ':', '-')"))]
"""The clientId of the client a role belongs to."""

RoleRef = Annotated[str, *_kind(_filled, _at_most(limits.CLIENT_ID + 1 + limits.ROLE_NAME),
                                _matching(_ROLE_REF, "role reference (a realm role, or client/role)"))]
"""How a role is named where it is used: ``name`` for a realm role, ``client/name`` for a client's."""

Domain = Annotated[str, *_kind(str.lower, _matching(_DOMAIN, "email domain"))]
"""An email domain, in lower case: an organization's domain under topology ``organizations``."""

Uscc = Annotated[str, *_kind(str.upper)]
"""统一社会信用代码; its length, alphabet and check character are checked with the record (groupid.uscc)."""

PublicUrl = Annotated[str, *_kind(_matching(_URL, "URL (http:// or https://)"))]
"""Where people reach Keycloak; the links between realms point there."""

TemplateName = Annotated[str, *_kind(_filled, _matching(_TEMPLATE, "template name (lower-case letters, digits, '_', '-')"))]
"""The name of an app template: a built-in one, or a folder of the spec's ``templates/``."""

RedirectUri = Annotated[str, *_kind(_filled, _at_most(limits.ATTRIBUTE_VALUE),
                                    _matching(_REDIRECT, "redirect URI (scheme://host/path, or /path under base_url)"))]
"""Where Keycloak may send a browser back to after login: a URL, or a path under the app's base_url."""

EntityId = Annotated[str, *_kind(_filled, _at_most(limits.CLIENT_ID), _matching(_ENTITY, "clientId (no spaces)"))]
"""A clientId that may be a URL: a SAML service provider's entity ID."""

Description = Annotated[str, *_kind(_at_most(limits.DESCRIPTION), _or_none)]
"""A description shown in the admin console; empty means none."""

AttributeText = Annotated[str, *_kind(_at_most(limits.ATTRIBUTE_VALUE), _or_none)]
"""Free text groupid writes as one value of a group attribute (a company's region)."""

UserText = Annotated[str, *_kind(_or_none)]
"""Free text of a person, written as a user attribute: Keycloak (24+) stores long values of those."""

Email = Annotated[str, *_kind(_at_most(limits.USER_FIELD), _or_none)]
"""A person's email address, as long as the user profile lets it be."""

LdapUrl = Annotated[str, *_kind(_filled, _ldap_url)]
"""Where a directory is reached: ``ldap://`` or ``ldaps://``, a host and a port, no path."""

EnvName = Annotated[str, *_kind(_filled, _matching(_ENV_NAME, "environment variable name (letters, digits, '_')"))]
"""The name of an environment variable that holds a secret; the secret itself is never in a spec."""

DistinguishedName = Annotated[str, *_kind(_filled, _at_most(limits.ATTRIBUTE_VALUE))]
"""An LDAP distinguished name (``ou=people,dc=example,dc=com``), as the directory spells it."""

LdapName = Annotated[str, *_kind(_filled, _matching(_LDAP_NAME, "LDAP attribute or object class name"))]
"""The name of an LDAP attribute or object class (``uid``, ``inetOrgPerson``)."""
