"""Without a rated current the report says what that costs and which option brings it back,
where the missing figure would be (overload events); with it, the figures are there."""

from __future__ import annotations

import pytest

from thermowatch.data import load_measurements
from thermowatch.data.simulator import RATED_CURRENT_A, simulate_sample, write_sample
from thermowatch.learn.train import TrainOptions, train
from thermowatch.report.blocks import Table
from thermowatch.report.first_page import first_page


@pytest.fixture(scope="module")
def measurements(tmp_path_factory):
    data = tmp_path_factory.mktemp("rating") / "export.csv"
    write_sample(simulate_sample(days=20, seed=3), str(data))
    return load_measurements(data)


def key_figures(measurements, rated_current_a, lang):
    options = TrainOptions(rated_current_a=rated_current_a, nonlinear=False, lang=lang)
    result, _ = train(measurements, options)
    (table,) = [b for b in first_page(result, [], None).blocks if isinstance(b, Table)][1:2]
    return {row[0]: row[1] for row in table.rows}


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_missing_rating_names_the_option_where_the_figures_would_be(measurements, lang):
    figures = key_figures(measurements, None, lang)
    hinted = [name for name, value in figures.items() if "--rated-current" in value]
    # The sample measures its winding, so the loss of life stands; the overloads need the rating.
    word = {"fr": "surcharge", "en": "overload"}[lang]
    assert len(hinted) == 1 and word in hinted[0].lower()


def test_with_the_rating_the_figures_are_computed(measurements):
    figures = key_figures(measurements, RATED_CURRENT_A, "en")
    assert not [value for value in figures.values() if "--rated-current" in value]
    overloads = [value for name, value in figures.items() if "Overload" in name]
    assert overloads and "not computed" not in overloads[0]
