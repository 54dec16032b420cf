"""Finding 5: a chunked multipart upload of 800 MB was accepted and the worker kept 1.1 GB.
Every route now refuses a body beyond its limit while it streams, before any parsing."""

from __future__ import annotations

import socket
import time
from pathlib import Path
from urllib.parse import urlparse

from tests.integration.service.conftest import reading
from tests.security.conftest import INSIDER


def worker_rss_kb(server) -> int:
    """Resident memory of the service's processes (supervisor and workers) [kB]."""
    import subprocess

    pids = subprocess.run(
        ["pgrep", "-P", str(server.proc.pid)], capture_output=True, text=True
    ).stdout.split()
    total = 0
    for pid in [str(server.proc.pid), *pids]:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                total += int(line.split()[1])
    return total


def chunked_request(
    server,
    path: str,
    headers: dict[str, str],
    body_mb: int,
    content_type: str,
    head: bytes = b"",
    tail: bytes = b"",
) -> tuple[int, int]:
    """Send a chunked body of ``body_mb`` MB over a raw socket (no Content-Length); return the
    status the service answered and how many bytes it had taken when it answered."""
    url = urlparse(server.url)
    sock = socket.create_connection((url.hostname, url.port), source_address=(INSIDER, 0))
    sock.settimeout(30)
    lines = [
        f"POST {path} HTTP/1.1",
        f"Host: {url.hostname}",
        "Transfer-Encoding: chunked",
        f"Content-Type: {content_type}",
    ] + [f"{k}: {v}" for k, v in headers.items()]
    sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
    sent = 0

    def chunk(data: bytes) -> None:
        sock.sendall(f"{len(data):x}\r\n".encode() + data + b"\r\n")

    try:
        if head:
            chunk(head)
            sent += len(head)
        block = b"1" * 65536
        while sent < body_mb * 1_000_000:
            chunk(block)
            sent += len(block)
        if tail:
            chunk(tail)
        sock.sendall(b"0\r\n\r\n")
    except OSError:  # the service answered and closed: what we wanted
        pass
    answer = b""
    while b"\r\n" not in answer:
        data = sock.recv(4096)
        if not data:
            break
        answer += data
    sock.close()
    return int(answer.split(b" ", 2)[1]), sent


def test_chunked_multipart_upload_beyond_the_limit_is_refused_while_streaming(server):
    boundary = "tw-boundary"
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="x.csv"\r\n'
        "Content-Type: text/csv\r\n\r\ncourant (A)\n"
    ).encode()
    tail = f"\r\n--{boundary}--\r\n".encode()
    before = worker_rss_kb(server)
    status, _ = chunked_request(
        server,
        "/v1/predict/batch",
        server.headers("reader"),
        60,
        f"multipart/form-data; boundary={boundary}",
        head,
        tail,
    )
    assert status == 413
    time.sleep(0.5)
    # The 1 MB limit (test setting) holds: memory does not follow the 60 MB sent.
    assert worker_rss_kb(server) - before < 30_000


def test_every_route_limits_a_chunked_body_before_parsing(server):
    for path, headers in (
        ("/predict", server.headers("reader")),
        ("/v1/transformers/TR-01/predict", server.headers("reader")),
        ("/v1/keys", {}),  # unauthenticated, and FastAPI parses this body itself
        ("/v1/readings", server.headers("operator")),
    ):
        status, _ = chunked_request(server, path, headers, 2, "application/json", b"[", b"]")
        assert status == 413, path


def test_declared_length_beyond_the_limit_is_refused_before_reading(server, insider):
    r = insider.post(
        server.url + "/v1/keys",
        content=b"{" + b" " * 200_000 + b"}",
        headers={"Content-Type": "application/json"},
    )
    assert r.status_code == 413 and "limit" in r.json()["erreur"]
    r = insider.post(server.url + "/predict", json=reading(), headers=server.headers("reader"))
    assert r.status_code == 200
