"""From a file (or a raw table) to validated, cleaned, documented measurements.

``load_measurements`` is what ``thermowatch train DATA`` calls; ``clean_measurements`` is the same
path without the file, for readings collected live or read back from the store.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from thermowatch.data import quantities as q
from thermowatch.data.clean import CleaningOptions, clean_frame
from thermowatch.data.columns import (
    ColumnInfo,
    classify_quantity,
    describe_columns,
    find_target,
    match_column,
    split_unit,
    to_numeric_column,
)
from thermowatch.data.mapping import ColumnMapping, load_mapping
from thermowatch.data.read import read_table
from thermowatch.data.report import CleaningReport
from thermowatch.data.timestamps import find_timestamp_column, parse_timestamps
from thermowatch.errors import InputError


@dataclass
class Measurements:
    """A cleaned measurement table and what is known about it.

    Attributes
    ----------
    frame : pandas.DataFrame
        Index ``"timestamp"``: a UTC ``DatetimeIndex``, increasing and unique (it may have holes
        where rows were dropped; see ``cleaning``). Columns: float64 measurements under their
        original names, without any missing value.
    target : str
        Name of the column to predict (winding or top-oil temperature [°C]).
    columns : dict of str to ColumnInfo
        Quantity and unit of every column of ``frame``.
    cleaning : CleaningReport
        Every validation and cleaning step with its count.
    source : str
        File path or description of where the readings came from.
    step : pandas.Timedelta
        Nominal sampling step (median interval between readings).
    flags : pandas.DataFrame or None
        Suspect values kept in ``frame`` (frozen sensor, spike): boolean, same index, only the
        columns that have any. A model that cannot use a flagged value leaves it out of its fit.
    file_rows : numpy.ndarray or None
        Per row of ``frame``, its 0-based data row in the input file (what ``--split-rows``
        counts), or ``None`` for a table that did not come from a file.
    """

    frame: pd.DataFrame
    target: str
    columns: dict[str, ColumnInfo]
    cleaning: CleaningReport
    source: str
    step: pd.Timedelta
    flags: pd.DataFrame | None = None
    file_rows: np.ndarray | None = None

    def flagged(self, column: str) -> np.ndarray:
        """Boolean per row: the value of ``column`` is suspect (kept, but not to learn from).

        Parameters
        ----------
        column : str
            A column of ``frame``.

        Returns
        -------
        numpy.ndarray
        """
        if self.flags is None or column not in self.flags:
            return np.zeros(len(self.frame), dtype=bool)
        # By time, not position: a caller may have cut the frame without the flags.
        flags = self.flags[column].reindex(self.frame.index, fill_value=False)
        return flags.to_numpy(dtype=bool)

    def subset(self, rows: slice) -> Measurements:
        """The same measurements restricted to a range of rows (e.g. up to the last border).

        Parameters
        ----------
        rows : slice
            Rows of ``frame``.

        Returns
        -------
        Measurements
        """
        return dataclasses.replace(
            self,
            frame=self.frame.iloc[rows],
            flags=None if self.flags is None else self.flags.iloc[rows],
            file_rows=None if self.file_rows is None else self.file_rows[rows],
        )

    def column_for(self, quantity: str) -> str | None:
        """First column holding ``quantity`` (e.g. ``"current"``), or ``None``.

        Parameters
        ----------
        quantity : str
            A quantity of :mod:`~thermowatch.data.quantities`.

        Returns
        -------
        str or None
        """
        return next(
            (name for name, info in self.columns.items() if info.quantity == quantity), None
        )

    @property
    def feature_columns(self) -> list[str]:
        """Numeric columns other than the target, in file order."""
        return [name for name in self.frame.columns if name != self.target]


def load_measurements(
    path: str | Path,
    *,
    target: str | None = None,
    sheet: str | int | None = None,
    mapping: str | Path | Mapping[str, Any] | None = None,
    options: CleaningOptions | None = None,
    statistics_rows: int | None = None,
) -> Measurements:
    """Read, validate and clean a measurement file (xlsx, csv or parquet).

    Parameters
    ----------
    path : str or pathlib.Path
        The file, e.g. a SCADA export ``DATASET_TRANSFO.xlsx``.
    target : str, optional
        Column to predict; by default the winding (hot-spot) temperature, else the top-oil one.
    sheet : str or int, optional
        Spreadsheet sheet (name or 0-based position); the first one by default.
    mapping : str or pathlib.Path or dict, optional
        Explicit column mapping (TOML file or dict), see :mod:`thermowatch.data.mapping`.
    options : CleaningOptions, optional
        Time zone of naive timestamps, gap, spike and frozen-sensor settings, minimum rows.
    statistics_rows : int, optional
        Data rows of the file (0-based, from the top) whose values set the cleaning
        thresholds: the training rows of ``--split-rows``. Default: ``options``.

    Raises
    ------
    InputError
        Unreadable file, no timestamp or numeric column, target not found or constant, too
        few usable rows; the message is one sentence naming the file and the column.
    """
    return clean_measurements(
        read_table(path, sheet=sheet),
        target=target,
        mapping=mapping,
        options=options,
        source=str(path),
        statistics_rows=statistics_rows,
    )


def clean_measurements(
    frame: pd.DataFrame,
    *,
    target: str | None = None,
    mapping: str | Path | Mapping[str, Any] | ColumnMapping | None = None,
    options: CleaningOptions | None = None,
    source: str = "<table>",
    statistics_rows: int | None = None,
) -> Measurements:
    """Validate and clean a raw table: the shared path of files, live readings and the store.

    Parameters
    ----------
    frame : pandas.DataFrame
        Raw readings: a ``DatetimeIndex`` or a timestamp column, and measurement columns
        (numbers, or numbers written as text with a decimal comma).
    target, mapping, options
        As for :func:`load_measurements`.
    source : str
        Named in error messages and kept in :attr:`Measurements.source`.
    """
    options = options or CleaningOptions()
    if not isinstance(mapping, ColumnMapping):
        mapping = load_mapping(mapping)
    if mapping.timezone:
        options = dataclasses.replace(options, timezone=mapping.timezone)
    label = repr(source)
    if frame.empty:
        raise InputError(f"The data in {label} contains no rows.")
    report = CleaningReport(rows_in=len(frame))

    numbers, columns, raw, parsed_rows = _parse(frame, mapping, options, report, label)
    # Data row of the file per parsed row (unreadable timestamps were left out), first kept
    # for a repeated timestamp as the cleaning does.
    file_rows = pd.Series(parsed_rows, index=numbers.index)
    file_rows = file_rows[~file_rows.index.duplicated(keep="first")]
    if statistics_rows is not None and options.statistics_before is None:
        before = file_rows[file_rows >= statistics_rows]
        if len(before):
            options = dataclasses.replace(options, statistics_before=before.index.min())
    wanted = target or mapping.target
    if wanted is not None and match_column(wanted, numbers.columns) is None:
        present = match_column(wanted, raw.columns)
        if present is not None:
            raise InputError(
                f"The target column {present!r} in {label} holds no numbers,"
                " so it cannot be predicted."
            )
    target_name = find_target(columns, explicit=wanted, source=label)
    if wanted is None:
        _refuse_empty_preferred_target(
            raw.columns.difference(numbers.columns), columns[target_name].quantity, label
        )
    numbers, columns = _temperatures_in_celsius(numbers, columns, report)

    cleaned, step, flags = clean_frame(
        numbers, target=target_name, columns=columns, options=options, report=report, source=label
    )
    report.rows_out = len(cleaned)
    return Measurements(
        frame=cleaned,
        target=target_name,
        columns={name: columns[name] for name in cleaned.columns},
        cleaning=report,
        source=source,
        step=step,
        flags=flags,
        file_rows=file_rows.reindex(cleaned.index).to_numpy(dtype=np.int64),
    )


@dataclass
class Readings:
    """Raw readings of a file, parsed but not cleaned: what a store keeps as measured.

    ``frame`` has a UTC DatetimeIndex (sorted, duplicates dropped and counted) and float columns
    in °C for temperatures; missing cells stay NaN (they are not readings).
    """

    frame: pd.DataFrame
    columns: dict[str, ColumnInfo]
    report: CleaningReport
    source: str


def read_readings(
    path: str | Path,
    *,
    sheet: str | int | None = None,
    mapping: str | Path | Mapping[str, Any] | ColumnMapping | None = None,
    options: CleaningOptions | None = None,
) -> Readings:
    """Parse a measurement file into raw readings, with no value changed or dropped.

    The same reading, column and unit code as :func:`load_measurements`, without the cleaning
    steps that make a training set (interpolation, masking, row dropping): a history database
    stores what was measured.

    Parameters
    ----------
    path : str or pathlib.Path
        An xlsx, csv or parquet file.
    sheet : str or int, optional
        xlsx sheet name or number.
    mapping : str or pathlib.Path or mapping or ColumnMapping, optional
        Explicit column mapping (:func:`~thermowatch.data.mapping.load_mapping`).
    options : CleaningOptions, optional
        The time zone of naive timestamps.

    Returns
    -------
    Readings
    """
    from thermowatch.data.clean import sort_and_deduplicate

    options = options or CleaningOptions()
    if not isinstance(mapping, ColumnMapping):
        mapping = load_mapping(mapping)
    if mapping.timezone:
        options = dataclasses.replace(options, timezone=mapping.timezone)
    frame = read_table(path, sheet=sheet)
    label = repr(str(path))
    if frame.empty:
        raise InputError(f"The data in {label} contains no rows.")
    report = CleaningReport(rows_in=len(frame))
    numbers, columns, _, _ = _parse(frame, mapping, options, report, label)
    numbers, columns = _temperatures_in_celsius(numbers, columns, report)
    numbers = sort_and_deduplicate(numbers, report)
    report.rows_out = len(numbers)
    return Readings(numbers, {n: columns[n] for n in numbers.columns}, report, str(path))


def _parse(
    frame: pd.DataFrame,
    mapping: ColumnMapping,
    options: CleaningOptions,
    report: CleaningReport,
    label: str,
) -> tuple[pd.DataFrame, dict[str, ColumnInfo], pd.DataFrame, np.ndarray]:
    """Timestamps, numeric columns, their quantities and units, and each row's file row."""
    index, raw, file_rows = _timestamp_index(frame, mapping, options, report, label)
    numbers = _numeric_columns(raw, index, report, label)
    columns = describe_columns(
        numbers.columns,
        quantities=_resolve_names(mapping.quantities, raw.columns, label),
        units=_resolve_names(mapping.units, raw.columns, label),
    )
    return numbers, columns, raw, file_rows


def _timestamp_index(
    frame: pd.DataFrame,
    mapping: ColumnMapping,
    options: CleaningOptions,
    report: CleaningReport,
    label: str,
) -> tuple[pd.DatetimeIndex, pd.DataFrame, np.ndarray]:
    """UTC index of the rows with a readable timestamp, the other columns of those rows, and
    their 0-based data rows in the file."""
    if isinstance(frame.index, pd.DatetimeIndex) and mapping.timestamp is None:
        stamps = parse_timestamps(frame.index.to_series(), timezone=options.timezone)
        raw = frame.reset_index(drop=True)
    else:
        column = find_timestamp_column(frame, explicit=mapping.timestamp, source=label)
        stamps = parse_timestamps(
            frame[column], timezone=options.timezone, dayfirst=options.dayfirst
        )
        raw = frame.drop(columns=column).reset_index(drop=True)
    bad = stamps.isna().to_numpy()
    rows = np.flatnonzero(bad)[:3] + 1  # 1-based data rows, as a spreadsheet user counts
    detail = f"data rows {', '.join(map(str, rows))}" if len(rows) else ""
    report.add("unparseable_timestamp", int(bad.sum()), "rows", detail)
    # Through .array, not .to_numpy(): the latter would box every aware timestamp (slow).
    index = pd.DatetimeIndex(stamps.array[~bad], name="timestamp")
    file_rows = np.flatnonzero(~bad)
    return index, raw[~bad].reset_index(drop=True) if bad.any() else raw, file_rows


def _numeric_columns(
    raw: pd.DataFrame, index: pd.DatetimeIndex, report: CleaningReport, label: str
) -> pd.DataFrame:
    """Float64 table of the measurement columns; text columns left out, stray texts missing."""
    kept: dict[str, np.ndarray] = {}
    invalid: dict[str, int] = {}
    dropped: list[str] = []
    for name in raw.columns:
        numbers, n_invalid = to_numeric_column(raw[name])
        n_numbers = int(numbers.notna().sum())
        if n_numbers == 0 or n_numbers < n_invalid:  # mostly text: a label, not a measurement
            dropped.append(name)
            continue
        kept[name] = numbers.to_numpy()
        invalid[name] = n_invalid
    report.add("non_numeric_column", len(dropped), "columns", ", ".join(dropped))
    total = sum(invalid.values())
    detail = ", ".join(f"{name}: {n}" for name, n in invalid.items() if n)
    report.add("non_numeric_value", total, "values", detail, invalid)
    if not kept:
        listed = ", ".join(repr(name) for name in raw.columns) or "none"
        raise InputError(
            f"No numeric measurement column was found in {label} besides the timestamps"
            f" (columns: {listed})."
        )
    return pd.DataFrame(kept, index=index)


def _refuse_empty_preferred_target(dropped: pd.Index, chosen: str, label: str) -> None:
    """Never substitute a target silently: an empty winding column is not a reason to predict
    the oil instead (the user would read the wrong quantity's report without knowing)."""
    rank = q.TARGET_PREFERENCE.index(chosen) if chosen in q.TARGET_PREFERENCE else 99
    for name in dropped:  # columns left out for holding no numbers
        quantity = classify_quantity(*split_unit(str(name)))
        if quantity in q.TARGET_PREFERENCE[:rank]:
            raise InputError(
                f"The target column {name!r} in {label} holds no numbers (empty or all missing),"
                " so it cannot be predicted; fill it, or name another column to predict"
                " explicitly (--target)."
            )


def _resolve_names(by_name: Mapping[str, str], names: pd.Index, label: str) -> dict[str, str]:
    """Re-key a mapping section on the actual column names (case/accent-insensitive)."""
    resolved = {}
    for wanted, value in by_name.items():
        name = match_column(wanted, names)
        if name is None:
            raise InputError(f"The column {wanted!r} named in the mapping is not in {label}.")
        resolved[name] = value
    return resolved


def _temperatures_in_celsius(
    frame: pd.DataFrame, columns: dict[str, ColumnInfo], report: CleaningReport
) -> tuple[pd.DataFrame, dict[str, ColumnInfo]]:
    """Convert temperature columns given in kelvin or Fahrenheit to [°C]."""
    to_celsius = {"K": lambda x: x - 273.15, "°F": lambda x: (x - 32.0) * 5.0 / 9.0}
    converted: dict[str, int] = {}
    for name, info in columns.items():
        if info.quantity in q.TEMPERATURES and info.unit in to_celsius:
            if not converted:
                frame = frame.copy()
            frame[name] = to_celsius[info.unit](frame[name])
            converted[name] = int(frame[name].notna().sum())
            columns = {**columns, name: dataclasses.replace(info, unit="°C")}
    detail = ", ".join(converted)
    report.add("unit_converted", sum(converted.values()), "values", detail, converted)
    return frame, columns
