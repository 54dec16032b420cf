"""One monitor process, 1,000 simulated transformers at a 60 s period, over MQTT and OPC UA.

The simulator (``thermowatch.ingest.simulator``) runs in a separate process (the other core)
and publishes one round of values for every transformer every few seconds; each round stands
for one 60 s period. The monitor, in this process, runs one cycle per round (collect,
validate, predict with the IEC 60076-7 model, store 7,000 readings + 1,000 predictions in one
SQLite transaction, call the hook).

Measured per protocol:

* cycle time [s] (goal <= 10 s): wall time of ``Monitor.run_cycle``, max and median;
* CPU [% of one core] (goal <= 50 %): CPU time of this process over the measured rounds
  (receiving the round's messages or notifications + the cycle), per round, divided by the
  60 s period it stands for;
* readings lost and duplicated (goal 0), counted per (transformer, variable, timestamp): over
  MQTT, every value of every round the simulator published (it prints each round's timestamp,
  the one its messages carry) from the warm-up round on, against the rows stored once the
  simulator has stopped and the monitor has flushed; over OPC UA (subscription: a snapshot
  stamped at the tick), every variable of every transformer at each cycle's tick. Messages
  received more than once (redelivered) are counted too.

usage: python benchmarks/monitor_scale.py [--transformers 1000] [--cycles 3]
       [--protocols mqtt,opcua]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import tomllib
from collections import Counter
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from thermowatch.ingest.config import parse_config
from thermowatch.ingest.monitor import Monitor
from thermowatch.ingest.simulator import FIELDS, sim_config
from thermowatch.store.engine import make_engine
from thermowatch.store.migrate import upgrade
from thermowatch.store.tables import readings

PERIOD_S = 60.0
RESULTS = Path(__file__).with_name("results") / "monitor_scale.json"
SRC = Path(__file__).resolve().parents[1] / "src"

# The simulator process: serves the field and prints one line per published round.
SIM = """
import asyncio, sys, time
from thermowatch.ingest.simulator import run_simulator
protocol, n, port, interval = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4])
async def main():
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    import signal
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    def ready(run):
        print("READY", flush=True)
        orig = run.server.publish
        async def publish():  # ROUND <the round's instant> <seconds spent publishing it>
            began = time.monotonic()
            await orig()
            print("ROUND", run.field.t.isoformat(), f"{time.monotonic() - began:.3f}",
                  flush=True)
        run.server.publish = publish
    await run_simulator(protocol, n, port=port, interval_s=interval, stop=stop, on_ready=ready)
asyncio.run(main())
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class SimProcess:
    """The simulator subprocess; counts the rounds it published."""

    def __init__(self, protocol: str, n: int, port: int, interval: float) -> None:
        env = {**os.environ, "PYTHONPATH": str(SRC)}
        self.proc = subprocess.Popen(
            [sys.executable, "-c", SIM, protocol, str(n), str(port), str(interval)],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            env=env,
            text=True,
        )
        self.rounds = 0
        self.times: list[datetime] = []  # timestamp of each published round
        self.ready = asyncio.Event()
        self.round_done = asyncio.Event()

    async def follow(self) -> None:
        assert self.proc.stdout is not None
        loop = asyncio.get_running_loop()
        while True:
            line = await loop.run_in_executor(None, self.proc.stdout.readline)
            if not line:
                return
            if line.startswith("READY"):
                self.ready.set()
            elif line.startswith("ROUND"):
                self.rounds += 1
                self.times.append(datetime.fromisoformat(line.split()[1]))
                self.round_done.set()

    def stop(self) -> None:
        if self.proc.poll() is not None:
            return
        self.proc.terminate()
        try:
            self.proc.wait(20)
        except subprocess.TimeoutExpired:
            self.proc.kill()


Key = tuple[str, str, datetime]


def count_keys(engine: Any, expected: set[Key], times: Iterable[datetime]) -> dict[str, int]:
    """Readings lost and duplicated per (transformer, variable, timestamp): ``expected`` keys
    against the rows stored at ``times``."""
    stored: Counter[Key] = Counter()
    times = sorted(set(times))
    with engine.connect() as conn:
        for start in range(0, len(times), 500):
            q = (
                readings.select()
                .with_only_columns(readings.c.transformer_id, readings.c.variable, readings.c.ts)
                .where(readings.c.ts.in_(times[start : start + 500]))
            )
            stored.update((t, v, ts.astimezone(UTC)) for t, v, ts in conn.execute(q))
    return {
        "readings_expected": len(expected),
        "readings_stored": sum(stored[k] > 0 for k in expected),
        "readings_lost": len(expected - set(stored)),
        "readings_duplicated": sum(n - 1 for n in stored.values() if n > 1),
    }


async def bench(protocol: str, n: int, cycles: int, workdir: Path) -> dict[str, Any]:
    port = free_port()
    broker = None
    if protocol == "mqtt":
        binary = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
        conf = workdir / "mosquitto.conf"
        conf.write_text(
            f"listener {port} 127.0.0.1\nallow_anonymous true\nmax_queued_messages 100000\n"
            "max_inflight_messages 0\n"  # acknowledged once stored: a period's worth in flight
        )
        broker = subprocess.Popen([binary, "-c", str(conf)], stderr=subprocess.DEVNULL)
        time.sleep(0.5)
    # OPC UA: the server takes a while to build 7,000 nodes; rounds every 6 s, MQTT every 4 s
    interval = 6.0 if protocol == "opcua" else 4.0
    sim = SimProcess(protocol, n, port, interval)
    follower = asyncio.create_task(sim.follow())
    db = workdir / f"{protocol}.db"
    engine = make_engine(f"sqlite:///{db}")
    upgrade(engine)
    doc = tomllib.loads(sim_config(protocol, n, port=port, period_s=PERIOD_S, comments=False))
    monitor = Monitor(parse_config(doc, workdir / protocol), engine=engine)
    ids = [t.id for t in monitor.config.transformers]
    hub = next(iter(monitor.hubs.values()))
    try:
        await asyncio.wait_for(sim.ready.wait(), 180)
        t_start = time.perf_counter()
        await monitor.start()
        await monitor.wait_connected(120)
        setup_s = time.perf_counter() - t_start
        # a round may have been half published when the subscription began: not counted
        await _next_round(sim, hub, protocol, n)
        first = sim.rounds  # rounds[first:] are counted
        received0 = getattr(hub, "received", 0)
        # warm-up round: first values in, estimators initialised
        await _next_round(sim, hub, protocol, n)
        ticks = [datetime.now(UTC)]
        await monitor.run_cycle(ids, ticks[0])
        cpu0 = time.process_time()
        durations = []
        for _ in range(cycles):
            await _next_round(sim, hub, protocol, n)
            ticks.append(datetime.now(UTC))
            report = await monitor.run_cycle(ids, ticks[-1])
            durations.append(report.duration_s)
        cpu = time.process_time() - cpu0
        sim.stop()  # no more rounds; whatever was published must now be stored
        await asyncio.wait_for(follower, 30)
        if protocol == "mqtt":  # the broker still holds what the monitor has not taken yet
            await _drain(monitor, ids, hub, received0 + (len(sim.times) - first) * n)
    finally:
        await monitor.shutdown()  # MQTT: the final flush stores what was received since
        sim.stop()
        follower.cancel()
        if broker is not None:
            broker.terminate()
            broker.wait(10)
    variables = list(FIELDS)
    times = sim.times[first:] if protocol == "mqtt" else ticks
    expected = {(tid, v, ts) for ts in times for tid in ids for v in variables}
    counts = count_keys(engine, expected, times)
    redelivered = (
        getattr(hub, "received", 0) - received0 - len(times) * n if protocol == "mqtt" else 0
    )
    return {
        "protocol": protocol + (" (subscription)" if protocol == "opcua" else " (QoS 1)"),
        "transformers": n,
        "period_s": PERIOD_S,
        "cycles": cycles,
        "setup_s": round(setup_s, 2),
        "cycle_s_median": round(statistics.median(durations), 3),
        "cycle_s_max": round(max(durations), 3),
        "cpu_s_per_period": round(cpu / cycles, 3),
        "cpu_percent_of_one_core": round(100 * cpu / cycles / PERIOD_S, 2),
        "rounds_counted": len(times),
        **counts,
        "messages_redelivered": redelivered,
    }


async def _drain(monitor: Monitor, ids: list[str], hub: Any, target: int) -> None:
    """Run cycles until the hub has received ``target`` messages in all (every published one
    at least once) or nothing came for 30 s; the final flush stores the rest."""
    last, since = hub.received, time.monotonic()
    while hub.received < target and time.monotonic() - since < 30:
        await asyncio.sleep(1.0)
        if hub.received != last:
            last, since = hub.received, time.monotonic()
            await monitor.run_cycle(ids, datetime.now(UTC))


async def _next_round(sim: SimProcess, hub: Any, protocol: str, n: int) -> None:
    """Wait for the simulator's next full round to have reached the monitor."""
    sim.round_done.clear()
    target = getattr(hub, "received", 0) + n
    await asyncio.wait_for(sim.round_done.wait(), 120)
    if protocol == "mqtt":
        deadline = time.monotonic() + 60
        while hub.received < target and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
    else:
        await asyncio.sleep(1.0)  # publishing interval of the subscription (500 ms) + margin


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--transformers", type=int, default=1000)
    parser.add_argument("--cycles", type=int, default=3)
    parser.add_argument("--protocols", default="mqtt,opcua")
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for protocol in args.protocols.split(","):
            rows.append(asyncio.run(bench(protocol, args.transformers, args.cycles, Path(tmp))))
    result = {
        "benchmark": "monitor_scale",
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
        "goals": {
            "cycle_s_max": 10.0,
            "cpu_percent_of_one_core": 50.0,
            "readings_lost": 0,
            "readings_duplicated": 0,
        },
        "results": rows,
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"monitor scale: {args.transformers} transformers, 60 s period")
    for col in (
        "protocol",
        "cycle median [s]",
        "cycle max [s]",
        "CPU [% core]",
        "lost / expected",
        "duplicated",
        "redelivered",
        "setup [s]",
    ):
        table.add_column(col)
    for r in rows:
        table.add_row(
            r["protocol"], f"{r['cycle_s_median']:.2f}", f"{r['cycle_s_max']:.2f}",
            f"{r['cpu_percent_of_one_core']:.1f}",
            f"{r['readings_lost']} / {r['readings_expected']}", str(r["readings_duplicated"]),
            str(r["messages_redelivered"]), f"{r['setup_s']:.1f}",
        )  # fmt: skip
    Console().print(table)
    print(f"wrote {RESULTS}")


if __name__ == "__main__":
    main()
