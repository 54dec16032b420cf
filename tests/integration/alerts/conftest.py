"""Fixtures: a migrated SQLite store, a real SMTP server (aiosmtpd) and an HTTP receiver,
all on loopback."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from sqlalchemy import Engine

from tests.helpers.store import migrated_postgres, migrated_sqlite
from thermowatch.store.transformers import ensure_transformer

NOW = datetime(2026, 7, 1, 12, 0, tzinfo=UTC)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """A migrated store (SQLite and PostgreSQL) with transformer T1 (ALERTE 90, CRITIQUE 105 °C)."""
    if request.param == "sqlite":
        eng = migrated_sqlite(tmp_path / "t.db")
    else:
        eng = migrated_postgres(request.getfixturevalue("pg_cluster"), "a", now=NOW)
    ensure_transformer(eng, "T1", "Poste Nord T1", thresholds={"alert": 90, "critical": 105})
    yield eng
    eng.dispose()


class SmtpSink:
    """An aiosmtpd server on loopback that keeps every message it receives."""

    def __init__(self, port: int | None = None, auth: tuple[str, str] | None = None) -> None:
        self.port = port or free_port()
        self.messages: list = []
        self.auth = auth
        self.controller = None
        self.start_kwargs: dict = {}  # extra aiosmtpd Controller arguments (TLS)

    def start(self) -> SmtpSink:
        from email import message_from_bytes, policy

        from aiosmtpd.controller import Controller

        sink = self

        class Handler:
            async def handle_DATA(self, server, session, envelope):
                msg = message_from_bytes(envelope.content, policy=policy.default)
                sink.messages.append((envelope.rcpt_tos, msg))
                return "250 OK"

        kwargs = {}
        if self.auth:
            from aiosmtpd.smtp import AuthResult

            def authenticator(server, session, envelope, mechanism, auth_data):
                ok = (auth_data.login.decode(), auth_data.password.decode()) == self.auth
                return AuthResult(success=ok)

            kwargs = {"authenticator": authenticator, "auth_require_tls": False,
                      "auth_required": True}  # fmt: skip
        kwargs.update(self.start_kwargs)
        self.controller = Controller(Handler(), hostname="127.0.0.1", port=self.port, **kwargs)
        self.controller.start()
        return self

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None


@pytest.fixture
def smtp() -> Iterator[SmtpSink]:
    sink = SmtpSink().start()
    yield sink
    sink.stop()


class HttpSink:
    """A loopback HTTP server recording (method, path, headers, body); answers ``status``."""

    def __init__(self) -> None:
        self.requests: list[dict] = []
        self.status = 200
        sink = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                sink.requests.append({"path": self.path, "headers": dict(self.headers),
                                      "body": body})  # fmt: skip
                self.send_response(sink.status)
                self.end_headers()
                self.wfile.write(b"{}")

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        # A short poll: shutdown() waits for serve_forever's next poll (0.5 s by default), which
        # was half a second of every alerting test's teardown.
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.02,), daemon=True)
        self.thread.start()

    def json(self, i: int) -> dict:
        return json.loads(self.requests[i]["body"])

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def http() -> Iterator[HttpSink]:
    sink = HttpSink()
    yield sink
    sink.stop()
