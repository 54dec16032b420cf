"""Shadow and A/B trials on the live pipeline with real artifacts: a challenger in shadow is
predicted and stored with its model id, compared with the champion on the same instants, and
never alerts; an A/B experiment serves a stable fraction of transformers by the challenger and
reports the difference of live error with a confidence interval."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from lifecycle_helpers import START, fleet_readings
from sqlalchemy import func, select
from tests.helpers.store import migrated_sqlite

from thermowatch.data.measurements import clean_measurements
from thermowatch.errors import InputError
from thermowatch.jobs.trials import (
    ab_arm,
    ab_report,
    compare,
    predict_in_shadow,
    start_ab,
    start_shadow,
)
from thermowatch.learn.artifact import save_model
from thermowatch.learn.train import TrainOptions, train
from thermowatch.live import Pipeline
from thermowatch.live.champion import artifact_digest, load_champion
from thermowatch.live.pipeline import Snapshot
from thermowatch.live.profiles import store_profile
from thermowatch.store.models import champion, register_model
from thermowatch.store.readings import wide_to_frame, write_readings
from thermowatch.store.tables import ModelStatus, predictions, shadow_predictions
from thermowatch.store.transformers import ensure_transformer

TRAINED = START + timedelta(days=40)
LIVE_FROM = START + timedelta(days=45)
LIVE_DAYS = 5
BIAS_K = 3.0


def _artifact(directory, bias_k: float):  # type: ignore[no-untyped-def]
    wide = fleet_readings(0)
    wide = wide[wide.index < TRAINED].assign(OT=lambda f: f["OT"] + bias_k)
    m = clean_measurements(wide, target="OT", source="test")
    split = f"{START + timedelta(days=25)},{START + timedelta(days=33)}"
    opts = TrainOptions(split_dates=split, nonlinear=False, report=False, forecast=False)
    return save_model(*train(m, opts), directory)


@pytest.fixture(scope="module")
def artifacts(tmp_path_factory):
    root = tmp_path_factory.mktemp("artifacts")
    return _artifact(root / "good", 0.0), _artifact(root / "biased", BIAS_K)


def _store(tmp_path, artifacts, n: int):  # type: ignore[no-untyped-def]
    """``n`` transformers with readings before LIVE_FROM, the good model as champion (under its
    artifact id for TR-00) and the biased one (+3 K) registered as challenger."""
    good, biased = artifacts
    engine = migrated_sqlite(tmp_path / "store.db")
    for i in range(n):
        tid = f"TR-{i:02d}"
        ensure_transformer(engine, tid, f"Poste {tid}", target_variable="OT")
        wide = fleet_readings(i)
        write_readings(engine, wide_to_frame(wide[wide.index < LIVE_FROM], tid, source="t")[0])
        cid = good.name if i == 0 else f"{tid}-good"
        register_model(engine, cid, tid, str(good), artifact_digest(good),
                       status=ModelStatus.CHAMPION, at=TRAINED)  # fmt: skip
        register_model(engine, f"{tid}-biased", tid, str(biased), artifact_digest(biased),
                       at=TRAINED)  # fmt: skip
    return engine


def _feed(engine, n: int) -> list:  # type: ignore[no-untyped-def]
    """LIVE_DAYS of hourly snapshots through the live pipeline, a day per request."""
    pipeline = Pipeline(
        engine,
        lambda tid: store_profile(engine, tid, predictor=load_champion(engine, tid)),
        shadow=predict_in_shadow,
    )
    events = []
    for day in range(LIVE_DAYS):
        lo, hi = LIVE_FROM + timedelta(days=day), LIVE_FROM + timedelta(days=day + 1)
        snaps = [
            Snapshot(f"TR-{i:02d}", ts.to_pydatetime(), row.to_dict(), "scada")
            for i in range(n)
            for ts, row in fleet_readings(i).loc[lo : hi - timedelta(seconds=1)].iterrows()
        ]
        events += pipeline.process(snaps, now=hi)[0]
    return events


def _count(engine, table, **where) -> int:  # type: ignore[no-untyped-def]
    q = select(func.count()).select_from(table)
    for k, v in where.items():
        q = q.where(table.c[k] == v)
    with engine.connect() as conn:
        return int(conn.execute(q).scalar_one())


def test_shadow_predicts_alongside_is_compared_and_never_alerts(tmp_path, artifacts):
    good, _ = artifacts
    engine = _store(tmp_path, artifacts, 2)
    with pytest.raises(InputError, match="already serves"):
        start_shadow(engine, good.name, 7, "alice", at=LIVE_FROM)
    trial = start_shadow(engine, "TR-00-biased", 7, "alice", at=LIVE_FROM)
    assert trial["transformer_id"] == "TR-00"

    events = _feed(engine, 2)
    hours = LIVE_DAYS * 24
    # Stored with its model version, for TR-00 only; the served predictions are the champion's.
    assert _count(engine, shadow_predictions, model_id="TR-00-biased") == hours
    assert _count(engine, shadow_predictions, transformer_id="TR-01") == 0
    assert _count(engine, predictions, transformer_id="TR-00", model_id=good.name) == hours
    assert _count(engine, predictions, model_id="TR-00-biased") == 0
    # Never alerts: every event of TR-00 comes from the champion.
    assert {e.model_id for e in events if e.transformer_id == "TR-00"} == {good.name}

    end = LIVE_FROM + timedelta(days=LIVE_DAYS)
    early = compare(engine, "TR-00-biased", days=LIVE_DAYS, at=end)  # default: 7 days needed
    assert early["verdict"] == "insufficient_data" and early["n"] == LIVE_DAYS * 24
    assert (
        "over 4.96 days; a verdict needs at least 168 samples over at least 7 days"
        in (early["reason"])
    )
    out = compare(engine, "TR-00-biased", days=LIVE_DAYS, at=end, min_days=4, min_samples=100)
    assert out["n"] == hours and out["against"] == good.name
    assert out["verdict"] == "worse"
    assert 2.0 < out["difference_k"] < 3.5  # the 3 K bias, net of the champion's own error
    assert 0 < out["ci_low_k"] < out["difference_k"] < out["ci_high_k"]
    assert champion(engine, "TR-00").id == good.name  # a shadow never changes who serves


def test_ab_serves_a_stable_fraction_and_reports_the_difference_with_an_interval(
    tmp_path, artifacts
):
    n = 8
    tids = [f"TR-{i:02d}" for i in range(n)]
    # A name whose split has 2+ transformers in each arm (the split is a hash: fixed per name).
    name = next(f"exp-{k}" for k in range(100)
                if 2 <= sum(ab_arm(f"exp-{k}", t, 0.5) == "b" for t in tids) <= n - 2)  # fmt: skip
    engine = _store(tmp_path, artifacts, n)
    started = start_ab(engine, name, [f"{t}-biased" for t in tids], 0.5, 7, "alice",
                       at=LIVE_FROM)  # fmt: skip
    arms = started["arms"]
    assert arms == {t: ab_arm(name, t, 0.5) for t in tids}  # stable: the same on every call
    for t in tids:  # arm B is served by its challenger, arm A keeps its champion
        assert champion(engine, t).id.endswith("-biased") == (arms[t] == "b")
    with pytest.raises(InputError, match="exists already"):
        start_ab(engine, name, [f"{t}-biased" for t in tids], 0.5, 7, "alice")

    events = _feed(engine, n)
    by_model = {t: {e.model_id for e in events if e.transformer_id == t} for t in tids}
    assert all(len(models) == 1 for models in by_model.values())  # one model per transformer
    for t in tids:  # arm A runs the challenger in shadow, arm B does not
        expected = LIVE_DAYS * 24 if arms[t] == "a" else 0
        assert _count(engine, shadow_predictions, transformer_id=t) == expected

    end = LIVE_FROM + timedelta(days=LIVE_DAYS)
    early = ab_report(engine, name, at=end)  # default: 7 days needed
    assert early["verdict"] == "insufficient_data" and "NaN" not in json.dumps(early)
    report = ab_report(engine, name, at=end, min_days=4, min_samples=100)
    for t, row in report["transformers"].items():  # each arm labelled by who served it
        assert row["challenger_id"] == f"{t}-biased"
        # The live path records the artifact's id: the biased or the good artifact.
        assert row["serving_model_id"] == (artifacts[1] if arms[t] == "b" else artifacts[0]).name
        assert row["n"] >= LIVE_DAYS * 24 - 1  # the first instant opens the window
    a = [r["live_rmse_k"] for r in report["transformers"].values() if r["arm"] == "a"]
    assert max(a) < 1.5  # arm A's error is its champion's, not the biased challenger's
    diff = report["difference_rmse_k"]
    assert diff["n_a"] + diff["n_b"] == n
    assert report["verdict"] == "b_worse"
    assert 2.0 < diff["difference"] < 3.5
    assert 0 < diff["ci_low"] < diff["difference"] < diff["ci_high"]


def test_ab_arm_is_a_stable_fraction_of_a_fleet():
    fleet = [f"TR-{i:04d}" for i in range(2000)]
    share = sum(ab_arm("summer", t, 0.2) == "b" for t in fleet) / len(fleet)
    assert 0.17 < share < 0.23
    assert [ab_arm("summer", t, 0.2) for t in fleet] == [ab_arm("summer", t, 0.2) for t in fleet]
    assert [ab_arm("summer", t, 0.2) for t in fleet] != [ab_arm("winter", t, 0.2) for t in fleet]
