"""Durations typed by people: "7d" works (pandas deprecates the lower-case day unit)."""

from __future__ import annotations

import warnings

import pandas as pd
import pytest

from thermowatch.data.clean import CleaningOptions
from thermowatch.data.timestamps import as_duration
from thermowatch.learn.forecasting import horizon_in_steps


@pytest.mark.parametrize(
    ("text", "hours"), [("7d", 168), ("2 d", 48), ("1D", 24), ("36h", 36), ("90min", 1.5)]
)
def test_durations_people_type_parse_without_a_deprecation(text: str, hours: float) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a pandas deprecation would fail here
        assert as_duration(text) == pd.Timedelta(hours=hours)


def test_every_duration_option_reads_days() -> None:
    hour = pd.Timedelta("1h")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert horizon_in_steps("1d", hour, 48) == 24
        options = CleaningOptions(max_gap="1d", frozen_min_duration="1d")
        assert options.max_gap_samples(hour) == 24
        assert options.frozen_run_samples(hour) == 25


def test_a_word_is_not_a_duration() -> None:
    with pytest.raises(ValueError):
        as_duration("tomorrow")
