"""The lifecycle on the path users take, on a real PostgreSQL: ``train --transformer`` on an
export with empty cells, its history imported (``db import``) and a month pushed through the
live pipeline with missing values, then ``jobs run`` and ``jobs status`` as an operator types
them. Two transformers: one whose cooling fails (+8 K at the same load and ambient: "the
transformer changed", an alert and no retraining) and one in a warmer world (+10 °C ambient,
outside the trained range: "the world moved", a retraining scored on days neither model saw)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from datetime import timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from thermowatch.data.simulator import (
    ACTIVE_POWER,
    AMBIENT,
    CURRENT,
    OIL,
    TIMESTAMP,
    WINDING,
    simulate_sample,
)

# Two trainings through the CLI, three weeks pushed through the live pipeline, two runners.
pytestmark = [pytest.mark.slow, pytest.mark.postgres, pytest.mark.timeout(2400)]
REPO = Path(__file__).resolve().parents[3]
TRAIN_DAYS, PUSH_DAYS = 75, 21


def _tw(url: str, *args: str, env: dict | None = None) -> subprocess.CompletedProcess[str]:
    full = {**os.environ, "THERMOWATCH_DATABASE_URL": url, "PYTHONPATH": str(REPO / "src"),
            **(env or {})}  # fmt: skip
    return subprocess.run([sys.executable, "-m", "thermowatch", *args], env=full,
                          capture_output=True, text=True, timeout=900)  # fmt: skip


def _export(tmp_path: Path) -> tuple[Path, pd.DataFrame]:
    """The training export (hourly, empty cells included) and the frame it came from."""
    s = simulate_sample(days=TRAIN_DAYS, step="1h", seed=5, start="2024-01-01").frame
    file = tmp_path / "export.csv"
    holes = s.copy()
    holes.loc[100, CURRENT] = np.nan  # one empty current, one empty power, as SCADA exports go
    holes.loc[900, ACTIVE_POWER] = np.nan
    holes.to_csv(file, index=False)
    return file, s


def _pushed(trained: pd.DataFrame, scenario: str) -> pd.DataFrame:
    """PUSH_DAYS after the export: the inputs of its last PUSH_DAYS (inside the trained range),
    then the scenario: cooling failed (+8 K measured, last 12 days) or a warmer world."""
    last = trained.tail(PUSH_DAYS * 24).copy()
    last[TIMESTAMP] = pd.to_datetime(last[TIMESTAMP]) + timedelta(days=PUSH_DAYS)
    n = len(last)
    if scenario == "cooling":
        fault = np.arange(n) >= n - 12 * 24
        for col in (WINDING, OIL):
            last.loc[last.index[fault], col] += 8.0
    else:
        for col in (AMBIENT, WINDING, OIL):
            last[col] += 10.0
    return last.set_index(TIMESTAMP)


def _push(engine, tid: str, frame: pd.DataFrame) -> None:  # type: ignore[no-untyped-def]
    from thermowatch.jobs.trials import predict_in_shadow
    from thermowatch.live import Pipeline
    from thermowatch.live.champion import load_champion
    from thermowatch.live.pipeline import Snapshot
    from thermowatch.live.profiles import store_profile

    pipeline = Pipeline(
        engine,
        lambda t: store_profile(engine, t, predictor=load_champion(engine, t)),
        shadow=predict_in_shadow,
    )
    frame.index = frame.index.tz_localize("UTC")
    for day in range(PUSH_DAYS):
        part = frame.iloc[day * 24 : (day + 1) * 24]
        snaps = []
        for i, (ts, row) in enumerate(part.iterrows()):
            values = row.dropna().to_dict()
            if day == 3 and i == 5:  # a missing current and a missing power in the push
                values.pop(CURRENT)
            if day == 15 and i == 7:
                values.pop(ACTIVE_POWER)
            snaps.append(Snapshot(tid, ts.to_pydatetime(), values, "scada"))
        pipeline.process(snaps, now=part.index[-1].to_pydatetime() + timedelta(minutes=1))


@pytest.fixture(scope="module")
def trained(pg_cluster, tmp_path_factory):  # type: ignore[no-untyped-def]
    """A PostgreSQL database as the user leaves it before the first tick (cloned per runner):
    both transformers trained and registered, history imported, a month pushed."""
    from thermowatch.store.engine import make_engine
    from thermowatch.store.models import champion

    tmp_path = tmp_path_factory.mktemp("lifecycle-pg")
    name = f"lc_{uuid.uuid4().hex[:10]}"
    url = pg_cluster.create_database(name)
    file, frame = _export(tmp_path)
    for tid in ("TR-A", "TR-B"):
        out = _tw(url, "train", str(file), "--transformer", tid, "--out", str(tmp_path / tid))
        assert out.returncode == 0, out.stderr[-2000:]
        imported = _tw(url, "db", "import", str(file), "--transformer", tid)
        assert imported.returncode == 0, imported.stderr[-2000:]
    engine = make_engine(url)
    for tid in ("TR-A", "TR-B"):
        metrics = champion(engine, tid).metrics
        assert metrics["validation"]["rmse"] > 0 and metrics["test"]["rmse"] > 0
        assert metrics["training_window"]["end"].startswith("2024-03-15")
        assert metrics["input_ranges_source"] == "training data"
        assert CURRENT in metrics["input_ranges"]
    _push(engine, "TR-A", _pushed(frame, "cooling"))
    _push(engine, "TR-B", _pushed(frame, "warmer"))
    engine.dispose()
    at = pd.Timestamp(frame[TIMESTAMP].iloc[-1]) + timedelta(days=PUSH_DAYS, hours=1)
    return name, at.tz_localize("UTC").to_pydatetime()


def _clone(pg_cluster, template: str) -> str:  # type: ignore[no-untyped-def]
    return pg_cluster.create_database(f"lc_{uuid.uuid4().hex[:10]}", template=template)


def _run_in_process(url: str, at, env: dict) -> None:  # type: ignore[no-untyped-def]
    at_text = at.strftime("%Y-%m-%dT%H:%M:%S")
    first = _tw(url, "jobs", "run", "--at", at_text, env=env)
    assert first.returncode == 0, first.stdout + first.stderr[-2000:]
    second = _tw(url, "jobs", "run", "--at", at_text, env=env)  # the retraining drift asked for
    assert second.returncode == 0, second.stdout + second.stderr[-2000:]


def _run_on_celery(url: str, at, env: dict, redis_url: str) -> None:  # type: ignore[no-untyped-def]
    import time
    from dataclasses import replace

    from celery_helpers import start_worker, stop_workers, worker_env
    from lifecycle_helpers import CHECKS_ONLY

    from thermowatch.jobs.celery_app import dispatcher, make_app
    from thermowatch.jobs.scheduler import tick
    from thermowatch.store.engine import make_engine
    from thermowatch.store.jobs import run_counts

    engine = make_engine(url)
    workers = [start_worker(worker_env(redis_url, url, 600, **env)) for _ in range(2)]
    dispatch = dispatcher(make_app(replace(CHECKS_ONLY, broker_url=redis_url)))
    try:
        deadline = time.monotonic() + 900
        for expected in (4, 5):  # the daily checks, then the retraining drift asked for
            tick(engine, dispatch, now=at)
            while (
                time.monotonic() < deadline
                and sum(run_counts(engine).get(s, 0) for s in ("done", "failed")) < expected
            ):
                time.sleep(0.5)
    finally:
        stop_workers(*workers)
        engine.dispose()


@pytest.mark.parametrize("runner", ["in_process", "celery"])
def test_train_import_push_and_jobs_on_postgresql(pg_cluster, trained, runner, tmp_path, request):
    from thermowatch.store.alerts import open_alerts
    from thermowatch.store.engine import make_engine
    from thermowatch.store.jobs import latest_runs

    template, at = trained
    url = _clone(pg_cluster, template)
    env = {"THERMOWATCH_MODELS_DIR": str(tmp_path / "challengers")}
    if runner == "in_process":
        _run_in_process(url, at, env)
    else:
        _run_on_celery(url, at, env, request.getfixturevalue("redis_url"))
    status = json.loads(_tw(url, "jobs", "status", "--json").stdout)
    a, b = status["transformers"]["TR-A"], status["transformers"]["TR-B"]
    print(f"\n{runner} TR-A: {json.dumps(a)}\n{runner} TR-B: {json.dumps(b)}")
    assert a["accuracy"]["verdict"] in ("ok", "watch", "degraded"), a
    assert a["drift"]["verdict"] == "transformer_changed", a
    assert a["retrain"] is None  # a person must look: no retraining on a fault
    engine = make_engine(url)
    drift_a = latest_runs(engine)["TR-A"]["drift"].result
    print(f"{runner} TR-A drift: shift {drift_a['residual_shift_k']:.2f} K, Page-Hinkley "
          f"{drift_a['page_hinkley_max_k']:.1f} K on {drift_a['n']} residuals")  # fmt: skip
    assert "residual_drift" in [x.kind for x in open_alerts(engine, "TR-A")]
    assert b["accuracy"]["verdict"] in ("ok", "watch", "degraded"), b
    assert b["drift"]["verdict"] == "world_moved", b
    assert b["retrain"]["status"] == "done" and b["retrain"]["verdict"] == "trained", b
    reasons = [(r or {}).get("reason") or "" for x in (a, b) for r in x.values()]
    assert not any("abandoned" in text for text in reasons), reasons
    assert status["runs"]["retrain"] == {"done": 1}
    result = latest_runs(engine)["TR-B"]["retrain"].result
    engine.dispose()
    assert not result["champion_saw_holdout"]  # scored on 14 days neither model trained on
    assert result["scored_points"] >= 168
    decision = result["decision"]
    assert decision["champion_rmse_k"] > 0 and decision["challenger_rmse_k"] > 0
    print(f"{runner} TR-B retrain: champion {decision['champion_rmse_k']:.3f} K vs challenger "
          f"{decision['challenger_rmse_k']:.3f} K on {result['scored_points']} points, "
          f"promote={decision['promote']} {decision['reasons']}")  # fmt: skip
