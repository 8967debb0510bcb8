"""Reading a realm's live state, never one request per group: see :mod:`groupid.realms.keycloak`."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

from groupid.errors import KeycloakError
from groupid.keycloak_terms import ATTR_MANAGED, KEYCLOAK_CLIENTS
from groupid.realms.keycloak.components import Components
from groupid.realms.keycloak.content import (
    GroupTree,
    RealmContent,
    exported_composites,
    in_order,
    reference_of,
    walk_groups,
)
from groupid.realms.keycloak.flows import SignInFlows
from groupid.realms.keycloak.transport import AdminTransport, admin_url
from groupid.realms.live import LiveClient, LiveGroup, LiveIdentityProvider, LiveOrganization, LiveRealm, LiveRole
from groupid.realms.representations import (
    browser_flow_bindings,
    live_client,
    live_identity_provider,
    live_organization,
    live_role,
    parents_first,
)

EXPORT_TIMEOUT = 600.0
"""Seconds the partial export may take, whatever the connection's timeout. Warm, it answers 5,000 groups in
0.1–0.4 s; cold — the first export after Keycloak starts or imports the realm, while its caches fill — the same
realm took 105–130 s on 2 loaded cores (Keycloak 26.5, H2), far beyond the usual 30 s."""

HEDGE_AFTER = 1.0
"""Seconds the partial export has to answer before the paged read starts beside it. Warm, the export answers
5,000 groups in 0.1–1 s. Cold, Keycloak loads every group it has not cached within the export's one
transaction, and each group's query flushes all those loaded before it, so the export's cost grows with the
square of the groups: 126 s for 5,000 on 2 cores, while the paged read, a transaction per page, took 14 s.
Whichever read answers first is used; the other is dropped."""

STARTED_WITHIN = 600.0
"""Seconds after Keycloak starts during which its realms are read paged alone, the partial export left unasked.
After a restart on PostgreSQL (5,000 groups, 2 cores), the first export took 237.5 s, and the paged read 17.3 s
alone but 26–27 s beside the export, which Keycloak goes on running after groupid stops waiting for it. The
export walks each group's sub-groups, which Keycloak caches only once something has asked for them, and the
paged read does not: in its first minutes, a server is cold for the export. Ten minutes cover a deployment
followed by its plan and apply. Keycloak's uptime comes from ``/admin/serverinfo``, which tells it to an
administrator of the master realm only: for others, the export is hedged as usual."""

UPTIME_WAIT = 5.0
"""Seconds a read waits for Keycloak to say how long it has run; warm, the server info answers in about 0.06 s.
Beyond that, the read goes on as on a server that does not say."""

READ_PATHS = ("partial export", "paged, the partial export refused", "paged, the partial export slow",
              "paged, Keycloak started moments ago")
"""What :attr:`RealmReader.last_path` may say: how the last read got the groups, roles and clients."""


class _Overtaken(Exception):
    """The partial export answered while the paged read was under way: the paged read stops."""


class _Background:
    """One call in a daemon thread of its own, which a caller may stop waiting for: a process that is done
    does not wait for it at exit, and an answer that arrives after nobody waits is dropped. The call answers
    a value (a realm's content, when Keycloak started), or None."""

    def __init__(self, call: Callable[[], Any], name: str):
        self.answered = threading.Event()  #: set when the call returned a value
        self.ended = threading.Event()  #: set when the call returned or raised
        self._value: Any = None
        self._error: Exception | None = None
        threading.Thread(target=self._run, args=(call,), daemon=True, name=name).start()

    def _run(self, call: Callable[[], Any]) -> None:
        try:
            self._value = call()
            if self._value is not None:
                self.answered.set()
        except Exception as exc:  # kept for a caller that still waits; one that gave up never sees it
            self._error = exc
        finally:
            self.ended.set()

    def outcome(self) -> Any:
        """The call's value (None: it was refused, or had nothing to say), or its error raised again."""
        if self._error is not None:
            raise self._error
        return self._value


class RealmReader:
    """The read paths of a :class:`~groupid.realms.keycloak.KeycloakServer`, over its transport."""

    def __init__(self, transport: AdminTransport, hedge_after: float | None = HEDGE_AFTER,
                 started_within: float | None = None):
        self.transport = transport
        self.hedge_after = hedge_after
        """Seconds the partial export has before the paged read starts beside it (:data:`HEDGE_AFTER`); None:
        the paged read waits for the export's answer, however long it takes, even right after Keycloak starts."""
        self.started_within = STARTED_WITHIN if started_within is None else started_within
        """Seconds after Keycloak starts during which a read is paged alone (by default :data:`STARTED_WITHIN`, as
        it is when the reader is made; 0: never)."""
        self._start: _Background | None = None  # the question of when the server started, asked once
        self.last_path: str | None = None  #: how the last read got its content: one of :data:`READ_PATHS`
        self._exports: dict[str, _Background] = {}  # the partial exports still under way, by realm

    def read_raw(self, realm: str) -> LiveRealm:
        """The live state of ``realm`` in a handful of requests, never one per group: see the package's docstring.

        Lock roles and, from the partial export, the roles of Keycloak's own clients are in it; read paged, the
        roles of Keycloak's own clients are not read (groupid's view leaves them out, and each would cost a
        request per client).
        """
        representation = self.transport.request("GET", admin_url(realm), f"read realm {realm}", missing_ok=True)
        if representation is None:
            return LiveRealm(realm, exists=False)
        if self.started_within and self.hedge_after is not None:
            self.ask_uptime()
        user_profile = self.read_user_profile(realm)
        content = self.read_content(realm)
        client_ids = {client.client_id for client in content.clients}
        default_role = (representation.get("defaultRole") or {}).get("name")
        organizations_enabled = bool(representation.get("organizationsEnabled"))
        return LiveRealm(
            name=realm,
            display_name=representation.get("displayName") or None,
            groups=content.groups,
            roles=content.roles,
            client_roles=content.client_roles,
            # the default role is a composite like any other: its composites were read with the roles
            default_roles=next((role.composites for role in content.roles if role.name == default_role), []),
            user_profile=user_profile,
            organizations_enabled=organizations_enabled,
            # Keycloak refuses to list the organizations of a realm that has them off (HTTP 404)
            organizations=self.read_organizations(realm) if organizations_enabled else [],
            clients=content.clients,
            identity_providers=self._read_identity_providers(realm),
            sign_in_flows=SignInFlows(self.transport).read(realm, content.browser_flows, client_ids),
            federations=Components(self.transport).federations(realm, representation["id"]),
        )

    def read_content(self, realm: str) -> RealmContent:
        """The groups, roles and clients of ``realm``, from the partial export or paged, whichever answers first.

        The export is asked first, in a thread of its own. When it has not answered within ``hedge_after``
        seconds, Keycloak is reading the realm cold (:data:`HEDGE_AFTER`), and the paged read starts beside it;
        should the export still answer first, the paged read stops at its next page and the export is used.
        A slow export that lost is left to end on the server (once complete, Keycloak's caches hold the realm for
        the next read); while it runs, a read of the same realm goes paged instead of asking for a second one.
        A server that started moments ago (:data:`STARTED_WITHIN`) is read paged alone: its export would be cold.
        """
        if self.hedge_after is not None and self.started_moments_ago():
            content = self.listed_content(realm)
            self.last_path = READ_PATHS[3]
            return content
        running = self._exports.get(realm)
        if running is not None and not running.ended.is_set() and self.hedge_after is not None:
            content = self.listed_content(realm)
            self.last_path = READ_PATHS[2]
            return content
        export = self._exports[realm] = _Background(lambda: self.exported_content(realm), f"groupid-export-{realm}")
        if export.ended.wait(self.hedge_after):
            del self._exports[realm]
            content = export.outcome()
            if content is None:
                content, self.last_path = self.listed_content(realm), READ_PATHS[1]
            else:
                self.last_path = READ_PATHS[0]
            return content
        try:
            content = self.listed_content(realm, overtaken=export.answered)
            self.last_path = READ_PATHS[2]
            return content
        except Exception:
            # overtaken (_Overtaken), or failed after the export answered: the export's content serves
            if not export.answered.is_set():
                raise
            self.last_path = READ_PATHS[0]
            return export.outcome()

    def started_moments_ago(self) -> bool:
        """Whether Keycloak started less than :attr:`started_within` seconds ago, by :meth:`uptime`."""
        if not self.started_within:
            return False
        uptime = self.uptime()
        return uptime is not None and uptime < self.started_within

    def uptime(self) -> float | None:
        """Seconds Keycloak has run, from its server info, asked once per reader (a reader lives for one
        command, so a restart in its middle goes unseen); None when it is not told within :data:`UPTIME_WAIT`
        seconds: an administrator of another realm than master gets the server info without it, one without
        the right gets HTTP 403, and a failed or slow question is no reason to fail the read."""
        self.ask_uptime()
        if not self._start.ended.wait(UPTIME_WAIT):
            return None
        started = self._start.outcome()
        return None if started is None else time.monotonic() - started

    def ask_uptime(self) -> None:
        """Start asking Keycloak's uptime, in a thread, once per reader: :meth:`read_raw` asks it beside the
        realm's user profile, so that a warm read waits for no extra request."""
        if self._start is None:
            self._start = _Background(self._read_start, "groupid-uptime")

    def _read_start(self) -> float | None:
        """When Keycloak started, on this process's monotonic clock; None when it does not say."""
        try:
            info = self.transport.request("GET", "admin/serverinfo", "read how long Keycloak has run",
                                          missing_ok=True, forbidden_ok=True)
        except KeycloakError:
            return None
        uptime = ((info or {}).get("systemInfo") or {}).get("uptimeMillis")
        if isinstance(uptime, int | float) and not isinstance(uptime, bool):
            return time.monotonic() - uptime / 1000
        return None

    def wait_for_exports(self, timeout: float | None = None) -> bool:
        """Wait until the partial exports this reader left running on the server have ended; False when one
        still runs after ``timeout`` seconds. A dropped export keeps Keycloak busy while it runs."""
        deadline = None if timeout is None else time.monotonic() + timeout
        for export in list(self._exports.values()):
            left = None if deadline is None else max(0.0, deadline - time.monotonic())
            if not export.ended.wait(left):
                return False
        return True

    def exported_content(self, realm: str) -> RealmContent | None:
        """The groups, roles and clients of ``realm`` from one partial export; None when Keycloak refuses it (403).

        The export nests the whole group tree in ``subGroups`` and names each composite by its client's clientId;
        the clients' secrets come masked and are not kept anyway.
        """
        params = {"exportGroupsAndRoles": "true", "exportClients": "true"}
        action = f"export the groups, roles and clients of {realm}"
        exported = self.transport.request("POST", admin_url(realm, "partial-export"), action, params=params, forbidden_ok=True,
                                 timeout=EXPORT_TIMEOUT)
        if exported is None:
            return None
        tree = GroupTree()
        tree.add(exported.get("groups") or ())
        roles = exported.get("roles") or {}
        client_roles = [
            live_role(role, exported_composites(role), client_id)
            for client_id, listed in (roles.get("client") or {}).items() for role in listed
        ]
        return RealmContent(
            groups=parents_first(tree.groups.values()),
            roles=in_order(live_role(role, exported_composites(role), None) for role in roles.get("realm") or ()),
            client_roles=in_order(client_roles),
            clients=[live_client(client) for client in exported.get("clients") or ()],
            browser_flows=browser_flow_bindings(exported.get("clients") or ()),
        )

    def listed_content(self, realm: str, overtaken: threading.Event | None = None) -> RealmContent:
        """The groups, roles and clients of ``realm`` from their paginated lists: the way without partial export.

        Once ``overtaken`` is set, the read stops at its next page of groups (:class:`_Overtaken`).
        """
        listed_roles = self._list_roles(admin_url(realm, "roles"), f"read the roles of {realm}")
        groups = self._read_groups(realm, overtaken or threading.Event())
        # composites name their client by its id: they are read once the clients are known
        listed_clients = self._list_clients(realm)
        clients = [live_client(c) for c in listed_clients]
        client_ids = {client.id: client.client_id for client in clients}
        return RealmContent(
            groups=groups,
            roles=in_order(self._live_roles(realm, listed_roles, None, client_ids)),
            client_roles=self._read_client_roles(realm, clients, client_ids),
            clients=clients,
            browser_flows=browser_flow_bindings(listed_clients),
        )

    def _read_groups(self, realm: str, overtaken: threading.Event) -> list[LiveGroup]:
        """Every group of ``realm``, parents before children, from paged lists; stopped, between two pages, once
        ``overtaken`` is set.

        Every group, flat, from a name search that matches every name, a request per page: no children to look
        for, and no count of each group's children (``subGroupsCount=false``, Keycloak 26.3+), which costs
        Keycloak a query per group. When that search does not answer the whole realm (a server that reads the
        blank search otherwise), the managed groups, the top level and the children are read instead.
        """
        total = self.transport.request("GET", admin_url(realm, "groups", "count"), f"count the groups of {realm}")
        url, action = admin_url(realm, "groups"), f"read the groups of {realm}"
        tree = GroupTree()
        every = {"search": " ", "briefRepresentation": "false", "populateHierarchy": "false", "subGroupsCount": "false"}
        tree.add(self._search_pages(url, action, overtaken, matched=_group_count, **every))
        parents = {group.parent_id for group in tree.groups.values()} - {None}
        if len(tree.groups) == (total or {}).get("count") and parents <= tree.groups.keys():
            return parents_first(tree.groups.values())
        return self._read_group_tree(realm, overtaken)

    def _read_group_tree(self, realm: str, overtaken: threading.Event) -> list[LiveGroup]:
        """Every group of ``realm``, parents before children, from the search of managed groups, the top level,
        and the children of the groups that have more than were seen."""
        tree = GroupTree()
        url, action = admin_url(realm, "groups"), f"read the groups of {realm}"
        # every managed group: a request per page of matches, not per group. Flat (populateHierarchy=false)
        # is twice as fast as Keycloak's default of nesting each match in its ancestors; the ancestors that
        # are not managed are found below like any group made by hand
        search = {"q": f"{ATTR_MANAGED}:true", "briefRepresentation": "false", "populateHierarchy": "false"}
        tree.add(self._search_pages(url, action, overtaken, **search))
        # every top-level group, managed or not
        tree.add(self.transport.pages(url, action, briefRepresentation="false"))
        # groups with more children than seen so far hold subtrees made by hand: read those level by level
        pending = tree.incomplete(list(tree.groups))
        while pending:
            _check(overtaken)
            parent_id = pending.pop()
            children = self.transport.pages(admin_url(realm, "groups", parent_id, "children"), action, briefRepresentation="false")
            pending += tree.incomplete(tree.add(children, parent_id))
        return parents_first(tree.groups.values())

    def _read_client_roles(self, realm: str, clients: list[LiveClient], client_ids: dict[str, str]) -> list[LiveRole]:
        """The roles of every client but Keycloak's own, by clientId and name: a request per page of each client.

        Keycloak's own clients are skipped for what they would cost: groupid's view of a realm leaves their roles
        out (:func:`~groupid.realms.view.realm_as_groupid_sees_it`).
        """
        roles = []
        for client in clients:
            if client.client_id not in KEYCLOAK_CLIENTS:
                url, action = admin_url(realm, "clients", client.id, "roles"), f"read the roles of client '{client.client_id}' of {realm}"
                roles += self._live_roles(realm, self._list_roles(url, action), client.client_id, client_ids)
        return in_order(roles)

    def _list_roles(self, url: str, action: str) -> list[dict]:
        """The role representations listed at ``url`` (the realm's or a client's), attributes included."""
        return list(self.transport.pages(url, action, briefRepresentation="false"))

    def _live_roles(self, realm: str, listed: list[dict], client: str | None, client_ids: dict[str, str]) -> list[LiveRole]:
        """Listed roles (the realm's, or the client ``client``'s) with their composites; ``client_ids`` maps the
        ids of clients to their clientIds."""
        return [live_role(role, self._composites(realm, role, client_ids), client) for role in listed]

    def _composites(self, realm: str, role: dict, client_ids: dict[str, str]) -> list[str]:
        """The references of a role's composites, realm and client roles alike: one request, for a composite only.

        Without ``first`` and ``max`` Keycloak answers them all at once; each says in ``containerId`` whose it is.
        """
        if not role.get("composite"):
            return []
        url = admin_url(realm, "roles-by-id", role["id"], "composites")
        action = f"read the composites of role '{role['name']}' of {realm}"
        return sorted(reference_of(composite, client_ids) for composite in self.transport.request("GET", url, action))

    def read_organizations(self, realm: str) -> list[LiveOrganization]:
        """Every organization of ``realm``; the full list entries carry the attributes, so nothing more is asked."""
        url, action = admin_url(realm, "organizations"), f"read the organizations of {realm}"
        return [live_organization(o) for o in self.transport.pages(url, action, briefRepresentation="false")]

    def _list_clients(self, realm: str) -> list[dict]:
        """The representations of every client of ``realm``, Keycloak's own included (secrets are not kept)."""
        return list(self.transport.pages(admin_url(realm, "clients"), f"read the clients of {realm}"))

    def _read_identity_providers(self, realm: str) -> list[LiveIdentityProvider]:
        """Every identity provider of ``realm`` with its config, secrets left out."""
        url, action = admin_url(realm, "identity-provider", "instances"), f"read the identity providers of {realm}"
        return [live_identity_provider(p) for p in self.transport.pages(url, action, briefRepresentation="false")]

    def read_user_profile(self, realm: str) -> dict:
        """The user profile configuration of ``realm``."""
        return self.transport.request("GET", admin_url(realm, "users", "profile"), f"read the user profile of {realm}")

    def _search_pages(self, url: str, action: str, overtaken: threading.Event,
                      matched: Callable[[list[dict]], int] | None = None, **params) -> Iterator[dict]:
        """Every match of a group search, in pages that never split a run of equal names.

        Keycloak orders a search by name alone, and among equal names (every company has a 财务部) the order
        changes from one request to the next: fixed pages would miss some groups and repeat others. So each
        page ends where the run of its last name begins, and the next page starts there, holding the whole
        run; a run longer than a page doubles the page. A server that nests the matches in their ancestors
        (no ``populateHierarchy``) is paged the plain way, ``matched`` counting the matches of a page (by
        default: the managed groups in it).
        """
        first, size = 0, self.transport.page_size
        while True:
            _check(overtaken)
            page = self.transport.request("GET", url, action, params={**params, "first": first, "max": size})
            if any(entry.get("subGroups") for entry in page):
                yield from page
                yield from self.transport.pages(url, action, matched=matched or _managed_count, start=first + size, **params)
                return
            if len(page) < size:
                yield from page
                return
            run = next(i for i, entry in enumerate(page) if entry["name"] == page[-1]["name"])
            if run == 0:
                size *= 2
                continue
            yield from page[:run]
            first, size = first + run, self.transport.page_size


def _check(overtaken: threading.Event) -> None:
    """Stop a paged read that the partial export overtook."""
    if overtaken.is_set():
        raise _Overtaken


def _group_count(page: list[dict]) -> int:
    """How many groups a search page holds, those nested in others included."""
    return sum(1 for _ in walk_groups(page, None))


def _managed_count(page: list[dict]) -> int:
    """How many groups of a search page carry the managed mark: at least the matches ``max`` counted.

    A flat page holds the matches only. A server that nests them in their ancestors anyway (one that does not
    know ``populateHierarchy``) lists fewer entries than matches; its managed ancestors make the count larger
    than the matches, which costs at most one more, empty, page.
    """
    managed = {g["id"] for g, _ in walk_groups(page, None) if (g.get("attributes") or {}).get(ATTR_MANAGED) == ["true"]}
    return len(managed)
