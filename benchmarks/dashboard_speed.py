"""Speed of the operator dashboard, measured as an operator meets it.

In one run (repeated ``--runs`` times; min and median reported):

* **fleet page, 1,000 transformers** (simulated fleet, 2 h of 10-minute readings of 7
  variables each, fed through the live pipeline, which stores predictions and forecasts):
  served by a real ``thermowatch serve`` (uvicorn) on loopback [ms per request, median of
  20], and loaded in headless Chromium (``DOMContentLoaded`` after the navigation starts
  [ms]). Side by side, the store queries behind it: ``fleet_overview`` (one query) against
  ``fleet_status`` (three queries per transformer), and ``forecast_crossings`` (the forecast
  column: one query over the stored forecasts) [ms].
* **a 30-day window of 1-minute data**: 43,200 readings of the measured temperature and 43,200
  predictions (value, lower, upper) of one transformer: the peak-keeping downsampling alone
  (43,200 x 3 points -> ~1,000 per series) [ms], the whole ``/series`` answer (store read +
  downsampling + JSON) [ms], and the chart drawn in Chromium after navigation [ms].

* **live updates at scale**: 50 browsers' event streams open (25 on the fleet page, 25 on
  transformer pages) while the 1,000 transformers report every 60 s (7 variables each,
  written to the store as the monitor does, spread evenly over the minute) and an alert is
  raised every 3 s, for ``--live-s`` seconds: delivery delay of every alert to all 50 streams
  and of every reading to the pages showing it [ms, median and max], and the service's CPU
  over the window [% of one core, from /proc].

Goals (issue 13): fleet page < 200 ms served and DOMContentLoaded < 1 s; 43,200 x 3 points
downsampled < 100 ms and drawn < 1 s; live updates within 2 s with the service under 50 % of
one core.

usage: python benchmarks/dashboard_speed.py [--runs 3] [--fleet 1000]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import numpy as np
import pandas as pd
from rich.console import Console
from rich.progress import track
from rich.table import Table

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from thermowatch.dashboard.demo import seed_fleet  # noqa: E402
from thermowatch.dashboard.downsample import align_minmax, minmax_indices  # noqa: E402
from thermowatch.data.simulator import OIL, RATED_CURRENT_A, SAMPLE_SPEC  # noqa: E402
from thermowatch.store.engine import make_engine  # noqa: E402
from thermowatch.store.migrate import upgrade  # noqa: E402
from thermowatch.store.overview import fleet_overview, forecast_crossings  # noqa: E402
from thermowatch.store.predictions import Prediction, write_predictions  # noqa: E402
from thermowatch.store.readings import write_readings  # noqa: E402
from thermowatch.store.status import fleet_status  # noqa: E402
from thermowatch.store.users import create_user  # noqa: E402
from thermowatch.thermal import simulate  # noqa: E402

RESULTS = ROOT / "benchmarks" / "results" / "dashboard_speed.json"
PASSWORD = "benchmark password"
GOALS_MS = {"fleet_served": 200, "fleet_dom": 1000, "downsample": 100, "chart_drawn": 1000}
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--window-size=1600,1000")  # fmt: skip


def month_of_minutes(engine, tid: str, end: datetime) -> None:
    """43,200 one-minute top-oil readings (IEC physics of a daily load cycle) and predictions."""
    n = 43_200
    times = pd.date_range(end=end, periods=n, freq="1min", tz="UTC")
    hours = np.arange(n) / 60.0
    rng = np.random.default_rng(5)
    load = 0.7 + 0.25 * np.sin(2 * np.pi * (hours - 11) / 24) + rng.normal(0, 0.03, n)
    ambient = 15 + 8 * np.sin(2 * np.pi * (hours - 9) / 24)
    oil = np.asarray(simulate(SAMPLE_SPEC, load, ambient, 1.0).top_oil_c) + rng.normal(0, 0.2, n)
    write_readings(engine, pd.DataFrame({
        "transformer_id": tid, "ts": times, "variable": OIL, "value": oil, "quality": 0,
        "source": "benchmark"}))  # fmt: skip
    pred = oil + rng.normal(0, 0.8, n)
    write_predictions(engine, [
        Prediction(tid, t.to_pydatetime(), "benchmark", float(v), float(v) - 2, float(v) + 2)
        for t, v in zip(times, pred, strict=True)
    ])  # fmt: skip
    _ = RATED_CURRENT_A


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def timed(fn, repeat: int) -> list[float]:
    out = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        out.append((time.perf_counter() - start) * 1e3)
    return out


def browser():
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = shutil.which("chromium") or "chromium"
    profile = tempfile.mkdtemp(prefix="tw-bench-")
    for flag in (*FLAGS, f"--user-data-dir={profile}"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(shutil.which("chromedriver")), options=options)
    return driver, profile


def one_run(base: str, engine, cookies: dict, driver, fleet: int) -> dict[str, float]:
    from selenium.webdriver.common.by import By

    client = httpx.Client(base_url=base, cookies=cookies, timeout=30)
    client.get("/")  # warm-up
    page = client.get("/")
    assert page.status_code == 200 and page.text.count('<tr id="tr-') == fleet, "no fleet page"
    served = timed(lambda: client.get("/").raise_for_status(), 20)
    dom = []
    for _ in range(5):
        driver.get(f"{base}/")
        dom.append(driver.execute_script(
            "const t = performance.getEntriesByType('navigation')[0];"
            "return t.domContentLoadedEventEnd - t.startTime;"))  # fmt: skip
    rows = len(driver.find_elements(By.CSS_SELECTOR, "#fleet tbody tr"))
    overview = timed(lambda: fleet_overview(engine), 5)
    crossings = timed(lambda: forecast_crossings(engine), 5)
    status = timed(lambda: fleet_status(engine), 1)
    # the 30-day window: raw arrays as the store returns them
    from thermowatch.store.predictions import predictions_frame
    from thermowatch.store.readings import readings_frame

    end = datetime.now(UTC) + timedelta(seconds=1)
    wide = readings_frame(engine, "TR-0001", end - timedelta(days=30), end, variables=[OIL])
    preds = predictions_frame(engine, "TR-0001", end - timedelta(days=30), end)
    t = wide.index.as_unit("us").asi8 / 1e6
    pt = preds.index.as_unit("us").asi8 / 1e6
    series = {k: preds[k].to_numpy(float) for k in ("value", "lower", "upper")}
    down = timed(lambda: align_minmax(pt, series, 1000), 10)
    down_one = timed(lambda: minmax_indices(t, wide[OIL].to_numpy(float), 1000), 10)
    endpoint = timed(
        lambda: client.get("/transformers/TR-0001/series?window=30d").raise_for_status(), 5
    )
    drawn = []
    for _ in range(3):
        driver.get(f"{base}/transformers/TR-0001?window=30d")
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            value = driver.find_element(By.ID, "chart").get_attribute("data-drawn-ms")
            if value:
                drawn.append(float(value))
                break
            time.sleep(0.02)
    points = int(driver.find_element(By.ID, "chart").get_attribute("data-points"))
    client.close()
    return {
        "fleet_rows": rows, "fleet_served_ms": statistics.median(served),
        "fleet_dom_ms": statistics.median(dom), "fleet_overview_ms": statistics.median(overview),
        "fleet_crossings_ms": statistics.median(crossings),
        "fleet_status_ms": statistics.median(status), "raw_points": int(len(t) + 3 * len(pt)),
        "downsample_3x43200_ms": statistics.median(down),
        "downsample_1x43200_ms": statistics.median(down_one),
        "series_30d_endpoint_ms": statistics.median(endpoint),
        "chart_drawn_ms": statistics.median(drawn), "chart_points": points,
    }  # fmt: skip


def cpu_seconds(pid: int) -> float:
    """User + system CPU time [s] of a process and its children (from /proc)."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    pids = [pid] + [
        int(p.name) for p in Path("/proc").iterdir()
        if p.name.isdigit() and _ppid(p) == pid
    ]  # fmt: skip
    for one in pids:
        try:
            fields = (Path("/proc") / str(one) / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / tick
    return total


def _ppid(proc: Path) -> int:
    try:
        return int((proc / "stat").read_text().rsplit(")", 1)[1].split()[1])
    except (OSError, ValueError, IndexError):
        return -1


async def live_run(base: str, engine, cookies: dict, pid: int, ids: list[str], seconds: float):
    """Open 50 event streams, feed the store for ``seconds`` s, measure delays and CPU."""
    from thermowatch.ingest.simulator import FIELDS
    from thermowatch.store.alerts import raise_alert

    raised: dict[int, float] = {}
    alert_delays: list[float] = []
    reading_delays: list[float] = []
    watched = ids[:25]
    ready = 0

    async def stream(path: str) -> None:
        nonlocal ready
        headers = {"Accept": "text/event-stream"}
        async with (
            httpx.AsyncClient(base_url=base, cookies=cookies, timeout=None) as client,
            client.stream("GET", path, headers=headers) as r,
        ):
            assert r.status_code == 200, path
            ready += 1
            kind = None
            async for line in r.aiter_lines():
                if line.startswith("event: "):
                    kind = line[7:]
                elif line.startswith("data: "):
                    now = time.time()
                    data = json.loads(line[6:])
                    if kind == "alert" and data["id"] in raised:
                        alert_delays.append((now - raised[data["id"]]) * 1e3)
                    elif kind == "reading" and data.get("measured") is not None:
                        reading_delays.append((now - data["t"]) * 1e3)

    names = {key: var for var, key in FIELDS.items()}
    paths = ["/events"] * 25 + [f"/events?transformer={tid}" for tid in watched]
    tasks = [asyncio.create_task(stream(p)) for p in paths]
    while ready < len(paths):
        await asyncio.sleep(0.05)
    await asyncio.sleep(1.0)  # the poller has taken its starting marks
    per_second = len(ids) / 60.0
    cpu0, wall0 = cpu_seconds(pid), time.monotonic()
    sent = 0.0
    next_alert = 0.0
    rng = np.random.default_rng(1)
    while (elapsed := time.monotonic() - wall0) < seconds:
        due = int(elapsed * per_second) + 1 - int(sent)
        if due > 0:
            batch = [ids[int(sent + k) % len(ids)] for k in range(due)]
            sent += due
            now = datetime.now(UTC)
            frame = pd.DataFrame([
                {"transformer_id": tid, "ts": now, "variable": names[key],
                 "value": float(40 + 10 * rng.random()), "quality": 0, "source": "bench"}
                for tid in batch for key in names
            ])  # fmt: skip
            await asyncio.to_thread(write_readings, engine, frame)
        if elapsed >= next_alert:
            tid = ids[int(rng.integers(len(ids)))]
            at = time.time()
            aid = await asyncio.to_thread(
                raise_alert, engine, tid, "benchmark", "ALERTE", f"{tid}: benchmark alert"
            )
            raised[aid] = at
            next_alert += 3.0
        await asyncio.sleep(0.05)
    window = time.monotonic() - wall0
    cpu = (cpu_seconds(pid) - cpu0) / window * 100
    await asyncio.sleep(2.5)  # let the last events arrive
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    expected_alerts = len(raised) * len(paths)
    return {
        "streams": len(paths), "alerts_raised": len(raised),
        "alert_deliveries": len(alert_delays), "alert_deliveries_expected": expected_alerts,
        "alert_delay_median_ms": statistics.median(alert_delays) if alert_delays else None,
        "alert_delay_max_ms": max(alert_delays) if alert_delays else None,
        "reading_deliveries": len(reading_delays),
        "reading_delay_median_ms": statistics.median(reading_delays) if reading_delays else None,
        "reading_delay_max_ms": max(reading_delays) if reading_delays else None,
        "service_cpu_pct_of_one_core": cpu, "readings_written": int(sent) * len(names),
    }  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--fleet", type=int, default=1000)
    parser.add_argument("--live-s", type=float, default=30.0, help="live window per run [s]")
    args = parser.parse_args()
    console = Console()
    work = Path(tempfile.mkdtemp(prefix="tw-dash-bench-"))
    url = f"sqlite:///{work / 'tw.db'}"
    engine = make_engine(url)
    upgrade(engine)
    console.print(f"seeding {args.fleet} transformers and a 30-day minute series …")
    ids = seed_fleet(engine, args.fleet, hours=2, step_min=10, hot=max(1, args.fleet // 50),
                     stale=max(1, args.fleet // 100))  # fmt: skip
    month_of_minutes(engine, "TR-0001", datetime.now(UTC))
    create_user(engine, "bench", PASSWORD, "reader")
    port = free_port()
    env = os.environ | {"PYTHONPATH": str(ROOT / "src"), "THERMOWATCH_JWT_SECRET": "b" * 40}
    proc = subprocess.Popen(
        [sys.executable, "-m", "thermowatch", "serve", "--port", str(port), "--database-url",
         url, "--log-level", "warning"], env=env,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    driver, profile = browser()
    try:
        for _ in range(300):
            try:
                if httpx.get(f"{base}/login", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        login = httpx.Client(base_url=base)
        import re

        token = re.search(r'name="csrf" value="([^"]+)"', login.get("/login").text).group(1)
        login.post("/login", data={"csrf": token, "name": "bench", "password": PASSWORD})
        cookies = dict(login.cookies)
        driver.get(f"{base}/login")
        for name, value in cookies.items():
            driver.add_cookie({"name": name, "value": value, "path": "/"})
        runs = [
            one_run(base, engine, cookies, driver, args.fleet)
            for _ in track(range(args.runs), "runs")
        ]
        live = [
            asyncio.run(live_run(base, engine, cookies, proc.pid, ids, args.live_s))
            for _ in track(range(args.runs), "live")
        ]
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)
        proc.terminate()
        proc.wait(timeout=20)
    load = os.getloadavg()  # the machine is shared: say how busy it was
    keys = [k for k in runs[0] if k.endswith("_ms")]
    summary = {k: {"min": min(r[k] for r in runs), "median": statistics.median(r[k] for r in runs)}
               for k in keys}  # fmt: skip
    ratio = [r["fleet_status_ms"] / r["fleet_overview_ms"] for r in runs]
    table = Table(title=f"dashboard speed — {args.runs} runs, {runs[0]['fleet_rows']} transformers")
    for col in ("measure", "min [ms]", "median [ms]", "goal [ms]"):
        table.add_column(col, justify="right" if col != "measure" else "left")
    goals = {"fleet_served_ms": 200, "fleet_dom_ms": 1000, "downsample_3x43200_ms": 100,
             "chart_drawn_ms": 1000}  # fmt: skip
    for k in keys:
        table.add_row(k, f"{summary[k]['min']:.1f}", f"{summary[k]['median']:.1f}",
                      str(goals.get(k, "")))  # fmt: skip
    console.print(table)
    console.print(
        f"fleet_status / fleet_overview (same run, same store): "
        f"min {min(ratio):.1f}x, median {statistics.median(ratio):.1f}x; "
        f"chart: {runs[0]['raw_points']} raw points -> {runs[0]['chart_points']} drawn"
    )
    live_table = Table(title=f"live updates — 50 streams, {args.fleet} transformers every 60 s")
    for col in ("measure", "min", "median", "goal"):
        live_table.add_column(col, justify="right" if col != "measure" else "left")
    for k, goal in (("alert_delay_median_ms", ""), ("alert_delay_max_ms", "2000"),
                    ("reading_delay_median_ms", ""), ("reading_delay_max_ms", "2000"),
                    ("service_cpu_pct_of_one_core", "50")):  # fmt: skip
        values = [r[k] for r in live if r[k] is not None]
        if values:
            live_table.add_row(k, f"{min(values):.0f}", f"{statistics.median(values):.0f}", goal)
    console.print(live_table)
    console.print(
        f"load average (1, 5, 15 min) at the end: {load[0]:.1f}, {load[1]:.1f}, "
        f"{load[2]:.1f} on {os.cpu_count()} cores"
    )
    console.print(
        "alert deliveries: "
        + ", ".join(f"{r['alert_deliveries']}/{r['alert_deliveries_expected']}" for r in live)
        + "; reading deliveries: "
        + ", ".join(str(r["reading_deliveries"]) for r in live)
    )
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps({
        "when": datetime.now(UTC).isoformat(), "machine": platform.platform(),
        "cpus": os.cpu_count(), "fleet": args.fleet, "runs": runs, "summary": summary,
        "ratio_status_over_overview": {"min": min(ratio), "median": statistics.median(ratio)},
        "goals_ms": GOALS_MS, "live": live,
        "load_average": load,
    }, indent=2))  # fmt: skip
    console.print(f"written {RESULTS.relative_to(ROOT)}")
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
