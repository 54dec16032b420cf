"""``POST /v1/readings`` refuses lying clocks and flags impossible values (issue 12, items 1-2):
a far-future or ancient timestamp is a 422 and stores nothing; an impossible value is stored
SUSPECT and never predicted on; a prediction is finite and physical, or the answer says why."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from thermowatch.store.readings import count_readings, latest_reading_time
from thermowatch.store.status import fleet_status
from thermowatch.store.tables import reading_issues

from .conftest import TRANSFORMER, reading


def _post(client, keys, values, at):
    body = {"transformer_id": TRANSFORMER, "timestamp": at, "values": values}
    return client.post("/v1/readings", json=body, headers={"X-API-Key": keys["operator"]})


@pytest.mark.parametrize(
    "at",
    ["9999-12-31T23:30:00Z", "0001-01-01T00:00:00Z", -1, "9999-12-31T23:30:00-05:00",
     "0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59+14:00", 1e308, "NaN", float("nan")],
)  # fmt: skip
def test_a_lying_clock_is_refused_and_stores_nothing(client, keys, engine, at):
    body = {"transformer_id": TRANSFORMER, "timestamp": at, "values": reading()}
    raw = json.dumps(body)  # a bare NaN, as Python and JavaScript write it
    r = client.post(
        "/v1/readings", content=raw,
        headers={"X-API-Key": keys["operator"], "Content-Type": "application/json"},
    )  # fmt: skip
    if isinstance(at, float) and at != at:  # not JSON at all: refused before any field
        assert r.status_code == 400 and "NaN" in r.json()["erreur"], r.text
    else:
        assert r.status_code == 422, r.text
        assert "'timestamp'" in r.json()["erreur"]
    assert count_readings(engine, TRANSFORMER) == 0
    assert latest_reading_time(engine, TRANSFORMER) is None


def test_impossible_values_are_stored_suspect_and_never_predicted_on(client, keys, engine):
    at = datetime(2026, 3, 1, 8, tzinfo=UTC)
    answers = []
    for i, current in enumerate([1e308, 2**63, 850.0, 1e308, 10_000.0]):
        r = _post(client, keys, reading(**{"courant (A)": current}),
                  (at + timedelta(minutes=10 * i)).isoformat())  # fmt: skip
        assert r.status_code == 201, r.text
        answers.append(r.json())
    for a in answers:  # never null + NORMAL
        if a["temperature_predite"] is None:
            assert a["niveau_alerte"] is None and a["raison"].startswith("no prediction")
        else:
            assert -50 <= a["temperature_predite"] <= 250 and a["niveau_alerte"] is not None
    # no good current yet: no prediction, and the answer says why
    assert answers[0]["temperature_predite"] is None and "courant (A)" in answers[0]["raison"]
    assert answers[0]["valeurs_suspectes"][0]["variable"] == "courant (A)"
    assert answers[0]["valeurs_suspectes"][0]["verdict"] == "SUSPECT"
    # the first good current is predicted as usual (no 500 afterwards), and the impossible
    # current after it is not used: the held 850 A gives the same answer
    assert answers[2]["temperature_predite"] is not None
    assert answers[3]["temperature_predite"] == pytest.approx(
        answers[2]["temperature_predite"], abs=0.5
    )
    # 10 kA is a possible reading, far beyond what the model learnt: 10 min after 850 A the
    # windings heat towards it (thermal inertia), CRITIQUE; never colder (it was -335 °C
    # NORMAL), never without a level (an overload must raise the worst level)
    last = answers[4]
    assert last["temperature_predite"] > answers[2]["temperature_predite"] + 50
    assert last["niveau_alerte"] == "CRITIQUE"
    with engine.connect() as conn:
        c = reading_issues.c
        verdicts = conn.execute(select(c.variable, c.verdict).order_by(c.id)).all()
    currents = [tuple(v) for v in verdicts if v.variable == "courant (A)"]
    assert currents == [("courant (A)", "SUSPECT")] * 3  # 10 kA is a possible reading


def test_the_measured_target_and_the_worse_level_with_its_source(client, keys):
    at = datetime(2026, 3, 2, 8, tzinfo=UTC)
    r = _post(client, keys, reading(**{"température enroulement (°C)": 140.0}), at.isoformat())
    assert r.status_code == 201, r.text
    a = r.json()
    assert a["temperature_mesuree"] == 140.0 and a["niveau_mesure"] == "CRITIQUE"
    assert a["niveau"] == "CRITIQUE" and a["niveau_source"] == "measured"
    assert a["niveau_alerte"] in ("NORMAL", "ALERTE")  # the model's normal behaviour
    # the API and `status` show the worse level too, and say which it is
    state = client.get(f"/v1/transformers/{TRANSFORMER}", headers={"X-API-Key": keys["reader"]})
    assert (state.json()["niveau"], state.json()["niveau_source"]) == ("CRITIQUE", "measured")
    [row] = fleet_status(client.app.state.engine, now=at + timedelta(minutes=1))
    assert (row.level, row.level_source, row.measured_level) == ("CRITIQUE", "measured", "CRITIQUE")
    assert row.predicted_level == a["niveau_alerte"]


def test_predict_never_answers_an_impossible_temperature(client, keys):
    """10 kA is a possible current but far beyond the model: never -335 °C NORMAL (issue 12,
    item 2) and never a refusal — hotter than physics allows is reported at the bound,
    CRITIQUE, and says so; the batch route agrees."""
    r = client.post("/predict", json=reading(**{"courant (A)": 10_000.0}),
                    headers={"X-API-Key": keys["reader"]})  # fmt: skip
    assert r.status_code == 200, r.text
    a = r.json()
    assert (a["temperature_predite"], a["niveau_alerte"]) == (250.0, "CRITIQUE")
    assert a["intervalle"] == [250.0, 250.0]
    assert any("above the physical range" in w for w in a["avertissements"])
    batch = client.post("/v1/predict/batch", json=[reading(**{"courant (A)": 10_000.0})],
                        headers={"X-API-Key": keys["reader"]})  # fmt: skip
    assert batch.status_code == 200, batch.text
    assert batch.json()["temperature_predite"] == [250.0]
    assert batch.json()["niveau_alerte"] == ["CRITIQUE"]
    big = client.post("/predict", json=reading(**{"courant (A)": 1e308}),
                      headers={"X-API-Key": keys["reader"]})  # fmt: skip
    assert big.status_code == 422 and "courant (A)" in big.json()["erreur"]


def test_an_overload_beyond_physics_raises_a_critique_alert(client, keys, engine):
    """Six hours at 10 kA (a possible current, ten times what the model learnt): the answers
    climb to the physical bound and stay CRITIQUE, and a CRITIQUE alert is stored — an
    answer above the physical range must raise the worst level, not silence the alerts."""
    from thermowatch.store.alerts import open_alerts

    at = datetime(2026, 3, 3, 8, tzinfo=UTC)
    body = [
        {"transformer_id": TRANSFORMER, "timestamp": (at + timedelta(minutes=10 * i)).isoformat(),
         "values": reading(**{"courant (A)": 10_000.0})}
        for i in range(36)
    ]  # fmt: skip
    r = client.post("/v1/readings", json=body, headers={"X-API-Key": keys["operator"]})
    assert r.status_code == 201, r.text
    answers = r.json()
    assert all(a["niveau_alerte"] == "CRITIQUE" for a in answers[1:])
    assert answers[-1]["temperature_predite"] == 250.0
    assert any("above the physical range" in w for w in answers[-1]["avertissements"])
    levels = {(a.kind, a.level) for a in open_alerts(engine, TRANSFORMER)}
    assert ("temperature_predicted", "CRITIQUE") in levels
