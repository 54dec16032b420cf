"""The record of what validation and cleaning did to the data, step by step.

Step keys are stable identifiers: human texts (French and English) are written elsewhere from
them, so never rename one; add new keys instead.

========================  ========  ===========================================================
key                       counts    meaning
========================  ========  ===========================================================
unparseable_timestamp     rows      rows whose timestamp could not be read: dropped
non_numeric_column        columns   columns without numbers (text, flags): left out
non_numeric_value         values    texts such as "ERR" in a numeric column: set missing
unit_converted            values    temperatures given in K or °F: converted to °C
unsorted_timestamp        rows      rows earlier than the row before them: table sorted
duplicate_timestamp       rows      rows repeating an earlier timestamp: dropped (first kept)
out_of_range              values    physically impossible values (or ±inf): set missing
frozen_sensor             values    a value stuck for hours while other channels move: flagged, kept
spike                     values    readings far from their neighbours on both sides: flagged, kept
constant_column           columns   feature columns with a single value (or none): left out
gap_interpolated          values    short gaps (up to ``max_gap``) filled linearly in time
long_gap_target           rows      rows where the target is missing beyond ``max_gap``: dropped
sparse_column             columns   feature columns still mostly missing: left out
long_gap_feature          rows      rows where a kept feature is missing beyond ``max_gap``:
                                    dropped
========================  ========  ===========================================================
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

Unit = Literal["rows", "values", "columns"]

STEP_KEYS: tuple[str, ...] = (
    "unparseable_timestamp",
    "non_numeric_column",
    "non_numeric_value",
    "unit_converted",
    "unsorted_timestamp",
    "duplicate_timestamp",
    "out_of_range",
    "frozen_sensor",
    "spike",
    "constant_column",
    "gap_interpolated",
    "long_gap_target",
    "sparse_column",
    "long_gap_feature",
)


@dataclass(frozen=True)
class CleaningStep:
    """One validation or cleaning step.

    Attributes
    ----------
    key : str
        Stable machine key, one of :data:`STEP_KEYS`.
    count : int
        Rows, values or columns affected (see ``unit``); 0 when the step found nothing.
    unit : {"rows", "values", "columns"}
        What ``count`` counts.
    detail : str
        Short English detail for logs (columns, first timestamps affected).
    per_column : dict of str to int
        For value steps, the count per column (only columns with a non-zero count).
    """

    key: str
    count: int
    unit: Unit
    detail: str = ""
    per_column: dict[str, int] = field(default_factory=dict)


@dataclass
class CleaningReport:
    """Every step run on the data, in order, with what it changed.

    Attributes
    ----------
    steps : list of CleaningStep
        All steps run, including those that found nothing (count 0).
    rows_in : int
        Rows read from the source.
    rows_out : int
        Rows in the cleaned table.
    """

    steps: list[CleaningStep] = field(default_factory=list)
    rows_in: int = 0
    rows_out: int = 0

    def add(
        self,
        key: str,
        count: int,
        unit: Unit,
        detail: str = "",
        per_column: dict[str, int] | None = None,
    ) -> CleaningStep:
        """Record a step; ``key`` must be one of :data:`STEP_KEYS`.

        Parameters
        ----------
        key : str
            The step.
        count : int
            Rows, values or columns affected.
        unit : str
            What ``count`` counts.
        detail : str
            Language-neutral detail for the report.
        per_column : dict of str to int, optional
            The count per column.

        Returns
        -------
        CleaningStep
        """
        if key not in STEP_KEYS:
            raise ValueError(f"unknown cleaning step key {key!r}")
        nonzero = {name: int(n) for name, n in (per_column or {}).items() if n}
        step = CleaningStep(key=key, count=int(count), unit=unit, detail=detail, per_column=nonzero)
        self.steps.append(step)
        return step

    def get(self, key: str) -> CleaningStep | None:
        """The step with this key, or ``None`` when it was not run.

        Parameters
        ----------
        key : str
            The step.

        Returns
        -------
        CleaningStep or None
        """
        return next((step for step in self.steps if step.key == key), None)

    def count(self, key: str) -> int:
        """Rows/values/columns affected by a step; 0 when it did nothing or was not run.

        Parameters
        ----------
        key : str
            The step.

        Returns
        -------
        int
        """
        step = self.get(key)
        return step.count if step else 0

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form: ``{"rows_in", "rows_out", "steps": [{key, count, unit, ...}]}``."""
        return {
            "rows_in": self.rows_in,
            "rows_out": self.rows_out,
            "steps": [asdict(step) for step in self.steps],
        }
