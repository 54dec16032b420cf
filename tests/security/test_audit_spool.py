"""Finding: the audit spool was shared by every service of a user.

Before: the default spool ``~/.local/state/thermowatch/audit-spool`` ignored
``THERMOWATCH_HOME`` and the database; after a database fault, spooled rows were replayed into
another service's database, and a fresh service imported rows it never had. Now the spool
lives under the data directory, one sub-directory per database, and a spool file goes back
only into the database whose identity it names.

The fault is real: the ``audit_log`` table renamed away under the service (every insert fails
as on a broken database), then given back.
"""

from __future__ import annotations

import asyncio
import shutil

from sqlalchemy import text

from thermowatch.service.audit import AuditQueue
from thermowatch.service.settings import Settings
from thermowatch.store.engine import make_engine
from thermowatch.store.migrate import upgrade


def _database(path):
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    return engine


def _move(src, dst) -> None:
    """Move a SQLite database with its WAL and index files (what 'the file' is on disk)."""
    for suffix in ("", "-wal", "-shm"):
        if src.with_name(src.name + suffix).exists():
            shutil.move(src.with_name(src.name + suffix), dst.with_name(dst.name + suffix))


def _fault(engine, on: bool) -> None:
    old, new = ("audit_log", "audit_log_away") if on else ("audit_log_away", "audit_log")
    with engine.begin() as conn:
        conn.execute(text(f"ALTER TABLE {old} RENAME TO {new}"))


def _count(engine, service: str | None = None) -> int:
    where = " WHERE actor = :a" if service else ""
    with engine.connect() as conn:
        return conn.execute(text("SELECT count(*) FROM audit_log" + where), {"a": service}).scalar()


def _requests(queue: AuditQueue, actor: str, n: int) -> None:
    for i in range(n):
        queue.add(actor, "predict", "ok", address="10.0.0.9", target=f"TR-{i % 7}")


def test_the_default_spool_lives_under_the_data_directory(tmp_path, monkeypatch):
    monkeypatch.setenv("THERMOWATCH_HOME", str(tmp_path / "home"))
    assert Settings().spool_dir == tmp_path / "home" / "audit-spool"


def test_every_audited_request_reaches_its_own_database_through_a_fault(tmp_path, monkeypatch):
    monkeypatch.setenv("THERMOWATCH_HOME", str(tmp_path / "home"))
    root = Settings().spool_dir  # the one default every service of this user shares
    a, b = _database(tmp_path / "a.db"), _database(tmp_path / "b.db")
    sent = {"service-a": 0, "service-b": 0}

    async def run() -> None:
        qa = AuditQueue(a, flush_s=60, spool_dir=root)
        qb = AuditQueue(b, flush_s=60, spool_dir=root)
        _requests(qa, "service-a", 20)
        _requests(qb, "service-b", 20)
        await qa.flush(), await qb.flush()  # both databases healthy
        sent["service-a"] += 20
        sent["service-b"] += 20
        _fault(a, True)
        for _ in range(3):  # three flushes refused: three spool files of A
            _requests(qa, "service-a", 101)
            sent["service-a"] += 101
            assert await qa.flush() == 0
        await qa.stop()  # A stops while its database is down: spooled too
        # B keeps working, flushes many times: it must not take A's spooled rows.
        for _ in range(3):
            _requests(qb, "service-b", 50)
            sent["service-b"] += 50
            await qb.flush()
        await qb.stop()

    asyncio.run(run())
    spooled = sorted(root.rglob("audit-*.jsonl"))
    assert len(spooled) == 3 and all(p.parent.parent == root for p in spooled)

    # A fresh database created at A's URL (the file was lost): it never had those rows.
    a.dispose()
    _move(tmp_path / "a.db", tmp_path / "a-original.db")
    fresh = _database(tmp_path / "a.db")

    async def fresh_service() -> int:
        q = AuditQueue(fresh, flush_s=60, spool_dir=root)
        _requests(q, "fresh", 5)
        written = await q.flush()
        await q.stop()
        return written

    assert asyncio.run(fresh_service()) == 5
    assert _count(fresh) == 5 and _count(fresh, "service-a") == 0  # 0 misdelivered
    fresh.dispose()
    aside = sorted(root.rglob("other-database/audit-*.jsonl"))
    assert len(aside) == 3  # kept, not imported, not lost

    # The original database comes back at its URL; its rows go home.
    _move(tmp_path / "a.db", tmp_path / "a-fresh.db")
    _move(tmp_path / "a-original.db", tmp_path / "a.db")
    for path in aside:  # an operator hands the set-aside files back
        path.rename(path.parent.parent / path.name)
    a = make_engine(f"sqlite:///{tmp_path / 'a.db'}")
    _fault(a, False)

    async def restarted() -> int:
        q = AuditQueue(a, flush_s=60, spool_dir=root)
        written = await q.flush()
        await q.stop()
        return written

    replayed = asyncio.run(restarted())
    lost_a = sent["service-a"] - _count(a, "service-a")
    lost_b = sent["service-b"] - _count(b, "service-b")
    misdelivered = _count(a, "service-b") + _count(b, "service-a")
    print(
        f"audit spool: A sent {sent['service-a']} (replayed {replayed}), "
        f"B sent {sent['service-b']}; lost {lost_a + lost_b}, misdelivered {misdelivered}"
    )
    assert replayed == 303
    assert (lost_a, lost_b, misdelivered) == (0, 0, 0)
    assert _count(a) == sent["service-a"] and _count(b) == sent["service-b"]
    assert not list(root.rglob("audit-*.jsonl*"))  # every file delivered and removed
