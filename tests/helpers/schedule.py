"""The order in which the test files reach the pytest-xdist workers: longest first.

``make test`` runs ``--dist loadfile`` (a file's tests stay on one worker) with
``--no-loadscope-reorder``, so the workers take the files in collection order. Left to
itself, xdist sends the files with the most tests first; the files that take longest hold one
or a few tests (the manuals' exercises, ``install.sh``, the README's first hour), so they came
last and one worker ran them alone while the other had finished. Longest first (the LPT rule)
lets the many short unit files fill in at the end.

The seconds per file are measured, not guessed: ``tests/durations.json`` is written by
``pytest --record-durations tests/durations.json`` (setup + call + teardown of every test of
the file, summed, on the machine that ran it). A file it does not list counts as quick; a file
it lists that is gone is ignored.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path

import pytest

TABLE = Path(__file__).resolve().parents[1] / "durations.json"


def file_of(nodeid: str) -> str:
    """``tests/x/test_y.py::test_z[1]`` → ``tests/x/test_y.py``."""
    return nodeid.split("::", 1)[0]


def read_table(path: Path = TABLE) -> dict[str, float]:
    """Seconds per test file; empty when the table is absent or unreadable."""
    try:
        table = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return {str(k): float(v) for k, v in table.items() if isinstance(v, int | float)}


def longest_first(items: Sequence[pytest.Item], seconds: dict[str, float]) -> list[pytest.Item]:
    """``items`` with whole files ordered by ``seconds`` (descending); a file's own tests keep
    their order, and files of equal (or unknown, 0 s) duration keep theirs."""
    first_seen: dict[str, int] = {}
    for item in items:
        first_seen.setdefault(file_of(item.nodeid), len(first_seen))

    def key(item: pytest.Item) -> tuple[float, int]:
        name = file_of(item.nodeid)
        return (-seconds.get(name, 0.0), first_seen[name])

    return sorted(items, key=key)  # stable: a file's tests keep their order


class DurationRecorder:
    """Sums each file's test durations (all phases) and writes them to ``path`` at the end.

    Registered on the controller only (under xdist the workers' reports reach it).
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self.seconds: dict[str, float] = defaultdict(float)

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        self.seconds[file_of(report.nodeid)] += report.duration

    def pytest_sessionfinish(self) -> None:
        """The files this run measured replace their entries; the others are kept."""
        table = read_table(self.path) | {k: round(v, 1) for k, v in self.seconds.items()}
        table = dict(sorted(table.items(), key=lambda kv: -kv[1]))
        self.path.write_text(json.dumps(table, indent=1) + "\n", encoding="utf-8")
