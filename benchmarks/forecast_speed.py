"""Latency of one forecast and of forecasts for a fleet, through the served artifact, before
(main's path) and after (the array path, batched by model) side by side in one process.

Trains on the bundled simulated sample (365 days at 10 min) and on ETTh1 when
``../shared/data/ett`` is present, saves and loads the artifact (SHA-256 checked, JSON), then
forecasts as the CLI, the service and the jobs do: the history the model asks for
(``metadata["forecast_history_minutes"]``) in, 24 h at the data's step out, with intervals.

Paths, measured on the same histories, interleaved:

* ``main``: the one-transformer path before fleets (features over the filters' warm-up built
  in pandas, the forecaster's single-series ``forecast``), kept here as the reference;
* ``single``: ``Predictor.forecast``, one transformer at a time;
* ``batched``: :func:`thermowatch.live.forecast.forecast_fleet`: the filters of
  transformers read at the same time steps run together, across models sharing the feature
  recipe (each row with its model's load scales and rated current), then one product per
  model. A real fleet is measured three ways: one model for all 1,000 (one champion), 10
  models × 100 transformers, and a model per transformer (1,000 predictors, each its own
  scales and rating, cycling over 20 copies of the weights so that consecutive transformers
  do not share warm caches).

Fleet answers are checked against ``main`` with the same model (every one, or every 10th for
the fleets of copies; max |difference| reported, must be < 1e-9 K).

* one forecast: min / median / p99 over ``--calls`` calls on histories ending at different
  times (goal: < 5 ms);
* a fleet: 1,000 transformers, each its own history (the sample shifted in time and level)
  (goal: < 2 s), timed on its second pass: a service forecasts the same fleet every refresh,
  so each loaded model has found its columns and interval widths once (the first pass of a
  model per transformer costs ~1 ms more per transformer).

Wall time and this process's CPU time are both reported: on a shared machine the wall time
also counts the other processes' turns (the load average is recorded with each run).

Usage: ``python benchmarks/forecast_speed.py [--calls 300] [--fleet 1000] [--runs 3]``;
writes benchmarks/results/forecast_speed.json.
"""

from __future__ import annotations

import argparse
import copy
import dataclasses
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
FLEETS = ("main", "single", "batched: 1 model", "batched: 10 models", "batched: model each")


def _trained(measurements, options, tmp: Path):
    from thermowatch.learn.artifact import load_model, save_model
    from thermowatch.learn.train import train

    result, fitted = train(measurements, options)
    directory = save_model(result, fitted, tmp)
    return load_model(directory), result.measurements.frame


def main_path(predictor, history: pd.DataFrame, steps: int) -> pd.DataFrame:
    """The forecast as main computed it (the reference: pandas features, one at a time)."""
    from thermowatch.learn.features import build_features

    trained = int(predictor.forecaster.horizon)
    history = history.sort_index()
    y = history[predictor.target].to_numpy(dtype=np.float64)
    known = np.isfinite(y)
    history = history.iloc[: np.flatnonzero(known)[-1] + 1]
    y = y[: len(history)]
    readings = history[list(predictor.variables)].ffill().bfill()
    members = getattr(predictor.forecaster, "members", [predictor.forecaster])
    features, normal = None, np.full(len(readings), np.nan)
    if any(getattr(m, "exogenous", True) for m in members):
        minutes = predictor.feature_spec.warmup_minutes
        rows = min(
            len(readings), int(np.ceil(minutes / (predictor.step / pd.Timedelta("1min")))) + 2
        )
        tail = readings.iloc[-rows:]
        built = build_features(tail, predictor.feature_spec)
        normal[-rows:] = predictor._normal(tail, built)
        features = built.reindex(readings.index)
    origin = np.array([len(history) - 1])
    path = predictor.forecaster.forecast(
        y, history.index, predictor.step, features, normal, origin
    )[0]
    future = history.index[-1] + predictor.step * np.arange(1, trained + 1)
    half = predictor._forecast_half(trained)
    frame = pd.DataFrame(
        {"predicted": path, "lower": path - half, "upper": path + half}, index=future
    ).iloc[:steps]
    frame.index.name = "timestamp"
    return frame


def _histories(predictor, frame: pd.DataFrame, count: int) -> list[pd.DataFrame]:
    """``count`` histories of the length the model asks for, ending at spread-out rows."""
    minutes = float(predictor.metadata["forecast_history_minutes"])
    rows = int(np.ceil(minutes / (predictor.step / pd.Timedelta("1min")))) + 1
    ends = np.linspace(rows, len(frame) - 1, count).astype(int)
    return [frame.iloc[end - rows : end] for end in ends]


def _copies(predictor, count: int, distinct: int) -> list:
    """``count`` loaded models, as a fleet of one design has them: each its own id, caches,
    load scales and rated current (the same feature recipe), over ``distinct`` copies of the
    weights."""
    weights = [
        (copy.deepcopy(predictor.model), copy.deepcopy(predictor.forecaster))
        for _ in range(distinct)
    ]
    spec = predictor.feature_spec
    out = []
    for i in range(count):
        factor = 1.0 + 0.2 * i / count
        iec = None
        if spec.iec:
            iec = {**spec.iec, "spec": {**spec.iec["spec"]}}
            iec["spec"]["rated_current_a"] *= factor
        own = dataclasses.replace(
            spec, scales={k: v * factor for k, v in spec.scales.items()}, iec=iec
        )
        out.append(
            dataclasses.replace(
                predictor,
                model_id=f"{predictor.model_id}-{i}",
                feature_spec=own,
                model=weights[i % distinct][0],
                forecaster=weights[i % distinct][1],
                _cache={},
            )
        )
    return out


def _timed(fn) -> tuple[float, float, object]:
    start, cpu = time.perf_counter(), time.process_time()
    out = fn()
    return time.perf_counter() - start, time.process_time() - cpu, out


def _case(name: str, predictor, frame: pd.DataFrame, calls: int, fleet: int) -> dict:
    from thermowatch.live.forecast import forecast_fleet

    steps = round(pd.Timedelta("24h") / predictor.step)
    steps = min(steps, int(predictor.forecaster.horizon))
    histories = _histories(predictor, frame, calls)
    main_path(predictor, histories[0], steps)  # warm caches (imports, first allocations)
    predictor.forecast(histories[0], steps)
    one: dict[str, list[float]] = {"main": [], "single": []}
    one_cpu: dict[str, list[float]] = {"main": [], "single": []}
    for history in histories:  # interleaved: both paths see the same load
        for path, call in (
            ("main", lambda h=history: main_path(predictor, h, steps)),
            ("single", lambda h=history: predictor.forecast(h, steps).frame),
        ):
            wall, cpu, out = _timed(call)
            one[path].append(1000 * wall)
            one_cpu[path].append(1000 * cpu)
            assert len(out) == steps and np.isfinite(out.to_numpy()).all()
    # A fleet: every transformer its own history (another period, another level).
    rng = np.random.default_rng(0)
    pool = _histories(predictor, frame, min(fleet, 200))
    fleet_histories = []
    for i in range(fleet):
        history = pool[i % len(pool)].copy()
        history[predictor.target] += rng.normal(0, 3)
        fleet_histories.append(history)
    each = _copies(predictor, fleet, 20)
    tens = _copies(predictor, 10, 10)
    runs = {
        "main": lambda: [main_path(predictor, h, steps) for h in fleet_histories],
        "single": lambda: [predictor.forecast(h, steps).frame for h in fleet_histories],
        "batched: 1 model": lambda: forecast_fleet(
            [(predictor, h) for h in fleet_histories], steps
        ),
        "batched: 10 models": lambda: forecast_fleet(
            [(tens[i % 10], h) for i, h in enumerate(fleet_histories)], steps
        ),
        "batched: model each": lambda: forecast_fleet(
            list(zip(each, fleet_histories, strict=True)), steps
        ),
    }
    fleet_s, fleet_cpu_s, answers = {}, {}, {}
    for path in track(FLEETS, description=f"{name}: {fleet} transformers, 5 paths"):
        runs[path]()  # a service forecasts its fleet again and again: measure it warm
        fleet_s[path], fleet_cpu_s[path], answers[path] = _timed(runs[path])
    # Every answer against main's path with the same model (the fleets of copies: every
    # 10th transformer, main's path being what is slow).
    models = {
        "single": [predictor] * fleet,
        "batched: 1 model": [predictor] * fleet,
        "batched: 10 models": [tens[i % 10] for i in range(fleet)],
        "batched: model each": each,
    }
    gaps = {}
    for path in FLEETS[1:]:
        every = 1 if models[path][0] is models[path][-1] else 10
        worst = 0.0
        for i in range(0, fleet, every):
            answer = answers[path][i]
            got = (answer if isinstance(answer, pd.DataFrame) else answer.frame)["predicted"]
            want = (
                answers["main"][i]
                if models[path][i] is predictor
                else main_path(models[path][i], fleet_histories[i], steps)
            )["predicted"]
            worst = max(worst, float(np.max(np.abs(got.to_numpy() - want.to_numpy()))))
        gaps[path] = worst
    return {
        "case": name,
        "steps": steps,
        "step_minutes": predictor.step / pd.Timedelta("1min"),
        "history_rows": len(histories[0]),
        "forecaster": (predictor.roles or {}).get("forecast"),
        "one_ms": {
            path: {
                "min": float(np.min(v)),
                "median": float(np.median(v)),
                "p99": float(np.percentile(v, 99)),
                "cpu_median": float(np.median(one_cpu[path])),
            }
            for path, v in one.items()
        },
        "fleet": fleet,
        "fleet_s": fleet_s,
        "fleet_cpu_s": fleet_cpu_s,
        "max_abs_difference_to_main_k": gaps,
        "load_average_1min": os.getloadavg()[0],
    }


def _cases() -> list[tuple[str, object, pd.DataFrame]]:
    from thermowatch.data import load_measurements
    from thermowatch.data.simulator import (
        RATED_CURRENT_A,
        SAMPLE_SPEC,
        simulate_sample,
        write_sample,
    )
    from thermowatch.learn.train import TrainOptions

    cases = []
    tmp = Path(tempfile.mkdtemp(prefix="forecast-speed-"))
    path = tmp / "DATASET_TRANSFO.xlsx"
    write_sample(simulate_sample(), str(path))
    options = TrainOptions(
        rated_current_a=RATED_CURRENT_A, thermal_spec=SAMPLE_SPEC, nonlinear=False
    )
    cases.append(
        ("simulated sample (10 min)", *_trained(load_measurements(path), options, tmp / "s"))
    )
    if (ETT / "ETTh1.csv").exists():
        borders = standard_borders(60.0)
        data = load_measurements(ETT / "ETTh1.csv", target="OT", statistics_rows=borders[0])
        options = TrainOptions(split_rows=",".join(map(str, borders)), nonlinear=False)
        cases.append(("ETTh1 (hourly)", *_trained(data, options, tmp / "etth1")))
    return cases


def _spread(values: list[float]) -> dict[str, float]:
    return {"min": float(np.min(values)), "median": float(np.median(values))}


def main() -> dict:
    parser = argparse.ArgumentParser()
    parser.add_argument("--calls", type=int, default=300)
    parser.add_argument("--fleet", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    cases = _cases()  # trained once: training is not what is measured here
    runs = [[_case(n, p, f, args.calls, args.fleet) for n, p, f in cases] for _ in range(args.runs)]
    summary = []
    for j, case in enumerate(runs[0]):
        one = {
            path: _spread([run[j]["one_ms"][path]["median"] for run in runs])
            for path in ("main", "single")
        }
        one_cpu = {
            path: _spread([run[j]["one_ms"][path]["cpu_median"] for run in runs])
            for path in ("main", "single")
        }
        fleet = {path: _spread([run[j]["fleet_s"][path] for run in runs]) for path in FLEETS}
        fleet_cpu = {
            path: _spread([run[j]["fleet_cpu_s"][path] for run in runs]) for path in FLEETS
        }
        ratios = {
            path: _spread([run[j]["fleet_s"]["main"] / run[j]["fleet_s"][path] for run in runs])
            for path in FLEETS[1:]
        }
        gap = max(max(run[j]["max_abs_difference_to_main_k"].values()) for run in runs)
        summary.append(
            {
                "case": case["case"],
                "forecaster": case["forecaster"],
                "steps": case["steps"],
                "history_rows": case["history_rows"],
                "one_ms_median": one,
                "one_ms_p99_max": {
                    path: max(run[j]["one_ms"][path]["p99"] for run in runs)
                    for path in ("main", "single")
                },
                "one_cpu_ms": one_cpu,
                "fleet_s": fleet,
                "fleet_cpu_s": fleet_cpu,
                "fleet_speed_up_vs_main": ratios,
                "max_abs_difference_to_main_k": gap,
                "load_average": [run[j]["load_average_1min"] for run in runs],
                "met": {
                    path: one["single"]["median"] < GOALS["one_ms"]
                    and fleet[path]["median"] < GOALS["fleet_s"]
                    for path in FLEETS[1:]
                },
            }
        )
    console = Console(width=170)
    for s in summary:
        table = Table(
            title=f"{s['case']} — {s['forecaster']}, {s['history_rows']} rows of history, "
            f"{s['steps']} steps; {args.runs} runs, min / median; load average "
            f"{', '.join(f'{v:.1f}' for v in s['load_average'])}; max |Δ| to main "
            f"{s['max_abs_difference_to_main_k']:.1e} K"
        )
        for column in ("path", "one [ms]", "one CPU [ms]", "one p99 [ms]",
                       f"{args.fleet} [s]", f"{args.fleet} CPU [s]", "× main", "goals met"):  # fmt: skip
            table.add_column(column, justify="left" if column == "path" else "right")
        for path in FLEETS:
            alone = path in ("main", "single")
            table.add_row(
                path,
                f"{s['one_ms_median'][path]['min']:.2f} / {s['one_ms_median'][path]['median']:.2f}"
                if alone else "",
                f"{s['one_cpu_ms'][path]['median']:.2f}" if alone else "",
                f"{s['one_ms_p99_max'][path]:.2f}" if alone else "",
                f"{s['fleet_s'][path]['min']:.2f} / {s['fleet_s'][path]['median']:.2f}",
                f"{s['fleet_cpu_s'][path]['median']:.2f}",
                f"{s['fleet_speed_up_vs_main'][path]['median']:.1f}" if path != "main" else "1",
                str(s["met"].get(path, "")),
            )  # fmt: skip
        console.print(table)
    out = {"goals": GOALS, "summary": summary, "runs": runs}
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(out, indent=1))
    return out


if __name__ == "__main__":
    main()
