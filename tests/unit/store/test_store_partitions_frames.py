"""Month arithmetic of the partitions, and the readings frame conversions (pure)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import numpy as np
import pandas as pd
import pytest

from thermowatch.errors import InputError
from thermowatch.store.partitions import (
    add_months,
    month_start,
    months_covering,
    partition_month,
    partition_name,
)
from thermowatch.store.readings import Reading, to_frame, wide_to_frame
from thermowatch.store.retention import hour_floor


def test_month_start_uses_utc() -> None:
    # 00:30 on 1 March in Paris is still February in UTC
    paris = timezone(timedelta(hours=1))
    assert month_start(datetime(2026, 3, 1, 0, 30, tzinfo=paris)) == datetime(
        2026, 2, 1, tzinfo=UTC
    )


def test_add_months_crosses_years() -> None:
    assert add_months(datetime(2026, 11, 1, tzinfo=UTC), 3) == datetime(2027, 2, 1, tzinfo=UTC)
    assert add_months(datetime(2026, 1, 1, tzinfo=UTC), -1) == datetime(2025, 12, 1, tzinfo=UTC)


def test_months_covering_and_names() -> None:
    months = months_covering(
        datetime(2025, 12, 31, 23, tzinfo=UTC), datetime(2026, 2, 1, tzinfo=UTC)
    )
    assert [partition_name(m) for m in months] == [
        "readings_y2025m12", "readings_y2026m01", "readings_y2026m02",
    ]  # fmt: skip
    assert partition_month("readings_y2026m02") == datetime(2026, 2, 1, tzinfo=UTC)
    assert partition_month("readings_stage") is None


def test_hour_floor() -> None:
    ts = datetime(2026, 5, 1, 13, 59, 59, 999999, tzinfo=timezone(timedelta(hours=2)))
    assert hour_floor(ts) == datetime(2026, 5, 1, 11, tzinfo=UTC)


def test_to_frame_from_readings_converts_to_utc_and_defaults_quality() -> None:
    ts = datetime(2026, 1, 1, 12, tzinfo=timezone(timedelta(hours=3)))
    frame = to_frame([Reading("T1", ts, "OT", 50.0)])
    assert frame["ts"].iloc[0] == pd.Timestamp("2026-01-01 09:00", tz="UTC")
    assert frame["quality"].iloc[0] == 0 and frame["source"].iloc[0] is None


def test_to_frame_refuses_infinite_values_and_missing_columns() -> None:
    ts = datetime(2026, 1, 1, tzinfo=UTC)
    with pytest.raises(InputError, match=r"reading 1 \(OT"):
        to_frame([Reading("T1", ts, "OT", 1.0), Reading("T1", ts, "OT", float("inf"))])
    with pytest.raises(InputError, match="variable"):
        to_frame(pd.DataFrame({"transformer_id": ["T1"], "ts": [ts], "value": [1.0]}))


def test_wide_to_frame_skips_and_counts_missing_cells() -> None:
    index = pd.date_range("2026-01-01", periods=3, freq="15min", tz="Europe/Paris")
    wide = pd.DataFrame({"OT": [30.0, np.nan, 31.0], "HUFL": [1.0, 2.0, 3.0]}, index=index)
    frame, skipped = wide_to_frame(wide, "T1", "import:x.csv")
    assert skipped == 1 and len(frame) == 5
    assert str(frame["ts"].dt.tz) == "UTC"
    assert frame["ts"].min() == pd.Timestamp("2025-12-31 23:00", tz="UTC")
    assert set(frame["source"]) == {"import:x.csv"}
    with pytest.raises(InputError, match="timezone-aware"):
        wide_to_frame(wide.tz_localize(None), "T1")


def test_to_frame_accepts_mixed_offsets_and_names_the_naive_reading() -> None:
    utc = datetime(2026, 1, 1, 12, tzinfo=UTC)
    plus2 = datetime(2026, 1, 1, 14, tzinfo=timezone(timedelta(hours=2)))
    frame = to_frame([Reading("T1", utc, "OT", 1.0), Reading("T1", plus2, "HUFL", 2.0)])
    assert (frame["ts"] == pd.Timestamp("2026-01-01 12:00", tz="UTC")).all()
    with pytest.raises(InputError, match="reading 1 has timestamp"):
        to_frame([Reading("T1", utc, "OT", 1.0), Reading("T1", datetime(2026, 1, 1), "OT", 2.0)])
