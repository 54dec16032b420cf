"""Threshold rules: IEC 60076-7 for winding and top oil, the data rule otherwise, given values
first; conflicts refused with one sentence."""

from __future__ import annotations

import numpy as np
import pytest

from thermowatch.errors import InputError
from thermowatch.learn.thresholds import check_pair, choose_thresholds, data_thresholds
from thermowatch.thermal import relative_ageing_rate

VALUES = np.linspace(40, 100, 10_000)


def test_winding_alert_is_where_paper_ages_twice_as_fast():
    th = choose_thresholds(VALUES, "winding")
    assert (th.alerte_c, th.critique_c, th.rule) == (104.0, 120.0, "iec")
    assert float(relative_ageing_rate(th.alerte_c)) == pytest.approx(2.0)
    assert "100 / 105" in th.explanation  # the data rule, kept for comparison


def test_top_oil_uses_the_iec_top_oil_limits():
    th = choose_thresholds(VALUES, "oil")
    assert (th.alerte_c, th.critique_c, th.rule) == (105.0, 115.0, "iec")


def test_other_quantities_use_the_data_rule():
    th = choose_thresholds(VALUES, "other")
    assert th.rule == "data" and (th.alerte_c, th.critique_c) == data_thresholds(VALUES)
    assert th.alerte_c == np.ceil(np.percentile(VALUES, 99))


def test_given_thresholds_win():
    th = choose_thresholds(VALUES, "winding", alerte_c=95, critique_c=110, source="config")
    assert (th.alerte_c, th.critique_c, th.rule) == (95.0, 110.0, "config")


@pytest.mark.parametrize(
    ("alerte", "critique", "message"),
    [
        (120, 100, "must be above alerte"),
        (90, None, "give both"),
        (90, 400, "between -60 and 250"),
        (float("nan"), 100, "threshold alerte"),
    ],
)
def test_conflicts_are_one_sentence(alerte, critique, message):
    with pytest.raises(InputError, match=message):
        check_pair(alerte, critique)
