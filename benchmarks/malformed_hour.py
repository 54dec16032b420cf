"""One hour of simulated data for 100 transformers with 5 % of the messages malformed or
impossible, through one monitor and the alert engine (issue 22's acceptance check).

Every minute of data time each transformer delivers one snapshot (in-process source, the same
monitor cycle as every protocol: validate -> predict -> store -> alert). 5 % of the snapshots
are damaged: a value that is text, NaN, ±inf, null, -500 A, 1e308, a timestamp two days ahead or
before 1990, a missing variable, a duplicate of an earlier instant. Ten transformers run
CRITIQUE (winding 120 °C) for the last 20 minutes.

The monitor is restarted half-way (the damaged values are then in its history window).
Measured: failed cycles (an exception out of a cycle: the daemon would exit; goal 0), valid readings stored (goal: all),
expected CRITIQUE alarms raised (goal: all), cycle time.

usage: python benchmarks/malformed_hour.py [--transformers 100] [--minutes 60]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from thermowatch.alerts.engine import MEASURED
from thermowatch.alerts.hook import alert_hook
from thermowatch.data.simulator import AMBIENT, CURRENT, OIL, WINDING
from thermowatch.ingest.config import parse_config
from thermowatch.ingest.monitor import Monitor
from thermowatch.ingest.sources.base import Sample
from thermowatch.ingest.sources.memory import MemoryHub
from thermowatch.live import validate as v
from thermowatch.store.alerts import open_alerts
from thermowatch.store.engine import make_engine
from thermowatch.store.migrate import upgrade
from thermowatch.store.readings import count_readings

RESULTS = Path(__file__).with_name("results") / "malformed_hour.json"
SPEC = {"preset": "ONAF", "top_oil_rise_k": 50.0, "hot_spot_gradient_k": 20.0,
        "rated_current_a": 1039.23}  # fmt: skip
DAMAGE = ("text", "nan", "inf", "null", "negative", "huge", "future", "past", "missing", "dup")


def _config(tmp: Path, ids: list[str]) -> Any:
    (tmp / "unused.csv").touch()
    doc = {
        "monitor": {"spool_dir": str(tmp / "spool"), "period_s": 60, "missed_periods_alert": 3},
        "transformers": [
            {"id": tid, "spec": SPEC, "target": WINDING,
             "thresholds": {"alerte_c": 93.0, "critique_c": 105.0},
             "source": {"protocol": "replay", "path": "unused.csv"}}
            for tid in ids
        ],
    }  # fmt: skip
    return parse_config(doc, tmp)


def _snapshot(rng: random.Random, t: datetime, k: int, hot: bool) -> dict[str, float]:
    load = 0.7 + 0.2 * rng.random()
    winding = (120.0 if hot else 70.0) + k / 100 + rng.random()
    return {CURRENT: round(load * 1039.23, 2), AMBIENT: round(20 + rng.random(), 2),
            OIL: round(winding - 15, 2), WINDING: round(winding, 2)}  # fmt: skip


def _damage(rng: random.Random, ts: datetime, values: dict, first: datetime) -> tuple:
    kind = rng.choice(DAMAGE)
    values = dict(values)
    var = rng.choice(list(values))
    if kind == "future":
        return ts + timedelta(days=2), values
    if kind == "past":
        return datetime(1970, 1, 1, tzinfo=UTC), values
    if kind == "dup":
        return first, values
    if kind == "missing":
        values.pop(var)
    else:
        bad = {"text": "abc", "nan": float("nan"), "inf": float("-inf"), "null": None,
               "negative": -500.0, "huge": 1e308}[kind]  # fmt: skip
        values[CURRENT if kind == "negative" else var] = bad
    return ts, values


async def _started(cfg: Any, engine: Any) -> tuple[Monitor, MemoryHub]:
    monitor = Monitor(cfg, engine=engine, on_prediction=alert_hook(engine))
    hub = MemoryHub(cfg.transformers[0].source)
    for t in cfg.transformers:
        hub.add(t)
        monitor.hub_of[t.id] = hub
    monitor.hubs = {("memory",): hub}
    await monitor.start()
    return monitor, hub


async def run(n: int, minutes: int, seed: int = 7) -> dict:
    rng = random.Random(seed)
    tmp = Path(tempfile.mkdtemp(prefix="malformed-"))
    ids = [f"TR-{i:04d}" for i in range(n)]
    hot = set(ids[:: max(1, n // 10)])
    cfg = _config(tmp, ids)
    engine = make_engine(f"sqlite:///{tmp}/store.db")
    upgrade(engine)
    monitor, hub = await _started(cfg, engine)
    t0 = datetime.now(UTC).replace(second=0, microsecond=0) - timedelta(minutes=minutes + 1)
    failed_cycles = damaged = 0
    expected = dict.fromkeys(ids, 0)
    seen: dict[str, set] = {tid: set() for tid in ids}
    durations = []
    for k in range(minutes):
        ts = t0 + timedelta(minutes=k)
        if k == minutes // 2:  # a restart (upgrade, reboot) with the damage in the history
            await monitor.shutdown()
            monitor, hub = await _started(cfg, engine)
        pending = {}
        for tid in ids:
            values = _snapshot(rng, ts, k, tid in hot and k >= minutes - 20)
            at = ts
            if rng.random() < 0.05:
                damaged += 1
                at, values = _damage(rng, ts, values, t0)
            if v.check_time(at, datetime.now(UTC), v.DEFAULT_MAX_FUTURE_SKEW) is None:
                for var, raw in values.items():
                    verdict = v.check_value(var, raw, v.quantity_of(var))
                    if verdict.verdict != v.REJECTED and (at, var) not in seen[tid]:
                        expected[tid] += 1
                        seen[tid].add((at, var))
            pending[tid] = [Sample(at, values, "bench")]
        hub.pending = pending
        started = time.perf_counter()
        try:
            await monitor.run_cycle(ids, ts)
        except Exception as exc:  # the daemon would have exited: a restart
            failed_cycles += 1
            print(f"cycle {k}: {type(exc).__name__}: {exc}", file=sys.stderr)
        durations.append(time.perf_counter() - started)
    await monitor.shutdown()
    stored = {tid: count_readings(engine, tid) for tid in ids}
    raised = {a.transformer_id for a in open_alerts(engine) if a.kind == MEASURED
              and a.level == "CRITIQUE"}  # fmt: skip
    return {
        "transformers": n, "minutes": minutes, "snapshots": n * minutes,
        "damaged": damaged, "failed_cycles": failed_cycles,
        "valid_readings_expected": sum(expected.values()),
        "readings_stored": sum(stored.values()),
        "readings_missing": sum(max(0, expected[t] - stored[t]) for t in ids),
        "critique_expected": len(hot), "critique_raised": len(hot & raised),
        "false_critique": len(raised - hot),
        "cycle_s_median": statistics.median(durations), "cycle_s_max": max(durations),
    }  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--transformers", type=int, default=100)
    parser.add_argument("--minutes", type=int, default=60)
    args = parser.parse_args()
    result = asyncio.run(run(args.transformers, args.minutes))
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2), encoding="utf-8")
    width = max(len(k) for k in result)
    for key, value in result.items():
        print(
            f"{key:<{width}}  {value:.3f}"
            if isinstance(value, float)
            else f"{key:<{width}}  {value}"
        )


if __name__ == "__main__":
    main()
