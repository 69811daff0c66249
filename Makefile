# Two commands on a fresh machine:
#   make test   - set up everything (cached in ~/.cache/zotops-zot) and run every test
#   make demo   - set up, then install a local demo zot registry with this collection
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
VENV := .venv
PYTEST_ARGS ?=

.PHONY: setup test unit integration demo build docs clean

setup:
	@scripts/setup-dev-env.sh

test: setup
	@scripts/run-tests.sh $(PYTEST_ARGS)

unit: setup
	@$(VENV)/bin/pytest tests/unit $(PYTEST_ARGS)

integration: setup
	@$(VENV)/bin/pytest tests/integration $(PYTEST_ARGS)

demo: setup
	@scripts/run-demo.sh

docs: setup
	@scripts/build-docs.sh

build: setup
	@$(VENV)/bin/ansible-galaxy collection build --force --output-path tests/output/dist .

clean:
	rm -rf tests/output .venv
