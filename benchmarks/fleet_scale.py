"""N monitor processes sharing one fleet over MQTT, into PostgreSQL.

A simulator process publishes one JSON message per transformer every ``--period`` seconds
(QoS 1, the timestamp of the round in the message) to a Mosquitto broker; ``--monitors`` k
``thermowatch monitor`` processes (1, 2, 3 by default) each list the whole fleet and store into
one PostgreSQL database (a throwaway durable cluster, :class:`tests.pgtest.PostgresCluster`)
with the alert hook on, as in production. ``--mode``:

* ``shards`` (default): ``[monitor] shard_group`` — each monitor claims its share of the
  transformers by rendezvous hashing over heartbeat leases in the store and subscribes only their
  topics (:mod:`thermowatch.ingest.shards`); ``flush_s`` stores what arrived every second;
* ``shared``: every monitor subscribes every topic as an MQTT shared subscription
  (``shared_group = "fleet"``): the broker balances per message, so each monitor holds every
  transformer's state (the previous measurement).

``--kill``: in the run with the most monitors, once the window is measured, monitor 0 is
SIGKILLed and ``--after`` more seconds are watched: time until no transformer is claimed by it
any more, time until a round published after the kill is complete in the store, and the
readings lost over the whole run (counted after the survivors drained).

Measured per k, over ``--window`` seconds once every monitor is subscribed:

* readings stored per second (rows of the counted rounds over the span from the first round's
  timestamp to the moment the last one was complete), next to the offered rate;
* latency per round: from the round's timestamp (the simulator's clock when it starts publishing)
  to the moment all of its readings are in the database (polled every 0.25 s), p50 / p99;
* CPU of the monitor processes per 1,000 transformers [% of one core], and the scaling
  efficiency CPU(1) / CPU(k) per 1,000 transformers (1.0 = a perfect split);
* readings lost and duplicated per (transformer, variable, timestamp) against every round the
  simulator published in the window, counted after the simulator stopped and the monitors
  flushed (SIGTERM);
* PostgreSQL size per transformer-day at a 60 s period (database size growth over the window
  per transformer and period, x 1,440);
* the monitors' "no data" alerts: each lists the whole fleet but sees only the messages the
  broker handed it (Mosquitto's shared subscriptions are round-robin per message, not per
  topic), so its silence rule fires for transformers another monitor served.

Each k is run ``--runs`` times (fresh database each time); the table quotes min and median.
The host's CPU is shared by the broker, the simulator, PostgreSQL and the monitors.

``--protocol opcua``: the same with the simulator serving OPC UA and the monitors polling it
(``mode = "polling"``; each reads only the transformers it owns), no broker.

usage: python benchmarks/fleet_scale.py [--transformers 1000] [--period 10] [--window 45]
       [--monitors 1,2,3] [--runs 3] [--mode shards|shared] [--protocol mqtt|opcua] [--kill]
       [--after S]
"""

from __future__ import annotations

import argparse
import contextlib
import itertools
import json
import os
import platform
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import tomllib
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests.pgtest
sys.path.insert(0, str(Path(__file__).resolve().parent))  # monitor_scale

from sqlalchemy import func, select, text
from tests.pgtest import PostgresCluster

from monitor_scale import SIM, count_keys, free_port
from thermowatch.ingest.simulator import FIELDS, sim_config, transformer_ids
from thermowatch.store.engine import make_engine
from thermowatch.store.migrate import upgrade
from thermowatch.store.tables import readings

ROOT = Path(__file__).resolve().parents[1]
RESULTS = Path(__file__).with_name("results") / "fleet_scale.json"
NO_DATA = re.compile(r"no data for \d+ periods")  # a data alert, not the cycle's summary line
POLL_S = 0.25  # the store is polled this often for complete rounds while measuring
LOGS: Path | None = None  # --logs: each monitor's output in a file there
APP = (
    "import sys, typer; from thermowatch.cli.monitor import monitor; "
    "from thermowatch.cli._errors import run_with_error_policy; "
    "app = typer.Typer(); app.command()(monitor); app.command('x')(lambda: None); "
    "sys.exit(run_with_error_policy(app))"
)


def _cpu_s(pid: int) -> float:
    """User + system CPU time of a process [s] (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class Proc:
    """A child process writing its output to a file, watched for a marker.

    A file, not a pipe: a monitor logging faster than a busy benchmark reads a pipe blocks on
    its 64 KiB buffer, in its event loop (its MQTT keepalive then lapses).
    """

    def __init__(self, args: list[str], env: dict[str, str], marker: str, log: Path) -> None:
        self.path = log
        with log.open("ab") as out:
            self.proc = subprocess.Popen(args, env=env, stdout=out, stderr=subprocess.STDOUT)
        self.marker = marker
        self.ready = threading.Event()
        threading.Thread(target=self._watch, daemon=True).start()

    @property
    def lines(self) -> list[str]:
        return self.path.read_text(encoding="utf-8", errors="replace").splitlines()

    def _watch(self) -> None:
        with self.path.open(encoding="utf-8", errors="replace") as f:
            while not self.ready.is_set():
                line = f.readline()
                if self.marker in line:
                    self.ready.set()
                elif not line:
                    if self.proc.poll() is not None:
                        return
                    time.sleep(0.2)

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 120) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)


def _broker(workdir: Path, port: int) -> subprocess.Popen[bytes]:
    conf = workdir / "mosquitto.conf"
    conf.write_text(
        f"listener {port} 127.0.0.1\nallow_anonymous true\nmax_queued_messages 1000000\n"
        "max_inflight_messages 0\n"  # acknowledged once stored: a period's worth in flight
    )
    binary = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
    proc = subprocess.Popen([binary, "-c", str(conf)], stderr=subprocess.DEVNULL)
    time.sleep(0.5)
    return proc


def _configs(
    workdir: Path, n: int, k: int, port: int, period: float, mode: str, protocol: str = "mqtt"
) -> list[Path]:
    """One config per monitor: the whole fleet; a shard group and its member name, or a
    shared subscription group and its own client id. OPC UA: polled (each monitor reads only
    the transformers it owns)."""
    base = sim_config(protocol, n, port=port, period_s=period, comments=False, spool_dir=None,
                      mode="polling")  # fmt: skip
    paths = []
    for i in range(k):
        if mode == "shards":
            text_ = base.replace("[monitor]\n", f'[monitor]\nshard_group = "fleet"\n'
                                 f'shard_member = "m{i}"\nflush_s = 1\n')  # fmt: skip
        else:
            text_ = base.replace('client_id = "thermowatch-monitor"', f'client_id = "fleet-{i}"')
            text_ = text_.replace("qos = 1\n", 'qos = 1\nshared_group = "fleet"\n')
        tomllib.loads(text_)  # still a valid document
        path = workdir / f"monitor-{k}-{i}.toml"
        path.write_text(text_, encoding="utf-8")
        paths.append(path)
    return paths


def _round_times(sim: Proc) -> list[datetime]:
    return [datetime.fromisoformat(x.split()[1]) for x in list(sim.lines) if x.startswith("ROUND")]


def _publish_s(sim: Proc) -> dict[datetime, float]:
    """Seconds the simulator spent publishing each round (its last message left that long
    after the round's instant, from which latency counts)."""
    rounds = [x.split() for x in list(sim.lines) if x.startswith("ROUND")]
    return {datetime.fromisoformat(r[1]): float(r[2]) for r in rounds if len(r) > 2}


def _claims(engine: Any) -> dict[str, str]:
    from thermowatch.store.shards import claims

    try:
        return claims(engine)
    except Exception:  # tables not there yet
        return {}


def _settled(engine: Any, n: int, k: int, timeout: float) -> float:
    """Wait until the k monitors hold every transformer between them; seconds waited."""
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        held = _claims(engine)
        if len(held) == n and len(set(held.values())) == k:
            return time.monotonic() - start
        time.sleep(1.0)
    raise RuntimeError(f"the {k} monitors did not split the fleet in {timeout:.0f} s")


def run_once(
    cluster: PostgresCluster, workdir: Path, n: int, k: int, period: float, window: float,
    tag: str, mode: str = "shards", kill_after: float | None = None, protocol: str = "mqtt",
) -> dict[str, Any]:  # fmt: skip
    url = cluster.create_database(f"fleet_{tag}")
    engine = make_engine(url)
    upgrade(engine)
    port = free_port()
    mqtt = protocol == "mqtt"
    broker = _broker(workdir, port) if mqtt else None
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src"), "THERMOWATCH_DATABASE_URL": url,
           "THERMOWATCH_HOME": str(workdir / f"home-{tag}")}  # fmt: skip
    monitors: list[Proc] = []
    sim = None

    def simulator() -> Proc:
        made = Proc(
            [sys.executable, "-c", SIM, protocol, str(n), str(port), str(period)], env, "READY",
            (LOGS or workdir) / f"simulator-{tag}.log",
        )  # fmt: skip
        made.ready.wait(600)  # an OPC UA server of thousands of nodes takes a while
        return made

    if not mqtt:  # a polled server must be up before the monitors connect to it
        sim = simulator()
    launched = time.monotonic()
    try:
        for i, cfg in enumerate(_configs(workdir, n, k, port, period, mode, protocol)):
            menv = {**env, "THERMOWATCH_HOME": str(workdir / f"home-{tag}-{i}")}
            cmd = [sys.executable, "-c", APP, "monitor", "--config", str(cfg)]
            log = (LOGS or workdir) / f"monitor-{tag}-{i}.log"
            ready = "topics" if mqtt else "connected ("  # its hub's log once connected
            monitors.append(Proc([*cmd, "--log-level", "INFO"], menv, ready, log))
        for m in monitors:  # every one subscribed or connected
            if not m.ready.wait(900):
                raise RuntimeError("a monitor did not connect:\n" + "\n".join(m.lines[-20:]))
        startup = time.monotonic() - launched  # models, histories, claims, subscriptions
        print(f"[{tag}] {k} monitor(s) subscribed after {startup:.1f} s", file=sys.stderr)
        if sim is None:
            sim = simulator()
        if mode == "shards":  # claims move at ticks: wait for every monitor to hold its share
            _settled(engine, n, k, 4 * period + 120)
            time.sleep(period)  # the last subscriptions made, a round through them
        # first round: publishing may straddle start-up effects; measure from the next one
        while len(_round_times(sim)) < 2:
            time.sleep(0.1)
        first = len(_round_times(sim)) - 1
        size0 = _db_size(engine)
        cpu0 = {m.proc.pid: _cpu_s(m.proc.pid) for m in monitors}
        load = [round(os.getloadavg()[0], 1)]  # the host's, at the window's start and end
        t0 = time.monotonic()
        stored_at: dict[datetime, float] = {}
        while time.monotonic() - t0 < window:
            time.sleep(POLL_S)
            _poll_complete(engine, _round_times(sim)[first:], n, stored_at)
        cpu = sum(_cpu_s(pid) - c for pid, c in cpu0.items())
        load.append(round(os.getloadavg()[0], 1))
        rss = max(_rss_mb(m.proc.pid) for m in monitors)
        elapsed = time.monotonic() - t0
        kill = (
            _kill(engine, monitors[0], sim, n, first, stored_at, kill_after) if kill_after else {}
        )
        cutoff = len(_round_times(sim))
        if not mqtt:  # a polled round is read at the next tick: let the last counted be read
            until = time.monotonic() + 1.5 * period + 10
            while time.monotonic() < until:
                time.sleep(1.0)
                _poll_complete(engine, _round_times(sim)[first:cutoff], n, stored_at)
        sim.stop()
        times = _round_times(sim)[first:cutoff]
        publishing = _publish_s(sim)
        deadline = time.monotonic() + 120  # the monitors drain what was published
        while time.monotonic() < deadline and len(stored_at) < len(times):
            time.sleep(1.0)
            _poll_complete(engine, times, n, stored_at)
        for m in monitors:
            m.stop()  # SIGTERM: each flushes what it received
        drained = time.time()
        if kill:
            kill.update(_takeover(monitors, kill["killed_at"]))
        ids = transformer_ids(n)
        expected = {(ids[j], v, ts) for ts in times for j in range(n) for v in FIELDS}
        counts = count_keys(engine, expected, times)
        size = _db_size(engine) - size0
        alarms = _alarms(engine)
    finally:
        if sim is not None:
            sim.stop()
        for m in monitors:
            m.stop(signal.SIGKILL, 10)
        if broker is not None:
            broker.terminate()
            broker.wait(10)
        engine.dispose()
    killed_at = kill.get("killed_at", float("inf"))
    # Latency of the rounds published before the kill (the window); those after it separately.
    latencies = sorted(stored_at[ts] - ts.timestamp() for ts in times
                       if ts in stored_at and ts.timestamp() < killed_at)  # fmt: skip
    per_round = [[ts.isoformat(), _round(stored_at[ts] - ts.timestamp()) if ts in stored_at
                  else None] for ts in times]  # fmt: skip
    gaps = [b.timestamp() - a.timestamp() for a, b in itertools.pairwise(times)]
    published = [publishing[ts] for ts in times if ts in publishing]
    rows = counts["readings_stored"]
    done = [stored_at[ts] for ts in times if ts in stored_at]
    span = (max(done) if len(done) == len(times) else drained) - times[0].timestamp()
    return {
        "monitors": k,
        "transformers": n,
        "period_s": period,
        "rounds": len(times),
        "startup_s": round(startup, 1),
        "monitor_rss_mb_max": rss,
        # stored rows over the span from the first counted round to the last one complete
        "readings_per_s": round(rows / span, 1) if span > 0 else None,
        "offered_readings_per_s": round(n * len(FIELDS) / period, 1),
        # the simulator publishes a round, then waits: rounds come a little over a period apart
        "round_interval_s_median": round(statistics.median(gaps), 1) if gaps else None,
        "round_latencies_s": per_round,  # [round, publish -> all stored] (None: never)
        # the simulator's time to publish a round (its first message at the round's instant)
        "publish_s_median": round(statistics.median(published), 2) if published else None,
        "publish_s_max": round(max(published), 2) if published else None,
        "load_average_1min": load,
        "latency_p50_s": round(_pct(latencies, 50), 2) if latencies else None,
        "latency_p99_s": round(_pct(latencies, 99), 2) if latencies else None,
        "cpu_percent_per_1000": round(100 * cpu / elapsed / (n / 1000), 1),
        # the same work at a 60 s period: CPU scales with messages per second
        "cpu_percent_per_1000_at_60s": round(100 * cpu / elapsed / (n / 1000) * period / 60, 2),
        # database growth per transformer and period (readings, predictions, forecasts,
        # alerts, indexes) x 1,440 periods of 60 s a day
        "db_mb_per_transformer_day_at_60s": (
            round(size / n / len(times) * 1440 / 1e6, 3) if times else None
        ),
        # each monitor lists the whole fleet and sees only its share of the messages: the
        # "no data for N periods" alerts its silence rule raised for transformers another
        # monitor was serving
        "no_data_alerts": sum(bool(NO_DATA.search(line)) for m in monitors for line in m.lines),
        "mode": mode,
        "protocol": protocol,
        **alarms,
        **kill,
        **counts,
    }


def _kill(
    engine: Any, victim: Proc, sim: Proc, n: int, first: int, stored_at: dict[datetime, float],
    after: float,
) -> dict[str, Any]:  # fmt: skip
    """SIGKILL ``victim`` (member m0) and watch ``after`` seconds: until none of its claims is
    left, until a round published after the kill is complete in the store."""
    victim.proc.send_signal(signal.SIGKILL)
    victim.proc.wait(30)
    killed = time.time()
    moved = collected = None
    while time.time() - killed < after:
        time.sleep(POLL_S)
        _poll_complete(engine, _round_times(sim)[first:], n, stored_at)
        if moved is None and "m0" not in set(_claims(engine).values()):
            moved = time.time() - killed
        later = [at for ts, at in stored_at.items() if ts.timestamp() > killed]
        if collected is None and later:
            collected = min(later) - killed
    return {"kill_claims_moved_s": _round(moved), "kill_collected_again_s": _round(collected),
            "killed_at": killed}  # fmt: skip


def _takeover(monitors: list[Proc], killed: float) -> dict[str, Any]:
    """Which path took the dead monitor's share over, from each survivor's log: seconds after
    the kill at which its heartbeat saw the members change and it claimed its new share at
    the next flush ("members changed"; ``None``: its tick came first), and at which it logged
    its larger share ("collects N")."""
    seen: list[float | None] = []
    claimed: list[float | None] = []
    for m in monitors[1:]:
        first: dict[str, float] = {}
        for line in m.lines:
            at = _log_time(line)
            if at is None or at < killed:
                continue
            for key in ("members changed", " collects "):
                if key in line and key not in first:
                    first[key] = round(at - killed, 1)
        seen.append(first.get("members changed"))
        claimed.append(first.get(" collects "))
    return {"kill_members_change_seen_s": seen, "kill_share_claimed_s": claimed}


def _log_time(line: str) -> float | None:
    """The wall time [s since the epoch] of a monitor log line (``%(asctime)s``, local)."""
    try:
        stamp, ms = line[:23].split(",")
        return time.mktime(time.strptime(stamp, "%Y-%m-%d %H:%M:%S")) + int(ms) / 1000
    except ValueError:
        return None


def _rss_mb(pid: int) -> float:
    """Resident memory of a process [MB] (Linux /proc)."""
    pages = int(Path(f"/proc/{pid}/statm").read_text().split()[1])
    return round(pages * os.sysconf("SC_PAGE_SIZE") / 1e6, 1)


def _round(x: float | None) -> float | None:
    return None if x is None else round(x, 1)


def _alarms(engine: Any) -> dict[str, int]:
    """Alarms raised, and those raised more than once for one (transformer, kind, level)."""
    from thermowatch.store.tables import alerts

    with engine.connect() as conn:
        q = select(alerts.c.transformer_id, alerts.c.kind, alerts.c.level, func.count())
        groups = [c for *_k, c in conn.execute(
            q.group_by(alerts.c.transformer_id, alerts.c.kind, alerts.c.level))]  # fmt: skip
    return {"alarms": sum(groups), "alarms_duplicated": sum(c - 1 for c in groups if c > 1)}


def _poll_complete(engine: Any, times: list[datetime], n: int, done: dict[datetime, float]) -> None:
    """Note the wall time at which each round has all its readings stored."""
    pending = [ts for ts in times if ts not in done]
    if not pending:
        return
    now = time.time()
    with engine.connect() as conn:
        q = (
            select(readings.c.ts, func.count())
            .where(readings.c.ts.in_(pending))
            .group_by(readings.c.ts)
        )
        for ts, count in conn.execute(q):
            if count >= n * len(FIELDS):
                done[ts.astimezone(UTC)] = now


def _db_size(engine: Any) -> int:
    with engine.connect() as conn:
        return int(conn.execute(text("SELECT pg_database_size(current_database())")).scalar())


def _pct(values: list[float], q: float) -> float:
    idx = min(len(values) - 1, max(0, round(q / 100 * (len(values) - 1))))
    return values[idx]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--transformers", type=int, default=1000)
    parser.add_argument("--period", type=float, default=10.0)
    parser.add_argument("--window", type=float, default=45.0)
    parser.add_argument("--monitors", default="1,2,3")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--mode", choices=("shards", "shared"), default="shards")
    parser.add_argument(
        "--protocol", choices=("mqtt", "opcua"), default="mqtt",
        help="opcua: an OPC UA server polled by the monitors (shards only)",
    )  # fmt: skip
    parser.add_argument(
        "--kill", action="store_true", help="SIGKILL one monitor in the run with the most monitors"
    )
    parser.add_argument(
        "--after",
        type=float,
        default=None,
        help="seconds watched after the kill (default: 3 periods)",
    )
    parser.add_argument("--logs", type=Path, default=None, help="write monitor logs here")
    parser.add_argument("--out", type=Path, default=RESULTS, help="JSON results file")
    args = parser.parse_args()
    global LOGS
    LOGS = args.logs
    if LOGS:
        LOGS.mkdir(parents=True, exist_ok=True)
    ks = [int(x) for x in args.monitors.split(",")]
    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory() as tmp, PostgresCluster(durable=True) as cluster:
        for run in range(args.runs):
            for k in ks:
                kill = (args.after or 3 * args.period) if args.kill and k == max(ks) else None
                row = run_once(
                    cluster, Path(tmp), args.transformers, k, args.period, args.window,
                    f"{k}_{run}", args.mode, kill, args.protocol,
                )  # fmt: skip
                row["run"] = run
                rows.append(row)
                print(json.dumps(row), flush=True)
    summary = _summary(rows, ks)
    result = {
        "benchmark": "fleet_scale",
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
        "args": vars(args),
        "summary": summary,
        "runs": rows,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    result["args"] = {k: str(v) if isinstance(v, Path) else v for k, v in vars(args).items()}
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    _print(summary, args)
    print(f"wrote {args.out}")


def _summary(rows: list[dict[str, Any]], ks: list[int]) -> list[dict[str, Any]]:
    out = []
    for k in ks:
        mine = [r for r in rows if r["monitors"] == k]
        entry: dict[str, Any] = {"monitors": k}
        for key in ("readings_per_s", "latency_p50_s", "latency_p99_s", "cpu_percent_per_1000",
                    "cpu_percent_per_1000_at_60s", "db_mb_per_transformer_day_at_60s",
                    "readings_lost", "readings_duplicated", "no_data_alerts", "alarms",
                    "alarms_duplicated", "kill_claims_moved_s", "kill_collected_again_s",
                    "startup_s", "monitor_rss_mb_max"):  # fmt: skip
            values = [r[key] for r in mine if r.get(key) is not None]
            entry[key] = (
                {"min": min(values), "median": statistics.median(values)} if values else None
            )
        out.append(entry)
    base = out[0]["cpu_percent_per_1000"]
    for entry in out:
        cpu = entry["cpu_percent_per_1000"]
        if base and cpu:
            entry["cpu_per_1000_vs_one"] = round(cpu["median"] / base["median"], 2)
    return out


def _print(summary: list[dict[str, Any]], args: argparse.Namespace) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(
        title=f"fleet scale: {args.transformers} transformers, {args.period:g} s period, "
        f"{args.protocol} ({args.mode}) -> PostgreSQL; min / median of {args.runs} runs"
    )
    cols = ("monitors", "readings/s", "p50 [s]", "p99 [s]", "CPU % /1,000", "at 60 s",
            "CPU vs 1", "lost", "dup", "MB/tr-day", "no-data alerts")  # fmt: skip
    for col in cols:
        table.add_column(col)

    def mm(entry: dict[str, Any], key: str) -> str:
        v = entry.get(key)
        return "-" if v is None else f"{v['min']:g} / {v['median']:g}"

    for e in summary:
        table.add_row(
            str(e["monitors"]), mm(e, "readings_per_s"), mm(e, "latency_p50_s"),
            mm(e, "latency_p99_s"), mm(e, "cpu_percent_per_1000"),
            mm(e, "cpu_percent_per_1000_at_60s"), str(e.get("cpu_per_1000_vs_one", "-")),
            mm(e, "readings_lost"), mm(e, "readings_duplicated"),
            mm(e, "db_mb_per_transformer_day_at_60s"), mm(e, "no_data_alerts"),
        )  # fmt: skip
    Console(width=160).print(table)


if __name__ == "__main__":
    with contextlib.suppress(KeyboardInterrupt):
        main()
