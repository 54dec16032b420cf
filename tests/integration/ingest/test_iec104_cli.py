"""``simulate-scada --protocol iec104`` and ``monitor`` as processes: the simulated RTU's
config, read as is, fills the store; SIGTERM stops both with exit code 0."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from tests.logged import spawn, stderr_of
from thermowatch.store.engine import make_engine
from thermowatch.store.readings import count_readings

from .conftest import free_port
from .test_cli import SRC

APP = (
    "import sys, typer; from thermowatch.cli.monitor import monitor, simulate_scada; "
    "from thermowatch.cli._errors import run_with_error_policy; "
    "app = typer.Typer(); app.command()(monitor); app.command('simulate-scada')(simulate_scada); "
    "sys.exit(run_with_error_policy(app))"
)


def _run(tmp_path: Path, url: str, *args: str) -> subprocess.Popen[bytes]:
    env = {
        **os.environ, "PYTHONPATH": str(SRC), "THERMOWATCH_DATABASE_URL": url,
        "THERMOWATCH_HOME": str(tmp_path / "home"),
    }  # fmt: skip
    return spawn(
        [sys.executable, "-c", APP, *args, "--log-level", "WARNING"],
        tmp_path / f"{args[0]}.log", env=env,
    )  # fmt: skip


def test_simulated_rtu_and_monitor_processes(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/store.db"
    cfg = tmp_path / "iec104.toml"
    rtu = _run(
        tmp_path, url, "simulate-scada", "--protocol", "iec104", "--transformers", "2",
        "--port", str(free_port()), "--interval", "0.5", "--period", "1",
        "--write-config", str(cfg),
    )  # fmt: skip
    deadline = time.monotonic() + 60
    while not cfg.exists() and time.monotonic() < deadline:
        time.sleep(0.2)
    monitor = _run(tmp_path, url, "monitor", "--config", str(cfg))
    engine = make_engine(url)
    counts = {"TR-0001": 0, "TR-0002": 0}
    try:
        deadline = time.monotonic() + 120  # start-up takes tens of seconds on a loaded machine
        while time.monotonic() < deadline and min(counts.values()) < 3 * 7:
            time.sleep(0.5)
            with contextlib.suppress(Exception):  # tables not created yet
                counts = {tid: count_readings(engine, tid) for tid in counts}
    finally:
        for proc in (monitor, rtu):
            proc.send_signal(signal.SIGTERM)
        for proc in (monitor, rtu):
            proc.wait(timeout=60)
        errors = [stderr_of(proc) for proc in (monitor, rtu)]
    assert min(counts.values()) >= 3 * 7, (counts, errors)  # 3 periods x 7 points, each
    assert (monitor.returncode, rtu.returncode) == (0, 0), errors
