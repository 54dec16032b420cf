"""Recommendations quote the numbers planted in the fixture, in the result's language."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from report_fixture import AMBIENT, CURRENT, make_result, measurements_from_frame, with_predictions

from thermowatch.report.i18n import number, tn
from thermowatch.report.recommendations import recommendations


def _by_key(result):
    return {rec.key: rec for rec in recommendations(result)}


def _plant_ten_hours(result):
    """Measured exactly 10 h (60 rows of 10 min, from 2024-01-08 14:00 UTC) above alerte."""
    result = dataclasses.replace(
        result, thresholds=dataclasses.replace(result.thresholds, alerte_c=150, critique_c=170)
    )
    measured = result.predictions["measured"].to_numpy().copy()
    start = 7 * 144 + 14 * 6
    measured[start : start + 60] = 155.0
    return with_predictions(result, measured=measured), slice(start, start + 60)


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_ten_hours_above_alerte_are_quoted_with_season_month_hour_and_load(fr_result, lang):
    result, rows = _plant_ten_hours(dataclasses.replace(fr_result, lang=lang))
    rec = _by_key(result)["threshold_alerte"]
    assert rec.severity == "warning"
    assert rec.figures["hours"] == pytest.approx(10.0)
    assert " 10 h " in rec.text
    assert ("hiver" if lang == "fr" else "winter") in rec.text
    assert ("janvier" if lang == "fr" else "January") in rec.text
    assert 14 <= rec.figures["typical_hour_utc"] <= 23
    load = result.load_pu.iloc[rows]
    assert rec.figures["load_mean_pu"] == pytest.approx(load.mean())
    assert number(load.mean(), lang, 2) in rec.text
    assert "threshold_critique" not in _by_key(result)


def test_never_above_alerte_says_so_with_the_maximum(fr_result):
    result = dataclasses.replace(
        fr_result,
        thresholds=dataclasses.replace(fr_result.thresholds, alerte_c=150, critique_c=170),
    )
    rec = _by_key(result)["threshold_never"]
    assert number(float(result.predictions["measured"].max()), "fr") in rec.text


def test_a_rising_residual_of_one_kelvin_per_month_suggests_inspecting_the_cooling(fr_result):
    assert "cooling_trend_stable" in _by_key(fr_result)
    days = (fr_result.predictions.index - fr_result.predictions.index[0]) / np.timedelta64(1, "D")
    drifting = fr_result.predictions["measured"] + np.asarray(days) / (365.25 / 12)
    rec = _by_key(with_predictions(fr_result, measured=drifting))["cooling_trend"]
    assert rec.severity == "warning"
    assert rec.figures["slope_k_per_month"] == pytest.approx(1.0, abs=0.05)
    assert number(rec.figures["slope_k_per_month"], "fr", 2) in rec.text
    assert "radiateurs" in rec.text and "inspection" in rec.text


def test_missing_ambient_and_missing_load_are_named_with_the_cost():
    result = make_result(measurements_from_frame(drop=(AMBIENT,)), lang="en")
    recs = _by_key(result)
    rec = recs["missing_ambient"]
    assert "ambient temperature sensor" in rec.text
    assert number(result.models["thermal-linear"]["test"]["rmse"], "en", 2) in rec.text
    assert number(result.models["baseline-linear"]["test"]["rmse"], "en", 2) in rec.text
    assert "missing_load" not in recs
    no_load = make_result(
        measurements_from_frame(
            drop=(CURRENT, "puissance active (MW)", "puissance réactive (MVAr)")
        ),
        lang="en",
    )
    assert "missing_load" in _by_key(no_load)
    assert "missing_ambient" not in _by_key(no_load)
    # Columns of unknown quantity that the model treats as loads (ETT's HUFL...) are loads.
    import dataclasses

    treated = dataclasses.replace(no_load, treated_as_load=["HUFL", "LULL"])
    assert "missing_load" not in _by_key(treated)


def test_low_r2_says_the_inputs_do_not_explain_the_target(fr_result):
    models = {**fr_result.models, "thermal-linear": {"test": {"rmse": 5.0, "r2": 0.31}}}
    rec = _by_key(dataclasses.replace(fr_result, models=models))["low_r2"]
    assert "0,31" in rec.text and "n'expliquent pas" in rec.text


def test_ageing_quotes_the_iec_loss_of_life(fr_result):
    rec = _by_key(fr_result)["ageing"]
    hot = fr_result.hot_spot_c.to_numpy()
    expected_days = float(np.sum(2.0 ** ((hot - 98.0) / 6.0)) * 10 / 1440)
    assert rec.figures["loss_of_life_days"] == pytest.approx(expected_days, rel=1e-9)
    assert rec.figures["years_per_year"] == pytest.approx(expected_days / 60.0, rel=1e-3)
    assert number(expected_days, "fr", 2) in rec.text


def test_an_oil_target_without_hot_spot_asks_for_the_winding_temperature():
    meas = measurements_from_frame(drop=("température enroulement (°C)",))
    result = make_result(meas, lang="fr")
    assert result.target_kind == "oil" and result.hot_spot_c is None
    recs = _by_key(result)
    assert "ageing" not in recs
    assert "température d'enroulement" in recs["ageing_needs_winding"].text


def test_overloads_iec_limits_sensor_drivers_and_evaluation(en_result):
    recs = _by_key(en_result)
    load = en_result.load_pu
    assert recs["overload"].figures["max_pu"] == pytest.approx(load.max())
    assert recs["overload"].figures["count"] > 0
    hot_max = float(en_result.hot_spot_c.max())
    if hot_max > 120:
        assert any(key.startswith("iec_hot_spot") for key in recs)
    sensor = recs["sensor_check"]
    assert sensor.figures["column"] == "température enroulement (°C)"
    assert tn("issue.spike", sensor.figures["spike"], "en") in sensor.text  # 1 spike, 2 spikes
    assert "“courant (A)” (62 % of the explained variance)" in recs["drivers"].text
    assert "never shuffled" in recs["evaluation"].text
    assert str(en_result.split["test"]["rows"]) in recs["evaluation"].text


def test_recommendations_are_sorted_by_severity_and_differ_by_language(fr_result, en_result):
    order = {"critical": 0, "warning": 1, "info": 2}
    severities = [order[rec.severity] for rec in recommendations(fr_result)]
    assert severities == sorted(severities)
    fr = [rec.text for rec in recommendations(fr_result)]
    en = [rec.text for rec in recommendations(en_result)]
    assert len(fr) == len(en) and all(a != b for a, b in zip(fr, en, strict=True))


def test_a_single_spike_does_not_move_the_actions(fr_result):
    """Issue 23: the headline action once came from one 106 °C reading at 0.69 pu. A single
    planted reading above both thresholds at the lowest load must leave every action as is."""
    result, _ = _plant_ten_hours(fr_result)
    before = {r.key: r for r in recommendations(result)}
    measured = result.predictions["measured"].to_numpy().copy()
    lowest = int(np.argmin(result.load_pu.to_numpy()))
    measured[lowest] = 200.0  # above alerte (150) and critique (170), at the lowest load
    after = {r.key: r for r in recommendations(with_predictions(result, measured=measured))}
    assert "threshold_critique" not in after  # one reading is not a sustained exceedance
    rec, was = after["threshold_alerte"], before["threshold_alerte"]
    assert rec.text == was.text and rec.figures == was.figures
    assert rec.figures["hours"] == pytest.approx(10.0)
    # The limit is a robust low quantile of the load during the sustained hours.
    load = result.load_pu.iloc[7 * 144 + 14 * 6 :][:60]
    assert rec.figures["limit_load_pu"] == pytest.approx(np.floor(load.quantile(0.05) * 20) / 20)
    assert rec.figures["limit_load_pu"] > result.load_pu.iloc[lowest]


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_actions_carry_urgency_amps_and_local_time(fr_result, lang):
    """A critical limit crossed in the last days of data is for now; the load limit is quoted
    in A as well as pu; times in the site's zone and in UTC."""
    result = dataclasses.replace(
        fr_result,
        lang=lang,
        thresholds=dataclasses.replace(fr_result.thresholds, alerte_c=150, critique_c=170),
    )
    measured = result.predictions["measured"].to_numpy().copy()
    end = len(measured)
    measured[end - 200 : end - 140] = 175.0  # 10 h above critique, a day before the end
    recs = recommendations(with_predictions(result, measured=measured))
    first = recs[0]
    assert first.key == "threshold_critique" and first.urgency == "now"
    amps = first.figures["limit_a"]
    assert amps == pytest.approx(first.figures["limit_load_pu"] * result.rated_current_a)
    assert number(amps, lang, 0) + " A" in first.text
    assert "Europe/Paris" in first.text and "UTC" in first.text
    local = "heure locale" if lang == "fr" else "local time"
    assert local in first.text
    assert [r.urgency for r in recs if r.severity == "info"] == [None] * sum(
        r.severity == "info" for r in recs
    )
