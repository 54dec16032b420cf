"""Parse + validation time of ``POST /v1/predict/batch`` uploads, before and after batch
scoring learnt to read what ``train`` reads (issue 16).

Side by side in one run, on the same 100,000 readings of a trained sample model:

* ``before``: the former path, ``pandas.read_csv(engine="pyarrow")`` of a plain CSV
  (``,`` and a decimal point; the only CSV it accepted) and a column-by-column number check;
* ``after``: ``service.routes.batch`` ``_parse`` + ``_validate`` (the shared file reader:
  delimiter, decimal comma and encoding sniffed; per-row problems collected) on the same plain
  CSV, and on the French CSV (``;``, decimal comma) that ``thermowatch sample`` writes.

Scoring itself (``score_ms``) is unchanged and not measured here. Each case runs 3 times;
min and median are reported. Writes ``benchmarks/results/batch_parse.json``.

usage: python benchmarks/batch_parse.py [--rows N]
"""

from __future__ import annotations

import argparse
import io
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from thermowatch.data import load_measurements
from thermowatch.data.simulator import RATED_CURRENT_A, simulate_sample, write_sample
from thermowatch.learn.artifact import load_model, save_model
from thermowatch.learn.train import TrainOptions, train
from thermowatch.service.routes.batch import _parse, _validate

RESULTS = Path(__file__).resolve().parent / "results"


def before(raw: bytes, variables: list[str]) -> np.ndarray:
    """The former parse and check: pyarrow CSV, ISO timestamps, every model column numeric."""
    frame = pd.read_csv(io.BytesIO(raw), engine="pyarrow")
    pd.DatetimeIndex(pd.to_datetime(frame["horodatage"], utc=True))
    x = np.empty((len(frame), len(variables)))
    for j, name in enumerate(variables):
        values = frame[name].to_numpy(dtype=np.float64)
        if not np.isfinite(values).all():
            raise ValueError(name)
        x[:, j] = values
    return x


def timed(fn, runs: int = 3) -> list[float]:
    out = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        out.append(time.perf_counter() - start)
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=100_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        data = Path(folder) / "sample.csv"
        write_sample(simulate_sample(days=20, seed=7), str(data))
        options = TrainOptions(rated_current_a=RATED_CURRENT_A, nonlinear=False)
        result, fitted = train(load_measurements(data), options)
        predictor = load_model(save_model(result, fitted, Path(folder) / "model"))
        days = int(np.ceil(args.rows / 144)) + 2
        export = simulate_sample(days=days, seed=3).frame.dropna().head(args.rows)
    served = SimpleNamespace(predictor=predictor, model_id=predictor.model_id)
    variables = list(predictor.variables)
    iso = export.assign(horodatage=pd.to_datetime(export["horodatage"], dayfirst=True))
    plain = iso[["horodatage", *variables]].to_csv(index=False).encode("utf-8")
    french = export.to_csv(index=False, sep=";", decimal=",").encode("utf-8")
    cases = {
        "before, plain CSV": lambda: before(plain, variables),
        "after, plain CSV": lambda: _validate(_parse(plain, "text/csv"), served),
        "after, French CSV": lambda: _validate(_parse(french, "text/csv"), served),
    }
    rows = {}
    for name, fn in cases.items():
        fn()  # warm-up: imports, caches
        seconds = timed(fn)
        rows[name] = {"min_ms": 1e3 * min(seconds), "median_ms": 1e3 * statistics.median(seconds)}
    base = rows["before, plain CSV"]["median_ms"]
    print(f"{len(export):,} rows, {len(variables)} model columns")
    print(f"{'case':<22} {'min [ms]':>10} {'median [ms]':>12} {'x before':>9}")
    for name, r in rows.items():
        r["ratio_to_before"] = r["median_ms"] / base
        print(
            f"{name:<22} {r['min_ms']:>10.1f} {r['median_ms']:>12.1f} {r['ratio_to_before']:>9.2f}"
        )
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "batch_parse.json").write_text(
        json.dumps({"rows": len(export), "cases": rows}, indent=2)
    )


if __name__ == "__main__":
    main()
