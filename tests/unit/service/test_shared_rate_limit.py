"""Rate limits that hold across worker processes: buckets in one file every worker maps."""

from __future__ import annotations

import multiprocessing as mp
import time

from thermowatch.service.auth import Authenticator
from thermowatch.service.ratelimit import SharedTokenBucket, TokenBucket, bucket
from thermowatch.service.settings import Settings


def test_a_bucket_refills_at_its_rate_and_never_beyond_its_burst(tmp_path):
    b = SharedTokenBucket(tmp_path / "b", rate=2.0, burst=3.0, slots=64)
    assert [b.allow("k", now=100.0) for _ in range(4)] == [True, True, True, False]
    assert b.empty("k", now=100.0) and not b.empty("other", now=100.0)
    assert b.allow("k", now=100.5) and not b.allow("k", now=100.5)  # 1 token per 0.5 s
    assert [b.allow("k", now=200.0) for _ in range(4)] == [True, True, True, False]


def test_two_processes_share_one_limit(tmp_path):
    """Two workers spending one key's tokens at once get the burst between them, not twice it
    (an in-process bucket per worker gives 2 x burst)."""
    path = tmp_path / "credential.buckets"
    with mp.get_context("fork").Pool(2) as pool:
        granted = pool.starmap(_spend, [(str(path), 200)] * 2)
    assert sum(granted) == 50  # burst 50, rate ~0 over the test
    # Another worker sees the spent bucket (its check reads the map without the lock).
    watcher = SharedTokenBucket(path, rate=1e-6, burst=50.0, slots=1024)
    assert watcher.empty("key") and not watcher.empty("another key")
    assert not watcher.allow("key")
    alone = [TokenBucket(1e-6, 50.0) for _ in range(2)]
    assert sum(sum(b.allow("key") for _ in range(200)) for b in alone) == 100


def _spend(path: str, n: int) -> int:
    b = SharedTokenBucket(path, rate=1e-6, burst=50.0, slots=1024)
    time.sleep(0.05)  # both processes are spending together
    return sum(b.allow("key") for _ in range(n))


def test_the_bucket_is_shared_only_in_the_directory_the_settings_give(tmp_path, monkeypatch):
    """The directory comes from the resolved settings (``Settings.rate_dir``), passed down by
    the app: the variable alone, read by nobody but ``load_settings``, changes nothing here."""
    monkeypatch.setenv("THERMOWATCH_RATE_DIR", str(tmp_path / "from-env"))
    assert isinstance(bucket("address", 1.0, 2.0), TokenBucket)
    assert isinstance(bucket("address", 1.0, 2.0, directory=tmp_path), SharedTokenBucket)
    assert (tmp_path / "address.buckets").stat().st_size == 16 * 65536
    (tmp_path / "node").mkdir()  # made by serve / gunicorn.conf.py
    auth = Authenticator(None, Settings(rate_dir=str(tmp_path / "node")))
    assert isinstance(auth.bucket, SharedTokenBucket) and isinstance(
        auth.anonymous, SharedTokenBucket
    )
    assert sorted(p.name for p in (tmp_path / "node").iterdir()) == [
        "address.buckets",
        "credential.buckets",
    ]
    assert not (tmp_path / "from-env").exists()
    assert isinstance(Authenticator(None, Settings()).bucket, TokenBucket)
