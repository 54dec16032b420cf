"""Issue 23: physical checks in the report — fans and pumps when the residual shows reduced
cooling at high load; oil level and DGA when the residual says the transformer changed."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd

from thermowatch.report.recommendations import HIGH_LOAD_EXCESS_K, recommendations


def _with_residual(result, extra):
    """``result`` whose measured temperature is shifted by ``extra(load_pu, times, held)`` [K]
    on the held-out rows (``held``)."""
    pred = result.predictions.copy()
    held = (pred["split"] != "train").to_numpy()
    load = result.load_pu.reindex(pred.index).to_numpy(dtype=float)
    shift = np.where(held, extra(load, pred.index, held), 0.0)
    pred["measured"] = pred["predicted"] + 0.1 * np.sin(np.arange(len(pred))) + shift
    return dataclasses.replace(result, predictions=pred)


def _keys(result):
    return {r.key: r for r in recommendations(result)}


def test_reduced_cooling_at_high_load_names_fans_and_pumps(fr_result, en_result):
    def hot_when_loaded(load, _times, held):
        high = load >= np.nanquantile(load[held], 0.9)
        return np.where(high, HIGH_LOAD_EXCESS_K + 1.0, 0.0)

    found = _keys(_with_residual(fr_result, hot_when_loaded))["cooling_high_load"]
    assert found.figures["excess_k"] > HIGH_LOAD_EXCESS_K
    assert found.urgency == "this_month"
    assert "ventilateurs" in found.text and "pompes" in found.text
    english = _keys(_with_residual(en_result, hot_when_loaded))["cooling_high_load"]
    assert "fans" in english.text


def test_no_fan_check_when_the_residual_does_not_depend_on_load(fr_result):
    assert "cooling_high_load" not in _keys(
        _with_residual(fr_result, lambda load, _t, _h: 0.0 * load)
    )


def test_a_transformer_that_changed_gets_oil_level_and_dga_checks(fr_result, en_result):
    def rising(_load, times, _held):
        return 2.0 * (times - times[0]) / pd.Timedelta("30D")  # 2 K per month

    found = _keys(_with_residual(fr_result, rising))
    assert "cooling_trend" in found
    assert "niveau d'huile" in found["oil_dga_check"].text
    assert "DGA" in found["oil_dga_check"].text
    assert "dissolved gas" in _keys(_with_residual(en_result, rising))["oil_dga_check"].text
    steady = _keys(_with_residual(fr_result, lambda load, _t, _h: 0.0 * load))
    assert "oil_dga_check" not in steady
