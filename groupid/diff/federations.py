"""LDAP user federations and their group mappers, matched by name and compared field by field.

Only the config keys groupid sets are compared; the bind password never is (Keycloak answers it masked, and it
is never in a plan). A federation made by hand is reported, not touched, and so are its mappers; Keycloak's own
default mappers of a federation (username, email, names, dates) are never read. A group mapper is groupid's when
its ``subType`` is :data:`~groupid.keycloak_terms.MANAGED_SUBTYPE`, as a federation's is.
"""

from __future__ import annotations

from groupid.diff.context import RealmComparison, shown_value
from groupid.diff.objects import diff_objects
from groupid.keycloak_terms import BIND_CREDENTIAL, MANAGED_SUBTYPE
from groupid.payloads import FederationMapperPayload, FederationPayload
from groupid.plan import Action
from groupid.realms.live import LiveComponent, LiveFederation
from groupid.state.nodes import Config


def component_view(config: Config, sub_type: str | None = MANAGED_SUBTYPE) -> dict:
    """The fields of a component a plan compares: groupid's mark, and ``config.<key>``, one value as itself."""
    return {"subType": sub_type, **{f"config.{key}": shown_value(values) for key, values in config.items()}}


def live_view(component: LiveComponent) -> dict:
    """:func:`component_view` of a live component: an adopted one without groupid's mark gets it."""
    return component_view(component.config, component.sub_type)


def managed_component(component: LiveComponent) -> bool:
    """Whether groupid made the component (its subType is groupid's mark)."""
    return component.sub_type == MANAGED_SUBTYPE


def diff_federations(comparison: RealmComparison) -> None:
    """The LDAP federations the spec declares, then their group mappers."""
    nodes = {node.name: node for node in comparison.desired.federations}
    live: dict[str, LiveFederation] = {}
    for federation in comparison.live.federations:
        live.setdefault(federation.name, federation)  # Keycloak allows two of a name; the first is the one compared

    def payload(name: str, federation: LiveFederation | None) -> FederationPayload:
        node = nodes.get(name)
        known = federation.component.id if federation else None
        if node is None:
            return FederationPayload(name, known)
        return FederationPayload(name, known, node.config, node.bind_password_env if name in sends else "")

    # Keycloak answers a stored password masked, so no comparison can tell a changed one: it is sent on
    # creation and, when asked, again, and the change says so (an update otherwise keeps the stored one)
    sends = {name for name in nodes if name not in live or comparison.options.rotate_bind_passwords}
    wanted = {name: component_view(node.config) for name, node in nodes.items()}
    for name in sends:
        wanted[name][f"config.{BIND_CREDENTIAL}"] = f"from ${nodes[name].bind_password_env}"
    diff_objects(comparison, "federation", wanted,
                 {name: f.component for name, f in live.items()}, view=live_view,
                 is_owned=managed_component, payload=lambda name, c: payload(name, live.get(name) if c else None),
                 label=lambda name: f"LDAP federation {name}")
    for change in comparison.changes:
        if change.kind == "federation" and change.action == Action.DELETE:
            comparison.note("federation", change.key, f"deleting LDAP federation {change.key} also deletes, in "
                            "Keycloak, every user it imported, with their roles, groups and sessions")
    _diff_group_mappers(comparison, nodes, live)


def _diff_group_mappers(comparison: RealmComparison, nodes: dict, live: dict[str, LiveFederation]) -> None:
    """The group mapper of each federation groupid creates or owns (or adopts); none below another's."""
    ours = {name for name, f in live.items() if managed_component(f.component) or comparison.options.adopt}
    ours |= set(nodes) - set(live)
    wanted = {node.mapper_key: component_view(node.group_mapper)
              for name, node in nodes.items() if node.group_mapper and name in ours}
    mappers = {f"{name}/{mapper.name}": (name, mapper)
               for name, f in live.items() if name in ours for mapper in f.group_mappers}

    def payload(key: str, mapper: LiveComponent | None) -> FederationMapperPayload:
        federation, _, name = key.partition("/")
        parent = live[federation].component.id if federation in live else None
        node = nodes.get(federation)
        config = node.group_mapper if node and key in wanted else {}
        return FederationMapperPayload(federation, name, parent, mapper.id if mapper else None, config or {})

    diff_objects(comparison, "federation-mapper", wanted, {key: m for key, (_, m) in mappers.items()},
                 view=live_view, is_owned=managed_component, payload=payload,
                 label=lambda key: f"group mapper {key.partition('/')[2]} of LDAP federation {key.partition('/')[0]}")
