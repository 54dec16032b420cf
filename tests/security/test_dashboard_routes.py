"""Every dashboard route, enumerated from the app's routing table, against the access rules.

A page or form added later joins these tests by itself: no session -> sign-in (303) or a
refusal, never a page or a 5xx; every mutating route checks the session's CSRF token, and
refuses a reader unless it only changes the reader's own session (sign-out, language).
"""

from __future__ import annotations

import itertools
import re
from urllib.parse import quote

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from tests.helpers.store import migrated_sqlite
from thermowatch.app import create_app
from thermowatch.dashboard.demo import seed_fleet
from thermowatch.service.settings import Settings
from thermowatch.store.engine import make_engine
from thermowatch.store.overview import find_alerts
from thermowatch.store.users import create_user

PASSWORD = "correct horse battery"
CSRF = re.compile(r'name="csrf" value="([^"]+)"')
#: Reachable without a session: the sign-in page and its language switch (own CSRF cookie).
PUBLIC = {("GET", "/login"), ("POST", "/login"), ("POST", "/login/lang")}
#: Mutating routes a reader may use: they change only the reader's own session.
OWN_SESSION = {"/logout", "/lang"}
#: Streams never end: probed without a session only (the refusal comes before the stream).
STREAMS = {"/events"}
MUTATING = {"POST", "PUT", "PATCH", "DELETE"}


def _walk(routes, prefix: str = ""):
    """``(path, route)`` of every API route, into included routers (FastAPI >= 0.165 keeps
    them as included routers rather than flattening them into the app's list)."""
    for route in routes:
        inner = getattr(route, "original_router", None)
        if inner is not None:
            more = getattr(getattr(route, "include_context", None), "prefix", "") or ""
            yield from _walk(inner.routes, prefix + more)
        elif isinstance(route, APIRoute):
            yield prefix + route.path, route


def dashboard_routes(app) -> list[tuple[str, str]]:
    """``(method, path)`` of every route the dashboard package added to ``app``."""
    out = []
    for path, route in _walk(app.routes):
        if route.endpoint.__module__.startswith("thermowatch.dashboard"):
            out += [(m, path) for m in sorted(route.methods - {"HEAD"})]
    return sorted(set(out))


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    path = tmp_path_factory.mktemp("dash-security") / "tw.db"
    engine = migrated_sqlite(path)
    seed_fleet(engine, 3, hours=3, step_min=10, hot=1, stale=1)
    for role in ("reader", "operator", "admin"):
        create_user(engine, role, PASSWORD, role)
    alert_id = find_alerts(engine, "all")[0].id
    engine.dispose()
    return path, alert_id


@pytest.fixture(scope="module")
def app(store):
    path, _ = store
    engine = make_engine(f"sqlite:///{path}")
    settings = Settings(env="production", jwt_secret="s" * 40, audit_flush_s=0.05).checked()
    yield create_app(settings, engine=engine)
    engine.dispose()


@pytest.fixture(scope="module")
def routes(app):
    found = dashboard_routes(app)
    assert len(found) >= 13, found  # the pages of issue 13 at least: the table was read
    return found


ADDRESSES = itertools.count(1)


def _client(app) -> TestClient:
    """A client from an address of its own: sign-ins are rate-limited per address."""
    address = f"127.0.1.{next(ADDRESSES)}"
    return TestClient(app, client=(address, 50000), raise_server_exceptions=False)


def _signed_in(app, role: str) -> tuple[TestClient, str]:
    client = _client(app).__enter__()
    token = CSRF.search(client.get("/login").text).group(1)
    r = client.post(
        "/login", data={"csrf": token, "name": role, "password": PASSWORD}, follow_redirects=False
    )
    assert r.status_code == 303, r.text
    return client, CSRF.search(client.get("/alerts").text).group(1)


def concrete(path: str, alert_id: int) -> str:
    """A path with real values in its parameters (an existing transformer and alert)."""
    values = {"transformer_id": "TR-0001", "alert_id": str(alert_id), "proposal_id": "1",
              "decision": "approve", "path": "app.css"}  # fmt: skip
    return re.sub(r"\{(\w+)(:\w+)?\}", lambda m: values.get(m.group(1), "1"), path)


def test_the_routing_table_is_what_the_rules_cover(routes):
    """The named exceptions exist: a renamed sign-in or sign-out route must be noticed."""
    paths = {p for _, p in routes}
    assert {p for _, p in PUBLIC} | OWN_SESSION | STREAMS <= paths
    assert {m for m, _ in routes} <= {"GET"} | MUTATING


def test_no_route_is_reachable_without_a_session(app, routes, store):
    with _client(app) as client:
        for method, path in routes:
            if (method, path) in PUBLIC:
                continue
            url = concrete(path, store[1])
            r = client.request(method, url, follow_redirects=False, data={"csrf": "x"})
            assert r.status_code in (303, 401, 403), (method, url, r.status_code)
            if r.status_code == 303:
                assert r.headers["location"].startswith("/login"), (method, url)
            # a forged or expired cookie is no session either
            client.cookies.set("tw_session", "forged-" + "x" * 40)
            r = client.request(method, url, follow_redirects=False, data={"csrf": "x"})
            client.cookies.clear()
            assert r.status_code in (303, 401, 403), (method, url, r.status_code)


def test_every_page_answers_a_signed_in_reader_without_a_server_error(app, routes, store):
    client, _ = _signed_in(app, "reader")
    with client:
        for method, path in routes:
            if method != "GET" or path in STREAMS:
                continue
            r = client.get(concrete(path, store[1]), follow_redirects=False)
            assert r.status_code < 500, (path, r.status_code, r.text[:300])
            assert r.status_code in (200, 303), (path, r.status_code)


@pytest.mark.parametrize("role", ["reader", "operator"])
def test_every_mutating_route_checks_csrf(app, routes, store, role):
    client, _ = _signed_in(app, role)
    with client:
        for method, path in routes:
            if method not in MUTATING or (method, path) in PUBLIC:
                continue
            url = concrete(path, store[1])
            for data in ({}, {"csrf": ""}, {"csrf": "not-the-token"}):
                r = client.request(method, url, data=data, follow_redirects=False)
                assert r.status_code == 403, (role, method, url, data, r.status_code)
        # still signed in: the refusals did not end the session
        assert client.get("/", follow_redirects=False).status_code == 200


def test_a_reader_changes_nothing_but_its_own_session(app, routes, store):
    client, token = _signed_in(app, "reader")
    with client:
        for method, path in routes:
            if method not in MUTATING or (method, path) in PUBLIC or path in OWN_SESSION:
                continue
            url = concrete(path, store[1])
            r = client.request(method, url, data={"csrf": token}, follow_redirects=False)
            assert r.status_code == 403, (method, url, r.status_code)
            assert "operator" in r.text or "admin" in r.text  # the role it needs is named
    path, alert_id = store
    engine = make_engine(f"sqlite:///{path}")
    try:
        alert = next(a for a in find_alerts(engine, "all") if a.id == alert_id)
        assert alert.acknowledged_at is None  # the reader's attempts left no trace
    finally:
        engine.dispose()


@pytest.mark.parametrize(
    "value",
    ["0", "-1", "9" * 30, "1e308", "nan", "inf", "-inf", "TR-0001/../..", "%00", "é" * 300,
     "' OR 1=1 --"],
)  # fmt: skip
def test_odd_path_and_query_values_are_refused_cleanly(app, routes, store, value):
    """Each parameter in turn holds an odd value: a 4xx or a page, never a 5xx."""
    client, token = _signed_in(app, "operator")
    odd = quote(value, safe="")
    with client:
        for method, path in routes:
            if path in STREAMS and method == "GET":
                continue
            names = re.findall(r"\{(\w+)", path)
            urls = [re.sub(r"\{" + n + r"(:\w+)?\}", odd, path) for n in names]
            urls = [concrete(u, store[1]) for u in urls]
            if method == "GET":
                urls.append(concrete(path, store[1]) + f"?window={odd}&load={odd}&hours={odd}"
                            f"&state={odd}&level={odd}&kind={odd}&transformer={odd}")  # fmt: skip
            for url in urls:
                data = {"csrf": token, "comment": value, "lang": value, "next": value}
                r = client.request(method, url, data=data, follow_redirects=False)
                assert r.status_code < 500, (method, url, r.status_code, r.text[:300])
