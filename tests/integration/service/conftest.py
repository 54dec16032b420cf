"""Fixtures of the service tests: a trained model, a migrated SQLite store, keys and tokens."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import jwt
import pytest
from fastapi.testclient import TestClient

from tests.helpers.models import once_per_run, train_model
from tests.helpers.store import migrated_sqlite
from thermowatch.app import create_app
from thermowatch.service.apikeys import create_key, revoke_key
from thermowatch.service.routes.predict import READING_EXAMPLE
from thermowatch.service.settings import Settings
from thermowatch.store.transformers import ensure_transformer

SECRET = "s" * 40
ISSUER = "thermowatch-test"
TRANSFORMER = "TR-01"


@pytest.fixture(scope="session")
def model_dir(sample_model_dir) -> Path:
    """The served sample's artifact, trained once per run (tests/conftest.py): read only."""
    return sample_model_dir


@pytest.fixture(scope="session")
def second_model_dir(request, tmp_path_factory) -> Path:
    """Another served sample (seed 11), trained once per run: read only."""
    return once_per_run(
        request.config, tmp_path_factory, "second-model", lambda out: train_model(out, seed=11)
    )


@pytest.fixture
def served_dir(model_copy) -> Path:
    """A private copy of the artifact, which a test may tamper with."""
    return model_copy


@pytest.fixture
def engine(tmp_path):
    engine = migrated_sqlite(tmp_path / "tw.db")
    ensure_transformer(engine, TRANSFORMER)
    yield engine
    engine.dispose()


def make_settings(**kw) -> Settings:
    base = dict(
        env="production", jwt_secret=SECRET, jwt_issuer=ISSUER, reload_interval_s=0.2,
        audit_flush_s=0.1, key_cache_s=0.0, history_check_s=0.0,
    )  # fmt: skip
    return Settings(**(base | kw)).checked()


def make_keys(engine) -> dict[str, str]:
    """A valid key per role, plus a revoked one."""
    out = {role: create_key(engine, role)[1] for role in ("reader", "operator", "admin")}
    record, revoked = create_key(engine, "admin")
    revoke_key(engine, record.id)
    out["revoked"] = revoked
    return out


@pytest.fixture
def keys(engine) -> dict[str, str]:
    """A valid key per role, plus a revoked one."""
    return make_keys(engine)


def token(role: str, minutes: float = 5, secret: str = SECRET, issuer: str = ISSUER) -> str:
    now = datetime.now(UTC)
    claims = {
        "sub": f"user-{role}",
        "role": role,
        "iss": issuer,
        "exp": now + timedelta(minutes=minutes),
    }
    return jwt.encode(claims, secret, algorithm="HS256")


@pytest.fixture
def client(engine, served_dir):
    app = create_app(make_settings(model_dir=str(served_dir)), engine=engine)
    with TestClient(app, client=("127.0.0.1", 50000)) as c:
        yield c


def reading(**over) -> dict:
    return READING_EXAMPLE | over
