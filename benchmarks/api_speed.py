"""Throughput and latency of ``POST /predict``: the original Flask service vs ``thermowatch serve``.

Both run with 2 worker processes on loopback and face the same load generator at the same
concurrency (wrk with a Lua POST script when installed, else an async httpx client). Both are
up for the whole run and loaded in turns (``--rounds`` rounds of original then thermowatch),
so that a change of load on a shared machine falls on both; each round gives its own ratio:

* **original**: recreated from its description — Flask under gunicorn (2 sync workers), a
  pandas DataFrame built per request, a joblib-pickled StandardScaler + LinearRegression
  trained on the same variables, exception text as the error;
* **thermowatch**: ``thermowatch serve --workers 2`` (uvicorn), API-key authentication,
  audit queue and Prometheus metrics on, SQLite store.

Then the batch path: a 100,000-row CSV upload scored server-side (``score_ms`` and
``parse_ms`` reported apart). Goals (issue 5): ≥ 10× the original throughput, p99 ≤ 10 ms,
≥ 1,000,000 rows/s batch scoring. Writes benchmarks/results/api_speed.json.

Run:  python benchmarks/api_speed.py [--seconds 10] [--connections 16] [--rounds 3]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

from thermowatch.service.routes.predict import READING_EXAMPLE

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results" / "api_speed.json"
SRC = ROOT / "src"
BIN = Path(sys.executable).parent
sys.path.insert(0, str(SRC))  # this checkout, not whatever thermowatch the venv installed

FLASK_APP = """
import joblib, pandas as pd
from flask import Flask, jsonify, request
from datetime import datetime
app = Flask(__name__)
scaler = joblib.load("scaler.pkl")
model = joblib.load("model.pkl")
VARIABLES = joblib.load("variables.pkl")
ALERTE, CRITIQUE = joblib.load("thresholds.pkl")

@app.route("/predict", methods=["POST"])
def predict():
    try:
        data = request.get_json()
        df = pd.DataFrame([data])[VARIABLES]
        t = float(model.predict(scaler.transform(df))[0])
        niveau = "CRITIQUE" if t >= CRITIQUE else "ALERTE" if t >= ALERTE else "NORMAL"
        return jsonify({"temperature_predite": t, "niveau_alerte": niveau,
                        "timestamp": datetime.now().isoformat()})
    except Exception as e:
        return jsonify({"erreur": str(e)}), 400
"""

READING = READING_EXAMPLE  # the reading /predict documents


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_up(url: str, timeout: float = 180.0) -> None:
    import httpx

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            httpx.get(url, timeout=1)
            return
        except httpx.HTTPError:
            time.sleep(0.2)
    raise SystemExit(f"server at {url} did not start")


def prepare(tmp: Path) -> tuple[Path, Path]:
    """Train the thermowatch model and the original's pickles on the same simulated data."""
    import joblib
    from sklearn.linear_model import LinearRegression
    from sklearn.preprocessing import StandardScaler

    from thermowatch.data import load_measurements
    from thermowatch.data.simulator import RATED_CURRENT_A, simulate_sample, write_sample
    from thermowatch.learn.artifact import save_model
    from thermowatch.learn.train import TrainOptions, train

    data = tmp / "sample.csv"
    write_sample(simulate_sample(days=20), str(data))
    measurements = load_measurements(data)
    result, fitted = train(
        measurements, TrainOptions(rated_current_a=RATED_CURRENT_A, nonlinear=False)
    )
    model_dir = save_model(result, fitted, tmp / "model")
    frame = measurements.frame
    variables = list(fitted.feature_spec.inputs)
    flask_dir = tmp / "flask"
    flask_dir.mkdir()
    scaler = StandardScaler().fit(frame[variables])
    reg = LinearRegression().fit(scaler.transform(frame[variables]), frame[measurements.target])
    joblib.dump(scaler, flask_dir / "scaler.pkl")
    joblib.dump(reg, flask_dir / "model.pkl")
    joblib.dump(variables, flask_dir / "variables.pkl")
    joblib.dump(
        (result.thresholds.alerte_c, result.thresholds.critique_c), flask_dir / "thresholds.pkl"
    )
    (flask_dir / "app.py").write_text(FLASK_APP)
    return model_dir, flask_dir


def run_wrk(url: str, headers: dict[str, str], seconds: int, connections: int) -> dict:
    body = json.dumps(READING)
    lua = "wrk.method = 'POST'\nwrk.body = [[" + body + "]]\n"
    lua += "wrk.headers['Content-Type'] = 'application/json'\n"
    for k, v in headers.items():
        lua += f"wrk.headers['{k}'] = '{v}'\n"
    lua += (
        "done = function(summary, latency, requests)\n"
        '  io.write(string.format(\'JSON {"requests": %d, "seconds": %f, "p50_ms": %f, "p99_ms": %f, '
        '"errors": %d, "non2xx": %d}\\n\', summary.requests, summary.duration / 1e6, '
        "latency:percentile(50) / 1000, latency:percentile(99) / 1000, "
        "summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout, "
        "summary.errors.status))\nend\n"
    )
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as f:
        f.write(lua)
    out = subprocess.run(
        ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "-s", f.name, url],
        capture_output=True, text=True, timeout=seconds + 60,
    )  # fmt: skip
    Path(f.name).unlink()
    line = next(x for x in out.stdout.splitlines() if x.startswith("JSON "))
    stats = json.loads(line[5:])
    stats["rps"] = stats["requests"] / stats["seconds"]
    stats["tool"] = "wrk"
    return stats


def run_httpx(url: str, headers: dict[str, str], seconds: int, connections: int) -> dict:
    import httpx
    import numpy as np

    latencies: list[float] = []
    errors = 0

    async def worker(client: httpx.AsyncClient, stop: float) -> None:
        nonlocal errors
        while time.perf_counter() < stop:
            t = time.perf_counter()
            r = await client.post(url, json=READING, headers=headers)
            latencies.append(time.perf_counter() - t)
            errors += r.status_code != 200

    async def main() -> float:
        limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
        async with httpx.AsyncClient(limits=limits, timeout=10) as client:
            start = time.perf_counter()
            stop = start + seconds
            await asyncio.gather(*(worker(client, stop) for _ in range(connections)))
            return time.perf_counter() - start

    elapsed = asyncio.run(main())
    lat = np.array(latencies) * 1e3
    return {
        "requests": len(lat), "seconds": elapsed, "rps": len(lat) / elapsed,
        "p50_ms": float(np.percentile(lat, 50)), "p99_ms": float(np.percentile(lat, 99)),
        "errors": 0, "non2xx": errors, "tool": "httpx",
    }  # fmt: skip


def _process_tree(pid: int) -> list[int]:
    """``pid`` and its descendants (Linux /proc)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(entry.name))
    tree, todo = [], [pid]
    while todo:
        p = todo.pop()
        tree.append(p)
        todo.extend(children.get(p, []))
    return tree


def _cpu_seconds(pids: list[int]) -> float:
    """User + system CPU time [s] the processes have used (Linux /proc)."""
    ticks = 0
    for p in pids:
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
            ticks += int(fields[11]) + int(fields[12])
        except (OSError, IndexError, ValueError):
            pass
    return ticks / os.sysconf("SC_CLK_TCK")


def load(
    url: str, headers: dict[str, str], seconds: int, connections: int, server: int | None = None
) -> dict:
    """Check one answer, warm up for 2 s, then load ``url`` for ``seconds``.

    With the ``server`` process id, also the CPU time its process tree spent per request
    [µs]: unlike req/s, it hardly depends on what else the machine is running.
    """
    import httpx

    r = httpx.post(url, json=READING, headers=headers, timeout=10)
    if r.status_code != 200 or "temperature_predite" not in r.json():
        raise SystemExit(f"{url} answered {r.status_code}: {r.text[:200]}")
    runner = run_wrk if shutil.which("wrk") else run_httpx
    runner(url, headers, 2, connections)  # warm-up
    pids = _process_tree(server) if server is not None and Path("/proc").is_dir() else []
    before = _cpu_seconds(pids)
    stats = runner(url, headers, seconds, connections)
    if pids:
        stats["cpu_us_per_request"] = (_cpu_seconds(pids) - before) / stats["requests"] * 1e6
    return stats


def summarise(rounds: list[dict]) -> dict:
    """One service's rounds: req/s over all of them, median p50, worst p99."""
    import numpy as np

    requests = sum(r["requests"] for r in rounds)
    seconds = sum(r["seconds"] for r in rounds)
    cpu = [r["cpu_us_per_request"] for r in rounds if "cpu_us_per_request" in r]
    return {
        "requests": requests, "seconds": seconds, "rps": requests / seconds,
        "p50_ms": float(np.median([r["p50_ms"] for r in rounds])),
        "p99_ms": max(r["p99_ms"] for r in rounds),
        "errors": sum(r["errors"] for r in rounds), "non2xx": sum(r["non2xx"] for r in rounds),
        "tool": rounds[0]["tool"], "rounds": rounds,
        "cpu_us_per_request": float(np.median(cpu)) if cpu else None,
    }  # fmt: skip


def start(cmd: list[str], cwd: Path, env: dict[str, str]) -> subprocess.Popen:
    return subprocess.Popen(
        cmd, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )


def stop(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()


def batch(url: str, headers: dict[str, str], rows: int = 100_000) -> dict:
    import httpx
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(0)
    frame = pd.DataFrame({k: v * rng.uniform(0.5, 1.5, rows) for k, v in READING.items()})
    frame["timestamp"] = pd.date_range("2026-01-01", periods=rows, freq="1min", tz="UTC").strftime(
        "%Y-%m-%dT%H:%M:%SZ"
    )
    body = frame.to_csv(index=False).encode()
    best = None
    for _ in range(6):  # best of 6: both workers warmed up, the first call pays numpy's set-up
        t = time.perf_counter()
        r = httpx.post(
            url, content=body, headers=headers | {"Content-Type": "text/csv"}, timeout=120
        )
        wall = time.perf_counter() - t
        doc = r.json()
        if r.status_code != 200:
            raise SystemExit(f"batch answered {r.status_code}: {doc}")
        if best is None or doc["score_ms"] < best["score_ms"]:
            best = {
                "rows": doc["rows"],
                "score_ms": doc["score_ms"],
                "parse_ms": doc["parse_ms"],
                "wall_ms": wall * 1e3,
                "upload_mb": len(body) / 1e6,
            }
    best["rows_per_s"] = best["rows"] / (best["score_ms"] / 1e3)
    return best


def main() -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--rounds", type=int, default=3, help="turns of each service")
    args = parser.parse_args()
    console = Console()
    env = os.environ | {"PYTHONPATH": str(SRC)}
    results: dict = {
        "connections": args.connections,
        "seconds": args.seconds,
        "cores": os.cpu_count(),
        "rounds": args.rounds,
        "load_average_before": os.getloadavg(),
    }
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        console.print("training the models…")
        model_dir, flask_dir = prepare(tmp)

        flask_port = free_port()
        flask = start(
            [str(BIN / "gunicorn"), "-w", "2", "-b", f"127.0.0.1:{flask_port}", "app:app"],
            flask_dir,
            env,
        )

        from thermowatch.service.apikeys import create_key
        from thermowatch.store.engine import make_engine
        from thermowatch.store.migrate import upgrade

        db_url = f"sqlite:///{tmp / 'tw.db'}"
        engine = make_engine(db_url)
        upgrade(engine)
        _, key = create_key(engine, "reader", "benchmark")
        port = free_port()
        tw_env = env | {
            "THERMOWATCH_JWT_SECRET": "b" * 40,
            "THERMOWATCH_RATE_LIMIT_PER_S": "1000000",
            "THERMOWATCH_RATE_BURST": "1000000",
            "THERMOWATCH_MAX_UPLOAD_BYTES": str(500 * 1024 * 1024),
        }
        code = "import typer; from thermowatch.cli import serve; typer.run(serve.serve)"
        cmd = [sys.executable, "-c", code, "--port", str(port), "--workers", "2", "--model", str(model_dir),
               "--database-url", db_url, "--log-level", "warning"]  # fmt: skip
        proc = start(cmd, tmp, tw_env)
        headers = {"X-API-Key": key}
        try:
            wait_up(f"http://127.0.0.1:{flask_port}/")
            wait_up(f"http://127.0.0.1:{port}/health")
            rounds: dict[str, list[dict]] = {"original": [], "thermowatch": []}
            for i in range(args.rounds):  # in turns: both see the same machine
                console.print(f"round {i + 1}/{args.rounds}: original Flask service…")
                rounds["original"].append(
                    load(
                        f"http://127.0.0.1:{flask_port}/predict",
                        {},
                        args.seconds,
                        args.connections,
                        flask.pid,
                    )
                )
                console.print(f"round {i + 1}/{args.rounds}: thermowatch serve…")
                rounds["thermowatch"].append(
                    load(
                        f"http://127.0.0.1:{port}/predict",
                        headers,
                        args.seconds,
                        args.connections,
                        proc.pid,
                    )
                )
            results["original"] = summarise(rounds["original"])
            results["thermowatch"] = summarise(rounds["thermowatch"])
            results["ratio_per_round"] = [
                t["rps"] / o["rps"]
                for o, t in zip(rounds["original"], rounds["thermowatch"], strict=True)
            ]
            console.print("batch scoring…")
            results["batch"] = batch(f"http://127.0.0.1:{port}/v1/predict/batch", headers)
        finally:
            stop(flask)
            stop(proc)
        from thermowatch.store.audit import entries

        results["thermowatch"]["audited"] = len(entries(engine, action="predict", limit=10_000_000))
    o, t = results["original"], results["thermowatch"]
    results["ratio_rps"] = t["rps"] / o["rps"]
    results["load_average_after"] = os.getloadavg()
    if o.get("cpu_us_per_request") and t.get("cpu_us_per_request"):
        results["ratio_cpu_per_request"] = o["cpu_us_per_request"] / t["cpu_us_per_request"]
    results["goals"] = {
        "ratio_ge_10": results["ratio_rps"] >= 10,
        "p99_le_10ms": t["p99_ms"] <= 10,
        "batch_ge_1M_rows_per_s": results["batch"]["rows_per_s"] >= 1e6,
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=2))

    table = Table(
        title=f"POST /predict, {args.connections} connections, {o['tool']}, {os.cpu_count()} cores, "
        f"{args.rounds} rounds × {args.seconds} s each"
    )
    for col in ("service", "req/s", "p50 [ms]", "p99 [ms]", "server CPU [µs/req]", "non-2xx"):
        table.add_column(col, justify="right" if col != "service" else "left")
    for name, r in (
        ("original (Flask, gunicorn ×2)", o),
        ("thermowatch serve ×2 (auth+audit)", t),
    ):
        cpu = r.get("cpu_us_per_request")
        table.add_row(
            name,
            f"{r['rps']:,.0f}",
            f"{r['p50_ms']:.2f}",
            f"{r['p99_ms']:.2f}",
            "—" if cpu is None else f"{cpu:,.0f}",
            str(r["non2xx"]),
        )
    console.print(table)
    b = results["batch"]
    per_round = ", ".join(f"{r:.1f}×" for r in results["ratio_per_round"])
    load_avg = f"{results['load_average_before'][0]:.2f} → {results['load_average_after'][0]:.2f}"
    cpu_ratio = results.get("ratio_cpu_per_request")
    cpu_text = f", {cpu_ratio:.1f}× less server CPU per request" if cpu_ratio else ""
    console.print(
        f"ratio {results['ratio_rps']:.1f}× (per round: {per_round}){cpu_text}; load average "
        f"{load_avg}; audited {t['audited']:,} predictions. Batch {b['rows']:,} rows: "
        f"score {b['score_ms']:.1f} ms ({b['rows_per_s']:,.0f} rows/s), parse {b['parse_ms']:.1f} ms, "
        f"wall {b['wall_ms']:.0f} ms for {b['upload_mb']:.1f} MB"
    )
    console.print(f"goals: {results['goals']}")
    return results


if __name__ == "__main__":
    main()
