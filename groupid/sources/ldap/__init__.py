"""Reading an LDAP or Active Directory server into normalised person rows, as a source config file describes it.

The config file names the server, the people search, which attribute feeds which person field, and — as an
HR mapping does — how coded values translate, which people are in scope and the sync policy::

    url: ldaps://dc1.example.com               # or a list, tried in order; ldap:// (with start_tls: true)
    bind_dn: cn=groupid,ou=system,dc=example,dc=com
    bind_password_env: GROUPID_LDAP_PASSWORD   # or bind_password_file: (exactly one; never the password)
    ca_file: corp-ca.pem                       # relative paths from the config's directory
    timeout: 30                                # seconds; page_size: 500 (1 to 1000)
    type: openldap                             # openldap | active_directory
    people: {base: "ou=people,dc=example,dc=com", filter: "(objectClass=inetOrgPerson)", scope: subtree}
    anchor: entryUUID                          # the default; objectGUID on active_directory
    key: employee_id
    columns: {employee_id: employeeNumber, name: cn, company: o, email: mail, manager: manager}
    departments: {from: attribute}             # attribute | ou | groups (with base, filter, code: cn)
    roles: {base: "ou=groups,dc=example,dc=com", filter: "(objectClass=groupOfNames)",
            map: {"cn=approvers,ou=groups,dc=example,dc=com": finance-approver}}   # nested: true
    values: {status: {inactive: terminated}}
    scope: 'employment_type ne "intern"'
    policy: {absent: leaver}

Each entry becomes a :class:`~groupid.sources.SourceRow` (with its ``anchor`` — an objectGUID as GUID text —
and, with ``roles:``, the realm roles its groups map to), a :class:`~groupid.sources.Rejection` with every
reason (two values where a person has one, a missing anchor, a key another entry has too), or an
:class:`~groupid.sources.OutOfScope` row. Without ``employee_id`` in ``columns`` the anchor is the employee ID.
``manager`` holds DNs, turned into the manager's employee ID once every entry is read (a DN of no one read:
no manager). Departments come from the department column, from the nearest OU below the people base, or from
the department group a person is a direct member of. On Active Directory, a set ACCOUNTDISABLE bit of
``userAccountControl`` makes the status ``terminated``; a cleared one, the status column's (or ``active``).

The directory is read whole, page by page, before anything else: a search that cannot be read in full is a
:class:`~groupid.errors.DirectoryError`, never a shorter list of people. The source is registered as ``ldap``
(``source_reader("ldap")`` is :func:`read_directory`).

The package follows the reading: ``config`` loads the file (``connection``: the server part), ``directory`` is the adapter to the server,
``names``, ``filters`` and ``escaping`` handle DNs and filters, ``groups`` reads group membership, ``ad``
knows Active Directory's encodings, ``people`` puts it all together.
"""

from groupid.sources import register_source
from groupid.sources.ldap.ad import guid_text
from groupid.sources.ldap.config import LdapConfig, load_config
from groupid.sources.ldap.connection import Connection
from groupid.sources.ldap.people import LDAP, DirectoryPeople, read_directory

__all__ = ["LDAP", "Connection", "DirectoryPeople", "LdapConfig", "guid_text", "load_config", "read_directory"]

register_source(LDAP, read_directory)
