"""Mosquitto SIGKILLed mid-run under a running ``thermowatch monitor``: the monitor
reconnects by itself, and every message a QoS 1 publisher with a persistent session had
acknowledged by the broker is stored, once."""

from __future__ import annotations

import signal
import time
from pathlib import Path

import pytest

from tests.integration.ingest.conftest import Broker
from tests.integration.ops.deploy_helpers import stop
from thermowatch.ingest.simulator import sim_config, transformer_ids
from thermowatch.store.engine import make_engine
from thermowatch.store.readings import count_readings

from .helpers import (
    Publisher,
    alarms,
    duplicated_alarms,
    lost_and_duplicated,
    monitor_process,
    wait_until,
)

pytestmark = [pytest.mark.slow, pytest.mark.faults]
PERIOD_S = 1.0


def test_broker_killed_monitor_reconnects_nothing_accepted_is_lost(
    tmp_path: Path, broker: Broker
) -> None:
    ids = transformer_ids(2)
    cfg = tmp_path / "mqtt.toml"
    cfg.write_text(sim_config("mqtt", 2, port=broker.port, period_s=PERIOD_S,
                              spool_dir=str(tmp_path / "spool")))  # fmt: skip
    url = f"sqlite:///{tmp_path}/store.db"
    engine = make_engine(url)
    log = tmp_path / "monitor.log"
    monitor = monitor_process(cfg, url, tmp_path / "home", log)
    publisher = Publisher(broker.port, ids, hot=ids[:1])
    try:
        # Subscribed (its persistent session exists) before the first message is published.
        assert wait_until(lambda: "connected, 2 topics" in log.read_text(), 60), log.read_text()
        publisher.start()
        assert wait_until(lambda: count_readings(engine) > 0, 60) is not None, log.read_text()
        time.sleep(3 * PERIOD_S)
        broker.proc.send_signal(signal.SIGKILL)  # type: ignore[union-attr]
        broker.proc.wait(10)  # type: ignore[union-attr]
        broker.proc = None
        time.sleep(3 * PERIOD_S)  # down for 3 periods; the publisher keeps trying
        broker.start()
        restarted = time.monotonic()
        before = count_readings(engine)
        back = wait_until(lambda: count_readings(engine) > before, 30)
        time.sleep(3 * PERIOD_S)
        publisher.finish()
        sent = set(publisher.acked)
        n = len(sent) * 7
        assert wait_until(lambda: count_readings(engine) >= n, 30) is not None
        time.sleep(2 * PERIOD_S)  # a redelivery must not add a row
        print(f"\nmosquitto killed: {len(sent)} messages acknowledged by the broker, "
              f"{publisher.reconnects} publisher reconnects, stored again "
              f"{back:.2f} s after the broker restarted"
              f" ({time.monotonic() - restarted:.1f} s in all)")  # fmt: skip
    finally:
        publisher.finish()
        stop(monitor)
    assert monitor.returncode == 0, log.read_text()[-3000:]
    assert publisher.reconnects >= 1  # the broker was really gone
    assert back is not None and back <= 2 * PERIOD_S + 3, back  # reconnect backoff allowed
    assert lost_and_duplicated(engine, sent) == (0, 0)
    assert duplicated_alarms(engine) == [], alarms(engine)
    assert any(a[:3] == (ids[0], "temperature_measured", "CRITIQUE") for a in alarms(engine)), (
        alarms(engine)
    )
