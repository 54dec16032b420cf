"""Latency of one forecast and of forecasts for a fleet, through the served artifact.

Trains on the bundled simulated sample (365 days at 10 min) and on ETTh1 when
``../shared/data/ett`` is present, saves and loads the artifact (SHA-256 checked, JSON), then
calls ``Predictor.forecast`` as the CLI, the service and the jobs do: the history the model
asks for (``metadata["forecast_history_minutes"]``) in, 24 h at the data's step out, with
intervals.

* one forecast: min / median / p99 over ``--calls`` calls on histories ending at different
  times (goal: < 5 ms);
* a fleet: 1,000 transformers, each its own history (the sample shifted in time and level),
  one after the other in one process (goal: < 2 s).

Wall time and this process's CPU time are both reported: on a shared machine the wall time
also counts the other processes' turns (the load average is recorded with each run).

Usage: ``python benchmarks/forecast_speed.py [--calls 300] [--fleet 1000] [--runs 3]``;
writes benchmarks/results/forecast_speed.json.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
from rich.console import Console
from rich.progress import track
from rich.table import Table

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "src"))  # this checkout
from references import standard_borders  # noqa: E402

RESULTS = HERE / "results" / "forecast_speed.json"
ETT = HERE.parent.parent / "shared" / "data" / "ett"
GOALS = {"one_ms": 5.0, "fleet_s": 2.0}


def _trained(measurements, options, tmp: Path):
    from thermowatch.learn.artifact import load_model, save_model
    from thermowatch.learn.train import train

    result, fitted = train(measurements, options)
    directory = save_model(result, fitted, tmp)
    return load_model(directory), result.measurements.frame


def _histories(predictor, frame: pd.DataFrame, count: int) -> list[pd.DataFrame]:
    """``count`` histories of the length the model asks for, ending at spread-out rows."""
    minutes = float(predictor.metadata["forecast_history_minutes"])
    rows = int(np.ceil(minutes / (predictor.step / pd.Timedelta("1min")))) + 1
    ends = np.linspace(rows, len(frame) - 1, count).astype(int)
    return [frame.iloc[end - rows : end] for end in ends]


def _case(name: str, predictor, frame: pd.DataFrame, calls: int, fleet: int) -> dict:
    steps = round(pd.Timedelta("24h") / predictor.step)
    steps = min(steps, int(predictor.forecaster.horizon))
    histories = _histories(predictor, frame, calls)
    predictor.forecast(histories[0], steps)  # warm caches (imports, first allocations)
    one, one_cpu = [], []
    for history in histories:
        start, cpu = time.perf_counter(), time.process_time()
        forecast = predictor.forecast(history, steps)
        one.append(1000 * (time.perf_counter() - start))
        one_cpu.append(1000 * (time.process_time() - cpu))
        assert len(forecast.frame) == steps and np.isfinite(forecast.frame.to_numpy()).all()
    # A fleet: every transformer its own history (another period, another level).
    rng = np.random.default_rng(0)
    pool = _histories(predictor, frame, min(fleet, 200))
    fleet_histories = []
    for i in range(fleet):
        history = pool[i % len(pool)].copy()
        history[predictor.target] += rng.normal(0, 3)
        fleet_histories.append(history)
    start, cpu = time.perf_counter(), time.process_time()
    for history in track(fleet_histories, description=f"{name}: {fleet} forecasts"):
        predictor.forecast(history, steps)
    fleet_s = time.perf_counter() - start
    fleet_cpu_s = time.process_time() - cpu
    return {
        "case": name,
        "steps": steps,
        "step_minutes": predictor.step / pd.Timedelta("1min"),
        "history_rows": len(histories[0]),
        "forecaster": (predictor.roles or {}).get("forecast"),
        "one_ms": {
            "min": float(np.min(one)),
            "median": float(np.median(one)),
            "p99": float(np.percentile(one, 99)),
        },
        "one_cpu_ms_median": float(np.median(one_cpu)),
        "fleet": fleet,
        "fleet_s": fleet_s,
        "fleet_cpu_s": fleet_cpu_s,
        "load_average_1min": os.getloadavg()[0],
    }


def run_once(calls: int, fleet: int) -> list[dict]:
    from thermowatch.data import load_measurements
    from thermowatch.data.simulator import (
        RATED_CURRENT_A,
        SAMPLE_SPEC,
        simulate_sample,
        write_sample,
    )
    from thermowatch.learn.train import TrainOptions

    cases = []
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        path = tmp / "DATASET_TRANSFO.xlsx"
        write_sample(simulate_sample(), str(path))
        options = TrainOptions(
            rated_current_a=RATED_CURRENT_A, thermal_spec=SAMPLE_SPEC, nonlinear=False
        )
        predictor, frame = _trained(load_measurements(path), options, tmp / "sample")
        cases.append(_case("simulated sample (10 min)", predictor, frame, calls, fleet))
        if (ETT / "ETTh1.csv").exists():
            borders = standard_borders(60.0)
            data = load_measurements(ETT / "ETTh1.csv", target="OT", statistics_rows=borders[0])
            options = TrainOptions(split_rows=",".join(map(str, borders)), nonlinear=False)
            predictor, frame = _trained(data, options, tmp / "etth1")
            cases.append(_case("ETTh1 (hourly)", predictor, frame, calls, fleet))
    return cases


def main() -> dict:
    parser = argparse.ArgumentParser()
    parser.add_argument("--calls", type=int, default=300)
    parser.add_argument("--fleet", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    runs = [run_once(args.calls, args.fleet) for _ in range(args.runs)]
    summary = []
    for j, case in enumerate(runs[0]):
        medians = [run[j]["one_ms"]["median"] for run in runs]
        fleets = [run[j]["fleet_s"] for run in runs]
        cpu_one = [run[j]["one_cpu_ms_median"] for run in runs]
        cpu_fleet = [run[j]["fleet_cpu_s"] for run in runs]
        summary.append(
            {
                "case": case["case"],
                "forecaster": case["forecaster"],
                "steps": case["steps"],
                "history_rows": case["history_rows"],
                "one_ms_median": {"min": min(medians), "median": float(np.median(medians))},
                "one_ms_p99_max": max(run[j]["one_ms"]["p99"] for run in runs),
                "fleet_s": {"min": min(fleets), "median": float(np.median(fleets))},
                "one_cpu_ms": {"min": min(cpu_one), "median": float(np.median(cpu_one))},
                "fleet_cpu_s": {"min": min(cpu_fleet), "median": float(np.median(cpu_fleet))},
                "load_average": [run[j]["load_average_1min"] for run in runs],
                "met": float(np.median(medians)) < GOALS["one_ms"]
                and float(np.median(fleets)) < GOALS["fleet_s"],
                "met_on_cpu_time": float(np.median(cpu_one)) < GOALS["one_ms"]
                and float(np.median(cpu_fleet)) < GOALS["fleet_s"],
            }
        )
    table = Table(title=f"Predictor.forecast (24 h at the data's step), {args.runs} runs")
    for column in ("case", "steps", "one [ms] min/med", "one CPU [ms]", "p99 [ms]",
                   f"{args.fleet} [s] min/med", f"{args.fleet} CPU [s]", "met (wall/CPU)"):  # fmt: skip
        table.add_column(column, justify="left" if column in ("case", "model") else "right")
    for s in summary:
        table.add_row(
            f"{s['case']} ({s['forecaster']}, {s['history_rows']} rows of history)",
            str(s["steps"]),
            f"{s['one_ms_median']['min']:.2f} / {s['one_ms_median']['median']:.2f}",
            f"{s['one_cpu_ms']['median']:.2f}",
            f"{s['one_ms_p99_max']:.2f}",
            f"{s['fleet_s']['min']:.2f} / {s['fleet_s']['median']:.2f}",
            f"{s['fleet_cpu_s']['median']:.2f}",
            f"{s['met']} / {s['met_on_cpu_time']}",
        )
    Console(width=160).print(table)
    out = {"goals": GOALS, "summary": summary, "runs": runs}
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(out, indent=1))
    return out


if __name__ == "__main__":
    main()
