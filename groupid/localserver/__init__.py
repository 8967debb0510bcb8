"""A local Keycloak server for trying groupid out and for tests.

The server distribution is fetched once from Maven Central with ``mvn`` and
kept in a cache directory outside the repository; each named *instance* runs
that distribution in ``start-dev`` mode on a free port of 127.0.0.1 and keeps
its state in ``<cache>/instances/<name>/``::

    <cache>/keycloak/<version>/keycloak-<version>/   the unpacked distribution
    <cache>/instances/<name>/state.json             pid, port, url, ... (no secrets)
    <cache>/instances/<name>/admin-password          mode 0600, the only copy of the secret
    <cache>/instances/<name>/keycloak.log            the server's output

The default instance keeps its data in Keycloak's dev-file database (H2 files
under ``<cache>/instances/<name>/data/h2/``), so realms survive a restart and
the admin password stays the one in ``admin-password``; an *ephemeral*
instance (``ephemeral=True``, used by tests) runs on an in-memory database and
forgets everything when stopped.

An instance may keep its data in a database server instead (PostgreSQL, as
production Keycloak runs): pass a :class:`Database`, or set Keycloak's own
``KC_DB``, ``KC_DB_URL``, ``KC_DB_USERNAME`` and ``KC_DB_PASSWORD`` before
starting a persistent instance. Such an instance runs a copy of the
distribution built for that kind of database
(``<cache>/keycloak/<version>/builds/<kind>/``), because the database kind is
a build option and rebuilding the shared one would disturb the H2 servers
running on it. The database password reaches Keycloak in its environment,
never on its command line.

Environment variables:

``GROUPID_CACHE_DIR``         where to keep distributions and instances
                              (else ``$XDG_CACHE_HOME/groupid``, else ``~/.cache/groupid``)
``GROUPID_KEYCLOAK_VERSION``  the Keycloak version to run (default :data:`DEFAULT_VERSION`)
``GROUPID_JAVA_HOME``         the JDK to run Keycloak with (else the newest supported JDK
                              among ``$JAVA_HOME`` and those under ``/usr/lib/jvm``;
                              ``$JAVA_HOME`` wins ties)

The package's modules, in the order a start goes through them:
:mod:`~groupid.localserver.jdk` finds the Java, :mod:`~groupid.localserver.distribution`
fetches the server, :mod:`~groupid.localserver.instance` runs and stops it with the
helpers of :mod:`~groupid.localserver.process`. The names below are the public API.

:class:`~groupid.localserver.slapd.LocalDirectory` is the same for an OpenLDAP directory: a throwaway slapd
on loopback ports, for the LDAP source's tests, demos and benchmarks.

The library never prints: everything that goes wrong is raised as
:class:`~groupid.errors.LocalServerError`.
"""

from groupid.localserver.database import Database
from groupid.localserver.distribution import DEFAULT_VERSION, cache_dir
from groupid.localserver.instance import LocalKeycloak, ServerInfo
from groupid.localserver.jdk import SUPPORTED_JAVA, Jdk, find_jdk
from groupid.localserver.slapd import LocalDirectory
from groupid.localserver.versions import TESTED_VERSIONS

__all__ = [
    "DEFAULT_VERSION",
    "Database",
    "SUPPORTED_JAVA",
    "TESTED_VERSIONS",
    "Jdk",
    "LocalDirectory",
    "LocalKeycloak",
    "ServerInfo",
    "cache_dir",
    "find_jdk",
]
