# thermowatch — everything runs from a project-local virtualenv so a fresh machine needs only
# Python 3.11+ and make.
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-stamp

.PHONY: install run test test-unit bench lint format clean

$(STAMP): pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

## The main job: train on the bundled sample and write the analysis to ./resultats
run: $(STAMP)
	$(VENV)/bin/thermowatch train

# Python keeps its compiled bytecode (in __pycache__, ignored by git) for every target here: an
# environment that sets PYTHONDONTWRITEBYTECODE made every test worker and every CLI subprocess
# compile the sources and rewrite the tests' asserts again (collecting the suite took
# 13.2-13.8 CPU-s without the cache, 10.1-11.6 with it).
unexport PYTHONDONTWRITEBYTECODE

# The whole suite runs on 3 pytest-xdist workers (every test takes its own tmp dir, database
# and free ports); a file's tests stay on one worker, so module fixtures are built once. Three
# on two cores because many of its tests wait (servers starting, the manuals' sleeps, monitor
# periods): measured 11 min 58 s with 3 against 24 min 36 s with 2 (other runs on the machine,
# load 4-7). The unit tests hardly wait: they keep 2 (UNIT_WORKERS). The workers take the files
# longest first, as tests/durations.json measured them (tests/conftest.py), not xdist's
# most-tests-first. WORKERS=0 (UNIT_WORKERS=0) runs them in this process (pdb, -x).
WORKERS      ?= 3
UNIT_WORKERS ?= 2
xdist = $(if $(filter 0,$(1)),,-n $(1) --dist loadfile --no-loadscope-reorder)

## The whole test suite (unit, integration, e2e, security), slow tests included (CI runs this)
test: $(STAMP)
	$(PY) -m pytest $(call xdist,$(WORKERS))

## The fast unit tests (no server, no slow test): the edit-test loop
test-unit: $(STAMP)
	$(PY) -m pytest tests/unit -m "not slow" $(call xdist,$(UNIT_WORKERS))

bench: $(STAMP)
	$(PY) benchmarks/thermal_speed.py
	$(PY) benchmarks/accuracy.py
	$(PY) benchmarks/train_speed.py
	$(PY) benchmarks/forecast_speed.py
	$(PY) benchmarks/store_speed.py

lint: $(STAMP)
	$(VENV)/bin/ruff check src tests benchmarks
	$(VENV)/bin/ruff format --check src tests benchmarks
	$(VENV)/bin/mypy

format: $(STAMP)
	$(VENV)/bin/ruff format src tests benchmarks
	$(VENV)/bin/ruff check --fix src tests benchmarks

clean:
	rm -rf $(VENV) resultats build dist .pytest_cache .ruff_cache .mypy_cache
