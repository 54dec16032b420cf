"""Late and out-of-order readings are predicted from their own thermal history (issue 22, item 2).

The finding: with two concurrent pushers the stored predicted series flipped 82 <-> 250 °C, as a
reading older than the newest one was predicted in steady state with no history.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd

from tests.helpers.store import migrated_sqlite
from tests.unit.ingest.fakes import SPEC
from thermowatch.data.simulator import AMBIENT, CURRENT, WINDING
from thermowatch.learn.result import Thresholds
from thermowatch.live import Pipeline, Profile, Snapshot
from thermowatch.live.pipeline import LATE
from thermowatch.store.predictions import predictions_frame
from thermowatch.store.state import read_state
from thermowatch.store.transformers import ensure_transformer
from thermowatch.thermal import TransformerSpec, simulate

T0 = datetime.now(UTC).replace(second=0, microsecond=0) - timedelta(hours=3)
N = 60  # one reading a minute; the load steps from 0.5 to 1.4 pu: a long thermal transient
RATED = SPEC["rated_current_a"]
LOADS = np.where(np.arange(N) < 5, 0.5, 1.4)


def _snap(k: int) -> Snapshot:
    return Snapshot("T", T0 + timedelta(minutes=k), {CURRENT: LOADS[k] * RATED, AMBIENT: 20.0},
                    "push")  # fmt: skip


def _pipelines(tmp_path: Path, name: str, n: int) -> list[Pipeline]:
    engine = migrated_sqlite(f"{tmp_path}/{name}.db")
    ensure_transformer(engine, "T")
    spec = TransformerSpec.from_mapping(SPEC)
    profile = Profile("T", WINDING, Thresholds(93.0, 105.0, "config"), spec=spec, load=CURRENT,
                      ambient=AMBIENT)  # fmt: skip
    return [Pipeline(engine, {"T": profile}.get, shared_store=True) for _ in range(n)]


def _stored(p: Pipeline) -> pd.Series:
    frame = predictions_frame(p.engine, "T", T0, T0 + timedelta(minutes=N))
    return frame["value"]


def test_two_concurrent_pushers_store_the_series_of_one_pusher(tmp_path: Path) -> None:
    (one,) = _pipelines(tmp_path, "one", 1)
    for k in range(N):
        one.process([_snap(k)])
    # Pusher A sends even minutes to worker 0, pusher B odd minutes to worker 1, each B
    # reading arriving after A's next one (late by one minute).
    w0, w1 = _pipelines(tmp_path, "two", 2)
    w0.process([_snap(0)])
    for k in range(1, N, 2):
        if k + 1 < N:
            w0.process([_snap(k + 1)])
        w1.process([_snap(k)])
    a, b = _stored(one), _stored(w0)
    assert len(a) == len(b) == N
    np.testing.assert_allclose(b.to_numpy(), a.to_numpy(), atol=0.05)
    # and both follow the physics of the whole series (no steady-state jump at 1.4 pu)
    ref = simulate(TransformerSpec.from_mapping(SPEC), LOADS, 20.0, 1.0).hot_spot_c
    np.testing.assert_allclose(a.to_numpy(), ref, atol=0.05)
    assert float(np.max(np.abs(np.diff(b.to_numpy())))) < 5.0  # no 82 <-> 250 flip
    # the stored state is the newest reading's, not the last one to arrive
    assert read_state(w0.engine, "T").ts == T0 + timedelta(minutes=N - 1)


def test_a_late_reading_in_one_process_uses_the_inputs_before_it(tmp_path: Path) -> None:
    (p,) = _pipelines(tmp_path, "late", 1)
    order = [k for k in range(N) if k != 30] + [30]  # minute 30 arrives last
    events = {e.ts: e for k in order for e in p.process([_snap(k)])[0]}
    ref = simulate(TransformerSpec.from_mapping(SPEC), LOADS, 20.0, 1.0).hot_spot_c
    late = events[T0 + timedelta(minutes=30)]
    assert abs(late.predicted_c - ref[30]) < 0.05
    assert "steady" not in " ".join(late.warnings)
    assert LATE in late.warnings  # flagged late


def test_a_late_reading_stores_no_forecast_issue(tmp_path: Path) -> None:
    (p,) = _pipelines(tmp_path, "fc", 1)
    for k in range(0, 40, 20):
        p.process([_snap(k)])
    issued_before = _issues(p)
    assert issued_before == [T0, T0 + timedelta(minutes=20)]
    p.process([_snap(10)])  # late by 10 min
    assert _issues(p) == issued_before


def _issues(p: Pipeline) -> list[datetime]:
    from sqlalchemy import select

    from thermowatch.store.tables import forecasts

    with p.engine.connect() as conn:
        rows = conn.scalars(
            select(forecasts.c.issued_at).distinct().order_by(forecasts.c.issued_at)
        )
        return [t.replace(tzinfo=UTC) if t.tzinfo is None else t for t in rows]
