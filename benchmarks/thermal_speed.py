"""Speed of the thermal core against `transformer-thermal-model`, side by side in one run.

One year at 1-minute steps (525,600 points) through both implementations with the same inputs
(the reference's ONAF transformer, cold start), the largest difference between them, and a
fleet of 1,000 transformers × one day at 1-minute steps. Writes
benchmarks/results/thermal_speed.json and prints a table.

Goals (issue 2): >= 300× faster than the reference, same numbers within 0.05 K; the fleet day
in under 1 s.
"""

from __future__ import annotations

import json
import platform
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
from rich.console import Console
from rich.table import Table

sys.path.insert(0, str(Path(__file__).resolve().parent))
from thermowatch.thermal import TransformerSpec, simulate
from ttm_reference import REFERENCE_KINDS, random_profile, run_reference

RESULTS = Path(__file__).resolve().parent / "results" / "thermal_speed.json"
YEAR_MINUTES = 525_600


def best_of(fn, repeats: int) -> tuple[float, object]:
    """Fastest wall time of ``repeats`` calls [s] and the last result."""
    best, out = float("inf"), None
    for _ in range(repeats):
        start = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - start)
    return best, out


def main() -> dict:
    index, load, ambient = random_profile(YEAR_MINUTES, seed=42)
    spec = REFERENCE_KINDS["ONAF"]
    series = pd.Series(load, index=index)

    ours_s, ours = best_of(lambda: simulate(spec, series, ambient, initial="cold"), 5)
    ref_s, ref = best_of(lambda: run_reference("ONAF", index, load, ambient), 1)
    ref_top, ref_hot = ref
    diff_top = float(np.max(np.abs(ours.top_oil_c.to_numpy() - ref_top)))
    diff_hot = float(np.max(np.abs(ours.hot_spot_c.to_numpy() - ref_hot)))

    ieee_s, _ = best_of(lambda: simulate(spec, series, ambient, initial="cold", method="ieee"), 5)

    rng = np.random.default_rng(0)
    fleet_load = rng.uniform(0.3, 1.4, size=(1000, 1440))
    fleet_ambient = 15 + 8 * np.sin(np.linspace(0, 2 * np.pi, 1440))
    fleet_specs = [
        TransformerSpec.preset(("ONAN", "ONAF", "OF", "OD", "DISTRIBUTION")[i % 5])
        for i in range(1000)
    ]
    fleet_s, _ = best_of(lambda: simulate(fleet_specs, fleet_load, fleet_ambient, 1.0), 3)

    results = {
        "machine": {"python": platform.python_version(), "processor": platform.processor()},
        "year_1min_points": YEAR_MINUTES,
        "thermowatch_iec_s": ours_s,
        "thermowatch_ieee_s": ieee_s,
        "reference_s": ref_s,
        "speedup": ref_s / ours_s,
        "max_abs_diff_top_oil_k": diff_top,
        "max_abs_diff_hot_spot_k": diff_hot,
        "fleet_1000x1day_s": fleet_s,
        "goals": {"speedup_min": 300, "max_diff_k": 0.05, "fleet_max_s": 1.0},
        "goals_met": bool(
            ref_s / ours_s >= 300 and max(diff_top, diff_hot) <= 0.05 and fleet_s < 1.0
        ),
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=2))

    table = Table(title="Thermal core speed (one run, same inputs)")
    table.add_column("case")
    table.add_column("time [s]", justify="right")
    table.add_column("note")
    table.add_row(
        "transformer-thermal-model, 1 year @ 1 min", f"{ref_s:.2f}", "reference (Python loop)"
    )
    table.add_row(
        "thermowatch IEC, 1 year @ 1 min", f"{ours_s:.4f}", f"{ref_s / ours_s:,.0f}× faster"
    )
    table.add_row("thermowatch IEEE, 1 year @ 1 min", f"{ieee_s:.4f}", "")
    table.add_row(
        "largest difference vs reference",
        "",
        f"top oil {diff_top:.2e} K, hot spot {diff_hot:.2e} K",
    )
    table.add_row("fleet 1,000 × 1 day @ 1 min", f"{fleet_s:.3f}", "goal < 1 s")
    Console().print(table)
    return results


if __name__ == "__main__":
    main()
