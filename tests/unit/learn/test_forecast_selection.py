"""Forecasters chosen by rolling-origin validation: the pooled NLinear, the weighted ensemble,
the served refit on train + validation."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from thermowatch.errors import InputError
from thermowatch.learn.models import model_from_dict
from thermowatch.learn.models.ensemble import EnsembleForecast
from thermowatch.learn.models.forecast import NLinearForecast
from thermowatch.learn.models.pooled import PooledForecast, validation_folds

LOOKBACK, HORIZON = 48, 12


def _series(n: int, seed: int, noise: float = 0.3) -> np.ndarray:
    """A daily cycle with slowly wandering amplitude and level, plus noise (hourly)."""
    rng = np.random.default_rng(seed)
    t = np.arange(n)
    level = np.cumsum(rng.normal(0, 0.05, n))
    amplitude = 2 + np.sin(t / 500)
    return 30 + level + amplitude * np.sin(2 * np.pi * t / 24) + rng.normal(0, noise, n)


def _setup(n: int = 2400, other: str = "same"):
    index = pd.date_range("2024-01-01", periods=n, freq="1h", tz="UTC")
    y = _series(n, 0, noise=0.8)
    channels = {
        # Another channel with the same rhythm, longer history than the target's usable past.
        "same": _series(n, 1, noise=0.1),
        # Another rhythm (a 7-hour cycle): its windows teach the wrong continuation.
        "unrelated": 5 * np.sin(2 * np.pi * np.arange(n) / 7)
        + np.random.default_rng(2).normal(0, 0.1, n),
    }
    features = pd.DataFrame({"load": channels[other]}, index=index)
    step = pd.Timedelta("1h")
    train_end, val_end = int(0.6 * n), int(0.8 * n)
    fit_rows = np.zeros(n, bool)
    fit_rows[:train_end] = True
    val_origins = np.arange(train_end - 1, val_end - HORIZON)
    return y, index, step, features, fit_rows, val_origins, train_end, val_end


def _pooled(other: str) -> PooledForecast:
    y, index, step, features, fit_rows, val_origins, train_end, _ = _setup(other=other)
    model = PooledForecast(lookback=LOOKBACK, horizon=HORIZON, pooled=["load"])
    return model.fit(y, index, step, features, None, fit_rows, val_origins, train_end)


def test_pool_weight_follows_validation_not_a_constant():
    """A channel with the target's rhythm is pooled; one with another rhythm is not (weight 0
    is NLinear)."""
    assert _pooled("same").pool_weight > 0
    assert _pooled("unrelated").pool_weight == 0


def test_pool_weight_zero_is_nlinear_and_round_trips():
    y, index, step, features, fit_rows, val_origins, train_end, _ = _setup()
    pooled = PooledForecast(lookback=LOOKBACK, horizon=HORIZON, pooled=["load"], pool_weight=0.0)
    pooled.fit(
        y, index, step, features, None, fit_rows, val_origins[:0], train_end, penalties=(1e-3,)
    )
    plain = NLinearForecast(lookback=LOOKBACK, horizon=HORIZON)
    plain.fit(y, index, step, None, None, fit_rows, val_origins, train_end, penalties=(1e-3,))
    np.testing.assert_allclose(pooled.coef, plain.coef, atol=1e-8)
    np.testing.assert_allclose(pooled.intercept, plain.intercept, atol=1e-8)
    again = model_from_dict(json.loads(json.dumps(_pooled("same").to_dict())))
    assert isinstance(again, PooledForecast) and again.pool_weight > 0
    origins = np.array([2000, 2100])
    np.testing.assert_allclose(
        again.forecast(y, index, step, None, None, origins),
        _pooled("same").forecast(y, index, step, None, None, origins),
    )


def test_served_refit_learns_from_validation_rows():
    """The refit on train + validation sees windows the train-only fit never saw: a regime
    that starts in validation is forecast better by the refit, on the same test windows."""
    n = 2400
    index = pd.date_range("2024-01-01", periods=n, freq="1h", tz="UTC")
    t = np.arange(n)
    rng = np.random.default_rng(5)
    # A 12-hour cycle appears at the start of validation and lasts.
    y = 20 + np.where(t >= 1440, 3 * np.sin(2 * np.pi * t / 12), 0) + rng.normal(0, 0.1, n)
    step = pd.Timedelta("1h")
    train = np.zeros(n, bool)
    train[:1440] = True
    train_val = np.zeros(n, bool)
    train_val[:1920] = True
    val_origins = np.arange(1439, 1920 - HORIZON)
    held = PooledForecast(lookback=LOOKBACK, horizon=HORIZON).fit(
        y, index, step, None, None, train, val_origins, 1440
    )
    served = PooledForecast(lookback=LOOKBACK, horizon=HORIZON).fit(
        y, index, step, None, None, train_val, val_origins[:0], 1920,
        penalties=(held.penalty,), scaling_rows=train,
    )  # fmt: skip
    test = np.arange(1920, n - HORIZON)
    truth = np.array([y[o + 1 : o + 1 + HORIZON] for o in test])
    err = {
        name: float(np.mean((m.forecast(y, index, step, None, None, test) - truth) ** 2))
        for name, m in (("held", held), ("served", served))
    }
    assert err["served"] < 0.1 * err["held"]


def test_rolling_origin_periods_precede_validation_with_history_before_them():
    positions = np.arange(10_000)
    val_origins = np.arange(7_999, 10_000 - 96)
    folds = validation_folds(positions, val_origins, 336, 96)
    starts = [start for start, _ in folds]
    assert starts == [8_000, 6_000, 4_000]  # validation, then two periods of its length
    for start, origins in folds[1:]:
        assert origins.min() + 1 >= start and origins.max() + 96 < start + 2_000
        assert len(origins) <= len(val_origins)
    # Too little history before a third period: it is not scored.
    assert len(validation_folds(positions, val_origins, 2_000, 96)) == 2


def test_weighted_ensemble_is_the_weighted_mean_and_refuses_bad_weights():
    y, index, step, _features, fit_rows, val_origins, train_end, _ = _setup()
    a = NLinearForecast(lookback=LOOKBACK, horizon=HORIZON).fit(
        y, index, step, None, None, fit_rows, val_origins, train_end
    )
    b = _pooled("same")
    ensemble = EnsembleForecast([a, b], weights=[0.25, 0.75])
    origins = np.array([2000, 2200])
    expected = 0.25 * a.forecast(y, index, step, None, None, origins) + 0.75 * b.forecast(
        y, index, step, None, None, origins
    )
    again = model_from_dict(json.loads(json.dumps(ensemble.to_dict())))
    np.testing.assert_allclose(again.forecast(y, index, step, None, None, origins), expected)
    broken = ensemble.to_dict() | {"weights": [0.9, 0.9]}
    with pytest.raises(InputError, match="weights"):
        model_from_dict(broken)


def _forecasters(pooled: tuple, ensemble: tuple) -> list:
    """Rolling-origin candidates: two members and their combination (errors by period)."""
    from thermowatch.learn.selection import Candidate

    def candidate(name, errors, parameters, **kwargs):
        return Candidate(
            name, float(np.mean(errors)), parameters, errors_by_period=errors, **kwargs
        )

    pair = ("forecast-pooled", "forecast-direct")
    return [
        candidate("forecast-pooled", pooled, 3_000),
        candidate("forecast-direct", tuple(e + 0.1 for e in pooled), 9_000),
        candidate("forecast-ensemble", ensemble, 12_000, nests=pair, combines=pair),
    ]


def test_combination_served_when_the_winner_is_not_clearly_better_period_by_period():
    """The member with the lowest mean (0.6900 vs 0.6933) loses one of three periods to the
    combination: its mean advantage (0.0033) is below one standard error (0.0067) of the paired
    differences, so the combination is served (the lowest mean alone served the member)."""
    from thermowatch.learn.selection import choose, combination_holds

    candidates = _forecasters((0.79, 0.63, 0.65), (0.78, 0.64, 0.66))
    verdict = choose("forecast", candidates)
    assert verdict.chosen == "forecast-ensemble"
    assert verdict.runner_up == "forecast-pooled"
    assert verdict.reason_key == "combination"
    assert verdict.reason_values == {"other": "forecast-pooled", "periods": 3}
    assert combination_holds(candidates[2], candidates[0])


def test_member_served_when_clearly_better_on_every_period():
    """A member better in every period (mean 0.020, standard error 0.003) is served; so is one
    whose advantage is large though it loses a period (mean 0.26, standard error 0.14)."""
    from thermowatch.learn.selection import choose, combination_holds

    verdict = choose("forecast", _forecasters((0.76, 0.62, 0.64), (0.78, 0.645, 0.655)))
    assert verdict.chosen == "forecast-pooled" and verdict.reason_key == "lowest"
    lucky = _forecasters((0.50, 0.50, 0.50), (0.49, 0.90, 0.90))
    assert not combination_holds(lucky[2], lucky[0])
    assert choose("forecast", lucky).chosen == "forecast-pooled"


def test_one_period_lower_error_decides():
    """With a single period there is no spread to weigh: the lower error wins either way."""
    from thermowatch.learn.selection import choose

    assert choose("forecast", _forecasters((0.79,), (0.80,))).chosen == "forecast-pooled"
    assert choose("forecast", _forecasters((0.81,), (0.80,))).chosen == "forecast-ensemble"
