#!/usr/bin/env python3
"""Give one person of the demo realm a password, so that they can sign in to the sample app.

    scripts/demo_user.py REALM EMPLOYEE_ID PASSWORD_FILE

The person is found by the employee ID the HR sync wrote (attribute employee_id). The password is made here,
set in Keycloak (not temporary) and written to PASSWORD_FILE, readable only by you; it is printed nowhere. The
username is printed. Connection settings come from the environment, as for groupid itself. For the demo only:
real people set their own passwords.
"""

from __future__ import annotations

import os
import secrets
import sys
from pathlib import Path

from groupid.errors import GroupidError
from groupid.realms import connect
from groupid.realms.keycloak.transport import admin_url


def main(realm: str, employee_id: str, password_file: str) -> int:
    """Set the password; print the username."""
    server = connect()
    person = next((u for u in server.read_users(realm) if u.attribute("employee_id") == employee_id), None)
    if person is None:
        sys.stderr.write(f"no user with employee_id {employee_id} in realm {realm}: did the HR sync run?\n")
        return 1
    password = secrets.token_urlsafe(12)
    server.transport.request("PUT", admin_url(realm, "users", person.id, "reset-password"),
                             f"set the password of {person.username}",
                             body={"type": "password", "value": password, "temporary": False})
    path = Path(password_file)
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write(password + "\n")
    print(person.username)
    return 0


if __name__ == "__main__":
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    try:
        sys.exit(main(*sys.argv[1:]))
    except GroupidError as exc:
        sys.exit(f"error: {exc}")
