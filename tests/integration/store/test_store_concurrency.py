"""4 writer processes with overlapping batches; a writer SIGKILLed mid-batch."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select
from store_helpers import expected_sum
from tests.logged import spawn, stderr_of

from thermowatch.store.readings import count_readings
from thermowatch.store.tables import readings

WRITER = Path(__file__).with_name("store_writer.py")
SRC = Path(__file__).parents[3] / "src"


def _env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": f"{SRC}{os.pathsep}{os.environ.get('PYTHONPATH', '')}"}


def _writer(url: str, log: Path, *args: object) -> subprocess.Popen[str]:
    return spawn(
        [sys.executable, str(WRITER), url, *map(str, args)], log,
        env=_env(), stdout=subprocess.PIPE, text=True,
    )  # fmt: skip


@pytest.mark.slow
def test_four_writers_overlapping_lose_and_duplicate_nothing(
    engine: Engine, tmp_path: Path
) -> None:
    url = engine.url.render_as_string(hide_password=False)
    start_at = time.time() + 4  # all four begin together, after their imports
    # writer k covers minutes [k*500, k*500 + 2000): each overlaps the next by 1500 minutes,
    # and each writes it as 600-minute batches overlapping each other by half.
    procs = [_writer(url, tmp_path / f"w{k}.log", "batches", k * 500, 2000, start_at)
             for k in range(4)]  # fmt: skip
    for p in procs:
        p.communicate(timeout=300)
        assert p.returncode == 0, stderr_of(p)
    total_minutes = 3 * 500 + 2000
    assert count_readings(engine) == total_minutes * 6
    with engine.connect() as conn:
        distinct = conn.scalar(
            select(func.count()).select_from(
                select(readings.c.ts, readings.c.variable).distinct().subquery()
            )
        )
        total = conn.scalar(select(func.sum(readings.c.value)))
    assert distinct == total_minutes * 6
    assert total == pytest.approx(expected_sum(0, total_minutes), rel=1e-12)


@pytest.mark.slow
def test_writer_killed_mid_batch_leaves_nothing_and_the_rerun_stores_it(
    engine: Engine, tmp_path: Path
) -> None:
    url = engine.url.render_as_string(hide_password=False)
    proc = _writer(url, tmp_path / "crash.log", "crash", 0, 5000)  # 30,000 readings, 6,000 a chunk
    assert proc.stdout is not None
    line = proc.stdout.readline()
    assert line.startswith("READY 6000"), stderr_of(proc) or line
    os.kill(proc.pid, signal.SIGKILL)  # the first chunk is sent, the transaction is open
    proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    assert count_readings(engine) == 0

    rerun = _writer(url, tmp_path / "full.log", "full", 0, 5000)
    out, _ = rerun.communicate(timeout=120)
    assert rerun.returncode == 0, stderr_of(rerun)
    assert out.strip() == "30000"
    assert count_readings(engine) == 30000
