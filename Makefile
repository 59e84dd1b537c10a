# Every target runs from the repo root. `make install` builds .venv with everything the
# project needs, at the versions of requirements/dev.lock; the other targets create it on
# first use.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
PY     := $(BIN)/python
LOCK   := requirements/dev.lock
# make demo's venv: the runtime alone (the core and these extras), not the dev toolchain.
DEMO_VENV   ?= .venv-demo
DEMO_EXTRAS := server cli
# Python caches compiled modules (and pytest its assertion-rewritten tests) in __pycache__;
# an environment that turns that off makes every xdist worker and every process a test
# starts compile lro, pydantic, httpx and each test module again (a worker's collection:
# 5.0 s without the cache, 2.1 s with it). The targets keep Python's default.
unexport PYTHONDONTWRITEBYTECODE

.PHONY: install generate unasync check-generated check test lint typecheck docs demo bench bench-quick build release lock mutation clean

install: $(VENV)/.installed

# The locked toolchain (hashes checked), then the project itself: editable, no dependencies,
# built by the locked setuptools.
$(VENV)/.installed: pyproject.toml $(LOCK)
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q --require-hashes -r $(LOCK)
	$(PY) -m pip install -q --no-deps --no-build-isolation -e .
	touch $@

## refresh requirements/dev.lock after editing pyproject.toml's requirements (uv, every
## Python from 3.10, every platform, hashes); UPGRADE=1 also moves every pin to the newest
lock:
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) scripts/lock.py $(if $(UPGRADE),--upgrade)

## generated/ from openapi.yaml (deletes it first; byte-identical on every run)
generate: install
	$(PY) scripts/generate.py

## regenerate and fail, naming the files, if generated/ differs from what is committed, or
## if a sync module made from the async half (scripts/unasync.py) differs from it
check-generated: install
	$(PY) scripts/generate.py --check
	$(PY) scripts/unasync.py --check

## the sync modules made from the async ones (scripts/unasync.py)
unasync: install
	$(PY) scripts/unasync.py

lint: install
	$(BIN)/ruff check wrapper tests bench scripts
	$(BIN)/ruff format --check wrapper tests bench scripts
	$(BIN)/mypy
	$(BIN)/lint-imports

## the fast tier, after each edit (about a minute once the venv exists): lint, types and
## every test that starts no process (not marked slow), without coverage. Its tests mostly
## wait on sockets, so it runs three xdist workers a core (CHECK_WORKERS to change it).
CHECK_WORKERS ?= $(shell $(PYTHON) -c "import os; print(3 * (os.cpu_count() or 1))")
check: lint
	$(BIN)/pytest -q -n $(CHECK_WORKERS) --dist worksteal -m "not slow"

## the whole suite: drift check, lint, types, both tiers with branch coverage of wrapper/,
## on every core (this is what .ci/run calls). It fails below [tool.coverage.report]
## fail_under overall, or below CLIENT_COVERAGE for the client (lro without its CLI and
## demo); docs/testing.md.
CLIENT_COVERAGE ?= 95
## two xdist workers a core: half the suite's time is spent waiting on sockets and clocks
WORKERS ?= $(shell $(PYTHON) -c "import os; print(2 * (os.cpu_count() or 1))")
test: check-generated lint
	rm -f .coverage .coverage.*
	COVERAGE_FILE=$(CURDIR)/.coverage $(BIN)/pytest -q -n $(WORKERS) --dist worksteal \
		--cov --cov-report=term-missing:skip-covered
	@echo "client branch coverage (lro without cli/ and demo.py), at least $(CLIENT_COVERAGE)%:"
	@$(BIN)/coverage report --data-file=.coverage --format=total --precision=1 \
		--include='wrapper/lro/*' --omit='wrapper/lro/cli/*,wrapper/lro/demo.py' \
		--fail-under=$(CLIENT_COVERAGE)

## mutation testing (mutmut) of the I/O-free core, the errors and the pagers; not part of
## CI (about 80 minutes on two cores). MUTANTS="lro._core.retry*" narrows it; docs/testing.md
mutation: install
	$(PY) scripts/mutation.py $(MUTANTS)

## sdist and wheel of HEAD into dist/, byte-identical for every build of a commit
build: install
	$(PY) scripts/release.py build

## what a release pipeline runs: drift, spec, version and API checks, build, twine and
## wheel-contents checks, install in a fresh venv, sha256; never uploads (docs/releasing.md)
release: install
	$(PY) scripts/release.py

docs: install
	$(PY) scripts/build_docs.py

## the tour (lro/demo.py: each step's code, then its output) in a venv of its own with
## only the runtime: the core with the server and CLI extras, at the lock's versions
## (scripts/runtime_requirements.py), run from the source tree. No dev toolchain: on a
## fresh clone the first step shows within seconds.
demo: $(DEMO_VENV)/.installed
	PYTHONPATH=wrapper:generated $(DEMO_VENV)/bin/python -m lro.demo

# The venv has no pip of its own (creating one costs seconds): this Python's pip installs
# into it (pip >= 22.3), hashes checked, dependencies as resolved in the lock.
$(DEMO_VENV)/.installed: pyproject.toml $(LOCK) scripts/runtime_requirements.py
	rm -rf $(DEMO_VENV)
	$(PYTHON) -m venv --without-pip $(DEMO_VENV)
	$(PYTHON) scripts/runtime_requirements.py $(DEMO_EXTRAS) > $(DEMO_VENV)/requirements.txt
	$(PYTHON) -m pip --python $(DEMO_VENV)/bin/python install -q --disable-pip-version-check \
		--require-hashes --no-deps -r $(DEMO_VENV)/requirements.txt
	touch $@

# The contenders pin older releases (eval-studio-client: urllib3 ~= 2.6.3), so the bench
# runs with those; then the venv goes back to the lock, which `make check` checks (pip
# then reports eval-studio-client's pin as a conflict: only the bench imports it).
bench: install
	$(PY) -m pip install -q -e '.[bench]'
	$(PY) bench/run.py; status=$$?; \
	$(PY) -m pip install -q --require-hashes -r $(LOCK); \
	exit $$status

bench-quick: install
	$(PY) bench/run.py --quick

clean:
	rm -rf $(VENV) $(DEMO_VENV) build dist site .pytest_cache .mypy_cache .ruff_cache .coverage .coverage.*
