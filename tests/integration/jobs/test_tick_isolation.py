"""One job cannot poison a tick, on SQLite and on a real PostgreSQL: a number that is not a
number is stored as null (PostgreSQL's JSON refuses NaN), a run whose output the database
refuses fails with that cause while the other runs of the tick complete, and "abandoned" is
kept for runs whose worker really stopped."""

from __future__ import annotations

from datetime import timedelta

import pytest
from lifecycle_helpers import CHECKS_ONLY, NOW, populate
from sqlalchemy import select
from tests.helpers.store import migrated_postgres, migrated_sqlite

from thermowatch.jobs import registry, tasks
from thermowatch.jobs.scheduler import in_process, tick
from thermowatch.store.engine import write_transaction
from thermowatch.store.jobs import get_run, latest_runs, record_check
from thermowatch.store.tables import model_checks

DAY = timedelta(days=1)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def engine(request, tmp_path):
    if request.param == "sqlite":
        eng = migrated_sqlite(tmp_path / "store.db")
    else:
        eng = migrated_postgres(request.getfixturevalue("pg_cluster"), "j")
    yield eng
    eng.dispose()


def test_a_non_finite_number_is_stored_as_null(engine):
    populate(engine, "T1")
    values = {"ratio_7d": float("nan"), "windows": {"7d": {"rmse": float("inf"), "n": 3}}}
    with write_transaction(engine) as conn:
        record_check(conn, "T1", "T1-m1", "accuracy", NOW, "insufficient_data", values)
    with engine.connect() as conn:
        stored = conn.execute(select(model_checks.c["values"])).scalar_one()
    assert stored == {"ratio_7d": None, "windows": {"7d": {"rmse": None, "n": 3}}}


def test_a_refused_output_fails_its_run_with_the_cause_and_the_tick_goes_on(engine, monkeypatch):
    populate(engine, "T1")
    populate(engine, "T2", seed=1)

    def refused(engine_, tid, at, _settings):  # type: ignore[no-untyped-def]
        out = tasks.score_accuracy(engine_, tid, at)
        if tid == "T1":  # a row the database refuses (NOT NULL verdict)
            out.writes.append(lambda conn: record_check(conn, tid, "m", "x", at, None, {}))
        return out

    monkeypatch.setitem(registry.JOBS, "accuracy", refused)
    sent = tick(
        engine, in_process(engine, CHECKS_ONLY), now=NOW, periods={"accuracy": DAY, "drift": DAY}
    )
    runs = {(r.kind, r.transformer_id): r for r in (get_run(engine, i) for i in sent)}
    assert len(runs) == 4
    bad = runs[("accuracy", "T1")]
    assert bad.status == "failed" and bad.error.startswith("storing the output failed: ")
    assert "IntegrityError" in bad.error and "abandoned" not in bad.error
    assert bad.attempts == 1  # it ran once, and is retried by a later tick (up to 3 attempts)
    others = [r for k, r in runs.items() if k != ("accuracy", "T1")]
    assert [r.status for r in others] == ["done"] * 3
    # Nothing of the failed run was written; the other transformer's check was.
    with engine.connect() as conn:
        kinds = conn.execute(select(model_checks.c.transformer_id, model_checks.c.kind)).all()
    assert sorted(kinds) == [("T1", "drift"), ("T2", "accuracy"), ("T2", "drift")]
    latest = latest_runs(engine)
    assert latest["T1"]["accuracy"].status == "failed" and latest["T2"]["drift"].status == "done"


def test_too_few_points_is_a_verdict_that_says_how_many(engine):
    from lifecycle_helpers import METRICS

    from thermowatch.store.models import ModelStatus, register_model

    populate(engine, "T1")
    register_model(engine, "T1-m2", "T1", "/m2", "2" * 64, metrics=METRICS,
                   status=ModelStatus.CHAMPION, at=NOW - DAY)  # fmt: skip
    sent = tick(
        engine, in_process(engine, CHECKS_ONLY), now=NOW, periods={"accuracy": DAY, "drift": DAY}
    )
    runs = {r.kind: r for r in (get_run(engine, i) for i in sent)}
    for kind in ("accuracy", "drift"):  # m2 has no predictions yet
        assert runs[kind].status == "done" and runs[kind].result["verdict"] == "insufficient_data"
        assert runs[kind].result["n"] == 0
    assert runs["accuracy"].result["reason"].startswith("0 valid pairs of measured and predicted")
    assert "at least 24 needed" in runs["accuracy"].result["reason"]
    assert "at least 48 needed" in runs["drift"].result["reason"]


def test_a_killed_retrain_attempts_directory_is_removed_by_the_next_attempt(engine, tmp_path):
    import os
    import time

    from thermowatch.jobs.retrain import remove_orphans

    populate(engine, "T1")  # registers T1-m1
    root = tmp_path / "models" / "T1"
    for name in ("T1-m1", "killed-attempt", "attempt-in-progress"):
        (root / name).mkdir(parents=True)
        (root / name / "model.json").write_text("{}")
    old = time.time() - 3600
    for name in ("T1-m1", "killed-attempt"):
        os.utime(root / name, (old, old))
    assert remove_orphans(engine, root) == ["killed-attempt"]
    assert sorted(p.name for p in root.iterdir()) == ["T1-m1", "attempt-in-progress"]
