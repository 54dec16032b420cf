"""Short histories: train on 3, 6, 9 or 12 months from each of four season starts, test on the
next 4 months (issue 23).

Sets: ETTh1 and ETTm1 (target OT) from ../shared/data/ett when present, and the bundled
simulator (two years at 10 min, so that every window fits; rating known, IEC features on). Each window goes
through ``thermowatch.learn.train.train`` exactly as ``thermowatch train --split-dates`` would:
the last fifth of the training months is validation, the 4 months after them are test. The
forecast role is left out (``forecast=False``) to keep a run within minutes.

Per window, test RMSE [K] of the served normal-behaviour model against the original approach
(StandardScaler + LinearRegression on the inputs at t), gradient boosting on the same features,
and one-step persistence; the served nowcast; the worst and median rolling-origin fold of the
served model; the interval coverage; and the count of test predictions outside the physics
envelope (the physical range of the target, and the training range widened by its own width).
Goals: served ≤ 1.1 × min(original, gradient boosting), nowcast < persistence, coverage 85–95 %,
no prediction outside the envelope, the served model's worst fold ≤ 3 × its median fold.

Usage: ``python benchmarks/short_history.py [--sets ETTh1,ETTm1,sample] [--months 3,6,9,12]
[--windows 2017-03:3,2016-09:6] [--max-windows N] [--out FILE]``; writes benchmarks/results/short_history.json (rewritten after
every window, so a stopped run keeps its windows); ``--table FILE`` prints an earlier run's
table. Nothing is subsampled except the gradient-boosting comparison's training rows (at most
``GBM_MAX_ROWS`` of ``thermowatch.learn.train``, evenly spaced), as in every training run.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
from rich.console import Console
from rich.table import Table

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results" / "short_history.json"
ETT = HERE.parent.parent / "shared" / "data" / "ett"
SEASON_MONTHS = (3, 6, 9, 12)  # first month of spring, summer, autumn, winter
TEST_MONTHS = 4
VALIDATION_SHARE = 0.2
SAMPLE_DAYS = 730


def _load(name: str):
    from thermowatch.data import clean_measurements, load_measurements
    from thermowatch.data.simulator import simulate_sample

    if name == "sample":  # two years of the simulator, so that every window fits
        return clean_measurements(simulate_sample(days=SAMPLE_DAYS).frame, source="sample")
    path = ETT / f"{name}.csv"
    if not path.exists():
        return None
    return load_measurements(path, target="OT")


def season_starts(index: pd.DatetimeIndex) -> list[pd.Timestamp]:
    """The first instant of each of the first four seasons that start inside the data."""
    first = index[0]
    stamp = pd.Timestamp(year=first.year, month=first.month, day=1, tz=first.tz)
    out = []
    while len(out) < 4 and stamp <= index[-1]:
        if stamp.month in SEASON_MONTHS and stamp >= first:
            out.append(stamp)
        stamp = stamp + pd.DateOffset(months=1)
    return out


def window_rows(measurements, start: pd.Timestamp, months: int):
    """The rows of one window and its ``--split-dates`` borders (validation start, test start,
    test end), or None when its test months run past the data.

    Parameters
    ----------
    measurements : Measurements
        The whole set.
    start : pandas.Timestamp
        First instant of training.
    months : int
        Months of training (the last :data:`VALIDATION_SHARE` of them validation).

    Returns
    -------
    tuple of (Measurements, str) or None
    """
    index = measurements.frame.index
    train_end = start + pd.DateOffset(months=months)
    test_end = train_end + pd.DateOffset(months=TEST_MONTHS)
    if test_end > index[-1]:
        return None
    val_start = start + (train_end - start) * (1 - VALIDATION_SHARE)
    rows = slice(int(index.searchsorted(start)), int(index.searchsorted(test_end)))
    borders = ",".join(t.strftime("%Y-%m-%dT%H:%M:%S") for t in (val_start, train_end, test_end))
    return measurements.subset(rows), borders


def _window(measurements, start: pd.Timestamp, months: int, options_for):
    from thermowatch.learn.train import train

    made = window_rows(measurements, start, months)
    if made is None:
        return None
    part, borders = made
    clock = time.perf_counter()
    result, _ = train(part, options_for(borders))
    seconds = time.perf_counter() - clock
    m = {name: v["test"] for name, v in result.models.items()}
    served = result.roles["normal"]["chosen"]
    nowcast = result.roles["nowcast"]["chosen"]
    folds = result.roles["normal"].get("folds", {}).get(served, {})
    table = result.predictions
    test_rows = table["split"].to_numpy() == "test"
    train_y = table["measured"].to_numpy()[table["split"].to_numpy() == "train"]
    low, high = float(np.nanmin(train_y)), float(np.nanmax(train_y))
    from thermowatch.data import quantities as q

    quantity = part.columns[part.target].quantity
    physical = q.physical_range(quantity)
    pred = table["predicted"].to_numpy()[test_rows]
    envelope = (max(low - (high - low), physical[0]), min(high + (high - low), physical[1]))
    outside = int(np.sum((pred < envelope[0]) | (pred > envelope[1])))
    reference = min(m["baseline-linear"]["rmse"], m["gradient-boosting"]["rmse"])
    out = {
        "start": start.date().isoformat(),
        "months": months,
        "served": served,
        "served_rmse": m[served]["rmse"],
        "served_max_error": m[served].get("max_error"),
        "original_rmse": m["baseline-linear"]["rmse"],
        "gbm_rmse": m["gradient-boosting"]["rmse"],
        "persistence_rmse": m["persistence"]["rmse"],
        "nowcast": nowcast,
        "nowcast_rmse": m[nowcast]["rmse"],
        "worst_fold_rmse": folds.get("worst_rmse"),
        "median_fold_rmse": folds.get("median_rmse"),
        "fold_ratio": folds.get("ratio"),
        "coverage": m[served].get("coverage"),
        "outside_envelope": outside,
        "served_over_reference": m[served]["rmse"] / reference,
        "not_served": result.roles["normal"].get("not_served", {}),
        "train_seconds": seconds,
    }
    out["met"] = {
        "normal": out["served_over_reference"] <= 1.1,
        "nowcast": out["nowcast_rmse"] < out["persistence_rmse"],
        "coverage": out["coverage"] is not None and 0.85 <= out["coverage"] <= 0.95,
        "envelope": outside == 0,
        "folds": out["fold_ratio"] is not None and out["fold_ratio"] <= 3.0,
    }
    return out


def parse_windows(text: str | None) -> set[tuple[str, int]] | None:
    """``"2017-03:3,2016-09:6"`` -> {("2017-03", 3), ("2016-09", 6)} (start month, months of
    training); None: every window.

    Parameters
    ----------
    text : str or None
        Comma-separated ``YYYY-MM:MONTHS``.

    Returns
    -------
    set of (str, int) or None
    """
    if not text:
        return None
    out = set()
    for item in text.split(","):
        start, _, months = item.strip().partition(":")
        try:
            out.add((pd.Timestamp(start).strftime("%Y-%m"), int(months)))
        except ValueError:
            raise SystemExit(
                f"--windows: {item!r} is not YYYY-MM:MONTHS (e.g. 2017-03:3)."
            ) from None
    return out


def run(
    sets: list[str],
    months: list[int],
    max_windows: int | None,
    results: Path = RESULTS,
    windows: set[tuple[str, int]] | None = None,
) -> dict[str, list[dict]]:
    """Every window of every set (only ``windows``: (start ``YYYY-MM``, months) when given), a
    progress bar over them; the JSON is rewritten after each window, so a run stopped
    half-way keeps what it measured."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

    from thermowatch.data.simulator import RATED_CURRENT_A, SAMPLE_SPEC
    from thermowatch.learn.train import TrainOptions

    out: dict[str, list[dict]] = {}
    loaded = {name: _load(name) for name in sets}
    plan = []
    for name, measurements in loaded.items():
        if measurements is None:
            print(f"{name}: absent ({ETT}), skipped", file=sys.stderr)
            continue
        out[name] = []
        starts = season_starts(measurements.frame.index)
        plan += [
            (name, length, start)
            for length in months
            for start in starts
            if windows is None or (start.strftime("%Y-%m"), length) in windows
        ]
    rating = {"rated_current_a": RATED_CURRENT_A, "thermal_spec": SAMPLE_SPEC}
    with Progress(
        "{task.description}", BarColumn(), MofNCompleteColumn(), TimeElapsedColumn()
    ) as bar:
        task = bar.add_task("short histories", total=len(plan))
        for name, length, start in plan:
            extra = rating if name == "sample" else {}

            def options_for(borders: str, extra: dict = extra):
                return TrainOptions(split_dates=borders, forecast=False, report=False, **extra)

            bar.update(task, description=f"{name} {length} mo from {start.date()}")
            if max_windows is not None and len(out[name]) >= max_windows:
                made = None
            else:
                made = _window(loaded[name], start, length, options_for)
            bar.advance(task)
            if made is None:
                bar.console.print(f"{name}: {length} months from {start.date()} skipped")
                continue
            out[name].append(made)
            bar.console.print(
                f"{name} {start.date()} {length} mo: served {made['served_rmse']:.2f} K,"
                f" original {made['original_rmse']:.2f}, GBM {made['gbm_rmse']:.2f}"
                f" ({made['train_seconds']:.0f} s)"
            )
            results.parent.mkdir(parents=True, exist_ok=True)
            results.write_text(json.dumps(out, indent=1, default=float))
    return out


def _print(results: dict[str, list[dict]], console: Console) -> None:
    columns = ("start", "months", "served", "RMSE served", "original", "GBM", "served/min",
               "persistence", "nowcast", "worst fold", "median fold", "worst/median", "coverage",
               "outside")  # fmt: skip
    for name, windows in results.items():
        table = Table(title=f"{name}: short histories, test RMSE [K] on the next 4 months")
        for column in columns:
            table.add_column(column, justify="right")
        for w in windows:

            def f(v, digits=2):
                return "—" if v is None else f"{v:.{digits}f}"

            table.add_row(
                w["start"], str(w["months"]), w["served"].replace("thermal-monotone", "tm"),
                f(w["served_rmse"]), f(w["original_rmse"]), f(w["gbm_rmse"]),
                f(w["served_over_reference"]), f(w["persistence_rmse"]), f(w["nowcast_rmse"]),
                f(w["worst_fold_rmse"]), f(w["median_fold_rmse"]), f(w.get("fold_ratio")),
                f(w["coverage"], 3),
                str(w["outside_envelope"]),
            )  # fmt: skip
        console.print(table)
        for goal in ("normal", "nowcast", "coverage", "envelope", "folds"):
            met = sum(w["met"].get(goal, False) for w in windows)
            console.print(f"  {goal}: met on {met}/{len(windows)} windows")


def main() -> dict:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sets", default="ETTh1,ETTm1,sample")
    parser.add_argument("--months", default="3,6,9,12")
    parser.add_argument("--windows", default=None,
                        help="only these windows: YYYY-MM:MONTHS, comma-separated")  # fmt: skip
    parser.add_argument("--max-windows", type=int, default=None, help="per set")
    parser.add_argument("--out", type=Path, default=RESULTS, help="JSON results file")
    parser.add_argument("--table", type=Path, default=None,
                        help="print the table of an earlier run's JSON and exit")  # fmt: skip
    args = parser.parse_args()
    if args.table is not None:
        results = json.loads(args.table.read_text())
    else:
        months = [int(m) for m in args.months.split(",")]
        windows = parse_windows(args.windows)
        if windows is not None:
            months = sorted({length for _, length in windows})
        results = run(args.sets.split(","), months, args.max_windows, args.out, windows)
    _print(results, Console(width=160))
    return results


if __name__ == "__main__":
    main()
