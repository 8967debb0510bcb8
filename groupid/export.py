"""Writing a spec from a live realm, so that an existing realm can be brought under groupid.

The exported spec describes the realm as it is: ``groupid plan`` against the same realm then shows no
changes. Groups and roles that groupid did not make are listed by plan as unmanaged, and ``groupid apply
--adopt`` takes them over — adopting an existing realm is export, review, apply.

Groups carry their code in ``groupid.code``; a group made by hand gets a code made from its id (``G-`` and
the first characters of the id), which the admin may rename in the spec before adopting.

The clients groupid made for apps (marked ``groupid.app``) come back as ``apps:`` entries: their client roles
and the grants of those roles become the app's ``roles``, ``audience`` (who holds the access role) and
``role_map``, not roles and group roles of their own.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
from pathlib import Path

from pydantic import ValidationError
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq

from groupid.errors import KeycloakError, SourceError
from groupid.keycloak_terms import (
    ACCESS_ROLE,
    ATTR_APP,
    ATTR_CODE,
    ATTR_KIND,
    ATTR_MANAGED,
    ATTR_TEMPLATE,
    KEYCLOAK_DEFAULT_ROLES,
    default_role_name,
    split_reference,
)
from groupid.model import Federation, checked_realm_name
from groupid.realms.base import Connector, connected
from groupid.realms.live import LiveClient, LiveFederation, LiveGroup, LiveRealm
from groupid.state import USER_ATTRIBUTES
from groupid.state.federation import federation_entry
from groupid.text import escape

COMPANY_ATTRIBUTES = ("region", "uscc")


@dataclass(frozen=True)
class ExportResult:
    """What :func:`export_realm` wrote."""

    path: Path
    companies: int
    departments: int
    roles: int
    generated_codes: int  #: groups without a groupid code, given one made from their id
    apps: int = 0
    not_exported: tuple[str, ...] = ()  #: what the spec cannot express, each with why


def export_realm(adapter: Connector, realm: str, out: Path | str) -> ExportResult:
    """Read ``realm`` and write ``out/group.yaml``, a spec that plans to no changes against it.

    ``adapter`` may be a callable that connects: the realm name is checked first (never ``master``).
    """
    checked_realm_name(realm)
    live = connected(adapter).read(realm)
    if not live.exists:
        raise KeycloakError(f"realm '{realm}' does not exist")
    spec, counts, not_exported = _spec_of(live)
    out = Path(out)
    path = out / "group.yaml"
    try:
        out.mkdir(parents=True, exist_ok=True)
        with path.open("w", encoding="utf-8") as handle:
            # escaped: a line break in the realm's name or the path would end the comment and start YAML
            handle.write(escape(f"# Exported by groupid from realm {realm}. Review the codes, then: groupid plan {out}") + "\n")
            YAML().dump(spec, handle)
    except OSError as exc:
        raise SourceError(f"{path}: cannot write: {exc.strerror}") from None
    return ExportResult(path, *counts, not_exported=not_exported)


def _spec_of(live: LiveRealm) -> tuple[CommentedMap, tuple[int, int, int, int, int], tuple[str, ...]]:
    apps = {c.client_id: c for c in live.clients if c.attributes.get(ATTR_APP) and c.attributes.get(ATTR_TEMPLATE)}
    app_entries = CommentedSeq(_app(client, live) for client in apps.values())
    live = _without_app_grants(live, set(apps))
    codes = _codes(live.groups)
    by_id = {g.id: g for g in live.groups}
    companies, departments = CommentedSeq(), CommentedSeq()
    company_of: dict[str, str] = {}  # group id -> code of the company it belongs to (itself for companies)
    for group in live.groups:  # parents come first
        parent = by_id.get(group.parent_id)
        if _is_company(group, parent, codes, company_of):
            company_of[group.id] = codes[group.id]
            companies.append(_company(group, codes, parent))
        else:
            company_of[group.id] = company_of[parent.id]
            departments.append(_department(group, codes, parent, company_of))
    exported = _exported_roles(live)
    roles = CommentedSeq(_role(r) for r in [*live.roles, *live.client_roles] if r.ref in exported)
    info = _flow({
        "code": re.sub(r"[^A-Za-z0-9._-]", "-", live.name.upper()),
        "name": live.display_name or live.name,
        "realm": live.name,
        # organizations groupid made mean the realm was laid out under topology organizations
        "topology": "organizations" if any(o.attribute(ATTR_MANAGED) == "true" for o in live.organizations) else "groups",
        "default_roles": [r for r in live.default_roles if r not in KEYCLOAK_DEFAULT_ROLES],
    })
    declared = {a.get("name") for a in live.user_profile.get("attributes", [])}
    if not {name for name, _ in USER_ATTRIBUTES} <= declared:
        info["declare_user_attributes"] = False
    spec = CommentedMap(group=info, companies=companies, departments=departments, roles=roles)
    if app_entries:
        spec["apps"] = app_entries
    federations, not_exported = _federations(live.federations)
    if federations:
        spec["federation"] = federations
        spec.yaml_set_comment_before_after_key(
            "federation", before="each federation's bind password is read from the environment variable that\n"
            "bind_password_env names: set it before apply (Keycloak never shows the stored one)")
    if "declare_user_attributes" in info:
        spec.yaml_set_comment_before_after_key(
            "companies", before="declare_user_attributes: false keeps the realm's user profile as it is; set it to\n"
            "true before syncing people, so that Keycloak keeps the attributes groupid writes")
    generated = sum(1 for g in live.groups if not g.attribute(ATTR_CODE))
    return spec, (len(companies), len(departments), len(roles), generated, len(app_entries)), not_exported


def _without_app_grants(live: LiveRealm, app_clients: set[str]) -> LiveRealm:
    """``live`` without the app clients' roles and their grants: the apps' entries say those."""
    def kept(refs: list[str]) -> list[str]:
        return [ref for ref in refs if split_reference(ref)[0] not in app_clients]

    groups = [dataclasses.replace(g, client_roles={c: n for c, n in g.client_roles.items() if c not in app_clients})
              for g in live.groups]
    roles = [dataclasses.replace(r, composites=kept(r.composites)) for r in live.roles]
    client_roles = [dataclasses.replace(r, composites=kept(r.composites)) for r in live.client_roles
                    if r.client not in app_clients]
    return dataclasses.replace(live, groups=groups, roles=roles, client_roles=client_roles)


def _app(client: LiveClient, live: LiveRealm) -> CommentedMap:
    """An app's entry from its client: what the client says, and who holds its roles."""
    app_id = client.attributes[ATTR_APP]
    entry: dict = {"id": app_id, "template": client.attributes[ATTR_TEMPLATE]}
    if client.client_id != app_id:
        entry["client_id"] = client.client_id
    if client.name and client.name != app_id:
        entry["name"] = client.name
    if client.description:
        entry["description"] = client.description
    if client.base_url:
        entry["base_url"] = client.base_url
    entry["redirect_uris"] = sorted(client.redirect_uris)
    if any("*" in uri for uri in client.redirect_uris):
        entry["allow_wildcard_redirects"] = True
    names = sorted(r.name for r in live.client_roles if r.client == client.client_id)
    audience = _holders(live, f"{client.client_id}/{ACCESS_ROLE}")
    if any(audience.values()):
        entry["audience"] = _flow({key: values for key, values in audience.items() if values})
    if [n for n in names if n != ACCESS_ROLE]:
        entry["roles"] = [n for n in names if n != ACCESS_ROLE]
    role_map = {}
    for name in entry.get("roles", []):
        held = _holders(live, f"{client.client_id}/{name}")
        holders = [*held["companies"], *held["departments"], *held["roles"]]
        if holders:
            role_map[name] = holders
    if role_map:
        entry["role_map"] = _flow(role_map)
    return _flow(entry)


def _holders(live: LiveRealm, ref: str) -> dict[str, list[str]]:
    """Who holds the role ``ref``: the codes of the company and department groups granted it, and the realm
    roles that include it directly."""
    by_id = {g.id: g for g in live.groups}
    found: dict[str, list[str]] = {"companies": [], "departments": [], "roles": []}
    for group in live.groups:
        if ref in group.role_refs() and group.attribute(ATTR_CODE):
            parent = by_id.get(group.parent_id)
            company = parent is None or group.attribute(ATTR_KIND) == "company"
            found["companies" if company else "departments"].append(group.attribute(ATTR_CODE))
    found["roles"] = sorted(r.name for r in live.roles if ref in r.composites)
    return {key: sorted(values) for key, values in found.items()}


def _exported_roles(live: LiveRealm) -> set[str]:
    """The realm's roles, without Keycloak's own unless a group or another role uses them."""
    used = {ref for g in live.groups for ref in g.role_refs()}
    used |= {ref for r in live.roles if r.name != default_role_name(live.name) for ref in r.composites}
    builtin = {default_role_name(live.name), *KEYCLOAK_DEFAULT_ROLES}
    realm = {r.ref for r in live.roles if r.name not in builtin or r.name in used}
    return realm | {r.ref for r in live.client_roles}


def _federations(federations: list[LiveFederation]) -> tuple[CommentedSeq, tuple[str, ...]]:
    """The spec entries of the LDAP federations the spec can express, and why each other one is left out. Each
    entry's bind password variable is named after the federation (``LDAP_CORP_BIND_PASSWORD`` for ``corp``)."""
    entries, left_out, variables = CommentedSeq(), [], set()
    for federation in federations:
        mapper = federation.group_mappers[0].config if federation.group_mappers else None
        entry = {"name": federation.name}
        stem = "LDAP_" + (re.sub(r"[^A-Z0-9]+", "_", federation.name.upper()).strip("_") or "DIRECTORY")
        variable, count = f"{stem}_BIND_PASSWORD", 1
        while variable in variables:  # two names may spell the same variable (corp-ldap, Corp LDAP)
            count += 1
            variable = f"{stem}_{count}_BIND_PASSWORD"
        variables.add(variable)
        for key, value in federation_entry(federation.component.config, mapper).items():
            entry[key] = value
            if key == "bind_dn":
                entry["bind_password_env"] = variable
        try:
            Federation.model_validate(entry)
        except ValidationError as exc:
            reasons = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors(include_input=False))
            left_out.append(f"LDAP federation {federation.name}: {reasons}")
            continue
        entries.append(_block(entry))
    return entries, tuple(left_out)


def _block(entry: dict) -> CommentedMap:
    """A mapping written as a block, its lists on one line."""
    block = CommentedMap()
    for key, value in entry.items():
        if isinstance(value, dict):
            block[key] = _block(value)
        elif isinstance(value, list):
            block[key] = CommentedSeq(value)
            block[key].fa.set_flow_style()
        else:
            block[key] = value
    return block


def _codes(groups: list[LiveGroup]) -> dict[str, str]:
    """Each group's code: its groupid.code, else one made from its id that no other group uses."""
    taken = {g.attribute(ATTR_CODE) for g in groups if g.attribute(ATTR_CODE)}
    codes: dict[str, str] = {}
    for group in groups:
        code = group.attribute(ATTR_CODE)
        if not code:
            compact = re.sub(r"[^A-Za-z0-9]", "", group.id)
            length = 8
            code = f"G-{compact[:length]}"
            while code in taken:
                length += 4
                code = f"G-{compact[:length]}"
            taken.add(code)
        codes[group.id] = code
    return codes


def _is_company(group: LiveGroup, parent: LiveGroup | None, codes: dict[str, str], company_of: dict[str, str]) -> bool:
    """Top-level groups are companies; below them, groups marked as companies directly under a company."""
    if parent is None:
        return True
    return group.attribute(ATTR_KIND) == "company" and company_of.get(parent.id) == codes[parent.id]


def _company(group: LiveGroup, codes: dict[str, str], parent: LiveGroup | None) -> CommentedMap:
    entry = {"code": codes[group.id], "name": group.name}
    if parent is not None:
        entry["parent"] = codes[parent.id]
    for key in COMPANY_ATTRIBUTES:
        if group.attribute(key):
            entry[key] = group.attribute(key)
    if group.attributes.get("email_domains"):
        entry["email_domains"] = list(group.attributes["email_domains"])
    if group.role_refs():
        entry["roles"] = group.role_refs()
    return _flow(entry)


def _department(group: LiveGroup, codes: dict[str, str], parent: LiveGroup, company_of: dict[str, str]) -> CommentedMap:
    entry = {"code": codes[group.id], "name": group.name, "company": company_of[group.id]}
    if company_of.get(parent.id) != codes[parent.id]:  # the parent is a department, not the company itself
        entry["parent"] = codes[parent.id]
    if group.role_refs():
        entry["roles"] = group.role_refs()
    return _flow(entry)


def _role(role) -> CommentedMap:
    entry = {"name": role.name, **({"client": role.client} if role.client else {})}
    if role.description:
        entry["description"] = role.description
    if role.composites:
        entry["composites"] = sorted(role.composites)
    return _flow(entry)


def _flow(entry: dict) -> CommentedMap:
    """A mapping written on one line, as the hand-written specs are."""
    mapping = CommentedMap(entry)
    for key, value in entry.items():
        if isinstance(value, list):
            seq = CommentedSeq(value)
            seq.fa.set_flow_style()
            mapping[key] = seq
    mapping.fa.set_flow_style()
    return mapping
