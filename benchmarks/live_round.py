"""One monitor round, stage by stage, for a fleet on the IEC 60076-7 physics, in one process.

``n`` transformers (specs drawn around the simulator's 36 MVA ONAF, so that the fleet arrays
are not one spec repeated), one reading each per round, 60 s of data time per round, into a
fresh SQLite store with the alert engine on (as ``thermowatch monitor`` runs them):
``Pipeline.prepare`` (validate, predict, forecast, level), ``Pipeline.store`` (one
transaction) and the alert hook's ``many`` (in chunks of the monitor's ``ALERT_CHUNK``). The
first round starts the estimators and stores the forecasts of every transformer: reported
apart. Per stage: median and max wall time [s] over the rounds, and ms per transformer.

``--profile``: the rounds under cProfile; the top functions by cumulative and by own time are
printed (``--top``), to find the per-round hot spots.

``--postgres``: a throwaway PostgreSQL cluster (:class:`tests.pgtest.PostgresCluster`) instead
of SQLite, the store of a fleet.

Usage: ``python benchmarks/live_round.py [--transformers 2000] [--rounds 10] [--profile]
[--postgres]``;
writes ``benchmarks/results/live_round.json``.
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import dataclasses
import io
import json
import os
import pstats
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
from rich.console import Console
from rich.table import Table

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

RESULTS = Path(__file__).with_name("results") / "live_round.json"
START = datetime(2026, 7, 1, tzinfo=UTC)
STAGES = ("prepare", "store", "alerts")


def _fleet(n: int, rng: np.random.Generator) -> list:
    from thermowatch.thermal import TransformerSpec

    base = TransformerSpec.preset("ONAF")
    return [
        dataclasses.replace(
            base,
            top_oil_rise_k=float(rng.uniform(45, 55)),
            hot_spot_gradient_k=float(rng.uniform(18, 24)),
            tau_oil_min=float(rng.uniform(120, 210)),
            rated_current_a=1000.0,
        )
        for _ in range(n)
    ]


def run(
    n: int, rounds: int, workdir: Path, profiler: cProfile.Profile | None, url: str | None = None
) -> dict:
    from thermowatch.alerts.hook import alert_hook
    from thermowatch.data.simulator import AMBIENT, CURRENT, WINDING
    from thermowatch.ingest.monitor import ALERT_CHUNK
    from thermowatch.live.pipeline import Pipeline, Snapshot
    from thermowatch.live.profiles import make_profile
    from thermowatch.store.engine import make_engine
    from thermowatch.store.migrate import upgrade
    from thermowatch.store.transformers import Transformer, ensure_transformers

    engine = make_engine(url or f"sqlite:///{workdir / 'round.db'}")
    upgrade(engine)
    rng = np.random.default_rng(0)
    ids = [f"TR-{i:05d}" for i in range(n)]
    specs = _fleet(n, rng)
    ensure_transformers(
        engine, [Transformer(t, t, spec=s.to_dict(), target_variable=WINDING)
                 for t, s in zip(ids, specs, strict=True)],
    )  # fmt: skip
    profiles = {
        t: make_profile(t, spec=s, target=WINDING, thresholds={"alerte_c": 93.0,
                        "critique_c": 105.0})
        for t, s in zip(ids, specs, strict=True)
    }  # fmt: skip
    hook = alert_hook(engine)
    pipeline = Pipeline(engine, profiles.get, hook)
    load = rng.uniform(400, 1300, n)
    times: dict[str, list[float]] = {s: [] for s in STAGES}
    first: dict[str, float] = {}
    for r in range(rounds + 1):
        at = START + timedelta(seconds=60 * r)
        amb = 20.0 + 5.0 * np.sin(r / 10.0)
        snaps = [
            Snapshot(t, at, {CURRENT: float(load[i] * (1 + 0.05 * np.sin(r + i))),
                             AMBIENT: amb, WINDING: 70.0 + (i % 40)}, "bench")
            for i, t in enumerate(ids)
        ]  # fmt: skip
        if profiler is not None and r:
            profiler.enable()
        t0 = time.perf_counter()
        batch, events = pipeline.prepare(snaps, now=at + timedelta(seconds=1))
        t1 = time.perf_counter()
        pipeline.store(batch)
        t2 = time.perf_counter()
        for i in range(0, len(events), ALERT_CHUNK):
            hook.many(events[i : i + ALERT_CHUNK])
        t3 = time.perf_counter()
        if profiler is not None:
            profiler.disable()
        walls = dict(zip(STAGES, (t1 - t0, t2 - t1, t3 - t2), strict=True))
        if r == 0:
            first = walls
            continue
        for s in STAGES:
            times[s].append(walls[s])
    engine.dispose()
    return {
        "first_round_s": {s: round(first[s], 3) for s in STAGES},
        "median_s": {s: round(statistics.median(times[s]), 3) for s in STAGES},
        "max_s": {s: round(max(times[s]), 3) for s in STAGES},
        "ms_per_transformer": {s: round(1000 * statistics.median(times[s]) / n, 3) for s in STAGES},
    }


def main() -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--transformers", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--top", type=int, default=30)
    parser.add_argument(
        "--postgres", action="store_true", help="a throwaway PostgreSQL cluster, not SQLite"
    )
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args()
    profiler = cProfile.Profile() if args.profile else None
    with tempfile.TemporaryDirectory() as tmp, contextlib.ExitStack() as stack:
        url = None
        if args.postgres:
            sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests.pgtest
            from tests.pgtest import PostgresCluster

            url = stack.enter_context(PostgresCluster()).create_database("live_round")
        result = run(args.transformers, args.rounds, Path(tmp), profiler, url)
    result.update(
        transformers=args.transformers, rounds=args.rounds, profiled=args.profile,
        store="postgresql" if args.postgres else "sqlite",
        load_average_1min=round(os.getloadavg()[0], 1),
    )  # fmt: skip
    table = Table(
        title=f"one monitor round, {args.transformers} transformers (IEC physics), "
        f"{args.rounds} rounds{' under cProfile' if args.profile else ''}, {result['store']}; "
        f"load average {result['load_average_1min']}"
    )
    for col in ("stage", "first round [s]", "median [s]", "max [s]", "ms / transformer"):
        table.add_column(col, justify="left" if col == "stage" else "right")
    for s in STAGES:
        table.add_row(s, f"{result['first_round_s'][s]:.3f}", f"{result['median_s'][s]:.3f}",
                      f"{result['max_s'][s]:.3f}", f"{result['ms_per_transformer'][s]:.3f}")  # fmt: skip
    Console(width=150).print(table)
    if profiler is not None:
        for key in ("cumulative", "tottime"):
            out = io.StringIO()
            pstats.Stats(profiler, stream=out).sort_stats(key).print_stats(args.top)
            print(out.getvalue())
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=1) + "\n")
    print(f"wrote {args.out}")
    return result


if __name__ == "__main__":
    main()
