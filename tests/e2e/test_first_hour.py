"""The README's first hour, run as written: sample -> train (registered) -> serve -> predict ->
simulated field + monitor -> status. Bounded: about a minute, four at most."""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

README = Path(__file__).resolve().parents[2] / "README.md"
BLOCK = re.compile(
    r"<!-- first-hour:start.*?-->\s*```bash\n(.*?)```\s*<!-- first-hour:end -->", re.S
)


def first_hour_script() -> str:
    match = BLOCK.search(README.read_text(encoding="utf-8"))
    assert match, "README.md has no first-hour block"
    return match.group(1)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def walk(tmp_path):
    """A clean folder with the project's .venv, its own data directory, free ports."""
    (tmp_path / ".venv").symlink_to(Path(sys.prefix))
    script = first_hour_script()
    # The only change to the README's text: the two ports, so that parallel runs never collide.
    ports = {"8000": str(free_port()), "4840": str(free_port())}
    for default, port in ports.items():
        assert f"--port {default}" in script
        script = script.replace(f"--port {default}", f"--port {port}")
        script = script.replace(f"127.0.0.1:{default}/", f"127.0.0.1:{port}/")
    env = {k: v for k, v in os.environ.items() if not k.startswith("THERMOWATCH_")}
    env["THERMOWATCH_HOME"] = str(tmp_path / "home")
    return tmp_path, "set -euo pipefail\n" + script, env


def test_readme_first_hour_runs_as_written(walk):
    folder, script, env = walk
    process = subprocess.Popen(
        ["bash", "-c", script], cwd=folder, env=env, text=True,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True,
    )  # fmt: skip
    try:
        out, err = process.communicate(timeout=240)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
        else:  # a step that failed leaves its background jobs behind: end the group
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)
    assert process.returncode == 0, f"stdout:\n{out[-3000:]}\nstderr:\n{err[-3000:]}"

    # The prediction was served by the model that train registered.
    (model_dir,) = (folder / "resultats" / "model").iterdir()
    answer = json.loads(next(line for line in out.splitlines() if "temperature_predite" in line))
    assert answer["model_id"] == model_dir.name and answer["transformer_id"] == "TR-0001"
    assert 20 < answer["temperature_predite"] < 150
    assert (folder / "home" / "jwt_secret").stat().st_mode & 0o777 == 0o600
    assert (folder / "resultats" / "report.html").stat().st_size > 50_000

    # The monitored transformer shows in the README's `status` (taken while the monitor ran)
    # with a measured and a predicted temperature [°C]: two numbers with one decimal.
    row = next(line for line in out.splitlines() if "TR-0001" in line and "{" not in line)
    numbers = [float(x) for x in re.findall(r"\b\d+\.\d\b", row)]
    assert len(numbers) >= 2 and all(10 < x < 150 for x in numbers[:2]), row
    # The store kept the readings (after the monitor stopped, status still lists them).
    status = subprocess.run(
        [str(folder / ".venv" / "bin" / "thermowatch"), "status", "--json"],
        cwd=folder, env=env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    (tr,) = [s for s in json.loads(status.stdout) if s["transformer_id"] == "TR-0001"]
    assert tr["last_reading_at"] is not None
    # Nothing was written inside the folder but what the README names.
    assert not (folder / "spool").exists() and not (folder / "thermowatch.db").exists()

    # Step 6: the account the README made signs in, and the fleet page lists TR-0001.
    password = re.search(r"user create operator .*<<< '([^']+)'", script).group(1)
    assert_dashboard_signs_in(folder, env, "operator", password)


def assert_dashboard_signs_in(folder: Path, env: dict, name: str, password: str) -> None:
    """Start the service as the README does, sign in through the form (CSRF cookie and token)
    and read the fleet page: the monitored transformer is listed with its level."""
    port = free_port()
    server = subprocess.Popen(
        [str(folder / ".venv" / "bin" / "thermowatch"), "serve", "--port", str(port)],
        cwd=folder, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        with httpx.Client(base_url=base, timeout=10) as client:
            for _ in range(120):  # the service is up within seconds
                try:
                    form = client.get("/login")
                    break
                except httpx.TransportError:
                    time.sleep(0.5)
            else:
                raise AssertionError(f"serve did not start: {server.stderr}")
            token = re.search(r'name="csrf" value="([^"]+)"', form.text).group(1)
            signed = client.post("/login", data={"name": name, "password": password,
                                                 "csrf": token, "next": "/"})  # fmt: skip
            assert signed.status_code == 303, signed.text[-500:]
            fleet = client.get("/")
            assert fleet.status_code == 200 and "TR-0001" in fleet.text
        # Without the session the same page is not shown (sign-in first).
        anonymous = httpx.get(f"{base}/", timeout=10)
        assert anonymous.status_code in (303, 401) and "TR-0001" not in anonymous.text
    finally:
        server.terminate()
        server.wait(timeout=30)
