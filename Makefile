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

## The whole test suite (unit, integration, e2e)
test: $(STAMP)
	$(PY) -m pytest

test-unit: $(STAMP)
	$(PY) -m pytest tests/unit

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
