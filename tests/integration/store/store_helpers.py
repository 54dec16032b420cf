"""Deterministic readings for the store tests (and the writer subprocess)."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pandas as pd

from thermowatch.store.readings import wide_to_frame

START = datetime(2026, 3, 1, tzinfo=UTC)
NOW = datetime(2026, 3, 15, 12, 0, tzinfo=UTC)  # "now" of the fixtures
VARIABLES = ["OT", "HUFL", "HULL", "MUFL", "MULL", "LUFL"]


def value_of(minute: np.ndarray, var_index: int) -> np.ndarray:
    """The value of a variable at a minute: the same whoever writes it."""
    return np.round(20 + 10 * np.sin(minute / 180.0 + var_index) + var_index, 6)


def minute_frame(first_minute: int, n_minutes: int, transformer: str = "T1") -> pd.DataFrame:
    """Narrow readings of 6 variables for minutes ``[first, first + n)`` after START."""
    minutes = np.arange(first_minute, first_minute + n_minutes)
    index = pd.DatetimeIndex(pd.Timestamp(START) + pd.to_timedelta(minutes, unit="min"))
    wide = pd.DataFrame({v: value_of(minutes, i) for i, v in enumerate(VARIABLES)}, index=index)
    frame, _ = wide_to_frame(wide, transformer, source="test")
    return frame


def expected_sum(first_minute: int, n_minutes: int) -> float:
    """Sum of every value :func:`minute_frame` would produce."""
    minutes = np.arange(first_minute, first_minute + n_minutes)
    return float(sum(value_of(minutes, i).sum() for i in range(len(VARIABLES))))
