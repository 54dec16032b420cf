"""No copied block of 6+ lines in ``src/``: pylint's duplicate-code check (R0801).

pylint's defaults leave out comments, docstrings, imports and signatures, so what it reports is
logic written twice: give it one home and call it. The check is pylint's own ``Symilar`` (the
engine of R0801) with those defaults. ``pylint --enable=duplicate-code`` spends ~35 of its ~40 s
of CPU on astroid's transforms (inference plugins) while building the trees that only say which
lines are imports and signatures; the trees are built here without them (same nodes, same line
numbers), which brings the check to a few seconds. Still marked slow; CI runs it with the rest.
"""

from __future__ import annotations

import contextlib
import io
import re
import subprocess
import sys
from pathlib import Path

import pytest

import thermowatch

SRC = Path(thermowatch.__file__).parent


def similarity_report(files: list[Path], min_lines: int = 6) -> str:
    """What ``pylint --disable=all --enable=duplicate-code --min-similarity-lines=N`` finds in
    ``files``, as pylint's similarity report (``TOTAL lines=… duplicates=…``)."""
    import astroid
    from pylint.checkers.symilar import Symilar

    sim = Symilar(min_lines, ignore_comments=True, ignore_docstrings=True, ignore_imports=True,
                  ignore_signatures=True)  # fmt: skip
    for path in files:
        text = path.read_text(encoding="utf-8")
        tree = astroid.parse(text, path=str(path), apply_transforms=False)
        sim.append_stream(str(path), io.StringIO(text), tree=tree)
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        sim.run()
    return out.getvalue()


def duplicates(report: str) -> int:
    return int(re.search(r"duplicates=(\d+)", report).group(1))


def test_the_check_finds_what_pylint_finds(tmp_path: Path) -> None:
    """A block written twice (with other comments and docstrings) is found, on the same lines
    as ``pylint --enable=duplicate-code`` reports; the same lines as imports are not."""
    body = "\n".join(f"    total = total * {i} + value % {i + 7}" for i in range(6))
    for name in ("one", "two"):
        (tmp_path / f"{name}.py").write_text(
            f'def {name}(value):\n    """{name}."""\n    total = 0  # {name}\n{body}\n'
            "    return total\n"
        )
    imports = "\n".join(f"import module_{i}" for i in range(8))
    for name in ("three", "four"):
        (tmp_path / f"{name}.py").write_text(f"{imports}\n\n\ndef {name}():\n    return 1\n")
    files = sorted(tmp_path.glob("*.py"))
    ours = similarity_report(files)
    pylint = subprocess.run(
        [sys.executable, "-m", "pylint", "--disable=all", "--enable=duplicate-code",
         "--min-similarity-lines=6", "--score=n", *map(str, files)],
        capture_output=True, text=True, timeout=300, check=False,
    ).stdout  # fmt: skip
    assert "R0801" in pylint and duplicates(ours) == 8, (ours, pylint)
    ranges = lambda text: sorted(re.findall(r"==\S*?(\w+)(?:\.py)?:\[(\d+):(\d+)\]", text))  # noqa: E731
    assert ranges(ours) == ranges(pylint) == [("one", "2", "10"), ("two", "2", "10")]
    assert duplicates(similarity_report([tmp_path / "three.py", tmp_path / "four.py"])) == 0


@pytest.mark.slow
def test_pylint_finds_no_duplicate_code():
    report = similarity_report(sorted(SRC.rglob("*.py")))
    assert duplicates(report) == 0, report
