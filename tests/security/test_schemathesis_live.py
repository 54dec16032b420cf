"""schemathesis ``--checks all`` against the live schema of a real 2-worker service:
0 server errors, 0 undocumented status codes, content types or headers (with an admin key, so
every operation is reached; the schema itself needs a credential in production)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.security.conftest import start_server

CONFIG = Path(__file__).with_name("schemathesis.toml")


@pytest.mark.skipif(shutil.which("schemathesis", path=str(Path(sys.executable).parent)) is None,
                    reason="schemathesis is a test dependency (pip install -e '.[test]')")  # fmt: skip
def test_schemathesis_all_checks_on_the_live_schema(tmp_path, trained_model):
    # One service worker: schemathesis sends one request at a time (--workers 1), and what it
    # checks (status codes, schemas) is each response's own; a second worker only costs its start.
    server = start_server(
        tmp_path, trained_model, workers=1, allow_cidrs=[], rate_limit_per_s=1e5,
        rate_burst=1e5, anonymous_rate_per_s=1e5, anonymous_burst=1e5,
    )  # fmt: skip
    try:
        run = subprocess.run(
            [str(Path(sys.executable).parent / "schemathesis"), "--config-file", str(CONFIG),
             "run", server.url + "/openapi.json", "--checks", "all",
             "-H", f"X-API-Key: {server.keys['admin']}", "--max-examples", "25", "--seed", "12",
             "--workers", "1", "--no-color", "--output-truncate", "true",
             "--phases", "examples,coverage,fuzzing", "--request-timeout", "30"],
            capture_output=True, text=True, timeout=600, cwd=tmp_path,
        )  # fmt: skip
    finally:
        server.stop()
    summary = run.stdout[-6000:]
    assert run.returncode == 0, summary
    assert "Server error" not in run.stdout and "Undocumented HTTP status" not in run.stdout
    assert "Traceback" not in server.log()
