"""Finding 9: client mistakes answered 5xx (so a SCADA client retries forever) and an
unmigrated production database gave a traceback, exit 3 and an empty database file."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime, timedelta

import jwt
import pytest

from tests.integration.service.conftest import ISSUER, SECRET, reading
from tests.security.conftest import REPO_SRC

OUT_OF_RANGE = [
    "0001-01-01T00:00:00Z",
    "0001-01-01T00:00:00+01:00",
    "9999-12-31T23:30:00Z",
    "9999-12-31T23:30:00-05:00",
]


def assert_client_error(r, status: int = 422) -> None:
    assert r.status_code == status, r.text
    assert isinstance(r.json()["erreur"], str) and r.json()["erreur"]


@pytest.mark.parametrize("stamp", OUT_OF_RANGE)
def test_out_of_range_timestamps_are_422(server, insider, stamp):
    reader, operator = server.headers("reader"), server.headers("operator")
    assert_client_error(
        insider.post(server.url + "/predict", json=reading(timestamp=stamp), headers=reader)
    )
    assert_client_error(
        insider.post(
            server.url + "/v1/transformers/TR-01/predict",
            json=reading(timestamp=stamp),
            headers=reader,
        )
    )
    body = {"transformer_id": "TR-01", "timestamp": stamp, "values": reading()}
    assert_client_error(insider.post(server.url + "/v1/readings", json=body, headers=operator))
    for query in (f"to={stamp}", f"from={stamp}"):
        r = insider.get(
            server.url + "/v1/transformers/TR-01/history",
            params=dict([query.split("=", 1)]),
            headers=reader,
        )
        assert_client_error(r)


def test_jwt_whose_role_is_a_list_is_401(server, insider):
    for role in (["admin"], {"a": 1}, 5):
        claims = {
            "sub": "mallory",
            "role": role,
            "iss": ISSUER,
            "exp": datetime.now(UTC) + timedelta(minutes=5),
        }
        token = jwt.encode(claims, SECRET, algorithm="HS256")
        r = insider.get(server.url + "/v1/models", headers={"Authorization": f"Bearer {token}"})
        assert_client_error(r, 401)


def test_source_that_is_not_text_is_422_not_retry(server, insider):
    body = {"transformer_id": "TR-01", "values": reading(), "source": {"a": 1}}
    r = insider.post(server.url + "/v1/readings", json=body, headers=server.headers("operator"))
    assert_client_error(r)
    assert "source" in r.json()["erreur"] and "Retry-After" not in r.headers


def test_serving_an_unmigrated_database_in_production_is_one_line_exit_2(tmp_path, trained_model):
    env = {"PYTHONPATH": REPO_SRC, "THERMOWATCH_ENV": "production", "PATH": "/usr/bin:/bin"}
    env["THERMOWATCH_JWT_SECRET"] = SECRET
    code = "from thermowatch.cli import main; main()"
    missing = tmp_path / "missing.db"
    r = subprocess.run(
        [sys.executable, "-c", code, "serve", "--database-url", f"sqlite:///{missing}",
         "--model", str(trained_model)],
        capture_output=True, text=True, env=env, timeout=120,
    )  # fmt: skip
    assert r.returncode == 2, r.stderr
    assert "Traceback" not in r.stderr and len(r.stderr.strip().splitlines()) == 1
    assert "thermowatch db upgrade" in r.stderr
    assert not missing.exists()
    empty = tmp_path / "empty.db"
    empty.touch()  # exists, never migrated
    r = subprocess.run(
        [sys.executable, "-c", code, "serve", "--database-url", f"sqlite:///{empty}"],
        capture_output=True, text=True, env=env, timeout=120,
    )  # fmt: skip
    assert r.returncode == 2 and "not migrated" in r.stderr, r.stderr
    assert "Traceback" not in r.stderr
