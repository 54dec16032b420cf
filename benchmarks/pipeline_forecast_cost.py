"""What the stored forecast costs the live pipeline, per transformer: a 2 h forecast stored
with every reading (main) against the 24 h one the pages show, stored once per forecast step
of data time (15 min), side by side in one process.

1,000 transformers on the IEC 60076-7 physics (the monitor's case before a champion is
trained; ``benchmarks/monitor_scale.py`` runs the same through MQTT), one reading each per
cycle, 60 s of data time per cycle, 30 cycles (two forecast steps), into a fresh SQLite
store: ``Pipeline.prepare`` (validate, predict, forecast, level) then ``Pipeline.store`` (one
transaction). Reported per setting: the cycle's wall time (median, and max: the cycles that
store a 24 h issue for every transformer at once), its ms per transformer, and the forecast
rows stored per transformer per hour.

Usage: ``python benchmarks/pipeline_forecast_cost.py [--transformers 1000] [--cycles 30]
[--runs 3]``; writes benchmarks/results/pipeline_forecast_cost.json.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
from rich.console import Console
from rich.progress import track
from rich.table import Table

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

RESULTS = Path(__file__).with_name("results") / "pipeline_forecast_cost.json"
START = datetime(2026, 7, 1, tzinfo=UTC)


class StoreEveryReading:
    """main's rule: every event's forecast is stored (for the 2 h setting)."""

    @staticmethod
    def patch(pipeline) -> None:
        pipeline._forecast_due = lambda st, ts, event: bool(event.forecast)


def _run(n: int, cycles: int, horizon_min: float, every_reading: bool, workdir: Path) -> dict:
    from thermowatch.data.simulator import AMBIENT, CURRENT, SAMPLE_SPEC, WINDING
    from thermowatch.live.pipeline import LiveSettings, Pipeline, Snapshot
    from thermowatch.live.profiles import make_profile
    from thermowatch.store.engine import make_engine
    from thermowatch.store.migrate import upgrade
    from thermowatch.store.transformers import ensure_transformer

    engine = make_engine(f"sqlite:///{workdir / f'p{horizon_min:g}-{every_reading}.db'}")
    upgrade(engine)
    ids = [f"TR-{i:04d}" for i in range(n)]
    profiles = {}
    for tid in ids:
        ensure_transformer(engine, tid, tid, spec=SAMPLE_SPEC.to_dict(), target_variable=WINDING)
        profiles[tid] = make_profile(tid, spec=SAMPLE_SPEC, target=WINDING)
    pipeline = Pipeline(engine, profiles.get, None, LiveSettings(forecast_horizon_min=horizon_min))
    if every_reading:
        StoreEveryReading.patch(pipeline)
    rng = np.random.default_rng(0)
    load = rng.uniform(400, 1100, n)
    walls, rows = [], 0
    for c in range(cycles + 1):  # the first cycle starts the estimators: not measured
        at = START + timedelta(seconds=60 * c)
        snaps = [
            Snapshot(tid, at, {CURRENT: float(load[i]), AMBIENT: 20.0, WINDING: 70.0}, "bench")
            for i, tid in enumerate(ids)
        ]
        start = time.perf_counter()
        batch, _ = pipeline.prepare(snaps, now=at + timedelta(seconds=1))
        stored = pipeline.store(batch)
        if c:
            walls.append(time.perf_counter() - start)
            rows += stored["forecasts"]
    engine.dispose()
    hours = cycles / 60.0
    return {
        "cycle_s_median": statistics.median(walls),
        "cycle_s_max": max(walls),
        "ms_per_transformer": 1000 * statistics.median(walls) / n,
        "forecast_rows_per_transformer_hour": rows / n / hours,
    }


SETTINGS = {
    "main: 2 h, stored with every reading": (120.0, True),
    "24 h, stored with every reading": (1440.0, True),
    "24 h, stored once per 15 min (now)": (1440.0, False),
}


def main() -> dict:
    parser = argparse.ArgumentParser()
    parser.add_argument("--transformers", type=int, default=1000)
    parser.add_argument("--cycles", type=int, default=30)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    runs = []
    for _ in track(range(args.runs), description="runs"):
        with tempfile.TemporaryDirectory() as tmp:
            runs.append(
                {
                    name: _run(args.transformers, args.cycles, h, every, Path(tmp))
                    for name, (h, every) in SETTINGS.items()
                }
            )
    summary = {}
    for name in SETTINGS:
        med = [r[name]["cycle_s_median"] for r in runs]
        mx = [r[name]["cycle_s_max"] for r in runs]
        summary[name] = {
            "cycle_s_median": {"min": min(med), "median": statistics.median(med)},
            "cycle_s_max": {"min": min(mx), "median": statistics.median(mx)},
            "ms_per_transformer": statistics.median(r[name]["ms_per_transformer"] for r in runs),
            "forecast_rows_per_transformer_hour": runs[0][name][
                "forecast_rows_per_transformer_hour"
            ],
        }
    table = Table(
        title=f"live pipeline, {args.transformers} transformers (IEC physics), "
        f"{args.cycles} cycles of 60 s, {args.runs} runs (min / median); "
        f"load average {os.getloadavg()[0]:.1f}"
    )
    for column in ("setting", "cycle median [s]", "cycle max [s]", "ms / transformer",
                   "forecast rows / transformer / h"):  # fmt: skip
        table.add_column(column, justify="left" if column == "setting" else "right")
    for name, s in summary.items():
        table.add_row(
            name,
            f"{s['cycle_s_median']['min']:.2f} / {s['cycle_s_median']['median']:.2f}",
            f"{s['cycle_s_max']['min']:.2f} / {s['cycle_s_max']['median']:.2f}",
            f"{s['ms_per_transformer']:.2f}",
            f"{s['forecast_rows_per_transformer_hour']:.0f}",
        )
    Console(width=150).print(table)
    out = {"summary": summary, "runs": runs, "load_average_1min": os.getloadavg()[0]}
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(out, indent=1))
    return out


if __name__ == "__main__":
    main()
