#!/bin/sh
# The Debian packages the test suite needs besides Python's: xmlsec1, the binary pysaml2 signs and verifies
# SAML with; slapd and ldap-utils, the OpenLDAP server the LDAP source is tested against (the tests start
# their own on a free loopback port; the packaged service is never used). Idempotent: apt-get runs only for a package that is missing, and only as root with apt-get at
# hand; otherwise the script says what is missing and exits 0 (the tests that need it skip with the reason,
# or fail under CI).
set -u
PACKAGES="xmlsec1 slapd ldap-utils"

missing=""
for package in $PACKAGES; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing="$missing $package"
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
    echo "install-debian-packages: not installed:$missing (needs root and apt-get); the tests that need them skip" >&2
    exit 0
fi
export DEBIAN_FRONTEND=noninteractive
# shellcheck disable=SC2086
apt-get install -y -q --no-install-recommends $missing >/dev/null 2>&1 \
    || { apt-get update -q >/dev/null 2>&1 && apt-get install -y -q --no-install-recommends $missing >/dev/null; } \
    || echo "install-debian-packages: apt-get could not install:$missing; the tests that need them skip" >&2
exit 0
