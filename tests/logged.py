"""Child processes whose stderr goes to a file, not a pipe.

A long-running child (a monitor, a simulated RTU, a store writer) that logs into an unread
``stderr=PIPE`` blocks once the pipe's 64 KiB buffer is full — in its event loop, so its MQTT
keepalive lapses and the test fails for a reason of its own. A file never fills; the test still
shows it when an assertion fails (:func:`stderr_of`).
"""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

_LOGS: dict[int, Path] = {}


def spawn(args: list[str], log: Path, **kwargs: Any) -> subprocess.Popen[Any]:
    """``subprocess.Popen(args, **kwargs)`` with stderr appended to the file ``log``."""
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("ab") as err:
        proc = subprocess.Popen(args, stderr=err, **kwargs)
    _LOGS[proc.pid] = log
    return proc


def stderr_of(proc: subprocess.Popen[Any]) -> str:
    """What ``proc`` wrote to stderr so far (for an assertion's message)."""
    log = _LOGS.get(proc.pid)
    return log.read_text(encoding="utf-8", errors="replace") if log and log.exists() else ""
