"""The API reference: numpydoc docstrings for every public function of the core packages, and
every module of them on a generated reference page (docs/reference/, mkdocstrings).

An AST scan (no import): a public function or method (name without a leading underscore, in a
public class, not a property) that takes parameters must document them in a numpydoc
``Parameters`` section. ``mkdocs build --strict`` itself runs in
tests/integration/ops/test_manuals.py.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[3]
SRC = REPO / "src" / "thermowatch"
PACKAGES = ("thermal", "data", "learn")

#: Public functions allowed without a Parameters section ("module:qualname"): none left. A
#: function may only be added here with a reason beside it.
UNDOCUMENTED: frozenset[str] = frozenset()


def _parameters(node: ast.FunctionDef | ast.AsyncFunctionDef) -> list[str]:
    args = node.args
    names = [a.arg for a in (*args.posonlyargs, *args.args, *args.kwonlyargs)]
    names += [a.arg for a in (args.vararg, args.kwarg) if a is not None]
    return [n for n in names if n not in ("self", "cls")]


def _is_property(node: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    for decorator in node.decorator_list:
        if isinstance(decorator, ast.Name) and decorator.id in ("property", "cached_property"):
            return True
        if isinstance(decorator, ast.Attribute) and decorator.attr in ("setter", "deleter"):
            return True
    return False


def _public_functions(path: Path):
    """(qualified name, node) of every public function and public method of a module."""
    tree = ast.parse(path.read_text(encoding="utf-8"))

    def visit(body, prefix: str):
        for node in body:
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                if not node.name.startswith("_") and not _is_property(node):
                    yield f"{prefix}{node.name}", node
            elif isinstance(node, ast.ClassDef) and not node.name.startswith("_") and not prefix:
                yield from visit(node.body, f"{node.name}.")

    yield from visit(tree.body, "")


def _modules(package: str) -> list[tuple[str, Path]]:
    out = []
    for path in sorted((SRC / package).rglob("*.py")):
        parts = list(path.relative_to(SRC.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        elif parts[-1].startswith("_"):
            continue
        out.append((".".join(parts), path))
    return out


def _documents_parameters(node: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    return "\nParameters\n---" in "\n" + (ast.get_docstring(node) or "")


def _missing() -> set[str]:
    missing = set()
    for package in PACKAGES:
        for module, path in _modules(package):
            for name, node in _public_functions(path):
                if _parameters(node) and not _documents_parameters(node):
                    missing.add(f"{module}:{name}")
    return missing


def test_every_public_function_with_parameters_documents_them():
    missing = _missing()
    new = sorted(missing - UNDOCUMENTED)
    assert not new, f"{len(new)} public functions without a numpydoc Parameters section: {new}"
    stale = sorted(UNDOCUMENTED - missing)
    assert not stale, f"documented now, remove from UNDOCUMENTED: {stale}"


def test_the_scan_sees_a_missing_section(tmp_path):
    """The scan itself: a function with a parameter and a one-line docstring is caught."""
    path = tmp_path / "probe.py"
    path.write_text(
        'def bare(x):\n    """One line."""\n\n\n'
        'def done(x):\n    """Doc.\n\n    Parameters\n    ----------\n    x : float\n'
        '        A value [K].\n    """\n\n\n'
        "class C:\n    @property\n    def p(self):\n        return 1\n\n"
        "    def m(self):\n        pass\n"
    )
    found = {name: node for name, node in _public_functions(path)}
    assert set(found) == {"bare", "done", "C.m"}
    assert not _documents_parameters(found["bare"])
    assert _documents_parameters(found["done"])
    assert _parameters(found["C.m"]) == []


@pytest.mark.parametrize("package", PACKAGES)
def test_every_module_has_its_reference_entry(package):
    page = (REPO / "docs" / "reference" / f"{package}.md").read_text(encoding="utf-8")
    listed = {line[4:].strip() for line in page.splitlines() if line.startswith("::: ")}
    modules = {module for module, _ in _modules(package)}
    assert modules - {f"thermowatch.{package}"} <= listed, sorted(modules - listed)
    assert listed <= modules, sorted(listed - modules)
    nav = (REPO / "mkdocs.yml").read_text(encoding="utf-8")
    assert f"reference/{package}.md" in nav
