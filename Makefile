# groupid — everything a fresh machine needs is installed from here.
#   make test   create .venv, install groupid with its test dependencies, run the whole suite
#               (the suite starts its own Keycloak; the first run fetches it with Maven)
#   make demo   start a local Keycloak, render examples/xinghe and load it
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell cksum < pyproject.toml | cut -d' ' -f1)

.PHONY: install test test-fast demo demo-stop clean

install: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	rm -f $(VENV)/.installed-*
	touch $@

test: $(STAMP)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

test-fast: $(STAMP)
	$(BIN)/python -m pytest -m "not keycloak" $(PYTEST_ARGS)

demo: $(STAMP)
	PATH="$(CURDIR)/$(BIN):$$PATH" scripts/demo.sh

demo-stop: $(STAMP)
	$(BIN)/groupid keycloak stop

clean:
	rm -rf $(VENV) build .pytest_cache
