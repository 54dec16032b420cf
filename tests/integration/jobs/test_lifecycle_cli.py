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
    accuracy = status["transformers"]["TR-01"]["accuracy"]
    assert accuracy["verdict"] == "insufficient_data"
    assert "its artifact cannot complete them" in accuracy["reason"]
    assert set(status["runs"]) == {"accuracy", "drift", "retrain"}  # every kind of the registry
    assert status["transformers"]["TR-01"]["retrain"] is None

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


def test_model_retrain_shadow_compare_and_ab_commands(tmp_path):
    from lifecycle_helpers import FLEET_AT, retrain_fleet

    url = f"sqlite:///{tmp_path}/store.db"
    engine = make_engine(url)
    upgrade(engine)
    retrain_fleet(engine, 1, tmp_path / "champion")
    at = FLEET_AT.strftime("%Y-%m-%dT%H:%M:%S")
    env_models = {"THERMOWATCH_MODELS_DIR": str(tmp_path / "challengers")}
    os.environ.update(env_models)
    try:
        out = _tw(url, "model", "retrain", "-t", "TR-00", "--at", at)
    finally:
        os.environ.pop("THERMOWATCH_MODELS_DIR")
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout)
    assert result["status"] == "done" and result["verdict"] == "trained"
    challenger = result["challenger"]
    assert (tmp_path / "challengers" / "TR-00" / challenger / "model.json").is_file()
    twice = json.loads(_tw(url, "model", "retrain", "-t", "TR-00", "--at", at).stdout)
    assert twice["run"] == result["run"]  # idempotent: the same run, not a second challenger
    assert len(list((tmp_path / "challengers" / "TR-00").iterdir())) == 1
    unknown = _tw(url, "model", "retrain", "-t", "NOPE")
    assert unknown.returncode == 2 and "Traceback" not in unknown.stderr

    if result["decision"]["promote"]:  # the champion cannot be tried in shadow: use the old one
        challenger = "TR-00-m1"
    shadow = _tw(url, "model", "shadow", challenger, "--days", "7", "--by", "alice", "--at", at)
    assert shadow.returncode == 0 and "runs in shadow on TR-00" in shadow.stdout
    compared = json.loads(_tw(url, "model", "compare", challenger, "--at", at).stdout)
    assert compared["verdict"] == "insufficient_data" and compared["n"] == 0
    missing = _tw(url, "model", "ab", "nope")
    assert missing.returncode == 2 and "no A/B experiment named 'nope'" in missing.stderr
    one = _tw(url, "model", "ab", "x", "-m", challenger, "--by", "alice")
    assert one.returncode == 2 and "at least 2 transformers" in one.stderr
