"""The adapter to a real Keycloak server, over its Admin REST API (through python-keycloak).

Its transport is the one place where python-keycloak and requests errors are caught; they leave it as groupid errors
(:class:`KeycloakUnreachable`, :class:`AuthenticationFailed`, :class:`KeycloakError`, :class:`Conflict`).

Reading a realm never goes N+1 (one request per group). The groups, the roles (realm and client roles, with
their composites) and the clients come from one partial export (``POST /partial-export``), which answers the
whole group tree, every role with its composites and every client in a single request. The realm itself, its
user profile, organizations and identity providers come from their own small lists, a request per page of each;
the LDAP federations from the realm's components, and the mappers of each federation from its own.

A server that refuses the partial export (HTTP 403: an identity without the rights it asks for) is read the
paged way instead, and so is one whose export has not answered within a second (:data:`HEDGE_AFTER`): Keycloak
exports a realm it has not cached in a time that grows with the square of its groups, so the paged read starts
beside the export, and whichever answers first is used. In the first minutes after Keycloak starts
(:data:`STARTED_WITHIN`, by the uptime its server info answers), the export is not asked at all: it would be
cold, and Keycloak would go on running it after the paged read had answered.

The paged read counts the groups and pages through a name search that matches every group, flat, each answer naming its parent, and without the count of each
group's children (a query per group for Keycloak); should that search not answer them all, it takes the
managed groups from a paginated attribute search (``q=groupid.managed:true``), the top-level groups, and
``/groups/{id}/children`` for the groups that have more sub-groups than seen so far. Then the roles, the roles
of each client but Keycloak's own, and one request per composite role for all its composites.

Roles are named by references (``name``, ``clientId/name``): a group's client roles come with the group, and a
composite's client is known from the clients read alongside.

Secrets stay out of the state: a client's secret is read only on demand (:meth:`KeycloakServer.client_secret`),
an identity provider's ``clientSecret`` and an LDAP federation's ``bindCredential``, which Keycloak answers
masked, are left out of their config.

The package is built in layers, each importing only those above it:

- :mod:`~groupid.realms.keycloak.content`: the group tree and the roles put together from what a read answers;
- :mod:`~groupid.realms.keycloak.transport`: :class:`AdminTransport`, which signs in and sends one admin
  request at a time, its errors translated, and walks paginated lists;
- :mod:`~groupid.realms.keycloak.reading`: :class:`RealmReader`, the live state of a realm, from the partial
  export or paged;
- :mod:`~groupid.realms.keycloak.people`: :class:`PeopleClient`, users, memberships and realm attributes;
- :mod:`~groupid.realms.keycloak.clients`: :class:`ClientParts`, a client's mappers, scopes, secret and sessions;
- :mod:`~groupid.realms.keycloak.components`: :class:`Components`, the LDAP federations and their mappers;
- :mod:`~groupid.realms.keycloak.server`: :class:`KeycloakServer`, which has a transport, hands it to a reader
  and a people client, and makes every write to a realm's design.
"""

from groupid.realms.keycloak.people import PeopleClient
from groupid.realms.keycloak.reading import EXPORT_TIMEOUT, HEDGE_AFTER, READ_PATHS, STARTED_WITHIN, RealmReader
from groupid.realms.keycloak.server import KeycloakServer
from groupid.realms.keycloak.transport import OAUTH_ERRORS, PAGE_SIZE, AdminTransport, KeycloakAnswer, keycloak_answer

__all__ = [
    "EXPORT_TIMEOUT",
    "HEDGE_AFTER",
    "OAUTH_ERRORS",
    "PAGE_SIZE",
    "AdminTransport",
    "KeycloakAnswer",
    "KeycloakServer",
    "PeopleClient",
    "READ_PATHS",
    "RealmReader",
    "STARTED_WITHIN",
    "keycloak_answer",
]
