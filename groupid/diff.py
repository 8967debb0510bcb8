"""Comparing the desired state of a realm with its live state, into a :class:`~groupid.plan.Plan`.

Identity is the code, not the name: a live group is matched to the spec by its ``groupid.code`` attribute,
so a renamed department is an update of the same group and a moved one is a move — never a delete and a
create that would lose its members and role mappings.

Ownership decides what may be touched. Objects groupid created carry ``groupid.managed``; only those are
updated freely and, with ``prune``, deleted when they leave the spec. An object made by hand (or by another
tool) that matches the spec — a group at the same path, a role of the same name — is reported as unmanaged
and left alone, unless ``adopt`` asks to take it over.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field

from groupid.keycloak_terms import ATTR_CODE, ATTR_MANAGED, KEYCLOAK_DEFAULT_ROLES, default_role_name
from groupid.errors import ConfigurationError
from groupid.plan import Change, Create, Delete, FieldChange, Finding, Plan, Update
from groupid.realms.base import LiveGroup, LiveIdentityProvider, LiveRealm, LiveRole
from groupid.state import (
    USER_PROFILE_GROUP,
    GroupNode,
    RealmState,
    RoleNode,
    user_profile,
)

MANAGED_GROUP_ATTRIBUTES = frozenset(
    {ATTR_CODE, ATTR_MANAGED, "groupid.kind", "uscc", "region", "email_domains", "company_code"}
)
"""Group attributes groupid writes; others (added by hand or by other tools) are kept as they are."""

OWNED = {ATTR_MANAGED: ["true"]}


@dataclass(frozen=True)
class DiffOptions:
    """How far a plan may go beyond creating and updating owned objects."""

    prune: bool = False  #: delete owned objects that left the spec
    adopt: bool = False  #: take over unmanaged objects that match the spec


def live_checksum(live: LiveRealm) -> str:
    """A fingerprint of the live state; a saved plan is stale when it no longer matches."""
    canonical = asdict(live)
    canonical["groups"] = sorted(canonical["groups"], key=lambda g: g["id"])
    canonical["roles"] = sorted(canonical["roles"], key=lambda r: r["name"])
    text = json.dumps(canonical, sort_keys=True, ensure_ascii=False, default=sorted)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def diff_realm(
    desired: RealmState, live: LiveRealm, options: DiffOptions = DiffOptions(),
    new_clients: frozenset[tuple[str, str]] = frozenset(),
) -> Plan:
    """The plan that brings ``live`` in line with ``desired``.

    ``new_clients`` are (realm, clientId) pairs another plan creates: an identity provider that takes its
    secret from one of them gets the new secret.
    """
    differ = _RealmDiff(desired, live, options, new_clients)
    differ.run()
    return Plan(
        realm=desired.realm,
        changes=differ.changes,
        findings=differ.findings,
        live_checksum=live_checksum(live),
        managed=differ.managed_counts(),
    )


@dataclass
class _Placed:
    """A desired group with where it goes: its parent's code, its path and depth."""

    node: GroupNode
    parent: str | None
    path: str
    depth: int


@dataclass
class _RealmDiff:
    """One comparison; one method per kind of object."""

    desired: RealmState
    live: LiveRealm
    options: DiffOptions
    new_clients: frozenset[tuple[str, str]] = frozenset()
    changes: list[Change] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.paths = self.live.paths()
        self.groups_by_id = {g.id: g for g in self.live.groups}
        self.owned_groups = {g.attribute(ATTR_CODE): g for g in self.live.groups if _owned(g.attributes) and g.attribute(ATTR_CODE)}
        self.groups_by_path = {self.paths[g.id]: g for g in self.live.groups}
        self.roles = {r.ref: r for r in [*self.live.roles, *self.live.client_roles]}
        self.ids: dict[str, str] = {}  # code -> live group id, for groups matched (owned or adopted/unmanaged)
        self.codes_by_id: dict[str, str] = {}
        self.placed = list(_place(self.desired.groups))
        self.desired_codes = {item.node.code for item in self.placed}
        self.children: dict[str | None, list[LiveGroup]] = {}
        for group in self.live.groups:
            self.children.setdefault(group.parent_id, []).append(group)

    def run(self) -> None:
        """Compare every kind of object, in the order a plan applies them."""
        self._diff_realm()
        self._diff_user_profile()
        self._diff_roles()
        self._diff_default_roles()
        self._diff_groups()
        self._diff_organizations()
        self._diff_clients()
        self._diff_identity_providers()

    def managed_counts(self) -> dict[str, int]:
        """How many objects of each kind groupid owns: the base of the deletion guard."""
        return {
            "group": len(self.owned_groups),
            "role": sum(1 for r in self.roles.values() if _owned(r.attributes)),
            "organization": sum(1 for o in self.live.organizations if _owned(o.attributes)),
            "client": sum(1 for c in self.live.clients if c.attributes.get(ATTR_MANAGED) == "true"),
            "identity-provider": sum(1 for i in self.live.identity_providers if i.config.get(ATTR_MANAGED) == "true"),
        }

    def _diff_realm(self) -> None:
        """The realm itself: existence, display name, Organizations switched on."""
        # Organizations are switched on when the topology needs them, never off: someone may use them by hand.
        wanted = {"displayName": self.desired.display_name}
        if self.desired.organizations_enabled:
            wanted["organizationsEnabled"] = True
        data = {"display_name": self.desired.display_name, "organizations_enabled": wanted.get("organizationsEnabled")}
        label = f"realm {self.desired.realm}"
        if not self.live.exists:
            self.changes.append(Create("realm", self.desired.realm, label, _fields({k: (None, v) for k, v in wanted.items()}), data))
            return
        current = {"displayName": self.live.display_name or self.live.name, "organizationsEnabled": self.live.organizations_enabled}
        fields = _fields({k: (current[k], v) for k, v in wanted.items()})
        if fields:
            self.changes.append(Update("realm", self.desired.realm, label, fields, data))

    # -- user profile ---------------------------------------------------------------------------------

    def _diff_user_profile(self) -> None:
        """Declare groupid's user attributes, keeping what others declared."""
        if not self.desired.declare_user_attributes:
            return
        wanted = user_profile()
        current = self.live.user_profile or {"attributes": [], "groups": []}
        merged, added, changed = _merge_profile(current, wanted)
        if not added and not changed:
            return
        fields = []
        if added:
            fields.append(FieldChange("attributes added", None, ", ".join(added)))
        if changed:
            fields.append(FieldChange("attributes changed", None, ", ".join(changed)))
        action = Create if not self.live.exists else Update
        self.changes.append(action("user-profile", "user-profile", "user profile", tuple(fields), {"profile": merged}))

    # -- roles ----------------------------------------------------------------------------------------

    def _diff_roles(self) -> None:
        """Realm and client roles, then their composites."""
        nodes = {role.ref: role for role in self.desired.roles}
        self._check_clients_exist(nodes.values())
        wanted = {ref: {"description": role.description, f"attributes.{ATTR_MANAGED}": "true"}
                  for ref, role in nodes.items()}

        def view(role: LiveRole) -> dict:
            return {"description": role.description or None, f"attributes.{ATTR_MANAGED}": _first(role.attributes, ATTR_MANAGED)}

        def data(ref: str, role: LiveRole | None) -> dict:
            node = nodes.get(ref)
            if node is None:
                return {"client": role.client, "name": role.name}
            attributes = {**(role.attributes if role else {}), **OWNED}
            return {"client": node.client, "name": node.name, "description": node.description, "attributes": attributes}

        self._diff_objects("role", wanted, self.roles, view, lambda r: _owned(r.attributes), data, lambda r: f"role {r}")
        for ref, role in nodes.items():
            live = self.roles.get(ref)
            if live is None or _owned(live.attributes) or self.options.adopt:
                self._diff_composites(role, live.composites if live else None)

    def _check_clients_exist(self, roles) -> None:
        """Client roles need their client; groupid does not make app clients up."""
        clients = {c.client_id for c in self.live.clients} | {c.client_id for c in self.desired.clients}
        missing = sorted({role.ref for role in roles if role.client and role.client not in clients})
        if missing:
            raise ConfigurationError(
                f"realm {self.desired.realm}: the client of role {', '.join(missing)} does not exist there; "
                "create the client first (or drop client: from the role)"
            )

    def _diff_composites(self, role: RoleNode, live: list[str] | None) -> None:
        """``live`` is None for a role the plan creates."""
        self._diff_set("composites", role.ref, f"composites of role {role.ref}", live, role.composites,
                       {"role": role.ref}, field_name="composites")

    def _diff_set(self, kind: str, key: str, label: str, live: list[str] | None, wanted, data: dict,
                  depth: int = 0, field_name: str = "roles") -> None:
        """A change adding and removing members of a set (composites, a group's roles), when they differ.

        ``live`` is None when the object holding the set is new: the change is then a create.
        """
        current = live or []
        add = sorted(set(wanted) - set(current))
        remove = sorted(set(current) - set(wanted))
        if add or remove:
            action = Create if live is None else Update
            self.changes.append(action(kind, key, label, (FieldChange(field_name, sorted(current), sorted(wanted)),),
                                       {**data, "add": add, "remove": remove}, depth))

    def _diff_default_roles(self) -> None:
        """Add the spec's default roles; remove only groupid's own roles that left the list."""
        live = set(self.live.default_roles)
        wanted = set(self.desired.default_roles)
        owned = {ref for ref, role in self.roles.items() if _owned(role.attributes)} - set(KEYCLOAK_DEFAULT_ROLES)
        add = sorted(wanted - live)
        remove = sorted((live & owned) - wanted)
        if add or remove:
            name = default_role_name(self.desired.realm)
            self.changes.append(Update("default-roles", name, "default roles",
                                       (FieldChange("default roles", sorted(live), sorted((live - set(remove)) | wanted)),),
                                       {"role": name, "add": add, "remove": remove}))

    # -- groups ---------------------------------------------------------------------------------------

    def _diff_groups(self) -> None:
        """Company and department groups, parents first; then the owned groups that left the spec."""
        for item in self.placed:
            self._diff_group(item)
        for code, live in self.owned_groups.items():
            if code not in self.desired_codes:
                self._prune_group(code, live)

    def _diff_group(self, item: _Placed) -> None:
        """One desired group: matched by code (owned), by path (unmanaged), or new."""
        node = item.node
        live = self.owned_groups.get(node.code)
        if live is None:
            live = self.groups_by_path.get(item.path)
            if live is not None and _owned(live.attributes):
                # groupid's own group of another code sits there; taking it over would steal it from that code
                other = live.attribute(ATTR_CODE)
                self.findings.append(Finding("group", node.code, f"group {node.code} cannot be created at {item.path}: "
                                             f"groupid's group {other} is there; once {other} is renamed, moved or "
                                             "pruned, apply again"))
                return
            if live is not None and not self.options.adopt:
                self._match(node.code, live.id)
                self.findings.append(Finding("group", node.code, f"group {item.path} exists but was not made by "
                                             f"groupid; apply --adopt takes it over as {node.code}"))
                return
        label = f"group {node.code} ({item.path})"
        if live is None:
            self.changes.append(Create("group", node.code, label, _fields({
                "name": (None, node.name), "parent": (None, item.parent), **_attribute_fields({}, node.attributes)}),
                {"name": node.name, "parent": item.parent, "parent_id": self.ids.get(item.parent),
                 "attributes": node.attributes}, item.depth))
            self._diff_group_roles(node, label, None, item.depth)
            return
        parent_code = self._code_of(live.parent_id)
        self._match(node.code, live.id)
        attributes = {k: v for k, v in live.attributes.items() if k not in MANAGED_GROUP_ATTRIBUTES}
        attributes.update(node.attributes)
        fields = _fields({"name": (live.name, node.name), "parent": (parent_code, item.parent),
                          **_attribute_fields(live.attributes, node.attributes)})
        if fields:
            self.changes.append(Update("group", node.code, label, fields, {
                "id": live.id, "name": node.name, "attributes": attributes,
                "parent": item.parent, "parent_id": self.ids.get(item.parent), "move": parent_code != item.parent},
                item.depth))
        self._diff_group_roles(node, label, live.role_refs(), item.depth)

    def _match(self, code: str, group_id: str) -> None:
        """Remember which live group stands for a desired code."""
        self.ids[code] = group_id
        self.codes_by_id[group_id] = code

    def _code_of(self, group_id: str | None) -> str | None:
        """The code a live group is known by: the spec code it was matched to, its attribute, or its path."""
        if group_id is None:
            return None
        if group_id in self.codes_by_id:
            return self.codes_by_id[group_id]
        group = self.groups_by_id.get(group_id)
        return (group.attribute(ATTR_CODE) if group else None) or self.paths.get(group_id)

    def _diff_group_roles(self, node: GroupNode, label: str, live: list[str] | None, depth: int) -> None:
        """The roles granted to one group; ``live`` is None for a group the plan creates."""
        self._diff_set("group-roles", node.code, f"roles of {label}", live, node.roles,
                       {"group": node.code, "id": self.ids.get(node.code)}, depth)

    def _prune_group(self, code: str, live: LiveGroup) -> None:
        """An owned group that left the spec; kept when groups made by hand sit below it."""
        parent = self.groups_by_id.get(live.parent_id)
        if parent is not None and _owned(parent.attributes) and parent.attribute(ATTR_CODE) not in self.desired_codes:
            return  # deleting the topmost orphan deletes this one with it
        path = self.paths[live.id]
        handmade = [g for g in self._descendants(live.id) if not _owned(g.attributes)]
        if handmade:
            names = ", ".join(self.paths[g.id] for g in handmade[:3])
            self.findings.append(Finding("group", code, f"group {code} ({path}) left the spec but is kept: it holds "
                                         f"groups not made by groupid ({names})"))
            return
        below = sorted(self.paths[g.id] for g in self._descendants(live.id))
        label = f"group {code} ({path})" + (f" and the {len(below)} groups below it" if below else "")
        fields = (FieldChange("deletes with it", None, below),) if below else ()
        self._prune_or_report(Delete("group", code, label, fields, {"id": live.id, "cascade": len(below)}, path.count("/")))

    def _descendants(self, group_id: str) -> list[LiveGroup]:
        """The groups below ``group_id`` that stay there (those the spec moves elsewhere are not counted)."""
        found, stack = [], list(self.children.get(group_id, []))
        while stack:
            group = stack.pop()
            if group.attribute(ATTR_CODE) not in self.desired_codes:
                found.append(group)
                stack.extend(self.children.get(group.id, []))
        return found

    def _prune_or_report(self, delete: Delete) -> None:
        """An owned object that left the spec: deleted under --prune, otherwise listed as a finding."""
        if self.options.prune:
            self.changes.append(delete)
        else:
            self.findings.append(Finding(delete.kind, delete.key, f"{delete.label} left the spec; apply --prune deletes it"))

    # -- organizations, clients, identity providers ---------------------------------------------------

    def _diff_organizations(self) -> None:
        """One organization per company (topology organizations), matched by code, else by alias."""
        by_alias = {org.alias: org.code for org in self.desired.organizations}
        live = {}
        for org in self.live.organizations:
            key = org.attribute(ATTR_CODE) if _owned(org.attributes) else by_alias.get(org.alias)
            live[key or f"alias:{org.alias}"] = org
        wanted = {org.code: {"name": org.name, "domains": sorted(org.domains),
                             **{f"attributes.{k}": _value(v) for k, v in org.attributes.items()}}
                  for org in self.desired.organizations}
        nodes = {org.code: org for org in self.desired.organizations}

        def view(org):
            return {"name": org.name, "domains": sorted(org.domains),
                    **{f"attributes.{k}": _value(v) for k, v in org.attributes.items()}}

        def data(code, org):
            node = nodes.get(code)
            if node is None:
                return {"id": org.id}
            attributes = {**(org.attributes if org else {}), **node.attributes}
            return {"id": org.id if org else None, "name": node.name, "alias": node.alias,
                    "domains": list(node.domains), "attributes": attributes}

        self._diff_objects("organization", wanted, live, view, lambda o: _owned(o.attributes), data,
                           lambda code: f"organization {code}")

    def _diff_clients(self) -> None:
        """The clients groupid makes (links between realms), matched by clientId."""
        wanted = {c.client_id: _client_view(c.representation) for c in self.desired.clients}
        nodes = {c.client_id: c for c in self.desired.clients}
        live = {c.client_id: c for c in self.live.clients}

        def data(client_id, client):
            node = nodes.get(client_id)
            return {"uuid": client.id if client else None,
                    **({"representation": node.representation} if node else {})}

        self._diff_objects("client", wanted, live, _live_client_view, lambda c: c.attributes.get(ATTR_MANAGED) == "true",
                           data, lambda client_id: f"client {client_id}")

    def _diff_identity_providers(self) -> None:
        """The identity providers groupid makes (links between realms), matched by alias."""
        nodes = {i.alias: i for i in self.desired.identity_providers}
        wanted = {alias: _idp_view(node.representation) for alias, node in nodes.items()}
        live = {i.alias: i for i in self.live.identity_providers}
        # a link whose client is recreated elsewhere in this apply must pick up the client's new secret
        renew = {alias for alias, node in nodes.items() if node.secret_from in self.new_clients and alias in live}
        for alias in sorted(renew):
            wanted[alias]["config.clientSecret"] = f"new secret of client {nodes[alias].secret_from[1]}"

        def view(idp: LiveIdentityProvider) -> dict:
            return _idp_view({"displayName": idp.display_name, "enabled": idp.enabled,
                              "providerId": idp.provider_id, "config": idp.config})

        def data(alias: str, idp: LiveIdentityProvider | None) -> dict:
            node = nodes.get(alias)
            if node is None:
                return {"alias": alias}
            config = {**(idp.config if idp else {}), **node.representation["config"]}
            fresh = idp is None or alias in renew
            return {"alias": alias, "representation": {**node.representation, "config": config},
                    "secret_from": list(node.secret_from) if node.secret_from and fresh else None}

        self._diff_objects("identity-provider", wanted, live, view, lambda i: i.config.get(ATTR_MANAGED) == "true",
                           data, lambda alias: f"identity provider {alias}", secret=lambda alias: nodes[alias].secret_from)

    def _diff_objects(self, kind, wanted: dict[str, dict], live: dict, view, owned, data, label, secret=None) -> None:
        """Create, update (owned or adopted), report (unmanaged) and prune objects of one kind, keyed alike."""
        for key, fields in wanted.items():
            current = live.get(key)
            if current is None:
                created = _fields({name: (None, value) for name, value in fields.items()})
                if secret and secret(key):
                    created += _fields({"config.clientSecret": (None, f"secret of client {secret(key)[1]}")})
                self.changes.append(Create(kind, key, label(key), created, data(key, None)))
            elif owned(current) or self.options.adopt:
                now = view(current)
                changed = _fields({name: (now.get(name), value) for name, value in fields.items()})
                if changed:
                    self.changes.append(Update(kind, key, label(key), changed, data(key, current)))
            else:
                self.findings.append(Finding(kind, key, f"{label(key)} exists but was not made by groupid; "
                                             "apply --adopt takes it over"))
        for key, current in live.items():
            if key not in wanted and owned(current):
                self._prune_or_report(Delete(kind, key, label(key), (), data(key, current)))


_CLIENT_FIELDS = ("name", "enabled", "publicClient", "rootUrl", "redirectUris")


def _client_view(representation: dict) -> dict:
    view = {name: representation.get(name) for name in _CLIENT_FIELDS}
    view["redirectUris"] = sorted(view["redirectUris"] or [])
    view[f"attributes.{ATTR_MANAGED}"] = representation.get("attributes", {}).get(ATTR_MANAGED)
    return view


def _live_client_view(client) -> dict:
    return _client_view({"name": client.name, "enabled": client.enabled, "publicClient": client.public_client,
                         "rootUrl": client.root_url, "redirectUris": client.redirect_uris, "attributes": client.attributes})


def _idp_view(representation: dict) -> dict:
    view = {name: representation.get(name) for name in ("displayName", "enabled", "providerId")}
    view.update({f"config.{k}": v for k, v in representation.get("config", {}).items() if k != "clientSecret"})
    return view


def _place(roots: tuple[GroupNode, ...]):
    """Every desired group with its parent's code, path and depth, parents first."""
    stack = [(root, None, "", 1) for root in reversed(roots)]
    while stack:
        node, parent, parent_path, depth = stack.pop()
        path = f"{parent_path}/{node.name}"
        yield _Placed(node, parent, path, depth)
        stack.extend((child, node.code, path, depth + 1) for child in reversed(node.children))


def _owned(attributes: dict[str, list[str]]) -> bool:
    return _first(attributes, ATTR_MANAGED) == "true"


def _first(attributes: dict[str, list[str]], name: str) -> str | None:
    values = attributes.get(name) or [None]
    return values[0]


def _fields(pairs: dict[str, tuple]) -> tuple[FieldChange, ...]:
    """FieldChanges for the pairs whose old and new differ; anything named a secret is marked sensitive."""
    return tuple(FieldChange(name, old, new, "secret" in name.lower()) for name, (old, new) in pairs.items() if old != new)


def _attribute_fields(live: dict[str, list[str]], wanted: dict[str, list[str]]) -> dict[str, tuple]:
    """Old/new pairs of the attributes groupid manages."""
    keys = sorted((set(live) & MANAGED_GROUP_ATTRIBUTES) | set(wanted))
    return {f"attributes.{key}": (_value(live.get(key)), _value(wanted.get(key))) for key in keys}


def _value(values: list[str] | None):
    if not values:
        return None
    return values[0] if len(values) == 1 else sorted(values)


def _merge_profile(current: dict, wanted: dict) -> tuple[dict, list[str], list[str]]:
    """The live user profile with groupid's attributes and attribute group added or corrected.

    Attributes and groups that others declared stay as they are.
    """
    ours = {a["name"]: a for a in wanted["attributes"] if a.get("group") == USER_PROFILE_GROUP}
    attributes, added, changed = [], [], []
    for attribute in current.get("attributes", []):
        name = attribute["name"]
        if name in ours:
            expected = {**attribute, **ours.pop(name)}
            if expected != attribute:
                changed.append(name)
            attributes.append(expected)
        else:
            attributes.append(attribute)
    for name, attribute in ours.items():
        added.append(name)
        attributes.append(attribute)
    groups = list(current.get("groups", []))
    our_group = next(g for g in wanted["groups"] if g["name"] == USER_PROFILE_GROUP)
    if not any(g.get("name") == USER_PROFILE_GROUP for g in groups):
        groups.append(our_group)
        if not added and not changed:
            changed.append(f"group {USER_PROFILE_GROUP}")
    if not current.get("attributes"):
        # a realm about to be created: start from Keycloak's defaults
        return wanted, added, changed
    return {**current, "attributes": attributes, "groups": groups}, added, changed
