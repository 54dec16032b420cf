"""The physics forecast of a transformer without a champion, built straight from the physics'
arrays, is the one the frame path (:func:`thermowatch.live.forecast.forecast_temperature`) gives."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.helpers.store import migrated_sqlite
from tests.unit.ingest.fakes import SPEC
from thermowatch.data.simulator import AMBIENT, CURRENT, WINDING
from thermowatch.learn.result import Thresholds
from thermowatch.live import Pipeline, Profile, Snapshot
from thermowatch.live.forecast import PHYSICS
from thermowatch.store.transformers import ensure_transformer
from thermowatch.thermal import TransformerSpec

T0 = datetime(2026, 12, 7, 6, 0, tzinfo=UTC)


def test_the_physics_forecast_from_arrays_matches_the_frame_path(tmp_path: Path) -> None:
    engine = migrated_sqlite(tmp_path / "s.db")
    ensure_transformer(engine, "T")
    profile = Profile("T", WINDING, Thresholds(93.0, 105.0, "config"),
                      spec=TransformerSpec.from_mapping(SPEC), load=CURRENT, ambient=AMBIENT)  # fmt: skip
    pipeline = Pipeline(engine, {"T": profile}.get)
    events = []
    for i, current in enumerate((600.0, 900.0, 1200.0)):  # rising load: a rising forecast
        snap = Snapshot("T", T0 + timedelta(minutes=i), {CURRENT: current, AMBIENT: 20.0}, "t")
        events.append(pipeline.prepare([snap], now=T0 + timedelta(hours=1))[1][0])
    event = events[-1]
    assert event.forecast_source == PHYSICS and len(event.forecast) == 96
    assert event.forecast[0][0] == event.ts + timedelta(minutes=15)
    # The frame path on the same state: the same instants, values and bounds.
    fc = pipeline._forecast(pipeline.state("T"), event.ts, event)
    assert fc is not None and fc.source == PHYSICS
    assert [t for t, _ in event.forecast] == list(fc.frame.index.to_pydatetime())
    assert [v for _, v in event.forecast] == pytest.approx(fc.frame["predicted"].tolist())
    assert [b for b, _ in event.forecast_bounds] == pytest.approx(fc.frame["lower"].tolist())
    # More load never a cooler forecast (physics as a constraint).
    assert events[-1].forecast[-1][1] > events[0].forecast[-1][1]
