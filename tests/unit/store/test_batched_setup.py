"""The monitor's start-up in a few queries: the batched store helpers agree with the single ones."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from tests.helpers.store import migrated_sqlite

from thermowatch.store import readings
from thermowatch.store.state import read_states, save_thresholds_many
from thermowatch.store.transformers import (
    Transformer,
    ensure_transformer,
    ensure_transformers,
    get_transformer,
)


@pytest.fixture
def engine(tmp_path):
    eng = migrated_sqlite(tmp_path / "tw.db")
    yield eng
    eng.dispose()


def test_ensure_transformers_creates_the_missing_and_fills_only_empty_fields(engine) -> None:
    assert ensure_transformer(engine, "T1") is True  # no target yet
    wanted = [Transformer(id=f"T{i}", name=f"T{i}", target_variable="oil") for i in range(1, 1201)]
    created = ensure_transformers(engine, wanted)  # more than one chunk of ids
    assert created == {f"T{i}" for i in range(2, 1201)}
    assert get_transformer(engine, "T1").target_variable == "oil"  # filled in, not replaced
    assert (
        ensure_transformers(engine, [Transformer(id="T1", name="T1", target_variable="x")]) == set()
    )
    assert get_transformer(engine, "T1").target_variable == "oil"


def test_recent_readings_many_gives_each_transformer_its_own_window(engine) -> None:
    now = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)
    for tid in ("A", "B", "C"):
        ensure_transformer(engine, tid)
    rows = [(tid, now - timedelta(hours=h), "oil", 50.0 + h, 0, "test")
            for tid in ("A", "B") for h in (0.5, 3, 10)]  # fmt: skip
    with engine.begin() as conn:
        cols = tuple(list(c) for c in zip(*[(t, int(ts.timestamp() * 1e6), v, x, q, s)
                                            for t, ts, v, x, q, s in rows], strict=True))  # fmt: skip
        readings.insert_columns(conn, cols)
    got = readings.recent_readings_many(engine, {"A": 4.0, "B": 24.0, "C": 1.0}, now=now)
    assert len(got["A"]) == 2 and len(got["B"]) == 3 and got["C"].empty
    single = readings.recent_readings(engine, "A", 4.0, now=now)
    assert got["A"]["oil"].tolist() == single["oil"].tolist() == [53.0, 50.5]


def test_save_thresholds_many_stores_each_transformers_thresholds(engine) -> None:
    for tid in ("A", "B"):
        ensure_transformer(engine, tid)
    save_thresholds_many(engine, [("A", 90.0, 105.0, "config"), ("B", 85.0, 98.0, "nameplate")])
    states = read_states(engine)
    assert (states["A"].alerte_c, states["B"].critique_c) == (90.0, 98.0)
