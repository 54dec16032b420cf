"""HA drill, monitors: two `thermowatch monitor --lease monitor` on one PostgreSQL, polling a
simulated Modbus field. One collects, the other stands by; the active one is SIGKILLed and the
other is active within 2 periods. No tick is collected by both (no duplicate), every tick either
logged is in the store with all its readings (nothing lost)."""

from __future__ import annotations

import re
import signal
import subprocess
import time
import uuid
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import text

from tests.integration.ops.deploy_helpers import free_port, stop, thermowatch_bin, wait_for_log
from thermowatch.store.engine import make_engine
from thermowatch.store.migrate import upgrade

pytestmark = [pytest.mark.slow, pytest.mark.postgres]
# 3 s, not 2: the take-over bound counts periods, and the standby's first tick is the first
# aligned tick after its start (lease poll 0.5 s, models, store, SCADA connection): on a loaded
# 2-core machine (load 8-11) that start took 1.5 s and the take-over 3.58-3.89 s of the
# 4 s bound (1.8-1.9 s otherwise). A longer period keeps the bound about the take-over, not the
# scheduler (as in tests/integration/faults/test_monitor_killed_lease.py).
PERIOD_S = 3.0
CYCLE = re.compile(r"cycle (\S+): 1/1 with data, (\d+) readings")


def ticks(log: Path) -> dict[datetime, int]:
    """Ticks a monitor logged as stored, with the number of readings of each."""
    return {datetime.fromisoformat(m[1]): int(m[2]) for m in CYCLE.finditer(log.read_text())}


def test_standby_monitor_takes_over_within_two_periods(pg_cluster, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    url = pg_cluster.create_database(f"ha_{uuid.uuid4().hex[:10]}")
    upgrade(make_engine(url))
    tw, port = thermowatch_bin(), free_port()
    cfg = tmp_path / "monitor.toml"
    sim_log = tmp_path / "sim.log"
    sim = subprocess.Popen(
        [tw, "simulate-scada", "--protocol", "modbus", "--transformers", "1", "--port", str(port),
         "--interval", "0.5", "--write-config", str(cfg), "--period", str(PERIOD_S)],
        stdout=sim_log.open("w"), stderr=subprocess.STDOUT,
    )  # fmt: skip
    procs = [sim]
    try:
        wait_for_log(sim_log, "simulating 1 transformers", 60, sim)

        def monitor(name: str) -> tuple[subprocess.Popen, Path]:
            log = tmp_path / f"{name}.log"
            p = subprocess.Popen(
                [tw, "monitor", "--config", str(cfg), "--database-url", url, "--lease", "monitor"],
                stdout=log.open("w"), stderr=subprocess.STDOUT,
            )  # fmt: skip
            procs.append(p)
            return p, log

        a, a_log = monitor("a")
        wait_for_log(a_log, "lease monitor: acquired", 60, a)
        b, b_log = monitor("b")
        wait_for_log(b_log, "standing by", 60, b)
        deadline = time.monotonic() + 60  # generous: a loaded runner, not a speed bound
        while len(ticks(a_log)) < 3:
            assert time.monotonic() < deadline and a.poll() is None, a_log.read_text()[-2000:]
            time.sleep(0.1)
        assert ticks(b_log) == {}  # the standby collects nothing

        a.send_signal(signal.SIGKILL)
        killed_at = datetime.now().astimezone()
        a.wait(10)
        # Generous: the bound on the take-over is asserted on B's first tick below.
        wait_for_log(b_log, "lease monitor: acquired", 60, b)
        deadline = time.monotonic() + 60  # generous: a loaded runner, not a speed bound
        while len(ticks(b_log)) < 3:
            assert time.monotonic() < deadline and b.poll() is None, b_log.read_text()[-2000:]
            time.sleep(0.1)
        stop(b)
    finally:
        for p in procs:
            stop(p)

    ta, tb = ticks(a_log), ticks(b_log)
    # Active within 2 periods of the kill: B's first tick is at most 2 periods later.
    first_b = min(tb)
    print(f"\nmonitor drill: takeover {(first_b - killed_at).total_seconds():.2f} s after the kill"
          f" (period {PERIOD_S} s); A {len(ta)} ticks, B {len(tb)} ticks")  # fmt: skip
    assert first_b - killed_at <= timedelta(seconds=2 * PERIOD_S), (killed_at, first_b)
    # Never two active monitors: no tick collected by both, none by B before the kill.
    assert not set(ta) & set(tb)
    assert max(ta) < first_b
    # Nothing lost, nothing doubled: every logged tick is stored with all its readings,
    # and the store holds no tick that neither monitor collected (one in flight at the kill
    # may have been committed by A without being logged).
    with make_engine(url).connect() as conn:
        rows = conn.execute(text(
            "SELECT ts, count(*) FROM readings WHERE transformer_id = 'TR-0001' GROUP BY ts"
        )).all()  # fmt: skip
        preds = conn.execute(text("SELECT count(*), count(DISTINCT ts) FROM predictions")).one()
    stored = {ts: n for ts, n in rows}
    for t, n in (ta | tb).items():
        assert n >= 4 and stored.get(t) == n, (t, n, stored.get(t))
    unlogged = set(stored) - set(ta) - set(tb)
    assert len(unlogged) <= 1 and all(max(ta) < t < first_b for t in unlogged)
    assert preds[0] == preds[1] == len(stored)
