"""A real ``thermowatch serve --workers 2`` per test module, as an attacker would meet it.

The service runs in production mode (a real JWT secret, SQLite store migrated beforehand,
signed model artifact, ``allow_cidrs`` holding 10.0.0.0/8 and 127.0.0.2 only). Test clients
connect from 127.0.0.2 (any 127.x address is loopback on Linux); a client on 127.0.0.1 is an
outsider whose only way in would be a forged ``X-Forwarded-For``.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from tests.integration.service.conftest import ISSUER, SECRET

# TW_SECURITY_SRC runs the service from another source tree (e.g. the commit before the fixes,
# to see each test fail there); the tests themselves always import this tree.
REPO_SRC = os.environ.get("TW_SECURITY_SRC") or str(Path(__file__).resolve().parents[2] / "src")
MODEL_KEY = "k" * 48
INSIDER = "127.0.0.2"  # inside allow_cidrs
OUTSIDER = "127.0.0.1"  # outside allow_cidrs


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def client_from(address: str = INSIDER, timeout: float = 10.0) -> httpx.Client:
    return httpx.Client(transport=httpx.HTTPTransport(local_address=address), timeout=timeout)


@dataclass
class Server:
    """A running service: its URL, keys per role, files, and its captured log."""

    url: str
    keys: dict[str, str]
    database: Path  # the SQLite file (unused with database_url)
    model_dir: Path
    spool_dir: Path
    log_path: Path
    proc: subprocess.Popen
    env: dict[str, str] = field(repr=False, default_factory=dict)
    database_url: str = ""

    def headers(self, role: str = "admin") -> dict[str, str]:
        return {"X-API-Key": self.keys[role]}

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def stop(self, timeout: float = 30) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)  # a graceful stop, as systemd would ask
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        return self.proc.returncode


@pytest.fixture(scope="session")
def trained_model(sample_model_dir) -> Path:
    """The served sample, trained once per run (tests/conftest.py): servers sign a copy."""
    return sample_model_dir


def _known_settings() -> set[str]:
    """The [service] keys the service under test knows (an older tree knows fewer)."""
    code = "from dataclasses import fields; from thermowatch.service.settings import Settings; "
    code += "print(' '.join(f.name for f in fields(Settings)))"
    out = subprocess.run(
        [sys.executable, "-c", code], env=os.environ | {"PYTHONPATH": REPO_SRC},
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    return set(out.stdout.split())


def start_server(
    tmp: Path,
    model: Path,
    workers: int = 2,
    sign: bool = True,
    database_url: str | None = None,
    **service: object,
) -> Server:
    """Migrate a store (SQLite in ``tmp`` unless ``database_url``), create keys, sign a copy of
    ``model`` and start the service."""
    from thermowatch.learn.signing import sign_artifact
    from thermowatch.service.apikeys import create_key
    from thermowatch.store.engine import make_engine
    from thermowatch.store.migrate import upgrade
    from thermowatch.store.transformers import ensure_transformer

    database = tmp / "service.db"
    database_url = database_url or f"sqlite:///{database}"
    engine = make_engine(database_url)
    if str(Path(__file__).resolve().parents[2] / "src") == REPO_SRC:
        upgrade(engine)
    else:  # the schema of the tree under test (it may be older than this one)
        subprocess.run(
            [sys.executable, "-c", "from thermowatch.cli import main; main()", "db", "upgrade",
             "--database-url", database_url],
            env=os.environ | {"PYTHONPATH": REPO_SRC}, check=True, capture_output=True,
        )  # fmt: skip
    ensure_transformer(engine, "TR-01")
    keys = {role: create_key(engine, role)[1] for role in ("reader", "operator", "admin")}
    engine.dispose()
    served = Path(shutil.copytree(model, tmp / "model" / model.name))
    if sign:
        sign_artifact(served, MODEL_KEY.encode())
    settings = {
        "allow_cidrs": ["10.0.0.0/8", f"{INSIDER}/32"],
        "reload_interval_s": 0.3,
        "audit_flush_s": 0.2,
        "key_cache_s": 0.5,
        "audit_spool_dir": str(tmp / "spool"),
        "max_upload_bytes": 1_000_000,
        "audit_window_s": 1,
        "anonymous_rate_per_s": 5.0,
        "anonymous_burst": 20.0,
    } | service
    known = _known_settings()
    lines = ["[service]"]
    for key, value in settings.items():
        if key not in known:
            continue
        if isinstance(value, list):
            lines.append(f"{key} = [{', '.join(repr(v).replace(chr(39), chr(34)) for v in value)}]")
        elif isinstance(value, str):
            lines.append(f'{key} = "{value}"')
        else:
            lines.append(f"{key} = {value}")
    config = tmp / "thermowatch.toml"
    config.write_text("\n".join(lines) + "\n")
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("THERMOWATCH_", "PROMETHEUS"))}
    env |= {
        "PYTHONPATH": REPO_SRC,
        "THERMOWATCH_ENV": "production",
        "THERMOWATCH_JWT_SECRET": SECRET,
        "THERMOWATCH_JWT_ISSUER": ISSUER,
        "THERMOWATCH_MODEL_KEY": MODEL_KEY,
        "TMPDIR": str(tmp),
    }
    log_path = tmp / "service.log"
    code = "from thermowatch.cli import main; main()"
    args = [sys.executable, "-c", code, "serve", "--port", str(port), "--workers", str(workers)]
    args += ["--model", str(served), "--database-url", database_url]
    args += ["--config", str(config), "--log-level", "warning"]
    with log_path.open("wb") as out:
        proc = subprocess.Popen(args, env=env, stdout=out, stderr=subprocess.STDOUT)
    server = Server(
        f"http://127.0.0.1:{port}", keys, database, served, tmp / "spool", log_path, proc, env
    )
    server.database_url = database_url
    deadline = time.monotonic() + 90
    with client_from(timeout=2) as client:
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise RuntimeError(f"the service exited: {server.log()[-2000:]}")
            try:
                if client.get(server.url + "/ready", headers=server.headers()).status_code == 200:
                    return server
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
    server.stop()
    raise RuntimeError(f"the service did not get ready in 90 s: {server.log()[-2000:]}")


@pytest.fixture(scope="module")
def server(tmp_path_factory, trained_model):
    """One production service (2 workers) shared by the tests of a module."""
    srv = start_server(tmp_path_factory.mktemp("service"), trained_model)
    yield srv
    srv.stop()


@pytest.fixture
def insider():
    with client_from(INSIDER) as client:
        yield client


@pytest.fixture
def outsider():
    with client_from(OUTSIDER) as client:
        yield client
