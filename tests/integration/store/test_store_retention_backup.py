"""Retention/downsampling and backup/restore round trips, on both databases."""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import Engine, text
from store_helpers import START, minute_frame

from thermowatch.errors import InputError
from thermowatch.store import alerts, audit
from thermowatch.store.backup import backup, restore, table_counts
from thermowatch.store.partitions import list_partitions
from thermowatch.store.readings import count_readings, readings_long, write_readings
from thermowatch.store.retention import apply_retention, hourly_frame


def test_retention_folds_old_readings_into_hourly_aggregates(engine: Engine) -> None:
    raw = minute_frame(0, 3 * 24 * 60)  # 2026-03-01 .. 03-03, 6 variables
    write_readings(engine, raw)
    now = START + timedelta(days=3, minutes=30)
    result = apply_retention(engine, raw_days=1, now=now)
    cutoff = START + timedelta(days=2)  # now - 1 day, floored to the hour
    assert result.cutoff == cutoff
    assert result.readings_deleted == 2 * 24 * 60 * 6
    assert result.hours_aggregated == 2 * 24 * 6
    assert count_readings(engine) == 24 * 60 * 6
    hourly = hourly_frame(engine, "T1", START, cutoff, ["OT"])
    assert len(hourly) == 48 and (hourly["n"] == 60).all()
    expected = (
        raw[(raw["variable"] == "OT") & (raw["ts"] < pd.Timestamp(cutoff))]
        .set_index("ts")["value"]
        .resample("1h")
        .agg(["min", "mean", "max"])
    )
    np.testing.assert_allclose(hourly["mean"], expected["mean"], rtol=1e-12)
    np.testing.assert_allclose(hourly["min"], expected["min"])
    np.testing.assert_allclose(hourly["max"], expected["max"])
    assert hourly["hour"].iloc[0] == pd.Timestamp(START)

    # A late file re-delivers the first half of hour 0: it merges, nothing double counted.
    late = minute_frame(0, 30)
    late["value"] += 100.0
    write_readings(engine, late)
    again = apply_retention(engine, raw_days=1, now=now)
    assert again.readings_deleted == 30 * 6
    h0 = hourly_frame(engine, "T1", START, START + timedelta(hours=1), ["OT"]).iloc[0]
    ot = raw[(raw["variable"] == "OT")]["value"].to_numpy()
    assert h0["n"] == 90
    assert h0["mean"] == pytest.approx((ot[:60].sum() + ot[:30].sum() + 3000.0) / 90)
    assert h0["max"] == pytest.approx(ot[:30].max() + 100.0)
    with pytest.raises(InputError):
        apply_retention(engine, raw_days=0)


@pytest.mark.postgres
def test_retention_drops_whole_old_partitions_on_postgres(pg_engine: Engine) -> None:
    engine = pg_engine
    old = minute_frame(0, 60)
    old["ts"] -= pd.Timedelta(days=365)
    write_readings(engine, old)
    assert "readings_y2025m03" in list_partitions(engine)
    result = apply_retention(engine, raw_days=30, now=START)
    assert "readings_y2025m03" in result.partitions_dropped
    assert "readings_y2025m03" not in list_partitions(engine)
    assert result.readings_deleted == 360 and count_readings(engine) == 0


def test_backup_wipe_restore_gives_back_every_row(engine: Engine, tmp_path) -> None:  # type: ignore[no-untyped-def]
    write_readings(engine, minute_frame(0, 2000))
    a = alerts.raise_alert(engine, "T1", "top_oil_high", "ALERTE", "chaud",
                           notify=[alerts.NotificationRequest("log", "-", "chaud")])  # fmt: skip
    audit.record(engine, audit.AuditEntry("alice", "db.backup", "ok"))
    before = table_counts(engine)
    assert before["readings"] == 12000 and before["notifications"] == 1
    sample_before = readings_long(engine, "T1", START, START + timedelta(hours=2))

    result = backup(engine, tmp_path / "store.bak")
    assert result.size > 0
    if result.rows is not None:  # SQLite: counted in the backup file itself
        assert result.rows == before

    with engine.begin() as conn:  # wipe
        for table in ("delivery_attempts", "notifications", "alerts", "audit_log", "readings"):
            conn.execute(text(f"DELETE FROM {table}"))
    assert count_readings(engine) == 0

    restore(engine, tmp_path / "store.bak")
    assert table_counts(engine) == before
    pd.testing.assert_frame_equal(
        readings_long(engine, "T1", START, START + timedelta(hours=2)), sample_before
    )
    assert alerts.get_alert(engine, a).message == "chaud"
    # the restored store still takes writes (PostgreSQL: partitions came back too)
    assert write_readings(engine, minute_frame(2000, 10)) == 60


def test_restore_refuses_a_file_that_is_not_a_backup(engine: Engine, tmp_path) -> None:  # type: ignore[no-untyped-def]
    bogus = tmp_path / "bogus.bak"
    bogus.write_text("hello")
    with pytest.raises(InputError, match=r"bogus\.bak"):
        restore(engine, bogus)
    with pytest.raises(InputError, match="does not exist"):
        restore(engine, tmp_path / "missing.bak")


def test_retention_deletes_forecasts_issued_before_the_forecast_window(engine: Engine) -> None:
    from thermowatch.store.live import write_live_batch

    def us(t) -> int:
        return int(pd.Timestamp(t).value // 1000)

    issued = [START + timedelta(days=d) for d in (0, 5, 9)]  # 10, 5 and 1 day(s) before now
    fcs = [["T1", us(i), us(i + timedelta(minutes=m)), "m1", 60.0, "NORMAL"]
           for i in issued for m in (10, 20)]  # fmt: skip
    assert write_live_batch(engine, {"forecasts": fcs})["forecasts"] == 6
    now = START + timedelta(days=10)
    result = apply_retention(engine, raw_days=30, now=now, forecast_days=7)
    assert result.forecasts_deleted == 2  # only the one issued 10 days ago (two points)
    with engine.connect() as conn:
        kept = conn.execute(text("SELECT count(*) FROM forecasts")).scalar_one()
    assert kept == 4
    with pytest.raises(InputError):
        apply_retention(engine, raw_days=30, forecast_days=0)
