"""Snapshot validation, the durable spool and the reconnection backoff."""

from __future__ import annotations

import random
from pathlib import Path

from thermowatch.ingest.backoff import Backoff
from thermowatch.ingest.spool import Spool
from thermowatch.ingest.validate import SnapshotValidator, physical_range
from thermowatch.store.tables import Quality


def test_physical_ranges() -> None:
    assert physical_range("température huile (°C)") == (-50.0, 200.0)
    assert physical_range("courant (A)") == (0.0, 1.0e5)
    assert physical_range("OT") is None
    v = SnapshotValidator(stale_periods=3)
    q = v.check({"température huile (°C)": 250.0, "courant (A)": -5.0, "OT": 1e9})
    assert q == {"température huile (°C)": 1, "courant (A)": 1, "OT": 0}


def test_stale_after_n_identical_periods() -> None:
    v = SnapshotValidator(stale_periods=3)
    oil = "température huile (°C)"
    qualities = [v.check({oil: 60.0, "courant (A)": 500.0 + i})[oil] for i in range(4)]
    assert qualities == [Quality.GOOD, Quality.GOOD, Quality.SUSPECT, Quality.SUSPECT]
    assert v.stale() == [oil]
    assert v.check({oil: 60.1})[oil] == Quality.GOOD  # it moves again
    assert v.stale() == []


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
