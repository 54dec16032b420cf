"""Column types shared by the tables."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import BigInteger, DateTime, Dialect
from sqlalchemy.types import TypeDecorator, TypeEngine

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def to_utc(value: datetime) -> datetime:
    """Return ``value`` as an aware UTC datetime; naive datetimes are refused (ambiguous)."""
    if value.tzinfo is None:
        raise ValueError(f"naive datetime {value.isoformat()} given: timestamps must be UTC-aware")
    return value.astimezone(UTC)


def to_micros(value: datetime) -> int:
    """Microseconds since 1970-01-01 UTC of an aware datetime."""
    return (to_utc(value) - EPOCH) // timedelta(microseconds=1)


def from_micros(value: int) -> datetime:
    """Aware UTC datetime of a count of microseconds since 1970-01-01 UTC."""
    return EPOCH + timedelta(microseconds=int(value))


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC instant.

    PostgreSQL: ``timestamptz`` (needed for native range partitioning by month).
    SQLite: an integer of microseconds since the epoch. Why not SQLite's text dates: integers
    compare and index in a fraction of the space, and there is no format or offset ambiguity.
    Python side it is always an aware ``datetime`` in UTC; naive values are refused.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "sqlite":
            return dialect.type_descriptor(BigInteger())
        return dialect.type_descriptor(DateTime(timezone=True))

    def process_bind_param(self, value: Any, dialect: Dialect) -> Any:
        if value is None:
            return None
        if dialect.name == "sqlite":
            return to_micros(value)
        return to_utc(value)

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if dialect.name == "sqlite":
            return from_micros(value)
        return to_utc(value)
