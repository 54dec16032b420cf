"""Token buckets per credential and per client address, shared by the workers of one machine.

With ``serve --workers N`` each worker is a process: a bucket in its memory would let a client
spread over N connections get N times the limit. :class:`SharedTokenBucket` keeps the buckets
in a file every worker maps (the settings' ``rate_dir``, ``THERMOWATCH_RATE_DIR``, made by
``serve``); a slot is updated under a byte-range lock of its 16 bytes, so workers never wait
on each other's clients. Keys are hashed into a fixed table (bounded memory under a flood from
many addresses; two keys that share a slot share its tokens, which can only make the limit
stricter).

Without a ``rate_dir`` (one worker, tests) :class:`TokenBucket` keeps them in process.

Several instances (API nodes behind nginx, on one host or many) share their buckets through
Redis with ``[service] redis_url`` (:class:`RedisTokenBucket`): the configured rate holds for
the whole pair, not per node. Without it each instance keeps its own (N nodes allow N times the
rate): put the per-address limit in nginx too.
"""

from __future__ import annotations

import fcntl
import hashlib
import logging
import mmap
import os
import struct
import threading
import time
from pathlib import Path

log = logging.getLogger("thermowatch.service.ratelimit")
RATE_DIR_ENV = "THERMOWATCH_RATE_DIR"
_SLOT = struct.Struct("dd")  # tokens, last refill [time.monotonic() s]; last 0: never used


class TokenBucket:
    """Per-key token bucket [requests/s, burst], in process (one per worker)."""

    def __init__(self, rate: float, burst: float) -> None:
        self.rate = rate
        self.burst = burst
        self._state: dict[str, tuple[float, float]] = {}

    def allow(self, who: str, now: float | None = None) -> bool:
        now = time.monotonic() if now is None else now
        tokens, last = self._state.get(who, (self.burst, now))
        tokens = min(self.burst, tokens + (now - last) * self.rate)
        if tokens < 1.0:
            self._state[who] = (tokens, now)
            return False
        if len(self._state) > 100_000 and who not in self._state:
            self._state.clear()  # bounded memory under a flood from many addresses
        self._state[who] = (tokens - 1.0, now)
        return True

    def empty(self, who: str, now: float | None = None) -> bool:
        """True when ``who`` has no token left (nothing is spent)."""
        state = self._state.get(who)
        if state is None:
            return False
        now = time.monotonic() if now is None else now
        return state[0] + (now - state[1]) * self.rate < 1.0


class SharedTokenBucket:
    """The same buckets in a file mapped by every worker (CLOCK_MONOTONIC is system-wide)."""

    def __init__(self, path: str | Path, rate: float, burst: float, slots: int = 1 << 16):
        self.rate = rate
        self.burst = burst
        self.slots = slots
        size = slots * _SLOT.size
        self._fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        if os.fstat(self._fd).st_size < size:
            os.ftruncate(self._fd, size)  # zeros: every slot unused
        self._map = mmap.mmap(self._fd, size)
        self._threads = threading.Lock()  # record locks do not exclude threads of one process
        self._offsets: dict[str, int] = {}  # key -> slot offset (blake2b once per key)

    def _offset(self, who: str) -> int:
        off = self._offsets.get(who)
        if off is None:
            digest = hashlib.blake2b(who.encode(), digest_size=8).digest()  # same in every process
            off = int.from_bytes(digest, "little") % self.slots * _SLOT.size
            if len(self._offsets) >= 10_000:  # bounded under a flood from many addresses
                self._offsets.clear()
            self._offsets[who] = off
        return off

    def _tokens(self, off: int, now: float) -> float:
        tokens, last = _SLOT.unpack_from(self._map, off)
        if last == 0.0:
            return self.burst
        return min(self.burst, tokens + max(0.0, now - last) * self.rate)

    def allow(self, who: str, now: float | None = None) -> bool:
        now = time.monotonic() if now is None else now
        off = self._offset(who)
        with self._threads:
            fcntl.lockf(self._fd, fcntl.LOCK_EX, _SLOT.size, off)
            try:
                tokens = self._tokens(off, now)
                ok = tokens >= 1.0
                _SLOT.pack_into(self._map, off, tokens - 1.0 if ok else tokens, now)
                return ok
            finally:
                fcntl.lockf(self._fd, fcntl.LOCK_UN, _SLOT.size, off)

    def empty(self, who: str, now: float | None = None) -> bool:
        """True when ``who`` has no token left (nothing is spent).

        Read without the lock (two aligned doubles, each written whole): a read racing a
        spend in another worker can be one token off for that one request. It only decides
        whether to look at the credential at all; every token spent goes through
        :meth:`allow`, under the lock, so the limits stay exact.
        """
        return self._tokens(self._offset(who), time.monotonic() if now is None else now) < 1.0


# One token bucket, atomically in Redis, on the Redis server's clock (nodes' clocks may
# differ): refill since the last use, then spend one token (ARGV[3] = 1) or only look (0).
_REDIS_BUCKET = """
local now = redis.call('TIME')
now = tonumber(now[1]) + tonumber(now[2]) / 1e6
local rate, burst, spend = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local held = redis.call('HMGET', KEYS[1], 'tokens', 'last')
local tokens = burst
if held[1] then
  tokens = math.min(burst, tonumber(held[1]) + math.max(0, now - tonumber(held[2])) * rate)
end
if spend == 0 then return tokens < 1 and 1 or 0 end
local ok = 0
if tokens >= 1 then tokens = tokens - 1; ok = 1 end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'last', tostring(now))
redis.call('PEXPIRE', KEYS[1], math.ceil(burst / rate * 1000) + 1000)
return ok
"""


class RedisTokenBucket:
    """The buckets of every API node in one Redis (``[service] redis_url``).

    While Redis does not answer, each node falls back to its own in-process bucket (the limit
    then holds per node, as without Redis) and says so once in its log.
    """

    def __init__(self, url: str, name: str, rate: float, burst: float) -> None:
        import redis

        self.rate = rate
        self.burst = burst
        self.prefix = f"thermowatch:rate:{name}:"
        self._redis = redis.Redis.from_url(url, socket_timeout=0.5, socket_connect_timeout=0.5)
        self._script = self._redis.register_script(_REDIS_BUCKET)
        self._local = TokenBucket(rate, burst)
        self._down = False

    def _call(self, who: str, spend: int) -> bool | None:
        key = self.prefix + hashlib.blake2b(who.encode(), digest_size=12).hexdigest()
        try:
            got = self._script(keys=[key], args=[self.rate, self.burst, spend])
        except Exception as exc:  # Redis away: this node's own bucket meanwhile
            if not self._down:
                log.warning("rate limits: Redis not reachable (%s); limits per node", exc)
            self._down = True
            return None
        if self._down:
            log.warning("rate limits: Redis back; limits shared again")
        self._down = False
        return bool(got)

    def allow(self, who: str, now: float | None = None) -> bool:
        ok = self._call(who, 1)
        return self._local.allow(who, now) if ok is None else ok

    def empty(self, who: str, now: float | None = None) -> bool:
        """True when ``who`` has no token left (nothing is spent)."""
        out = self._call(who, 0)
        return self._local.empty(who, now) if out is None else out


Bucket = TokenBucket | SharedTokenBucket | RedisTokenBucket


def bucket(
    name: str,
    rate: float,
    burst: float,
    redis_url: str | None = None,
    directory: str | Path | None = None,
) -> Bucket:
    """The bucket ``name`` (``credential``, ``address``): shared by every node through Redis
    with ``redis_url``; else by the workers of this node in ``directory`` (the settings'
    ``rate_dir``, which ``serve`` and gunicorn make for them); else in process."""
    if redis_url:
        return RedisTokenBucket(redis_url, name, rate, burst)
    if directory:
        return SharedTokenBucket(Path(directory) / f"{name}.buckets", rate, burst)
    return TokenBucket(rate, burst)
