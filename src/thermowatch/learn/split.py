"""Chronological splits: never shuffled, because neighbouring samples of a thermal time series
are nearly copies of each other and a shuffled test set only measures interpolation."""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np
import pandas as pd

from thermowatch.errors import InputError


@dataclass(frozen=True)
class Split:
    """Row ranges [start, stop) of train, validation and test."""

    train: slice
    validation: slice
    test: slice

    def labels(self, n: int) -> np.ndarray:
        """``"train"``, ``"validation"`` or ``"test"`` per row (``""`` outside the three parts).

        Parameters
        ----------
        n : int
            Number of rows.

        Returns
        -------
        numpy.ndarray
        """
        out = np.full(n, "", dtype=object)
        out[self.train], out[self.validation], out[self.test] = "train", "validation", "test"
        return out

    def describe(self, index: pd.DatetimeIndex) -> dict[str, dict[str, object]]:
        """Start, end (ISO 8601, UTC) and number of rows of each part.

        Parameters
        ----------
        index : pandas.DatetimeIndex
            The rows' times.

        Returns
        -------
        dict
        """
        out = {}
        for name in ("train", "validation", "test"):
            part = index[getattr(self, name)]
            out[name] = {
                "start": part[0].isoformat() if len(part) else None,
                "end": part[-1].isoformat() if len(part) else None,
                "rows": len(part),
            }
        return out


def _parse_bounds(text: str, option: str, usage: str, convert) -> list:
    try:
        bounds = [convert(v.strip()) for v in text.split(",")]
    except (ValueError, TypeError):
        raise InputError(f"{option} {text!r} must be {usage}.") from None
    if len(bounds) not in (2, 3):
        raise InputError(f"{option} {text!r} must be {usage}.")
    return bounds


def _checked(train_end: int, val_end: int, test_end: int, what: str) -> Split:
    if min(train_end, val_end - train_end, test_end - val_end) < 10:
        raise InputError(
            f"{what} leaves fewer than 10 usable rows in train, validation or test"
            f" ({train_end}, {val_end - train_end}, {test_end - val_end})."
        )
    return Split(slice(0, train_end), slice(train_end, val_end), slice(val_end, test_end))


def chronological_split(n: int, split_rows: str | None = None, fractions=(0.7, 0.15)) -> Split:
    """70 / 15 / 15 % in time order, or ``TRAIN_END,VAL_END[,TEST_END]`` row indices of a table
    whose rows are its file rows (see :func:`split_by_file_rows` for cleaned data).

    Parameters
    ----------
    n : int
        Number of rows.
    split_rows : str or None
        ``TRAIN_END,VAL_END[,TEST_END]`` (0-based, half-open).
    fractions : tuple of float
        Train and validation fractions [-] without ``split_rows``.

    Returns
    -------
    Split
    """
    if split_rows:
        return split_by_file_rows(np.arange(n), n, split_rows)
    train_end, val_end = int(n * fractions[0]), int(n * sum(fractions))
    if min(train_end, val_end - train_end, n - val_end) < 10:
        raise InputError(
            f"too few rows ({n}) for a train / validation / test split of 10 rows each."
        )
    return Split(slice(0, train_end), slice(train_end, val_end), slice(val_end, n))


def split_by_file_rows(file_rows: np.ndarray, rows_in_file: int, split_rows: str) -> Split:
    """Split cleaned rows by their data row in the file: ``A,B[,C]`` are 0-based, half-open
    borders (train ``[0, A)``, validation ``[A, B)``, test ``[B, C)``, ``C`` the end of the
    file by default); rows from ``C`` on are left out.

    Parameters
    ----------
    file_rows
        Per cleaned row, its 0-based data row in the file (increasing).
    rows_in_file
        Data rows the file holds.
    """
    usage = "TRAIN_END,VAL_END[,TEST_END] data-row numbers of the file (0-based, increasing)"
    bounds = _parse_bounds(split_rows, "--split-rows", usage, int)
    if len(bounds) == 2:
        bounds.append(rows_in_file)
    if not 0 < bounds[0] < bounds[1] < bounds[2] <= rows_in_file:
        raise InputError(
            f"--split-rows {split_rows!r} must be increasing data-row numbers within the"
            f" {rows_in_file} data rows of the file."
        )
    if np.any(np.diff(file_rows) < 0):
        raise InputError(
            "--split-rows counts rows of the file, but its rows are not in time order:"
            " use --split-dates instead."
        )
    a, b, c = (int(np.searchsorted(file_rows, bound)) for bound in bounds)
    return _checked(a, b, c, f"--split-rows {split_rows!r}")


def split_by_dates(index: pd.DatetimeIndex, split_dates: str) -> Split:
    """Split at timestamps ``TRAIN_END,VAL_END[,TEST_END]`` (each border is the first instant
    of the next part; naive dates are UTC).

    Parameters
    ----------
    index : pandas.DatetimeIndex
        The rows' times (UTC).
    split_dates : str
        ``TRAIN_END,VAL_END[,TEST_END]`` dates.

    Returns
    -------
    Split
    """

    def stamp(text: str) -> pd.Timestamp:
        value = pd.Timestamp(text)
        if value is pd.NaT:
            raise ValueError(text)
        return value.tz_localize("UTC") if value.tzinfo is None else value.tz_convert("UTC")

    usage = "TRAIN_END,VAL_END[,TEST_END] dates such as 2017-06-26,2017-10-24"
    bounds = _parse_bounds(split_dates, "--split-dates", usage, stamp)
    if not all(x < y for x, y in itertools.pairwise(bounds)):
        raise InputError(f"--split-dates {split_dates!r} must be increasing dates.")
    rows = [int(index.searchsorted(b)) for b in bounds]
    if len(rows) == 2:
        rows.append(len(index))
    return _checked(rows[0], rows[1], rows[2], f"--split-dates {split_dates!r}")


def make_split(
    index: pd.DatetimeIndex,
    file_rows: np.ndarray | None,
    rows_in_file: int,
    split_rows: str | None = None,
    split_dates: str | None = None,
) -> Split:
    """The split a training run asked for: ``--split-rows`` (file rows), ``--split-dates``, or
    70 / 15 / 15 % of the cleaned rows.

    Parameters
    ----------
    index : pandas.DatetimeIndex
        The cleaned rows' times.
    file_rows : numpy.ndarray or None
        Each cleaned row's data row in the file.
    rows_in_file : int
        Data rows of the file.
    split_rows : str or None
        ``--split-rows``.
    split_dates : str or None
        ``--split-dates``.

    Returns
    -------
    Split
    """
    if split_rows and split_dates:
        raise InputError("give --split-rows or --split-dates, not both.")
    if split_dates:
        return split_by_dates(index, split_dates)
    if split_rows:
        rows = np.arange(len(index))
        if file_rows is not None and len(file_rows) == len(index):
            rows = file_rows
        return split_by_file_rows(rows, max(rows_in_file, len(index)), split_rows)
    return chronological_split(len(index))


def training_end(split_rows: str | None, split_dates: str | None) -> tuple[int | None, object]:
    """The end of training as a file row or a UTC timestamp, for cleaning statistics.

    Parameters
    ----------
    split_rows : str or None
        ``--split-rows``.
    split_dates : str or None
        ``--split-dates``.

    Returns
    -------
    tuple
        (file row or None, timestamp or None).
    """
    if split_rows:
        try:
            return int(split_rows.split(",")[0]), None
        except ValueError:
            return None, None
    if split_dates:
        try:
            stamp = pd.Timestamp(split_dates.split(",")[0])
        except ValueError:
            return None, None
        return None, stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp
    return None, None


def rolling_origin_folds(n_train_val: int, folds: int = 4) -> list[tuple[slice, slice]]:
    """Expanding-window folds over train+validation: fit on [0, k), test on the next block.

    Parameters
    ----------
    n_train_val : int
        Rows of train + validation.
    folds : int
        Number of folds [-].

    Returns
    -------
    list of (slice, slice)
        Training and test rows of each fold.
    """
    block = n_train_val // (folds + 1)
    return [
        (slice(0, block * (i + 1)), slice(block * (i + 1), block * (i + 2))) for i in range(folds)
    ]
