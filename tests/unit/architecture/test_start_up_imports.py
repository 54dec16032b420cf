"""Every ``thermowatch`` process starts without the libraries only training needs.

The service, the monitor and the CLI commands run as separate processes (uvicorn workers,
``thermowatch status`` in a script, a monitor per site): scikit-learn, scipy's signal, stats and
optimize, and matplotlib cost about 2 s of CPU at each start-up (measured with
``python -X importtime``). They are imported where they are used: fitting, the regular-step
thermal filter, the rating's root finder, figures.
"""

from __future__ import annotations

import json
import subprocess
import sys

HEAVY = ("sklearn", "scipy.signal", "scipy.stats", "scipy.optimize", "matplotlib")
SERVING = (
    "thermowatch.app",
    "thermowatch.service.app",
    "thermowatch.ingest.monitor",
    "thermowatch.store.status",
    "thermowatch.alerts.actions",
    "thermowatch.cli",
)


def test_serving_modules_import_no_training_library() -> None:
    code = (
        "import importlib, json, sys\n"
        f"for name in {SERVING!r}: importlib.import_module(name)\n"
        f"print(json.dumps([m for m in {HEAVY!r} if m in sys.modules]))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert json.loads(done.stdout) == []
