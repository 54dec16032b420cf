"""What the field sends that cannot be true is refused or flagged, with its reason, on the
monitor path (issue 12, items 1, 2 and 6): nothing dropped silently, nothing predicted on it."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import select

from thermowatch.data.simulator import AMBIENT, CURRENT, WINDING
from thermowatch.ingest.sources.base import Sample
from thermowatch.ingest.sources.mqtt import UNREADABLE, parse_timestamp
from thermowatch.store.predictions import predictions_frame
from thermowatch.store.readings import readings_long
from thermowatch.store.tables import reading_issues

from .fakes import config, fake_monitor

T0 = datetime(2026, 7, 1, tzinfo=UTC)
GOOD = {CURRENT: 700.0, AMBIENT: 20.0, WINDING: 66.0}


def test_every_message_is_checked_and_every_refusal_recorded(tmp_path: Path) -> None:
    events = []

    async def scenario():
        monitor, hub = fake_monitor(tmp_path, config(tmp_path), on_prediction=events.append)
        await monitor.start()
        samples = [
            Sample(T0, GOOD, "mqtt"),
            # one period, several messages: each one is validated, not only the last
            Sample(T0 + timedelta(minutes=1), {**GOOD, CURRENT: 1e308}, "mqtt"),
            Sample(T0 + timedelta(minutes=2), {**GOOD, WINDING: 500.0, CURRENT: -500}, "mqtt"),
            Sample(T0 + timedelta(minutes=3), {**GOOD, CURRENT: "abc", AMBIENT: True}, "mqtt"),
            Sample(T0 + timedelta(minutes=4), {**GOOD, WINDING: float("nan")}, "mqtt"),
            Sample(datetime(9999, 12, 31, 23, 30, tzinfo=UTC), GOOD, "mqtt"),
            Sample(datetime(1, 1, 2, tzinfo=UTC), GOOD, "mqtt"),
            Sample(UNREADABLE, GOOD, "mqtt"),
            # as MQTT payloads carry them: at the calendar's edge once shifted to UTC, or
            # numbers that are no epoch (each one REJECTED with its reason, never raised)
            *(
                Sample(parse_timestamp(raw), GOOD, "mqtt")
                for raw in (
                    "9999-12-31T23:30:00-05:00",
                    "0001-01-01T00:00:00+14:00",
                    1e308,
                    float("nan"),
                )
            ),
            Sample(T0 + timedelta(minutes=5), {**GOOD, CURRENT: 10_000.0}, "mqtt"),
        ]
        # the ambient moves a little, as real ones do (else it is a frozen sensor)
        samples = [
            Sample(s.ts, {**s.values, AMBIENT: 20.0 + i / 100}, s.source)
            if s.values.get(AMBIENT) == 20.0 else s
            for i, s in enumerate(samples)
        ]  # fmt: skip
        hub.pending = {"T1": samples}
        await monitor.run_cycle(["T1"], T0 + timedelta(minutes=10))
        await monitor.shutdown()
        return monitor.engine

    engine = asyncio.run(scenario())
    with engine.connect() as conn:
        c = reading_issues.c
        issues = [tuple(r) for r in conn.execute(
            select(c.ts, c.variable, c.verdict, c.reason).order_by(c.id)
        )]  # fmt: skip
    by_var = [(i[1], i[2]) for i in issues]
    assert by_var.count(("*", "REJECTED")) == 7  # 9999, 0001, unreadable, the 4 from MQTT
    assert (CURRENT, "SUSPECT") in by_var and (WINDING, "SUSPECT") in by_var
    assert (CURRENT, "REJECTED") in by_var and (AMBIENT, "REJECTED") in by_var
    assert (WINDING, "REJECTED") in by_var  # NaN
    reasons = " ".join(i[3] for i in issues)
    assert "ahead of the clock" in reasons and "before 1990" in reasons
    assert reasons.count("beyond the calendar once converted to UTC") == 2
    assert "not a number (str)" in reasons and "not a number (bool)" in reasons
    # SUSPECT values are stored for the record, with their quality; nothing in year 9999
    long = readings_long(engine, "T1", T0, T0 + timedelta(hours=1))
    suspect = long[long["quality"] == 1]
    assert sorted(zip(suspect["variable"], suspect["value"], strict=True)) == [
        (CURRENT, -500.0), (CURRENT, 1e308), (WINDING, 500.0)
    ]  # fmt: skip
    assert readings_long(engine, "T1", T0 + timedelta(days=1), datetime(9999, 12, 31, 23, 59,
                         tzinfo=UTC)).empty  # fmt: skip
    # Never predicted on an impossible value: the held last good current is used instead,
    # so every accepted message got a finite prediction inside the physical range...
    pred = predictions_frame(engine, "T1", T0, T0 + timedelta(hours=1))
    assert len(pred) == 6 and pred["value"].between(-50, 250).all()
    assert pred["value"].iloc[:5].max() - pred["value"].iloc[:5].min() < 0.2  # ambient only
    # ...and 10 kA (possible as a reading) heats, it never cools.
    assert pred["value"].iloc[5] > pred["value"].iloc[0]
    assert [e.ts for e in events] == sorted(e.ts for e in events)
