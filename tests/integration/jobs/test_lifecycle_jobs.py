"""Lifecycle jobs on a store with a known truth: verdicts, exactly-once runs, idempotent schedule."""

from __future__ import annotations

from datetime import timedelta

import pytest
from lifecycle_helpers import CHECKS_ONLY, NOW, TRAINED_AT, populate
from tests.helpers.store import migrated_sqlite

from thermowatch.jobs.runner import execute
from thermowatch.jobs.scheduler import enqueue_due, in_process, logical_time, tick
from thermowatch.store.alerts import open_alerts
from thermowatch.store.engine import write_transaction
from thermowatch.store.jobs import (
    claim_run,
    enqueue_runs,
    finish_run,
    get_run,
    recent_checks,
    run_counts,
    runs_to_dispatch,
)

DAY = timedelta(days=1)
CHECKS = {"accuracy": DAY, "drift": DAY}  # the daily checks alone (retraining: test_retrain.py)


@pytest.fixture
def engine(tmp_path):
    eng = migrated_sqlite(tmp_path / "store.db")
    yield eng
    eng.dispose()


def _latest(engine, tid, kind):
    return recent_checks(engine, tid, kind, limit=1)[0]


@pytest.mark.parametrize(
    ("scenario", "drift", "action"),
    [
        ("normal", "stable", None),
        ("heatwave", "world_moved", "retrain"),
        ("cooling", "transformer_changed", "anomaly_alert"),
    ],
)
def test_drift_job_tells_the_world_moving_from_the_transformer_changing(
    engine, scenario, drift, action
):
    populate(engine, "T1", scenario)
    tick(engine, in_process(engine, CHECKS_ONLY), now=NOW, periods=CHECKS)
    check = _latest(engine, "T1", "drift")
    assert check["verdict"] == drift
    run = get_run(engine, 2)  # runs: accuracy then drift
    assert run is not None and run.kind == "drift" and run.result["action"] == action
    # "The world moved" enqueues a retraining run at once; the other verdicts do not.
    assert run_counts(engine, "retrain") == ({"queued": 1} if action == "retrain" else {})
    if scenario == "heatwave":
        assert check["values"]["moved_inputs"] == ["ambient"]
    kinds = [a.kind for a in open_alerts(engine, "T1")]
    if scenario == "cooling":
        # +5 K over the last half of the window: mean shift ≈ 2.5 K.
        assert check["values"]["residual_shift_k"] == pytest.approx(2.5, abs=0.4)
        assert kinds == ["residual_drift"]  # stored, for a person; no retrain
    else:
        assert "residual_drift" not in kinds


def test_accuracy_job_reports_windows_and_flags_degradation_after_three_checks(engine):
    populate(engine, "T1", "noisy")
    verdicts = []
    for day in range(3):
        tick(engine, in_process(engine, CHECKS_ONLY), now=NOW - (2 - day) * DAY, periods=CHECKS)
        verdicts.append(_latest(engine, "T1", "accuracy")["verdict"])
    assert verdicts == ["watch", "watch", "degraded"]
    (alert,) = open_alerts(engine, "T1")
    assert alert.kind == "model_degradation" and alert.level == "ALERTE"
    # Running the same day's jobs again raises nothing new (idempotent).
    tick(engine, in_process(engine, CHECKS_ONLY), now=NOW, periods=CHECKS)
    assert len(open_alerts(engine, "T1")) == 1
    values = _latest(engine, "T1", "accuracy")["values"]
    assert values["windows"]["7d"]["rmse"] == pytest.approx(2.06, abs=0.25)  # √(2² + 0.5²)
    assert values["ratio_7d"] > 3.5
    assert values["windows"]["24h"]["n"] == 23  # hourly data ends one hour before NOW


def test_a_good_model_stays_ok(engine):
    populate(engine, "T1", "normal")
    tick(engine, in_process(engine, CHECKS_ONLY), now=NOW, periods=CHECKS)
    check = _latest(engine, "T1", "accuracy")
    assert check["verdict"] == "ok"
    assert check["values"]["windows"]["30d"]["rmse"] == pytest.approx(0.5, abs=0.05)


def test_enqueueing_the_same_period_twice_creates_nothing_new(engine):
    populate(engine, "T1")
    first = enqueue_due(engine, NOW)
    again = enqueue_due(engine, NOW + timedelta(hours=3))  # same day: same logical time
    # 30 days after the end of the training data: no retraining yet.
    assert first == again == {"accuracy": 1, "drift": 1, "retrain": 0}
    assert sum(run_counts(engine).values()) == 2
    enqueue_due(engine, NOW + DAY)  # the daily checks again
    assert sum(run_counts(engine).values()) == 4


def test_the_90_day_clock_runs_from_the_end_of_the_training_data(engine):
    from thermowatch.store.alerts import raise_alert

    populate(engine, "T1")
    populate(engine, "T2", seed=1)
    mark = TRAINED_AT + 90 * DAY  # the training data of both ends at TRAINED_AT
    assert enqueue_due(engine, mark - timedelta(seconds=1))["retrain"] == 0
    # T2's transformer changed (an open residual-drift alarm): a person looks, no retrain.
    raise_alert(engine, "T2", "residual_drift", "ALERTE", "+5 K", at=mark - 3 * DAY)
    assert enqueue_due(engine, mark + timedelta(hours=5))["retrain"] == 1
    (run,) = [get_run(engine, i) for i in range(1, 20) if (r := get_run(engine, i)) and
              r.kind == "retrain"]  # fmt: skip
    assert run.transformer_id == "T1" and run.scheduled_for == mark
    assert enqueue_due(engine, mark + 89 * DAY)["retrain"] == 1  # the same mark: no new run
    assert run_counts(engine, "retrain") == {"queued": 1}


def test_a_run_is_completed_once_whatever_the_deliveries(engine):
    populate(engine, "T1")
    with write_transaction(engine) as conn:
        (run_id,) = enqueue_runs(conn, "drift", ["T1"], logical_time(NOW, DAY))
    assert execute(engine, run_id, CHECKS_ONLY, worker="a") == "done"
    assert execute(engine, run_id, CHECKS_ONLY, worker="b") == "skipped"  # a duplicate message
    assert len(recent_checks(engine, "T1", "drift")) == 1
    assert get_run(engine, run_id).attempts == 1


def test_a_dead_workers_run_is_taken_over_after_its_lease_and_written_once(engine):
    populate(engine, "T1")
    with write_transaction(engine) as conn:
        (run_id,) = enqueue_runs(conn, "drift", ["T1"], logical_time(NOW, DAY))
        assert claim_run(conn, run_id, "dead-worker", timedelta(seconds=30), at=NOW)
    # Within the lease nobody else may take it, and it is not redispatched.
    assert (
        execute(engine, run_id, CHECKS_ONLY, worker="b", now=NOW + timedelta(seconds=10))
        == "skipped"
    )
    assert runs_to_dispatch(engine, timedelta(minutes=10), at=NOW + timedelta(seconds=10)) == []
    # After it, the reconciler hands it out and another worker completes it.
    later = NOW + timedelta(minutes=1)
    assert runs_to_dispatch(engine, timedelta(minutes=10), at=later) == [run_id]
    assert execute(engine, run_id, CHECKS_ONLY, worker="b", now=later) == "done"
    # The dead worker waking up cannot finish it a second time.
    with write_transaction(engine) as conn:
        assert not finish_run(conn, run_id, "dead-worker", {"x": 1})
    run = get_run(engine, run_id)
    assert run.claimed_by == "b" and run.attempts == 2 and run.status == "done"
    assert len(recent_checks(engine, "T1", "drift")) == 1


def test_a_failing_job_is_recorded_and_retried_up_to_the_limit(engine):
    populate(engine, "T1")
    with write_transaction(engine) as conn:
        (run_id,) = enqueue_runs(conn, "no-such-job", ["T1"], logical_time(NOW, DAY))
    outcomes = [execute(engine, run_id, CHECKS_ONLY, worker="w") for _ in range(4)]
    assert outcomes == ["failed", "failed", "failed", "skipped"]
    run = get_run(engine, run_id)
    assert run.status == "failed" and run.attempts == 3 and "unknown job kind" in run.error
    assert runs_to_dispatch(engine, timedelta(0)) == []


def test_a_run_whose_last_attempt_died_is_failed_not_left_running(engine):
    populate(engine, "T1")
    with write_transaction(engine) as conn:
        (run_id,) = enqueue_runs(conn, "drift", ["T1"], logical_time(NOW, DAY))
    for i in range(3):  # three workers die holding it
        with write_transaction(engine) as conn:
            assert claim_run(conn, run_id, f"w{i}", timedelta(seconds=1), at=NOW + i * DAY)
    assert runs_to_dispatch(engine, timedelta(0), at=NOW + 3 * DAY) == []
    run = get_run(engine, run_id)
    assert run.status == "failed" and "abandoned" in run.error


def test_transformers_without_a_champion_get_no_run(engine):
    from thermowatch.store.transformers import ensure_transformer

    ensure_transformer(engine, "T9", "no model yet", target_variable="OT")
    assert enqueue_due(engine, NOW) == {"accuracy": 0, "drift": 0, "retrain": 0}
