"""A transformer with a champion model is predicted by it, in process, with store history."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path

import pandas as pd
import pytest

from tests.unit.ingest.fakes import config, fake_monitor
from thermowatch.data import load_measurements
from thermowatch.data.simulator import RATED_CURRENT_A, SAMPLE_SPEC, simulate_sample, write_sample
from thermowatch.ingest.sources.base import Sample
from thermowatch.learn.artifact import load_model, save_model
from thermowatch.learn.train import TrainOptions, train
from thermowatch.live.champion import artifact_digest
from thermowatch.store.models import register_model
from thermowatch.store.predictions import predictions_frame
from thermowatch.store.readings import wide_to_frame, write_readings
from thermowatch.store.tables import ModelStatus
from thermowatch.store.transformers import ensure_transformer


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, pd.DataFrame]:
    """A model trained on 8 days of the simulated sample, and the 2 days that follow."""
    tmp = tmp_path_factory.mktemp("model")
    sample = simulate_sample(days=10, step="10min", seed=11)
    write_sample(sample, str(tmp / "sample.csv"))
    m = load_measurements(tmp / "sample.csv")
    cut = m.frame.index[0] + pd.Timedelta(days=8)
    train_m = type(m)(**{**vars(m), "frame": m.frame[m.frame.index < cut]})
    options = TrainOptions(
        rated_current_a=RATED_CURRENT_A, thermal_spec=SAMPLE_SPEC, nonlinear=False
    )
    result, fitted = train(train_m, options)
    model_dir = save_model(result, fitted, tmp / "model")
    return model_dir, m.frame[m.frame.index >= cut]


def test_champion_predicts_with_history_from_the_store(
    trained: tuple[Path, pd.DataFrame], tmp_path: Path
) -> None:
    model_dir, live = trained
    predictor = load_model(model_dir)
    variables = list(predictor.variables)
    history, future = live.iloc[:-3], live.iloc[-3:]

    async def scenario() -> list[float]:
        monitor, hub = fake_monitor(tmp_path, config(tmp_path))
        ensure_transformer(monitor.engine, "T1")
        frame, _ = wide_to_frame(history[variables], "T1")
        write_readings(monitor.engine, frame)
        digest = artifact_digest(model_dir)
        register_model(monitor.engine, predictor.model_id, "T1", str(model_dir), digest,
                       status=ModelStatus.CHAMPION)  # fmt: skip
        # the store's clock: history up to "now" = the first live instant
        import thermowatch.store.readings as readings_mod

        real = readings_mod.recent_readings_many  # what the monitor loads its histories with
        readings_mod.recent_readings_many = lambda e, hours, now=None, **kw: real(  # type: ignore[assignment]
            e, hours, future.index[0] - timedelta(minutes=1), **kw
        )
        try:
            await monitor.start()
        finally:
            readings_mod.recent_readings_many = real
        assert monitor.pipeline.state("T1").nowcaster.basis == "model"
        for ts, row in future.iterrows():
            hub.pending = {"T1": [Sample(ts.to_pydatetime(), row.dropna().to_dict(), "test")]}
            await monitor.run_cycle(["T1"], ts.to_pydatetime())
        await monitor.shutdown()
        stored = predictions_frame(
            monitor.engine, "T1", future.index[0], future.index[-1] + timedelta(seconds=1)
        )
        assert set(stored["model_id"]) == {predictor.model_id}
        return stored["value"].tolist()

    got = asyncio.run(scenario())
    # the same numbers as the model on the full history in one go (the one feature path)
    reference = predictor.predict_frame(live[variables].ffill().bfill())["predicted"].iloc[-3:]
    assert got == pytest.approx(reference.tolist(), abs=1e-6)


def test_a_model_failing_its_integrity_check_costs_only_its_transformer(
    trained: tuple[Path, pd.DataFrame], tmp_path: Path
) -> None:
    """Before: the monitor exited 2 at start (SHA256SUMS mismatch) and watched nothing."""
    import json
    import shutil
    from datetime import UTC, datetime

    from prometheus_client import REGISTRY
    from sqlalchemy import select

    from tests.unit.ingest.fakes import SPEC, FakeHub
    from thermowatch.cli.monitor import alert_hook
    from thermowatch.data.simulator import AMBIENT, CURRENT, OIL, WINDING
    from thermowatch.ingest.config import parse_config
    from thermowatch.ingest.monitor import Monitor
    from thermowatch.store.engine import make_engine
    from thermowatch.store.migrate import upgrade
    from thermowatch.store.readings import count_readings
    from thermowatch.store.tables import alerts, predictions, reading_issues

    model_dir, _ = trained
    tampered = Path(shutil.copytree(model_dir, tmp_path / "tampered"))
    meta = json.loads((tampered / "metadata.json").read_text())
    meta["created_at"] = "2020-01-01T00:00:00+00:00"  # edited after signing, sums not redone
    (tampered / "metadata.json").write_text(json.dumps(meta))
    (tmp_path / "unused.csv").touch()
    th = {"alerte_c": 93.0, "critique_c": 105.0}
    source = {"protocol": "replay", "path": "unused.csv"}
    cfg = parse_config({
        "monitor": {"spool_dir": str(tmp_path / "spool")},
        "transformers": [  # T1: the refused model and no spec (no physics to fall back on)
            {"id": "T1", "model": str(tampered), "target": WINDING, "thresholds": th,
             "source": source},
            {"id": "T2", "spec": SPEC, "target": WINDING, "thresholds": th, "source": source},
        ],
    }, tmp_path)  # fmt: skip
    url = f"sqlite:///{tmp_path}/store.db"
    engine = make_engine(url)
    upgrade(engine)
    refused_before = REGISTRY.get_sample_value("thermowatch_monitor_models_refused_total") or 0
    t0 = datetime(2026, 6, 1, tzinfo=UTC)

    async def scenario() -> None:
        monitor = Monitor(cfg, engine=engine, on_prediction=alert_hook(url, None))
        hub = FakeHub(cfg.transformers[0].source)
        for t in cfg.transformers:
            hub.add(t)
            monitor.hub_of[t.id] = hub
        monitor.hubs = {("fake",): hub}
        await monitor.start()  # no InputError: T1's refusal is its own
        for i in range(20):  # 20 minutes of a measured 120 °C winding on both
            tick = t0 + timedelta(minutes=i)
            values = {CURRENT: 600.0 + i, AMBIENT: 20.0 + i / 10, OIL: 80.0 + i / 10,
                      WINDING: 120.0 + i / 10}  # fmt: skip
            hub.pending = {tid: [Sample(tick, values, "test")] for tid in ("T1", "T2")}
            await monitor.run_cycle(["T1", "T2"], tick)
        await monitor.shutdown()

    asyncio.run(scenario())
    refused = REGISTRY.get_sample_value("thermowatch_monitor_models_refused_total")
    assert refused == refused_before + 1
    with engine.connect() as conn:
        reasons = conn.scalars(
            select(reading_issues.c.reason).where(reading_issues.c.transformer_id == "T1")
        ).all()
        predicted = set(conn.scalars(select(predictions.c.transformer_id)).all())
        raised = set(conn.execute(select(alerts.c.transformer_id, alerts.c.kind, alerts.c.level)))
    assert any(r.startswith("model refused: ") and "SHA-256" in r for r in reasons), reasons
    assert count_readings(engine, "T1") == count_readings(engine, "T2") == 20 * 4
    assert predicted == {"T2"}  # T1 has no model and no spec: measured values only
    assert {("T1", "temperature_measured", "CRITIQUE"),
            ("T2", "temperature_measured", "CRITIQUE")} <= raised  # fmt: skip
