"""The pages over the simulated fleet: colours, acknowledgement, panels, chart, live feed."""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from thermowatch.dashboard.events import LiveFeed, encode
from thermowatch.learn.levels import Level
from thermowatch.learn.result import Thresholds
from thermowatch.service.apikeys import create_key
from thermowatch.store.alerts import get_alert, raise_alert
from thermowatch.store.audit import entries
from thermowatch.store.overview import fleet_overview
from thermowatch.store.readings import Reading, latest_value, write_readings
from thermowatch.store.transformers import get_transformer

from .conftest import csrf_of, sign_in

ROW = re.compile(r'<tr id="tr-(TR-\d+)" class="lv-(\w+)( stale)?"')


def test_fleet_colours_follow_the_measured_temperatures(client, engine):
    sign_in(client, "reader")
    html = client.get("/").text
    rows = ROW.findall(html)
    assert len(rows) == 8
    stored = get_transformer(engine, "TR-0001").thresholds  # fitted to the hour's simulation
    th = Thresholds(stored["alert"], stored["critical"], "config")
    for tid, level, stale in rows:
        t = get_transformer(engine, tid)
        _, oil = latest_value(engine, tid, t.target_variable)
        assert level == th.level(oil), tid
        assert bool(stale) == (tid == "TR-0008"), tid  # the last one stopped an hour ago
    levels = [lv for _, lv, _ in rows]
    assert levels[0] in ("CRITIQUE", "ALERTE") and "ALERTE" not in levels[2:]  # worst first
    assert {tid for tid, lv, _ in rows if lv != "NORMAL"} <= {"TR-0001", "TR-0002"}
    red = sum(lv == "CRITIQUE" for lv in levels)
    assert f"8 transformateurs — {red} critiques" in html


def test_fleet_query_is_one_round_trip_for_every_row(engine):
    rows = fleet_overview(engine)
    assert [r.id for r in rows] == [f"TR-{i:04d}" for i in range(1, 9)]
    for r in rows:
        assert r.measured == latest_value(engine, r.id, r.target_variable)[1]
        assert r.last_reading_at.tzinfo is not None
    assert sum(r.open_alerts for r in rows) >= 1


def test_reader_cannot_acknowledge(client, engine):
    sign_in(client, "reader")
    page = client.get("/alerts")
    ids = re.findall(r'id="alert-(\d+)"', page.text)
    assert ids and "Acquitter" not in page.text and 'action="/alerts/' not in page.text
    r = client.post(f"/alerts/{ids[0]}/acknowledge", data={"csrf": csrf_of(page.text)})
    assert r.status_code == 403 and "rôle operator" in r.text
    assert get_alert(engine, int(ids[0])).acknowledged_at is None


def test_operator_acknowledges_with_a_comment_and_the_api_agrees(client, engine):
    sign_in(client, "operator")
    page = client.get("/alerts")
    alert_id = int(re.findall(r'id="alert-(\d+)"', page.text)[0])
    r = client.post(
        f"/alerts/{alert_id}/acknowledge",
        data={"csrf": csrf_of(page.text), "comment": "charge transférée sur T2"},
        follow_redirects=True,
    )
    assert r.status_code == 200 and f"Alerte {alert_id} acquittée." in r.text
    # an acknowledged alarm stays listed while active (ISA-18.2), in its new state
    assert re.search(rf'id="alert-{alert_id}"[^>]*data-state="acknowledged"', r.text)
    opened = client.get("/alerts?state=open").text
    assert f'id="alert-{alert_id}"' not in opened  # no longer among the unacknowledged
    acked = client.get("/alerts?state=acknowledged").text
    assert "Acquittée par user:operator" in acked and "charge transférée sur T2" in acked
    _, key = create_key(engine, "reader")
    api = client.get("/v1/alerts", headers={"X-API-Key": key}).json()
    mine = next(a for a in api if a["id"] == alert_id)
    assert mine["acknowledged_by"] == "user:operator" and mine["acknowledged_at"]
    deadline = time.monotonic() + 10  # the audit queue flushes every 50 ms
    while not (audited := entries(engine, action="acknowledge_alert")):
        assert time.monotonic() < deadline, "the acknowledgement was not audited"
        time.sleep(0.05)
    assert audited[0].actor == "user:operator" and audited[0].target == str(alert_id)


def test_operator_shelves_with_a_reason_and_expiry_then_unshelves(client, engine):
    sign_in(client, "operator")
    page = client.get("/alerts")
    alert_id = int(re.findall(r'id="alert-(\d+)"', page.text)[0])
    assert f'id="shelve-{alert_id}"' in page.text
    before = datetime.now(UTC)
    r = client.post(f"/alerts/{alert_id}/shelve", follow_redirects=True,
                    data={"csrf": csrf_of(page.text), "minutes": "60",
                          "reason": "travaux sur le capteur"})  # fmt: skip
    assert r.status_code == 200 and f"Alerte {alert_id} mise en attente." in r.text
    shelved = get_alert(engine, alert_id)
    assert shelved.state == "shelved" and shelved.shelved_by == "user:operator"
    expiry = (shelved.shelved_until - before).total_seconds()
    assert 3590 < expiry < 3700, expiry  # the expiry chosen, one hour
    listed = client.get("/alerts?state=shelved").text
    assert "travaux sur le capteur" in listed and f'id="unshelve-{alert_id}"' in listed
    (audited,) = entries(engine, action="alerts.shelve")
    assert audited.actor == "user:operator" and "travaux sur le capteur" in audited.detail
    # A reason is required; a duration beyond a day is refused; nothing changes.
    for bad in ({"minutes": "60", "reason": " "}, {"minutes": "5000", "reason": "x"}):
        r = client.post(f"/alerts/{alert_id}/shelve", data={"csrf": csrf_of(listed), **bad})
        assert r.status_code == 400, bad
    assert get_alert(engine, alert_id).shelved_until == shelved.shelved_until
    r = client.post(f"/alerts/{alert_id}/unshelve", data={"csrf": csrf_of(listed)},
                    follow_redirects=True)  # fmt: skip
    assert f"Alerte {alert_id} remise en service." in r.text
    assert get_alert(engine, alert_id).shelved_until is None
    assert [e.actor for e in entries(engine, action="alerts.unshelve")] == ["user:operator"]


def test_reader_cannot_shelve(client, engine):
    sign_in(client, "reader")
    page = client.get("/alerts")
    alert_id = int(re.findall(r'id="alert-(\d+)"', page.text)[0])
    assert f'id="shelve-{alert_id}"' not in page.text
    r = client.post(f"/alerts/{alert_id}/shelve",
                    data={"csrf": csrf_of(page.text), "minutes": "60", "reason": "x"})  # fmt: skip
    assert r.status_code == 403 and get_alert(engine, alert_id).shelved_until is None


def test_alert_filters(client, engine):
    raise_alert(engine, "TR-0003", "sensor_stale", "ALERTE", "capteur muet")
    sign_in(client, "reader")
    by_kind = client.get("/alerts?kind=sensor_stale").text
    assert by_kind.count('<tr id="alert-') == 1 and "capteur muet" in by_kind
    by_tr = client.get("/alerts?transformer=TR-0003").text
    assert by_tr.count('<tr id="alert-') == 1
    assert client.get("/alerts?level=ROUGE").status_code == 400
    assert client.get("/alerts?state=all").status_code == 200


def test_transformer_panels_match_the_json(client):
    sign_in(client, "reader")
    # a normally loaded one: an overloaded one may rightly have no capability left (0 pu)
    # at the daily peak of the simulated load
    html = client.get("/transformers/TR-0003").text
    data = client.get("/transformers/TR-0003/panels.json").json()
    assert data["problem"] is None and data["source"] == "physics"
    shown = dict(re.findall(r'<tr data-minutes="(\d+)" data-load="([\d.]+)"', html))
    assert set(shown) == {"30", "120", "480"}
    for c in data["capability"]:
        assert float(shown[str(c["minutes"])]) == pytest.approx(c["max_load_pu"], abs=2e-3)
    loads = [c["max_load_pu"] for c in data["capability"]]
    assert loads == sorted(loads, reverse=True) and 0 < loads[-1] <= 1.5
    assert len(data["forecast"]["value"]) == 145
    crossing = re.search(r'id="forecast-crossing" data-level="(\w*)"', html).group(1)
    assert crossing == (data["crossing"]["level"] if data["crossing"] else "")
    assert "Prévision physique (CEI 60076-7)" in html  # the physics is labelled as such


def test_chart_series_downsampled_with_peaks(client, engine):
    sign_in(client, "reader")
    j = client.get("/transformers/TR-0002/series?window=6h").json()
    assert 70 <= j["raw_points"] <= 73 and j["measured"].count(None) < len(j["t"])
    assert j["t"] == sorted(j["t"])
    now = datetime.now(UTC).timestamp()
    assert now - 7 * 3600 < j["t"][0] < now  # epoch seconds, not micro- or nanoseconds
    alert = get_transformer(engine, "TR-0002").thresholds["alert"]
    assert set(j["threshold_alert"]) == {alert} and "forecast" in j
    _, oil = latest_value(engine, "TR-0002", "température huile (°C)")
    assert max(v for v in j["measured"] if v is not None) >= round(oil, 3) - 1e-6
    assert client.get("/transformers/TR-0002/series?window=2d").status_code == 400


def test_what_if_and_its_errors(client):
    sign_in(client, "reader")
    ok = client.get("/transformers/TR-0004/whatif?load=1,6&hours=4")
    assert ok.status_code == 200 and "Limite atteinte après" in ok.text
    safe = client.get("/transformers/TR-0004/whatif?load=0.5&hours=1")
    assert "Les limites ne sont pas atteintes." in safe.text
    # refusals in the page's language, from the catalogue
    bad = client.get("/transformers/TR-0004/whatif?load=abc&hours=1")
    assert bad.status_code == 400 and "la charge doit être un nombre" in bad.text
    far = client.get("/transformers/TR-0004/whatif?load=1&hours=500")
    assert far.status_code == 400 and "entre 0 et 48 h" in far.text


def test_unknown_transformer_is_a_404_page(client):
    sign_in(client, "reader")
    r = client.get("/transformers/NOPE")
    assert r.status_code == 404 and "NOPE n&#39;existe pas." in r.text


def test_models_page_renders(client):
    sign_in(client, "reader")
    r = client.get("/models")
    assert r.status_code == 200 and "Aucun modèle enregistré." in r.text


def test_live_feed_sees_new_alerts_and_readings(engine):
    feed = LiveFeed(engine)
    feed.last_alert_id = 0
    feed.poll_once()  # drain what is there
    feed.watches["TR-0005"] = feed._watch("TR-0005")
    assert feed.poll_once() == []
    at = datetime.now(UTC) + timedelta(seconds=1)
    write_readings(engine, [Reading("TR-0005", at, "température huile (°C)", 77.5)])
    new_id = raise_alert(engine, "TR-0005", "top_oil_high", "CRITIQUE", "huile 77,5 °C")
    events = feed.poll_once()
    kinds = [(k, tid) for k, tid, _ in events]
    assert kinds == [("alert", None), ("reading", "TR-0005")]
    assert events[0][2]["id"] == new_id and events[1][2]["measured"] == 77.5
    message = encode("alert", events[0][2], "en").decode()
    assert message.startswith("event: alert\n") and '"level_text":"Critical"' in message
    assert feed.poll_once() == []  # nothing twice


def test_chart_arrays_match_the_store_frames(engine):
    from thermowatch.store.overview import prediction_arrays, reading_arrays
    from thermowatch.store.predictions import Prediction, predictions_frame, write_predictions
    from thermowatch.store.readings import readings_frame

    now = datetime.now(UTC)
    write_predictions(engine, [
        Prediction("TR-0006", now - timedelta(minutes=m), "m1", 50.0 + m, None if m % 2 else 48.0 + m,
                   None if m % 2 else 52.0 + m)
        for m in range(30)
    ])  # fmt: skip
    start, end = now - timedelta(hours=7), now + timedelta(seconds=1)
    arrays = prediction_arrays(engine, "TR-0006", start, end)
    frame = predictions_frame(engine, "TR-0006", start, end)
    assert np.array_equal(arrays["value"], frame["value"].to_numpy())
    assert np.array_equal(np.isnan(arrays["lower"]), frame["lower"].isna().to_numpy())
    assert np.array_equal(arrays["ts_us"], frame.index.as_unit("us").asi8)
    ts, values = reading_arrays(engine, "TR-0006", "température huile (°C)", start, end)
    wide = readings_frame(engine, "TR-0006", start, end, variables=["température huile (°C)"])
    assert np.array_equal(values, wide["température huile (°C)"].to_numpy())
    assert np.array_equal(ts, wide.index.as_unit("us").asi8) and ts.size > 60


def test_year_window_draws_the_hourly_peaks_retention_kept(client, engine):
    from thermowatch.store.retention import apply_retention

    oil = "température huile (°C)"
    now = datetime.now(UTC)
    old = [now - timedelta(days=200, minutes=m) for m in range(0, 180)]
    values = [55.0 + (25.0 if m == 77 else 0.0) for m in range(180)]  # one 80 °C minute
    write_readings(
        engine, [Reading("TR-0006", t, oil, v) for t, v in zip(old, values, strict=True)]
    )
    apply_retention(engine, raw_days=90, now=now)  # folds the old raw minutes into hours
    sign_in(client, "reader")
    j = client.get("/transformers/TR-0006/series?window=1y").json()
    year_ago = now.timestamp() - 365 * 86400
    old_points = [(t, v) for t, v in zip(j["t"], j["measured"], strict=True)
                  if v is not None and t < now.timestamp() - 150 * 86400]  # fmt: skip
    assert len(old_points) in (6, 8)  # 3 or 4 hours (min and max each), per the hour boundaries
    assert max(v for _, v in old_points) == 80.0 and min(v for _, v in old_points) == 55.0
    assert all(year_ago < t for t, _ in old_points)
    assert j["t"] == sorted(j["t"])


def test_loss_of_life_since_commissioning_counts_hourly_and_raw(client, engine):
    from thermowatch.dashboard.panels import life_so_far
    from thermowatch.store.overview import reading_arrays
    from thermowatch.store.retention import apply_retention
    from thermowatch.thermal.ageing import loss_of_life_days

    winding = "température enroulement (°C)"
    now = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    start = now - timedelta(days=120)
    old = [start + timedelta(minutes=m) for m in range(120)]  # two whole hours at 104 °C
    write_readings(engine, [Reading("TR-0007", t, winding, 104.0) for t in old])
    before = life_so_far(engine, get_transformer(engine, "TR-0007"), now)
    apply_retention(engine, raw_days=90, now=now)
    after = life_so_far(engine, get_transformer(engine, "TR-0007"), now)
    assert after.since == start and after.hourly_hours == 2
    # two hours at 104 °C age like four hours at the rated 98 °C: 4/24 day, raw or hourly;
    # with the raw history, the first recent reading also counted for the 60 min gap before it
    first = reading_arrays(engine, "TR-0007", winding, now - timedelta(days=1), now)[1][0]
    gap = float(loss_of_life_days(np.array([first]), 60.0))
    assert after.loss_days == pytest.approx(before.loss_days - gap, rel=0.01)
    recent = before.loss_days - float(loss_of_life_days(np.full(119, 104.0), 1.0)) - gap
    assert after.loss_days - recent == pytest.approx(4 / 24, rel=0.02)
    sign_in(client, "reader")
    html = client.get("/transformers/TR-0007").text
    assert 'id="loss-total"' in html and "2 h comptées sur les moyennes horaires" in html


def test_fleet_crossings_are_the_stored_states_future_crossing(client, engine):
    """The fleet's crossing column is each transformer's stored state: the earliest future
    forecast crossing of a level above the one it is at (issue 21), never a past instant."""
    from thermowatch.store.state import read_states

    states = read_states(engine)
    sign_in(client, "reader")
    html = client.get("/").text
    shown = dict(re.findall(r'id="tr-(TR-\d+)".*?data-crossing="(\w*)"', html, re.S))
    assert set(shown) == {f"TR-{i:04d}" for i in range(1, 9)}
    for tid, level in shown.items():
        s = states[tid]
        assert level == (s.crossing_level or ""), tid
        if s.crossing_at is not None:
            assert s.crossing_at > s.ts and Level[s.crossing_level] > Level[s.level], tid


@pytest.mark.parametrize(("lang", "mark"), [("fr", "extrapolation"), ("en", "extrapolating")])
def test_an_extrapolating_prediction_is_marked_on_the_fleet_row_and_its_page(
    client, engine, lang, mark
):
    from sqlalchemy import update

    from thermowatch.store.engine import write_transaction
    from thermowatch.store.tables import transformer_state

    c = transformer_state.c
    with write_transaction(engine) as conn:  # as the live pipeline stores such a reading
        conn.execute(update(transformer_state).where(c.transformer_id == "TR-0003")
                     .values(extrapolating=True))  # fmt: skip
    sign_in(client, "reader")
    client.post("/lang", data={"csrf": csrf_of(client.get("/").text), "lang": lang})
    fleet = client.get("/").text
    flags = dict(re.findall(r'<tr id="tr-(TR-\d+)"[^>]*data-extrapolating="(\d)"', fleet))
    assert flags["TR-0003"] == "1" and set(flags.values()) == {"0", "1"}
    row = re.search(r'<tr id="tr-TR-0003".*?</tr>', fleet, re.S).group(0)
    assert 'class="extrapolating"' in row and mark in row
    page = client.get("/transformers/TR-0003").text
    assert 'id="extrapolating" data-extrapolating="1"' in page and mark in page
    assert 'id="extrapolating"' not in client.get("/transformers/TR-0004").text
