"""Speed and memory of the whole training job on one year of 1-minute data.

Simulates the sample at a 1-minute step (525,600 rows × 8 columns, parquet), then runs
``thermowatch train`` on it in a child process with every candidate (normal behaviour,
nowcast, forecasts, gradient boosting): wall time, CPU time (user + system: on a shared
machine the wall time also counts the other processes' turns) and peak memory (max RSS) of the
whole job — reading, cleaning, every model, the artifact and the report.
Goal (issues 3 and 10): under 60 s and 2 GB. Writes benchmarks/results/train_speed.json.

Usage: ``python benchmarks/train_speed.py [--runs 3]``.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from rich.console import Console
from rich.table import Table

RESULTS = Path(__file__).resolve().parent / "results" / "train_speed.json"


def _one(data: Path, out: Path, rated_current_a: float) -> dict:
    """One ``thermowatch train`` in a child process: wall, CPU [s] and peak RSS [MB]."""
    start = time.perf_counter()
    pid = subprocess.Popen(
        [sys.executable, "-m", "thermowatch", "train", str(data), "--out", str(out),
         "--rated-current", f"{rated_current_a:.2f}"],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    _, status, usage = os.wait4(pid.pid, 0)
    seconds = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(pid.stderr.read() if pid.stderr else "thermowatch train failed")
    return {
        "seconds": seconds,
        "cpu_seconds": usage.ru_utime + usage.ru_stime,
        "peak_rss_mb": usage.ru_maxrss / 1024,
        "load_average_1min": os.getloadavg()[0],
    }


def main() -> dict:
    from thermowatch.data.simulator import RATED_CURRENT_A, simulate_sample, write_sample

    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    runs = []
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "year_1min.parquet"
        write_sample(simulate_sample(days=365, step="1min"), str(data))
        for i in range(args.runs):
            runs.append(_one(data, Path(tmp) / f"out{i}", RATED_CURRENT_A))
    summary = {
        key: {"min": float(np.min(v)), "median": float(np.median(v))}
        for key in ("seconds", "cpu_seconds", "peak_rss_mb")
        for v in [[r[key] for r in runs]]
    }
    out = {
        "rows": 525_600,
        "runs": runs,
        "summary": summary,
        "goals": {"seconds": 60, "peak_rss_mb": 2048},
        "met": summary["seconds"]["median"] < 60 and summary["peak_rss_mb"]["median"] < 2048,
        "cpu_met": summary["cpu_seconds"]["median"] < 60,
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(out, indent=2))
    table = Table(title=f"thermowatch train, one year at 1 minute (525,600 rows), {args.runs} runs")
    for column in ("", "wall [s]", "CPU [s]", "peak memory [MB]"):
        table.add_column(column, justify="right")
    for stat in ("min", "median"):
        table.add_row(
            stat,
            *(f"{summary[k][stat]:.1f}" for k in ("seconds", "cpu_seconds", "peak_rss_mb")),
        )
    Console().print(table)
    Console().print(
        f"goals (< 60 s, < 2 GB) met on wall time: {out['met']}; on CPU time: {out['cpu_met']}"
        f" (load average during the runs: {[round(r['load_average_1min'], 1) for r in runs]})"
    )
    return out


if __name__ == "__main__":
    main()
