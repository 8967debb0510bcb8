"""How long the values groupid writes into Keycloak may be.

Keycloak keeps most names and attribute values in database columns of 255 characters. A longer value is not
refused with a message: the database write fails and Keycloak answers HTTP 500 ("unknown_error"), part-way
through an apply. The spec's validation (:mod:`groupid.model`) checks these limits first, so that apply never
meets them. Lengths count characters (a Chinese character is one).

Each limit names the column it comes from, as Keycloak's Liquibase changelogs define it
(``model/jpa/src/main/resources/META-INF/jpa-changelog-<version>.xml`` in Keycloak's source, shipped in
``keycloak-model-jpa.jar``), and was measured against Keycloak 26.5.6: a value at the limit is stored, one
character more fails.
"""

from __future__ import annotations

NAME = 255
"""A group's name (``KEYCLOAK_GROUP.NAME``, NVARCHAR(255), jpa-changelog-2.5.0), an organization's name
(``ORG.NAME``, VARCHAR(255), 25.0.0) and an identity provider's display name
(``IDENTITY_PROVIDER.PROVIDER_DISPLAY_NAME``, VARCHAR(255), 2.3.0). Company and department names become the
first two; the group's name is the display name of the link in each company realm."""

ATTRIBUTE_VALUE = 255
"""One value of a group's attribute (``GROUP_ATTRIBUTE.VALUE``, NVARCHAR(255), 2.5.0) or a role's
(``ROLE_ATTRIBUTE.VALUE``, NVARCHAR(255), 4.6.0). An organization keeps its attributes on a group of its own,
so the same limit holds there. Codes (``groupid.code``), regions and parent codes are written as such values.
A list attribute stores each value in a row of its own: the limit is per value, not per list."""

ROLE_NAME = 255
"""A role's name (``KEYCLOAK_ROLE.NAME``, NVARCHAR(255), 2.5.0)."""

DESCRIPTION = 255
"""A role's description (``KEYCLOAK_ROLE.DESCRIPTION``, NVARCHAR(255), 2.5.0); a group's description
(``KEYCLOAK_GROUP.DESCRIPTION``, 26.3.0) has the same width."""

ORGANIZATION_ALIAS = 255
"""An organization's alias (``ORG.ALIAS``, VARCHAR(255), 26.0.0): groupid uses the company code in lower case."""

CLIENT_ID = 255
"""A client's clientId (``CLIENT.CLIENT_ID``, VARCHAR(255), renamed from ``NAME`` in 1.2.0.CR1)."""

CLIENT_NAME = 255
"""A client's display name (``CLIENT.NAME``, NVARCHAR(255), 2.5.0)."""

REDIRECT_URI = 255
"""One redirect URI of a client (``REDIRECT_URIS.VALUE``, VARCHAR(255), 1.0.0.Final)."""

REALM_NAME = 237
"""A realm's name. ``REALM.NAME`` is VARCHAR(255), but creating a realm also gives its ``account`` client the
redirect URI ``/realms/<name>/account/*``, 18 characters more, in a column of 255: a name of 237 characters
creates the realm, 238 fails with HTTP 500."""

USER_FIELD = 255
"""A user's username, first name, last name and email (``USER_ENTITY``, VARCHAR(255); the default user profile
also validates each with ``length: max 255``). A person's name becomes the first and last name."""
