"""POST /v1/predict/batch reads what `train` reads: the tool's own French CSV, xlsx, extra
columns; a bad cell rejects its row only, named by its file line."""

from __future__ import annotations

import io

import pandas as pd
import pytest

from thermowatch.data.simulator import simulate_sample, write_sample


@pytest.fixture(scope="module")
def french_csv(tmp_path_factory) -> bytes:
    """Four days as `thermowatch sample` writes them: `;`, decimal comma, the measured target."""
    path = tmp_path_factory.mktemp("batch") / "export.csv"
    write_sample(simulate_sample(days=4, seed=3), str(path))
    return path.read_bytes()


def post_csv(client, key, body: bytes, **params):
    headers = {"X-API-Key": key, "Content-Type": "text/csv"}
    return client.post("/v1/predict/batch", content=body, headers=headers, params=params)


def test_the_sample_csv_is_scored_with_a_warning(client, keys, french_csv):
    r = post_csv(client, keys["reader"], french_csv)
    assert r.status_code == 200, r.text
    body = r.json()
    lines = french_csv.decode("utf-8").splitlines()
    assert body["rows"] == len(lines) - 1
    # Planted defects of the sample (empty cells) are rejected by line, the rest scored.
    assert body["rows_scored"] == body["rows"] - len(body["rejected"])
    assert body["rows_scored"] > 0.95 * body["rows"]
    assert any("température enroulement (°C)" in w for w in body["warnings"])
    assert all(isinstance(v, float) for v in body["temperature_predite"] if v is not None)


def test_bad_cell_is_named_by_its_file_line_and_others_scored(client, keys, french_csv):
    lines = french_csv.decode("utf-8").splitlines()
    good = [lines[0], *[line for line in lines[1:] if ";;" not in line][:300]]
    fields = good[183].split(";")  # file line 184
    fields[2] = ""  # courant (A)
    good[183] = ";".join(fields)
    body = "\n".join(good).encode("utf-8")
    r = post_csv(client, keys["reader"], body)
    assert r.status_code == 200, r.text
    out = r.json()
    assert [x["line"] for x in out["rejected"]] == [184]
    assert (
        "line 184" in out["rejected"][0]["erreur"] and "courant (A)" in out["rejected"][0]["erreur"]
    )
    assert out["temperature_predite"][182] is None and out["niveau_alerte"][182] is None
    assert sum(v is not None for v in out["temperature_predite"]) == 299
    strict = post_csv(client, keys["reader"], body, all_or_nothing="true")
    assert strict.status_code == 422
    assert strict.json()["erreur"].startswith("line 184: the column 'courant (A)'")


def test_xlsx_upload_and_same_predictions(client, keys, french_csv):
    frame = pd.read_csv(io.BytesIO(french_csv), sep=";", decimal=",").dropna().head(50)
    buffer = io.BytesIO()
    frame.to_excel(buffer, index=False)
    files = {"file": ("export.xlsx", buffer.getvalue(), "application/octet-stream")}
    by_xlsx = client.post("/v1/predict/batch", files=files, headers={"X-API-Key": keys["reader"]})
    assert by_xlsx.status_code == 200, by_xlsx.text
    csv = frame.to_csv(index=False, sep=";", decimal=",").encode("utf-8")
    by_csv = post_csv(client, keys["reader"], csv).json()
    assert by_xlsx.json()["rows_scored"] == by_csv["rows_scored"] == 50
    assert by_xlsx.json()["temperature_predite"] == pytest.approx(by_csv["temperature_predite"])
