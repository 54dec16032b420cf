"""Without a rated current the report says what that costs and which option brings it back,
where the missing figure would be (overload events); with it, the figures are there."""

from __future__ import annotations

import dataclasses

import pytest

from thermowatch.data import load_measurements
from thermowatch.data.simulator import simulate_sample, write_sample
from thermowatch.learn.train import TrainOptions, train
from thermowatch.report.blocks import Table
from thermowatch.report.first_page import first_page


@pytest.fixture(scope="module")
def unrated(tmp_path_factory):
    """One training without a rated current (the language only changes the words)."""
    data = tmp_path_factory.mktemp("rating") / "export.csv"
    write_sample(simulate_sample(days=20, seed=3), str(data))
    options = TrainOptions(rated_current_a=None, nonlinear=False, forecast=False)
    return train(load_measurements(data), options)[0]


def key_figures(result, lang):
    result = dataclasses.replace(result, lang=lang)
    (table,) = [b for b in first_page(result, [], None).blocks if isinstance(b, Table)][1:2]
    return {row[0]: row[1] for row in table.rows}


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_missing_rating_names_the_option_where_the_figures_would_be(unrated, lang):
    figures = key_figures(unrated, lang)
    hinted = [name for name, value in figures.items() if "--rated-current" in value]
    # The sample measures its winding, so the loss of life stands; the overloads need the rating.
    word = {"fr": "surcharge", "en": "overload"}[lang]
    assert len(hinted) == 1 and word in hinted[0].lower()


def test_with_the_rating_the_figures_are_computed(sample_training):
    figures = key_figures(sample_training.result, "en")
    assert sample_training.result.rated_current_a is not None
    assert not [value for value in figures.values() if "--rated-current" in value]
    overloads = [value for name, value in figures.items() if "Overload" in name]
    assert overloads and "not computed" not in overloads[0]
