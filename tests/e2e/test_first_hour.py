"""The README's first hour, run as written: sample -> train (registered) -> serve -> predict ->
simulated field + monitor -> status -> an overload e-mailed to a local SMTP sink (aiosmtpd).
Bounded: about one minute on an idle machine (training is a quarter of it), seven at
most on a loaded one. Afterwards the overload's CRITIQUE is what the fleet
row, ``status --json`` and ``/v1/transformers/{id}`` say, and the e-mail's level is the level of
the value it quotes."""

from __future__ import annotations

import contextlib
import email
import email.policy
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

from thermowatch.learn.levels import level_of

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
    # The only change to the README's text: the ports, so that parallel runs never collide.
    ports = {"8000": str(free_port()), "4840": str(free_port()), "4841": str(free_port())}
    for default, port in ports.items():
        assert f"--port {default}" in script
        script = script.replace(f"--port {default}", f"--port {port}")
        script = script.replace(f"127.0.0.1:{default}/", f"127.0.0.1:{port}/")
    smtp = str(free_port())  # the mail sink listens where alerts.toml sends
    assert "-l 127.0.0.1:8025" in script and "port = 8025" in script
    script = script.replace("-l 127.0.0.1:8025", f"-l 127.0.0.1:{smtp}")
    script = script.replace("port = 8025", f"port = {smtp}")
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
        out, err = process.communicate(timeout=420)
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

    # The monitored transformer shows in the README's last `status` (taken while the overload's
    # monitor ran; on a loaded machine the first may come before any reading) with a measured
    # and a predicted temperature [°C]: two numbers with one decimal.
    rows = [line for line in out.splitlines() if "TR-0001" in line and "│" in line]
    row = rows[-1]
    numbers = [float(x) for x in re.findall(r"\b\d+\.\d\b", row)]
    assert len(numbers) >= 2 and all(10 < x < 150 for x in numbers[:2]), row
    # The store kept the readings (after the monitor stopped, status still lists them).
    status = subprocess.run(
        [str(folder / ".venv" / "bin" / "thermowatch"), "status", "--json"],
        cwd=folder, env=env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    (tr,) = [s for s in json.loads(status.stdout) if s["transformer_id"] == "TR-0001"]
    assert tr["last_reading_at"] is not None
    # Step 7: the overload ended CRITIQUE, measured, against the thresholds of overload.toml.
    critique = tr["thresholds"]["critique_c"]
    measured = (tr["level"], tr["measured_level"], tr["level_source"])
    assert measured == ("CRITIQUE", "CRITIQUE", "measured"), tr
    # ... and the sink received the CRITIQUE e-mail, whose level is the level of its value.
    quoted = critique_mails(folder / "mailbox.txt")
    assert quoted, (folder / "mailbox.txt").read_text()[-3000:]
    th = (tr["thresholds"]["alerte_c"], critique)
    assert all(level_of(v, *th).name == "CRITIQUE" and v > critique for v in quoted), quoted
    # Nothing was written inside the folder but what the README names.
    assert not (folder / "spool").exists() and not (folder / "thermowatch.db").exists()

    # Step 6: the account the README made signs in, and the fleet page lists TR-0001.
    password = re.search(r"user create operator .*<<< '([^']+)'", script).group(1)
    assert_dashboard_signs_in(folder, env, "operator", password, level="CRITIQUE")


def critique_mails(mailbox: Path) -> list[float]:
    """The measured temperatures [°C] quoted by the CRITIQUE e-mails of TR-0001 that the sink
    printed (aiosmtpd's Debugging handler: one message between two marker lines)."""
    text = mailbox.read_text(encoding="utf-8")
    chunks = re.findall(r"-+ MESSAGE FOLLOWS -+\n(.*?)\n-+ END MESSAGE -+", text, re.S)
    values = []
    for chunk in chunks:
        subject = str(email.message_from_string(chunk, policy=email.policy.default)["Subject"])
        if subject.startswith("[thermowatch] CRITIQUE TR-0001") and "prévue" not in subject:
            value = re.search(r"(\d+(?:,\d+)?) °C", subject)
            if value:
                values.append(float(value.group(1).replace(",", ".")))
    return values


def apikey(folder: Path, env: dict) -> str:
    made = subprocess.run(
        [str(folder / ".venv" / "bin" / "thermowatch"), "apikey", "create", "--role", "reader"],
        cwd=folder, env=env, capture_output=True, text=True, timeout=60, check=True,
    )  # fmt: skip
    return made.stdout.strip().splitlines()[-1]


def assert_dashboard_signs_in(
    folder: Path, env: dict, name: str, password: str, level: str
) -> None:
    """Start the service as the README does, sign in through the form (CSRF cookie and token)
    and read the fleet page: the monitored transformer is listed with ``level``, which is also
    what ``/v1/transformers/{id}`` answers."""
    key = apikey(folder, env)
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
            row = re.search(r'id="tr-TR-0001"[^>]*data-level="(\w+)"', fleet.text)
            assert row and row.group(1) == level, fleet.text[-2000:]
            api = client.get("/v1/transformers/TR-0001", headers={"X-API-Key": key}).json()
            assert (api["niveau"], api["niveau_source"]) == (level, "measured"), api
        # Without the session the same page is not shown (sign-in first).
        anonymous = httpx.get(f"{base}/", timeout=10)
        assert anonymous.status_code in (303, 401) and "TR-0001" not in anonymous.text
    finally:
        server.terminate()
        server.wait(timeout=30)
