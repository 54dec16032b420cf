"""The package's source files parsed once per test process, for the architecture checks."""

from __future__ import annotations

import ast
from functools import cache
from pathlib import Path

import thermowatch

SRC = Path(thermowatch.__file__).parent


@cache
def source_trees() -> tuple[tuple[str, ast.Module], ...]:
    """``(path relative to the package, its syntax tree)`` for every module of thermowatch, in
    path order. Shared between tests: walk the trees, never change them."""
    return tuple(
        (path.relative_to(SRC).as_posix(), ast.parse(path.read_text(encoding="utf-8")))
        for path in sorted(SRC.rglob("*.py"))
    )
