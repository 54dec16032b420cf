"""The lifecycle commands as an operator types them: jobs run/status, model list/rollback."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from lifecycle_helpers import NOW, populate

from thermowatch.jobs.promotion import apply_decision
from thermowatch.learn.promotion import PromotionDecision
from thermowatch.store.engine import make_engine
from thermowatch.store.migrate import upgrade
from thermowatch.store.models import register_model

REPO = Path(__file__).resolve().parents[3]


def _tw(url: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "THERMOWATCH_DATABASE_URL": url, "PYTHONPATH": str(REPO / "src")}
    return subprocess.run([sys.executable, "-m", "thermowatch", *args], env=env,
                          capture_output=True, text=True, timeout=120)  # fmt: skip


def test_jobs_and_model_commands(tmp_path):
    url = f"sqlite:///{tmp_path}/store.db"
    engine = make_engine(url)
    upgrade(engine)
    populate(engine, "TR-01", "cooling")
    register_model(engine, "TR-01-m2", "TR-01", "/m2", "2" * 64)
    apply_decision(engine, "TR-01-m2", PromotionDecision(True, 2.0, 1.0, 0.9, 500), phase=2)

    run = _tw(url, "jobs", "run", "--at", NOW.strftime("%Y-%m-%dT%H:%M:%S"), "-k", "accuracy",
              "-k", "drift")  # fmt: skip
    assert run.returncode == 0, run.stderr
    assert "2 run(s) executed" in run.stdout
    status = json.loads(_tw(url, "jobs", "status", "--json").stdout)
    assert status["runs"]["drift"] == {"done": 1}
    # The champion is m2 now, which has no predictions: accuracy says so, it does not invent.
    assert status["transformers"]["TR-01"]["accuracy"] == "insufficient_data"

    listed = json.loads(_tw(url, "model", "list", "--json").stdout)
    assert [(m["id"], m["status"]) for m in listed] == [("TR-01-m2", "champion"),
                                                        ("TR-01-m1", "retired")]  # fmt: skip
    back = _tw(url, "model", "rollback", "-t", "TR-01", "--by", "alice")
    assert back.returncode == 0 and "TR-01-m1 is the champion again" in back.stdout
    again = _tw(url, "model", "approve", "TR-01-m2", "--by", "alice")
    assert again.returncode == 2 and "not waiting for approval" in again.stderr
    assert "Traceback" not in again.stderr
    bad = _tw(url, "jobs", "run", "--kind", "retrian")
    assert bad.returncode == 2 and "'retrian' is not a job" in bad.stderr
