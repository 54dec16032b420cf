"""Measurement data: reading files, column mapping and units, validation and cleaning.

Public API::

    load_measurements(path, *, target=None, sheet=None, mapping=None, options=None)
        -> Measurements
    clean_measurements(frame, *, target=None, mapping=None, options=None, source="<table>")
        -> Measurements
    read_table(path, sheet=None) -> pandas.DataFrame   # raw, before cleaning

Cleaning step keys are listed in :mod:`thermowatch.data.report`; quantity names in
:mod:`thermowatch.data.quantities`.
"""

from thermowatch.data.clean import CleaningOptions, infer_step
from thermowatch.data.columns import ColumnInfo, classify_quantity, split_unit
from thermowatch.data.mapping import ColumnMapping, load_mapping
from thermowatch.data.measurements import (
    Measurements,
    Readings,
    clean_measurements,
    load_measurements,
    read_readings,
)
from thermowatch.data.quantities import QUANTITIES
from thermowatch.data.read import read_table
from thermowatch.data.report import STEP_KEYS, CleaningReport, CleaningStep

__all__ = [
    "QUANTITIES",
    "STEP_KEYS",
    "CleaningOptions",
    "CleaningReport",
    "CleaningStep",
    "ColumnInfo",
    "ColumnMapping",
    "Measurements",
    "Readings",
    "classify_quantity",
    "clean_measurements",
    "infer_step",
    "load_mapping",
    "load_measurements",
    "read_readings",
    "read_table",
    "split_unit",
]
