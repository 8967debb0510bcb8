"""The org model of a corporate group (集团): companies, departments, roles, people, apps and LDAP federations.

Each record is a pydantic model that rejects unknown keys (a typo such as ``parnet:`` is an error, not a
silently ignored key) and remembers where it was read from, so that every problem can name a file and line.
Each field checks its own text (:mod:`groupid.values`: no control characters, Keycloak's lengths). Checks that
span records — references, cycles, duplicates, the USCC check character, what a topology needs — live in
:func:`groupid.checks.find_problems`, which reports every problem at once instead of stopping at the first.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from enum import Enum
from typing import ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, TypeAdapter, ValidationError

from groupid.errors import ConfigurationError, Location
from groupid.text import quoted
from groupid.values import (
    AttributeText,
    ClientId,
    Code,
    Description,
    DistinguishedName,
    Domain,
    Email,
    EntityId,
    EnvName,
    LdapName,
    LdapUrl,
    Name,
    PublicUrl,
    RealmName,
    RedirectUri,
    RoleName,
    RoleRef,
    TemplateName,
    Uscc,
    UserText,
)

LABEL_LENGTH = 40
"""Characters of a code that a message naming its record shows."""


class Topology(str, Enum):
    """How the group is laid out in Keycloak."""

    GROUPS = "groups"  #: one realm, a group tree /<company>/<department>/...
    ORGANIZATIONS = "organizations"  #: one realm, a Keycloak Organization per company
    REALM_PER_COMPANY = "realm-per-company"  #: companies marked own_realm get a realm of their own


@dataclass
class Origin:
    """Where a record was read: its file, its line and the line of each of its keys."""

    file: str
    line: int | None = None
    key_lines: dict[str, int] = field(default_factory=dict)

    def at(self, key: str | None = None) -> Location:
        """The location of ``key`` in the record, or of the record itself."""
        return Location(self.file, self.key_lines.get(key, self.line) if key else self.line)


class Record(BaseModel):
    """Base of every model record: strict about keys, and aware of where it came from.

    ``noun`` names one record in messages; ``key_field`` is the field that identifies it.
    """

    model_config = ConfigDict(extra="forbid")  # the kinds of text in groupid.values trim their own ends
    noun: ClassVar[str] = "record"
    key_field: ClassVar[str] = "code"
    _origin: Origin | None = PrivateAttr(default=None)

    @property
    def key(self) -> str:
        """The value that identifies the record among its kind (a code, a role name, an employee ID)."""
        return getattr(self, self.key_field)

    @property
    def label(self) -> str:
        """How messages name the record, e.g. ``company XH-TECH``; a long code is cut."""
        key = self.key
        return f"{self.noun} {key[:LABEL_LENGTH]}…" if len(key) > LABEL_LENGTH else f"{self.noun} {key}"

    def where(self, key: str | None = None) -> Location | None:
        """Where the record (or one of its keys) was read, when known."""
        return self._origin.at(key) if self._origin else None

    def located(self, origin: Origin | None) -> Record:
        """Attach the origin and return the record itself."""
        self._origin = origin
        return self


class Company(Record):
    """A legal entity of the group: the parent company or a subsidiary at any depth."""

    noun: ClassVar[str] = "company"

    code: Code
    name: Name
    parent: Code | None = None
    region: AttributeText | None = None
    uscc: Uscc | None = None  #: 统一社会信用代码; entities outside the mainland have none
    own_realm: bool = False  #: data sovereignty: a realm of its own under topology realm-per-company
    realm: RealmName | None = None  #: the name of that realm (default: <group realm>-<code in lower case>)
    email_domains: list[Domain] = []
    roles: list[RoleRef] = []  #: roles granted to everyone in the company, subsidiaries excepted



class Department(Record):
    """A department of one company; departments nest within their company."""

    noun: ClassVar[str] = "department"

    code: Code
    name: Name
    company: Code
    parent: Code | None = None
    roles: list[RoleRef] = []  #: roles granted to everyone in the department and its sub-departments



class Role(Record):
    """A realm role; composites are the roles it includes."""

    noun: ClassVar[str] = "role"
    key_field: ClassVar[str] = "name"

    name: RoleName
    client: ClientId | None = None  #: the clientId of the client the role belongs to; None for a realm role
    description: Description | None = None
    composites: list[RoleRef] = []  #: roles it includes: ``name`` for realm roles, ``client/name`` for client roles

    @property
    def key(self) -> str:
        """How other records refer to the role: ``name``, or ``client/name`` for a client role."""
        return f"{self.client}/{self.name}" if self.client else self.name




class Person(Record):
    """An employee. The employee ID is the immutable anchor; everything else may change."""

    noun: ClassVar[str] = "person"
    key_field: ClassVar[str] = "employee_id"

    employee_id: Code
    name: Name
    company: Code
    department: Code | None = None
    title: UserText | None = None
    manager: Code | None = None
    email: Email | None = None
    phone: UserText | None = None
    status: Literal["active", "terminated", "pending"] = "active"
    employment_type: UserText | None = None
    start_date: date | None = None
    end_date: date | None = None




AppKind = Literal["group-wide", "industry", "company"]
"""What an app is for: the whole group, one industry (板块) across companies, or one company."""


class Audience(BaseModel):
    """Who may sign in to an app: members of these companies (their subsidiaries included) or departments (their
    sub-departments included), and holders of these roles. Empty: everyone in the realm."""

    model_config = ConfigDict(extra="forbid")
    companies: list[Code] = []
    departments: list[Code] = []
    roles: list[RoleRef] = []

    @property
    def everyone(self) -> bool:
        """Whether the audience is the whole realm (nothing listed)."""
        return not (self.companies or self.departments or self.roles)


class App(Record):
    """An application integrated through single sign-on: its Keycloak client, its own side of the config, and who
    may sign in to it (see docs/apps.md)."""

    noun: ClassVar[str] = "app"
    key_field: ClassVar[str] = "id"

    id: ClientId  #: the app's identity in the spec, and its clientId unless ``client_id`` says otherwise
    template: TemplateName  #: a built-in template, or one in the spec directory's ``templates/``
    name: Name | None = None  #: the Chinese display name the portal and the account console show
    description: Description | None = None
    owner: Code | None = None  #: the company that owns the app; None: the group
    kind: AppKind = "group-wide"
    client_id: EntityId | None = None  #: the clientId, when not ``id``: a SAML SP's entity ID (a URL)
    base_url: PublicUrl | None = None  #: where the app is; the template's callback path is under it
    launch_url: PublicUrl | None = None  #: where the portal sends people (default: base_url)
    redirect_uris: list[RedirectUri] = []  #: default: the template's callback path(s) under base_url
    allow_wildcard_redirects: bool = False  #: opt in to a redirect URI ending in ``*``
    direct_access_grants: bool = False  #: the password grant; off unless asked for
    audience: Audience = Audience()
    roles: list[RoleName] = []  #: the client roles the app defines
    role_map: dict[RoleName, list[RoleRef]] = {}  #: client role -> realm roles, or company and department codes
    secret_file: str | None = None  #: a file holding the client secret to set; default: Keycloak generates it
    settings: dict[str, str | int | bool | list[str]] = {}  #: the template's own knobs (docs/apps.md)

    @property
    def keycloak_client_id(self) -> str:
        """The clientId of the app's client in Keycloak."""
        return self.client_id or self.id



LdapVendor = Literal["other", "ad", "rhds", "tivoli", "edirectory"]
"""The directory product, as Keycloak's LDAP federation names it (``ad``: Active Directory)."""


class GroupMapper(BaseModel):
    """The groups a federation brings from the directory, read only: where they are and how they hold members."""

    model_config = ConfigDict(extra="forbid")
    groups_dn: DistinguishedName
    group_name_attribute: LdapName = "cn"
    object_classes: list[LdapName] = Field(["groupOfNames"], min_length=1)
    membership_attribute: LdapName = "member"
    membership_attribute_type: Literal["DN", "UID"] = "DN"
    mode: Literal["READ_ONLY"] = "READ_ONLY"  #: groupid never lets Keycloak write groups back to the directory
    preserve_group_inheritance: bool = True
    groups_path: str = Field("/", pattern=r"^/")  #: the Keycloak group the directory's groups go below


class Federation(Record):
    """Keycloak's own LDAP user federation in one realm (see docs/federation.md). The bind password is never in
    the spec: ``bind_password_env`` names the environment variable apply reads it from."""

    noun: ClassVar[str] = "federation"
    key_field: ClassVar[str] = "name"

    name: Name
    company: Code | None = None  #: the company whose realm it goes to (realm-per-company); None: the group's realm
    connection_urls: list[LdapUrl] = Field(min_length=1)
    bind_dn: DistinguishedName
    bind_password_env: EnvName
    users_dn: DistinguishedName
    user_object_classes: list[LdapName] = Field(["inetOrgPerson", "organizationalPerson"], min_length=1)
    username_attribute: LdapName = "uid"
    rdn_attribute: LdapName = "uid"
    uuid_attribute: LdapName = "entryUUID"
    vendor: LdapVendor = "other"
    edit_mode: Literal["READ_ONLY", "WRITABLE", "UNSYNCED"] = "READ_ONLY"
    import_users: bool = True
    sync_registrations: bool = False
    full_sync_period: int = Field(-1, ge=-1)  #: seconds between full syncs; -1: none
    changed_sync_period: int = Field(-1, ge=-1)  #: seconds between syncs of changed users; -1: none
    pagination: bool = True
    batch_size: int = Field(1000, ge=1)  #: entries per page and per transaction of a sync; at most the server's size limit
    enabled: bool = True
    group_mapper: GroupMapper | None = None


class Group(Record):
    """The whole group (集团): its identity in Keycloak and every record of the spec."""

    noun: ClassVar[str] = "group"

    code: Code
    name: Name
    realm: RealmName
    topology: Topology = Topology.GROUPS
    description: Description | None = None
    default_roles: list[RoleRef] = []  #: roles every user of the realm gets
    declare_user_attributes: bool = True  #: declare groupid's user attributes in the realm's user profile
    public_url: PublicUrl | None = None  #: where people reach Keycloak; links between realms point there
    companies: list[Company] = []
    departments: list[Department] = []
    roles: list[Role] = []
    people: list[Person] = []
    apps: list[App] = []
    federation: list[Federation] = []

    _directory: str | None = PrivateAttr(default=None)

    @property
    def directory(self) -> str | None:
        """The spec directory the group was loaded from (its ``templates/`` holds the spec's own app templates)."""
        return self._directory

    def read_from(self, directory: str) -> Group:
        """Remember the spec directory the group was loaded from, and return the group itself."""
        self._directory = directory
        return self

    def under_realm(self, realm: str | None) -> Group:
        """This group with its realm under another name (``--realm``: a staging copy, say), checked as the spec's
        own realm name is; itself when ``realm`` is empty. Raises :class:`ConfigurationError` for a bad name."""
        if not realm:
            return self
        return self.model_copy(update={"realm": checked_realm_name(realm)})


_REALM_NAME = TypeAdapter(RealmName)


def checked_realm_name(realm: str, what: str = "--realm") -> str:
    """``realm``, when it is a name groupid may manage (never ``master``); else a :class:`ConfigurationError`
    naming ``what`` (the option or the file that gave it)."""
    try:
        return _REALM_NAME.validate_python(realm)
    except ValidationError as exc:
        reason = exc.errors()[0]["msg"].removeprefix("Value error, ")
        raise ConfigurationError(f"{what} {quoted(realm)}: {reason}") from None

MAX_DEPTH = 30
"""The deepest a company or department may sit in the group tree (the top company is level 1).

Real groups stay far below it; a deeper tree is almost always a parent column pointing the wrong way.
"""

INFO_KEYS = (
    "code", "name", "realm", "topology", "description", "default_roles", "declare_user_attributes", "public_url",
)
"""The keys of the ``group:`` mapping; the rest of Group comes from the other sections."""


def own_realm_name(group_realm: str, company: Company) -> str:
    """The realm of a company with ``own_realm``: its ``realm``, else ``<group realm>-<code>`` in lower case."""
    return company.realm or f"{group_realm}-{re.sub(r'[^a-z0-9_-]', '-', company.code.lower())}"


def company_realm(group: Group, code: str | None) -> str:
    """The realm of what a company owns (an app's client, an LDAP federation): under topology
    ``realm-per-company``, the realm of the nearest company up from ``code`` with a realm of its own; else, and
    for no company, the group's."""
    companies = {company.code: company for company in group.companies}
    seen: set[str] = set()
    while code in companies and code not in seen and group.topology is Topology.REALM_PER_COMPANY:
        seen.add(code)
        if companies[code].own_realm:
            return own_realm_name(group.realm, companies[code])
        code = companies[code].parent
    return group.realm


def organization_alias(company: Company) -> str:
    """The alias of a company's organization under topology ``organizations``: its code in lower case."""
    return company.code.lower()


def link_redirect_uri(company_realm: str, group_realm: str) -> str:
    """Where the group realm sends people back to a company realm, whose identity provider for the group
    realm is named after it (topology ``realm-per-company``)."""
    return f"/realms/{company_realm}/broker/{group_realm}/endpoint"
