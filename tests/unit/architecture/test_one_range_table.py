"""One table of physical ranges, one vectorised check, named IEC 60076-7 input limits."""

from __future__ import annotations

import ast
import math

import numpy as np
import pandas as pd
import pytest

from tests.helpers.source import source_trees
from thermowatch.data import quantities as q
from thermowatch.thermal import limits


def _number(node: ast.AST) -> float | None:
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        inner = _number(node.operand)
        return None if inner is None else -inner
    if isinstance(node, ast.Constant) and isinstance(node.value, int | float):
        return float(node.value)
    return None


def test_the_range_rule_is_written_once():
    """Only data/quantities.py reads the table's bounds to decide what is impossible."""
    readers = sorted(
        name
        for name, tree in source_trees()
        if name != "data/quantities.py"
        and any(
            isinstance(n, ast.Attribute | ast.Name)
            and (n.attr if isinstance(n, ast.Attribute) else n.id)
            in ("PHYSICAL_RANGES", "STRICT_LOWER_BOUND")
            for n in ast.walk(tree)
        )
    )
    assert readers == []


@pytest.mark.parametrize(
    "pair", [(-59.0, 69.0), (-60.0, 70.0), (-50.0, 250.0)], ids=["clip", "ambient", "old-range"]
)
def test_input_limits_are_named_once(pair):
    """No module but thermal/limits.py writes the IEC input limits as two numbers side by side
    (a call ``np.clip(x, -59.0, 69.0)``, a tuple ``(-60.0, 70.0)``)."""
    copies = []
    for name, tree in source_trees():
        if name == "thermal/limits.py":
            continue
        for node in ast.walk(tree):
            args = node.args if isinstance(node, ast.Call) else getattr(node, "elts", None)
            numbers = [_number(a) for a in args or ()]
            if any(numbers[i : i + 2] == list(pair) for i in range(len(numbers))):
                copies.append(f"{name}:{node.lineno}")
    assert copies == []


def test_threshold_range_is_the_oil_and_winding_range():
    """learn/thresholds.py keeps its copy to stay import-light (the CLI checks thresholds before
    loading pandas): it must be the table's."""
    from thermowatch.learn.thresholds import THRESHOLD_RANGE_C

    for quantity in (q.TOP_OIL_TEMPERATURE, q.WINDING_TEMPERATURE):
        assert q.physical_range(quantity)[:2] == THRESHOLD_RANGE_C


def test_ambient_range_is_the_thermal_models_one():
    assert q.physical_range(q.AMBIENT_TEMPERATURE)[:2] == limits.AMBIENT_RANGE_C == (-60.0, 70.0)
    assert q.physical_range(q.LOAD_PU)[1] == limits.MAX_LOAD_PU
    low, high = limits.IEC_FEATURE_AMBIENT_C
    assert limits.AMBIENT_RANGE_C[0] < low < high < limits.AMBIENT_RANGE_C[1]


@pytest.mark.parametrize("quantity", q.QUANTITIES)
def test_vectorised_check_equals_the_one_value_check(quantity):
    rng = np.random.default_rng(7)
    low, high, _ = q.physical_range(quantity)
    edges = [v for v in (low, high) if math.isfinite(v)]
    values = np.concatenate(
        [
            rng.uniform(-1e3, 1e3, 300),
            rng.normal(0, 1e7, 100),
            np.array(edges) if edges else np.zeros(0),
            np.nextafter(edges, np.inf) if edges else np.zeros(0),
            np.nextafter(edges, -np.inf) if edges else np.zeros(0),
            [np.inf, -np.inf, 0.0],
        ]
    )
    vector = q.impossible(quantity, values)
    one_by_one = [q.out_of_range(quantity, float(v)) is not None for v in values]
    assert vector.tolist() == one_by_one
    assert [bool(q.impossible(quantity, float(v))) for v in values] == one_by_one
    assert not q.impossible(quantity, np.array([np.nan])).any()  # missing, not impossible


def test_cleaning_and_live_validation_refuse_the_same_ambient():
    from thermowatch.data.clean import CleaningOptions, mask_out_of_range
    from thermowatch.data.columns import ColumnInfo
    from thermowatch.data.report import CleaningReport
    from thermowatch.live.validate import REJECTED, check_value

    values = [-61.0, -60.0, 25.0, 70.0, 70.5, 120.0]
    frame = pd.DataFrame({"amb": values})
    info = {"amb": ColumnInfo("amb", q.AMBIENT_TEMPERATURE, "°C")}
    cleaned = mask_out_of_range(frame, info, CleaningOptions(), CleaningReport())
    masked = cleaned["amb"].isna().tolist()
    assert masked == [True, False, False, False, True, True]
    live = [check_value("amb", v, q.AMBIENT_TEMPERATURE).verdict != "GOOD" for v in values]
    assert live == masked
    assert REJECTED  # the live check's refusals are stored with their reason (live/validate)
