#!/usr/bin/env bash
# groupid's main job on examples/xinghe, as a user runs it: validate the spec, plan it against Keycloak, apply
# it (with the group's apps), sync the people of its HR export (a dry run first, then for real), plan again to
# see nothing left; then the apps: who may sign in, the portal pages, and a sample app to sign in to.
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
DEMO_APP=xinghe-demo             # the sample app's entry in $SPEC/apps.yaml: http://127.0.0.1:8765
DEMO_EMPLOYEE=XH000405           # 苏明, 星河智能装备（苏州）工程技术部经理: the person who signs in
STATE=build/demo                 # rendered app files, the demo password and the sample app's pid and log

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

step "groupid apps list $SPEC: the group's apps and who each is for"
groupid apps list "$SPEC"

step "groupid apps who $SPEC mes-sz --realm $REALM: who may sign in to the Suzhou factory's MES"
groupid apps who "$SPEC" mes-sz --realm "$REALM"

step "groupid apps portal $SPEC --out $STATE/portal: a portal page per company"
groupid apps portal "$SPEC" --out "$STATE/portal"

step "groupid apps render $SPEC $DEMO_APP --reveal: the sample app's side, with its secret (kept in $STATE)"
mkdir -p "$STATE" && chmod 700 "$STATE"
groupid apps render "$SPEC" "$DEMO_APP" --realm "$REALM" --reveal --out "$STATE/apps" 2>/dev/null

step "A password for the demo user (written to $STATE/password, printed nowhere)"
user=$(python scripts/demo_user.py "$REALM" "$DEMO_EMPLOYEE" "$STATE/password")

step "Starting the sample app (scripts/sample_app.py) on http://127.0.0.1:8765"
if [ -f "$STATE/sample-app.pid" ]; then  # the sample app of an earlier run
    kill "$(cat "$STATE/sample-app.pid")" 2>/dev/null || true
    rm -f "$STATE/sample-app.pid"
    sleep 1
fi
nohup python scripts/sample_app.py --config "$STATE/apps/$DEMO_APP/oidc.json" >"$STATE/sample-app.log" 2>&1 &
echo $! >"$STATE/sample-app.pid"
for _ in $(seq 50); do
    python - <<'PY' 2>/dev/null && break || sleep 0.2
import urllib.request; urllib.request.urlopen("http://127.0.0.1:8765/", timeout=1)
PY
done
if ! kill -0 "$(cat "$STATE/sample-app.pid")" 2>/dev/null; then
    echo "the sample app did not start (is port 8765 taken?); see $STATE/sample-app.log" >&2
    exit 1
fi

cat <<EOT

Done. Keycloak runs at $GROUPID_SERVER_URL
  Admin console:   $GROUPID_SERVER_URL/admin/master/console/#/$REALM/users
  Sign in as:      $GROUPID_ADMIN_USER, password in ${GROUPID_ADMIN_PASSWORD_FILE:-GROUPID_ADMIN_PASSWORD}
  Run it again:    nothing changes the second time
  Portal pages:    $STATE/portal/index.html

Sign in to the sample app:  http://127.0.0.1:8765/
  as $user (苏明), password: cat $STATE/password
  Stop it:         kill \$(cat $STATE/sample-app.pid)
EOT
if [ -n "$started" ]; then
    cat <<EOT
  Use it here:     eval "\$(.venv/bin/groupid keycloak status)"
  Stop it:         make demo-stop
EOT
fi
