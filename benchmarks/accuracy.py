"""Accuracy of every model, side by side with simple references computed in the same run.

Sets: the bundled simulated sample (365 days at 10 min, the IEC 60076-7 truth is known) and,
when ../shared/data/ett is present, ETTh1 and ETTm1 (target OT) with the standard borders
(hourly rows [0, 8640) train, [8640, 11520) validation, [11520, 14400) test; 15-minute × 4).

References (benchmarks/references.py, plain scikit-learn on the raw file): (a) the original
approach, (b) persistence, (c) ridge on loads, smooths and calendar, (d) one-step lag ridge,
(e) NLinear forecast. thermowatch's models go through the same path as ``thermowatch train
--split-rows A,B,C``. One table per set: model × RMSE / MAE / R² / coverage (test), and forecast
MSE (standardised, as (e)) at 1, 24 and 96 steps.

Usage: ``python benchmarks/accuracy.py [--runs 3]``; writes benchmarks/results/accuracy.json.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
from rich.console import Console
from rich.table import Table

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from references import references, standard_borders  # noqa: E402

RESULTS = HERE / "results" / "accuracy.json"
ETT = HERE.parent.parent / "shared" / "data" / "ett"
STEPS = (1, 24, 96)


def _case(name: str, measurements, options, raw: pd.DataFrame | None, borders) -> dict:
    from thermowatch.learn.train import train

    start = time.perf_counter()
    result, _ = train(measurements, options)
    seconds = time.perf_counter() - start
    refs = None
    if raw is not None:
        step = measurements.step / pd.Timedelta("1min")
        refs = references(raw, measurements.target, borders, step)
    forecast = result.forecast
    return {
        "case": name,
        "rows": len(measurements.frame),
        "step_minutes": measurements.step / pd.Timedelta("1min"),
        "rows_in": int(measurements.cleaning.rows_in),
        "rows_removed_by_cleaning": int(measurements.cleaning.rows_in - len(measurements.frame)),
        "split": result.split,
        "models": {k: v["test"] for k, v in result.models.items()},
        "roles": {role: c["chosen"] for role, c in result.roles.items()},
        # Worst / median rolling-origin fold of each normal-behaviour candidate (issue 23).
        "normal_folds": result.roles["normal"].get("folds", {}),
        "forecast": {
            name: {
                "mse": v["test"]["mse"],
                "mse_at": {s: v["test"]["mse_by_step"][s - 1] for s in STEPS},
            }
            for name, v in forecast["models"].items()
        },
        "forecast_coverage_test": dict(
            zip(forecast["interval_steps"], forecast["coverage_test_by_step"], strict=True)
        ),
        "references": refs,
        "train_seconds": seconds,
    }


def _goals(case: dict) -> dict:
    refs, m = case["references"], case["models"]
    normal_name = case["roles"]["normal"]
    normal, nowcast = m[normal_name]["rmse"], m[case["roles"]["nowcast"]]["rmse"]
    served = case["forecast"][case["roles"]["forecast"]]["mse_at"][96]
    coverage = [m[normal_name]["coverage"], m[case["roles"]["nowcast"]]["coverage"]]
    coverage += list(case["forecast_coverage_test"].values())
    goals = {
        "normal_over_a": normal / refs["a_original_rmse"],
        "normal_over_c": normal / refs["c_ridge_smooth_calendar_rmse"],
        # (c) with the short alpha grid (0.01 … 1000): not the goal, reported for honesty.
        "normal_over_c_short_grid": normal / refs["c_short_grid_rmse"],
        "nowcast_over_d": nowcast / refs["d_one_step_ridge_rmse"],
        "nowcast_over_persistence": nowcast / refs["b_persistence_rmse"],
        "forecast96_over_e": served / refs["e_nlinear_mse_by_step"][95],
        "forecast_all_over_e": case["forecast"][case["roles"]["forecast"]]["mse"]
        / refs["e_nlinear_mse"],
        "coverage_min": min(coverage),
        "coverage_max": max(coverage),
        "worst_over_median_fold": case["normal_folds"].get(normal_name, {}).get("ratio"),
    }
    goals["met"] = {
        "normal": goals["normal_over_c"] <= 0.95 and goals["normal_over_a"] <= 0.75,
        # Issue 23's decision: ≤ 0.95 × (d) for hourly data; ≤ (d) for finer steps (the step
        # change is mostly sensor noise there), and below persistence for both.
        "nowcast": goals["nowcast_over_d"] <= (0.95 if case["step_minutes"] >= 60 else 1.0)
        and goals["nowcast_over_persistence"] < 1,
        "forecast": goals["forecast_all_over_e"] <= 0.97,
        "coverage": goals["coverage_min"] >= 0.85 and goals["coverage_max"] <= 0.95,
        "cleaning": case["rows_removed_by_cleaning"] <= 0.01 * case["rows_in"],
    }
    return goals


def run_once() -> list[dict]:
    from thermowatch.data import load_measurements
    from thermowatch.data.simulator import (
        RATED_CURRENT_A,
        SAMPLE_SPEC,
        simulate_sample,
        write_sample,
    )
    from thermowatch.learn.train import TrainOptions

    cases = []
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "DATASET_TRANSFO.xlsx"
        write_sample(simulate_sample(), str(path))
        sample = load_measurements(path)
    options = TrainOptions(rated_current_a=RATED_CURRENT_A, thermal_spec=SAMPLE_SPEC)
    case = _case("simulated sample (365 d, 10 min)", sample, options, None, None)
    m = case["models"]
    case["goals"] = {
        "normal_over_baseline": m[case["roles"]["normal"]]["rmse"] / m["baseline-linear"]["rmse"],
        "normal_rmse_k": m[case["roles"]["normal"]]["rmse"],
        "forecast_beats_persistence_at_every_step": all(
            case["forecast"][case["roles"]["forecast"]]["mse_at"][s]
            < case["forecast"]["persistence"]["mse_at"][s]
            for s in STEPS
        ),
    }
    cases.append(case)
    if not (ETT / "ETTh1.csv").exists():
        print(f"ETT data absent ({ETT}): real-data cases skipped", file=sys.stderr)
        return cases
    for file, label in (("ETTh1.csv", "ETTh1 (hourly)"), ("ETTm1.csv", "ETTm1 (15 min)")):
        raw = pd.read_csv(ETT / file, parse_dates=["date"], index_col="date")
        step = (raw.index[1] - raw.index[0]) / pd.Timedelta("1min")
        borders = standard_borders(step)
        data = load_measurements(ETT / file, target="OT", statistics_rows=borders[0])
        options = TrainOptions(split_rows=",".join(map(str, borders)))
        case = _case(label, data, options, raw, borders)
        case["goals"] = _goals(case)
        cases.append(case)
    return cases


def _print(cases: list[dict], console: Console) -> None:
    for case in cases:
        table = Table(
            title=f"{case['case']} — test period, {case['rows']:,} rows"
            f" ({case['rows_removed_by_cleaning']} removed by cleaning),"
            f" train {case['train_seconds']:.1f} s"
        )
        for column in ("model", "role", "RMSE [K]", "MAE [K]", "R²", "coverage 90 %"):
            table.add_column(column, justify="left" if column in ("model", "role") else "right")
        served = {v: k for k, v in case["roles"].items()}
        for name, m in case["models"].items():
            cov = m.get("coverage")
            table.add_row(
                name,
                served.get(name, ""),
                f"{m['rmse']:.3f}",
                f"{m['mae']:.3f}",
                f"{m['r2']:.3f}",
                f"{cov:.3f}" if cov is not None else "",
            )
        refs = case["references"]
        if refs:
            for key, label in (
                ("a_original_rmse", "(a) original approach"),
                ("b_persistence_rmse", "(b) persistence"),
                ("c_ridge_smooth_calendar_rmse", "(c) ridge smooths+calendar"),
                ("d_one_step_ridge_rmse", "(d) one-step lag ridge"),
            ):
                table.add_row(label, "reference", f"{refs[key]:.3f}", "", "", "")
        console.print(table)
        ft = Table(title=f"{case['case']} — forecast MSE (standardised) on test")
        for column in ("model", "all steps", *(f"step {s}" for s in STEPS)):
            ft.add_column(column, justify="left" if column == "model" else "right")
        for name, f in case["forecast"].items():
            mark = " ★" if name == case["roles"].get("forecast") else ""
            ft.add_row(name + mark, f"{f['mse']:.4f}", *(f"{f['mse_at'][s]:.4f}" for s in STEPS))
        if refs:
            by = refs["e_nlinear_mse_by_step"]
            ft.add_row(
                "(e) NLinear reference",
                f"{refs['e_nlinear_mse']:.4f}",
                *(f"{by[s - 1]:.4f}" for s in STEPS),
            )
        console.print(ft)
        goals = case.get("goals", {})
        console.print(
            "  " + ", ".join(f"{k}: {v:.3f}" for k, v in goals.items() if isinstance(v, float))
        )
        if "met" in goals:
            console.print("  goals met: " + ", ".join(f"{k} {v}" for k, v in goals["met"].items()))


def main() -> dict:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=1)
    args = parser.parse_args()
    console = Console()
    runs = []
    for i in range(args.runs):
        cases = run_once()
        runs.append(cases)
        console.print(f"[bold]run {i + 1}/{args.runs}[/bold]")
        _print(cases, console)
    seconds = {
        case["case"]: [run[j]["train_seconds"] for run in runs] for j, case in enumerate(runs[0])
    }
    timing = {
        name: {"min": float(np.min(v)), "median": float(np.median(v)), "runs": v}
        for name, v in seconds.items()
    }
    for name, t in timing.items():
        console.print(f"train {name}: min {t['min']:.1f} s, median {t['median']:.1f} s")
    out = {"runs": runs, "train_seconds": timing}
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(out, indent=1, default=float))
    return out


if __name__ == "__main__":
    main()
