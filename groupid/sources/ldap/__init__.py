"""Reading an LDAP or Active Directory server into person rows, as a source config file describes it.

Under construction: the directory adapter (:mod:`groupid.sources.ldap.directory`) and the escaping of values
in filters and DNs (:mod:`groupid.sources.ldap.escaping`).
"""
