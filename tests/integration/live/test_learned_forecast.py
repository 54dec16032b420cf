"""Time to threshold from the champion's learned forecast (with its interval), the physics
only when the champion has none, and the stored forecast and the alert text say which."""

from __future__ import annotations

import dataclasses
import math
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import select

from tests.helpers.store import migrated_sqlite
from thermowatch.alerts.messages import AlertFacts, render
from thermowatch.data.simulator import AMBIENT, CURRENT, SAMPLE_SPEC, WINDING, simulate_sample
from thermowatch.learn.artifact import load_model
from thermowatch.learn.levels import Level
from thermowatch.learn.result import Thresholds
from thermowatch.live import Snapshot
from thermowatch.live.forecast import FORECAST_HORIZON, LEARNED, PHYSICS, forecast_temperature
from thermowatch.live.pipeline import Pipeline, Profile
from thermowatch.store.tables import forecasts
from thermowatch.store.transformers import ensure_transformer

TID = "TR-01"
# Low enough that the day's load peaks are forecast to cross them.
THRESHOLDS = Thresholds(alerte_c=60.0, critique_c=70.0, rule="config")


@pytest.fixture(scope="module")
def champion(sample_model_dir: Path):
    return load_model(sample_model_dir)


@pytest.fixture(scope="module")
def day() -> pd.DataFrame:
    frame = simulate_sample(days=2, step="10min", seed=5, start="2026-07-01").frame
    frame = frame.set_index(pd.DatetimeIndex(frame.pop("horodatage")).tz_localize(UTC))
    return frame.iloc[:144].ffill().bfill()


@dataclasses.dataclass(frozen=True)
class Run:
    """One day through the live pipeline: its store, events and what it stored as forecasts."""

    predictor: object
    engine: object
    snaps: list
    events: list
    stored: set


@pytest.fixture(scope="module")
def runs(tmp_path_factory, champion, day):
    """``runs(learned)``: the day through the pipeline with the champion (its learned
    forecast) or without its forecaster, each run once per module; the tests only read it."""
    done: dict[bool, Run] = {}

    def run(learned: bool) -> Run:
        if learned not in done:
            predictor = champion if learned else dataclasses.replace(champion, forecaster=None)
            done[learned] = _run(tmp_path_factory.mktemp("live"), predictor, day)
        return done[learned]

    yield run
    for r in done.values():
        r.engine.dispose()


def _run(tmp_path: Path, predictor, day: pd.DataFrame) -> Run:
    engine = migrated_sqlite(tmp_path / "live.db")
    ensure_transformer(engine, TID, TID, target_variable=WINDING, spec=SAMPLE_SPEC.to_dict())
    profile = Profile(TID, WINDING, THRESHOLDS, predictor=predictor, spec=SAMPLE_SPEC,
                      load=CURRENT, ambient=AMBIENT)  # fmt: skip
    pipeline = Pipeline(engine, lambda _: profile)
    snaps = [
        Snapshot(TID, ts.to_pydatetime(), {k: float(v) for k, v in row.items()}, "test")
        for ts, row in day.iterrows()
    ]
    events, _ = pipeline.process(snaps, now=day.index[-1].to_pydatetime())
    with engine.connect() as conn:
        stored = {r.model_id for r in conn.execute(select(forecasts.c.model_id))}
    return Run(predictor, engine, snaps, events, stored)


def test_the_champions_forecast_gives_the_time_to_threshold(champion, runs):
    events, stored = runs(True).events, runs(True).stored
    learned = [e for e in events if e.forecast_source == LEARNED]
    assert len(learned) >= len(events) - 1  # the first reading has no history yet
    assert stored <= {champion.model_id, f"iec60076-7:{SAMPLE_SPEC.cooling}"}
    assert champion.model_id in stored
    # the interval comes with it, and the crossing lies inside its window
    crossed = 0
    for e in learned:
        assert e.forecast_model_id == champion.model_id
        assert all(
            lo <= x <= hi for (_, x), (lo, hi) in zip(e.forecast, e.forecast_bounds, strict=True)
        )
        at = e.crossing(Level.CRITIQUE)
        if at is not None and e.predicted_c is not None and e.predicted_c < THRESHOLDS.critique_c:
            earliest, latest = e.crossing_window(Level.CRITIQUE)
            first = next(t for t, x in e.forecast if x >= THRESHOLDS.critique_c)
            assert at <= first  # interpolated between the point before and this one
            assert earliest is not None and earliest <= first
            assert latest is None or first <= latest
            crossed += 1
    assert crossed > 0, "the day's peaks must be forecast to cross CRITIQUE ahead of time"


def test_without_a_learned_forecast_the_physics_stands_in_and_says_so(runs):
    events, stored = runs(False).events, runs(False).stored
    assert stored == {f"iec60076-7:{SAMPLE_SPEC.cooling}"}
    last = events[-1]
    assert last.forecast_source == PHYSICS and "has no learned forecast" in last.forecast_note
    assert len(last.forecast) == 96  # 24 h every 15 min: the transformer page's horizon


@pytest.mark.parametrize("learned", [True, False])
def test_the_fleet_column_and_the_transformer_page_forecast_the_same_horizon(runs, day, learned):
    """The forecast the pipeline stores, whose first crossing the fleet page shows, spans
    the transformer page's 24 h, learned or physics; one issue per 15 min of data time."""
    from thermowatch.dashboard.panels import thermal_panels
    from thermowatch.store.overview import forecast_crossings
    from thermowatch.store.transformers import get_transformer

    predictor, engine, snaps = runs(learned).predictor, runs(learned).engine, runs(learned).snaps
    f = forecasts.c
    with engine.connect() as conn:
        rows = conn.execute(
            select(f.issued_at, f.ts, f.model_id, f.level).order_by(f.issued_at, f.ts)
        )
        issues: dict = {}
        for issued, ts, model, level in rows:
            issues.setdefault(issued, []).append((ts, model, level))
    model = predictor.model_id if learned else f"iec60076-7:{SAMPLE_SPEC.cooling}"
    newest = max(issues)
    assert {m for _, m, _ in issues[newest]} == {model}
    stored_span = issues[newest][-1][0] - newest
    page = thermal_panels(engine, get_transformer(engine, TID), THRESHOLDS,
                          now=day.index[-1].to_pydatetime(), predictor=predictor)  # fmt: skip
    assert page.forecast is not None and page.forecast.source == (
        "learned" if learned else "physics"
    )
    page_span = page.forecast.index[-1] - page.forecast.index[0]
    if learned:  # the page's learned points start one step after now, the physics' at now
        page_span += pd.Timedelta("10min")
    assert stored_span == page_span == FORECAST_HORIZON
    # Stored once per 15 min of data time (readings every 10 min: an issue every 20 min),
    # not with each of the 144 readings (and at once when the source changes: the first
    # reading, without history, has the physics' forecast).
    same = sorted(t for t, points in issues.items() if points[0][1] == model)
    gaps = pd.Series(same).diff().dropna()
    assert len(same) >= len(issues) - 1
    assert len(issues) < len(snaps) and (gaps >= pd.Timedelta("15min")).all()
    assert (gaps <= pd.Timedelta("20min")).all()
    # The fleet page's column reads that newest issue.
    first = next((t for t, _, lvl in issues[newest] if lvl in ("ALERTE", "CRITIQUE")), None)
    crossing = forecast_crossings(engine).get(TID)
    if first is None:
        assert crossing is None
    else:
        assert crossing.issued_at == newest.replace(tzinfo=UTC)
        assert crossing.at == first.replace(tzinfo=UTC)


def test_one_function_for_the_pipeline_and_the_dashboard(champion, day):
    calls = []

    def physics():
        calls.append(1)
        index = pd.date_range(day.index[-1], periods=3, freq="1h")
        frame = pd.DataFrame({"predicted": 50.0, "lower": 48.0, "upper": 52.0}, index=index)
        return frame, "iec60076-7:ONAF"

    fc = forecast_temperature(champion, day, physics, pd.Timedelta(hours=2))
    assert fc.source == LEARNED and not calls
    assert fc.frame.index[-1] - day.index[-1] == pd.Timedelta(hours=2)
    c = fc.crossings({"ALERTE": 0.0})["ALERTE"]  # crossed at once, by every bound
    assert c.at == c.earliest == c.latest == fc.frame.index[0]
    short = forecast_temperature(champion, day.drop(columns=[WINDING]), physics)
    assert short.source == PHYSICS and "unavailable" in short.note and calls
    assert forecast_temperature(None, None, lambda: None) is None


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_the_alert_text_says_which_forecast(lang):
    at = datetime(2026, 7, 1, 8, tzinfo=UTC)
    facts = AlertFacts(
        7, TID, "forecast_crossing", "ALERTE", 58.0, 60.0, at, 3.0, timedelta(minutes=50),
        "ALERTE", 60.0, at + timedelta(minutes=50), LEARNED, "m-42",
        (at + timedelta(minutes=30), at + timedelta(minutes=90)),
    )  # fmt: skip
    _, body = render(facts, "raised", lang)
    learned = {"fr": "Prévision : apprise, modèle m-42", "en": "Forecast: learned, model m-42"}
    assert learned[lang] in body
    assert "08:30 UTC" in body and "09:30 UTC" in body
    facts = dataclasses.replace(facts, eta_source=PHYSICS, eta_model="iec60076-7:ONAF",
                                eta_window=(at + timedelta(minutes=30), None))  # fmt: skip
    _, body = render(facts, "raised", lang)
    assert ("physique CEI 60076-7" if lang == "fr" else "IEC 60076-7 physics") in body
    assert ("au-delà de l'horizon" if lang == "fr" else "beyond the horizon") in body
    assert not math.isnan(facts.value)
