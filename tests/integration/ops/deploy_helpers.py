"""Shared by the ops tests: render the deploy templates for loopback and run the system tools."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parents[3]
DEPLOY = REPO / "deploy"


def self_signed(directory: Path, name: str = "localhost") -> tuple[Path, Path]:
    """A throwaway certificate and key (openssl) for TLS on loopback."""
    crt, key = directory / f"{name}.crt", directory / f"{name}.key"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
         "-nodes", "-days", "2", "-subj", f"/CN={name}", "-addext", f"subjectAltName=DNS:{name}",
         "-keyout", str(key), "-out", str(crt)],
        check=True, capture_output=True,
    )  # fmt: skip
    return crt, key


def render_site(
    upstreams: list[int],
    *,
    https_port: int,
    http_port: int,
    cert: Path,
    key: Path,
    log_dir: Path,
    fail_timeout_s: float = 5,
) -> str:
    """deploy/nginx/thermowatch.conf.template with loopback ports (what install.sh does)."""
    servers = "\n".join(
        f"    server 127.0.0.1:{p} max_fails=1 fail_timeout={fail_timeout_s}s;" for p in upstreams
    )
    text = (DEPLOY / "nginx" / "thermowatch.conf.template").read_text()
    for k, v in {
        "@UPSTREAM_SERVERS@": servers,
        "@SERVER_NAME@": "localhost",
        "@HTTPS_PORT@": str(https_port),
        "@HTTP_PORT@": str(http_port),
        "@TLS_CERT@": str(cert),
        "@TLS_KEY@": str(key),
        "@LOG_DIR@": str(log_dir),
    }.items():
        text = text.replace(k, v)
    # Loopback only in tests (the machine may have no IPv6).
    return "\n".join(line for line in text.splitlines() if "listen [::]" not in line) + "\n"


def nginx_main_conf(prefix: Path, site: Path) -> Path:
    """A minimal nginx.conf (pid, logs and temp files under ``prefix``) including ``site``."""
    conf = prefix / "nginx.conf"
    user = "user root;\n" if os.geteuid() == 0 else ""
    conf.write_text(
        f"{user}worker_processes 1;\npid {prefix}/nginx.pid;\nerror_log {prefix}/error.log;\n"
        "events { worker_connections 1024; }\n"
        f"http {{\n  client_body_temp_path {prefix}/body;\n  proxy_temp_path {prefix}/proxy;\n"
        f"  access_log off;\n  include {site};\n}}\n"
    )
    return conf


def nginx_bin() -> str | None:
    return shutil.which("nginx") or (
        "/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None
    )


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def thermowatch_bin() -> str:
    """The ``thermowatch`` console script of the running interpreter's environment."""
    import sys

    return str(Path(sys.executable).with_name("thermowatch"))


def wait_for_log(
    path: Path, needle: str, timeout: float, proc: subprocess.Popen | None = None
) -> str:
    """Wait until ``needle`` appears in the log file ``path``; return the log."""
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        text = path.read_text(errors="replace") if path.exists() else ""
        if needle in text:
            return text
        if proc is not None and proc.poll() is not None:
            raise AssertionError(
                f"process exited ({proc.returncode}) before {needle!r}:\n{text[-3000:]}"
            )
        time.sleep(0.1)
    raise AssertionError(
        f"{needle!r} not in {path} after {timeout} s:\n{path.read_text(errors='replace')[-3000:]}"
    )


def stop(proc: subprocess.Popen, timeout: float = 15) -> None:
    """SIGTERM, then SIGKILL if it does not exit in time."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)
