"""The fleet page's forecast column: one query over the forecasts the live pipeline stores."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tests.helpers.store import migrated_postgres, migrated_sqlite
from thermowatch.store.live import write_live_batch
from thermowatch.store.overview import forecast_crossings
from thermowatch.store.transformers import Transformer, save_transformer
from thermowatch.store.types import to_micros

T0 = datetime(2026, 7, 1, 12, tzinfo=UTC)


def _issue(tid: str, issued: datetime, levels: list[str]) -> list[list]:
    """One forecast issued at ``issued``: a point every 15 min with the given levels."""
    return [
        [tid, to_micros(issued), to_micros(issued + timedelta(minutes=15 * (k + 1))), "iec",
         70.0 + k, level]
        for k, level in enumerate(levels)
    ]  # fmt: skip


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def engine(request, tmp_path):
    if request.param == "sqlite":
        engine = migrated_sqlite(tmp_path / "tw.db")
    else:
        engine = migrated_postgres(request.getfixturevalue("pg_cluster"), "t")
    yield engine
    engine.dispose()


def test_first_threshold_of_the_newest_forecast_only(engine):
    for tid in ("A", "B", "C", "D"):
        save_transformer(engine, Transformer(id=tid, name=tid))
    later = T0 + timedelta(minutes=1)
    rows = (
        # A: an old issue crossed CRITIQUE, the newest one crosses ALERTE at its 3rd point
        _issue("A", T0, ["CRITIQUE", "CRITIQUE", "CRITIQUE"])
        + _issue("A", later, ["NORMAL", "NORMAL", "ALERTE", "CRITIQUE"])
        # B: an old issue crossed, the newest stays normal: no crossing now
        + _issue("B", T0, ["ALERTE"])
        + _issue("B", later, ["NORMAL", "NORMAL"])
        # C: already critical at the first point
        + _issue("C", later, ["CRITIQUE", "CRITIQUE"])
    )  # D has no forecast at all
    write_live_batch(engine, {"forecasts": rows})
    got = forecast_crossings(engine)
    assert set(got) == {"A", "C"}
    assert got["A"].level == "ALERTE" and got["A"].at == later + timedelta(minutes=45)
    assert got["A"].issued_at == later and got["A"].at.tzinfo is not None
    assert got["C"].level == "CRITIQUE" and got["C"].at == later + timedelta(minutes=15)
