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

        real = readings_mod.recent_readings
        readings_mod.recent_readings = lambda e, t, hours=24, now=None, **kw: real(  # type: ignore[assignment]
            e, t, hours, future.index[0] - timedelta(minutes=1), **kw
        )
        try:
            await monitor.start()
        finally:
            readings_mod.recent_readings = real
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
