"""Finding 4 and the fault drill: the database made unwritable under load.

Before: both workers died, the service answered 503 for over 60 s after the files were writable
again while /ready said ready, and 1,310 audit rows were lost. Now, against a real 2-worker
service under a bounded load of readings and predictions, with the database files immutable
for ``TW_DRILL_S`` seconds (default 30): every request is answered, every refused reading is a
503 with Retry-After, /ready says 503 meanwhile and 200 within 5 s of the database, no accepted
reading is lost, and every audit row reaches the database (spooled while it refused them).

The files are made immutable with ``chattr +i`` (root, as in CI): the main file and its WAL.
The ``-shm`` index is left alone: SQLite maps it in memory, and the kernel kills (SIGBUS) any
process writing a mapped page of an immutable file — no service can answer from there.
"""

from __future__ import annotations

import itertools
import os
import shutil
import subprocess
import threading
import time
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlalchemy import create_engine, text

from tests.integration.service.conftest import reading
from tests.security.conftest import client_from, start_server

DRILL_S = float(os.environ.get("TW_DRILL_S", "30"))
pytestmark = pytest.mark.skipif(
    shutil.which("chattr") is None or os.geteuid() != 0,
    reason="the drill makes files immutable with chattr (root); CI runs as root",
)


def immutable(paths, on: bool) -> None:
    existing = [str(p) for p in paths if p.exists()]
    subprocess.run(["chattr", "+i" if on else "-i", *existing], check=True)


class Load:
    """Threads posting readings (operator) and predictions (reader), recording every answer."""

    def __init__(self, server, threads: int = 3) -> None:
        self.server = server
        self.start_at = datetime.now(UTC) - timedelta(days=20)
        self.counter = itertools.count()
        self.lock = threading.Lock()
        self.accepted: list[str] = []  # timestamps answered 201
        self.answers: list[
            tuple[float, str, int, str | None]
        ] = []  # (t, route, status, Retry-After)
        self.errors: list[str] = []  # no answer at all
        self.predicted_ok = 0
        self.stop = threading.Event()
        self.threads = [threading.Thread(target=self.run, daemon=True) for _ in range(threads)]

    def run(self) -> None:
        operator, reader = self.server.headers("operator"), self.server.headers("reader")
        with client_from(timeout=60) as client:
            while not self.stop.is_set():
                i = next(self.counter)
                stamp = (self.start_at + timedelta(minutes=i)).isoformat()
                body = {"transformer_id": "TR-01", "timestamp": stamp, "values": reading()}
                try:
                    r = client.post(self.server.url + "/v1/readings", json=body, headers=operator)
                    p = client.post(self.server.url + "/predict", json=reading(), headers=reader)
                except httpx.HTTPError as exc:
                    self.errors.append(repr(exc))
                    continue
                with self.lock:
                    now = time.monotonic()
                    self.answers.append(
                        (now, "readings", r.status_code, r.headers.get("retry-after"))
                    )
                    self.answers.append((now, "predict", p.status_code, None))
                    if r.status_code == 201:
                        self.accepted.append(stamp)
                    if p.status_code == 200:
                        self.predicted_ok += 1
                time.sleep(0.02)  # bounded: ~3 x 30 readings/s at most

    def __enter__(self):
        for t in self.threads:
            t.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        for t in self.threads:
            t.join(timeout=60)


def ready_status(server) -> int:
    with client_from(timeout=10) as c:
        return c.get(server.url + "/ready", headers=server.headers("reader")).status_code


def test_database_unwritable_under_load(tmp_path, trained_model):
    server = start_server(tmp_path, trained_model, audit_flush_s=0.5)
    files = [server.database, server.database.with_name(server.database.name + "-wal")]
    try:
        with Load(server) as load:
            time.sleep(3)
            immutable(files, True)
            fault_start = time.monotonic()
            time.sleep(min(3.0, DRILL_S / 3))
            ready_during = ready_status(server)
            time.sleep(max(0.0, DRILL_S - (time.monotonic() - fault_start)))
            immutable(files, False)
            fault_end = time.monotonic()
            recovered_after = None
            while time.monotonic() - fault_end < 15:
                if ready_status(server) == 200:
                    recovered_after = time.monotonic() - fault_end
                    break
                time.sleep(0.1)
            time.sleep(4)  # load continues on the recovered database
    finally:
        immutable(files, False)
        code = server.stop()
    log = server.log()
    readings = [a for a in load.answers if a[1] == "readings"]
    print(  # the drill's report (pytest -s)
        f"drill {DRILL_S:g} s: {len(load.accepted)} readings accepted, "
        f"{sum(a[2] == 503 for a in readings)} refused 503, {load.predicted_ok} predictions, "
        f"ready again {recovered_after} s after the database, {len(load.errors)} unanswered"
    )
    during = [a for a in readings if fault_start + 1 < a[0] < fault_end]
    after = [a for a in readings if a[0] > fault_end + (recovered_after or 0) + 1]

    assert load.errors == [], load.errors[:3]  # every request answered: no worker died
    assert {a[2] for a in readings} <= {201, 503}, {a[2] for a in readings}
    assert all(a[3] for a in readings if a[2] == 503)  # each refusal says when to retry
    assert during and all(a[2] == 503 for a in during)
    assert ready_during == 503
    assert recovered_after is not None and recovered_after <= 5.0, log[-3000:]
    assert after and all(a[2] == 201 for a in after)
    assert code == 0

    engine = create_engine(f"sqlite:///{server.database}")
    with engine.connect() as conn:
        stored = conn.execute(
            text("SELECT COUNT(DISTINCT ts) FROM readings WHERE transformer_id = 'TR-01'")
        ).scalar_one()
        audited_pushes = conn.execute(
            text("SELECT COUNT(*) FROM audit_log WHERE action = 'push_readings' AND outcome = 'ok'")
        ).scalar_one()
        audited_predictions = conn.execute(
            text("SELECT COUNT(*) FROM audit_log WHERE action = 'predict' AND outcome = 'ok'")
        ).scalar_one()
    engine.dispose()
    assert stored == len(load.accepted)  # 0 accepted readings lost
    assert audited_pushes == len(load.accepted)
    assert audited_predictions == load.predicted_ok  # nothing lost, spooled rows replayed
    assert not list(server.spool_dir.glob("audit-*"))  # the spool was emptied into the table
