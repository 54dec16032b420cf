"""The numbers behind the recommendations: time over thresholds, overloads, ageing, drift.

Pure and vectorised over pandas Series with a UTC ``DatetimeIndex``; no text here (the words
are in :mod:`thermowatch.report.recommendations` and :mod:`thermowatch.report.i18n`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from thermowatch.thermal import loss_of_life_days

DAYS_PER_MONTH = 365.25 / 12.0
# Meteorological seasons (northern hemisphere), by calendar month.
SEASON_OF_MONTH: dict[int, str] = {
    12: "winter", 1: "winter", 2: "winter",
    3: "spring", 4: "spring", 5: "spring",
    6: "summer", 7: "summer", 8: "summer",
    9: "autumn", 10: "autumn", 11: "autumn",
}  # fmt: skip


def minutes_since_start(index: pd.DatetimeIndex) -> np.ndarray:
    """Minutes from the first timestamp [min] (whatever the index's resolution: ns, us, s)."""
    if len(index) == 0:
        return np.zeros(0)
    return np.asarray((index - index[0]) / pd.Timedelta("1min"), dtype=np.float64)


def sample_minutes(index: pd.DatetimeIndex, step: pd.Timedelta | None = None) -> np.ndarray:
    """Time each sample stands for [min]: the interval before it, one step across holes.

    Rows dropped by cleaning leave holes; counting a hole as time at the next reading's
    temperature would invent hours above a threshold, so a hole counts as one nominal step.

    Parameters
    ----------
    index
        Increasing timestamps.
    step
        Nominal sampling step; the median interval when omitted.
    """
    n = len(index)
    if n == 0:
        return np.zeros(0)
    diffs = np.diff(minutes_since_start(index))
    nominal = (
        step / pd.Timedelta("1min")
        if step is not None
        else (float(np.median(diffs)) if diffs.size else 1.0)
    )
    dt = np.empty(n)
    dt[0] = nominal
    dt[1:] = np.where(diffs <= 1.5 * nominal, diffs, nominal)
    return dt


@dataclass(frozen=True)
class Exceedance:
    """When a temperature was at or above a threshold.

    Attributes
    ----------
    threshold_c
        The threshold [°C].
    hours
        Time at or above it [h].
    share
        Fraction of the period [0..1].
    seasons
        Seasons holding at least a quarter of that time, most first (``"summer"``…).
    months
        Calendar months (1-12) holding most of that time, up to three, most first.
    typical_hour
        Most frequent hour of day (UTC) when above, or ``None`` when never above.
    load_mean_pu, load_max_pu
        Load at those times [pu], ``None`` without a load.
    """

    threshold_c: float
    hours: float
    share: float
    seasons: list[str]
    months: list[int]
    typical_hour: int | None
    load_mean_pu: float | None
    load_max_pu: float | None


def time_above(
    values_c: pd.Series,
    threshold_c: float,
    step: pd.Timedelta | None = None,
    load_pu: pd.Series | None = None,
) -> Exceedance:
    """Hours at or above ``threshold_c`` and when they happen (season, month, hour, load)."""
    dt = sample_minutes(values_c.index, step)
    above = values_c.to_numpy(dtype=float) >= threshold_c
    minutes = dt[above]
    hours = float(minutes.sum() / 60.0)
    share = float(minutes.sum() / dt.sum()) if dt.sum() > 0 else 0.0
    if not above.any():
        return Exceedance(threshold_c, 0.0, 0.0, [], [], None, None, None)
    when = values_c.index[above]
    by_month = pd.Series(minutes, index=when.month).groupby(level=0).sum()
    by_month = by_month.sort_values(ascending=False, kind="stable")
    by_season = by_month.groupby(by_month.index.map(SEASON_OF_MONTH)).sum()
    by_season = by_season.sort_values(ascending=False, kind="stable")
    seasons = [s for s, m in by_season.items() if m >= 0.25 * minutes.sum()] or [by_season.index[0]]
    months = [int(m) for m in by_month.index[:3] if by_month[m] >= 0.1 * minutes.sum()]
    typical_hour = int(np.bincount(when.hour, weights=minutes, minlength=24).argmax())
    load_mean = load_max = None
    if load_pu is not None:
        load = load_pu.reindex(when).to_numpy(dtype=float)
        if np.isfinite(load).any():
            load_mean, load_max = float(np.nanmean(load)), float(np.nanmax(load))
    return Exceedance(threshold_c, hours, share, seasons, months, typical_hour, load_mean, load_max)


#: Shortest excursion that counts as a sustained exceedance [min] (and at least two readings):
#: one reading above a limit is a spike to check, not a load to limit.
SUSTAINED_MINUTES = 30.0


def sustained_only(
    values_c: pd.Series, limit_c: float, step: pd.Timedelta | None = None
) -> pd.Series:
    """``values_c`` with every excursion at or above ``limit_c`` that lasts less than
    :data:`SUSTAINED_MINUTES` (or is a single reading) set to NaN: what is left above the limit
    is sustained, so one reading cannot move an action computed from it."""
    dt = sample_minutes(values_c.index, step)
    above = values_c.to_numpy(dtype=float) >= limit_c
    if not above.any():
        return values_c
    # Runs of consecutive readings above the limit (a hole in the index does not break a run).
    edges = np.flatnonzero(np.diff(np.r_[0, above.astype(np.int8), 0]))
    keep = np.zeros(len(above), dtype=bool)
    for start, stop in zip(edges[::2], edges[1::2], strict=True):
        if stop - start >= 2 and dt[start:stop].sum() >= SUSTAINED_MINUTES:
            keep[start:stop] = True
    return values_c.where(~above | keep)


def hours_above(values_c: pd.Series, limit_c: float, step: pd.Timedelta | None = None) -> float:
    """Time strictly above ``limit_c`` [h] (the IEC limits are "shall not exceed")."""
    dt = sample_minutes(values_c.index, step)
    return float(dt[values_c.to_numpy(dtype=float) > limit_c].sum() / 60.0)


@dataclass(frozen=True)
class Overloads:
    """Episodes above the rated load.

    Attributes
    ----------
    count
        Episodes above ``limit_pu`` lasting at least the minimum duration.
    longest_hours
        Longest episode [h] (0 when none).
    max_pu
        Highest load over the whole period [pu].
    """

    count: int
    longest_hours: float
    max_pu: float


def overload_episodes(
    load_pu: pd.Series,
    step: pd.Timedelta | None = None,
    limit_pu: float = 1.0,
    min_duration: pd.Timedelta = pd.Timedelta("30min"),
) -> Overloads:
    """Runs of consecutive samples with load > ``limit_pu`` lasting ``min_duration`` or more.

    A hole in the data ends an episode: nothing is known about the load during it.
    """
    values = load_pu.to_numpy(dtype=float)
    dt = sample_minutes(load_pu.index, step)
    above = values > limit_pu
    if not above.any():
        return Overloads(0, 0.0, float(np.nanmax(values)) if values.size else float("nan"))
    diffs = np.diff(minutes_since_start(load_pu.index), prepend=0.0)
    contiguous = np.r_[False, diffs[1:] <= 1.5 * np.median(dt)]
    starts = above & ~(np.r_[False, above[:-1]] & contiguous)
    run_id = np.cumsum(starts)[above]
    durations = np.bincount(run_id, weights=dt[above])[1:]  # run ids start at 1
    long_enough = durations >= min_duration / pd.Timedelta("1min")
    return Overloads(
        count=int(long_enough.sum()),
        longest_hours=float(durations[long_enough].max() / 60.0) if long_enough.any() else 0.0,
        max_pu=float(np.nanmax(values)),
    )


@dataclass(frozen=True)
class Ageing:
    """Insulation loss of life over the period (IEC 60076-7 equation (4), normal paper).

    Attributes
    ----------
    loss_days
        Life used [days at the reference rate].
    period_days
        Time covered by the readings [days].
    years_per_year
        ``loss_days / period_days``: years of life used per calendar year (1 = nominal).
    """

    loss_days: float
    period_days: float
    years_per_year: float


def insulation_ageing(hot_spot_c: pd.Series, step: pd.Timedelta | None = None) -> Ageing:
    """Loss of life from a hot-spot series [°C], each sample held over the time it stands for."""
    dt = sample_minutes(hot_spot_c.index, step)
    loss = float(loss_of_life_days(hot_spot_c.to_numpy(dtype=float), dt))
    period = float(dt.sum() / 1440.0)
    return Ageing(loss, period, loss / period if period > 0 else float("nan"))


def residual_trend_k_per_month(residual_k: pd.Series) -> float:
    """Least-squares slope of the residual over time [K per month].

    Fitted on the daily means (one point per day, so dense and sparse days weigh the same)
    rather than on monthly means: the same trend, but usable on periods of a few months.
    Returns NaN with fewer than two days.
    """
    daily = residual_k.resample("1D").mean().dropna()
    if len(daily) < 2:
        return float("nan")
    days = minutes_since_start(daily.index) / 1440.0
    slope_per_day = np.polyfit(days, daily.to_numpy(dtype=float), 1)[0]
    return float(slope_per_day * DAYS_PER_MONTH)
