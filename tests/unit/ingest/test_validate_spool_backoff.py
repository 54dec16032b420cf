"""Snapshot validation, the durable spool and the reconnection backoff."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

from thermowatch.ingest.backoff import Backoff
from thermowatch.ingest.spool import Spool
from thermowatch.live.validate import (
    GOOD,
    REJECTED,
    SUSPECT,
    StaleTracker,
    check_time,
    check_value,
    quantity_of,
)


def test_one_table_of_physical_ranges_for_every_value() -> None:
    oil, amps = "température huile (°C)", "courant (A)"
    verdicts = {
        raw: check_value(oil, raw, quantity_of(oil)).verdict
        for raw in (210.0, 250.0, 250.5, -60.0, 1e308)
    }
    assert verdicts == {210.0: GOOD, 250.0: GOOD, 250.5: SUSPECT, -60.0: SUSPECT, 1e308: SUSPECT}
    assert check_value(amps, -5.0, quantity_of(amps)).verdict == SUSPECT
    assert "outside the physical range of a current" in check_value(amps, 1e308, "current").reason
    assert check_value("OT", 1e9, quantity_of("OT")).verdict == SUSPECT  # ETT top oil
    assert check_value("xyz", 1e9, quantity_of("xyz")).verdict == GOOD  # unknown: free
    for raw in ("abc", True, None, float("nan"), 2**1100):
        got = check_value(amps, raw, "current")
        assert got.verdict == REJECTED and got.value is None and got.reason


def test_timestamps_out_of_bounds_are_refused() -> None:
    now = datetime(2026, 11, 30, 12, tzinfo=UTC)
    skew = timedelta(minutes=5)
    assert check_time(now + timedelta(minutes=4), now, skew) is None
    assert "ahead of the clock" in check_time(datetime(9999, 12, 31, tzinfo=UTC), now, skew)
    assert "unreadable" in check_time(datetime(1, 1, 1, tzinfo=UTC), now, skew)
    assert "before 1990" in check_time(datetime(1, 1, 2, tzinfo=UTC), now, skew)
    assert "before 1990" in check_time(datetime(1969, 12, 31, 23, 59, 59, tzinfo=UTC), now, skew)


def test_stale_after_n_identical_readings() -> None:
    v = StaleTracker(stale_periods=3)
    oil = "température huile (°C)"
    verdicts = [v.check(check_value(oil, 60.0, "top_oil_temperature")).verdict for _ in range(4)]
    assert verdicts == [GOOD, GOOD, SUSPECT, SUSPECT]
    assert v.stale() == [oil]
    assert v.check(check_value(oil, 60.1, "top_oil_temperature")).verdict == GOOD  # it moves
    assert v.stale() == []


def test_quarantine_moves_a_batch_out_of_the_way(tmp_path: Path) -> None:
    spool = Spool(tmp_path)
    seqs = [spool.append({"readings": [[i]]}) for i in range(3)]
    spool.quarantine(seqs[1], "transformer 'X' does not exist in the store")
    assert [b["readings"][0][0] for _, b in spool] == [0, 2]
    assert spool.quarantined() == [(seqs[1], "transformer 'X' does not exist in the store")]


def test_spool_keeps_order_across_restarts(tmp_path: Path) -> None:
    spool = Spool(tmp_path)
    seqs = [spool.append({"readings": [[i]]}) for i in range(3)]
    spool.remove(seqs[0])
    spool.close()
    again = Spool(tmp_path)  # a restart
    assert [b["readings"][0][0] for _, b in again] == [1, 2]
    assert again.pending() == 2
    again.append({"readings": [[3]]})
    assert [b["readings"][0][0] for _, b in again] == [1, 2, 3]


def test_backoff_grows_with_jitter_and_caps() -> None:
    b = Backoff(base_s=1.0, cap_s=8.0, rng=random.Random(1))
    delays = [b.next_delay() for _ in range(6)]
    for d, nominal in zip(delays, [1, 2, 4, 8, 8, 8], strict=True):
        assert nominal * 0.5 <= d <= nominal
    assert len(set(delays)) == 6  # jittered
    b.reset()
    assert b.next_delay() <= 1.0
