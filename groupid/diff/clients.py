"""Clients compared in full: every field the desired representation sets, its protocol mappers by name, its
default client scopes as a set, and of its attributes only the keys groupid sets.

What is compared follows from the desired representation itself, not from a fixed list: an app's client (from
its template) sets flows, URLs, web origins, mappers and scopes, a link between realms a handful of fields, and
each is compared on what it sets. A field Keycloak fills in and groupid does not set is never part of a plan.
Secrets never are either: a client whose secret comes from a file says so, masked.
"""

from __future__ import annotations

import os
from typing import Any

from groupid.apps.clients import APP_ATTRIBUTES
from groupid.diff.context import RealmComparison
from groupid.diff.objects import diff_objects
from groupid.keycloak_terms import ATTR_APP, ATTR_MANAGED
from groupid.payloads import ClientPayload
from groupid.realms.live import LiveClient
from groupid.state.nodes import ClientNode

SET_FIELDS = frozenset({"redirectUris", "webOrigins", "defaultClientScopes", "optionalClientScopes"})
"""Fields whose order means nothing: compared sorted."""


def client_view(representation: dict, *, removed_mappers: list[str] = (), cleared: list[str] = ()) -> dict:
    """The fields of a client representation a plan compares, by readable name.

    ``protocolMappers.<name>`` is the mapper's type and config in one line; ``attributes.<key>`` each attribute;
    ``removed_mappers`` and ``cleared`` attributes are wanted gone (compared as None).
    """
    view: dict[str, Any] = {}
    for name, value in representation.items():
        if name in ("clientId", "secret"):
            continue
        if name == "attributes":
            view.update({f"attributes.{key}": _blank_none(item) for key, item in value.items()})
        elif name == "protocolMappers":
            view.update({f"protocolMappers.{mapper['name']}": mapper_text(mapper) for mapper in value})
        elif name in SET_FIELDS:
            view[name] = sorted(value or ())
        else:
            view[name] = _blank_none(value)
    view.update({f"protocolMappers.{name}": None for name in removed_mappers})
    view.update({f"attributes.{key}": None for key in cleared})
    return view


def mapper_text(mapper: dict, keys: set[str] | None = None) -> str:
    """A protocol mapper as a plan shows it: ``type: key=value, …``, its config sorted (only ``keys`` when given)."""
    config = mapper.get("config") or {}
    shown = ", ".join(f"{key}={config[key]}" for key in sorted(config) if keys is None or key in keys)
    return f"{mapper.get('protocolMapper')}: {shown}"


def live_client_view(client: LiveClient, wanted: dict) -> dict:
    """The fields of a live client a plan compares with the desired representation ``wanted``: the fields it
    sets, and each mapper's config cut to the keys it sets (Keycloak adds config of its own to some mappers)."""
    fields = {"name": client.name, "enabled": client.enabled, "publicClient": client.public_client,
              "rootUrl": client.root_url, "redirectUris": client.redirect_uris,
              "defaultClientScopes": client.default_client_scopes, "optionalClientScopes": client.optional_client_scopes,
              **client.settings}
    live = {name: fields.get(name) for name in wanted if name not in ("attributes", "protocolMappers")}
    view = client_view({**live, "attributes": client.attributes})
    if "protocolMappers" in wanted:
        keys = {mapper["name"]: set(mapper.get("config") or {}) for mapper in wanted["protocolMappers"]}
        view.update({f"protocolMappers.{m['name']}": mapper_text(m, keys.get(m["name"])) for m in client.protocol_mappers})
    return view


def diff_clients(comparison: RealmComparison) -> None:
    """The clients groupid makes — apps' clients and links between realms — matched by clientId."""
    nodes = {c.client_id: c for c in comparison.desired.clients}
    live = {c.client_id: c for c in comparison.live.clients}
    wanted = {key: client_view(node.representation, **_gone(node, live.get(key))) for key, node in nodes.items()}
    for key, node in nodes.items():
        if node.secret_file and key not in live:
            wanted[key]["secret"] = f"from the file {node.secret_file}"

    def view(client: LiveClient) -> dict:
        node = nodes.get(client.client_id)
        return live_client_view(client, node.representation if node else {})

    def payload(client_id: str, client: LiveClient | None) -> ClientPayload:
        node = nodes.get(client_id)
        if node is None:
            return ClientPayload(client_id, client.id if client else None, {})
        return ClientPayload(client_id, client.id if client else None, _written(node, client), _secret_file(node))

    diff_objects(comparison, "client", wanted, live, view=view,
                 is_owned=lambda c: c.attributes.get(ATTR_MANAGED) == "true",
                 payload=payload, label=lambda client_id: f"client {client_id}")


def _gone(node: ClientNode, client: LiveClient | None) -> dict:
    """What an owned live client has that ``node`` no longer wants: mappers, and attributes groupid sets on
    apps' clients."""
    if client is None:
        return {}
    wanted = node.representation
    mappers = {mapper["name"] for mapper in wanted.get("protocolMappers") or ()}
    removed = [m["name"] for m in client.protocol_mappers if m["name"] not in mappers] if "protocolMappers" in wanted else []
    attributes = wanted.get("attributes") or {}
    cleared = [key for key in APP_ATTRIBUTES if ATTR_APP in attributes and key not in attributes
               and client.attributes.get(key) not in (None, "")]
    return {"removed_mappers": removed, "cleared": cleared}


def _written(node: ClientNode, client: LiveClient | None) -> dict:
    """The representation apply writes: the desired one, with the attributes groupid no longer sets cleared (an
    empty value is how Keycloak's PUT removes a key)."""
    cleared = _gone(node, client).get("cleared", [])
    if not cleared:
        return node.representation
    return {**node.representation, "attributes": {**node.representation["attributes"], **dict.fromkeys(cleared, "")}}


def _secret_file(node: ClientNode) -> tuple[str, str] | None:
    """Where apply reads the client's secret: the spec directory and the path in it, as the spec names it."""
    if not node.secret_file:
        return None
    return (os.path.abspath(node.spec_directory or "."), node.secret_file)


def _blank_none(value: Any) -> Any:
    """Keycloak answers a cleared text as empty or not at all: both are None here."""
    return None if value == "" else value
