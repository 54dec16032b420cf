"""Fixtures of the dashboard's page tests: a store with a simulated fleet, users, a client."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from thermowatch.app import create_app
from thermowatch.dashboard.demo import seed_fleet
from thermowatch.service.settings import Settings
from thermowatch.store.engine import make_engine
from thermowatch.store.migrate import upgrade
from thermowatch.store.users import create_user

PASSWORD = "correct horse battery"
CSRF = re.compile(r'name="csrf" value="([^"]+)"')


@pytest.fixture(scope="module")
def fleet_db(tmp_path_factory):
    """A migrated SQLite store with 8 simulated transformers (2 overloaded, 1 stale), 6 h of
    5-minute readings, and one account per role."""
    path = tmp_path_factory.mktemp("dash") / "tw.db"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    seed_fleet(engine, 8, hours=6, step_min=5, hot=2, stale=1)
    for role in ("reader", "operator", "admin"):
        create_user(engine, role, PASSWORD, role)
    engine.dispose()
    return path


@pytest.fixture
def engine(fleet_db, tmp_path):
    import shutil

    copy = tmp_path / "tw.db"
    shutil.copy(fleet_db, copy)  # each test may write (acks, sessions): a private copy
    engine = make_engine(f"sqlite:///{copy}")
    yield engine
    engine.dispose()


@pytest.fixture
def app(engine):
    settings = Settings(env="production", jwt_secret="s" * 40, audit_flush_s=0.05).checked()
    return create_app(settings, engine=engine)


@pytest.fixture
def client(app):
    with TestClient(app, client=("127.0.0.1", 50000)) as c:
        yield c


def sign_in(client, name: str, password: str = PASSWORD, follow: bool = False):
    token = CSRF.search(client.get("/login").text).group(1)
    return client.post(
        "/login",
        data={"csrf": token, "name": name, "password": password, "next": "/"},
        follow_redirects=follow,
    )


def csrf_of(html: str) -> str:
    return CSRF.search(html).group(1)
