"""People and org sources: HR exports (CSV, XLSX, JSON) and directories (LDAP/AD)."""
