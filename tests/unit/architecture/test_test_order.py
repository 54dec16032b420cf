"""The order of the test files for the xdist workers (tests/helpers/schedule.py): longest
first by the measured table, a file's tests together and in their order."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace

from tests.helpers.schedule import TABLE, DurationRecorder, longest_first, read_table


@dataclass
class Item:
    nodeid: str


def _ids(items) -> list[str]:
    return [i.nodeid for i in items]


def test_longest_files_first_and_each_file_kept_whole_and_in_order():
    items = [Item(n) for n in ["a.py::t1", "a.py::t2", "b.py::t1", "c.py::t[1]", "c.py::t[2]",
                               "d.py::t1"]]  # fmt: skip
    ordered = longest_first(items, {"c.py": 90.0, "d.py": 5.0, "gone.py": 999.0})
    assert _ids(ordered) == ["c.py::t[1]", "c.py::t[2]", "d.py::t1", "a.py::t1", "a.py::t2",
                             "b.py::t1"]  # fmt: skip
    # without a table, the collection order stands
    assert _ids(longest_first(items, {})) == _ids(items)


def test_recorder_sums_every_phase_per_file_and_keeps_files_it_did_not_run(tmp_path: Path):
    path = tmp_path / "durations.json"
    path.write_text(json.dumps({"old.py": 7.0, "a.py": 100.0}))
    recorder = DurationRecorder(path)
    for nodeid, seconds in [("a.py::t1", 1.25), ("a.py::t1", 2.0), ("a.py::t2", 0.5),
                            ("b.py::t", 9.0)]:  # fmt: skip
        recorder.pytest_runtest_logreport(SimpleNamespace(nodeid=nodeid, duration=seconds))
    recorder.pytest_sessionfinish()
    table = read_table(path)
    assert table == {"b.py": 9.0, "old.py": 7.0, "a.py": 3.8}  # 1.25 + 2.0 + 0.5, rounded
    assert list(table) == ["b.py", "old.py", "a.py"]  # longest first


def test_the_committed_table_is_there():
    table = read_table()
    assert table, f"{TABLE} is missing: pytest --record-durations tests/durations.json"
    assert all(seconds >= 0 for seconds in table.values())
