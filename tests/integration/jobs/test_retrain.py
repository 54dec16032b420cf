"""Retraining on a simulated transformer with a known truth (IEC 60076-7 physics, French SCADA
export): a season the champion never saw is detected, a challenger is trained on the store's
history, scored on recent data neither model trained on, and promoted only by the rule."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
from tests.helpers.models import copy_model
from tests.helpers.store import migrated_sqlite

from thermowatch.data.measurements import clean_measurements
from thermowatch.data.simulator import TIMESTAMP, WINDING, simulate_sample
from thermowatch.jobs.job import JobSettings
from thermowatch.jobs.retrain import HOLDOUT
from thermowatch.jobs.scheduler import in_process, tick
from thermowatch.learn.accuracy import validation_error
from thermowatch.learn.artifact import load_model, save_model
from thermowatch.learn.train import TrainOptions, train
from thermowatch.live.champion import artifact_digest, load_champion
from thermowatch.store.jobs import get_run, recent_checks, run_counts
from thermowatch.store.models import ModelStatus, champion, list_models, register_model
from thermowatch.store.predictions import Prediction, write_predictions
from thermowatch.store.readings import wide_to_frame, write_readings
from thermowatch.store.transformers import ensure_transformer

TR = "TR-01"
START = datetime(2024, 1, 1, tzinfo=UTC)
CHAMPION_AT = datetime(2024, 4, 15, tzinfo=UTC)  # trained on winter and early spring
AT = datetime(2024, 8, 20, tzinfo=UTC)  # after the July heat wave
DAY = timedelta(days=1)
CHECKS = {"drift": DAY}


@pytest.fixture(scope="module")
def sample():
    s = simulate_sample(days=235, step="30min", seed=11, start="2024-01-01")
    wide = s.frame.set_index(TIMESTAMP)
    wide.index = wide.index.tz_localize("UTC")
    return wide


@pytest.fixture(scope="module")
def trained_champion(sample, tmp_path_factory):
    """The champion, trained once per module on the readings before CHAMPION_AT (as `thermowatch
    train` would), and what the live pipeline stored since: its predictions. Tests register a
    copy of the artifact; this one is read only."""
    before = sample[sample.index < CHAMPION_AT]
    m = clean_measurements(before, target=WINDING, source="export-april.xlsx")
    val = (CHAMPION_AT - timedelta(days=25)).isoformat()
    test = (CHAMPION_AT - timedelta(days=10)).isoformat()
    result, fitted = train(m, TrainOptions(split_dates=f"{val},{test}"))
    directory = save_model(result, fitted, tmp_path_factory.mktemp("champion"))
    name = result.chosen_model
    metrics = {"model_name": name, "validation": result.models[name]["validation"]}
    cleaned = clean_measurements(sample, target=WINDING, source="scada").frame
    served = load_model(directory).predict_frame(cleaned)
    since = served[(served.index >= CHAMPION_AT) & np.isfinite(served["predicted"])]
    assert len(since) > 0.95 * (sample.index >= CHAMPION_AT).sum()
    return directory, metrics, since["predicted"]


@pytest.fixture
def jobs(tmp_path):
    """The jobs' settings, as a command resolves them: artifacts under the test's directory."""
    return JobSettings(models_dir=tmp_path / "models")


@pytest.fixture
def store(tmp_path, sample, trained_champion, monkeypatch):
    monkeypatch.delenv("THERMOWATCH_ALERTS_CONFIG", raising=False)
    engine = migrated_sqlite(tmp_path / "store.db")
    ensure_transformer(engine, TR, "Poste Sud TR-01", target_variable=WINDING)
    write_readings(engine, wide_to_frame(sample, TR, source="scada")[0])

    # The champion (a private copy of the module's artifact), registered as `train` would.
    trained, metrics, predicted = trained_champion
    directory = copy_model(trained, tmp_path / "models" / TR)
    register_model(engine, directory.name, TR, str(directory), artifact_digest(directory),
                   metrics=metrics, status=ModelStatus.CHAMPION, at=CHAMPION_AT)  # fmt: skip
    # What the live pipeline stored since: the champion's predictions.
    write_predictions(engine, [Prediction(TR, ts.to_pydatetime(), directory.name, float(v))
                               for ts, v in predicted.items()])  # fmt: skip
    yield engine
    engine.dispose()


def test_summer_outside_the_trained_range_triggers_a_retrain_that_is_scored_and_promoted(
    store, jobs
):
    old = champion(store, TR)
    tick(store, in_process(store, jobs), now=AT, periods=CHECKS)
    drift = recent_checks(store, TR, "drift", limit=1)[0]
    assert drift["verdict"] == "world_moved"
    # Registered with its validation error only (as an older version did): completed from its
    # artifact by the first job, and the drift reference ends where its training data ended.
    window = champion(store, TR).metrics["training_window"]
    assert window["end"].startswith("2024-04-14T23:30")
    assert drift["values"]["reference"]["end"].startswith("2024-04-14T23:30")
    assert "température ambiante (°C)" in drift["values"]["moved_inputs"]
    assert run_counts(store, "retrain") == {"queued": 1}

    tick(store, in_process(store, jobs), now=AT, periods={})  # dispatch the queued retraining
    (run,) = [r for r in map(lambda i: get_run(store, i), (1, 2)) if r.kind == "retrain"]
    assert run.kind == "retrain" and run.status == "done", run.error
    decision = run.result["decision"]
    print(
        f"\nchampion {decision['champion_rmse_k']:.2f} K vs challenger "
        f"{decision['challenger_rmse_k']:.2f} K on the last {HOLDOUT.days} days "
        f"(coverage {decision['challenger_coverage']:.1%}); reasons {decision['reasons']}"
    )
    assert not run.result["champion_saw_holdout"]
    assert run.result["implausible"] == []
    new = champion(store, TR)
    if decision["promote"]:
        assert new.id == run.result["challenger"] != old.id
        # Live error of the new champion on unseen recent data vs its own validation error.
        rmse, _ = validation_error(new.metrics)
        assert decision["challenger_rmse_k"] < 1.2 * max(rmse, 0.5)
    else:
        assert new.id == old.id  # the rule said no: the champion stays
        assert {m.id: m.status for m in list_models(store, TR)}[
            run.result["challenger"]
        ] == "retired"


def test_fault_periods_are_kept_out_of_training_and_scoring(store, jobs):
    from thermowatch.jobs.retrain import fault_periods
    from thermowatch.store.alerts import raise_alert, resolve_alert

    june, july = datetime(2024, 6, 1, tzinfo=UTC), datetime(2024, 7, 1, tzinfo=UTC)
    alert = raise_alert(store, TR, "anomaly", "ALERTE", "cooling stage 2 off", at=june)
    periods = fault_periods(store, TR, datetime(2024, 5, 1, tzinfo=UTC), AT - HOLDOUT)
    assert periods == [(june, AT - HOLDOUT)]  # still open
    # Open over the whole holdout: neither model can be judged there, so nothing is trained.
    tick(store, in_process(store, jobs), now=AT, periods={"retrain": DAY})
    run = get_run(store, 1)
    assert run.status == "done" and run.result["verdict"] == "insufficient_data", run.result
    assert run.result["reason"].startswith("0 measured")
    assert [p.name for p in (jobs.models_dir / TR).iterdir()] == [champion(store, TR).id]

    resolve_alert(store, alert, "operator", at=july)  # the fault ends before the holdout
    tick(store, in_process(store, jobs), now=AT + DAY, periods={"retrain": DAY})
    run = get_run(store, 2)
    assert run.status == "done", run.error
    assert run.result["excluded_fault_periods"] == 1
    # Rows trained on: all but June (the anomaly's period), up to the holdout of AT + 1 day.
    step = timedelta(minutes=30)
    expected = (AT + DAY - HOLDOUT - START - (july - june)) / step
    assert abs(run.result["rows_trained"] - expected) <= 1
    assert run.result["scored_points"] >= 168
    assert np.isfinite(run.result["decision"]["challenger_rmse_k"])


def test_rollback_restores_the_old_predictions_bit_for_bit(store, sample, tmp_path):
    from thermowatch.jobs.promotion import rollback
    from thermowatch.store.models import promote

    cleaned = clean_measurements(sample, target=WINDING, source="scada").frame
    window = cleaned[cleaned.index >= AT - timedelta(days=10)]
    first = champion(store, TR)
    before = load_champion(store, TR).predict_frame(window)["predicted"].to_numpy()

    m = clean_measurements(sample[sample.index < AT], target=WINDING, source="export.xlsx")
    # Another model, any (its predictions differ): no gradient boosting and no report's extras.
    options = TrainOptions(split_dates="2024-07-01,2024-08-01", nonlinear=False, report=False)
    result, fitted = train(m, options)
    other = save_model(result, fitted, tmp_path / "models" / TR)
    register_model(store, other.name, TR, str(other), artifact_digest(other))
    promote(store, other.name)
    changed = load_champion(store, TR).predict_frame(window)["predicted"].to_numpy()
    assert not np.array_equal(before, changed)

    assert rollback(store, TR, first.id, actor="admin") == first.id
    after = load_champion(store, TR).predict_frame(window)["predicted"].to_numpy()
    assert np.array_equal(before, after, equal_nan=True)


def test_retraining_handles_a_missing_current_and_power_as_train_does(store, jobs):
    """One missing current in the trained history and one missing power in the 3 days before
    the holdout (the scoring warm-up): the run completes, scored on enough points, nothing is
    abandoned, and no unregistered directory is left."""
    from sqlalchemy import delete

    from thermowatch.data.simulator import ACTIVE_POWER, CURRENT
    from thermowatch.store.tables import readings

    holes = [(CURRENT, datetime(2024, 6, 10, 9, 30, tzinfo=UTC)),
             (ACTIVE_POWER, AT - HOLDOUT - timedelta(days=2, hours=5))]  # fmt: skip
    with store.begin() as conn:
        for variable, ts in holes:
            gone = conn.execute(delete(readings).where(
                readings.c.transformer_id == TR, readings.c.variable == variable,
                readings.c.ts == ts))  # fmt: skip
            assert gone.rowcount == 1
    tick(store, in_process(store, jobs), now=AT, periods={"retrain": DAY})
    run = get_run(store, 1)
    assert run.status == "done", run.error
    assert run.result["verdict"] == "trained", run.result
    assert run.result["scored_points"] >= 0.95 * HOLDOUT / timedelta(minutes=30)
    decision = run.result["decision"]
    assert np.isfinite(decision["champion_rmse_k"]) and np.isfinite(decision["challenger_rmse_k"])
    assert run_counts(store) == {"done": 1}
    kept = {m.id for m in list_models(store, TR)}
    assert {p.name for p in (jobs.models_dir / TR).iterdir()} == kept  # nothing left unregistered
    registered = next(m for m in list_models(store, TR) if m.id == run.result["challenger"])
    assert {"validation", "test", "training_window", "input_ranges"} <= set(registered.metrics)
    assert registered.metrics["training_window"]["end"].startswith("2024-08-19")
