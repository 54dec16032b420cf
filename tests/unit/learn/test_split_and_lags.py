"""Splits that mean what they say (file rows, dates) and lags that never cross a gap."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from thermowatch.errors import InputError
from thermowatch.learn.lags import lag
from thermowatch.learn.split import make_split, split_by_dates, split_by_file_rows


def test_split_rows_count_file_rows_not_cleaned_rows():
    # Rows 100..149 of the file were removed by cleaning: borders still land on file rows.
    file_rows = np.r_[np.arange(0, 100), np.arange(150, 1000)]
    split = split_by_file_rows(file_rows, 1000, "600,800,900")
    assert file_rows[split.train.stop] == 600 and file_rows[split.validation.stop] == 800
    assert file_rows[split.test.stop - 1] == 899  # rows from 900 on are left out, no crash
    assert split.test.stop == 850


def test_split_rows_refused_clearly():
    with pytest.raises(InputError, match="--split-rows"):
        split_by_file_rows(np.arange(100), 100, "80,60")
    with pytest.raises(InputError, match="within the 100 data rows"):
        split_by_file_rows(np.arange(100), 100, "20,40,101")
    with pytest.raises(InputError, match="--split-dates"):
        split_by_file_rows(np.array([0, 2, 1, *range(3, 100)]), 100, "20,40")


def test_split_dates_and_exclusive_options():
    index = pd.date_range("2024-01-01", periods=24 * 40, freq="1h", tz="UTC")
    split = split_by_dates(index, "2024-01-21,2024-01-31,2024-02-05")
    assert index[split.train.stop] == pd.Timestamp("2024-01-21", tz="UTC")
    assert index[split.test.stop - 1] == pd.Timestamp("2024-02-04 23:00", tz="UTC")
    with pytest.raises(InputError, match="not both"):
        make_split(index, None, len(index), "10,20", "2024-01-21,2024-01-31")
    with pytest.raises(InputError, match="--split-dates"):
        split_by_dates(index, "2024-01-31,2024-01-21")
    with pytest.raises(InputError, match="--split-dates"):
        split_by_dates(index, "yesterday,today")


def test_lag_never_crosses_a_gap():
    index = pd.date_range("2024-01-01", periods=10, freq="15min", tz="UTC")
    index = index.delete([4, 5])  # a 45-minute hole
    values = np.arange(len(index), dtype=float)
    one = lag(values, index, pd.Timedelta("15min"), 1)
    assert np.isnan(one[0]) and np.isnan(one[4])  # the first row after the hole has no lag
    assert one[3] == 2.0 and one[5] == 4.0
    two = lag(values, index, pd.Timedelta("15min"), 2)
    assert np.isnan(two[4]) and np.isnan(two[5]) and two[6] == 4.0
