"""A model's answer is reported inside the physical range, or not at all (issue 12, item 2)."""

from __future__ import annotations

import math

import pytest

from thermowatch.data import quantities as q


def test_an_answer_in_range_is_kept():
    assert q.bounded_prediction(q.WINDING_TEMPERATURE, 98.5) == (98.5, None)


def test_an_answer_hotter_than_physics_is_reported_at_the_bound_with_a_note():
    value, note = q.bounded_prediction(q.WINDING_TEMPERATURE, 327.48)
    assert value == q.MAX_TEMPERATURE_C == 250.0
    assert "327.5" in note and "above the physical range" in note


@pytest.mark.parametrize("answer", [-335.0, -7.8e32, math.nan, math.inf, -math.inf])
def test_colder_than_physics_or_not_finite_is_no_prediction(answer):
    value, reason = q.bounded_prediction(q.TOP_OIL_TEMPERATURE, answer)
    assert value is None and reason.startswith("no prediction")
