"""No copied block of 6+ lines in ``src/``: pylint's duplicate-code check (R0801).

pylint's defaults leave out comments, docstrings, imports and signatures, so what it reports is
logic written twice: give it one home and call it. Slow (pylint parses every module, ~40 s of
CPU), hence marked; CI runs it with the rest of the suite.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

import thermowatch

SRC = Path(thermowatch.__file__).parent


@pytest.mark.slow
def test_pylint_finds_no_duplicate_code():
    done = subprocess.run(
        [sys.executable, "-m", "pylint", "--disable=all", "--enable=duplicate-code",
         "--min-similarity-lines=6", "--score=n", str(SRC)],
        capture_output=True, text=True, timeout=900, check=False,
    )  # fmt: skip
    assert "No module named pylint" not in done.stderr, "pylint is a test dependency"
    assert "R0801" not in done.stdout, done.stdout
    assert done.returncode == 0, done.stdout + done.stderr
