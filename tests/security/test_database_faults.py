"""Finding 4 and the fault drill: the database made unwritable under load.

Before: both workers died, the service answered 503 for over 60 s after the files were writable
again while /ready said ready, and 1,310 audit rows were lost. Now, against a real 2-worker
service under a bounded load of readings and predictions, with the database unwritable for
``TW_DRILL_S`` seconds (default 10; ``TW_DRILL_S=60`` for the finding's full minute; longer if
the load has not yet been answered while it lasted, as on a loaded runner): every
request is answered, every refused reading is a 503 with Retry-After, /ready says 503 meanwhile
and 200 within 5 s of the database, no accepted reading is lost, and every audit row reaches the
database (spooled while it refused them).

Two faults, two stores:

* SQLite: the files made immutable with ``chattr +i`` (root with CAP_LINUX_IMMUTABLE): the
  main file and its WAL. The ``-shm`` index is left alone: SQLite maps it in memory, and the
  kernel kills (SIGBUS) any process writing a mapped page of an immutable file — no service
  can answer from there.
* PostgreSQL: the cluster switched to read-only (``default_transaction_read_only``, reloaded:
  every session's next transaction refuses writes), as during a fail-over or a full disk.
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
import pandas as pd
import pytest
from sqlalchemy import text

from tests.integration.service.conftest import reading
from tests.security.conftest import client_from, start_server
from thermowatch.store.engine import make_engine
from thermowatch.store.readings import readings_frame

# 10 s by default: the service probes the database every second and has no growing backoff, so
# ten failed probes and twenty failed audit flushes (every 0.5 s) cover the same paths as 30 s
# did, for a third of the load's CPU in the suite.
DRILL_S = float(os.environ.get("TW_DRILL_S", "10"))


def immutable(paths, on: bool) -> None:
    existing = [str(p) for p in paths if p.exists()]
    subprocess.run(["chattr", "+i" if on else "-i", *existing], check=True, capture_output=True)


def chattr_works(tmp_path) -> bool:
    probe = tmp_path / "chattr-probe"
    probe.touch()
    try:
        immutable([probe], True)
    except (OSError, subprocess.CalledProcessError):
        return False
    immutable([probe], False)
    return True


class SQLiteFault:
    """Database files immutable (main file and WAL)."""

    def __init__(self, server) -> None:
        db = server.database
        self.files = [db, db.with_name(db.name + "-wal")]

    def __call__(self, on: bool) -> None:
        immutable(self.files, on)


class PostgresFault:
    """The whole cluster read-only for every session's next transaction."""

    def __init__(self, cluster) -> None:
        self.cluster = cluster

    def __call__(self, on: bool) -> None:
        import psycopg

        with psycopg.connect(
            f"host=127.0.0.1 port={self.cluster.port} user=postgres dbname=postgres",
            autocommit=True,
        ) as conn:
            conn.execute(
                f"ALTER SYSTEM SET default_transaction_read_only = {'on' if on else 'off'}"
            )
            conn.execute("SELECT pg_reload_conf()")


class Load:
    """Threads posting readings (operator) and predictions (reader), recording every answer."""

    def __init__(self, server, threads: int = 3) -> None:
        self.server = server
        self.start_at = datetime.now(UTC) - timedelta(days=20)
        self.counter = itertools.count()
        self.lock = threading.Lock()
        self.accepted: list[str] = []  # timestamps answered 201
        # (sent, answered [monotonic s], route, status, Retry-After): a request is judged by
        # when it was sent (a loaded runner may answer one sent before the fault seconds later)
        self.answers: list[tuple[float, float, str, int, str | None]] = []
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
                    sent = time.monotonic()
                    r = client.post(self.server.url + "/v1/readings", json=body, headers=operator)
                    answered = time.monotonic()
                    p = client.post(self.server.url + "/predict", json=reading(), headers=reader)
                except httpx.HTTPError as exc:
                    self.errors.append(repr(exc))
                    continue
                with self.lock:
                    retry_after = r.headers.get("retry-after")
                    self.answers.append((sent, answered, "readings", r.status_code, retry_after))
                    self.answers.append(
                        (answered, time.monotonic(), "predict", p.status_code, None)
                    )
                    if r.status_code == 201:
                        self.accepted.append(stamp)
                    if p.status_code == 200:
                        self.predicted_ok += 1
                time.sleep(0.02)  # bounded: ~3 x 30 readings/s at most

    def wait_readings_sent_after(self, t: float, n: int = 3, timeout: float = 120.0) -> None:
        """Until ``n`` readings sent after ``t`` are answered: the load met the phase that began
        then (a loaded runner may answer a request every few seconds). Not a speed bound."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                if sum(a[2] == "readings" and a[0] > t for a in self.answers) >= n:
                    return
            time.sleep(0.1)

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


@pytest.mark.parametrize("store", ["sqlite", "postgresql"])
def test_database_unwritable_under_load(store, tmp_path, trained_model, request):
    if store == "sqlite":
        if shutil.which("chattr") is None or not chattr_works(tmp_path):
            pytest.skip("chattr +i is not permitted here (needs root with CAP_LINUX_IMMUTABLE)")
        server = start_server(tmp_path, trained_model, audit_flush_s=0.5)
        fault = SQLiteFault(server)
    else:
        cluster = request.getfixturevalue("pg_cluster")
        url = cluster.create_database(f"drill_{os.getpid()}")
        server = start_server(tmp_path, trained_model, database_url=url, audit_flush_s=0.5)
        fault = PostgresFault(cluster)
    try:
        with Load(server) as load:
            time.sleep(3)
            fault(True)
            fault_start = time.monotonic()
            time.sleep(min(3.0, DRILL_S / 3))
            ready_during = ready_status(server)
            time.sleep(max(0.0, DRILL_S - (time.monotonic() - fault_start)))
            load.wait_readings_sent_after(fault_start + 1)  # judged below: 503s only
            fault(False)
            fault_end = time.monotonic()
            recovered_after = None
            while time.monotonic() - fault_end < 15:
                if ready_status(server) == 200:
                    recovered_after = time.monotonic() - fault_end
                    break
                time.sleep(0.1)
            time.sleep(4)  # load continues on the recovered database
            load.wait_readings_sent_after(fault_end + (recovered_after or 0) + 1)
    finally:
        fault(False)
        code = server.stop()
    log = server.log()
    readings = [a for a in load.answers if a[2] == "readings"]
    print(  # the drill's report (pytest -s)
        f"drill {store} {DRILL_S:g} s: {len(load.accepted)} readings accepted, "
        f"{sum(a[3] == 503 for a in readings)} refused 503, {load.predicted_ok} predictions, "
        f"ready again {recovered_after} s after the database, {len(load.errors)} unanswered"
    )
    during = [a for a in readings if a[0] > fault_start + 1 and a[1] < fault_end]
    after = [a for a in readings if a[0] > fault_end + (recovered_after or 0) + 1]

    assert load.errors == [], load.errors[:3]  # every request answered: no worker died
    assert {a[3] for a in readings} <= {201, 503}, {a[3] for a in readings}
    assert all(a[4] for a in readings if a[3] == 503)  # each refusal says when to retry
    assert during and all(a[3] == 503 for a in during)
    assert ready_during == 503
    assert recovered_after is not None and recovered_after <= 5.0, log[-3000:]
    assert after and all(a[3] == 201 for a in after)
    assert code == 0

    engine = make_engine(server.database_url)
    stored = set(
        readings_frame(engine, "TR-01", load.start_at, load.start_at + timedelta(days=30)).index
    )
    with engine.connect() as conn:
        audited_pushes = conn.execute(
            text("SELECT COUNT(*) FROM audit_log WHERE action = 'push_readings' AND outcome = 'ok'")
        ).scalar_one()
        audited_predictions = conn.execute(
            text("SELECT COUNT(*) FROM audit_log WHERE action = 'predict' AND outcome = 'ok'")
        ).scalar_one()
    engine.dispose()
    # 0 accepted readings lost. (A 503 may come after the readings were stored, when a later
    # write of the same request failed: the client's retry is then idempotent.)
    assert {pd.Timestamp(s) for s in load.accepted} <= stored
    assert audited_pushes == len(load.accepted)
    assert audited_predictions == load.predicted_ok  # nothing lost, spooled rows replayed
    assert not list(server.spool_dir.rglob("audit-*"))  # the spool was emptied into the table
