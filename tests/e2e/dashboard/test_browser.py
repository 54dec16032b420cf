"""The dashboard as an operator uses it, in headless Chromium (Selenium + chromium-driver)."""

from __future__ import annotations

import re
import time
from datetime import datetime

import httpx
import pytest
from selenium.webdriver.common.by import By

from thermowatch.learn.levels import worst_of
from thermowatch.learn.result import Thresholds
from thermowatch.learn.thresholds import resolve_thresholds, target_kind
from thermowatch.store.alerts import get_alert, raise_alert
from thermowatch.store.overview import fleet_overview
from thermowatch.store.transformers import get_transformer

from .conftest import SERVED, push_readings, screenshot, sign_in, wait_for

pytestmark = pytest.mark.slow


def _cookies(driver) -> dict[str, str]:
    return {c["name"]: c["value"] for c in driver.get_cookies()}


def test_fleet_lists_the_simulated_fleet_with_the_right_colours(service, browser):
    base, engine, key = service
    sign_in(browser, base, "reader")
    rows = browser.find_elements(By.CSS_SELECTOR, "#fleet tbody tr")
    assert len(rows) == 12
    served = httpx.get(f"{base}/v1/models", headers={"X-API-Key": key}).json()["served"]
    expected = {}
    for r in fleet_overview(engine):  # recomputed here: configured > model > IEC, the worse
        model = None
        if r.id in served:
            s = served[r.id]["thresholds"]
            model = Thresholds(s["alerte_c"], s["critique_c"], "model")
        configured = get_transformer(engine, r.id).thresholds
        th = resolve_thresholds(configured, model, target_kind(r.target_variable))
        expected[r.id] = worst_of(th.level(r.measured), r.predicted_level)[0]
    for row in rows:
        tid = row.get_attribute("data-id")
        css = row.get_attribute("class")
        assert f"lv-{expected[tid]}" in css, tid
        colour = row.find_element(By.CSS_SELECTOR, "td").value_of_css_property("border-left-color")
        assert colour == {"CRITIQUE": "rgba(216, 58, 58, 1)", "ALERTE": "rgba(224, 154, 26, 1)",
                          "NORMAL": "rgba(46, 157, 91, 1)"}[expected[tid]]  # fmt: skip
    assert "stale" in browser.find_element(By.ID, "tr-TR-0012").get_attribute("class")
    first = rows[0].get_attribute("data-level")
    assert first in ("CRITIQUE", "ALERTE")  # the red ones first, no pagination needed
    # search and filter work in the page
    browser.find_element(By.ID, "fleet-search").send_keys("TR-0005")
    visible = [r for r in rows if r.is_displayed()]
    assert [r.get_attribute("data-id") for r in visible] == ["TR-0005"]
    screenshot_fleet(browser, base)


def screenshot_fleet(browser, base):
    browser.get(f"{base}/")
    assert browser.find_elements(By.CSS_SELECTOR, "td.crossing .badge")  # the forecast column
    wait_for(lambda: "on" in browser.find_element(By.ID, "live").get_attribute("class"), 5)
    screenshot(browser, "dashboard-fleet.png")


def test_transformer_chart_and_panels_match_the_api(service, browser):
    base, _, _ = service
    sign_in(browser, base, "reader")
    browser.get(f"{base}/transformers/{SERVED}?window=24h")
    chart = wait_for(lambda: browser.find_elements(By.CSS_SELECTOR, "#chart[data-ready='1']"), 10)[
        0
    ]
    canvas = chart.find_element(By.TAG_NAME, "canvas")
    assert int(canvas.get_attribute("width")) > 300
    assert int(chart.get_attribute("data-points")) > 100
    # the canvas really has ink: count non-transparent pixels
    inked = browser.execute_script(
        "const c = document.querySelector('#chart canvas');"
        "const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;"
        "let n = 0; for (let i = 3; i < d.length; i += 4) if (d[i]) n++; return n;"
    )
    assert inked > 2000
    cookies = _cookies(browser)
    api = httpx.get(f"{base}/transformers/{SERVED}/panels.json", cookies=cookies).json()
    shown = {
        int(r.get_attribute("data-minutes")): float(r.get_attribute("data-load"))
        for r in browser.find_elements(By.CSS_SELECTOR, "#capability tbody tr")
    }
    assert set(shown) == {30, 120, 480}
    for c in api["capability"]:
        assert shown[c["minutes"]] == pytest.approx(c["max_load_pu"], abs=0.01)
    crossing = browser.find_element(By.ID, "forecast-crossing")
    assert crossing.get_attribute("data-level") == (api["crossing"] or {}).get("level", "")
    assert crossing.get_attribute("data-at") == (api["crossing"] or {}).get("at", "")
    # the "now" panel's numbers are the API's (shown with a French decimal comma)
    for cell, key, tol in (("now-load", "load_pu", 0.006), ("now-hot-spot", "hot_spot_c", 0.06)):
        text = browser.find_element(By.ID, cell).text.replace(",", ".")
        assert float(text) == pytest.approx(api[key], abs=tol), cell
    # the forecast drawn is the API's forecast, point for point, over the quarter of the
    # window after the last measurement (the past fills the rest), starting from that measurement
    series = httpx.get(f"{base}/transformers/{SERVED}/series?window=24h", cookies=cookies).json()
    assert "predicted" in series
    drawn = {
        round(t, 3): v
        for t, v in zip(series["t"], series["forecast"], strict=True)
        if v is not None
    }
    stamps = [datetime.fromisoformat(s).timestamp() for s in api["forecast"]["timestamp"]]
    assert stamps[-1] - stamps[0] >= 23.5 * 3600  # the API still gives 24 h ahead
    assert api["forecast"]["source"] == "learned"  # the served champion's forecaster
    source = browser.find_element(By.ID, "forecast-source")
    assert source.get_attribute("data-source") == "learned"
    last_t = max(t for t, v in zip(series["t"], series["measured"], strict=True) if v is not None)
    shown = [(t, v) for t, v in zip(stamps, api["forecast"]["value"], strict=True)
             if t <= last_t + 6 * 3600]  # fmt: skip
    for t, v in shown:
        assert drawn[round(t, 3)] == pytest.approx(v, abs=1e-3)
    assert series["forecast_from"] == pytest.approx(last_t)  # the continuation starts there
    assert len(drawn) == len(shown) + (1 if last_t < stamps[0] else 0)
    past = last_t - series["start"]
    assert past / (series["end"] - series["start"]) >= 0.75  # the past fills most of the width
    # what-if through htmx
    load = browser.find_element(By.ID, "wi-load")
    load.clear()
    load.send_keys("1,5")
    browser.find_element(By.ID, "wi-run").click()
    summary = wait_for(lambda: browser.find_elements(By.ID, "whatif-summary"), 5)[0]
    assert "Charge 1,5 pu pendant 2 h" in summary.text
    screenshot(browser, "dashboard-transformer.png", height=1500)


def test_a_reading_pushed_over_the_api_appears_within_2_s(service, browser):
    base, _, key = service
    sign_in(browser, base, "reader")
    browser.get(f"{base}/transformers/{SERVED}?window=6h")
    chart = wait_for(lambda: browser.find_elements(By.CSS_SELECTOR, "#chart[data-ready='1']"), 10)[
        0
    ]
    wait_for(lambda: "on" in browser.find_element(By.ID, "live").get_attribute("class"), 5)
    before = int(chart.get_attribute("data-points"))
    sent = time.monotonic()
    answer = push_readings(base, key, minutes=[0], oil=61.5).json()
    wait_for(lambda: chart.get_attribute("data-last-predicted"), 2.0)
    elapsed = time.monotonic() - sent
    assert elapsed < 2.0 and int(chart.get_attribute("data-points")) > before
    # the point drawn is the one the API answered, at the instant pushed
    drawn = float(chart.get_attribute("data-last-predicted"))
    assert drawn == pytest.approx(answer["temperature_predite"], abs=1e-3)  # API rounds to mK
    pushed_at = datetime.fromisoformat(answer["timestamp"]).timestamp()
    assert float(chart.get_attribute("data-last-reading")) == pytest.approx(pushed_at, abs=1e-3)


def test_a_new_alert_appears_within_2_s(service, browser):
    base, engine, _ = service
    sign_in(browser, base, "reader")
    wait_for(lambda: "on" in browser.find_element(By.ID, "live").get_attribute("class"), 5)
    sent = time.monotonic()
    alert_id = raise_alert(engine, "TR-0007", "top_oil_high", "CRITIQUE",
                           "TR-0007 : huile 71,0 °C ≥ seuil critique")  # fmt: skip
    toast = wait_for(
        lambda: browser.find_elements(By.CSS_SELECTOR, f".toast[data-alert-id='{alert_id}']"), 2.0
    )[0]
    assert time.monotonic() - sent < 2.0
    assert "TR-0007" in toast.text and "Critique" in toast.text
    row = browser.find_element(By.ID, "tr-TR-0007")
    assert "lv-CRITIQUE" in row.get_attribute("class")


def test_operator_acknowledges_and_page_and_api_agree(service, browser):
    base, engine, key = service
    alert_id = raise_alert(engine, "TR-0003", "top_oil_high", "ALERTE", "TR-0003 : huile élevée")
    sign_in(browser, base, "operator")
    browser.get(f"{base}/alerts")
    browser.find_element(By.ID, f"c-{alert_id}").send_keys("charge délestée")
    screenshot(browser, "dashboard-alerts.png")
    browser.find_element(By.ID, f"ack-{alert_id}").click()
    done = wait_for(lambda: browser.find_elements(By.ID, "done"), 5)[0]
    assert str(alert_id) in done.text
    browser.get(f"{base}/alerts?state=acknowledged")
    row = browser.find_element(By.ID, f"alert-{alert_id}")
    assert "user:operator" in row.text and "charge délestée" in row.text
    api = httpx.get(f"{base}/v1/alerts", headers={"X-API-Key": key}).json()
    mine = next(a for a in api if a["id"] == alert_id)
    assert mine["acknowledged_by"] == "user:operator"
    assert get_alert(engine, alert_id).acknowledged_at is not None


def test_reader_cannot_acknowledge(service, browser):
    base, engine, _ = service
    alert_id = raise_alert(engine, "TR-0004", "top_oil_high", "ALERTE", "TR-0004 : huile élevée")
    sign_in(browser, base, "reader")
    browser.get(f"{base}/alerts")
    row = browser.find_element(By.ID, f"alert-{alert_id}")
    assert not row.find_elements(By.TAG_NAME, "button")  # no acknowledge button for a reader
    csrf = browser.find_element(By.CSS_SELECTOR, "input[name=csrf]").get_attribute("value")
    status = browser.execute_script(
        "const f = new FormData(); f.append('csrf', arguments[1]); f.append('comment', 'x');"
        "return fetch(arguments[0], {method: 'POST', body: f}).then(r => r.status);",
        f"/alerts/{alert_id}/acknowledge", csrf,
    )  # fmt: skip
    assert status == 403
    assert get_alert(engine, alert_id).acknowledged_at is None


def test_a_form_without_its_csrf_token_is_refused(service, browser):
    base, engine, _ = service
    alert_id = raise_alert(engine, "TR-0005", "top_oil_high", "ALERTE", "TR-0005 : huile élevée")
    sign_in(browser, base, "operator")
    browser.get(f"{base}/alerts")
    browser.execute_script(
        "document.querySelector(arguments[0]).querySelector('input[name=csrf]').remove();",
        f"#alert-{alert_id} form",
    )
    browser.find_element(By.ID, f"ack-{alert_id}").click()
    error = wait_for(lambda: browser.find_elements(By.ID, "page-error"), 5)[0]
    assert "jeton de sécurité" in error.text
    assert get_alert(engine, alert_id).acknowledged_at is None


def test_switch_to_english_is_remembered(service, browser):
    base, _, _ = service
    sign_in(browser, base, "reader")
    assert browser.find_element(By.TAG_NAME, "h1").text == "Parc de transformateurs"
    browser.find_element(By.ID, "lang-switch").click()
    wait_for(lambda: browser.find_element(By.TAG_NAME, "h1").text == "Transformer fleet", 5)
    browser.find_element(By.ID, "logout").click()
    wait_for(lambda: browser.find_elements(By.ID, "login-submit"), 5)
    sign_in(browser, base, "reader")
    assert browser.find_element(By.TAG_NAME, "h1").text == "Transformer fleet"
    browser.find_element(By.ID, "lang-switch").click()  # back to French for the other tests
    wait_for(lambda: browser.find_element(By.TAG_NAME, "h1").text == "Parc de transformateurs", 5)
    assert re.search(r"\d+ transformateurs", browser.find_element(By.ID, "fleet-count").text)
