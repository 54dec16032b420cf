"""``thermowatch apikey`` and ``thermowatch serve`` as a user runs them (real processes)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

from tests.integration.service.conftest import SECRET, reading

REPO_SRC = str(Path(__file__).resolve().parents[3] / "src")


def run_cli(*args, env=None):
    # The sub-commands are typer apps of their own until they are registered in cli/__init__.py.
    code = (
        "import sys, typer; from thermowatch.cli import apikey, serve; "
        "app = typer.Typer(); app.add_typer(apikey.app, name='apikey'); app.command('serve')(serve.serve); "
        "app(sys.argv[1:])"
    )
    full_env = os.environ | {"PYTHONPATH": REPO_SRC} | (env or {})
    return subprocess.run(
        [sys.executable, "-c", code, *args],
        capture_output=True,
        text=True,
        env=full_env,
        timeout=60,
    )


def test_apikey_create_list_revoke(tmp_path):
    from thermowatch.store.engine import make_engine
    from thermowatch.store.migrate import upgrade

    url = f"sqlite:///{tmp_path / 'k.db'}"
    upgrade(make_engine(url))
    created = run_cli(
        "apikey", "create", "--role", "operator", "--name", "scada", "--database-url", url
    )
    assert created.returncode == 0, created.stderr
    key = created.stdout.strip()
    assert key.startswith("tw_") and "shown again" in created.stderr
    key_id = key.split("_")[1]
    listed = run_cli("apikey", "list", "--database-url", url).stdout
    assert key_id in listed and "operator" in listed and key not in listed
    assert run_cli("apikey", "revoke", key_id, "--database-url", url).returncode == 0
    line = next(
        x
        for x in run_cli("apikey", "list", "--database-url", url).stdout.splitlines()
        if key_id in x
    )
    assert "revoked=-" not in line


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_serve_two_workers_answers_predict(tmp_path, model_dir):
    from thermowatch.service.apikeys import create_key
    from thermowatch.store.engine import make_engine
    from thermowatch.store.migrate import upgrade

    url = f"sqlite:///{tmp_path / 's.db'}"
    engine = make_engine(url)
    upgrade(engine)
    _, key = create_key(engine, "reader")
    port = free_port()
    env = os.environ | {"PYTHONPATH": REPO_SRC, "THERMOWATCH_JWT_SECRET": SECRET}
    code = "import sys, typer; from thermowatch.cli import serve; typer.run(serve.serve)"
    proc = subprocess.Popen(
        [sys.executable, "-c", code, "--port", str(port), "--workers", "2", "--model", str(model_dir), "--database-url", url, "--log-level", "warning"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 90  # two workers start slowly on a loaded machine
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        r = httpx.post(
            f"http://127.0.0.1:{port}/predict",
            json=reading(),
            headers={"X-API-Key": key},
            timeout=30,  # a worker's first answer on a loaded machine; not a speed check
        )
        assert r.status_code == 200 and r.json()["niveau_alerte"] in (
            "NORMAL",
            "ALERTE",
            "CRITIQUE",
        )
        assert (
            httpx.post(f"http://127.0.0.1:{port}/predict", json=reading(), timeout=30).status_code
            == 401
        )
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def test_serve_refuses_default_secret_and_tampered_model(tmp_path, model_dir):
    env = {k: v for k, v in os.environ.items() if not k.startswith("THERMOWATCH_")}
    r = run_cli(
        "serve",
        "--model",
        str(model_dir),
        "--database-url",
        f"sqlite:///{tmp_path / 'x.db'}",
        # No secret at all now gets a random laptop one (tests/unit/cli); a weak secret that is
        # set explicitly is still refused in production.
        env=env
        | {"THERMOWATCH_ENV": "production", "THERMOWATCH_JWT_SECRET": "change-me-development-only"},
    )
    assert r.returncode != 0 and "THERMOWATCH_JWT_SECRET" in (r.stderr + str(r.stdout))
