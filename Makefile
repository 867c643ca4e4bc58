# The README's commands. `make test` runs every test from a clean clone; `make demo` runs the demo.
# Virtual environments and the collection tree for ansible-test are built here from nothing.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := test

PYENV_ROOT := $(shell pyenv root 2>/dev/null || echo $$HOME/.pyenv)
PY311 := $(firstword $(wildcard $(PYENV_ROOT)/versions/3.11.*/bin/python3) $(shell command -v python3.11))
PY313 := $(firstword $(wildcard $(PYENV_ROOT)/versions/3.13.*/bin/python3) $(shell command -v python3.13))

VENV := .venv
CORE_OLD := 2.19
CORE_NEW := 2.21
OLD := $(VENV)/core-$(CORE_OLD)
NEW := $(VENV)/core-$(CORE_NEW)
# Outside the checkout: inside it, ansible-test would list files through the checkout's git and see none of the tree.
TREE := $(or $(TMPDIR),/tmp)/ghpkgs-registry-tree-$(shell printf %s "$(CURDIR)" | md5sum | cut -c1-10)
COLL := $(TREE)/ansible_collections/ghpkgs/registry
PYTEST_ARGS ?= -q

.PHONY: test demo lint venvs tree ansible-test-pip units sanity integration emulator fidelity clean

test: units emulator fidelity sanity lint integration
	@echo "All tests passed."

venvs: $(OLD)/.ok $(NEW)/.ok

$(OLD)/.ok: tests/requirements/dev.txt
	test -x "$(PY311)" || { echo "Python 3.11 not found (pyenv or python3.11)"; exit 1; }
	rm -rf $(OLD) && "$(PY311)" -m venv $(OLD)
	$(OLD)/bin/pip install -q --disable-pip-version-check 'ansible-core==$(CORE_OLD).*' -r tests/requirements/dev.txt
	touch $@

$(NEW)/.ok: tests/requirements/dev.txt
	test -x "$(PY313)" || { echo "Python 3.13 not found (pyenv or python3.13)"; exit 1; }
	rm -rf $(NEW) && "$(PY313)" -m venv $(NEW)
	$(NEW)/bin/pip install -q --disable-pip-version-check 'ansible-core==$(CORE_NEW).*' -r tests/requirements/dev.txt
	touch $@

# ansible-test needs the collection at ansible_collections/ghpkgs/registry: build the artifact and install it there,
# so that every test runs against exactly what Galaxy would ship.
tree: $(OLD)/.ok
	rm -rf $(TREE) build && mkdir -p build $(TREE)
	$(OLD)/bin/ansible-galaxy collection build --output-path build . >/dev/null
	$(OLD)/bin/ansible-galaxy collection install --force -p $(TREE) build/ghpkgs-registry-*.tar.gz >/dev/null
	mkdir -p .cache && ln -sfn $(TREE) .cache/tree
	@echo "collection tree: $(COLL) (also reachable as .cache/tree)"

# ansible-test --venv bootstraps pip with a script it downloads from a host we cannot reach: cache a stand-in.
ANSIBLE_TEST_CACHE := $(HOME)/.ansible/test/cache
ansible-test-pip: venvs
	mkdir -p $(ANSIBLE_TEST_CACHE)
	for venv in $(OLD) $(NEW); do \
	  version=$$(grep -oP "pip='\K[0-9.]+" $$venv/lib/python3*/site-packages/ansible_test/_internal/python_requirements.py); \
	  cp tests/tools/get_pip_offline.py $(ANSIBLE_TEST_CACHE)/get_pip_$${version//./_}.py; \
	done

units: venvs tree ansible-test-pip
	cd $(COLL) && $(CURDIR)/$(OLD)/bin/ansible-test units --venv --python 3.11 --color no
	cd $(COLL) && $(CURDIR)/$(NEW)/bin/ansible-test units --venv --python 3.13 --color no

sanity: venvs tree ansible-test-pip
	cd $(COLL) && $(CURDIR)/$(OLD)/bin/ansible-test sanity --venv --python 3.11 --color no
	cd $(COLL) && $(CURDIR)/$(NEW)/bin/ansible-test sanity --venv --python 3.13 --color no

# Each run starts the emulator with a fresh seed, writes tests/integration/integration_config.yml into the tree,
# runs every target, and stops the emulator.
integration: venvs tree ansible-test-pip
	cd $(COLL) && $(CURDIR)/tests/emulator/run-with-emulator --seed-profile small -- \
	  $(CURDIR)/$(OLD)/bin/ansible-test integration --venv --python 3.11 --color no
	cd $(COLL) && $(CURDIR)/tests/emulator/run-with-emulator --seed-profile small -- \
	  $(CURDIR)/$(NEW)/bin/ansible-test integration --venv --python 3.13 --color no

emulator: $(OLD)/.ok
	PYTHONPATH=tests/emulator $(OLD)/bin/python -m pytest $(PYTEST_ARGS) tests/emulator/tests

fidelity: $(OLD)/.ok
	PATH="$(CURDIR)/$(OLD)/bin:$$PATH" tests/fidelity/run

clean:
	rm -rf $(VENV) .cache build

# ansible-lint --profile production on the roles and playbooks, in its own venv, offline, in the built tree so that
# the collection's FQCNs resolve.
LINT := $(VENV)/lint
$(LINT)/.ok:
	test -x "$(PY311)" || { echo "Python 3.11 not found (pyenv or python3.11)"; exit 1; }
	rm -rf $(LINT) && "$(PY311)" -m venv $(LINT)
	$(LINT)/bin/pip install -q --disable-pip-version-check 'ansible-lint==26.10.1' 'ansible-core==$(CORE_OLD).*'
	touch $@

lint: $(LINT)/.ok tree
	cd $(COLL) && ANSIBLE_COLLECTIONS_PATH=$(abspath $(TREE)) $(CURDIR)/$(LINT)/bin/ansible-lint --offline --profile production roles playbooks

# The README's demo: the emulator with a realistic organization, then report, cleanup dry run, cleanup, restore.
demo: tree
	GHPKGS_DEMO_TREE=$(abspath $(TREE)) tests/demo/run-demo
