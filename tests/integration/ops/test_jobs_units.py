"""The lifecycle scheduler and worker units: the scheduler runs jobs in process without Redis;
the worker skips itself unless the scheduler is set to hand runs to Celery; doctor says which
mode is in force and whether its broker answers."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import require
from tests.integration.ops.deploy_helpers import DEPLOY, free_port
from thermowatch.store.engine import make_engine
from thermowatch.store.migrate import upgrade

SYSTEMD = DEPLOY / "systemd"


def unit_value(unit: str, key: str) -> str:
    (value,) = re.findall(rf"^{key}=(.*)$", (SYSTEMD / unit).read_text(), re.M)
    return value


def test_the_target_starts_the_scheduler_and_the_worker() -> None:
    wants = unit_value("thermowatch.target", "Wants").split()
    assert {"thermowatch-scheduler.service", "thermowatch-worker.service"} <= set(wants)
    assert unit_value("thermowatch-scheduler.service", "ExecStart").endswith(
        "thermowatch scheduler $THERMOWATCH_SCHEDULER_ARGS"
    )
    assert " worker " in unit_value("thermowatch-worker.service", "ExecStart") + " "


@pytest.mark.parametrize(
    ("args", "runs"), [("", False), ("--interval 30", False), ("--celery", True),
                       ("--interval 30 --celery", True), ("--celeryx", False)],
)  # fmt: skip
def test_the_worker_runs_only_when_the_scheduler_uses_celery(args: str, runs: bool) -> None:
    # systemd turns $$ into $ and leaves the expansion to the shell, from the unit's env.
    cmd = unit_value("thermowatch-worker.service", "ExecCondition").replace("$$", "$")
    exe, flag, script = cmd.split(" ", 2)
    env = {"PATH": os.environ["PATH"], "THERMOWATCH_SCHEDULER_ARGS": args}
    code = subprocess.run([exe, flag, script.strip("'")], env=env).returncode
    assert code == (0 if runs else 1)  # 1..254: systemd skips the unit, it is not a failure


def test_the_in_process_scheduler_needs_no_redis(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/store.db"
    upgrade(make_engine(url))
    dead_broker = f"redis://127.0.0.1:{free_port()}/0"  # nothing listens: must not matter
    script = (
        "import sys, threading\n"
        "import thermowatch.cli.jobs as jobs\n"
        "def stop_soon():  # what SIGTERM does, 2 s after the loop starts\n"
        "    stop = threading.Event()\n"
        "    threading.Timer(2.0, stop.set).start()\n"
        "    return stop\n"
        "jobs._stop_on_signals = stop_soon\n"
        "from thermowatch.cli import app\n"
        "from thermowatch.cli._errors import run_with_error_policy\n"
        f"sys.argv = ['thermowatch', 'scheduler', '--interval', '0.5', '--database-url', {url!r}]\n"
        "code = run_with_error_policy(app)\n"
        "print(json.dumps({'code': code, 'loaded': sorted(m for m in ('celery', 'kombu', "
        "'redis') if m in sys.modules)}))\n"
    )
    env = dict(os.environ, THERMOWATCH_BROKER_URL=dead_broker)
    env.pop("THERMOWATCH_SCHEDULER_ARGS", None)
    proc = subprocess.run([sys.executable, "-c", "import json\n" + script], env=env,
                          capture_output=True, text=True, timeout=120)  # fmt: skip
    assert "scheduler started (in process" in proc.stdout, proc.stdout + proc.stderr
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    assert result == {"code": 0, "loaded": []}


@pytest.fixture
def redis_port(tmp_path: Path):
    exe = shutil.which("redis-server")
    require(exe is not None, "redis-server (apt-get install redis-server)")
    port = free_port()
    proc = subprocess.Popen([exe, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                             "--appendonly", "no", "--dir", str(tmp_path)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    deadline = time.monotonic() + 20
    import socket

    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            assert time.monotonic() < deadline and proc.poll() is None, "redis did not start"
            time.sleep(0.1)
    yield port
    proc.terminate()
    proc.wait(10)


def doctor_jobs(url: str, monkeypatch: pytest.MonkeyPatch, **env: str) -> dict:
    import typer
    from typer.testing import CliRunner

    from thermowatch.cli.doctor import doctor

    for key, value in env.items():
        monkeypatch.setenv(key, value)
    app = typer.Typer()
    app.command()(doctor)
    out = CliRunner().invoke(app, ["--database-url", url, "--json", "--lang", "en"]).output
    return next(c for c in json.loads(out)["checks"] if c["check"] == "jobs")


def test_doctor_names_the_jobs_mode_and_checks_the_broker(tmp_path, redis_port, monkeypatch):
    url = f"sqlite:///{tmp_path}/store.db"
    upgrade(make_engine(url))
    monkeypatch.delenv("THERMOWATCH_SCHEDULER_ARGS", raising=False)
    check = doctor_jobs(url, monkeypatch, THERMOWATCH_BROKER_URL="redis://127.0.0.1:9/0")
    assert check["verdict"] == "ok" and "no worker, no Redis" in check["details"][0]
    check = doctor_jobs(url, monkeypatch, THERMOWATCH_SCHEDULER_ARGS="--celery",
                        THERMOWATCH_BROKER_URL=f"redis://127.0.0.1:{redis_port}/0")  # fmt: skip
    assert check["verdict"] == "ok" and f"127.0.0.1:{redis_port} reachable" in check["details"][0]
    dead = free_port()
    check = doctor_jobs(url, monkeypatch, THERMOWATCH_BROKER_URL=f"redis://127.0.0.1:{dead}/0")
    assert check["verdict"] == "fail" and "start Redis, or remove --celery" in check["details"][0]
