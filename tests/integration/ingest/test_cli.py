"""The ``monitor`` command as a process: SIGTERM flushes and exits 0; a restart resumes and
replays the spool; a bad config exits 2 with one line naming the key."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.logged import spawn, stderr_of
from thermowatch.data import read_readings
from thermowatch.data.simulator import simulate_sample, write_sample
from thermowatch.ingest.spool import Spool
from thermowatch.store.engine import make_engine
from thermowatch.store.readings import count_readings

SRC = Path(__file__).resolve().parents[3] / "src"
# The commands are registered in thermowatch.cli by the maintainers; the test builds its own
# app around them so that it does not depend on that wiring.
APP = (
    "import sys, typer; from thermowatch.cli.monitor import monitor; "
    "from thermowatch.cli._errors import run_with_error_policy; "
    "app = typer.Typer(); app.command()(monitor); app.command('x')(lambda: None); "
    "sys.exit(run_with_error_policy(app))"
)


def _config(tmp_path: Path, csv: Path) -> Path:
    cfg = tmp_path / "replay.toml"
    cfg.write_text(
        f"""
[monitor]
spool_dir = "spool"
period_s = 0.5
[[transformers]]
id = "TR-R"
spec = {{ preset = "ONAF", top_oil_rise_k = 50.0, hot_spot_gradient_k = 20.0, rated_current_a = 1039.23 }}
[transformers.source]
protocol = "replay"
path = "{csv.name}"
speed = 72000.0
""",
        encoding="utf-8",
    )
    return cfg


def _start(cfg: Path, url: str, log: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, "PYTHONPATH": str(SRC), "THERMOWATCH_DATABASE_URL": url}
    return spawn(
        [sys.executable, "-c", APP, "monitor", "--config", str(cfg), "--log-level", "WARNING"],
        log, env=env,
    )  # fmt: skip


def _spooled(directory: Path) -> bool:
    if not (directory / "spool.sqlite").exists():
        return False
    spool = Spool(directory)
    try:
        return spool.pending() > 0
    finally:
        spool.close()


def test_sigterm_flushes_to_the_spool_and_a_restart_resumes(tmp_path: Path) -> None:
    csv = tmp_path / "day.csv"
    write_sample(simulate_sample(days=2, step="20min", seed=3), str(csv))
    expected = int(read_readings(csv).frame.notna().sum().sum())
    cfg = _config(tmp_path, csv)

    # 1) the database is unreachable from the start: everything goes to the spool
    proc = _start(cfg, f"sqlite:///{tmp_path}/missing/dir/store.db", tmp_path / "first.log")
    deadline = time.monotonic() + 120  # start-up takes tens of seconds on a loaded machine
    while time.monotonic() < deadline and not _spooled(tmp_path / "spool"):
        time.sleep(0.5)
    proc.send_signal(signal.SIGTERM)
    proc.wait(timeout=60)
    assert proc.returncode == 0, stderr_of(proc)
    spool = Spool(tmp_path / "spool")
    assert spool.pending() > 0
    spool.close()

    # 2) restart with the database back: the spool is replayed, the file replays again
    url = f"sqlite:///{tmp_path}/store.db"
    proc = _start(cfg, url, tmp_path / "second.log")
    engine = make_engine(url)
    deadline = time.monotonic() + 120  # bounded wait, not a speed check
    while time.monotonic() < deadline:
        time.sleep(0.5)
        try:
            if count_readings(engine, "TR-R") >= expected:
                break
        except Exception:  # tables not created yet
            pass
    time.sleep(1.0)  # a few more periods: re-sent rows must not be stored twice
    proc.send_signal(signal.SIGTERM)
    proc.wait(timeout=60)
    assert proc.returncode == 0, stderr_of(proc)
    assert Spool(tmp_path / "spool").pending() == 0
    assert count_readings(engine, "TR-R") == expected  # all, and each once


def test_bad_config_exits_2_with_the_key(tmp_path: Path) -> None:
    cfg = tmp_path / "bad.toml"
    cfg.write_text('[[transformers]]\nid = "T"\n[transformers.source]\nprotocol = "x"\n')
    env = {**os.environ, "PYTHONPATH": str(SRC)}
    out = subprocess.run(
        [sys.executable, "-c", APP, "monitor", "--config", str(cfg)],
        env=env, capture_output=True, timeout=60,
    )  # fmt: skip
    assert out.returncode == 2
    assert "transformers[0].source.protocol" in out.stderr.decode()
    assert "Traceback" not in out.stderr.decode()


@pytest.fixture(autouse=True)
def _no_ci_surprises(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("THERMOWATCH_DATABASE_URL", raising=False)
