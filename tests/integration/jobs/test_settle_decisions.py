"""A worker killed after finishing a retrain run but before acting on its decision: the
challenger is registered, undecided; the next scheduler tick applies the decision, once."""

from __future__ import annotations

from datetime import timedelta

from lifecycle_helpers import FLEET_AT, retrain_fleet
from tests.helpers.store import migrated_sqlite

from thermowatch.jobs.job import LEASE, JobSettings
from thermowatch.jobs.retrain import retrain
from thermowatch.jobs.scheduler import in_process, tick
from thermowatch.store.audit import entries
from thermowatch.store.engine import write_transaction
from thermowatch.store.jobs import claim_run, enqueue_runs, finish_run
from thermowatch.store.models import get_model


def test_a_decision_left_undone_is_applied_once_by_the_scheduler(tmp_path):
    jobs = JobSettings(models_dir=tmp_path / "challengers")
    engine = migrated_sqlite(tmp_path / "store.db")
    retrain_fleet(engine, 1, tmp_path / "champion")
    with write_transaction(engine) as conn:
        (run_id,) = enqueue_runs(conn, "retrain", ["TR-00"], FLEET_AT)
        assert claim_run(conn, run_id, "w1", LEASE, at=FLEET_AT)
    output = retrain(engine, "TR-00", FLEET_AT, jobs)
    with write_transaction(engine) as conn:  # what the runner commits; then the worker dies
        assert finish_run(conn, run_id, "w1", output.result, at=FLEET_AT)
        output.write(conn)
    challenger = output.result["challenger"]
    assert get_model(engine, challenger).status == "challenger"

    def decisions() -> list[str]:
        return [e.action for e in entries(engine) if challenger in (e.target or "")]

    assert decisions() == []
    soon = FLEET_AT + LEASE / 2  # the worker might still be acting on it: not yet
    tick(engine, in_process(engine, jobs), now=soon, periods={})
    assert decisions() == []
    later = FLEET_AT + LEASE + timedelta(seconds=1)
    tick(engine, in_process(engine, jobs), now=later, periods={})
    expected = "champion" if output.result["decision"]["promote"] else "retired"
    assert get_model(engine, challenger).status == expected
    assert len(decisions()) == 1
    tick(engine, in_process(engine, jobs), now=later + LEASE, periods={})
    assert len(decisions()) == 1  # once
