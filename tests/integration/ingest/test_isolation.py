"""One impossible reading fails only itself: the real ``monitor`` process and a real Mosquitto.

Issue 22's critical finding: one MQTT message with a current of -500 A made the monitor exit
with code 2 (``load_pu ... is negative``), and again on every restart while that reading was
in its history window.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import paho.mqtt.publish as publish

from thermowatch.ingest.simulator import sim_config, topic_of
from thermowatch.store.engine import make_engine
from thermowatch.store.readings import count_readings

from .conftest import Broker

SRC = Path(__file__).resolve().parents[3] / "src"
APP = (
    "import sys, typer; from thermowatch.cli.monitor import monitor; "
    "from thermowatch.cli._errors import run_with_error_policy; "
    "app = typer.Typer(); app.command()(monitor); app.command('x')(lambda: None); "
    "sys.exit(run_with_error_policy(app))"
)


def _start(cfg: Path, url: str, log: Path, level: str = "WARNING") -> subprocess.Popen[bytes]:
    env = {**os.environ, "PYTHONPATH": str(SRC), "THERMOWATCH_DATABASE_URL": url}
    return subprocess.Popen(
        [sys.executable, "-c", APP, "monitor", "--config", str(cfg), "--log-level", level],
        env=env,
        stderr=log.open("ab"),
    )


def _message(ts: datetime, current: float) -> str:
    return json.dumps(
        {"ts": ts.isoformat(), "current_a": current, "ambient_c": 20.0, "oil_c": 60.0,
         "winding_c": 70.0, "voltage_kv": 20.0, "p_mw": 10.0, "q_mvar": 2.0}
    )  # fmt: skip


def _publish(port: int, tid: str, ts: datetime, current: float) -> None:
    publish.single(topic_of(tid), _message(ts, current), qos=1, hostname="127.0.0.1", port=port)


def _wait(predicate, timeout: float = 90.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if predicate():
                return True
        except Exception:  # tables not created yet
            pass
        time.sleep(0.5)
    return False


def test_a_negative_current_fails_only_itself_and_survives_restarts(
    tmp_path: Path, broker: Broker
) -> None:
    cfg = tmp_path / "monitor.toml"
    cfg.write_text(sim_config("mqtt", 2, port=broker.port, period_s=1), encoding="utf-8")
    url = f"sqlite:///{tmp_path}/store.db"
    log = tmp_path / "monitor.log"
    engine = make_engine(url)
    # INFO: its "connected, 2 topics" says it subscribed. Until then the broker keeps nothing
    # for it (a first session): a fixed 3 s wait let a loaded runner publish too early.
    proc = _start(cfg, url, log, "INFO")
    try:
        assert _wait(lambda: "connected, 2 topics" in log.read_text() or proc.poll() is not None)
        start = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=10)
        for k in range(5):  # a normal history, then the impossible value, then more normal
            for tid in ("TR-0001", "TR-0002"):
                _publish(broker.port, tid, start + timedelta(minutes=k), 800.0)
        _publish(broker.port, "TR-0001", start + timedelta(minutes=5), -500.0)
        for k in range(6, 10):
            for tid in ("TR-0001", "TR-0002"):
                _publish(broker.port, tid, start + timedelta(minutes=k), 800.0)
        stored = _wait(lambda: count_readings(engine, "TR-0001") >= 10 * 7
                       and count_readings(engine, "TR-0002") >= 9 * 7)  # fmt: skip
        assert proc.poll() is None, f"monitor exited {proc.returncode}: {log.read_text()[-2000:]}"
        assert stored, log.read_text()[-2000:]
        # the refusal is kept with its reason
        with engine.connect() as conn:
            from sqlalchemy import text

            reasons = (
                conn.execute(
                    text("SELECT reason FROM reading_issues WHERE transformer_id='TR-0001'")
                )
                .scalars()
                .all()
            )
        assert any("-500" in r for r in reasons), reasons
        proc.send_signal(signal.SIGTERM)
        proc.wait(60)
        assert proc.returncode == 0, log.read_text()[-2000:]

        # a restart with the impossible value in the history window keeps running
        proc = _start(cfg, url, log)
        time.sleep(8.0)
        assert proc.poll() is None, f"restart exited {proc.returncode}: {log.read_text()[-2000:]}"
        later = datetime.now(UTC).replace(microsecond=0) - timedelta(seconds=30)
        _publish(broker.port, "TR-0001", later, 810.0)
        assert _wait(lambda: count_readings(engine, "TR-0001") >= 11 * 7), log.read_text()[-2000:]
        assert proc.poll() is None
        assert "Traceback" not in log.read_text()
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            proc.wait(60)
