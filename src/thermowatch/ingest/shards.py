"""N monitors share one fleet: rendezvous hashing over the monitors holding a heartbeat lease.

Every monitor of a group (``[monitor] shard_group``) lists the whole fleet. Each period it
renews its heartbeat lease in the store, reads the live members, and wants the transformers for
which it has the highest random weight (rendezvous hashing: a member joining or leaving moves
only the ~1/N transformers it gains or held). It then claims them in the store
(:func:`thermowatch.store.shards.claim`), which hands a transformer over only once its previous
holder released it or died (lease expired): one monitor collects a transformer at a time, and
only its own share (an MQTT subscription per owned topic; polled sources read owned ones only).

The heartbeat is renewed every quarter period and lasts one period, so a monitor killed is
out of every survivor's view at the latest one period later, and its share is collected again
at the next tick: within two periods.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine

from thermowatch.store import shards as store

log = logging.getLogger("thermowatch.ingest.shards")


def weight(member: str, transformer_id: str) -> int:
    """The rendezvous weight of ``transformer_id`` for ``member`` (stable across hosts)."""
    digest = hashlib.blake2b(f"{member}\0{transformer_id}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big")


def owner(transformer_id: str, members: Iterable[str]) -> str:
    """The member of highest weight for ``transformer_id`` (ties: the smallest name)."""
    return max(members, key=lambda m: (weight(m, transformer_id), m))


def share(transformer_ids: Iterable[str], members: Iterable[str], me: str) -> set[str]:
    """The transformers ``me`` should collect when ``members`` are alive."""
    members = sorted(set(members) | {me})
    return {t for t in transformer_ids if owner(t, members) == me}


class ShardMember:
    """One monitor's membership of a shared fleet.

    Parameters
    ----------
    engine
        The store holding the leases and claims.
    group
        The fleet's name (monitors of one group share its transformers).
    member
        This monitor's name, unique in the group (default ``host:pid``).
    period_s
        The shortest collection period [s]: the heartbeat lasts one, renewed every quarter.
    """

    def __init__(self, engine: Engine, group: str, member: str, period_s: float) -> None:
        self.engine = engine
        self.group = group
        self.member = member
        self.ttl = timedelta(seconds=period_s)
        self.members: list[str] = []
        self.owned: set[str] = set()
        self._task: asyncio.Task[None] | None = None
        #: Set when a heartbeat sees the members change (one died, left or joined): the monitor
        #: claims its new share then, not at its next tick (up to a period later).
        self.changed = asyncio.Event()

    def beat(self) -> list[str]:
        """Renew the lease now; the live members (this one included)."""
        self.members = store.beat(self.engine, self.group, self.member, self.ttl,
                                  datetime.now(UTC))  # fmt: skip
        return self.members

    def refresh(self, transformer_ids: Iterable[str]) -> tuple[set[str], dict[str, str]]:
        """Beat, then claim this member's share: ``(owned, taken_over)`` as
        :func:`thermowatch.store.shards.claim` returns them."""
        members = self.beat()
        wanted = share(transformer_ids, members, self.member)
        owned, taken = store.claim(self.engine, self.member, wanted, datetime.now(UTC))
        if owned != self.owned:
            log.info(
                "shard %s: %s collects %d transformers (%d wanted; %d monitors alive)",
                self.group, self.member, len(owned), len(wanted), len(members),
            )  # fmt: skip
        self.owned = owned
        return owned, taken

    async def keep_alive(self) -> None:
        """Renew the lease every quarter period until cancelled (store away: retried)."""
        while True:
            await asyncio.sleep(self.ttl.total_seconds() / 4)
            before = set(self.members)
            try:
                await asyncio.to_thread(self.beat)
            except Exception as exc:
                log.warning("shard %s: heartbeat not written (%s)", self.group, exc)
            if set(self.members) != before:
                self.changed.set()

    def start(self) -> None:
        """Start the background heartbeat (once)."""
        if self._task is not None:
            return
        self._task = asyncio.create_task(self.keep_alive(), name=f"heartbeat {self.member}")

    async def leave(self) -> None:
        """Stop beating and give the share up at once (a clean stop)."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        try:
            await asyncio.to_thread(store.leave, self.engine, self.member)
        except Exception as exc:  # the lease expires by itself within one period
            log.warning("shard %s: could not release (%s)", self.group, exc)
