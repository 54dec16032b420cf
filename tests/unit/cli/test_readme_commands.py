"""README's command table: one row per top-level command, and every command has its row."""

from __future__ import annotations

import re
from pathlib import Path

import typer

from thermowatch.cli import app

README = Path(__file__).resolve().parents[3] / "README.md"
ROW = re.compile(r"^\| `thermowatch ([a-z-]+)")


def _rows() -> list[str]:
    return [m.group(1) for line in README.read_text(encoding="utf-8").splitlines()
            if (m := ROW.match(line))]  # fmt: skip


def test_each_command_has_one_row():
    rows = _rows()
    assert len(rows) == len(set(rows)), sorted(rows)
    commands = set(typer.main.get_command(app).commands)  # type: ignore[attr-defined]
    missing = commands - set(rows)
    assert not missing, f"README's command table lacks {sorted(missing)}"
    assert set(rows) <= commands, (
        f"README's command table has no such command: {set(rows) - commands}"
    )


def test_help_summaries_use_a_wide_terminal():
    """On a 160-column terminal the summaries are not cut at click's default 80 columns."""
    from typer.testing import CliRunner

    done = CliRunner().invoke(app, ["--help"], terminal_width=160)
    assert done.exit_code == 0
    assert "Train on measurements and write the model, metrics, figure and report." in done.output
