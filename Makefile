# groupid — everything a fresh machine needs is installed from here.
#   make test          create .venv, install groupid with its test dependencies, run ruff, the import rules
#                      (docs/architecture.md) and the whole suite; the Debian packages it needs (xmlsec1)
#                      are installed first when missing (scripts/install-debian-packages.sh)
#                      (the suite starts its own Keycloak; the first run fetches it with Maven)
#   make test-compat   the Keycloak tests against each Keycloak version groupid is tested with
#                      (TESTED_VERSIONS in groupid/localserver/versions.py), each on a fresh server
#   make demo          on examples/xinghe: start a local Keycloak, validate, plan, apply, sync its people from
#                      the HR export (dry run, then for real), plan again (no changes), then start a sample app
#                      on http://127.0.0.1:8765 to sign in to (make demo-stop stops it). DEMO_REALM=name puts
#                      the realm under another name; with GROUPID_SERVER_URL set, that Keycloak is used instead
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell cksum < pyproject.toml | cut -d' ' -f1)

# The versions test-compat runs; KEYCLOAK_VERSIONS="26.7.3" picks others.
KEYCLOAK_VERSIONS ?= $$($(BIN)/python -c 'from groupid.localserver import TESTED_VERSIONS; print(*TESTED_VERSIONS)')

.PHONY: install debian-packages lint test test-fast test-compat demo demo-stop clean

install: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	rm -f $(VENV)/.installed-*
	touch $@

test: $(STAMP) debian-packages lint
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# The Debian packages the tests need (xmlsec1 for the SAML proof): installed when missing, as root.
debian-packages:
	sh scripts/install-debian-packages.sh

# ruff (lint and import order) and the import rules of docs/architecture.md (import-linter contracts in
# pyproject.toml): both run before the tests, so that neither style nor layering erodes silently.
lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/lint-imports

test-fast: $(STAMP)
	$(BIN)/python -m pytest -m "not keycloak" $(PYTEST_ARGS)

# One ephemeral instance per version, stopped before (a leftover of a killed run) and after its tests, so each
# version starts fresh and only one runs at a time. CI=1: a version that cannot start fails, never skips;
# GROUPID_TEST_SERVER_URL is dropped, as it would point every run at one server. Every version runs; the
# target fails at the end if one did.
test-compat: $(STAMP)
	@failed=""; for version in $(KEYCLOAK_VERSIONS); do \
	    instance="compat-$$version"; \
	    $(BIN)/groupid keycloak stop --instance "$$instance" >/dev/null 2>&1 || true; \
	    echo "== Keycloak $$version"; \
	    started=$$(date +%s); \
	    status=0; \
	    env -u GROUPID_TEST_SERVER_URL CI=1 GROUPID_KEYCLOAK_VERSION="$$version" GROUPID_TEST_INSTANCE="$$instance" \
	        $(BIN)/python -m pytest -m keycloak $(PYTEST_ARGS) || status=$$?; \
	    $(BIN)/groupid keycloak stop --instance "$$instance" >/dev/null 2>&1 || true; \
	    echo "== Keycloak $$version: exit $$status in $$(( $$(date +%s) - started )) s"; \
	    [ "$$status" -eq 0 ] || failed="$$failed $$version"; \
	done; \
	[ -z "$$failed" ] || { echo "== the Keycloak tests failed on:$$failed"; exit 1; }

demo: $(STAMP)
	PATH="$(CURDIR)/$(BIN):$$PATH" scripts/demo.sh $(DEMO_REALM)

demo-stop: $(STAMP)
	-[ -f build/demo/sample-app.pid ] && kill "$$(cat build/demo/sample-app.pid)" 2>/dev/null; rm -f build/demo/sample-app.pid
	$(BIN)/groupid keycloak stop

clean:
	rm -rf $(VENV) build .pytest_cache
