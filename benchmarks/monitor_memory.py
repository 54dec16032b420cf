"""Monitor memory over a week of simulated time: the RSS must stay flat (bounded structures).

One monitor process watches ``--transformers`` simulated transformers (IEC 60076-7 field
model, 1 in 10 with its cooling failing mid-week, so alerts open and close) with the one alert
hook on a SQLite store. Samples are handed over in simulated time, one period after the other,
as fast as the machine goes (the 60x speed of the issue is a wall-clock detail: memory depends
on how many periods went through, not how fast). RSS is read after the first simulated day
(caches warm) and at the end. Goal (issue 11): growth < 10 %.

usage: python benchmarks/monitor_memory.py [--transformers 100] [--days 7] [--period-min 10]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import sys
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from thermowatch.alerts.hook import alert_hook
from thermowatch.ingest.config import parse_config
from thermowatch.ingest.monitor import Monitor
from thermowatch.ingest.simulator import FIELDS, FieldModel
from thermowatch.ingest.sources.base import Sample
from thermowatch.ingest.sources.memory import MemoryHub
from thermowatch.store.engine import make_engine
from thermowatch.store.migrate import upgrade

RESULTS = Path(__file__).with_name("results") / "monitor_memory.json"
SPEC = {"preset": "ONAF", "top_oil_rise_k": 50.0, "hot_spot_gradient_k": 20.0,
        "rated_current_a": 1039.23}  # fmt: skip


def rss_mb() -> float:
    """Resident set size of this process [MB] (Linux /proc)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


async def run(n: int, days: float, period_min: float, tmp: Path) -> dict[str, Any]:
    (tmp / "unused.csv").touch()
    ids = [f"TR-{i:04d}" for i in range(n)]
    cfg = parse_config(
        {"monitor": {"spool_dir": str(tmp / "spool"), "period_s": period_min * 60},
         "transformers": [{"id": tid, "spec": SPEC, "source": {"protocol": "replay",
                           "path": "unused.csv"}} for tid in ids]},
        tmp,
    )  # fmt: skip
    engine = make_engine(f"sqlite:///{tmp / 'store.db'}")
    upgrade(engine)
    from thermowatch.store.transformers import ensure_transformer

    for t in cfg.transformers:
        ensure_transformer(engine, t.id, spec=t.spec.to_dict(), target_variable=t.target)
    monitor = Monitor(cfg, engine=engine, on_prediction=alert_hook(engine, None, "bench"))
    hub = MemoryHub(cfg.transformers[0].source)
    for t in cfg.transformers:
        hub.add(t)
        monitor.hub_of[t.id] = hub
    monitor.hubs = {("field",): hub}
    start = datetime(2026, 1, 5, tzinfo=UTC)
    normal = FieldModel(n, "normal", start=start)
    failing = FieldModel(n, "cooling-failure", start=start, fault_at=start + timedelta(days=3))
    await monitor.start()
    cycles = int(days * 1440 / period_min)
    per_day = int(1440 / period_min)
    marks: dict[str, float] = {}
    with Progress() as progress:
        task = progress.add_task("simulated periods", total=cycles)
        for i in range(cycles):
            tick = start + timedelta(minutes=period_min * i)
            a, b = normal.step(tick), failing.step(tick)
            hub.pending = {
                tid: [Sample(tick, {var: float((b if j % 10 == 0 else a)[key][j])
                                    for var, key in FIELDS.items()}, "field")]
                for j, tid in enumerate(ids)
            }  # fmt: skip
            await monitor.run_cycle(ids, tick)
            if i + 1 == per_day:
                marks["day1"] = rss_mb()
            progress.advance(task)
    marks["end"] = rss_mb()
    await monitor.shutdown()
    from thermowatch.store.alerts import open_alerts
    from thermowatch.store.readings import count_readings

    return {
        "transformers": n, "days": days, "period_min": period_min, "cycles": cycles,
        "rss_day1_mb": round(marks["day1"], 1), "rss_end_mb": round(marks["end"], 1),
        "growth_percent": round(100 * (marks["end"] / marks["day1"] - 1), 2),
        "readings_stored": count_readings(engine), "open_alerts": len(open_alerts(engine)),
    }  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--transformers", type=int, default=100)
    parser.add_argument("--days", type=float, default=7.0)
    parser.add_argument("--period-min", type=float, default=10.0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        row = asyncio.run(run(args.transformers, args.days, args.period_min, Path(tmp)))
    result = {
        "benchmark": "monitor_memory",
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
        "goals": {"growth_percent": 10.0},
        "results": [row],
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")
    table = Table(title=f"monitor memory: {args.transformers} transformers, {args.days:g} days")
    for col in ("periods", "RSS day 1 [MB]", "RSS end [MB]", "growth [%]", "readings", "open"):
        table.add_column(col)
    table.add_row(str(row["cycles"]), f"{row['rss_day1_mb']:.1f}", f"{row['rss_end_mb']:.1f}",
                  f"{row['growth_percent']:.1f}", str(row["readings_stored"]),
                  str(row["open_alerts"]))  # fmt: skip
    Console().print(table)
    print(f"wrote {RESULTS}")


if __name__ == "__main__":
    main()
