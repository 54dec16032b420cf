"""The leader lease on both stores: one holder at a time, freed the moment its process dies."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

from thermowatch.store.engine import make_engine
from thermowatch.store.leases import LeaderLease, lease_holder
from thermowatch.store.migrate import upgrade

HOLD = """
import sys, time
from thermowatch.store.engine import make_engine
from thermowatch.store.leases import LeaderLease
lease = LeaderLease(make_engine(sys.argv[1]), "monitor", "child")
assert lease.try_acquire()
print("held", flush=True)
time.sleep(60)
"""


def test_one_holder_at_a_time_and_release(db_url: str) -> None:
    engine = make_engine(db_url)
    upgrade(engine)
    a, b = LeaderLease(engine, "monitor", "A"), LeaderLease(engine, "monitor", "B")
    other = LeaderLease(engine, "retrain", "B")
    assert lease_holder(engine, "monitor") is None
    assert a.try_acquire() and not b.try_acquire()
    assert other.try_acquire()  # another lease name is independent
    assert lease_holder(engine, "monitor") == "A" and lease_holder(engine, "retrain") == "B"
    assert a.still_held() and not b.still_held()
    a.release()
    assert lease_holder(engine, "monitor") is None
    assert b.try_acquire() and lease_holder(engine, "monitor") == "B"
    b.release()
    other.release()
    engine.dispose()


def test_a_killed_holder_frees_the_lease_at_once(db_url: str, tmp_path: Path) -> None:
    engine = make_engine(db_url)
    upgrade(engine)
    child = subprocess.Popen([sys.executable, "-c", HOLD, db_url], stdout=subprocess.PIPE,
                             text=True)  # fmt: skip
    try:
        assert child.stdout is not None and child.stdout.readline().strip() == "held"
        mine = LeaderLease(engine, "monitor", "survivor")
        assert not mine.try_acquire() and lease_holder(engine, "monitor") == "child"
        child.send_signal(signal.SIGKILL)
        child.wait(10)
        deadline = time.monotonic() + 5
        while not mine.try_acquire():
            assert time.monotonic() < deadline, "the lease was not freed within 5 s"
            time.sleep(0.05)
        assert lease_holder(engine, "monitor") == "survivor"
        mine.release()
    finally:
        child.kill()
        child.wait()
    engine.dispose()
