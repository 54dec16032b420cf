"""Speed and memory of the whole training job on one year of 1-minute data.

Simulates the sample at a 1-minute step (525,600 rows × 8 columns, parquet), then runs
``thermowatch train`` on it in a child process: wall time and peak memory (max RSS) of the
whole job — reading, cleaning, every model, the artifact and the report.
Goal (issue 3): under 60 s and 2 GB. Writes benchmarks/results/train_speed.json.
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

RESULTS = Path(__file__).resolve().parent / "results" / "train_speed.json"


def main() -> dict:
    from thermowatch.data.simulator import RATED_CURRENT_A, simulate_sample, write_sample

    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "year_1min.parquet"
        write_sample(simulate_sample(days=365, step="1min"), str(data))
        start = time.perf_counter()
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "thermowatch",
                "train",
                str(data),
                "--out",
                str(Path(tmp) / "out"),
                "--rated-current",
                f"{RATED_CURRENT_A:.2f}",
            ],
            capture_output=True,
            text=True,
        )
        seconds = time.perf_counter() - start
        if done.returncode != 0:
            raise SystemExit(done.stderr)
    peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    out = {
        "rows": 525_600,
        "seconds": seconds,
        "peak_rss_mb": peak_mb,
        "goals": {"seconds": 60, "peak_rss_mb": 2048},
        "met": seconds < 60 and peak_mb < 2048,
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(out, indent=2))
    table = Table(title="thermowatch train, one year at 1 minute (525,600 rows × 8 columns)")
    table.add_column("wall time [s]", justify="right")
    table.add_column("peak memory [MB]", justify="right")
    table.add_column("goals met")
    table.add_row(f"{seconds:.1f}", f"{peak_mb:.0f}", str(out["met"]))
    Console().print(table)
    return out


if __name__ == "__main__":
    main()
