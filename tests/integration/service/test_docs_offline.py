"""/docs works without internet: Swagger UI from vendored assets, rendered by a real browser.

The page exists in development only (production: no /docs, /openapi.json behind a reader
credential, see tests/security/test_access.py)."""

from __future__ import annotations

import re
import shutil
import socket
import subprocess
import threading
import time

import pytest
import uvicorn

from tests.conftest import require
from thermowatch.app import create_app

from .conftest import make_settings


@pytest.fixture
def dev_client(engine, served_dir):
    from fastapi.testclient import TestClient

    app = create_app(make_settings(env="development", model_dir=str(served_dir)), engine=engine)
    with TestClient(app, client=("127.0.0.1", 50000)) as c:
        yield c


def test_docs_page_references_no_outside_host(dev_client):
    client = dev_client
    page = client.get("/docs")
    assert page.status_code == 200
    assert "/docs-assets/swagger-ui-bundle.js" in page.text
    assert not re.findall(r"https?://(?!127\.0\.0\.1|localhost)", page.text)
    bundle = client.get("/docs-assets/swagger-ui-bundle.js")
    assert bundle.status_code == 200 and len(bundle.content) > 1_000_000
    assert client.get("/docs-assets/swagger-ui.css").headers["content-type"].startswith("text/css")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def live_server(engine, served_dir):
    port = _free_port()
    app = create_app(make_settings(env="development", model_dir=str(served_dir)), engine=engine)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(10)


def chromium() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


def test_headless_chromium_renders_the_docs_offline(live_server, tmp_path):
    browser = chromium()
    require(browser is not None, "chromium is not installed (apt-get install chromium)")
    # No proxy and every outside host unresolvable: only the loopback server can answer.
    done = subprocess.run(
        [browser, "--headless", "--no-sandbox", "--disable-gpu", "--no-proxy-server",
         "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
         f"--user-data-dir={tmp_path / 'profile'}", "--virtual-time-budget=10000",
         "--dump-dom", f"{live_server}/docs"],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    dom = done.stdout
    assert 'class="swagger-ui"' in dom, done.stderr[-2000:]
    assert "/v1/predict/batch" in dom  # the operations were rendered from /openapi.json
