"""The operator's screens at 1366×900 in both languages: an imported archive shows, the charts
line up, nothing scrolls sideways, and axe-core finds no serious or critical WCAG 2.1 AA
violation on any page."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

import pytest
from selenium.webdriver.common.by import By

from tests.conftest import REPO

from .conftest import SERVED, screenshot, sign_in, wait_for

pytestmark = pytest.mark.slow
AXE = Path(__file__).parent / "vendor" / "axe-4.14.1.min.js"
ARCHIVE = "TR-ARCH"
WCAG = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
PAGES = ("/", f"/transformers/{SERVED}", f"/transformers/{ARCHIVE}", "/alerts", "/models")
#: Where the measurements of this module are written (read by the lead's report).
RESULTS = Path(tempfile.gettempdir()) / "tw-screens-measurements.json"


@pytest.fixture(scope="module")
def archive(service):
    """A past month (the sample's January 2024) imported with ``thermowatch db import``."""
    _, engine, _ = service
    env = os.environ | {"PYTHONPATH": str(REPO / "src")}
    with tempfile.TemporaryDirectory() as tmp:
        for args in (["sample", "--out", "past.csv", "--days", "30"],
                     ["db", "import", "past.csv", "-t", ARCHIVE, "--database-url",
                      str(engine.url)]):  # fmt: skip
            done = subprocess.run([sys.executable, "-m", "thermowatch", *args], cwd=tmp, env=env,
                                  capture_output=True, text=True, timeout=300)  # fmt: skip
            assert done.returncode == 0, done.stderr
    return ARCHIVE


def _language(browser, lang: str) -> None:
    if browser.find_element(By.TAG_NAME, "html").get_attribute("lang") != lang:
        browser.find_element(By.ID, "lang-switch").click()
        wait_for(lambda: browser.find_element(By.TAG_NAME, "html").get_attribute("lang") == lang, 5)


def _ready(browser) -> None:
    if browser.find_elements(By.ID, "chart"):
        wait_for(lambda: browser.find_elements(By.CSS_SELECTOR, "#chart[data-ready='1']")
                 or "—" in browser.find_element(By.ID, "chart").text
                 or browser.find_element(By.ID, "chart").text, 10)  # fmt: skip


def axe_violations(browser) -> list[dict]:
    """axe-core's WCAG 2.1 A/AA violations on the page shown (the vendored script, injected)."""
    browser.execute_script(AXE.read_text())
    return browser.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "axe.run(document, {runOnly: {type: 'tag', values: arguments[0]}})"
        ".then(r => done(r.violations.map(v => ({id: v.id, impact: v.impact,"
        " nodes: v.nodes.map(n => n.target.join(' '))}))));",
        WCAG,
    )


def _scroll(browser) -> tuple[int, int]:
    return tuple(browser.execute_script(
        "return [document.documentElement.scrollWidth, document.documentElement.clientWidth];"
    ))  # fmt: skip


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_every_page_at_1366_has_no_side_scroll_and_no_serious_axe_violation(
    service, archive, browser, lang
):
    base, _, _ = service
    browser.set_window_size(1366, 900)
    browser.get(f"{base}/login")
    found = {"/login": axe_violations(browser)}
    # the harness can fail: an image without a text alternative is caught
    browser.execute_script("document.body.insertAdjacentHTML('beforeend', '<img src=\"/x.png\">')")
    assert "image-alt" in {v["id"] for v in axe_violations(browser)}
    widths = {}
    sign_in(browser, base, "operator")
    _language(browser, lang)
    for path in PAGES:
        browser.get(base + path)
        _ready(browser)
        widths[path] = _scroll(browser)
        found[path] = axe_violations(browser)
    record = {p: {"violations": len(v), "serious_or_critical": sum(
        x["impact"] in ("serious", "critical") for x in v), "ids": [x["id"] for x in v]}
        for p, v in found.items()}  # fmt: skip
    for p, (scroll, client) in widths.items():
        record[p] |= {"scroll_width": scroll, "client_width": client}
    old = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    RESULTS.write_text(json.dumps(old | {lang: record}, indent=1))
    serious = {
        p: [x for x in v if x["impact"] in ("serious", "critical")] for p, v in found.items()
    }
    assert {p: v for p, v in serious.items() if v} == {}
    assert {p: w for p, w in widths.items() if w[0] > w[1]} == {}  # no horizontal scroll
    if lang == "en":  # the French ones come from test_browser.py
        browser.get(f"{base}/")
        screenshot(browser, "dashboard-fleet-en.png")
        browser.get(f"{base}/transformers/{SERVED}?window=24h")
        _ready(browser)
        screenshot(browser, "dashboard-transformer-en.png", height=1500)
    _language(browser, "fr")


def test_an_imported_past_month_opens_on_its_chart_with_its_date(service, archive, browser):
    base, _, _ = service
    browser.set_window_size(1366, 900)
    sign_in(browser, base, "reader")
    browser.get(f"{base}/transformers/{archive}")
    chart = wait_for(lambda: browser.find_elements(By.CSS_SELECTOR, "#chart[data-ready='1']"), 10)[
        0
    ]
    note = browser.find_element(By.ID, "history-note").text
    assert "30/01/2024 23:50 UTC" in note
    assert "30/01/2024" in browser.find_element(By.ID, "freshness").text
    assert int(chart.get_attribute("data-points")) >= 140  # a day of 10-minute readings, drawn
    start, end = (datetime.fromtimestamp(float(chart.get_attribute(a)), UTC)
                  for a in ("data-start", "data-end"))  # fmt: skip
    assert (start.year, start.month, end.year, end.month) == (2024, 1, 2024, 1)
    # the load/ambient chart is below, on the same time axis, over the same pixels
    below = wait_for(
        lambda: browser.find_elements(By.CSS_SELECTOR, "#drivers-chart[data-ready='1']"), 5
    )[0]
    for a in ("data-plot-left", "data-plot-width"):
        assert float(below.get_attribute(a)) == pytest.approx(float(chart.get_attribute(a)), abs=1)
    assert below.location["y"] > chart.location["y"]
    # hover: the legend's time is in the page's language and the site's time zone (CET, +1 h)
    browser.execute_script(
        "const o = document.querySelector('#chart .u-over'), r = o.getBoundingClientRect();"
        "o.dispatchEvent(new MouseEvent('mousemove', {clientX: r.right - 2, clientY: r.top + 20,"
        " bubbles: true}));"
    )
    legend = browser.find_element(By.CSS_SELECTOR, "#chart .u-legend").text
    assert "Heure (Europe/Paris)" in legend and "31/01/2024" in legend  # 23:50 UTC = 00:50 CET
    assert "°C" in legend and "Time" not in legend


def test_the_forecast_continues_from_the_last_measurement(service, browser):
    base, _, _ = service
    sign_in(browser, base, "reader")
    browser.get(f"{base}/transformers/{SERVED}?window=6h")
    chart = wait_for(lambda: browser.find_elements(By.CSS_SELECTOR, "#chart[data-ready='1']"), 10)[
        0
    ]
    cookies = {c["name"]: c["value"] for c in browser.get_cookies()}
    import httpx

    s = httpx.get(f"{base}/transformers/{SERVED}/series?window=6h", cookies=cookies).json()
    measured = [(t, v) for t, v in zip(s["t"], s["measured"], strict=True) if v is not None]
    forecast = [(t, v) for t, v in zip(s["t"], s["forecast"], strict=True) if v is not None]
    assert forecast[0] == measured[-1]  # drawn from the last measurement on
    first = s["t"].index(forecast[1][0])  # the model's first forecast point
    if "forecast_lower" in s:  # its interval, where the model gives one, is drawn around it
        lo, hi = s["forecast_lower"][first], s["forecast_upper"][first]
        assert lo < forecast[1][1] < hi
        # Not "the interval holds the last measurement": this fixture's last hour interleaves
        # the seeded overloaded plant with readings pushed at 58 °C oil and 900 A, so the
        # forecaster's inputs disagree with the measurement by an amount that follows the time
        # of day of the run (127.4 °C measured against [117.9, 124.1] at 13:25 UTC, inside at
        # 12:20). Interval coverage is measured on real data by benchmarks/accuracy.py.
    assert float(chart.get_attribute("data-forecast-from")) == pytest.approx(measured[-1][0])
    assert forecast[-1][0] - forecast[0][0] <= 0.25 * 6 * 3600 + 1  # a quarter of the window
