"""URL resolution, the UTC column type and SQLite pragmas (no server needed)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy.dialects import postgresql, sqlite

from thermowatch.errors import InputError
from thermowatch.store.engine import make_engine, resolve_url
from thermowatch.store.types import UTCDateTime, from_micros, to_micros


def test_url_precedence(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    monkeypatch.delenv("THERMOWATCH_DATABASE_URL", raising=False)
    monkeypatch.setenv("THERMOWATCH_HOME", str(tmp_path / "home"))
    assert resolve_url() == f"sqlite:///{tmp_path}/home/thermowatch.db"  # the data directory
    monkeypatch.setenv("THERMOWATCH_DATABASE_URL", "sqlite:////tmp/env.db")
    assert resolve_url() == "sqlite:////tmp/env.db"
    assert resolve_url("sqlite:////tmp/arg.db") == "sqlite:////tmp/arg.db"


@pytest.mark.parametrize(
    "given",
    [
        "postgresql://u:p@h:5433/db",
        "postgres://u:p@h:5433/db",
        "postgresql+psycopg://u:p@h:5433/db",
    ],
)
def test_postgres_urls_get_the_psycopg3_driver(given: str) -> None:
    assert resolve_url(given) == "postgresql+psycopg://u:p@h:5433/db"


@pytest.mark.parametrize("bad", ["mysql://u@h/db", "not a url"])
def test_unsupported_urls_are_input_errors(bad: str) -> None:
    with pytest.raises(InputError, match="database URL"):
        resolve_url(bad)


def test_sqlite_engine_has_wal_foreign_keys_and_busy_timeout(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path}/x.db")
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 30_000


def test_micros_round_trip_is_exact() -> None:
    ts = datetime(2026, 7, 1, 23, 59, 59, 999_999, tzinfo=timezone(timedelta(hours=-5)))
    assert to_micros(ts) == to_micros(ts.astimezone(UTC))
    assert from_micros(to_micros(ts)) == ts and from_micros(to_micros(ts)).tzinfo is UTC
    assert to_micros(datetime(1970, 1, 1, 0, 0, 1, tzinfo=UTC)) == 1_000_000


def test_utc_type_binds_per_dialect_and_refuses_naive() -> None:
    t = UTCDateTime()
    ts = datetime(2026, 1, 1, 1, 0, tzinfo=timezone(timedelta(hours=1)))
    assert t.process_bind_param(ts, sqlite.dialect()) == to_micros(ts)
    bound = t.process_bind_param(ts, postgresql.dialect())
    assert bound == datetime(2026, 1, 1, tzinfo=UTC) and bound.tzinfo is UTC
    assert t.process_result_value(0, sqlite.dialect()) == datetime(1970, 1, 1, tzinfo=UTC)
    with pytest.raises(ValueError, match="naive"):
        t.process_bind_param(datetime(2026, 1, 1), sqlite.dialect())
