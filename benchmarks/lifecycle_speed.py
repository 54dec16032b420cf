"""Speed of the lifecycle jobs for a fleet (issue 14).

1. Drift: :func:`thermowatch.learn.drift.check_drift` for N transformers, each with one year of
   hourly training inputs (load, ambient) and validation residuals against 30 days of recent
   inputs and residuals — the per-transformer work of the daily drift job, without the store
   reads. The fleet runs 3 times; min / median. Goal: 1,000 transformers < 10 s.
2. Retraining (``--retrain M``): M simulated transformers × one year of hourly readings in a
   SQLite store, each with a champion; the retrain job (train every candidate, score both models
   on the holdout, decide) run by 1 then 2 worker processes through the store's claim/finish
   protocol. Reports seconds per transformer and the 1 → 2 worker speed-up.

usage: python benchmarks/lifecycle_speed.py [--transformers 1000] [--retrain 8]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from thermowatch.learn.drift import DriftVerdict, check_drift

RESULTS = Path(__file__).parent / "results" / "lifecycle_speed.json"
YEAR_H, WINDOW_H = 8760, 30 * 24
GOAL_S = 10.0


def fleet(n: int, seed: int = 0) -> list[tuple[dict, dict, np.ndarray, np.ndarray]]:
    """Synthetic per-transformer inputs: a third drifted in ambient, a third with a residual shift."""
    rng = np.random.default_rng(seed)
    t = np.arange(YEAR_H)
    out = []
    for i in range(n):
        amb = 12 + 8 * np.sin(2 * np.pi * t / YEAR_H) + rng.normal(0, 1, YEAR_H)
        load = 0.6 + 0.2 * np.sin(2 * np.pi * t / 24) + rng.normal(0, 0.05, YEAR_H)
        rec_amb = amb[:WINDOW_H] + (25.0 if i % 3 == 1 else 0.0)
        residuals = rng.normal(0, 1, WINDOW_H) + (4.0 if i % 3 == 2 else 0.0)
        out.append(
            (
                {"ambient": amb, "load": load},
                {"ambient": rec_amb, "load": load[:WINDOW_H]},
                rng.normal(0, 1, 2000),
                residuals,
            )
        )
    return out


def _retrain_store(path: Path, m: int) -> tuple[str, list[int]]:
    """A store with ``m`` simulated transformers (one year hourly) and their retrain runs."""
    from datetime import UTC, datetime

    from thermowatch.data.measurements import clean_measurements
    from thermowatch.data.simulator import TIMESTAMP, WINDING, simulate_sample
    from thermowatch.learn.artifact import save_model
    from thermowatch.learn.train import TrainOptions, train
    from thermowatch.live.champion import artifact_digest
    from thermowatch.store.engine import make_engine, write_transaction
    from thermowatch.store.jobs import enqueue_runs
    from thermowatch.store.migrate import upgrade
    from thermowatch.store.models import ModelStatus, register_model
    from thermowatch.store.readings import wide_to_frame, write_readings
    from thermowatch.store.transformers import ensure_transformer

    url = f"sqlite:///{path / 'store.db'}"
    engine = make_engine(url)
    upgrade(engine)
    champion_at = datetime(2024, 9, 1, tzinfo=UTC)
    for i in range(m):
        tid = f"TR-{i:04d}"
        wide = simulate_sample(days=365, step="1h", seed=100 + i, start="2024-01-01").frame
        wide = wide.set_index(TIMESTAMP).tz_localize("UTC")
        ensure_transformer(engine, tid, tid, target_variable=WINDING)
        write_readings(engine, wide_to_frame(wide, tid)[0])
        meas = clean_measurements(wide[wide.index < champion_at], target=WINDING)
        result, fitted = train(meas, TrainOptions(split_dates="2024-07-01,2024-08-01"))
        d = save_model(result, fitted, path / "models" / tid)
        register_model(engine, d.name, tid, str(d), artifact_digest(d),
                       metrics={"validation": result.models[result.chosen_model]["validation"]},
                       status=ModelStatus.CHAMPION, at=champion_at)  # fmt: skip
    with write_transaction(engine) as conn:
        ids = enqueue_runs(conn, "retrain", [f"TR-{i:04d}" for i in range(m)],
                           datetime(2024, 12, 31, tzinfo=UTC))  # fmt: skip
    engine.dispose()
    return url, ids


def _work(url: str, ids: list[int]) -> None:
    from thermowatch.jobs.runner import execute
    from thermowatch.store.engine import make_engine

    engine = make_engine(url)
    for run_id in ids:
        execute(engine, run_id)


def retrain_speed(m: int) -> dict[str, float]:
    """Seconds for ``m`` retrain runs with 1 and with 2 worker processes (claim/finish)."""
    import multiprocessing as mp
    import shutil
    import tempfile

    from sqlalchemy import update

    from thermowatch.store.engine import make_engine
    from thermowatch.store.tables import job_runs

    out: dict[str, float] = {}
    tmp = Path(tempfile.mkdtemp(prefix="tw-retrain-"))
    try:
        os.environ["THERMOWATCH_MODELS_DIR"] = str(tmp / "challengers")
        url, ids = _retrain_store(tmp, m)
        for workers in (1, 2):
            engine = make_engine(url)
            with engine.begin() as conn:  # the same runs again, from scratch
                conn.execute(update(job_runs).values(status="queued", attempts=0,
                                                     claimed_by=None, lease_until=None))  # fmt: skip
            engine.dispose()
            t0 = time.perf_counter()
            procs = [mp.get_context("spawn").Process(target=_work, args=(url, ids))
                     for _ in range(workers)]  # fmt: skip
            for p in procs:
                p.start()
            for p in procs:
                p.join()
            out[f"workers_{workers}_s"] = time.perf_counter() - t0
        out["per_transformer_s_1_worker"] = out["workers_1_s"] / m
        out["speedup_1_to_2"] = out["workers_1_s"] / out["workers_2_s"]
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--transformers", type=int, default=1000)
    parser.add_argument("--retrain", type=int, default=0, help="also time M retrain runs")
    args = parser.parse_args()
    data = fleet(args.transformers)
    times, verdicts = [], {}
    for _ in range(3):
        t0 = time.perf_counter()
        reports = [check_drift(*d) for d in data]
        times.append(time.perf_counter() - t0)
        verdicts = {v.value: sum(r.verdict is v for r in reports) for v in DriftVerdict}
    result = {
        "transformers": args.transformers,
        "train_hours": YEAR_H,
        "window_hours": WINDOW_H,
        "drift_check_s": {"min": min(times), "median": statistics.median(times), "runs": times},
        "goal_s": GOAL_S,
        "verdicts": verdicts,
        "machine": {"python": platform.python_version(), "cpu": platform.processor()},
    }
    if args.retrain:
        result["retrain"] = {"transformers": args.retrain, **retrain_speed(args.retrain)}
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2))
    print(f"{'check':<34}{'min [s]':>10}{'median [s]':>12}{'goal [s]':>10}")
    print(f"{'drift, ' + str(args.transformers) + ' transformers':<34}"
          f"{min(times):>10.2f}{statistics.median(times):>12.2f}{GOAL_S:>10.1f}")  # fmt: skip
    print("verdicts:", verdicts)
    if args.retrain:
        r = result["retrain"]
        print(
            f"retrain {args.retrain} transformers x 1 year hourly: 1 worker "
            f"{r['workers_1_s']:.1f} s ({r['per_transformer_s_1_worker']:.1f} s each), "
            f"2 workers {r['workers_2_s']:.1f} s, speed-up {r['speedup_1_to_2']:.2f}x"
        )


if __name__ == "__main__":
    main()
