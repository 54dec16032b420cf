"""Speed of the lifecycle checks for a fleet (issue 14).

Measures :func:`thermowatch.learn.drift.check_drift` for N transformers, each with one year of
hourly training inputs (load, ambient) and validation residuals against 30 days of recent inputs
and residuals — the per-transformer work of the daily drift job, without the store reads.
Runs the fleet 3 times and reports min / median. Goal: 1,000 transformers < 10 s.

usage: python benchmarks/lifecycle_speed.py [--transformers 1000]
"""

from __future__ import annotations

import argparse
import json
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--transformers", type=int, default=1000)
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
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2))
    print(f"{'check':<34}{'min [s]':>10}{'median [s]':>12}{'goal [s]':>10}")
    print(f"{'drift, ' + str(args.transformers) + ' transformers':<34}"
          f"{min(times):>10.2f}{statistics.median(times):>12.2f}{GOAL_S:>10.1f}")  # fmt: skip
    print("verdicts:", verdicts)


if __name__ == "__main__":
    main()
