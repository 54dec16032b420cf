"""schemathesis over the dashboard's pages on a real 2-worker production service.

The pages are not in the API's schema (they answer HTML to a browser), so the test writes
their OpenAPI document from the app's routing table: every dashboard route with its path and
query parameters, and for a form its fields (the session's CSRF token as the example, so the
examples phase reaches the actions behind it). schemathesis then sends generated values with
an operator's session cookie: no answer may be a server error.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from fastapi.openapi.utils import get_openapi
from fastapi.routing import APIRoute

from tests.security.conftest import client_from, start_server
from tests.security.test_dashboard_routes import PASSWORD, STREAMS, _walk, dashboard_routes

SCHEMATHESIS = shutil.which("schemathesis", path=str(Path(sys.executable).parent))
FORM_FIELDS = ("comment", "lang", "next", "name", "password", "state", "level", "kind")


def dashboard_schema(app, csrf: str) -> dict:
    """The OpenAPI document of the dashboard's routes (streams left out: they never end)."""
    wanted = {p for _, p in dashboard_routes(app)} - STREAMS
    routes = []
    for path, route in _walk(app.routes):
        if path in wanted and route.endpoint.__module__.startswith("thermowatch.dashboard"):
            routes.append(APIRoute(path, route.endpoint, methods=sorted(route.methods),
                                   name=route.name, include_in_schema=True))  # fmt: skip
    doc = get_openapi(title="thermowatch dashboard", version="1", routes=routes)
    form = {
        "required": True,
        "content": {"application/x-www-form-urlencoded": {"schema": {
            "type": "object", "required": ["csrf"],
            "properties": {"csrf": {"type": "string", "example": csrf}}
            | {k: {"type": "string"} for k in FORM_FIELDS},
        }}},
    }  # fmt: skip
    for item in doc["paths"].values():
        if "post" in item:
            item["post"]["requestBody"] = form
    return doc


@pytest.mark.skipif(SCHEMATHESIS is None, reason="schemathesis is a test dependency")
def test_schemathesis_finds_no_server_error_in_the_pages(tmp_path, trained_model):
    from thermowatch.app import create_app
    from thermowatch.dashboard.demo import seed_fleet
    from thermowatch.service.settings import Settings
    from thermowatch.store.engine import make_engine
    from thermowatch.store.users import create_user

    # One service worker: schemathesis sends one request at a time (--workers 1), and what it
    # checks (status codes, schemas) is each response's own; a second worker only costs its start.
    server = start_server(
        tmp_path, trained_model, workers=1, allow_cidrs=[], rate_limit_per_s=1e5,
        rate_burst=1e5, anonymous_rate_per_s=1e5, anonymous_burst=1e5,
    )  # fmt: skip
    try:
        engine = make_engine(server.database_url)
        seed_fleet(engine, 3, hours=2, step_min=10, hot=1, stale=1)
        create_user(engine, "operator", PASSWORD, "operator")
        engine.dispose()
        with client_from() as client:
            login = client.get(server.url + "/login").text
            token = re.search(r'name="csrf" value="([^"]+)"', login).group(1)
            r = client.post(server.url + "/login", data={
                "csrf": token, "name": "operator", "password": PASSWORD})  # fmt: skip
            assert r.status_code == 303, r.text
            cookie = client.cookies["tw_session"]
            page = client.get(server.url + "/alerts").text  # the client keeps the cookie
            csrf = re.search(r'name="csrf" value="([^"]+)"', page).group(1)
        app = create_app(Settings(env="production", jwt_secret="s" * 40).checked(),
                         engine=make_engine("sqlite://"))  # fmt: skip
        schema = tmp_path / "dashboard-openapi.json"
        doc = dashboard_schema(app, csrf)
        operations = sum(len(item) for item in doc["paths"].values())
        schema.write_text(json.dumps(doc))
        run = subprocess.run(
            [SCHEMATHESIS, "run", str(schema), "--url", server.url, "--checks",
             "not_a_server_error", "-H", f"Cookie: tw_session={cookie}", "--max-examples", "25",
             "--seed", "13", "--workers", "1", "--no-color", "--output-truncate", "true",
             "--phases", "examples,coverage,fuzzing", "--request-timeout", "30"],
            capture_output=True, text=True, timeout=600, cwd=tmp_path,
        )  # fmt: skip
    finally:
        server.stop()
    summary = run.stdout[-6000:]
    assert run.returncode == 0, summary
    assert "Server error" not in run.stdout
    assert "Traceback" not in server.log()
    assert operations >= 12 and f"Tested: {operations}" in run.stdout, summary  # all reached
