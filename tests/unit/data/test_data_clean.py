"""Each cleaning step counted exactly on a small synthetic table."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from data_synthetic import make_readings

from thermowatch.data import STEP_KEYS, CleaningOptions, clean_measurements, infer_step
from thermowatch.data.clean import run_lengths

OIL = "température huile (°C)"
WINDING = "température enroulement (°C)"
CURRENT = "courant (A)"
AMBIENT = "température ambiante (°C)"
VOLTAGE = "tension (kV)"


def _dirty_readings() -> tuple[pd.DataFrame, pd.DataFrame]:
    """200 hourly rows with one anomaly of each kind (positions chosen apart)."""
    clean = make_readings(200)
    raw = clean.copy()
    raw[VOLTAGE] = raw[VOLTAGE].astype(object)
    raw.loc[50, OIL] += 30.0  # spike
    raw.loc[60:62, AMBIENT] = np.nan  # short gap: interpolated
    raw.loc[70, OIL] = 999.0  # impossible temperature
    raw.loc[80, CURRENT] = -5.0  # impossible current
    raw.loc[90, VOLTAGE] = "ERR"  # text in a numeric column
    raw.loc[100:119, CURRENT] = raw.loc[100, CURRENT]  # frozen for 20 samples
    raw.loc[150:159, WINDING] = np.nan  # long gap in the target: rows dropped
    raw["fréquence (Hz)"] = 50.0  # constant
    raw["commentaire"] = "RAS"  # text column
    raw["horodatage"] = raw["horodatage"].astype(object)
    raw.loc[5, "horodatage"] = "pas une date"  # unreadable timestamp
    duplicate = raw.loc[[30]].assign(**{OIL: 0.0})  # same time, later in the file
    swapped = raw.loc[[11, 10]]  # rows 10 and 11 out of order
    raw = pd.concat([raw.loc[:9], swapped, raw.loc[12:30], duplicate, raw.loc[31:]])
    return raw.reset_index(drop=True), clean


@pytest.fixture(scope="module")
def cleaned():
    raw, clean = _dirty_readings()
    return clean_measurements(raw, source="dirty.csv"), clean


def test_every_step_is_reported_in_order(cleaned) -> None:
    measurements, _ = cleaned
    assert [step.key for step in measurements.cleaning.steps] == list(STEP_KEYS)


@pytest.mark.parametrize(
    ("key", "count", "per_column"),
    [
        ("unparseable_timestamp", 1, {}),
        ("non_numeric_column", 1, {}),
        ("non_numeric_value", 1, {VOLTAGE: 1}),
        ("unit_converted", 0, {}),
        ("unsorted_timestamp", 1, {}),
        ("duplicate_timestamp", 1, {}),
        ("out_of_range", 2, {OIL: 1, CURRENT: 1}),
        ("spike", 1, {OIL: 1}),
        ("frozen_sensor", 19, {CURRENT: 19}),
        ("constant_column", 1, {}),
        ("gap_interpolated", 6, {OIL: 1, AMBIENT: 3, CURRENT: 1, VOLTAGE: 1}),
        ("long_gap_target", 10, {}),
        ("sparse_column", 0, {}),
        ("long_gap_feature", 0, {}),
    ],
)
def test_step_counts(cleaned, key: str, count: int, per_column: dict[str, int]) -> None:
    step = cleaned[0].cleaning.get(key)
    assert step.count == count
    assert step.per_column == per_column


def test_cleaned_frame_contract(cleaned) -> None:
    measurements, clean = cleaned
    frame = measurements.frame
    report = measurements.cleaning
    assert report.rows_in == 201
    # Suspect values (spike, frozen) are flagged and kept: no row is lost for them.
    assert report.rows_out == len(frame) == 201 - 1 - 1 - 10
    assert frame.index.name == "timestamp"
    assert str(frame.index.tz) == "UTC"
    assert frame.index.is_monotonic_increasing and frame.index.is_unique
    assert (frame.dtypes == "float64").all()
    assert not frame.isna().any().any()
    assert "fréquence (Hz)" not in frame and "commentaire" not in frame
    assert measurements.step == pd.Timedelta("1h")
    assert set(measurements.columns) == set(frame.columns)
    # The first of the duplicated rows is kept, not the later 0 °C one.
    kept = frame.loc[pd.Timestamp("2024-01-01 06:00", tz="UTC") + pd.Timedelta("24h"), OIL]
    assert kept == pytest.approx(clean.loc[30, OIL])
    # The spike is kept as measured, and flagged.
    spike_at = pd.Timestamp("2024-01-03 02:00", tz="UTC")
    assert frame.loc[spike_at, OIL] == pytest.approx(clean.loc[50, OIL] + 30.0)
    assert measurements.flags.loc[spike_at, OIL]
    # The frozen stretch is kept; its repeats (not its first, true reading) are flagged.
    flags = measurements.flags[CURRENT]
    assert not flags[pd.Timestamp("2024-01-05 04:00", tz="UTC")]
    assert flags[pd.Timestamp("2024-01-05 05:00", tz="UTC")] and flags.sum() == 19
    # Each cleaned row knows its data row in the file (the unreadable row 5 is not one).
    assert measurements.file_rows[:6].tolist() == [0, 1, 2, 3, 4, 6]


def test_report_to_dict_is_json_ready(cleaned) -> None:
    import json

    as_dict = cleaned[0].cleaning.to_dict()
    assert as_dict["rows_in"] == 201
    assert as_dict["steps"][8] == {
        "key": "spike",
        "count": 1,
        "unit": "values",
        "detail": f"{OIL}: 1",
        "per_column": {OIL: 1},
    }
    assert json.loads(json.dumps(as_dict)) == as_dict


def test_short_gap_limit_in_samples_and_duration() -> None:
    raw = make_readings(100)
    raw.loc[20:23, AMBIENT] = np.nan  # 4 samples: longer than the default 3
    default = clean_measurements(raw)
    assert default.cleaning.count("gap_interpolated") == 0
    assert default.cleaning.count("long_gap_feature") == 4
    wider = clean_measurements(raw, options=CleaningOptions(max_gap="4h"))
    assert wider.cleaning.count("gap_interpolated") == 4
    assert len(wider.frame) == 100


def test_mostly_missing_feature_is_left_out_instead_of_rows() -> None:
    raw = make_readings(100)
    raw.loc[10:80, AMBIENT] = np.nan
    measurements = clean_measurements(raw)
    assert measurements.cleaning.count("sparse_column") == 1
    assert AMBIENT not in measurements.frame
    assert len(measurements.frame) == 100


def test_frozen_sensor_needs_the_minimum_duration_at_fine_steps() -> None:
    raw = make_readings(600, freq="1min")
    raw.loc[100:119, OIL] = raw.loc[100, OIL]  # 20 minutes stuck
    raw.loc[300:430, CURRENT] = raw.loc[300, CURRENT]  # 131 samples, 2 h 10 min stuck
    measurements = clean_measurements(raw)  # default: 6 h
    assert measurements.cleaning.get("frozen_sensor").per_column == {}
    two_hours = clean_measurements(raw, options=CleaningOptions(frozen_min_duration="2h"))
    assert two_hours.cleaning.get("frozen_sensor").per_column == {CURRENT: 130}
    options = CleaningOptions(frozen_min_samples=10, frozen_min_duration="10min")
    finer = clean_measurements(raw, options=options)
    assert finer.cleaning.get("frozen_sensor").per_column == {OIL: 19, CURRENT: 130}
    assert len(finer.frame) == 600  # flagged, never dropped


def test_quantised_repeats_lose_no_row() -> None:
    """A coarse load channel that repeats its value for hours (20 % of rows) is real data."""
    raw = make_readings(24 * 60, freq="15min")
    rng = np.random.default_rng(3)
    current = np.round(raw[CURRENT].to_numpy() / 25.0) * 25.0  # 25 A resolution
    for start in rng.choice(np.arange(0, len(raw) - 20, 20), size=len(raw) // 100, replace=False):
        current[start : start + 20] = current[start]  # 5 h repeats: 20 % of the rows
    raw[CURRENT] = current
    measurements = clean_measurements(raw)
    assert len(measurements.frame) == len(raw)
    assert measurements.cleaning.count("frozen_sensor") == 0


def test_frozen_needs_moving_drivers() -> None:
    """Every channel still (a quiet stretch) is not a frozen sensor; one still channel while
    the others move is."""
    raw = make_readings(400, freq="1h")
    still = raw.copy()
    channels = [c for c in raw.columns if c != "horodatage"]
    still.loc[100:108, channels] = still.loc[100, channels].to_numpy()  # 8 h quiet
    assert clean_measurements(still).cleaning.count("frozen_sensor") == 0
    # ... but a whole day repeated on every channel is a logger stuck on its last row.
    stuck_logger = raw.copy()
    stuck_logger.loc[200:224, channels] = stuck_logger.loc[200, channels].to_numpy()
    flagged = clean_measurements(stuck_logger).cleaning.get("frozen_sensor").per_column
    assert flagged[OIL] == 24 and len(clean_measurements(stuck_logger).frame) == 400
    stuck = raw.copy()
    stuck.loc[100:120, OIL] = stuck.loc[100, OIL]
    assert clean_measurements(stuck).cleaning.get("frozen_sensor").per_column == {OIL: 20}


def test_cleaning_statistics_come_from_training_rows_only() -> None:
    """A noisier test period must not change what is flagged in training."""
    raw = make_readings(1000, freq="1h")
    noisy = raw.copy()
    rng = np.random.default_rng(1)
    noisy.loc[800:, OIL] += rng.normal(0, 15.0, 200)
    train_only = clean_measurements(raw.loc[:699], statistics_rows=700)
    with_noise = clean_measurements(noisy, statistics_rows=700)
    assert with_noise.flagged(OIL)[:690].sum() == train_only.flagged(OIL)[:690].sum()


def test_step_change_is_not_a_spike() -> None:
    raw = make_readings(100)
    raw.loc[50:, CURRENT] += 300.0  # a load switched on: a step, not a spike
    assert clean_measurements(raw).cleaning.count("spike") == 0


def test_cleaning_can_be_disabled() -> None:
    raw, _ = _dirty_readings()
    options = CleaningOptions(spike_threshold=None, frozen_min_samples=None)
    measurements = clean_measurements(raw, options=options)
    assert measurements.cleaning.count("spike") == 0
    assert measurements.cleaning.count("frozen_sensor") == 0
    assert measurements.cleaning.get("spike").detail == "disabled"


def test_run_lengths() -> None:
    lengths, positions = run_lengths(np.array([1.0, 1.0, 2.0, np.nan, np.nan, 3.0, 3.0, 3.0]))
    assert lengths.tolist() == [2, 2, 1, 1, 1, 3, 3, 3]
    assert positions.tolist() == [0, 1, 0, 0, 0, 0, 1, 2]


def test_infer_step_is_the_median_interval() -> None:
    index = pd.DatetimeIndex(
        ["2024-01-01 00:00", "2024-01-01 00:15", "2024-01-01 00:30", "2024-01-01 03:00"],
        tz="UTC",
    )
    assert infer_step(index) == pd.Timedelta("15min")
