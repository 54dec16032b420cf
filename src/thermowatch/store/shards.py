"""Monitors sharing a fleet: heartbeat leases and per-transformer claims.

Each monitor of a group writes a heartbeat lease (``monitor_members``: alive until
``expires_at``) and claims the transformers it collects (``shard_claims``). A claim passes to
another monitor only when its holder released it (the row is deleted) or its holder's lease
expired: one monitor at a time per transformer, whatever the clocks of the hosts say about
each other within the lease's margin. Which transformers a monitor *wants* is decided
elsewhere (:mod:`thermowatch.ingest.shards`, rendezvous hashing over the live members).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from sqlalchemy import Engine, delete, select

from thermowatch.store._sql import id_chunks, upsert
from thermowatch.store.tables import monitor_members, shard_claims

FORGET_AFTER = 50  # leases expired this many lease lengths ago are deleted


def beat(engine: Engine, group: str, member: str, ttl: timedelta, now: datetime) -> list[str]:
    """Renew ``member``'s lease until ``now + ttl``; the live members of ``group``, sorted."""
    with engine.begin() as conn:
        stmt = upsert(monitor_members, conn, ["member"])
        conn.execute(stmt, {"member": member, "group_name": group, "beat_at": now,
                            "expires_at": now + ttl})  # fmt: skip
        conn.execute(
            delete(monitor_members).where(monitor_members.c.expires_at < now - FORGET_AFTER * ttl)
        )
        return live_members(conn, group, now)


def live_members(conn, group: str, now: datetime) -> list[str]:  # type: ignore[no-untyped-def]
    """The members of ``group`` whose lease has not expired at ``now``, sorted."""
    q = select(monitor_members.c.member).where(
        monitor_members.c.group_name == group, monitor_members.c.expires_at > now
    )
    return sorted(conn.execute(q).scalars())


def claim(
    engine: Engine, member: str, wanted: Iterable[str], now: datetime
) -> tuple[set[str], dict[str, str]]:
    """Release the claims of ``member`` outside ``wanted``, take the ``wanted`` ones that are
    free (never claimed, released, or held by a member whose lease expired).

    Returns ``(owned, taken_over)``: the transformers ``member`` holds now, and for those it
    took from a member that died without releasing them, that member's name.
    """
    wanted = set(wanted)
    alive = select(monitor_members.c.member).where(monitor_members.c.expires_at > now)
    with engine.begin() as conn:
        held = set(
            conn.execute(
                select(shard_claims.c.transformer_id).where(shard_claims.c.member == member)
            ).scalars()
        )
        for part in id_chunks(held - wanted):
            conn.execute(delete(shard_claims).where(
                shard_claims.c.member == member, shard_claims.c.transformer_id.in_(part)))  # fmt: skip
        missing = sorted(wanted - held)
        previous: dict[str, str] = {}
        for part in id_chunks(missing):
            q = select(shard_claims.c.transformer_id, shard_claims.c.member).where(
                shard_claims.c.transformer_id.in_(part)
            )
            previous.update({tid: m for tid, m in conn.execute(q)})
        if missing:
            stmt = upsert(
                shard_claims, conn, ["transformer_id"],
                where=lambda _exc: shard_claims.c.member.not_in(alive),
            )  # fmt: skip
            conn.execute(stmt, [{"transformer_id": t, "member": member, "since": now}
                                for t in missing])  # fmt: skip
        owned = set(
            conn.execute(
                select(shard_claims.c.transformer_id).where(shard_claims.c.member == member)
            ).scalars()
        )
        living = set(conn.execute(alive).scalars())
    # A holder alive a moment ago that let go in between released its claim: nothing to adopt.
    taken = {t: previous[t] for t in owned & set(missing)
             if t in previous and previous[t] not in living and previous[t] != member}  # fmt: skip
    return owned, taken


def leave(engine: Engine, member: str) -> None:
    """A monitor stopping cleanly: its lease ends at once. Its claims stay, held by a member
    no longer alive, so whoever takes them over knows from whom (and adopts what that
    monitor's broker session still queues, as after a crash)."""
    with engine.begin() as conn:
        conn.execute(delete(monitor_members).where(monitor_members.c.member == member))


def claims(engine: Engine) -> dict[str, str]:
    """Every claim, ``transformer -> member`` (doctor, tests)."""
    with engine.connect() as conn:
        q = select(shard_claims.c.transformer_id, shard_claims.c.member)
        return {tid: member for tid, member in conn.execute(q)}
