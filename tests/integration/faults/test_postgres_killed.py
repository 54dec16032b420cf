"""PostgreSQL killed (immediate shutdown, as a crash) while ``thermowatch monitor`` collects over
MQTT and ``thermowatch serve`` takes ``POST /v1/readings``, then started again.

Counted per (transformer, variable, timestamp): every reading the broker acknowledged to the
publisher and every reading the service answered 201 is stored, once (the monitor spools and
replays; the service answers 503 + Retry-After meanwhile and the pusher retries); the sustained
CRITIQUE raises one alarm, not one per reconnection; both write again within 2 periods of the
database's return."""

from __future__ import annotations

import threading
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from tests.integration.ingest.conftest import Broker
from tests.integration.ops.deploy_helpers import stop
from tests.integration.service.conftest import reading
from tests.security.conftest import client_from, start_server
from thermowatch.ingest.simulator import sim_config, transformer_ids
from thermowatch.store.engine import make_engine
from thermowatch.store.migrate import upgrade
from thermowatch.store.readings import count_readings, readings_long

from .helpers import (
    Publisher,
    alarms,
    duplicated_alarms,
    lost_and_duplicated,
    monitor_process,
    wait_until,
)

pytestmark = [pytest.mark.slow, pytest.mark.postgres, pytest.mark.faults]
PERIOD_S = 1.0
DOWN_S = 5.0
PUSH_T0 = datetime.now(UTC).replace(microsecond=0) - timedelta(days=20)


class Pusher(threading.Thread):
    """Posts one reading of TR-01 at a time; a refusal (503) or no answer is retried as is.
    ``accepted`` holds the timestamps answered 201, ``first_201_after`` when one came after
    ``mark`` (monotonic)."""

    def __init__(self, server) -> None:  # type: ignore[no-untyped-def]
        super().__init__(daemon=True)
        self.server = server
        self.accepted: list[datetime] = []
        self.refused = 0
        self.mark: float | None = None
        self.first_201_after: float | None = None
        self.stop_event = threading.Event()

    def run(self) -> None:
        headers = self.server.headers("operator")
        i = 0
        with client_from(timeout=10) as client:
            while not self.stop_event.is_set():
                stamp = PUSH_T0 + timedelta(minutes=i)
                body = {"transformer_id": "TR-01", "timestamp": stamp.isoformat(),
                        "values": reading()}  # fmt: skip
                try:
                    r = client.post(self.server.url + "/v1/readings", json=body, headers=headers)
                    status = r.status_code
                except httpx.HTTPError:
                    status = 0
                if status == 201:
                    self.accepted.append(stamp)
                    if self.mark is not None and self.first_201_after is None:
                        self.first_201_after = time.monotonic() - self.mark
                    i += 1
                else:
                    assert status in (0, 503), status
                    self.refused += 1
                time.sleep(0.05)


def test_postgres_killed_nothing_accepted_is_lost(
    tmp_path: Path, own_cluster, broker: Broker, trained_model: Path
) -> None:  # type: ignore[no-untyped-def]
    url = own_cluster.create_database(f"faults_{uuid.uuid4().hex[:8]}")
    upgrade(make_engine(url))
    server = start_server(tmp_path / "service", trained_model, database_url=url, workers=1,
                          audit_flush_s=0.5)  # fmt: skip
    ids = transformer_ids(2)
    cfg = tmp_path / "mqtt.toml"
    cfg.write_text(sim_config("mqtt", 2, port=broker.port, period_s=PERIOD_S,
                              spool_dir=str(tmp_path / "spool")))  # fmt: skip
    log = tmp_path / "monitor.log"
    monitor = monitor_process(cfg, url, tmp_path / "home", log)
    publisher, pusher = Publisher(broker.port, ids, hot=ids[:1]), Pusher(server)
    engine = make_engine(url)

    def pg_ctl(*args: str) -> None:
        data, pglog = own_cluster.tmpdir / "data", own_cluster.tmpdir / "server.log"
        own_cluster._run(own_cluster.bindir / "pg_ctl", "-D", str(data), "-l", str(pglog), "-w",
                         *args)  # fmt: skip

    try:
        assert wait_until(lambda: "connected, 2 topics" in log.read_text(), 60), log.read_text()
        publisher.start()
        pusher.start()
        assert wait_until(lambda: count_readings(engine, ids[0]) > 0, 60), log.read_text()
        time.sleep(3 * PERIOD_S)
        pg_ctl("-m", "immediate", "stop")  # a crash: no checkpoint, clients cut off
        time.sleep(DOWN_S)
        pg_ctl("start")
        engine.dispose()
        pusher.mark = restarted = time.monotonic()
        before = {tid: count_readings(make_engine(url), tid) for tid in ids}
        monitor_back = wait_until(lambda: count_readings(engine, ids[1]) > before[ids[1]], 30)
        time.sleep(4 * PERIOD_S)
        publisher.finish()
        pusher.stop_event.set()
        pusher.join(30)
        sent = set(publisher.acked)
        wait_until(lambda: sum(count_readings(engine, t) for t in ids) >= len(sent) * 7, 30)
        time.sleep(2 * PERIOD_S)
        print(f"\npostgres killed {DOWN_S:g} s: monitor {len(sent)} messages acknowledged, "
              f"writing again {monitor_back} s after the restart; service "
              f"{len(pusher.accepted)} readings accepted, {pusher.refused} refused, first 201 "
              f"{pusher.first_201_after} s after the restart "
              f"({time.monotonic() - restarted:.1f} s in all)")  # fmt: skip
    finally:
        publisher.finish()
        pusher.stop_event.set()
        stop(monitor)
        server.stop()
    assert monitor.returncode == 0, log.read_text()[-3000:]
    monitor_log = log.read_text()
    assert "spool" in monitor_log, monitor_log[-3000:]  # the outage was really met
    assert "Traceback" not in monitor_log  # one line per outage event, not a trace per cycle
    assert pusher.refused >= 1  # ... by the service too
    assert monitor_back is not None and monitor_back <= 2 * PERIOD_S + 1, monitor_back
    assert pusher.first_201_after is not None and pusher.first_201_after <= 2 * PERIOD_S + 1
    assert lost_and_duplicated(engine, sent) == (0, 0)
    long = readings_long(engine, "TR-01", PUSH_T0, PUSH_T0 + timedelta(days=30))
    keys = list(zip(long["variable"], long["timestamp"], strict=True))
    assert len(keys) == len(set(keys))  # nothing stored twice
    stored_at = {ts.to_pydatetime() for ts in long["timestamp"]}
    assert set(pusher.accepted) <= stored_at, sorted(set(pusher.accepted) - stored_at)[:3]
    assert duplicated_alarms(engine) == [], alarms(engine)
    assert (ids[0], "temperature_measured", "CRITIQUE", 1) in alarms(engine), alarms(engine)
