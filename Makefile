# The README's commands. `make test` runs every test from a clean clone; `make demo` runs the demo.
# Virtual environments and the collection tree for ansible-test are built here from nothing.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := test

PYENV_ROOT := $(shell pyenv root 2>/dev/null || echo $$HOME/.pyenv)
PY311 := $(firstword $(wildcard $(PYENV_ROOT)/versions/3.11.*/bin/python3) $(shell command -v python3.11))
PY312 := $(firstword $(wildcard $(PYENV_ROOT)/versions/3.12.*/bin/python3) $(shell command -v python3.12))
PY313 := $(firstword $(wildcard $(PYENV_ROOT)/versions/3.13.*/bin/python3) $(shell command -v python3.13))

VENV := .venv
CORE_OLD := 2.19
CORE_MID := 2.20
CORE_NEW := 2.21
OLD := $(VENV)/core-$(CORE_OLD)
MID := $(VENV)/core-$(CORE_MID)
NEW := $(VENV)/core-$(CORE_NEW)
# ansible-lint and the release tools
LINT := $(VENV)/release
# Outside the checkout: inside it, ansible-test would list files through the checkout's git and see none of the tree.
TREE := $(or $(TMPDIR),/tmp)/ghpkgs-registry-tree-$(shell printf %s "$(CURDIR)" | md5sum | cut -c1-10)
COLL := $(TREE)/ansible_collections/ghpkgs/registry
# The Galaxy artifact the tree is installed from.
BUILD := $(TREE)-build
PYTEST_ARGS ?=

.PHONY: test quick setup future demo lint style types reliability benchmark venvs tree ansible-test-pip units units-old units-new \
  units-replay sanity integration integration-old integration-new future-tests future-release emulator fidelity registry clean release-check changelog

# Every test, each target timed (tests/tools/run-targets prints the table), in two lanes side by side: the second
# builds its own collection tree. Nothing runs twice: the newest ansible-core's units and integration tests and the
# release checks run in `future`, with the clock moved ahead.
TEST_SETUP := setup
TEST_LANE1 := integration-old future-tests
TEST_LANE2 := TREE=$(TREE)-2 units-old emulator fidelity sanity lint types demo registry reliability future-release
test:
	@tests/tools/run-targets "$(MAKE)" "$(TEST_SETUP)" "$(TEST_LANE1)" "$(TEST_LANE2)"

# The inner loop (under 90 s once the venvs exist): style, types, the unit tests on the newest ansible-core in random
# order, and the emulator's own tests.
quick: style types venvs tree
	cd $(COLL) && PYTHONPATH=$(TREE) $(CURDIR)/$(NEW)/bin/python -m pytest $(PYTEST_ARGS) -n 2 -p randomly -p no:cacheprovider tests/unit
	PYTHONPATH=tests/emulator $(NEW)/bin/python -m pytest $(PYTEST_ARGS) -p randomly -p no:cacheprovider tests/emulator/tests

style: $(OLD)/.ok
	$(OLD)/bin/ruff check --config tests/tools/ruff.toml plugins tests

# mypy over plugins/ (tests/tools/mypy.ini), in the collection tree so that the ansible_collections imports resolve.
types: $(OLD)/.ok tree
	cd $(TREE) && $(CURDIR)/$(OLD)/bin/mypy --config-file $(CURDIR)/tests/tools/mypy.ini -p ansible_collections.ghpkgs.registry.plugins

setup: venvs $(MID)/.ok $(LINT)/.ok tree ansible-test-pip

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

# Sanity only: ansible-test builds its own environments for the tests.
$(MID)/.ok:
	test -x "$(PY312)" || { echo "Python 3.12 not found (pyenv or python3.12)"; exit 1; }
	rm -rf $(MID) && "$(PY312)" -m venv $(MID)
	$(MID)/bin/pip install -q --disable-pip-version-check 'ansible-core==$(CORE_MID).*'
	touch $@

# ansible-test needs the collection at ansible_collections/ghpkgs/registry: build the artifact and install it there,
# so that every test runs against exactly what Galaxy would ship. Rebuilt when a file of the checkout changes.
SOURCES := $(wildcard $(shell git ls-files --cached --others --exclude-standard 2>/dev/null))
tree: $(TREE)/.built
$(TREE)/.built: $(OLD)/.ok $(SOURCES)
	rm -rf $(TREE) $(BUILD) && mkdir -p $(BUILD) $(TREE)
	$(OLD)/bin/ansible-galaxy collection build --output-path $(BUILD) . >/dev/null
	$(OLD)/bin/ansible-galaxy collection install --force -p $(TREE) $(BUILD)/ghpkgs-registry-*.tar.gz >/dev/null
	mkdir -p .cache && ln -sfn $(TREE) .cache/tree
	@echo "collection tree: $(COLL) (also reachable as .cache/tree)"
	touch $@

# ansible-test --venv bootstraps pip with a script it downloads from a host we cannot reach: cache a stand-in.
ANSIBLE_TEST_CACHE := $(HOME)/.ansible/test/cache
ansible-test-pip: venvs $(MID)/.ok
	mkdir -p $(ANSIBLE_TEST_CACHE)
	for venv in $(OLD) $(MID) $(NEW); do \
	  version=$$(grep -oP "pip='\K[0-9.]+" $$venv/lib/python3*/site-packages/ansible_test/_internal/python_requirements.py); \
	  cmp -s tests/tools/get_pip_offline.py $(ANSIBLE_TEST_CACHE)/get_pip_$${version//./_}.py \
	    || cp tests/tools/get_pip_offline.py $(ANSIBLE_TEST_CACHE)/get_pip_$${version//./_}.py; \
	done

# In random order (pytest-randomly, from tests/unit/requirements.txt): the seed is printed as "Using --randomly-seed=N";
# `make units-replay SEED=N` runs the tests again in that order, in one process.
units: units-old units-new
units-old: venvs tree ansible-test-pip
	cd $(COLL) && $(CURDIR)/$(OLD)/bin/ansible-test units --venv --python 3.11 --color no
units-new: venvs tree ansible-test-pip
	cd $(COLL) && $(CURDIR)/$(NEW)/bin/ansible-test units --venv --python 3.13 --color no
SEED ?=
CORE ?= $(NEW)
units-replay: venvs tree
	test -n "$(SEED)" || { echo "make units-replay SEED=N: N is the seed printed as 'Using --randomly-seed=N'"; exit 2; }
	cd $(COLL) && PYTHONPATH=$(TREE) $(CURDIR)/$(CORE)/bin/python -m pytest $(PYTEST_ARGS) -p randomly \
	  -p no:cacheprovider --randomly-seed=$(SEED) tests/unit

sanity: venvs tree ansible-test-pip
	cd $(COLL) && $(CURDIR)/$(OLD)/bin/ansible-test sanity --venv --python 3.11 --color no
	cd $(COLL) && $(CURDIR)/$(NEW)/bin/ansible-test sanity --venv --python 3.13 --color no

# Each run starts the emulator with a fresh seed, writes tests/integration/integration_config.yml into the tree,
# runs every target, and stops the emulator.
integration: integration-old integration-new
integration-old: venvs tree ansible-test-pip
	cd $(COLL) && $(CURDIR)/tests/emulator/run-with-emulator --seed-profile small -- \
	  $(CURDIR)/$(OLD)/bin/ansible-test integration --venv --python 3.11 --color no
integration-new: venvs tree ansible-test-pip
	cd $(COLL) && $(CURDIR)/tests/emulator/run-with-emulator --seed-profile small -- \
	  $(CURDIR)/$(NEW)/bin/ansible-test integration --venv --python 3.13 --color no

# The suite must pass on any day: the newest ansible-core's units and integration tests and the release checks, with
# every process's clock FUTURE ahead (libfaketime; see tests/tools/in-the-future).
# `make test` runs its two halves in its two lanes.
FUTURE ?= +400d
future: future-tests future-release
future-tests: setup
	tests/tools/in-the-future $(FUTURE) $(MAKE) --no-print-directory units-new integration-new
future-release: setup
	tests/tools/in-the-future $(FUTURE) $(MAKE) --no-print-directory release-check

emulator: $(OLD)/.ok
	PYTHONPATH=tests/emulator $(OLD)/bin/python -m pytest $(PYTEST_ARGS) -p randomly -p no:cacheprovider tests/emulator/tests

# Faults, interruptions, concurrent change, bad input, secrets and transport (issue 10), against the installed tree.
reliability: venvs tree
	GHPKGS_COLLECTIONS_PATH=$(abspath $(TREE)) PYTHON=$(CURDIR)/$(OLD)/bin/python tests/reliability/run

# Performance scenarios of issue 9 (about 5 minutes); prints figures, not part of `make test`.
benchmark: $(OLD)/.ok
	$(OLD)/bin/python tests/benchmark/run.py

# The real-registry tier (issue 20): the collection's cleanups through ansible-playbook against the CNCF distribution registry
# behind the emulator's /v2, proven with skopeo after each step. Installs docker-registry and skopeo with apt-get when they
# are missing and fails when it cannot (tests/registry/run).
registry: $(OLD)/.ok tree
	GHPKGS_COLLECTIONS_PATH=$(abspath $(TREE)) PYTHON=$(CURDIR)/$(OLD)/bin/python tests/registry/run

fidelity: $(OLD)/.ok
	PATH="$(CURDIR)/$(OLD)/bin:$$PATH" tests/fidelity/run

clean:
	rm -rf $(VENV) .cache $(TREE) $(BUILD) $(TREE)-2 $(TREE)-2-build

# ansible-lint --profile production on the roles and playbooks, offline, in the built tree so that the collection's
# FQCNs resolve. Its venv also holds the release tools (galaxy-importer brings ansible-lint).
$(LINT)/.ok:
	test -x "$(PY311)" || { echo "Python 3.11 not found (pyenv or python3.11)"; exit 1; }
	rm -rf $(LINT) && "$(PY311)" -m venv $(LINT)
	$(LINT)/bin/pip install -q --disable-pip-version-check 'ansible-lint==26.10.1' 'ansible-core==$(CORE_OLD).*' \
	  'galaxy-importer==0.4.44' 'antsibull-docs==2.28.0' 'antsibull-changelog==0.36.0' 'ansible-builder==3.2.0'
	touch $@

lint: style $(LINT)/.ok tree
	cd $(COLL) && ANSIBLE_COLLECTIONS_PATH=$(abspath $(TREE)) $(CURDIR)/$(LINT)/bin/ansible-lint --offline --profile production roles playbooks

# The README's demo: the emulator with a realistic organization, then report, cleanup dry run, cleanup, restore.
demo: tree
	GHPKGS_DEMO_TREE=$(abspath $(TREE)) tests/demo/run-demo

# What Galaxy and Automation Hub check on upload, and what a release needs:
# - galaxy-importer on the artifact `make tree` built (no Docker: ansible-test off, ansible-doc, ansible-lint on); any
#   WARNING or ERROR line fails, since Galaxy shows them on the collection's page;
# - antsibull-docs: every module, role and docs/docsite page renders, references resolve;
# - antsibull-changelog: fragments and changelog.yaml are valid, and changelog.yaml and CHANGELOG.md hold every fragment
#   and module (`make changelog` updates them);
# - ansible-builder: the EE example in docs/docsite/ee creates its build context with this artifact, and the
#   introspection that runs inside the image finds the collection's Python requirements (meta/execution-environment.yml);
# - ansible-doc renders every module (with examples and return values) and every role of the installed copy;
# - ansible-test sanity on ansible-core 2.20 (units and integration run on the oldest and newest).
RELEASE_TMP := $(or $(TMPDIR),/tmp)/ghpkgs-registry-release-$(shell printf %s "$(CURDIR)" | md5sum | cut -c1-10)
# The recorded date of galaxy.yml's version (today's for a new one): the check must pass on any day.
RELEASE_DATE = $$($(CURDIR)/$(LINT)/bin/python $(CURDIR)/tests/tools/release-date $(CURDIR))
release-check: $(LINT)/.ok tree ansible-test-pip
	rm -rf $(RELEASE_TMP) && mkdir -p $(RELEASE_TMP)
	printf '[galaxy-importer]\nrun_ansible_test = false\nrun_ansible_doc = true\nrun_ansible_lint = true\noffline_ansible_lint = true\ncheck_changelog = true\n' \
	  > $(RELEASE_TMP)/galaxy-importer.cfg
	cd $(RELEASE_TMP) && PATH="$(CURDIR)/$(LINT)/bin:$$PATH" GALAXY_IMPORTER_CONFIG=$(RELEASE_TMP)/galaxy-importer.cfg \
	  $(CURDIR)/$(LINT)/bin/python -m galaxy_importer.main $(BUILD)/ghpkgs-registry-*.tar.gz > importer.log 2>&1 \
	  || { cat importer.log; exit 1; }
	! grep -E '^(WARNING|ERROR)' $(RELEASE_TMP)/importer.log || { echo "galaxy-importer reported the lines above"; exit 1; }
	grep -qx 'Importer processing completed successfully' $(RELEASE_TMP)/importer.log
	PATH="$(CURDIR)/$(LINT)/bin:$$PATH" $(LINT)/bin/antsibull-docs lint-collection-docs --plugin-docs \
	  --validate-collection-refs all --disallow-unknown-collection-refs --check-extra-docs-refs .
	$(LINT)/bin/antsibull-changelog lint
	$(LINT)/bin/antsibull-changelog lint-changelog-yaml changelogs/changelog.yaml
	mkdir -p $(RELEASE_TMP)/changelog/ansible_collections/ghpkgs/registry && git ls-files -z --cached --others --exclude-standard \
	  | tar --null --ignore-failed-read -T - -cf - | tar -xf - -C $(RELEASE_TMP)/changelog/ansible_collections/ghpkgs/registry
	cd $(RELEASE_TMP)/changelog/ansible_collections/ghpkgs/registry && PATH="$(CURDIR)/$(LINT)/bin:$$PATH" \
	  $(CURDIR)/$(LINT)/bin/antsibull-changelog release --update-existing --reload-plugins --date $(RELEASE_DATE) 2>/dev/null
	diff -u changelogs/changelog.yaml $(RELEASE_TMP)/changelog/ansible_collections/ghpkgs/registry/changelogs/changelog.yaml \
	  && diff -u CHANGELOG.md $(RELEASE_TMP)/changelog/ansible_collections/ghpkgs/registry/CHANGELOG.md \
	  || { echo "changelogs/changelog.yaml or CHANGELOG.md is not up to date with the fragments and plugins: run 'make changelog'"; exit 1; }
	artifact=$$(basename $(BUILD)/ghpkgs-registry-*.tar.gz); grep -q "$$artifact" docs/docsite/ee/execution-environment.yml \
	  && grep -q "$$artifact" docs/docsite/ee/requirements.yml || { echo "docs/docsite/ee/*.yml must name $$artifact"; exit 1; }
	mkdir -p $(RELEASE_TMP)/ee && cp docs/docsite/ee/execution-environment.yml docs/docsite/ee/requirements.yml $(BUILD)/ghpkgs-registry-*.tar.gz $(RELEASE_TMP)/ee/
	cd $(RELEASE_TMP)/ee && $(CURDIR)/$(LINT)/bin/ansible-builder create -f execution-environment.yml -c context >/dev/null
	$(LINT)/bin/python $(RELEASE_TMP)/ee/context/_build/scripts/introspect.py introspect --sanitize $(TREE) > $(RELEASE_TMP)/ee/introspect.txt 2>/dev/null
	grep -q 'requests.*from collection ghpkgs.registry' $(RELEASE_TMP)/ee/introspect.txt
	for module in $$(basename -s .py plugins/modules/*.py); do \
	  ANSIBLE_NOCOLOR=1 ANSIBLE_COLLECTIONS_PATH=$(TREE) $(LINT)/bin/ansible-doc ghpkgs.registry.$$module > $(RELEASE_TMP)/doc.txt; \
	  grep -q '^EXAMPLES:' $(RELEASE_TMP)/doc.txt && grep -q '^RETURN VALUES:' $(RELEASE_TMP)/doc.txt \
	    || { echo "ansible-doc ghpkgs.registry.$$module: no EXAMPLES or RETURN"; exit 1; }; \
	done
	for role in $$(ls roles); do \
	  ANSIBLE_NOCOLOR=1 ANSIBLE_COLLECTIONS_PATH=$(TREE) $(LINT)/bin/ansible-doc -t role ghpkgs.registry.$$role > $(RELEASE_TMP)/doc.txt; \
	  grep -q '^ENTRY POINT: \*main\* - ' $(RELEASE_TMP)/doc.txt \
	    || { echo "ansible-doc -t role ghpkgs.registry.$$role: no documented main entry point"; exit 1; }; \
	done
	cd $(COLL) && $(CURDIR)/$(MID)/bin/ansible-test sanity --venv --python 3.12 --color no
	rm -rf $(RELEASE_TMP)

# Fold new fragments (changelogs/fragments/, kept) and plugin descriptions into the unpublished release of galaxy.yml's
# version, and regenerate CHANGELOG.md. After publishing, bump galaxy.yml's version: the next fragments start a new release.
changelog: $(LINT)/.ok
	PATH="$(CURDIR)/$(LINT)/bin:$$PATH" $(LINT)/bin/antsibull-changelog release --update-existing --reload-plugins --date $(RELEASE_DATE)
