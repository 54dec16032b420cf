"""Chronological splits: never shuffled, because neighbouring samples of a thermal time series
are nearly copies of each other and a shuffled test set only measures interpolation."""

from __future__ import annotations

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
        out = np.full(n, "", dtype=object)
        out[self.train], out[self.validation], out[self.test] = "train", "validation", "test"
        return out

    def describe(self, index: pd.DatetimeIndex) -> dict[str, dict[str, object]]:
        out = {}
        for name in ("train", "validation", "test"):
            part = index[getattr(self, name)]
            out[name] = {
                "start": part[0].isoformat() if len(part) else None,
                "end": part[-1].isoformat() if len(part) else None,
                "rows": len(part),
            }
        return out


def chronological_split(n: int, split_rows: str | None = None, fractions=(0.7, 0.15)) -> Split:
    """70 / 15 / 15 % in time order, or ``TRAIN_END,VAL_END[,TEST_END]`` row indices."""
    if split_rows:
        try:
            bounds = [int(v) for v in split_rows.split(",")]
        except ValueError:
            raise InputError(
                f"--split-rows {split_rows!r} must be TRAIN_END,VAL_END[,TEST_END] row numbers."
            ) from None
        if len(bounds) == 2:
            bounds.append(n)
        if len(bounds) != 3 or not 0 < bounds[0] < bounds[1] < bounds[2] <= n:
            raise InputError(
                f"--split-rows {split_rows!r} must be increasing row numbers within the {n} usable rows."
            )
        train_end, val_end, test_end = bounds
    else:
        train_end, val_end, test_end = int(n * fractions[0]), int(n * sum(fractions)), n
    if min(train_end, val_end - train_end, test_end - val_end) < 10:
        raise InputError(
            f"too few rows ({n}) for a train / validation / test split of 10 rows each."
        )
    return Split(slice(0, train_end), slice(train_end, val_end), slice(val_end, test_end))


def rolling_origin_folds(n_train_val: int, folds: int = 4) -> list[tuple[slice, slice]]:
    """Expanding-window folds over train+validation: fit on [0, k), test on the next block."""
    block = n_train_val // (folds + 1)
    return [
        (slice(0, block * (i + 1)), slice(block * (i + 1), block * (i + 2))) for i in range(folds)
    ]
