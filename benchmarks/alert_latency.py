"""Alert latency: a reading past the CRITIQUE threshold -> stored CRITIQUE -> e-mail received.

One monitor (the real :class:`thermowatch.ingest.monitor.Monitor`: validate, predict with the
IEC 60076-7 model, store, the one alert hook) watches ``--transformers`` transformers reporting
every ``--period`` seconds through an in-process source; it delivers its own outbox (the
background deliverer under the store lease, as ``thermowatch monitor`` does) to a real SMTP
server (aiosmtpd, on loopback, in this process's threads). Each period, ``--per-cycle``
transformers that were normal report a measured winding temperature above the CRITIQUE
threshold and stay there, until ``--crossings`` crossings were made.

Measured per crossing, from the wall-clock instant the monitor collected the first reading past
the threshold (its timestamp is that instant: a live field):

* ``stored_s``: until the CRITIQUE alert row is committed (``raised_at`` is the data time of the
  reading that raised it; the commit is seen by the hook's return);
* ``email_s``: until the SMTP server accepted the e-mail that names it.

The CRITIQUE raise delay in data time (default ``raise_after_critique``: 10 s, i.e. the second
reading past the threshold at a 10 s period) is part of the figure, as it is in the field.
``--warmup`` cycles (default 1) run before the first crossing: a monitor's first cycle builds
every transformer's nowcaster and reads its row (a start-up cost, not a steady-state latency);
``--warmup 0`` puts it on the first crossings' path.
Goal: p99 of ``email_s`` < 30 s with a 10 s period. Writes ``benchmarks/results/
alert_latency.json`` and prints a table.

usage: python benchmarks/alert_latency.py [--transformers 1000] [--crossings 50]
       [--per-cycle 10] [--period 10] [--warmup 1]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import platform
import re
import socket
import statistics
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from thermowatch.alerts.config import parse_config
from thermowatch.alerts.hook import AlertHook
from thermowatch.ingest.config import parse_config as parse_monitor
from thermowatch.ingest.monitor import Monitor
from thermowatch.ingest.simulator import transformer_ids
from thermowatch.ingest.sources.base import Sample
from thermowatch.ingest.sources.memory import MemoryHub
from thermowatch.store.engine import make_engine
from thermowatch.store.migrate import upgrade

RESULTS = Path(__file__).parent / "results"
WINDING, CURRENT, AMBIENT = "winding_c", "current_a", "ambient_c"
SPEC = {"preset": "ONAF", "top_oil_rise_k": 50.0, "hot_spot_gradient_k": 20.0,
        "rated_current_a": 1039.23}  # fmt: skip
ALERTE_C, CRITIQUE_C = 93.0, 105.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Sink:
    """aiosmtpd on loopback: the wall-clock instant each message was accepted, by subject."""

    def __init__(self) -> None:
        from aiosmtpd.controller import Controller

        self.received: list[tuple[float, str]] = []
        sink = self

        class Handler:
            async def handle_DATA(self, server, session, envelope):
                text = envelope.content.decode("utf-8", "replace")
                subject = re.search(r"^Subject: (.*)$", text, re.M)
                sink.received.append((time.time(), subject.group(1) if subject else ""))
                return "250 OK"

        self.port = free_port()
        self.controller = Controller(Handler(), hostname="127.0.0.1", port=self.port)
        self.controller.start()


def alerts_config(smtp_port: int):
    import tomllib

    return parse_config(tomllib.loads(f"""
[alerts]
phase = 2
[alerts.channels.email]
type = "email"
host = "127.0.0.1"
port = {smtp_port}
security = "none"
sender = "thermowatch@bench.example"
[alerts.contacts.astreinte]
to = {{ email = "astreinte@bench.example" }}
[alerts.delivery]
batch = 500
[alerts.escalation]
steps = [["astreinte"]]
"""))  # fmt: skip


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


async def run(
    n: int, crossings: int, per_cycle: int, period: float, folder: Path, warmup: int = 1
) -> dict:
    engine = make_engine(f"sqlite:///{folder}/store.db")
    upgrade(engine)
    sink = Sink()
    ids = transformer_ids(n)
    (folder / "unused.csv").touch()
    cfg = parse_monitor({
        "monitor": {"spool_dir": str(folder / "spool"), "period_s": period},
        "transformers": [
            {"id": tid, "spec": SPEC, "target": WINDING, "load": CURRENT, "ambient": AMBIENT,
             "thresholds": {"alerte_c": ALERTE_C, "critique_c": CRITIQUE_C},
             "source": {"protocol": "replay", "path": "unused.csv"}}
            for tid in ids
        ],
    }, folder)  # fmt: skip
    hook = AlertHook(engine, alerts_config(sink.port), actor="bench")
    stored_at: dict[str, float] = {}
    evaluate = hook.many

    def many(events):  # the hook's return is the commit of the alerts it raised
        out = evaluate(events)
        now = time.time()
        for e in out:
            if e.event == "raised" and e.level == "CRITIQUE" and e.kind == "temperature_measured":
                stored_at.setdefault(e.transformer_id, now)
        return out

    hook.many = many  # type: ignore[method-assign]
    monitor = Monitor(cfg, engine=engine, on_prediction=hook)
    hub = MemoryHub(cfg.transformers[0].source)
    for t in cfg.transformers:
        hub.add(t)
        monitor.hub_of[t.id] = hub
    monitor.hubs = {("memory",): hub}
    await monitor.start()
    delivery = monitor.start_delivery()
    rng = np.random.default_rng(7)
    crossed_at: dict[str, float] = {}
    hot: list[str] = []
    cycles = 0
    cycle_s: list[float] = []
    try:
        while len(crossed_at) < crossings or any(t not in stored_at for t in crossed_at):
            if cycles > warmup + crossings // per_cycle + 30:
                break
            tick = datetime.now(UTC)
            started = cycles >= warmup
            fresh = (
                [t for t in ids[len(hot) : len(hot) + per_cycle]]
                if started and len(hot) < crossings
                else []
            )
            hot += fresh
            hot_set = set(hot)
            noise = rng.normal(0.0, 0.2, (len(ids), 3))  # a live field is never frozen
            hub.pending = {
                t: [Sample(tick, {CURRENT: 700.0 + 5 * e[0], AMBIENT: 20.0 + e[1],
                                  WINDING: (110.0 if t in hot_set else 66.0) + e[2]}, "bench")]
                for t, e in zip(ids, noise, strict=True)
            }  # fmt: skip
            for t in fresh:
                crossed_at[t] = tick.timestamp()
            began = time.perf_counter()
            await monitor.run_cycle(ids, tick)
            cycle_s.append(time.perf_counter() - began)
            cycles += 1
            await asyncio.sleep(max(0.0, period - (time.perf_counter() - began)))
        deadline = time.time() + 60
        while time.time() < deadline and len(mailed(sink, crossed_at)) < len(crossed_at):
            await asyncio.sleep(0.2)
    finally:
        monitor.stop()
        if delivery is not None:
            delivery.stop()
        await monitor.shutdown()
        sink.controller.stop()
    mails = mailed(sink, crossed_at)
    stored = [stored_at[t] - crossed_at[t] for t in crossed_at if t in stored_at]
    email = [mails[t] - crossed_at[t] for t in crossed_at if t in mails]
    return {
        "transformers": n, "period_s": period, "crossings": len(crossed_at),
        "stored": len(stored), "emailed": len(email),
        "stored_s": {"p50": pct(stored, 50), "p99": pct(stored, 99), "max": max(stored)}
        if stored else None,
        "email_s": {"p50": pct(email, 50), "p99": pct(email, 99), "max": max(email)}
        if email else None,
        "cycle_s": {"median": statistics.median(cycle_s), "max": max(cycle_s),
                    "first": cycle_s[0]},
        "cycles": cycles, "warmup_cycles": warmup,
    }  # fmt: skip


def mailed(sink: Sink, crossed: dict[str, float]) -> dict[str, float]:
    """First CRITIQUE e-mail received per crossed transformer (wall clock)."""
    out: dict[str, float] = {}
    for at, subject in sink.received:
        m = re.search(r"CRITIQUE (TR-\d+)", subject)
        if m and m.group(1) in crossed:
            out.setdefault(m.group(1), at)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--transformers", type=int, default=1000)
    ap.add_argument("--crossings", type=int, default=50)
    ap.add_argument("--per-cycle", type=int, default=10)
    ap.add_argument("--period", type=float, default=10.0)
    ap.add_argument("--warmup", type=int, default=1, help="cycles before the first crossing")
    a = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        r = asyncio.run(
            run(a.transformers, a.crossings, a.per_cycle, a.period, Path(tmp), a.warmup)
        )
    r |= {"machine": platform.node(), "at": datetime.now(UTC).isoformat(timespec="seconds")}
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "alert_latency.json").write_text(json.dumps(r, indent=2))
    print(f"{r['transformers']} transformers every {r['period_s']:g} s, {r['crossings']} "
          f"crossings: {r['stored']} stored CRITIQUE, {r['emailed']} e-mails received")  # fmt: skip
    print(f"{'':22}{'p50 [s]':>10}{'p99 [s]':>10}{'max [s]':>10}")
    for key, label in (("stored_s", "reading -> stored"), ("email_s", "reading -> e-mail")):
        v = r[key]
        if v:
            print(f"{label:22}{v['p50']:>10.2f}{v['p99']:>10.2f}{v['max']:>10.2f}")
    print(f"monitor cycle: median {r['cycle_s']['median']:.2f} s, max {r['cycle_s']['max']:.2f} s,"
          f" first {r['cycle_s']['first']:.2f} s; {r['warmup_cycles']} warm-up cycle(s)"
          f" (goal: e-mail p99 < 30 s)")  # fmt: skip


if __name__ == "__main__":
    main()
