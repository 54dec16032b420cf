"""Real servers on loopback: asyncua, pymodbus, Mosquitto; a fresh SQLite store per test.

A missing Mosquitto broker skips the MQTT tests with a message, except with ``CI=true``
where it is a failure (the design's rule for real services).
"""

from __future__ import annotations

import getpass
import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import Engine

from tests.helpers.store import migrated_sqlite


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    eng = migrated_sqlite(tmp_path / "store.db")
    yield eng
    eng.dispose()


def _mosquitto_binary() -> str | None:
    return shutil.which("mosquitto") or next(
        (p for p in ("/usr/sbin/mosquitto", "/usr/local/sbin/mosquitto") if Path(p).exists()), None
    )


@dataclass
class Broker:
    """A Mosquitto broker on a free loopback port, with persistence (restartable)."""

    binary: str
    directory: Path
    port: int
    proc: subprocess.Popen[bytes] | None = None

    def start(self) -> Broker:
        conf = self.directory / "mosquitto.conf"
        conf.write_text(
            f"listener {self.port} 127.0.0.1\nallow_anonymous true\n"
            f"persistence true\npersistence_location {self.directory}/\n"
            "autosave_interval 1\nmax_queued_messages 100000\nlog_type all\n"
            # The monitor acknowledges a period's messages once stored: no cap of 20 unacked.
            "max_inflight_messages 0\n"
            # As root, mosquitto drops to user "mosquitto", which cannot write the
            # persistence file in pytest's private tmp dir: keep the current user.
            + (f"user {getpass.getuser()}\n" if os.geteuid() == 0 else "")
        )
        self.proc = subprocess.Popen(
            [self.binary, "-c", str(conf)],
            stdout=(self.directory / "log.txt").open("ab"),
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), 0.2).close()
                return self
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("mosquitto did not start listening")

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.terminate()  # SIGTERM: mosquitto saves its persistence file
            self.proc.wait(10)
            self.proc = None


@pytest.fixture
def broker(tmp_path: Path) -> Iterator[Broker]:
    binary = _mosquitto_binary()
    if binary is None:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("CI=true and no mosquitto broker is installed (apt-get install mosquitto)")
        pytest.skip("mosquitto is not installed: MQTT integration tests skipped")
    directory = tmp_path / "broker"
    directory.mkdir()
    b = Broker(binary, directory, free_port()).start()
    yield b
    b.stop()
