"""One reading, transformer or source fails only itself (issue 22, item 1)."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import ClassVar

import pytest
from prometheus_client import REGISTRY

from tests.helpers.store import migrated_sqlite
from tests.unit.ingest.fakes import SPEC, config, fake_monitor
from thermowatch.data.simulator import AMBIENT, CURRENT, WINDING
from thermowatch.ingest.sources.base import Sample
from thermowatch.learn.result import Thresholds
from thermowatch.live import Pipeline, Profile, Snapshot
from thermowatch.live.pipeline import FAILED
from thermowatch.store.readings import count_readings
from thermowatch.store.transformers import ensure_transformer
from thermowatch.thermal import TransformerSpec

T0 = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=2)
TH = Thresholds(93.0, 105.0, "config")


class Exploding:
    """A champion whose predict step raises what a real bug would (not an InputError)."""

    metadata: ClassVar[dict] = {"history_minutes": 60.0}
    model_id = "boom"
    variables: ClassVar[list] = [CURRENT, AMBIENT]
    target = WINDING

    def predict_frame(self, frame):
        raise ZeroDivisionError("float division by zero")


def _pipeline(tmp_path: Path) -> Pipeline:
    engine = migrated_sqlite(tmp_path / "s.db")
    spec = TransformerSpec.from_mapping(SPEC)
    for tid in ("OK", "BAD"):
        ensure_transformer(engine, tid)
    profiles = {
        "OK": Profile("OK", WINDING, TH, spec=spec, load=CURRENT, ambient=AMBIENT),
        "BAD": Profile("BAD", WINDING, TH, predictor=Exploding()),
    }
    return Pipeline(engine, profiles.get)


def _values(current: float = 800.0, winding: float = 70.0) -> dict[str, float]:
    return {CURRENT: current, AMBIENT: 20.0, WINDING: winding}


def _failures() -> float:
    return REGISTRY.get_sample_value("thermowatch_live_failures_total") or 0.0


def test_a_failing_transformer_is_stored_as_an_issue_and_the_others_go_on(tmp_path: Path) -> None:
    pipe = _pipeline(tmp_path)
    before = _failures()
    snaps = [Snapshot(tid, T0 + timedelta(minutes=k), _values(winding=110.0), "t")
             for k in range(3) for tid in ("BAD", "OK", "GHOST")]  # fmt: skip
    events, _stored = pipe.process(snaps)
    ok = [e for e in events if e.transformer_id == "OK"]
    bad = [e for e in events if e.transformer_id == "BAD"]
    assert len(ok) == 3 and all(e.predicted_c is not None for e in ok)
    # the failing one keeps its readings and its measured value (its alarms still fire)
    assert len(bad) == 3 and all(e.predicted_c is None and "ZeroDivisionError" in e.reason
                                 for e in bad)  # fmt: skip
    assert all(e.measured_c == 110.0 and e.worst[0] == "CRITIQUE" for e in bad)
    assert count_readings(pipe.engine, "BAD") == 9 and count_readings(pipe.engine, "OK") == 9
    with pipe.engine.connect() as conn:
        from sqlalchemy import text

        rows = conn.execute(
            text("SELECT transformer_id, verdict, reason FROM reading_issues WHERE variable='*'")
        ).all()
    assert sorted({(r[0], r[1]) for r in rows}) == [("BAD", FAILED), ("GHOST", FAILED)]
    assert sum(1 for r in rows if r[0] == "BAD") == 3
    assert _failures() - before == 6  # counted in /metrics


def test_a_negative_current_in_the_history_does_not_stop_a_restarted_monitor(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """The critical finding: -500 A stored SUSPECT, then every restart exited with code 2."""

    def sample(k: int, current: float) -> Sample:
        return Sample(T0 + timedelta(minutes=k), _values(current), "mqtt")

    async def scenario() -> None:
        cfg = config(tmp_path, ["T1", "T2"])
        monitor, hub = fake_monitor(tmp_path, cfg)
        await monitor.start()
        hub.pending = {t: [sample(k, -500.0 if (k, t) == (5, "T1") else 800.0)
                           for k in range(10)] for t in ("T1", "T2")}  # fmt: skip
        await monitor.run_cycle(["T1", "T2"], T0 + timedelta(minutes=10))
        await monitor.shutdown()
        assert count_readings(monitor.engine, "T1") == 30  # the SUSPECT one kept for the record
        again, hub = fake_monitor(tmp_path, cfg)
        await again.start()
        hub.pending = {t: [sample(11, 810.0)] for t in ("T1", "T2")}
        report = await again.run_cycle(["T1", "T2"], T0 + timedelta(minutes=11))
        assert report.predictions == 2  # both predicted, from GOOD history only
        event = again.states["T1"].last_event
        assert event is not None and event.predicted_c is not None
        assert not event.warnings  # warmed up from its history, not steady state
        await again.shutdown()

    with caplog.at_level(logging.WARNING):
        asyncio.run(scenario())
    assert not [r for r in caplog.records if r.exc_info]  # no traceback logged


def test_no_traceback_for_configured_transformers_before_their_first_data(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    from thermowatch.alerts.hook import alert_hook

    async def scenario() -> list:
        cfg = config(tmp_path, ["T1", "T2"], missed_periods_alert=2)
        engine = migrated_sqlite(tmp_path / "store.db")
        monitor, _hub = fake_monitor(tmp_path, cfg, on_prediction=alert_hook(engine))
        await monitor.start()
        for k in range(3):
            await monitor.run_cycle(["T1", "T2"], T0 + timedelta(minutes=k))
        from thermowatch.store.alerts import open_alerts

        got = open_alerts(monitor.engine)
        await monitor.shutdown()
        return got

    with caplog.at_level(logging.WARNING):
        active = asyncio.run(scenario())
    assert not [r for r in caplog.records if r.exc_info], [r.getMessage() for r in caplog.records]
    assert {a.transformer_id for a in active} >= {"T1", "T2"}  # the stale-data alert was raised


def test_one_transformer_failing_in_the_alert_hook_does_not_hide_the_others(
    tmp_path: Path,
) -> None:
    seen: list[str] = []

    def hook(event) -> None:
        if event.transformer_id == "T2":
            raise RuntimeError("alert rule bug for T2")
        seen.append(event.transformer_id)

    def many(events) -> None:  # one transaction, as the alert engine's: all or nothing
        done: list[str] = []
        for e in events:
            if e.transformer_id == "T2":
                raise RuntimeError("alert rule bug for T2")
            done.append(e.transformer_id)
        seen.extend(done)

    hook.many = many  # type: ignore[attr-defined]

    async def scenario() -> None:
        monitor, hub = fake_monitor(tmp_path, config(tmp_path, ["T1", "T2"]), on_prediction=hook)
        await monitor.start()
        hub.pending = {t: [Sample(T0, _values(), "f")] for t in ("T2", "T1")}
        await monitor.run_cycle(["T1", "T2"], T0)
        await monitor.shutdown()

    asyncio.run(scenario())
    assert "T1" in seen
