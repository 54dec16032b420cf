"""Every ``thermowatch`` process starts without the libraries only training needs.

The service, the monitor and the CLI commands run as separate processes (uvicorn workers,
``thermowatch status`` in a script, a monitor per site): scikit-learn, scipy's signal, stats and
optimize, and matplotlib cost about 2 s of CPU at each start-up (measured with
``python -X importtime``). They are imported where they are used: fitting, the regular-step
thermal filter, the rating's root finder, figures.

A production service worker (uvicorn or gunicorn starts one per core, and each imports the app
anew) also starts without Alembic and httpx: the modules it imports load neither, its lifespan
imports Alembic only to migrate a development database (production ones are migrated by
``thermowatch db upgrade``), an HTTP alert channel imports httpx when it is made. Measured:
2.14 -> 1.75 CPU-s per worker start (median of 8).
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

HEAVY = ("sklearn", "scipy.signal", "scipy.stats", "scipy.optimize", "matplotlib")
#: What a production service worker imports to start: the app and what its lifespan imports.
WORKER = (
    "thermowatch.app",
    "thermowatch.alerts.hook",
    "thermowatch.alerts.deliverer",
    "thermowatch.jobs.trials",
    "thermowatch.live.profiles",
    "thermowatch.store.engine",
)
WORKER_SPARED = ("alembic", "httpx")
SERVING = (
    "thermowatch.app",
    "thermowatch.service.app",
    "thermowatch.ingest.monitor",
    "thermowatch.store.status",
    "thermowatch.alerts.actions",
    "thermowatch.cli",
)


@pytest.fixture(scope="module")
def loaded() -> dict[str, list[str]]:
    """Which of the libraries were imported after the worker's modules, then after all the
    serving modules (one fresh interpreter)."""
    code = (
        "import importlib, json, sys\n"
        f"for name in {WORKER!r}: importlib.import_module(name)\n"
        f"worker = [m for m in {WORKER_SPARED!r} if m in sys.modules]\n"
        f"for name in {SERVING!r}: importlib.import_module(name)\n"
        f"print(json.dumps({{'worker': worker, 'serving': [m for m in {HEAVY!r} "
        "if m in sys.modules]}))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout)


def test_serving_modules_import_no_training_library(loaded) -> None:
    assert loaded["serving"] == []


def test_a_service_worker_starts_without_alembic_and_httpx(loaded) -> None:
    assert loaded["worker"] == []
