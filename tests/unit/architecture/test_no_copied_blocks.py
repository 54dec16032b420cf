"""No copied block of 6+ lines in ``src/``: pylint's duplicate-code check (R0801).

pylint's defaults leave out comments, docstrings, imports and signatures, so what it reports is
logic written twice: give it one home and call it. The check is pylint's own ``Symilar`` (the
engine of R0801) with those defaults. ``pylint --enable=duplicate-code`` spends ~35 of its ~40 s
of CPU building astroid trees that only say which lines are imports and signatures (even
without astroid's transforms, ~16 s for ``src/``); here the standard library's ``ast`` says
which lines those are, as astroid numbers them (a decorated function starts at its first
decorator), and Symilar leaves them out, which brings the check under a second of CPU. Still
marked slow; CI runs it with the rest.
"""

from __future__ import annotations

import ast
import contextlib
import io
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

import thermowatch

SRC = Path(thermowatch.__file__).parent


def _first_line(node: ast.stmt) -> int:
    """The line astroid gives a statement: a decorated function's is its first decorator's."""
    is_function = isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
    return node.decorator_list[0].lineno if is_function and node.decorator_list else node.lineno


def _signatures(body: list[ast.stmt]) -> Iterator[int]:
    """The lines of every function's signature (first line up to its body's first statement),
    in ``body`` and, recursively, in the bodies of its classes and functions (pylint's
    ``stripped_lines``: not inside ``if``/``with``/``try`` blocks)."""
    for node in body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            yield from range(_first_line(node), _first_line(node.body[0]))
        if isinstance(node, ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            yield from _signatures(node.body)


def ignored_lines(text: str) -> set[int]:
    """The lines pylint leaves out with ``ignore-imports`` and ``ignore-signatures`` [1-based]."""
    tree = ast.parse(text)
    imports = (n for n in ast.walk(tree) if isinstance(n, ast.Import | ast.ImportFrom))
    lines = {i for n in imports for i in range(n.lineno, (n.end_lineno or n.lineno) + 1)}
    return lines | set(_signatures(tree.body))


def similarity_report(files: list[Path], min_lines: int = 6) -> str:
    """What ``pylint --disable=all --enable=duplicate-code --min-similarity-lines=N`` finds in
    ``files``, as pylint's similarity report (``TOTAL lines=… duplicates=…``)."""
    from pylint.checkers.symilar import LineSet, Symilar

    sim = Symilar(min_lines, ignore_comments=True, ignore_docstrings=True)
    for path in files:
        text = path.read_text(encoding="utf-8")
        skip = ignored_lines(text)
        sim.linesets.append(
            LineSet(str(path), io.StringIO(text).readlines(), ignore_comments=True,
                    ignore_docstrings=True, line_enabled_callback=lambda _, n, off=skip: n not in off)
        )  # fmt: skip
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
