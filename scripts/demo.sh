#!/usr/bin/env bash
# groupid's main job on examples/xinghe, as a user runs it: validate the spec, plan it against Keycloak, apply
# it, sync the people of its HR export (a dry run first, then for real), and plan again to see nothing left.
#
#   scripts/demo.sh [REALM]    REALM: put the group's realm under this name (default: the spec's, xinghe)
#
# Starts the local Keycloak, unless GROUPID_SERVER_URL is set: then that Keycloak is used as it is.
set -euo pipefail
cd "$(dirname "$0")/.."

SPEC=examples/xinghe
EXPORT=$SPEC/hr/employees.csv
MAPPING=$SPEC/hr/mapping.yaml
REALM=${1:-xinghe}

step() { printf '\n==> %s\n' "$*"; }

# a sync that rejected some rows of the export exits 4: it did its work, the summary says which rows and why
sync() {
    local status=0
    groupid sync hr "$EXPORT" --spec "$SPEC" --mapping "$MAPPING" --realm "$REALM" "$@" || status=$?
    [ "$status" -eq 0 ] || [ "$status" -eq 4 ] || exit "$status"
}

started=""
if [ -z "${GROUPID_SERVER_URL:-}" ]; then
    started=yes
    step "Starting the local Keycloak (the first start fetches it with Maven and takes a minute)"
    eval "$(groupid keycloak start)"
else
    step "Using the Keycloak at $GROUPID_SERVER_URL (GROUPID_SERVER_URL is set)"
fi

step "groupid validate $SPEC: the spec is checked before anything reaches Keycloak"
groupid validate "$SPEC"

step "groupid plan $SPEC --realm $REALM: what apply would change"
groupid plan "$SPEC" --realm "$REALM"

step "groupid apply $SPEC --realm $REALM --yes: companies, departments and roles into Keycloak"
groupid apply "$SPEC" --realm "$REALM" --yes

step "groupid sync hr $EXPORT --dry-run: who would join, move or leave (nothing is written)"
sync --dry-run

step "groupid sync hr $EXPORT: the people, for real"
sync

step "groupid plan $SPEC --realm $REALM --detailed-exitcode: the realm matches the spec (exit 0)"
groupid plan "$SPEC" --realm "$REALM" --detailed-exitcode

cat <<EOT

Done. Keycloak runs at $GROUPID_SERVER_URL
  Admin console:   $GROUPID_SERVER_URL/admin/master/console/#/$REALM/users
  Sign in as:      $GROUPID_ADMIN_USER, password in ${GROUPID_ADMIN_PASSWORD_FILE:-GROUPID_ADMIN_PASSWORD}
  Run it again:    nothing changes the second time
EOT
if [ -n "$started" ]; then
    cat <<EOT
  Use it here:     eval "\$(.venv/bin/groupid keycloak status)"
  Stop it:         make demo-stop
EOT
fi
