"""Two ``thermowatch monitor --lease monitor`` on one PostgreSQL, collecting over MQTT; the one
holding the lease is SIGKILLed mid-run. The standby takes the lease and the same persistent
session within 2 periods; counted per (transformer, variable, timestamp), every reading the
broker acknowledged to the publisher is stored once, and the sustained CRITIQUE is one alarm."""

from __future__ import annotations

import signal
import time
import uuid
from pathlib import Path

import pytest

from tests.integration.ingest.conftest import Broker
from tests.integration.ops.deploy_helpers import stop
from thermowatch.ingest.simulator import sim_config, transformer_ids
from thermowatch.store.engine import make_engine
from thermowatch.store.migrate import upgrade
from thermowatch.store.readings import count_readings

from .helpers import (
    Publisher,
    alarms,
    duplicated_alarms,
    lost_and_duplicated,
    monitor_process,
    wait_until,
)

pytestmark = [pytest.mark.slow, pytest.mark.postgres, pytest.mark.faults]
# 3 s, not 2: the bounds below count periods, and on a loaded 2-core runner (3 test workers)
# the standby's first store took 6.2 s once against 3.2-3.4 s idle; a longer period keeps the
# bound about the take-over, not about the scheduler.
PERIOD_S = 3.0


def test_lease_holder_killed_standby_takes_over(tmp_path: Path, pg_cluster, broker: Broker) -> None:  # type: ignore[no-untyped-def]
    url = pg_cluster.create_database(f"lease_{uuid.uuid4().hex[:8]}")
    engine = make_engine(url)
    upgrade(engine)
    ids = transformer_ids(2)
    cfg = tmp_path / "mqtt.toml"
    cfg.write_text(sim_config("mqtt", 2, port=broker.port, period_s=PERIOD_S, spool_dir=None))
    logs = [tmp_path / "a.log", tmp_path / "b.log"]
    a = monitor_process(cfg, url, tmp_path / "home-a", logs[0], "--lease", "monitor")
    procs = [a]
    publisher = Publisher(broker.port, ids, hot=ids[:1])
    try:
        assert wait_until(lambda: "connected, 2 topics" in logs[0].read_text(), 60), logs[0]
        b = monitor_process(cfg, url, tmp_path / "home-b", logs[1], "--lease", "monitor")
        procs.append(b)
        assert wait_until(lambda: "standing by" in logs[1].read_text(), 60), logs[1].read_text()
        publisher.start()
        assert wait_until(lambda: count_readings(engine, ids[1]) > 0, 60), logs[0].read_text()
        time.sleep(2.3 * PERIOD_S)  # at no particular point of a period
        a.send_signal(signal.SIGKILL)
        a.wait(10)
        killed = time.monotonic()
        before = count_readings(engine, ids[1])
        took_over = wait_until(lambda: "connected, 2 topics" in logs[1].read_text(), 30, 0.02)
        stored_again = wait_until(lambda: count_readings(engine, ids[1]) > before, 30)
        stored_again = stored_again and time.monotonic() - killed  # from the kill [s]
        time.sleep(3 * PERIOD_S)
        publisher.finish()
        sent = set(publisher.acked)
        wait_until(lambda: sum(count_readings(engine, t) for t in ids) >= 7 * len(sent), 30)
        time.sleep(PERIOD_S)  # a redelivery must not add a row
        print(f"\nlease holder killed: standby subscribed {took_over} s after, storing "
              f"{stored_again} s after (period {PERIOD_S:g} s); {len(sent)} messages "
              f"acknowledged, {time.monotonic() - killed:.1f} s in all")  # fmt: skip
    finally:
        publisher.finish()
        for p in procs:
            stop(p)
    assert procs[1].returncode == 0, logs[1].read_text()[-3000:]
    assert "lease monitor: acquired" in logs[1].read_text()
    assert took_over is not None and stored_again is not None
    # Collecting (lease + session) within 2 periods; its first cycle stores at the next tick.
    assert took_over <= 2 * PERIOD_S, took_over
    assert stored_again <= 3 * PERIOD_S, stored_again
    assert lost_and_duplicated(engine, sent) == (0, 0)
    assert duplicated_alarms(engine) == [], alarms(engine)
    assert (ids[0], "temperature_measured", "CRITIQUE", 1) in alarms(engine), alarms(engine)
