"""node-opcua, an OPC UA server written by other people, run by Node.js for the ingest tests.

Its npm packages are installed once into a cache folder outside the repository
(``$THERMOWATCH_NODE_CACHE``, default ``~/.cache/thermowatch-node``; ``.ci/run`` fills it), never
committed. Without Node.js the tests skip, except with ``CI=true`` where it is a failure.
"""

from __future__ import annotations

import json
import os
import queue
import shutil
import subprocess
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

SERVERS = Path(__file__).parent / "servers"


def node_cache() -> Path:
    """The folder holding ``node_modules`` with the pinned node-opcua (installed if missing)."""
    cache = Path(
        os.environ.get("THERMOWATCH_NODE_CACHE", Path.home() / ".cache" / "thermowatch-node")
    )
    ci = os.environ.get("CI", "").lower() == "true"
    if shutil.which("node") is None or shutil.which("npm") is None:
        if ci:
            pytest.fail("CI=true and Node.js/npm are missing (apt-get install nodejs npm)")
        pytest.skip("Node.js is not installed: tests against node-opcua skipped")
    wanted = json.loads((SERVERS / "package.json").read_text())["dependencies"]
    installed = cache / "node_modules" / "node-opcua" / "package.json"
    if (
        not installed.exists()
        or json.loads(installed.read_text())["version"] != wanted["node-opcua"]
    ):
        cache.mkdir(parents=True, exist_ok=True)
        shutil.copy(SERVERS / "package.json", cache / "package.json")
        done = subprocess.run(
            ["npm", "install", "--no-audit", "--no-fund", "--loglevel=error"],
            cwd=cache, capture_output=True, text=True, timeout=900,
        )  # fmt: skip
        if done.returncode != 0:
            pytest.fail(f"npm install of node-opcua failed: {done.stderr[-2000:]}")
    return cache


@dataclass
class NodeOpcUa:
    """One node-opcua server process on a loopback port (restartable on the same port)."""

    port: int
    pki: Path
    options: dict[str, Any] = field(default_factory=dict)
    proc: subprocess.Popen[str] | None = None
    info: dict[str, Any] = field(default_factory=dict)
    ready_at: float = 0.0  # time.monotonic() when it printed READY

    @property
    def endpoint(self) -> str:
        return f"opc.tcp://127.0.0.1:{self.port}/field"

    def start(self, timeout: float = 90.0) -> NodeOpcUa:
        cache = node_cache()
        cfg = {"port": self.port, "pki": str(self.pki), **self.options}
        self.proc = subprocess.Popen(
            ["node", str(SERVERS / "opcua_server.js"), json.dumps(cfg)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
            env={**os.environ, "NODE_PATH": str(cache / "node_modules")},
        )  # fmt: skip
        self._lines: queue.Queue[str] = queue.Queue()
        out = self.proc.stdout
        threading.Thread(target=lambda: [self._lines.put(x) for x in out], daemon=True).start()  # type: ignore[union-attr]
        line = self._expect("READY ", timeout)
        if not line.startswith("READY "):
            raise RuntimeError(f"node-opcua did not start: {line}")
        self.ready_at = time.monotonic()
        self.info = json.loads(line[6:])
        return self

    def _expect(self, prefix: str, timeout: float) -> str:
        """The next line of the server starting with ``prefix`` (node-opcua prints notices
        of its own in between)."""
        deadline = time.monotonic() + timeout
        seen = []
        while (left := deadline - time.monotonic()) > 0:
            try:
                line = self._lines.get(timeout=left).strip()
            except queue.Empty:
                break
            if line.startswith((prefix, "FAILED")):
                return line
            seen.append(line)
        return "(no answer) " + " | ".join(seen[-5:])

    def set(self, node: str, value: float | None, status: str = "Good", **when: Any) -> str:
        """Set ``node`` (``TR-1.winding``...) as the device would: value, status, and a
        source timestamp (``offset_s`` from now, or ``source_ts`` ISO); returns that stamp."""
        assert self.proc is not None and self.proc.stdin is not None
        self.proc.stdin.write(json.dumps({"node": node, "value": value, "status": status,
                                          **when}) + "\n")  # fmt: skip
        self.proc.stdin.flush()
        line = self._expect("OK ", 10)
        assert line.startswith("OK "), line
        return line[3:]

    def stop(self) -> None:
        """A graceful stop (SIGTERM: node-opcua closes its sessions)."""
        if self.proc is not None:
            self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
            self.proc = None


async def make_certificates(directory: Path, client_uri: str) -> dict[str, Path]:
    """A server certificate for node-opcua (PEM) and a client one issued for ``client_uri``
    (the integrator's own application URI), plus an unrelated certificate."""
    from asyncua.crypto.cert_gen import setup_self_signed_certificate
    from cryptography import x509
    from cryptography.hazmat.primitives.serialization import Encoding
    from cryptography.x509.oid import ExtendedKeyUsageOID

    directory.mkdir(parents=True, exist_ok=True)
    paths = {}
    for name, uri, use in [
        ("server", "urn:thermowatch-test:node-opcua-server", ExtendedKeyUsageOID.SERVER_AUTH),
        ("client", client_uri, ExtendedKeyUsageOID.CLIENT_AUTH),
        ("other", "urn:somebody:else", ExtendedKeyUsageOID.SERVER_AUTH),
    ]:
        key, der = directory / f"{name}.pem", directory / f"{name}.der"
        await setup_self_signed_certificate(key, der, uri, "127.0.0.1", [use], {"commonName": name})
        cert_pem = directory / f"{name}-cert.pem"
        cert_pem.write_bytes(
            x509.load_der_x509_certificate(der.read_bytes()).public_bytes(Encoding.PEM)
        )
        paths |= {f"{name}_key": key, f"{name}_der": der, f"{name}_pem": cert_pem}
    return paths
