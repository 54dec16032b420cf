"""Dashboard accounts and their sign-in sessions (tables of migration 0005).

Passwords are hashed with argon2id (memory-hard: a stolen database costs an attacker ~64 MiB
and tens of milliseconds per guess). A session is a random 256-bit token given to the browser
once; only its SHA-256 is stored, with the CSRF token of that session and its expiry. Repeated
failed sign-ins lock the account for :data:`LOCK_MINUTES` (the count survives restarts and is
shared by every worker, since it lives in the database).
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import (
    BigInteger,
    Column,
    Engine,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Table,
    delete,
    select,
    update,
)

from thermowatch.errors import InputError, NotFoundError
from thermowatch.store.engine import write_transaction
from thermowatch.store.types import UTCDateTime

ROLES = ("reader", "operator", "admin")  # the API's roles, same order (service.apikeys.ROLES)
LANGUAGES = ("fr", "en")
MIN_PASSWORD = 10
MAX_FAILURES = 5
LOCK_MINUTES = 5.0
_NAME = re.compile(r"^[A-Za-z0-9._@-]{2,64}$")
_hasher = PasswordHasher()  # argon2id, RFC 9106 "low memory" profile (64 MiB, t=3, p=4)


@functools.cache
def _dummy_hash() -> str:
    """Verified against when the user does not exist, so that the answer time does not tell
    (made on first use: hashing costs tens of milliseconds, not to be paid at import)."""
    return _hasher.hash("thermowatch-no-such-user")


_meta = MetaData()
BigId = BigInteger().with_variant(Integer(), "sqlite")

users = Table(
    "users",
    _meta,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("name", String(64), nullable=False, unique=True),
    Column("role", String(20), nullable=False),
    Column("password_hash", String(200), nullable=False),
    Column("lang", String(5), nullable=False, server_default="fr"),
    Column("created_at", UTCDateTime, nullable=False),
    Column("disabled_at", UTCDateTime),
    Column("failed_logins", Integer, nullable=False, server_default="0"),
    Column("locked_until", UTCDateTime),
)

web_sessions = Table(
    "web_sessions",
    _meta,
    Column("token_sha256", String(64), primary_key=True),
    Column("user_id", BigId, ForeignKey("users.id"), nullable=False, index=True),
    Column("csrf", String(64), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("expires_at", UTCDateTime, nullable=False),
    Column("address", String(100)),
)


@dataclass(frozen=True)
class User:
    """A dashboard account (never the password)."""

    id: int
    name: str
    role: str
    lang: str
    created_at: datetime
    disabled_at: datetime | None = None
    failed_logins: int = 0
    locked_until: datetime | None = None

    @property
    def active(self) -> bool:
        return self.disabled_at is None


@dataclass(frozen=True)
class WebSession:
    """A signed-in browser: its user, CSRF token and expiry (UTC)."""

    user: User
    csrf: str
    expires_at: datetime


def _user(row) -> User:
    return User(**{k: v for k, v in row._asdict().items() if k != "password_hash"})


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def check_name(name: str) -> str:
    """The name if valid (2-64 of letters, digits, ``._@-``), else InputError."""
    if not isinstance(name, str) or not _NAME.match(name):
        raise InputError(
            f"user name {name!r} is not valid: use 2 to 64 letters, digits, '.', '_', '@' or '-'."
        )
    return name


def create_user(engine: Engine, name: str, password: str, role: str, lang: str = "fr") -> User:
    """Create an account; InputError on a bad name, role, language, short password or duplicate."""
    check_name(name)
    if role not in ROLES:
        raise InputError(f"role must be one of {', '.join(ROLES)}, got {role!r}.")
    if lang not in LANGUAGES:
        raise InputError(f"language must be fr or en, got {lang!r}.")
    if len(password) < MIN_PASSWORD:
        raise InputError(f"the password must have at least {MIN_PASSWORD} characters.")
    with write_transaction(engine) as conn:
        if conn.scalar(select(users.c.id).where(users.c.name == name)) is not None:
            raise InputError(f"user {name!r} already exists.")
        conn.execute(
            users.insert(),
            {"name": name, "role": role, "lang": lang, "password_hash": _hasher.hash(password),
             "created_at": datetime.now(UTC), "failed_logins": 0},
        )  # fmt: skip
    return get_user(engine, name)


def get_user(engine: Engine, name: str) -> User:
    """The account ``name``; NotFoundError when there is none."""
    with engine.connect() as conn:
        row = conn.execute(select(users).where(users.c.name == name)).first()
    if row is None:
        raise NotFoundError(f"user {name!r} does not exist.")
    return _user(row)


def list_users(engine: Engine) -> list[User]:
    """Every account, by name (disabled ones included)."""
    with engine.connect() as conn:
        return [_user(r) for r in conn.execute(select(users).order_by(users.c.name))]


def disable_user(engine: Engine, name: str) -> User:
    """Disable an account and end its sessions; the first date is kept. NotFoundError if unknown."""
    user = get_user(engine, name)
    with write_transaction(engine) as conn:
        conn.execute(
            update(users)
            .where(users.c.id == user.id, users.c.disabled_at.is_(None))
            .values(disabled_at=datetime.now(UTC))
        )
        conn.execute(delete(web_sessions).where(web_sessions.c.user_id == user.id))
    return get_user(engine, name)


def set_language(engine: Engine, user_id: int, lang: str) -> None:
    """Remember the user's language (``fr`` or ``en``)."""
    if lang not in LANGUAGES:
        raise InputError(f"language must be fr or en, got {lang!r}.")
    with write_transaction(engine) as conn:
        conn.execute(update(users).where(users.c.id == user_id).values(lang=lang))


def verify_password(
    engine: Engine, name: str, password: str, now: datetime | None = None
) -> tuple[User | None, str]:
    """Check a sign-in; returns ``(user, "ok")`` or ``(None, reason)``.

    Reasons: ``unknown``, ``disabled``, ``locked``, ``wrong_password``. A wrong password counts
    a failure; :data:`MAX_FAILURES` in a row lock the account for :data:`LOCK_MINUTES`; a
    success resets the count.
    """
    now = now or datetime.now(UTC)
    with engine.connect() as conn:
        row = conn.execute(select(users).where(users.c.name == name)).first()
    if row is None:
        with contextlib.suppress(VerificationError):
            _hasher.verify(_dummy_hash(), password)
        return None, "unknown"
    user = _user(row)
    if not user.active:
        return None, "disabled"
    if user.locked_until is not None and user.locked_until > now:
        return None, "locked"
    try:
        _hasher.verify(row.password_hash, password)
    except (VerificationError, InvalidHashError):
        failures = user.failed_logins + 1
        values: dict = {"failed_logins": failures}
        if failures >= MAX_FAILURES:
            values = {"failed_logins": 0, "locked_until": now + timedelta(minutes=LOCK_MINUTES)}
        with write_transaction(engine) as conn:
            conn.execute(update(users).where(users.c.id == user.id).values(values))
        return None, "wrong_password"
    with write_transaction(engine) as conn:
        conn.execute(
            update(users).where(users.c.id == user.id).values(failed_logins=0, locked_until=None)
        )
    return get_user(engine, name), "ok"


def open_session(
    engine: Engine, user: User, hours: float, address: str | None = None
) -> tuple[str, str]:
    """Start a session for ``user`` lasting ``hours``; returns ``(token, csrf)`` (shown once)."""
    token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    now = datetime.now(UTC)
    with write_transaction(engine) as conn:
        # Expired sessions are swept here: sign-ins are rare, so this costs nothing.
        conn.execute(delete(web_sessions).where(web_sessions.c.expires_at <= now))
        conn.execute(
            web_sessions.insert(),
            {"token_sha256": _digest(token), "user_id": user.id, "csrf": csrf,
             "created_at": now, "expires_at": now + timedelta(hours=hours), "address": address},
        )  # fmt: skip
    return token, csrf


def find_session(engine: Engine, token: str, now: datetime | None = None) -> WebSession | None:
    """The live session of ``token`` (its user active), else ``None``."""
    now = now or datetime.now(UTC)
    s, u = web_sessions.c, users.c
    q = (
        select(users, s.csrf, s.expires_at)
        .join(web_sessions, s.user_id == u.id)
        .where(s.token_sha256 == _digest(token), s.expires_at > now, u.disabled_at.is_(None))
    )
    with engine.connect() as conn:
        row = conn.execute(q).first()
    if row is None:
        return None
    values = row._asdict()
    csrf, expires = values.pop("csrf"), values.pop("expires_at")
    values.pop("password_hash")
    return WebSession(User(**values), csrf, expires)


def close_session(engine: Engine, token: str) -> bool:
    """End a session (sign-out); ``True`` when it existed."""
    with write_transaction(engine) as conn:
        gone = conn.execute(
            delete(web_sessions).where(web_sessions.c.token_sha256 == _digest(token))
        ).rowcount
    return bool(gone)
