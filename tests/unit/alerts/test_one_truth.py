"""One truth per transformer: the code names level orders, levels values and resolves
thresholds only in their homes. Scans the sources (AST) and the dashboard templates.

Homes: level names and order in ``learn/levels.py``; threshold resolution in
``learn/thresholds.py``; a level computed from a value only where the state is made (the live
pipeline, the alert rules, ``/predict``'s contract, training and its report).
"""

from __future__ import annotations

import ast
import functools
import re
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[3] / "src" / "thermowatch"
NAMES = {"NORMAL", "ALERTE", "CRITIQUE"}
LEVEL_HOME = {"learn/levels.py"}
# Where a value may be levelled: the state is computed there (or it is training / /predict).
LEVELLING = {"learn/levels.py", "learn/result.py", "alerts/levels.py", "live/pipeline.py",
             "service/predicting.py"}  # fmt: skip
LEVELLING_DIRS = ("learn/", "report/")  # training and its report (issue 23's area)
# Where a Thresholds may be built: resolution, its class, stored state read back, the alert
# engine's non-temperature signals (stale minutes, anomaly σ, ...), model metadata loading.
THRESHOLDS_BUILT = {"learn/thresholds.py", "learn/result.py", "store/state.py",
                    "alerts/engine.py", "learn/artifact.py"}  # fmt: skip


def sources() -> list[tuple[str, ast.AST]]:
    out = []
    for path in sorted(SRC.rglob("*.py")):
        rel = path.relative_to(SRC).as_posix()
        if "/migrations/" in rel:
            continue
        out.append((rel, ast.parse(path.read_text(encoding="utf-8"))))
    return out


def _level_names(node: ast.AST) -> set[str]:
    elts: list[ast.AST] = []
    if isinstance(node, ast.Dict):
        elts = [k for k in node.keys if k is not None]
    elif isinstance(node, (ast.Tuple, ast.List, ast.Set)):
        elts = list(node.elts)
    return {e.value for e in elts if isinstance(e, ast.Constant) and e.value in NAMES}


@functools.cache  # one scan of the sources for every rule
def violations() -> dict[str, list[str]]:
    found: dict[str, list[str]] = {"order": [], "levelled": [], "thresholds": [], "compare": []}
    for rel, tree in sources():
        levelling = rel in LEVELLING or rel.startswith(LEVELLING_DIRS)
        for node in ast.walk(tree):
            where = f"{rel}:{getattr(node, 'lineno', '?')}"
            if rel not in LEVEL_HOME and len(_level_names(node)) >= 2:
                found["order"].append(where)
            if isinstance(node, ast.Call):
                f = node.func
                name = f.id if isinstance(f, ast.Name) else getattr(f, "attr", "")
                if not levelling and name in ("level_of", "level_codes", "first_crossing"):
                    found["levelled"].append(where)
                owner = ast.unparse(f.value).lower() if isinstance(f, ast.Attribute) else ""
                if (
                    not levelling
                    and name in ("level", "levels")
                    and ("thresh" in owner or owner in ("th", "self.th"))
                ):  # Thresholds.level(value): a level decided on the spot
                    found["levelled"].append(where)
                if name == "Thresholds" and rel not in THRESHOLDS_BUILT:
                    found["thresholds"].append(where)
                if name in ("threshold_values", "default_thresholds") and not rel.startswith(
                    "learn/"
                ):
                    found["thresholds"].append(where)
            ordering = (ast.Lt, ast.LtE, ast.Gt, ast.GtE)
            if (isinstance(node, ast.Compare) and rel not in LEVEL_HOME | {"learn/thresholds.py"}
                    and any(isinstance(op, ordering) for op in node.ops)):  # fmt: skip
                sides = [node.left, *node.comparators]
                if any(isinstance(s, ast.Attribute) and s.attr in ("alerte_c", "critique_c")
                       for s in sides):  # fmt: skip
                    found["compare"].append(where)
    return found


@pytest.mark.parametrize("rule", ["order", "levelled", "thresholds", "compare"])
def test_no_reader_rederives_levels_or_thresholds(rule: str) -> None:
    assert violations()[rule] == []


def test_templates_do_not_list_level_names() -> None:
    """Pages read the stored level; a template never lists the level names to decide one."""
    bad = []
    for path in sorted((SRC / "dashboard" / "templates").glob("*.html")):
        for i, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            names = set(re.findall(r"['\"](NORMAL|ALERTE|CRITIQUE)['\"]", line))
            if len(names) >= 2 or re.search(r"\b(alerte_c|critique_c)\s*[<>]=?", line):
                bad.append(f"{path.name}:{i}")
    assert bad == []


def test_the_scanner_sees_a_rederivation(tmp_path: Path) -> None:
    """The rules fire on code that re-derives (so an empty result means something)."""
    code = 'ORDER = {"NORMAL": 0, "ALERTE": 1}\nx = v >= th.critique_c\ny = level_of(v, 1, 2)\n'
    tree = ast.parse(code)
    assert any(len(_level_names(n)) >= 2 for n in ast.walk(tree))
    assert any(isinstance(n, ast.Compare) for n in ast.walk(tree))
