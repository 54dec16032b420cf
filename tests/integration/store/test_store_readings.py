"""Readings: idempotent, atomic batches, UTC, and the read paths — on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import Engine, func, select
from store_helpers import START, VARIABLES, minute_frame, value_of

from thermowatch.errors import InputError, NotFoundError
from thermowatch.store.engine import make_engine
from thermowatch.store.migrate import current_revision, head_revision, upgrade
from thermowatch.store.partitions import list_partitions
from thermowatch.store.readings import (
    Reading,
    count_readings,
    latest_reading_time,
    latest_values,
    readings_frame,
    readings_long,
    recent_readings,
    write_readings,
)
from thermowatch.store.tables import Quality, readings


def test_upgrade_is_idempotent_and_creates_partitions_ahead(engine: Engine) -> None:
    assert current_revision(engine) == head_revision()
    assert upgrade(engine) == head_revision()  # second run: nothing to do, no error
    if engine.dialect.name == "postgresql":
        parts = list_partitions(engine)
        # current month of the fixture's NOW (2026-03) and 3 ahead, plus the real now + 3.
        assert {"readings_y2026m03", "readings_y2026m06"} <= set(parts)


def test_timestamps_are_stored_as_utc_instants(engine: Engine) -> None:
    paris_summer = timezone(timedelta(hours=2))
    ts = datetime(2026, 3, 10, 14, 30, 15, 123456, tzinfo=paris_summer)
    write_readings(engine, [Reading("T1", ts, "OT", 61.25, source="opcua")])
    long = readings_long(engine, "T1", ts - timedelta(hours=1), ts + timedelta(hours=1))
    assert len(long) == 1
    got = long["timestamp"].iloc[0].to_pydatetime()
    assert got == datetime(2026, 3, 10, 12, 30, 15, 123456, tzinfo=UTC)
    assert got.utcoffset() == timedelta(0)
    assert long["value"].iloc[0] == 61.25 and long["source"].iloc[0] == "opcua"
    assert latest_reading_time(engine, "T1") == got


def test_same_readings_twice_are_stored_once(engine: Engine) -> None:
    first = minute_frame(0, 100)
    assert write_readings(engine, first) == 600
    assert write_readings(engine, first) == 0
    overlapping = minute_frame(50, 100)  # 50 minutes already there, 50 new
    assert write_readings(engine, overlapping) == 300
    assert count_readings(engine, "T1") == 900
    # duplicates inside one batch as well
    doubled = pd.concat([minute_frame(200, 10), minute_frame(200, 10)])
    assert write_readings(engine, doubled) == 60
    assert count_readings(engine) == 960


def test_a_failing_batch_leaves_nothing(engine: Engine) -> None:
    calls = []

    def explode(sent: int) -> None:
        calls.append(sent)
        if len(calls) == 2:
            raise RuntimeError("simulated failure after the second chunk")

    with pytest.raises(RuntimeError):
        write_readings(engine, minute_frame(0, 1000), chunk_size=1000, on_progress=explode)
    assert calls == [1000, 2000]
    assert count_readings(engine) == 0
    # and the same batch goes through afterwards (also on the PostgreSQL conflict path)
    write_readings(engine, minute_frame(0, 10))
    assert write_readings(engine, minute_frame(0, 1000), chunk_size=1000) == 5940
    assert count_readings(engine) == 6000


def test_bad_batches_are_refused_whole(engine: Engine) -> None:
    naive = pd.DataFrame(
        {"transformer_id": ["T1"], "ts": [datetime(2026, 3, 1)], "variable": ["OT"], "value": [1.0]}
    )
    with pytest.raises(InputError, match="timezone-aware"):
        write_readings(engine, naive)
    frame = minute_frame(0, 5)
    frame.loc[7, "value"] = np.nan
    with pytest.raises(InputError, match="reading 7"):
        write_readings(engine, frame)
    unknown = minute_frame(0, 5, transformer="NOPE")
    with pytest.raises(NotFoundError, match="NOPE"):
        write_readings(engine, pd.concat([minute_frame(0, 5), unknown]))
    assert count_readings(engine) == 0


def test_recent_readings_are_the_last_24_hours_wide(engine: Engine) -> None:
    write_readings(engine, minute_frame(0, 3 * 24 * 60))  # 3 days
    now = START + timedelta(days=3) - timedelta(minutes=1)  # the last minute written
    wide = recent_readings(engine, "T1", hours=24, now=now)
    assert list(wide.columns) == sorted(VARIABLES)
    assert len(wide) == 24 * 60 + 1  # both ends included
    assert wide.index[0] == pd.Timestamp(now - timedelta(hours=24))
    assert wide.index[-1] == pd.Timestamp(now)
    assert str(wide.index.tz) == "UTC" and wide.index.name == "timestamp"
    minutes = ((wide.index - pd.Timestamp(START)) // pd.Timedelta(minutes=1)).to_numpy()
    np.testing.assert_allclose(wide["OT"].to_numpy(), value_of(minutes, 0))
    np.testing.assert_allclose(wide["LUFL"].to_numpy(), value_of(minutes, 5))


def test_good_only_readings_leave_out_bad_quality(engine: Engine) -> None:
    frame = minute_frame(0, 60)
    frame.loc[frame["variable"] == "OT", "quality"] = int(Quality.BAD)
    frame.loc[0, "quality"] = int(Quality.SUSPECT)
    write_readings(engine, frame)
    hour = START + timedelta(hours=1)
    wide = readings_frame(engine, "T1", START, hour, good_only=True)
    assert "OT" not in wide.columns  # every OT was bad
    assert wide["HUFL"].notna().sum() == 60 and len(wide) == 60
    asked = readings_frame(engine, "T1", START, hour, ["OT", "HUFL"], good_only=True)
    assert list(asked.columns) == ["OT", "HUFL"] and asked["OT"].isna().all()
    assert len(readings_long(engine, "T1", START, START + timedelta(hours=1))) == 360


def test_latest_values_per_variable(engine: Engine) -> None:
    write_readings(engine, minute_frame(0, 120))
    late = START + timedelta(minutes=119)
    write_readings(engine, [Reading("T1", late + timedelta(minutes=5), "OT", 99.5)])
    latest = latest_values(engine, "T1")
    assert latest["OT"] == (late + timedelta(minutes=5), 99.5)
    assert latest["HUFL"][0] == late
    assert latest_values(engine, "nobody") == {}


def test_old_data_gets_its_partitions(engine: Engine) -> None:
    old = minute_frame(0, 10)
    old["ts"] = old["ts"] - pd.Timedelta(days=7 * 365)  # 2019
    assert write_readings(engine, old) == 60
    if engine.dialect.name == "postgresql":
        assert "readings_y2019m03" in list_partitions(engine)
    with engine.connect() as conn:
        assert conn.scalar(select(func.min(readings.c.ts))).year == 2019


@pytest.mark.postgres
def test_a_partition_dropped_by_another_process_is_recreated(pg_engine: Engine) -> None:
    engine = pg_engine
    old = minute_frame(0, 10)
    old["ts"] = old["ts"] - pd.Timedelta(days=2 * 365)  # 2024-03: cached as existing now
    write_readings(engine, old)
    other = make_engine(engine.url.render_as_string(hide_password=False))
    with other.begin() as conn:  # e.g. retention run from the CLI while the service writes
        conn.exec_driver_sql("DROP TABLE readings_y2024m03")
    other.dispose()
    assert write_readings(engine, old) == 60
    assert "readings_y2024m03" in list_partitions(engine)
