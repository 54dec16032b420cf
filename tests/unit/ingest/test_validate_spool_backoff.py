"""Snapshot validation, the durable spool and the reconnection backoff."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta, timezone
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
    to_utc,
    with_source_quality,
)


def test_one_table_of_physical_ranges_for_every_value() -> None:
    oil, amps = "température huile (°C)", "courant (A)"
    verdicts = {
        raw: check_value(oil, raw, quantity_of(oil)).verdict
        for raw in (210.0, 250.0, 250.5, -60.0, -60.5, 1e308)
    }  # oil is never colder than the coldest air the thermal models accept (−60 °C)
    assert verdicts == {
        210.0: GOOD, 250.0: GOOD, 250.5: SUSPECT, -60.0: GOOD, -60.5: SUSPECT, 1e308: SUSPECT
    }  # fmt: skip
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


def test_instants_at_the_calendar_edge_are_refused_not_raised() -> None:
    """An offset that moves year 9999 or year 1 out of the calendar is a reason, never an
    OverflowError; naive means UTC."""
    now = datetime(2026, 11, 30, 12, tzinfo=UTC)
    skew = timedelta(minutes=5)
    late = datetime(9999, 12, 31, 23, 30, tzinfo=timezone(timedelta(hours=-5)))
    early = datetime(1, 1, 1, tzinfo=timezone(timedelta(hours=14)))
    assert to_utc(late) is None and to_utc(early) is None
    for ts in (late, early):
        assert "beyond the calendar once converted to UTC" in check_time(ts, now, skew)
    assert to_utc(datetime(2026, 1, 1, 1, tzinfo=timezone(timedelta(hours=1)))) == datetime(
        2026, 1, 1, tzinfo=UTC
    )
    assert to_utc(datetime(2026, 1, 1)) == datetime(2026, 1, 1, tzinfo=UTC)
    assert check_time(datetime(2026, 11, 30, 12), now, skew) is None


def test_frozen_means_still_for_a_duration_while_drivers_move() -> None:
    v = StaleTracker(stale_periods=3, frozen_after=timedelta(minutes=10))
    oil, amps = "température huile (°C)", "courant (A)"
    t0 = datetime(2026, 1, 1, tzinfo=UTC)

    def step(minute: int, oil_c: float, current: float) -> str:
        ts = t0 + timedelta(minutes=minute)
        v.check(check_value(amps, current, "current"), ts)
        return v.check(check_value(oil, oil_c, "top_oil_temperature"), ts).verdict

    # Load moves every minute, the oil stays at 60.0: frozen once 10 minutes have passed.
    verdicts = [step(m, 60.0, 700.0 + m) for m in range(12)]
    assert verdicts == [GOOD] * 10 + [SUSPECT] * 2
    assert v.stale() == [oil]
    assert step(12, 60.1, 712.0) == GOOD  # it moves
    assert v.stale() == []


def test_whole_degree_ambient_updated_every_second_is_not_frozen() -> None:
    """The integrator's case: an ambient in whole degrees, read every second beside a moving
    load, stays at 21 for minutes at a time: quantisation, not a frozen sensor (the old rule,
    five equal readings, flagged 30 of 132)."""
    v = StaleTracker()  # the defaults: 5 readings and 30 min
    ambient, amps = "température ambiante (°C)", "courant (A)"
    t0 = datetime(2026, 7, 1, 12, tzinfo=UTC)
    verdicts = []
    for s in range(132):
        ts = t0 + timedelta(seconds=s)
        v.check(check_value(amps, 800.0 + (s % 7), "current"), ts)
        degrees = 21.0 if s < 70 else 22.0
        verdicts.append(v.check(check_value(ambient, degrees, "ambient_temperature"), ts).verdict)
    assert verdicts.count(SUSPECT) == 0


def test_a_quiet_transformer_is_not_frozen() -> None:
    """Every channel still for an hour: nothing moved, so no sensor is blamed."""
    v = StaleTracker(stale_periods=3, frozen_after=timedelta(minutes=10))
    t0 = datetime(2026, 1, 1, tzinfo=UTC)
    out = set()
    for m in range(60):
        for var, value, qty in (
            ("courant (A)", 0.0, "current"),
            ("OT", 35.0, "top_oil_temperature"),
        ):
            out.add(v.check(check_value(var, value, qty), t0 + timedelta(minutes=m)).verdict)
    assert out == {GOOD}


def test_source_quality_is_applied_before_our_checks() -> None:
    oil = "température huile (°C)"
    good = check_value(oil, 0.0, "top_oil_temperature")
    bad = with_source_quality(good, (REJECTED, "OPC UA status BadSensorFailure"))
    assert (bad.verdict, bad.value, bad.reason) == (
        REJECTED,
        None,
        "OPC UA status BadSensorFailure",
    )
    unsure = with_source_quality(good, (SUSPECT, "OPC UA status UncertainLastUsableValue"))
    assert (unsure.verdict, unsure.value) == (SUSPECT, 0.0)
    assert with_source_quality(good, None) is good


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


def test_a_poisoned_batch_is_quarantined_and_never_blocks_the_next(tmp_path: Path) -> None:
    from tests.helpers.store import migrated_sqlite
    from thermowatch.ingest.storage import Storage, database_unavailable
    from thermowatch.store.engine import make_engine
    from thermowatch.store.readings import count_readings
    from thermowatch.store.transformers import ensure_transformer

    engine = migrated_sqlite(tmp_path / "store.db")
    ensure_transformer(engine, "T1")
    spool = Spool(tmp_path / "spool")
    storage = Storage(engine, spool)

    def batch(tid: str, i: int) -> dict:
        return {"readings": [[tid, 1_780_000_000_000_000 + i * 60_000_000, "x", 1.0 * i, 0, "t"]]}

    assert not storage.store(batch("NOPE", 0))  # an unknown transformer: would fail forever
    assert all(storage.store(batch("T1", i)) for i in range(1, 101))
    assert count_readings(engine, "T1") == 100
    assert spool.pending() == 0 and storage.stats.batches_quarantined == 1
    [(_, error)] = spool.quarantined()
    assert "NOPE" in error
    # while the database itself is away, batches are spooled in order, not quarantined
    down = Storage(make_engine(f"sqlite:///{tmp_path}/missing/dir/x.db"), spool)
    assert not down.store(batch("T1", 101)) and spool.pending() == 1
    assert down.stats.batches_quarantined == 0 and not down.db_up
    assert storage.drain() and count_readings(engine, "T1") == 101
    import sqlite3

    assert database_unavailable(sqlite3.OperationalError("database is locked"))
    assert not database_unavailable(sqlite3.OperationalError("no such table: readings"))
