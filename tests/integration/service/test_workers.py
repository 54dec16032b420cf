"""Several workers, one alert state (issue 12, item 3): the same readings spread over 1, 2 or
4 service workers (separate apps, engines and alert engines on one store) give the same
alerts, and an alert never resolves before it was raised."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from thermowatch.app import create_app
from thermowatch.service.apikeys import create_key
from thermowatch.store.engine import make_engine
from thermowatch.store.migrate import upgrade
from thermowatch.store.tables import alerts, predictions
from thermowatch.store.transformers import ensure_transformer

from .conftest import TRANSFORMER, make_settings, reading

T0 = datetime(2026, 2, 1, 6, tzinfo=UTC)
# 12 readings at 2,000 A then 12 at 850 A, 10 minutes apart (the finding's sequence).
SEQUENCE = [
    (T0 + timedelta(minutes=10 * i), reading(**{"courant (A)": 2000.0 if i < 12 else 850.0,
                                                 "température ambiante (°C)": 30.0 + i / 10}))
    for i in range(24)
]  # fmt: skip


def _run(tmp_path: Path, served_dir: Path, workers: int) -> tuple[list[tuple], list[float]]:
    url = f"sqlite:///{tmp_path / f'w{workers}.db'}"
    setup = make_engine(url)
    upgrade(setup)
    ensure_transformer(setup, TRANSFORMER)
    key = create_key(setup, "operator")[1]
    clients = []
    for _ in range(workers):  # one engine, pipeline and alert engine per worker
        app = create_app(make_settings(model_dir=str(served_dir)), engine=make_engine(url))
        clients.append(TestClient(app, client=("127.0.0.1", 50000)).__enter__())
    try:
        for i, (ts, values) in enumerate(SEQUENCE):
            body = {"transformer_id": TRANSFORMER, "timestamp": ts.isoformat(), "values": values}
            r = clients[i % workers].post("/v1/readings", json=body, headers={"X-API-Key": key})
            assert r.status_code == 201, r.text
    finally:
        for c in clients:
            c.__exit__(None, None, None)
    with setup.connect() as conn:
        a = alerts.c
        rows = conn.execute(
            select(a.kind, a.level, a.raised_at, a.resolved_at).order_by(a.raised_at, a.kind)
        ).all()
        values = conn.execute(select(predictions.c.value).order_by(predictions.c.ts)).scalars()
        return [tuple(r) for r in rows], list(values)


def test_the_same_alerts_with_1_2_and_4_workers(tmp_path: Path, served_dir: Path) -> None:
    one, one_values = _run(tmp_path, served_dir, 1)
    assert any(level != "NORMAL" for _, level, _, _ in one), "the sequence must raise alerts"
    for workers in (2, 4):
        got, values = _run(tmp_path, served_dir, workers)
        assert got == one, workers
        # every worker predicted from the whole history, not its share of it
        assert values == pytest.approx(one_values, abs=1e-6)
        assert all(resolved is None or resolved >= raised for _, _, raised, resolved in got)
