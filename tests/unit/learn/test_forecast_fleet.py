"""Fleet forecasts: ``Predictor.forecast_many`` gives, history by history, the numbers of the
one-transformer path (features over the filters' warm-up in pandas, the forecaster's own
single-series ``forecast``), within 1e-9 K, whatever the histories look like."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest

from thermowatch.errors import InputError
from thermowatch.learn.artifact import load_model
from thermowatch.learn.features import build_features, feature_arrays, minutes_between
from thermowatch.learn.models.ensemble import EnsembleForecast
from thermowatch.learn.models.forecast import DirectForecast, NLinearForecast


@pytest.fixture(scope="module")
def served(sample_training, sample_training_dir):
    """The learning sample's model (45 simulated days), loaded as the service loads it."""
    return load_model(sample_training_dir), sample_training.measurements.frame


def _one_by_one(predictor, history: pd.DataFrame, steps: int) -> np.ndarray:
    """The forecast as the one-transformer path computed it before fleets (the reference)."""
    history = history.sort_index()
    y = history[predictor.target].to_numpy(dtype=np.float64)
    last = int(np.flatnonzero(np.isfinite(y))[-1])
    history, y = history.iloc[: last + 1], y[: last + 1]
    readings = history[list(predictor.variables)].ffill().bfill()
    members = getattr(predictor.forecaster, "members", [predictor.forecaster])
    features, normal = None, np.full(len(history), np.nan)
    if any(m.exogenous for m in members):
        minutes = predictor.feature_spec.warmup_minutes / (predictor.step / pd.Timedelta("1min"))
        rows = min(len(readings), int(np.ceil(minutes)) + 2)
        tail = readings.iloc[-rows:]
        built = build_features(tail, predictor.feature_spec)
        normal[-rows:] = predictor.model.predict(
            built[list(predictor.model.features)].to_numpy(dtype=np.float64)
        )
        features = built.reindex(readings.index)
    origin = np.array([len(history) - 1])
    path = predictor.forecaster.forecast(y, history.index, predictor.step, features, normal, origin)
    return path[0][:steps]


def _histories(frame: pd.DataFrame, target: str, rows: int) -> list[pd.DataFrame]:
    """A fleet with every kind of history the live path meets."""
    rng = np.random.default_rng(3)
    ends = np.linspace(rows + 10, len(frame) - 1, 8).astype(int)
    fleet = [frame.iloc[end - rows : end].copy() for end in ends]  # same steps: one group
    for history in fleet:
        history[target] += rng.normal(0, 3)  # another transformer, another level
    holed = frame.iloc[ends[0] - rows : ends[0]].copy()
    holed.iloc[[40, 41, 42, 300], holed.columns.get_loc(target)] = np.nan  # target holes
    holed.iloc[-3:, holed.columns.get_loc(target)] = np.nan  # not measured yet: trimmed
    loads = [c for c in holed.columns if c != target]
    holed.iloc[-30:-20, holed.columns.get_loc(loads[0])] = np.nan  # a reading held forward
    holed.iloc[:5, holed.columns.get_loc(loads[-1])] = np.nan  # leading: held back
    gap = frame.iloc[ends[1] - rows - 50 : ends[1]].drop(frame.index[ends[1] - 200 : ends[1] - 150])
    short = frame.iloc[ends[2] - 60 : ends[2]]  # shorter than the lookback and the warm-up
    shuffled = frame.iloc[ends[3] - rows : ends[3]].sample(frac=1.0, random_state=1)
    return [*fleet, holed, gap, short, shuffled]


def _with(predictor, forecaster):
    return dataclasses.replace(predictor, forecaster=forecaster, _cache={})


def _forecasters(predictor):
    """The trained forecaster, its member with filters (``direct``), a forecaster of the past
    target alone, and their ensembles, equal and weighted (arbitrary weights: equality does
    not need good ones)."""
    rng = np.random.default_rng(0)
    trained = predictor.forecaster
    horizon = int(trained.horizon)
    nlinear = NLinearForecast(
        lookback=200, horizon=horizon, level=60.0, spread=5.0,
        coef=rng.normal(0, 0.01, (199, horizon)), intercept=rng.normal(0, 0.01, horizon),
    )  # fmt: skip
    members = trained.members if isinstance(trained, EnsembleForecast) else [trained]
    direct = next(m for m in members if isinstance(m, DirectForecast) and m.exogenous)
    return {
        "trained": trained,
        "nlinear": nlinear,
        "ensemble": EnsembleForecast([direct, nlinear]),
        "weighted": EnsembleForecast([direct, nlinear], [0.25, 0.75]),
        "direct": direct,
    }


@pytest.mark.parametrize("kind", ["trained", "nlinear", "ensemble", "weighted"])
def test_fleet_forecasts_equal_the_one_by_one_forecasts(served, kind):
    predictor, frame = served
    predictor = _with(predictor, _forecasters(predictor)[kind])
    rows = int(np.ceil(predictor.metadata["forecast_history_minutes"] / 10.0)) + 1
    histories = _histories(frame, predictor.target, rows)
    steps = 144  # 24 h at 10 min
    many = predictor.forecast_many(histories, steps)
    assert len(many) == len(histories)
    for history, made in zip(histories, many, strict=True):
        assert not isinstance(made, InputError), made
        reference = _one_by_one(predictor, history, steps)
        np.testing.assert_allclose(made.frame["predicted"], reference, rtol=0, atol=1e-9)
        alone = predictor.forecast(history, steps)
        pd.testing.assert_frame_equal(made.frame, alone.frame, check_exact=False, atol=1e-9)
        assert made.origin == alone.origin == history[predictor.target].dropna().index.max()
        assert made.frame.index[0] == made.origin + pd.Timedelta("10min")
    # The forecasts differ from one transformer to the next: the rows were not mixed up.
    firsts = [m.frame["predicted"].iloc[0] for m in many]
    assert len(set(np.round(firsts, 6))) == len(firsts)


def test_a_bad_history_gets_its_error_and_leaves_the_others(served):
    predictor, frame = served
    good = frame.iloc[-800:]
    unmeasured = good.copy()
    unmeasured[predictor.target] = np.nan
    lacking = good.drop(columns=[predictor.variables[0]])
    noted = good.assign(note="ok")[[*good.columns[::-1], "note"]]  # text, other order
    many = predictor.forecast_many([good, unmeasured, lacking, good, noted], "6h")
    assert isinstance(many[1], InputError) and "measured values" in str(many[1])
    assert isinstance(many[2], InputError) and predictor.variables[0] in str(many[2])
    pd.testing.assert_frame_equal(many[0].frame, many[3].frame)
    pd.testing.assert_frame_equal(many[0].frame, many[4].frame)
    assert len(many[0].frame) == 36
    with pytest.raises(InputError, match="lack the variable"):
        predictor.forecast(lacking)


def test_fleet_features_equal_each_transformers_features(served):
    """The filters, IEC estimate and calendar terms of a fleet (2-D arrays sharing the time
    steps) equal each transformer's own, irregular steps included."""
    predictor, frame = served
    spec = predictor.feature_spec
    rows = frame.iloc[1000:1400].drop(frame.index[1100:1130])  # a gap: irregular steps
    index = rows.index
    fleet = [rows[list(spec.inputs)] * (1.0 + 0.1 * k) for k in range(3)]
    values = {c: np.stack([f[c].to_numpy() for f in fleet]) for c in spec.inputs}
    times = index.append([index, index])
    arrays = feature_arrays(values, minutes_between(index), times, spec)
    for k, readings in enumerate(fleet):
        alone = build_features(readings, spec)
        assert list(arrays) == list(alone.columns)
        for column in alone.columns:
            np.testing.assert_allclose(arrays[column][k], alone[column], rtol=1e-12, atol=1e-9)


def _another_transformer(predictor, factor: float):
    """The same design on another transformer: other load scales and rated current."""
    spec = predictor.feature_spec
    iec = {**spec.iec, "spec": {**spec.iec["spec"]}}
    iec["spec"]["rated_current_a"] *= factor
    scales = {k: v * factor for k, v in spec.scales.items()}
    return dataclasses.replace(
        predictor,
        model_id=f"{predictor.model_id}-x{factor}",
        feature_spec=dataclasses.replace(spec, scales=scales, iec=iec),
        _cache={},
    )


def test_a_fleet_shares_the_filters_across_models_and_answers_in_its_order(served, monkeypatch):
    """forecast_fleet: the filters of transformers whose models share the feature recipe run
    once for all of them (each row with its own scales and rated current), each model makes
    one product; every answer is that transformer's own forecast, in the fleet's order."""
    import thermowatch.learn.artifact as artifact
    from thermowatch.live.forecast import forecast_fleet

    predictor, frame = served
    predictor = _with(predictor, _forecasters(predictor)["direct"])  # a model with filters
    other = _another_transformer(predictor, 1.3)
    nlinear = _with(predictor, _forecasters(predictor)["nlinear"])
    histories = _histories(frame, predictor.target, 800)[:8]
    models = [predictor, other, nlinear, other, predictor, other, nlinear, predictor]
    fleet = list(zip(models, histories, strict=True))
    fleet.append((predictor, histories[0].drop(columns=[predictor.target])))
    filtered, products = [], []
    arrays, windows = artifact.feature_arrays, DirectForecast.forecast_windows

    def count_filters(values, *args):
        filtered.append(len(next(iter(values.values()))))
        return arrays(values, *args)

    def count_products(self, past, *args):
        products.append((self.name, len(past)))
        return windows(self, past, *args)

    monkeypatch.setattr(artifact, "feature_arrays", count_filters)
    monkeypatch.setattr(DirectForecast, "forecast_windows", count_products)
    answers = forecast_fleet(fleet, "12h")
    monkeypatch.undo()
    assert filtered == [6]  # the 6 transformers of the two models with filters, in one pass
    direct = ("forecast-direct", 3)  # per model: one product for its transformers
    assert sorted(products) == [direct, direct, ("forecast-nlinear", 2)]
    for (model, history), answer in zip(fleet[:-1], answers[:-1], strict=True):
        alone = model.forecast(history, "12h")
        pd.testing.assert_frame_equal(answer.frame, alone.frame, check_exact=False, atol=1e-9)
        reference = _one_by_one(model, history, 72)
        np.testing.assert_allclose(answer.frame["predicted"], reference, rtol=0, atol=1e-9)
    # The other transformer's scales and rating count: its forecasts differ from the first's.
    assert not np.allclose(
        answers[1].frame["predicted"], predictor.forecast(histories[1], "12h").frame["predicted"]
    )
    assert isinstance(answers[-1], InputError) and "measured" in str(answers[-1])
