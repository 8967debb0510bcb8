#!/usr/bin/env bash
# Start the local Keycloak, render examples/xinghe and load it; say where to look.
set -euo pipefail
cd "$(dirname "$0")/.."

echo "==> Starting the local Keycloak (the first start fetches it with Maven and takes a minute)"
eval "$(groupid keycloak start)"

echo "==> Validating examples/xinghe"
groupid validate examples/xinghe

echo "==> Rendering examples/xinghe into build/demo/"
groupid render examples/xinghe --out build/demo

echo "==> Loading the realm into Keycloak"
groupid import build/demo/xinghe.json --skip-existing

cat <<EOT

Done. Keycloak runs at $GROUPID_SERVER_URL
  Admin console:   $GROUPID_SERVER_URL/admin/master/console/#/xinghe/groups
  Sign in as:      $GROUPID_ADMIN_USER, password in $GROUPID_ADMIN_PASSWORD_FILE
  Rendered realm:  build/demo/xinghe.json
  Use it here:     eval "\$(.venv/bin/groupid keycloak status)"
  Stop it:         make demo-stop
EOT
