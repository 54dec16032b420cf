"""Why a short-history window misses its normal-behaviour goal: every candidate's error month by
month (issue 23).

For each window of ``short_history.py`` (by default the windows its last results mark as
missing "served ≤ 1.1 × min(original approach, gradient boosting)"), the normal-behaviour role
is fitted exactly as ``thermowatch train --split-dates`` fits it, and every candidate and
comparison is scored: validation RMSE, the selection score (servable candidates: validation and
rolling-origin folds), test RMSE and bias, and, per calendar month of validation and test, the
mean error (bias, predicted − measured [K]) and the RMSE [K]. For the servable candidates also
the test RMSE of their fit on the training rows alone (before the served refit on training +
validation), the rows the comparisons are fitted on: it tells a gap that comes from the model's
structure from one that comes from which weeks its level was last estimated on.

Usage: ``python benchmarks/window_bias.py [--sets ETTh1,ETTm1] [--windows 2017-03:3,...]
[--out FILE]``; writes benchmarks/results/window_bias.json and prints a table per window.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd
from rich.console import Console
from rich.table import Table

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import short_history  # noqa: E402  (the windows' one home)

RESULTS = HERE / "results" / "window_bias.json"


def missed_windows(results: Path = short_history.RESULTS) -> dict[str, set[tuple[str, int]]]:
    """Per set, the windows (start ``YYYY-MM``, months) an earlier ``short_history.py`` run
    marks as missing the normal-behaviour goal."""
    if not results.exists():
        return {}
    out: dict[str, set[tuple[str, int]]] = {}
    for name, windows in json.loads(results.read_text()).items():
        for w in windows:
            if not w["met"]["normal"]:
                out.setdefault(name, set()).add((w["start"][:7], int(w["months"])))
    return out


def _scores(y, predicted, rows, index) -> dict:
    """RMSE and bias [K] of ``predicted`` on ``rows``, and per calendar month."""
    error = pd.Series(predicted[rows] - y[rows], index=index[rows]).dropna()
    month = error.groupby(error.index.strftime("%Y-%m"))
    return {
        "rmse": float(np.sqrt(np.mean(error**2))) if len(error) else float("nan"),
        "bias": float(error.mean()) if len(error) else float("nan"),
        "bias_by_month": {k: float(v) for k, v in month.mean().items()},
        "rmse_by_month": {k: float(np.sqrt(np.mean(v**2))) for k, v in month},
    }


def analyse(measurements, start: pd.Timestamp, months: int) -> dict | None:
    """Every normal-behaviour candidate's errors in one window (None: it does not fit)."""
    from thermowatch.learn.train import TrainOptions, prepare
    from thermowatch.learn.train_normal import fold_score, train_normal

    made = short_history.window_rows(measurements, start, months)
    if made is None:
        return None
    part, borders = made
    data = prepare(part, TrainOptions(split_dates=borders, forecast=False, report=False))
    role = train_normal(data, lambda _label: None)
    split, y, index = data.split, data.y, data.index
    scored = np.zeros(len(y), dtype=bool)
    scored[split.validation.start : split.test.stop] = True
    test = np.zeros(len(y), dtype=bool)
    test[split.test] = True
    models = {}
    for name, predicted in role.predictions.items():
        if name == "persistence":
            continue
        entry = {
            "validation_rmse": role.metrics[name]["validation"]["rmse"],
            "test": _scores(y, predicted, test, index),
            "by_month": _scores(y, predicted, scored, index),
        }
        if name in role.folds:
            entry["score"] = fold_score(entry["validation_rmse"], role.folds[name])
            fitted = {**role.servable, role.choice.chosen: role.model}.get(name)
            if fitted is not None:  # an unstable candidate is not kept
                held_out = fitted.predict_held_out(data.physics)
                entry["train_only_test_rmse"] = _scores(y, held_out, test, index)["rmse"]
        models[name] = entry
    return {"start": start.date().isoformat(), "months": months,
            "served": role.choice.chosen, "models": models}  # fmt: skip


def _print(results: dict[str, list[dict]], console: Console) -> None:
    for name, windows in results.items():
        for w in windows:
            table = Table(title=f"{name} {w['start']} {w['months']} mo (served {w['served']})")
            months = list(next(iter(w["models"].values()))["by_month"]["bias_by_month"])
            for column in ("model", "val", "score", "test", "bias", "train-only", *months):
                table.add_column(column, justify="right")
            for model, m in w["models"].items():

                def f(v, sign=""):
                    return "—" if v is None or v != v else f"{v:{sign}.2f}"

                bias = m["by_month"]["bias_by_month"]
                table.add_row(
                    model.replace("thermal-monotone", "tm"), f(m["validation_rmse"]),
                    f(m.get("score")), f(m["test"]["rmse"]), f(m["test"]["bias"], "+"),
                    f(m.get("train_only_test_rmse")), *(f(bias.get(k), "+") for k in months),
                )  # fmt: skip
            console.print(table)
    console.print("per month: bias (predicted − measured) [K] over validation and test")


def main() -> dict:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sets", default="ETTh1,ETTm1")
    parser.add_argument("--windows", default=None,
                        help="YYYY-MM:MONTHS, comma-separated (default: the missed ones)")  # fmt: skip
    parser.add_argument("--out", type=Path, default=RESULTS, help="JSON results file")
    args = parser.parse_args()
    chosen = short_history.parse_windows(args.windows)
    missed = missed_windows()
    results: dict[str, list[dict]] = {}
    for name in args.sets.split(","):
        measurements = short_history._load(name)
        if measurements is None:
            print(f"{name}: absent ({short_history.ETT}), skipped", file=sys.stderr)
            continue
        wanted = chosen if chosen is not None else missed.get(name, set())
        results[name] = []
        for start, months in sorted(wanted):
            made = analyse(
                measurements, pd.Timestamp(start, tz=measurements.frame.index.tz), months
            )
            if made is not None:
                results[name].append(made)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=1, default=float))
    _print(results, Console(width=200))
    return results


if __name__ == "__main__":
    main()
