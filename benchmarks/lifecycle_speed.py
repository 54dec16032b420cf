"""Speed of the lifecycle jobs for a fleet (issue 14).

1. Drift: :func:`thermowatch.learn.drift.check_drift` for N transformers, each with one year of
   hourly training inputs (load, ambient) and validation residuals against 30 days of recent
   inputs and residuals — the per-transformer work of the daily drift job, without the store
   reads. The fleet runs 3 times; min / median. Goal: 1,000 transformers < 10 s.
2. Retraining (``--retrain M``): M simulated transformers × one year of hourly readings in a
   SQLite store, each with a champion; the retrain job (train every candidate, score both models
   on the holdout, decide) run by 1 then 2 worker processes through the store's claim/finish
   protocol. Reports seconds per transformer and the 1 → 2 worker speed-up.

usage: python benchmarks/lifecycle_speed.py [--transformers 1000] [--retrain 20]
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
    """A store with ``m`` simulated transformers (one year hourly) and their retrain runs; each
    champion serves the normal, nowcast and 24 h forecast roles."""
    from datetime import UTC, datetime

    from rich.progress import track

    from thermowatch.data.measurements import clean_measurements
    from thermowatch.data.simulator import WINDING
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
    # The champions' report is not under test: train them without it (same served roles).
    quick = TrainOptions(split_dates="2024-07-01,2024-08-01", nonlinear=False, report=False)
    for i in track(range(m), description="champions"):
        tid = f"TR-{i:04d}"
        wide = _year(i)
        ensure_transformer(engine, tid, tid, target_variable=WINDING)
        write_readings(engine, wide_to_frame(wide, tid)[0])
        result, fitted = train(clean_measurements(wide[wide.index < champion_at], target=WINDING),
                               quick)  # fmt: skip
        d = save_model(result, fitted, path / "models" / tid)
        register_model(engine, d.name, tid, str(d), artifact_digest(d),
                       metrics={"validation": result.models[result.chosen_model]["validation"]},
                       status=ModelStatus.CHAMPION, at=champion_at)  # fmt: skip
    with write_transaction(engine) as conn:
        ids = enqueue_runs(conn, "retrain", [f"TR-{i:04d}" for i in range(m)],
                           datetime(2024, 12, 31, tzinfo=UTC))  # fmt: skip
    engine.dispose()
    return url, ids


def _year(seed: int):  # type: ignore[no-untyped-def]
    """One simulated year of hourly readings (wide, UTC index)."""
    from thermowatch.data.simulator import TIMESTAMP, simulate_sample

    wide = simulate_sample(days=365, step="1h", seed=100 + seed, start="2024-01-01").frame
    return wide.set_index(TIMESTAMP).tz_localize("UTC")


def _work(url: str, ids: list[int]) -> None:
    from thermowatch.jobs.runner import execute, one_numeric_thread
    from thermowatch.store.engine import make_engine

    one_numeric_thread()  # as a Celery worker process does (jobs.celery_app)
    engine = make_engine(url)
    for run_id in ids:
        execute(engine, run_id)


def _stats(values: list[float]) -> dict[str, float | list[float]]:
    return {"min": min(values), "median": statistics.median(values), "runs": values}


def train_full_vs_retrain(repeats: int = 3) -> dict[str, object]:
    """Seconds of ``train()`` with its defaults (report, comparison models) against the retrain
    job's options on the same year of one transformer, in one thread, side by side."""
    from thermowatch.data.measurements import clean_measurements
    from thermowatch.data.simulator import WINDING
    from thermowatch.jobs.runner import one_numeric_thread
    from thermowatch.learn.train import TrainOptions, train

    one_numeric_thread()
    meas = clean_measurements(_year(0), target=WINDING)
    split = "2024-11-01,2024-12-01"
    options = {
        "full": TrainOptions(split_dates=split),
        "retrain": TrainOptions(split_dates=split, nonlinear=False, report=False),
    }
    times: dict[str, list[float]] = {k: [] for k in options}
    for _ in range(repeats):
        for name, opt in options.items():
            t0 = time.perf_counter()
            train(meas, opt)
            times[name].append(time.perf_counter() - t0)
    ratios = [f / r for f, r in zip(times["full"], times["retrain"], strict=True)]
    return {**{k: _stats(v) for k, v in times.items()}, "ratio_full_to_retrain": _stats(ratios)}


def retrain_speed(m: int, repeats: int = 3) -> dict[str, object]:
    """Seconds for ``m`` retrain runs with 1 and with 2 worker processes (claim/finish), each
    repeat on a fresh copy of the same store, 1 and 2 workers side by side."""
    import multiprocessing as mp
    import shutil
    import tempfile

    tmp = Path(tempfile.mkdtemp(prefix="tw-retrain-"))
    runs: dict[int, list[float]] = {1: [], 2: []}
    try:
        os.environ["THERMOWATCH_MODELS_DIR"] = str(tmp / "challengers")
        url, ids = _retrain_store(tmp, m)
        template = tmp / "template.db"
        shutil.copy(tmp / "store.db", template)
        for _ in range(repeats):
            for workers in (1, 2):
                shutil.copy(template, tmp / "store.db")  # the same queued runs, same champions
                t0 = time.perf_counter()
                procs = [mp.get_context("spawn").Process(target=_work, args=(url, ids))
                         for _ in range(workers)]  # fmt: skip
                for p in procs:
                    p.start()
                for p in procs:
                    p.join()
                runs[workers].append(time.perf_counter() - t0)
                _check_done(url, m)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    speedups = [a / b for a, b in zip(runs[1], runs[2], strict=True)]
    per = [t / m for t in runs[1]]
    return {
        "workers_1_s": _stats(runs[1]),
        "workers_2_s": _stats(runs[2]),
        "per_transformer_s_1_worker": _stats(per),
        "speedup_1_to_2": _stats(speedups),
        "fleet_1000_on_2_workers_s_extrapolated": 1000 * min(runs[2]) / m,
    }


def _check_done(url: str, m: int) -> None:
    from thermowatch.store.engine import make_engine
    from thermowatch.store.jobs import run_counts

    engine = make_engine(url)
    counts = run_counts(engine, "retrain")
    engine.dispose()
    if counts != {"done": m}:
        raise SystemExit(f"retrain runs did not all complete: {counts}")


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
        load_before = os.getloadavg()
        result["train_full_vs_retrain_s"] = train_full_vs_retrain()
        result["retrain"] = {"transformers": args.retrain, **retrain_speed(args.retrain)}
        result["load_average_1_5_15"] = {"before": load_before, "after": os.getloadavg()}
        result["machine"]["cpus"] = os.cpu_count()
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2))
    print(f"{'check':<34}{'min [s]':>10}{'median [s]':>12}{'goal [s]':>10}")
    print(f"{'drift, ' + str(args.transformers) + ' transformers':<34}"
          f"{min(times):>10.2f}{statistics.median(times):>12.2f}{GOAL_S:>10.1f}")  # fmt: skip
    print("verdicts:", verdicts)
    if args.retrain:
        f = result["train_full_vs_retrain_s"]
        r = result["retrain"]
        print(f"{'one year hourly, one thread':<34}{'min [s]':>10}{'median [s]':>12}")
        for name in ("full", "retrain"):
            print(f"{'train(), ' + name + ' options':<34}{f[name]['min']:>10.2f}"
                  f"{f[name]['median']:>12.2f}")  # fmt: skip
        print(f"{'ratio full / retrain':<34}{f['ratio_full_to_retrain']['min']:>10.2f}"
              f"{f['ratio_full_to_retrain']['median']:>12.2f}")  # fmt: skip
        print(f"{'retrain ' + str(args.retrain) + ' transformers':<34}{'min [s]':>10}"
              f"{'median [s]':>12}")  # fmt: skip
        for key, label in (("workers_1_s", "1 worker"), ("workers_2_s", "2 workers"),
                           ("per_transformer_s_1_worker", "per transformer, 1 worker"),
                           ("speedup_1_to_2", "speed-up 1 -> 2 workers")):  # fmt: skip
            print(f"{label:<34}{r[key]['min']:>10.2f}{r[key]['median']:>12.2f}")
        print(f"1,000 transformers on 2 workers (extrapolated from the best run): "
              f"{r['fleet_1000_on_2_workers_s_extrapolated'] / 60:.0f} min; load average "
              f"{result['load_average_1_5_15']}")  # fmt: skip


if __name__ == "__main__":
    main()
