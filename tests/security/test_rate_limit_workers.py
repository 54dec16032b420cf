"""Rate limits hold across workers (issue 12): with ``serve --workers 2`` a client spreading
its requests over both workers gets the configured burst, not twice it."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from tests.integration.service.conftest import reading
from tests.security.conftest import INSIDER, start_server

BURST = 30
N = 120


@pytest.fixture(scope="module")
def limited(tmp_path_factory, trained_model):
    srv = start_server(
        tmp_path_factory.mktemp("limited"), trained_model,
        rate_limit_per_s=0.5, rate_burst=float(BURST),
        anonymous_rate_per_s=0.5, anonymous_burst=float(BURST),
    )  # fmt: skip
    yield srv
    srv.stop()


def _hammer(url: str, headers: dict[str, str], body: dict | None) -> tuple[list[int], float]:
    """N requests from 8 threads, each on a new connection (the kernel spreads new
    connections over the workers)."""

    def one(_: int) -> int:
        transport = httpx.HTTPTransport(local_address=INSIDER)
        with httpx.Client(transport=transport, timeout=20) as c:
            h = headers | {"Connection": "close"}
            r = c.post(url, json=body, headers=h) if body is not None else c.get(url, headers=h)
            return r.status_code

    start = time.monotonic()
    with ThreadPoolExecutor(8) as pool:
        codes = list(pool.map(one, range(N)))
    return codes, time.monotonic() - start


def test_the_per_key_limit_holds_across_two_workers(limited):
    codes, seconds = _hammer(limited.url + "/predict", limited.headers("reader"), reading())
    allowed = BURST + 0.5 * seconds + 1
    assert codes.count(429) > 0 and set(codes) <= {200, 429}
    assert codes.count(200) <= allowed, (codes.count(200), seconds)  # per worker: up to 2 x 30


def test_the_per_address_limit_of_failed_credentials_holds_across_two_workers(limited):
    bad = {"X-API-Key": "tw_not-a-key"}
    codes, seconds = _hammer(limited.url + "/v1/models", bad, None)
    assert set(codes) <= {401, 429} and codes.count(429) > 0
    assert codes.count(401) <= BURST + 0.5 * seconds + 1, (codes.count(401), seconds)
