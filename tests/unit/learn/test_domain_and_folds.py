"""Issue 23: seasons only where seen, bounded terms, a domain of validity, stable folds."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from thermowatch.data import Measurements
from thermowatch.data.report import CleaningReport
from thermowatch.learn.domain import Domain, full_year, month_distance, months_seen
from thermowatch.learn.features import FeatureSpec, build_features, with_drift
from thermowatch.learn.models.normal import MonotoneThermal
from thermowatch.learn.split import Split
from thermowatch.learn.train_normal import (
    fold_stability,
    fold_verdicts,
    rolling_folds,
    stable_candidates,
)
from thermowatch.learn.training_data import TrainingData, TrainOptions

SPEC = FeatureSpec(
    inputs=("load",),
    load_inputs=("load",),
    ambient_inputs=(),
    time_constants_min=(60.0, 480.0),
    calendar=True,
    scales={"load": 1.0},
    seasonal=True,
)


def _synthetic(days: int, start: str = "2021-03-01", seed: int = 0) -> pd.DataFrame:
    """Hourly load with a daily shape; the temperature follows load² and a season of ±12 K."""
    rng = np.random.default_rng(seed)
    index = pd.date_range(start, periods=24 * days, freq="h", tz="UTC")
    hours = index.hour.to_numpy()
    load = 0.6 + 0.3 * np.sin(2 * np.pi * (hours - 8) / 24) + 0.05 * rng.standard_normal(len(index))
    season = 12 * np.sin(2 * np.pi * (index.day_of_year.to_numpy() - 100) / 365.25)
    frame = pd.DataFrame({"load": load}, index=index)
    smooth = build_features(frame, SPEC)["load² ~480min"].to_numpy()
    frame["y"] = 30 + 25 * smooth + season + 0.3 * rng.standard_normal(len(index))
    return frame


def _fit(
    frame: pd.DataFrame, train_days: int, val_days: int
) -> tuple[MonotoneThermal, pd.DataFrame]:
    features = build_features(frame, SPEC)
    days = (frame.index - frame.index[0]) / pd.Timedelta("1D")
    fit_rows = np.asarray(days < train_days)
    val_rows = np.asarray((days >= train_days) & (days < train_days + val_days))
    model = MonotoneThermal().fit(
        features, frame["y"].to_numpy(), fit_rows, val_rows, SPEC, refit_rows=fit_rows | val_rows
    )
    return model, features


def test_months_seen_counts_months_with_a_week_of_data():
    index = pd.date_range("2021-01-25", "2021-03-05", freq="h", tz="UTC")
    assert months_seen(index) == (2,)  # January has 7 days minus an hour, March 4 days
    assert not full_year(months_seen(index))
    assert full_year(months_seen(pd.date_range("2021-01-01", periods=365 * 24, freq="h")))
    assert month_distance(np.array([1, 6, 12]), (11, 12)).tolist() == [1.0, 5.0, 0.0]


def test_less_than_a_year_has_no_day_of_year_term_and_stays_bounded():
    """Three months of spring: no day-of-year weight; the drift ramps hold the level of the end
    of training instead of extrapolating a season never seen."""
    frame = _synthetic(400)
    model, features = _fit(frame, 75, 15)
    used = model.linear.features
    assert not {"doy_sin", "doy_cos"} & set(used)
    assert sum(name.startswith("drift ") for name in used) == 4
    late = frame.index >= frame.index[0] + pd.Timedelta("200D")
    predicted = model.predict(features[late])
    seen = frame["y"].to_numpy()[: 90 * 24]
    span = seen.max() - seen.min()
    assert seen.min() - span < predicted.min() and predicted.max() < seen.max() + span
    # Held beyond training: the same load at the same hour gives the same temperature.
    drift = with_drift(features, used)[[n for n in used if n.startswith("drift ")]]
    assert np.ptp(drift[late].to_numpy(), axis=0).max() == 0.0


def test_a_full_year_keeps_its_seasonal_terms():
    frame = _synthetic(400)
    model, _ = _fit(frame, 370, 20)
    used = model.linear.features
    assert {"doy_sin", "doy_cos"} <= set(used)
    assert not any(name.startswith("drift ") for name in used)


def test_domain_distance_clip_and_round_trip():
    frame = _synthetic(60, start="2021-05-01")
    y = frame["y"].to_numpy()
    domain = Domain.of(frame, ["load"], y, np.ones(len(frame), dtype=bool))
    assert domain.months == (5, 6)
    low, high = domain.ranges["load"]
    inside = frame.iloc[:48]
    assert (domain.distance(inside) == 0).all()
    outside = inside.assign(load=high + (high - low))  # one width above: distance ≈ 0.98
    assert domain.distance(outside) == pytest.approx(np.full(48, 0.98))
    assert (domain.clip(outside)["load"] == high).all()
    december = inside.set_axis(inside.index + pd.Timedelta("214D"))  # late November/December
    assert (domain.distance(december) > 0.8).all()
    assert domain.distance_one({"load": high * 3}, 5) > 0
    assert Domain.from_dict(domain.to_dict()) == domain


def test_folds_go_through_the_served_fit():
    """A fold's error is that of the model's own fit on the rows before it (same penalty)."""
    frame = _synthetic(120)
    model, features = _fit(frame, 80, 20)
    y = frame["y"].to_numpy()
    n = len(frame)
    rows = np.ones(n, dtype=bool)
    split = Split(slice(0, 80 * 24), slice(80 * 24, 100 * 24), slice(100 * 24, n))
    measurements = Measurements(
        frame, "y", {}, CleaningReport(rows_in=n), "synthetic", pd.Timedelta("1h")
    )
    data = TrainingData(
        measurements, TrainOptions(), split, SPEC, features, y,
        train_rows=rows, fit_rows=rows, clean_val=rows, suspect=~rows,
    )  # fmt: skip
    folds = rolling_folds(model, data)
    assert len(folds) == 4
    block = split.validation.stop // 5
    again = MonotoneThermal().fit(
        features, y, np.arange(n) < block, None, SPEC, penalties=(model.linear.alpha,)
    )
    err = again.predict(features.iloc[block : 2 * block]) - y[block : 2 * block]
    assert folds[0]["rmse"] == pytest.approx(float(np.sqrt(np.mean(err**2))))
    assert all(np.isfinite(f["baseline_rmse"]) for f in folds)


def test_a_candidate_with_a_blown_up_fold_is_not_served():
    steady = [{"rmse": r} for r in (1.0, 1.2, 1.1, 1.3)]
    wild = [{"rmse": r} for r in (1.0, 1.2, 9.0, 1.1)]
    assert fold_stability(steady)["stable"] and not fold_stability(wild)["stable"]
    assert fold_stability(wild)["worst_rmse"] == 9.0
    assert fold_stability(wild)["median_rmse"] == pytest.approx(1.15)
    made = stable_candidates({"a": (0.5, 20), "b": (0.9, 18)}, {"a": wild, "b": steady})
    assert [c.servable for c in made] == [False, True]
    assert "worst rolling-origin fold 9 K" in made[0].why_not
    # When every candidate is unstable, the one with the smallest worst fold is still served.
    worse = [{"rmse": r} for r in (1.0, 1.2, 20.0, 1.1)]
    made = stable_candidates({"a": (0.5, 20), "b": (0.9, 18)}, {"a": wild, "b": worse})
    assert [c.servable for c in made] == [True, False]


def test_fold_verdicts_mark_the_served_candidate_and_its_ratio():
    """metrics.json holds, per candidate, worst / median fold, their ratio against the limit of
    3, and which one is served; an unstable served one is served only when all are unstable."""
    wild = [{"rmse": r} for r in (1.0, 1.2, 9.0, 1.1)]
    worse = [{"rmse": r} for r in (1.0, 1.2, 20.0, 1.1)]
    verdicts = fold_verdicts({"a": wild, "b": worse}, "a")
    assert verdicts["a"]["ratio"] == pytest.approx(9.0 / 1.15)
    assert verdicts["a"]["served"] and not verdicts["a"]["stable"]
    assert not verdicts["b"]["served"] and verdicts["b"]["limit"] == 3.0
