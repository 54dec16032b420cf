"""A real service (``thermowatch serve`` in a subprocess, uvicorn on loopback) over a store with
a simulated fleet, and Debian's headless Chromium driven by Selenium through chromium-driver.

In CI (``CI=true``) a missing Chromium or chromedriver is a failure, not a skip.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import pytest

from tests.conftest import REPO, require
from tests.helpers.models import copy_model
from tests.integration.service.conftest import reading
from thermowatch.dashboard.demo import seed_fleet
from thermowatch.service.apikeys import create_key
from thermowatch.store.engine import make_engine
from thermowatch.store.migrate import upgrade
from thermowatch.store.users import create_user

PASSWORD = "mot de passe de quart"
SERVED = "TR-0001"  # the transformer the trained model serves (HTTP push goes through it)
# The committed screenshots are refreshed on request only (a test run never edits the clone):
# THERMOWATCH_SCREENSHOTS=docs/screenshots pytest tests/e2e/dashboard
SCREENSHOTS = Path(
    os.environ.get("THERMOWATCH_SCREENSHOTS") or Path(tempfile.gettempdir()) / "tw-screenshots"
)
CHROMIUM_FLAGS = (
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--window-size=1600,1000", "--lang=fr-FR",
)  # fmt: skip


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def service(sample_model_dir, tmp_path_factory):
    """``(base_url, engine, operator_api_key)`` of a running service with the fleet loaded."""
    root = tmp_path_factory.mktemp("dash-e2e")
    model_dir = copy_model(sample_model_dir, root)
    url = f"sqlite:///{root / 'tw.db'}"
    engine = make_engine(url)
    upgrade(engine)
    # The served transformer is watched on what its model predicts (the model's target).
    target = json.loads((model_dir / "metadata.json").read_text())["target"]
    seed_fleet(engine, 12, hours=24, step_min=5, hot=3, stale=1, targets={SERVED: target})
    for role in ("reader", "operator"):
        create_user(engine, role, PASSWORD, role)
    _, key = create_key(engine, "operator")
    port = _free_port()
    env = os.environ | {
        "PYTHONPATH": str(REPO / "src"), "THERMOWATCH_JWT_SECRET": "e2e-" + "s" * 40,
        "THERMOWATCH_DEFAULT_TRANSFORMER": SERVED, "THERMOWATCH_AUDIT_FLUSH_S": "0.1",
    }  # fmt: skip
    log = (root / "serve.log").open("w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "thermowatch", "serve", "--port", str(port), "--model",
         str(model_dir), "--database-url", url, "--log-level", "warning"],
        env=env, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if (
                    httpx.get(f"{base}/ready", timeout=1, headers={"X-API-Key": key}).status_code
                    == 200
                ):
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline or proc.poll() is not None:
                raise RuntimeError(f"the service did not start: {(root / 'serve.log').read_text()}")
            time.sleep(0.2)
        # An hour of real readings pushed through the API: stored predictions for the chart.
        push_readings(base, key, minutes=range(60, 0, -5))
        yield base, engine, key
    finally:
        proc.terminate()
        proc.wait(timeout=20)
        log.close()


def push_readings(base: str, key: str, minutes, oil: float = 58.0) -> httpx.Response:
    """POST /v1/readings for the served transformer ``minutes`` ago (an operator's API key)."""
    from datetime import UTC, datetime, timedelta

    now = datetime.now(UTC)
    items = [
        {"transformer_id": SERVED, "timestamp": (now - timedelta(minutes=m)).isoformat(),
         "values": reading(**{"température huile (°C)": oil, "courant (A)": 900.0})}
        for m in minutes
    ]  # fmt: skip
    r = httpx.post(f"{base}/v1/readings", json=items if len(items) > 1 else items[0],
                   headers={"X-API-Key": key}, timeout=30)  # fmt: skip
    assert r.status_code == 201, r.text
    return r


@pytest.fixture(scope="session")
def chromium_paths() -> tuple[str, str]:
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    driver = shutil.which("chromedriver")
    require(browser is not None and driver is not None,
            "Debian's chromium and chromium-driver are needed (apt-get install chromium chromium-driver)")  # fmt: skip
    return browser, driver


@pytest.fixture(scope="module")
def chromium(chromium_paths):
    """One headless Chromium per test file (starting one takes seconds of CPU)."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    binary, driver_path = chromium_paths
    options = webdriver.ChromeOptions()
    options.binary_location = binary
    profile = tempfile.mkdtemp(prefix="tw-chromium-")
    for flag in (*CHROMIUM_FLAGS, f"--user-data-dir={profile}"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(executable_path=driver_path), options=options)
    driver.set_page_load_timeout(30)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


@pytest.fixture
def browser(chromium):
    """The file's Chromium as a new visitor finds it: blank page, no cookie (so no session),
    the window size of CHROMIUM_FLAGS."""
    chromium.get("about:blank")
    chromium.execute_cdp_cmd("Network.clearBrowserCookies", {})
    chromium.execute_cdp_cmd("Network.clearBrowserCache", {})
    chromium.set_window_size(1600, 1000)
    return chromium


def sign_in(driver, base: str, name: str) -> None:
    from selenium.webdriver.common.by import By

    driver.get(f"{base}/login")
    driver.find_element(By.ID, "name").send_keys(name)
    driver.find_element(By.ID, "password").send_keys(PASSWORD)
    driver.find_element(By.ID, "login-submit").click()
    wait_for(lambda: driver.find_elements(By.ID, "logout"), 10)


def wait_for(condition, timeout: float, every: float = 0.05):
    """Poll ``condition`` until it is truthy; returns it, or fails with the time waited."""
    from selenium.common.exceptions import WebDriverException

    start = time.monotonic()
    while True:
        try:
            value = condition()
        except WebDriverException:  # the page is between two loads: not there yet
            value = None
        if value:
            return value
        if time.monotonic() - start > timeout:
            pytest.fail(f"condition not met within {timeout} s")
        time.sleep(every)


def screenshot(driver, name: str, height: int = 1000) -> Path:
    """Save the top of the page (``height`` px tall) under docs/screenshots/."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / name
    size = driver.get_window_size()
    driver.set_window_size(1600, height)
    driver.execute_script("window.scrollTo(0, 0);")
    time.sleep(0.3)  # let the chart follow the resize
    driver.save_screenshot(str(path))
    driver.set_window_size(size["width"], size["height"])
    return path
