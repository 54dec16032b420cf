"""Validation and cleaning of a measurement table, every change counted.

Works on a table already indexed by UTC timestamps with float64 columns (see
``measurements.py`` for the way there). Each function takes the table, records what it did in a
:class:`~thermowatch.data.report.CleaningReport` and returns a new table: nothing is dropped or
changed silently. All checks are vectorised over the whole column.
"""

from __future__ import annotations

import math
import zoneinfo
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from thermowatch.data import quantities as q
from thermowatch.data.columns import ColumnInfo
from thermowatch.data.report import CleaningReport
from thermowatch.data.timestamps import as_duration
from thermowatch.errors import InputError

# 1.4826 × MAD estimates the standard deviation of normally distributed values.
_MAD_TO_SIGMA = 1.4826


@dataclass(frozen=True)
class CleaningOptions:
    """Settings of reading and cleaning; the defaults suit SCADA exports from 1 min to 1 h.

    Attributes
    ----------
    timezone : str
        IANA zone of naive timestamps in the file (``"Europe/Paris"``); default ``"UTC"``.
    dayfirst : bool
        Read ambiguous text dates day first (``01/07/2016`` is 1 July), as French exports do.
    max_gap : int or str or pandas.Timedelta
        Longest gap of missing values filled by linear interpolation in time: a number of
        samples, or a duration (``"30min"``) converted with the nominal step. Longer gaps are
        not invented: their rows are dropped (target) or the column is left out (feature).
    spike_window : int
        Samples in the centred rolling median a reading is compared with (odd, ≥ 3).
    spike_threshold : float or None
        A reading is a suspect spike when it is further from the rolling median than this many times
        the column's noise (1.4826 × MAD of ``x[i] - (x[i-1] + x[i+1]) / 2``, which trends
        and daily cycles barely move); ``None`` disables the test.
    spike_min_range_fraction : float
        Floor of the spike threshold as a fraction of the column's 1–99 % range, so quantised,
        almost flat signals are not flagged for ordinary steps.
    frozen_min_samples : int or None
        A value that does not change beyond the channel's resolution for at least this many
        consecutive samples may be frozen; ``None`` disables the test.
    frozen_min_duration : str or pandas.Timedelta
        ... and the still stretch must also span at least this duration (6 h by default:
        quantised loads and slow oil temperatures repeat for hours, a stuck sensor for longer)
        while another channel (its drivers) moves.
    frozen_max_repeat_share : float
        Only sensors that normally vary are tested: columns where more than this share of
        consecutive samples are equal (coarse or slow sensors, set points) are skipped.
    statistics_before : pandas.Timestamp or None
        Spike and frozen thresholds are computed from the rows before this time only (the
        training period), so nothing of validation or test leaks into cleaning; ``None``: the
        first 70 % of rows (the default training share).
    max_missing_fraction : float
        Feature columns still missing on more than this fraction of rows after gap filling are
        left out rather than dropping most rows.
    min_rows : int
        Fewest rows the cleaned table may have; fewer raise :class:`InputError`.
    ranges : mapping of str to (float, float), optional
        Physically possible ``(low, high)`` per quantity, overriding
        :data:`thermowatch.data.quantities.PHYSICAL_RANGES` (temperatures in [°C]).
    """

    timezone: str = "UTC"
    dayfirst: bool = True
    max_gap: int | str | pd.Timedelta = 3
    spike_window: int = 7
    spike_threshold: float | None = 10.0
    spike_min_range_fraction: float = 0.1
    frozen_min_samples: int | None = 12
    frozen_min_duration: str | pd.Timedelta = "6h"
    frozen_max_repeat_share: float = 0.5
    max_missing_fraction: float = 0.5
    min_rows: int = 48
    ranges: Mapping[str, tuple[float, float]] | None = None
    statistics_before: pd.Timestamp | None = None

    def __post_init__(self) -> None:
        try:
            if self.timezone.upper() != "UTC":
                zoneinfo.ZoneInfo(self.timezone)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError) as error:
            raise InputError(
                f"The time zone {self.timezone!r} is unknown; use an IANA name such as"
                " 'Europe/Paris' or 'UTC'."
            ) from error
        if self.spike_window < 3:
            raise InputError(f"spike_window must be at least 3 samples, not {self.spike_window}.")

    def max_gap_samples(self, step: pd.Timedelta) -> int:
        """``max_gap`` as a number of samples at the nominal ``step``.

        Parameters
        ----------
        step : pandas.Timedelta
            Nominal sampling step.

        Returns
        -------
        int
            Samples [-].
        """
        if isinstance(self.max_gap, int | np.integer):
            return int(self.max_gap)
        return int(as_duration(self.max_gap) // step) if step > pd.Timedelta(0) else 0

    def frozen_run_samples(self, step: pd.Timedelta) -> int | None:
        """Shortest repeated run that counts as frozen at the nominal ``step``.

        Parameters
        ----------
        step : pandas.Timedelta
            Nominal sampling step.

        Returns
        -------
        int or None
            Samples [-]; None when the frozen check is off.
        """
        if self.frozen_min_samples is None:
            return None
        by_duration = (
            math.ceil(as_duration(self.frozen_min_duration) / step) + 1
            if step > pd.Timedelta(0)
            else 0
        )
        return max(int(self.frozen_min_samples), by_duration)

    def statistics_rows(self, index: pd.DatetimeIndex) -> int:
        """Number of leading rows of a sorted table whose values set the cleaning thresholds.

        Parameters
        ----------
        index : pandas.DatetimeIndex
            The sorted table's times.

        Returns
        -------
        int
            Rows [-]: those before ``statistics_before``, else 70 % of the table (at least 10).
        """
        if self.statistics_before is None:
            return max(int(0.7 * len(index)), min(len(index), 10))
        return max(int(index.searchsorted(pd.Timestamp(self.statistics_before))), 10)


def infer_step(index: pd.DatetimeIndex) -> pd.Timedelta:
    """Nominal sampling step: the median interval between consecutive timestamps.

    Robust to a few gaps and to a sorted index with holes; ``0`` with fewer than two rows.

    Parameters
    ----------
    index : pandas.DatetimeIndex
        Sorted timestamps.

    Returns
    -------
    pandas.Timedelta
    """
    if len(index) < 2:
        return pd.Timedelta(0)
    diffs = np.diff(index.asi8)
    diffs = diffs[diffs > 0]
    if not len(diffs):
        return pd.Timedelta(0)
    return pd.Timedelta(int(np.median(diffs)), unit=index.unit)


def run_lengths(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Length of the run of equal consecutive values each element belongs to.

    NaN never equals NaN, so each missing value is a run of its own.

    Parameters
    ----------
    values : numpy.ndarray
        One channel's values.

    Returns
    -------
    (lengths, positions) : tuple of numpy.ndarray
        Per element, the length of its run and its 0-based position inside the run.
    """
    n = len(values)
    if n == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    starts_mask = np.ones(n, dtype=bool)
    starts_mask[1:] = values[1:] != values[:-1]
    starts = np.flatnonzero(starts_mask)
    sizes = np.diff(np.append(starts, n))
    lengths = np.repeat(sizes, sizes)
    positions = np.arange(n) - np.repeat(starts, sizes)
    return lengths, positions


def _first_times(index: pd.Index, mask: np.ndarray, limit: int = 3) -> str:
    """``"first at 2024-01-01 00:00, ..."`` for the detail of a step."""
    hits = index[mask][:limit]
    if not len(hits):
        return ""
    shown = ", ".join(str(t) for t in hits)
    return f"first at {shown}"


def _per_column_detail(counts: Mapping[str, int]) -> str:
    return ", ".join(f"{name}: {n}" for name, n in counts.items() if n)


# ---------------------------------------------------------------- order and uniqueness
def sort_and_deduplicate(frame: pd.DataFrame, report: CleaningReport) -> pd.DataFrame:
    """Sort by time (counting rows out of order) and drop repeated timestamps (first kept).

    Parameters
    ----------
    frame : pandas.DataFrame
        Readings on a UTC DatetimeIndex.
    report : CleaningReport
        Receives the step's count.

    Returns
    -------
    pandas.DataFrame
    """
    ticks = frame.index.asi8
    backwards = np.zeros(len(frame), dtype=bool)
    backwards[1:] = ticks[1:] < ticks[:-1]
    report.add(
        "unsorted_timestamp",
        int(backwards.sum()),
        "rows",
        _first_times(frame.index, backwards),
    )
    if backwards.any():
        frame = frame.sort_index(kind="stable")  # stable: the first in the file stays first
    duplicated = frame.index.duplicated(keep="first")
    report.add(
        "duplicate_timestamp",
        int(duplicated.sum()),
        "rows",
        _first_times(frame.index, duplicated),
    )
    return frame[~duplicated] if duplicated.any() else frame


# ---------------------------------------------------------------- values set missing
def _mask_values(
    frame: pd.DataFrame, masks: Mapping[str, np.ndarray], key: str, report: CleaningReport
) -> pd.DataFrame:
    counts = {name: int(mask.sum()) for name, mask in masks.items()}
    report.add(key, sum(counts.values()), "values", _per_column_detail(counts), counts)
    if not any(counts.values()):
        return frame
    frame = frame.copy()
    for name, mask in masks.items():
        if mask.any():
            frame.loc[mask, name] = np.nan
    return frame


def mask_out_of_range(
    frame: pd.DataFrame,
    columns: Mapping[str, ColumnInfo],
    options: CleaningOptions,
    report: CleaningReport,
) -> pd.DataFrame:
    """Set physically impossible values (and ±inf) missing, per quantity range.

    Parameters
    ----------
    frame : pandas.DataFrame
        Readings (°C for temperatures, units of :mod:`~thermowatch.data.quantities`).
    columns : mapping of str to ColumnInfo
        Each column's quantity.
    options : CleaningOptions
        Cleaning choices.
    report : CleaningReport
        Receives the step's count.

    Returns
    -------
    pandas.DataFrame
    """
    masks = {
        name: q.impossible(
            columns[name].quantity if name in columns else q.OTHER,
            frame[name].to_numpy(dtype=np.float64),
            options.ranges,
        )
        for name in frame.columns
    }
    return _mask_values(frame, masks, "out_of_range", report)


def _flag_values(
    frame: pd.DataFrame, masks: Mapping[str, np.ndarray], key: str, report: CleaningReport
) -> dict[str, np.ndarray]:
    """Record suspect values (kept in the table) and return their masks."""
    counts = {name: int(mask.sum()) for name, mask in masks.items()}
    report.add(key, sum(counts.values()), "values", _per_column_detail(counts), counts)
    return {name: mask for name, mask in masks.items() if mask.any()}


def resolution(values: np.ndarray) -> float:
    """A channel's resolution: the smallest non-zero step between consecutive values [unit].

    Parameters
    ----------
    values : numpy.ndarray
        One channel's values.

    Returns
    -------
    float
        The resolution (unit of the channel); 0 for a constant channel.
    """
    steps = np.abs(np.diff(values[np.isfinite(values)]))
    steps = steps[steps > 0]
    return float(steps.min()) if steps.size else 0.0


def flag_spikes(
    frame: pd.DataFrame,
    options: CleaningOptions,
    report: CleaningReport,
    frozen: Mapping[str, np.ndarray] | None = None,
) -> dict[str, np.ndarray]:
    """Flag the readings far from the centred rolling median of their neighbours (kept).

    A robust test: the median of a window ignores a short excursion, while ramps and steps
    (a load switched on) follow the median and are left alone. The noise scale and the range
    come from the training rows only (:meth:`CleaningOptions.statistics_rows`). Values already
    flagged ``frozen`` are left out of the test (the end of a stuck stretch is no spike).

    Parameters
    ----------
    frame : pandas.DataFrame
        Readings on a sorted UTC DatetimeIndex.
    options : CleaningOptions
        Window and threshold of the test.
    report : CleaningReport
        Receives the step's count.
    frozen : mapping of str to numpy.ndarray, optional
        Per column, the values already flagged frozen.

    Returns
    -------
    dict of str to numpy.ndarray
        Per column with spikes, a boolean per row.
    """
    if options.spike_threshold is None:
        report.add("spike", 0, "values", "disabled")
        return {}
    if frozen:
        frame = frame.copy()
        for name, mask in frozen.items():
            frame.loc[mask, name] = np.nan
    window = options.spike_window
    fit = options.statistics_rows(frame.index)
    median = frame.rolling(window, center=True, min_periods=window // 2 + 1).median()
    residuals = (frame - median).to_numpy()
    values = frame.to_numpy()
    # Both sides: the reading stands above (or below) both neighbours, never at an edge or a
    # gap where one side is unknown (NaN products compare False).
    with np.errstate(invalid="ignore"):
        both_sides = (values - frame.shift(1).to_numpy()) * (
            values - frame.shift(-1).to_numpy()
        ) >= 0
    # Noise scale from the deviation to the mean of the two neighbours: unlike the residual to
    # the median (exactly 0 along any monotonic stretch), it is not fooled by smooth trends.
    curvature = (frame - (frame.shift(1) + frame.shift(-1)) / 2.0).to_numpy()[:fit]
    masks = {}
    for position, name in enumerate(frame.columns):
        residual = residuals[:, position]
        deviation = curvature[:, position]
        deviation = deviation[~np.isnan(deviation)]
        if len(deviation) < window:
            masks[name] = np.zeros(len(frame), dtype=bool)
            continue
        scale = _MAD_TO_SIGMA * np.median(np.abs(deviation - np.median(deviation)))
        low, high = np.nanpercentile(values[:fit, position], [1.0, 99.0])
        threshold = max(
            options.spike_threshold * scale, options.spike_min_range_fraction * (high - low)
        )
        with np.errstate(invalid="ignore"):
            far = np.abs(residual) > threshold
        masks[name] = far & both_sides[:, position] if threshold > 0 else np.zeros_like(far)
    return _flag_values(frame, masks, "spike", report)


def flag_frozen(
    frame: pd.DataFrame, step: pd.Timedelta, options: CleaningOptions, report: CleaningReport
) -> dict[str, np.ndarray]:
    """Flag (and keep) the repeats of a value stuck for too long while other channels move.

    A stretch is frozen when the value stays within the channel's own resolution for at least
    ``frozen_run_samples`` samples and ``frozen_min_duration``, while at least one other
    channel moves by more than 10 % of its training range during the stretch (a quiet night
    where every channel is still is not a fault), or when every channel repeats exactly the
    same values for twice that duration (a logger that repeated its last row). Quantised channels repeat by nature: the
    duration rule, not exact equality alone, decides. The first sample of a stuck stretch is
    not flagged: it was a true reading when taken.

    Parameters
    ----------
    frame : pandas.DataFrame
        Readings on a sorted UTC DatetimeIndex.
    step : pandas.Timedelta
        Nominal sampling step.
    options : CleaningOptions
        Run length and duration of the test.
    report : CleaningReport
        Receives the step's count.

    Returns
    -------
    dict of str to numpy.ndarray
        Per column with frozen values, a boolean per row.
    """
    min_run = options.frozen_run_samples(step)
    if min_run is None:
        report.add("frozen_sensor", 0, "values", "disabled")
        return {}
    fit = options.statistics_rows(frame.index)
    min_duration = as_duration(options.frozen_min_duration)
    ticks = frame.index.asi8
    unit = pd.Timedelta(1, unit=frame.index.unit)
    values_all = frame.to_numpy()
    span = np.nanpercentile(values_all[:fit], 99.0, axis=0) - np.nanpercentile(
        values_all[:fit], 1.0, axis=0
    )
    masks = {}
    for position, name in enumerate(frame.columns):
        values = values_all[:, position]
        valid = ~np.isnan(values)
        train = values[:fit]
        repeated = train[1:] == train[:-1]
        pairs = ~np.isnan(train[1:]) & ~np.isnan(train[:-1])
        repeat_share = repeated.sum() / pairs.sum() if pairs.any() else 1.0
        mask = np.zeros(len(values), dtype=bool)
        if repeat_share > options.frozen_max_repeat_share:
            masks[name] = mask  # a coarse or slow sensor
            continue
        # Within half the resolution counts as unchanged (float noise of a quantised export).
        tolerance = 0.5 * resolution(train)
        rounded = np.round(values / tolerance) if tolerance > 0 else values
        lengths, positions = run_lengths(rounded)
        candidates = valid & (lengths >= min_run)
        starts = np.flatnonzero(candidates & (positions == 0))
        for start in starts:
            stop = start + lengths[start]
            if (ticks[stop - 1] - ticks[start]) * unit < min_duration:
                continue  # shorter than the duration: quantised or slow, not frozen
            duration = (ticks[stop - 1] - ticks[start]) * unit
            others = np.delete(values_all[start:stop], position, axis=1)
            moved = np.nanmax(others, axis=0) - np.nanmin(others, axis=0) if others.size else []
            other_span = np.delete(span, position)
            drivers_moved = np.any(np.asarray(moved) > 0.1 * other_span)
            # Every channel exactly still for twice the duration: a logger that repeated its
            # last row (ETT files fill whole days so), not a quiet transformer.
            logger_stuck = duration >= 2 * min_duration and np.all(np.asarray(moved) == 0)
            if drivers_moved or logger_stuck:
                mask[start + 1 : stop] = True
        masks[name] = mask
    return _flag_values(frame, masks, "frozen_sensor", report)


# ---------------------------------------------------------------- columns left out
def drop_constant_columns(
    frame: pd.DataFrame, target: str, report: CleaningReport, source: str
) -> pd.DataFrame:
    """Leave out feature columns with at most one distinct value; a constant target is fatal.

    Parameters
    ----------
    frame : pandas.DataFrame
        Readings.
    target : str
        The target column.
    report : CleaningReport
        Receives the step's count.
    source : str
        Named in the error message.

    Returns
    -------
    pandas.DataFrame
    """
    low, high = frame.min(), frame.max()
    constant = [name for name in frame.columns if not low[name] < high[name]]
    if target in constant:
        require_varying_target(frame[target], source)
    report.add("constant_column", len(constant), "columns", ", ".join(constant))
    return frame.drop(columns=constant) if constant else frame


# ---------------------------------------------------------------- gaps
def fill_short_gaps(frame: pd.DataFrame, max_gap: int, report: CleaningReport) -> pd.DataFrame:
    """Interpolate linearly in time the gaps of at most ``max_gap`` missing samples.

    Only gaps with readings on both sides are filled; longer gaps are left untouched (never
    partly filled), so the following steps count them.

    Parameters
    ----------
    frame : pandas.DataFrame
        Readings on a regular-enough UTC DatetimeIndex.
    max_gap : int
        Longest gap filled [samples].
    report : CleaningReport
        Receives the step's count.

    Returns
    -------
    pandas.DataFrame
    """
    missing = frame.isna().to_numpy()
    fillable = np.zeros_like(missing)
    if max_gap > 0 and missing.any():
        for position in range(missing.shape[1]):
            column_missing = missing[:, position]
            lengths, _ = run_lengths(column_missing)
            fillable[:, position] = column_missing & (lengths <= max_gap)
        # Edges: a gap touching the first or last row has no reading on one side.
        inside = frame.ffill().notna().to_numpy() & frame.bfill().notna().to_numpy()
        fillable &= inside
    counts = dict(zip(frame.columns, fillable.sum(axis=0).tolist(), strict=True))
    report.add(
        "gap_interpolated",
        int(fillable.sum()),
        "values",
        _per_column_detail(counts),
        counts,
    )
    if not fillable.any():
        return frame
    interpolated = frame.interpolate(method="time", limit_area="inside")
    return frame.mask(fillable, interpolated)


def drop_long_gaps(
    frame: pd.DataFrame, target: str, options: CleaningOptions, report: CleaningReport
) -> pd.DataFrame:
    """Drop rows still missing the target, leave out mostly-missing features, drop the rest.

    Parameters
    ----------
    frame : pandas.DataFrame
        Readings after :func:`fill_short_gaps`.
    target : str
        The target column.
    options : CleaningOptions
        Largest missing fraction of a kept feature.
    report : CleaningReport
        Receives the step's count.

    Returns
    -------
    pandas.DataFrame
    """
    target_missing = frame[target].isna().to_numpy()
    report.add(
        "long_gap_target",
        int(target_missing.sum()),
        "rows",
        _first_times(frame.index, target_missing),
    )
    frame = frame[~target_missing]
    share = frame.isna().mean()
    sparse = [
        name
        for name in frame.columns
        if name != target and share[name] > options.max_missing_fraction
    ]
    report.add(
        "sparse_column",
        len(sparse),
        "columns",
        ", ".join(f"{name} ({share[name]:.0%} missing)" for name in sparse),
    )
    frame = frame.drop(columns=sparse)
    feature_missing = frame.isna().any(axis=1).to_numpy()
    report.add(
        "long_gap_feature",
        int(feature_missing.sum()),
        "rows",
        _first_times(frame.index, feature_missing),
    )
    return frame[~feature_missing]


# ---------------------------------------------------------------- the whole sequence
def clean_frame(
    frame: pd.DataFrame,
    *,
    target: str,
    columns: Mapping[str, ColumnInfo],
    options: CleaningOptions,
    report: CleaningReport,
    source: str = "the data",
) -> tuple[pd.DataFrame, pd.Timedelta, pd.DataFrame]:
    """Run every cleaning step in order on a UTC-indexed float64 table.

    Parameters
    ----------
    frame : pandas.DataFrame
        Readings on a UTC DatetimeIndex, float64, temperatures in °C.
    target : str
        The target column.
    columns : mapping of str to ColumnInfo
        Each column's quantity and unit.
    options : CleaningOptions
        Cleaning choices.
    report : CleaningReport
        Receives every step's count.
    source : str
        Named in error messages.

    Returns
    -------
    (frame, step, flags) : tuple of pandas.DataFrame, pandas.Timedelta, pandas.DataFrame
        The cleaned table (sorted, unique index, no missing value), the nominal step, and the
        suspect values kept in it (boolean, same index, only the columns with any).

    Raises
    ------
    InputError
        Constant target, or fewer than ``options.min_rows`` usable rows.
    """
    frame = sort_and_deduplicate(frame, report)
    step = infer_step(frame.index)
    frame = mask_out_of_range(frame, columns, options, report)
    # Suspect values (frozen, spike) are flagged and kept: real data is not deleted for looking
    # odd; a model that cannot use a flagged value masks it from its fit.
    frozen = flag_frozen(frame, step, options, report)
    spikes = flag_spikes(frame, options, report, frozen)
    flags = pd.DataFrame(
        {
            name: frozen.get(name, False) | spikes.get(name, False)
            for name in frame.columns
            if name in frozen or name in spikes
        },
        index=frame.index,
        dtype=bool,
    )
    frame = drop_constant_columns(frame, target, report, source)
    frame = fill_short_gaps(frame, options.max_gap_samples(step), report)
    frame = drop_long_gaps(frame, target, options, report)
    flags = flags.reindex(index=frame.index, columns=[c for c in flags if c in frame.columns])
    if len(frame) < options.min_rows:
        raise InputError(
            f"Only {len(frame)} usable rows remain in {source} after validation"
            f" (at least {options.min_rows} are needed); check the target column {target!r}"
            " and the timestamps."
        )
    require_varying_target(frame[target], source)
    return frame, step, flags


def require_varying_target(target: pd.Series, source: str) -> None:
    """Raise :class:`InputError` when the target has fewer than two distinct values.

    Parameters
    ----------
    target : pandas.Series
        The target column [°C].
    source : str
        Named in the error message.
    """
    low, high = target.min(), target.max()
    if low < high:
        return
    value = "no value" if pd.isna(low) else f"the single value {low:g}"
    raise InputError(
        f"The target column {target.name!r} in {source} has {value} after validation,"
        " so there is nothing to learn."
    )
