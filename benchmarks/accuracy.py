"""Accuracy of every model, side by side, on the bundled simulated data and on real ETT data.

* simulated sample (365 days at 10 min, the IEC 60076-7 truth is known): goal thermal-linear test
  RMSE <= 0.5 × baseline-linear and <= 1.0 K;
* ETTh1 / ETTm1 (../shared/data/ett, target OT) with the standard borders: train the first
  12 × 30 days, validation the next 4 × 30, test the next 4 × 30. These files have no ambient
  temperature: the table shows what that costs. The original approach's shuffled 80/20 split is
  shown next to the honest chronological figure.

Writes benchmarks/results/accuracy.json and prints a table.
"""

from __future__ import annotations

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
RESULTS = HERE / "results" / "accuracy.json"
ETT = HERE.parent.parent / "shared" / "data" / "ett"


def _split_rows_for_days(index: pd.DatetimeIndex, days: tuple[int, int, int]) -> str:
    start = index[0]
    ends = np.cumsum(days)
    rows = [int(index.searchsorted(start + pd.Timedelta(days=int(d)))) for d in ends]
    return ",".join(map(str, rows))


def _shuffled_baseline_r2(measurements) -> float:
    """The original script: StandardScaler + LinearRegression, random 80/20 split."""
    from sklearn.linear_model import LinearRegression
    from sklearn.model_selection import train_test_split
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    frame = measurements.frame
    x, y = frame[measurements.feature_columns].to_numpy(), frame[measurements.target].to_numpy()
    x_tr, x_te, y_tr, y_te = train_test_split(x, y, test_size=0.2, random_state=42, shuffle=True)
    return float(
        make_pipeline(StandardScaler(), LinearRegression()).fit(x_tr, y_tr).score(x_te, y_te)
    )


def run_case(name: str, measurements, options) -> dict:
    from thermowatch.learn.train import train

    start = time.perf_counter()
    result, _ = train(measurements, options)
    return {
        "case": name,
        "rows": len(measurements.frame),
        "split": result.split,
        "models": {k: v["test"] for k, v in result.models.items()},
        "interval_coverage_test": result.interval["coverage_test"],
        "shuffled_baseline_r2": _shuffled_baseline_r2(measurements),
        "seconds": time.perf_counter() - start,
    }


def main() -> dict:
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
    cases.append(
        run_case(
            "simulated sample (365 d, 10 min)",
            sample,
            TrainOptions(rated_current_a=RATED_CURRENT_A, thermal_spec=SAMPLE_SPEC),
        )
    )
    if (ETT / "ETTh1.csv").exists():
        for file, label in (("ETTh1.csv", "ETTh1 (hourly)"), ("ETTm1.csv", "ETTm1 (15 min)")):
            data = load_measurements(ETT / file, target="OT")
            rows = _split_rows_for_days(data.frame.index, (360, 120, 120))
            cases.append(run_case(label, data, TrainOptions(split_rows=rows)))
    else:
        print(f"ETT data absent ({ETT}): real-data cases skipped", file=sys.stderr)

    sim = cases[0]["models"]
    goals = {
        "thermal_over_baseline_rmse": sim["thermal-linear"]["rmse"]
        / sim["baseline-linear"]["rmse"],
        "thermal_rmse_k": sim["thermal-linear"]["rmse"],
    }
    goals["met"] = goals["thermal_over_baseline_rmse"] <= 0.5 and goals["thermal_rmse_k"] <= 1.0
    out = {"cases": cases, "goals": goals}
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(out, indent=2, default=float))

    console = Console()
    for case in cases:
        table = Table(
            title=f"{case['case']} — test period, {case['rows']:,} rows, {case['seconds']:.1f} s"
        )
        for column in ("model", "RMSE [K]", "MAE [K]", "R²"):
            table.add_column(column, justify="left" if column == "model" else "right")
        for name, m in case["models"].items():
            table.add_row(name, f"{m['rmse']:.3f}", f"{m['mae']:.3f}", f"{m['r2']:.3f}")
        table.caption = (
            f"original approach with a shuffled 80/20 split: R² {case['shuffled_baseline_r2']:.3f}; "
            f"90 % interval coverage on test {case['interval_coverage_test']:.3f}"
        )
        console.print(table)
    console.print(
        f"simulated: thermal-linear / baseline RMSE = {goals['thermal_over_baseline_rmse']:.2f} "
        f"(goal <= 0.5), thermal-linear RMSE {goals['thermal_rmse_k']:.3f} K (goal <= 1.0): "
        + ("met" if goals["met"] else "NOT met")
    )
    return out


if __name__ == "__main__":
    main()
