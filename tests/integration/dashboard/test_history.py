"""An imported archive is the first thing a utility loads: the transformer page opens on it."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime

from tests.conftest import REPO

from .conftest import sign_in


def _cli(*args: str, cwd) -> None:
    env = os.environ | {"PYTHONPATH": str(REPO / "src")}
    done = subprocess.run([sys.executable, "-m", "thermowatch", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=300)  # fmt: skip
    assert done.returncode == 0, done.stderr


def test_an_imported_past_month_is_shown_with_its_date(client, engine, tmp_path):
    _cli("sample", "--out", "past.csv", "--days", "30", "--step", "10min", cwd=tmp_path)
    _cli("db", "import", "past.csv", "-t", "TR-ARCH", "--database-url", str(engine.url),
         cwd=tmp_path)  # fmt: skip
    sign_in(client, "reader")
    page = client.get("/transformers/TR-ARCH").text
    # the sample's month is January 2024: its last reading, said plainly, and the window before it
    assert "Dernière mesure le 30/01/2024 23:50 UTC (il y a 2 ans)" in page
    assert 'id="history-note"' in page and "du 30/01/2024 23:50 UTC" in page
    assert "jamais" not in page
    for window, least in (("24h", 140), ("7d", 900), ("30d", 900)):
        s = client.get(f"/transformers/TR-ARCH/series?window={window}").json()
        assert s["measured_points"] >= least, window
        first, last = (datetime.fromtimestamp(v, UTC) for v in (s["t"][0], s["t"][-1]))
        assert first >= datetime(2024, 1, 1, tzinfo=UTC) and last.date().isoformat() == "2024-01-30"
        assert "forecast" not in s  # no forecast continues a two-year-old measurement
        assert s["ambient"].count(None) < len(s["t"]) and "current_a" in s  # the chart below
        # the counts said are those drawn
        assert s["measured_points"] == sum(v is not None for v in s["measured"])
    # a transformer that has never reported says so, and "no data" only then
    from thermowatch.store.transformers import ensure_transformer

    ensure_transformer(engine, "TR-EMPTY")
    empty = client.get("/transformers/TR-EMPTY").text
    assert "Aucune mesure enregistrée pour ce transformateur." in empty
    assert client.get("/transformers/TR-EMPTY/series").json()["t"] == []


def test_an_admin_names_a_transformer_and_its_site_for_the_fleet_table(client, engine):
    from thermowatch.store.transformers import ensure_transformer, get_transformer

    from .conftest import csrf_of

    ensure_transformer(engine, "TR-NEW")
    sign_in(client, "reader")
    token = csrf_of(client.get("/transformers/TR-NEW").text)
    denied = client.post("/transformers/TR-NEW/identity",
                         data={"csrf": token, "name": "X", "site": "Y"})  # fmt: skip
    assert denied.status_code == 403 and get_transformer(engine, "TR-NEW").site is None
    fleet = client.get("/").text
    row = fleet[fleet.index('id="tr-TR-NEW"') :].split("</tr>")[0]
    assert '<td class="name">—</td>' in row  # the code is not repeated as a name
    client.cookies.clear()
    sign_in(client, "admin")
    token = csrf_of(client.get("/transformers/TR-NEW").text)
    done = client.post("/transformers/TR-NEW/identity", follow_redirects=False,
                       data={"csrf": token, "name": "  Poste  Nord ", "site": "Valence"})  # fmt: skip
    assert done.status_code == 303
    tr = get_transformer(engine, "TR-NEW")
    assert (tr.name, tr.site) == ("Poste Nord", "Valence")
    row = client.get("/").text.split('id="tr-TR-NEW"')[1].split("</tr>")[0]
    assert '<td class="name">Poste Nord</td>' in row and '<td class="site">Valence</td>' in row
    page = client.get("/transformers/TR-NEW").text
    assert "<h1>Transformateur TR-NEW — Poste Nord · Valence</h1>" in page


def test_capability_starts_from_the_measured_hot_spot_and_says_it_is_past_the_limit(client, engine):
    from datetime import timedelta

    from thermowatch.data.simulator import WINDING
    from thermowatch.store.readings import Reading, write_readings

    now = datetime.now(UTC)
    sign_in(client, "reader")
    before = client.get("/transformers/TR-0003/panels.json").json()
    assert before["problem"] is None and before["capability"][0]["max_load_pu"] > 0
    # the winding measured at 140 °C now (the replay from load and ambient says far less)
    write_readings(engine, [Reading("TR-0003", now - timedelta(seconds=s), WINDING, 140.0)
                            for s in (30, 0)])  # fmt: skip
    after = client.get("/transformers/TR-0003/panels.json").json()
    assert after["hot_spot_c"] == 140.0
    assert [c["max_load_pu"] for c in after["capability"]] == [0.0, 0.0, 0.0]
    page = client.get("/transformers/TR-0003").text
    assert "Déjà au-delà de la limite : Point chaud 140 °C &gt; 120 °C." in page
    whatif = client.get("/transformers/TR-0003/whatif?load=0,5&hours=1").text
    assert "Déjà au-delà de la limite" in whatif
