"""The import graph of ``src/thermowatch``: no cycles, and the layer order of the design.

Built with grimp (imports inside functions count; ``if TYPE_CHECKING:`` imports do not). A cycle
between files makes a module unimportable on its own and hides which concept owns what; a cycle
between packages breaks the layer order (the core never imports the shell).
"""

from __future__ import annotations

from pathlib import Path

import grimp
import pytest

import thermowatch

SRC = Path(thermowatch.__file__).parent

#: Dependency-free leaves every layer may import.
LEAVES = {"errors", "config", "paths", "settings", "thermowatch"}
CORE = {"thermal", "data", "learn", "report"}
#: What each top-level package may import besides the leaves (DESIGN.md, "Layout"): the core
#: imports down the core only; the store knows no HTTP and no alerts; live never imports jobs
#: (shadow predictions arrive through a hook); the service and the dashboard never import each
#: other's app (``thermowatch.app`` composes them); settings imports no package of ours (the
#: packages own their sections). Jobs raise alerts (retrain's phase gate, the scheduler's hook);
#: alerts write to the field through the ingest protocols, so ingest never imports alerts.
ALLOWED: dict[str, set[str]] = {
    **{leaf: set() for leaf in LEAVES},
    "thermal": set(),
    "data": {"thermal"},
    "learn": {"data", "thermal"},
    "report": {"learn", "data", "thermal"},
    "store": CORE,
    "live": CORE | {"store"},
    "jobs": CORE | {"store", "live", "alerts"},
    "ingest": CORE | {"store", "live"},
    "alerts": CORE | {"store", "ingest"},
    "service": CORE | {"store", "live", "jobs", "alerts", "settings"},
    "dashboard": CORE | {"store", "live", "jobs", "alerts", "ingest", "settings", "service"},
    "app": {"service", "dashboard"},
    "cli": CORE | {"store", "live", "jobs", "alerts", "ingest", "service", "settings", "app",
                   "dashboard"},
    "__main__": {"cli"},
}  # fmt: skip
#: Cycles between files that another change removes (remove the entry with it): the shared
#: forecaster code moves to one module with the registry-driven training (issue 25, item 3).
KNOWN_FILE_CYCLES: list[set[str]] = []


@pytest.fixture(scope="module")
def graph() -> grimp.ImportGraph:
    return grimp.build_graph("thermowatch", exclude_type_checking_imports=True, cache_dir=None)


def _top(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else parts[0]


def _cycles(edges: dict[str, set[str]]) -> list[set[str]]:
    """The strongly connected components of more than one node (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[set[str]] = []
    for root in sorted(edges):
        if root in index:
            continue
        work = [(root, iter(sorted(edges.get(root, ()))))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(edges.get(child, ())))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = set()
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.add(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(component)
    return found


def _file_edges(graph: grimp.ImportGraph) -> dict[str, set[str]]:
    return {m: set(graph.find_modules_directly_imported_by(m)) for m in graph.modules}


def _package_edges(graph: grimp.ImportGraph) -> dict[str, set[str]]:
    edges: dict[str, set[str]] = {}
    for module, imported in _file_edges(graph).items():
        for other in imported:
            if _top(module) != _top(other):
                edges.setdefault(_top(module), set()).add(_top(other))
    return edges


def test_cycle_finder_sees_a_cycle():
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [{"a", "b", "c"}]
    assert _cycles({"a": {"b"}, "b": set()}) == []


def test_every_source_folder_is_a_package():
    """A folder of modules without ``__init__.py`` is a namespace package: grimp (and mypy)
    would not see its imports."""
    missing = sorted(
        str(d.relative_to(SRC))
        for d in SRC.rglob("*")
        if d.is_dir() and any(d.glob("*.py")) and not (d / "__init__.py").exists()
        and "migrations" not in d.parts  # Alembic's versions/ is loaded by path
    )  # fmt: skip
    assert missing == []


def test_no_cycle_between_files(graph):
    cycles = [c for c in _cycles(_file_edges(graph)) if c not in KNOWN_FILE_CYCLES]
    assert not cycles, "\n".join(" <-> ".join(sorted(c)) for c in cycles)


def test_no_cycle_between_packages(graph):
    cycles = _cycles(_package_edges(graph))
    assert not cycles, "\n".join(" <-> ".join(sorted(c)) for c in cycles)


def test_layer_order(graph):
    """Every import between top-level packages is one the design allows."""
    illegal = []
    for package, imported in sorted(_package_edges(graph).items()):
        allowed = ALLOWED.get(package)
        assert allowed is not None, f"new top-level module {package!r}: give it a layer"
        for other in sorted(imported - allowed - LEAVES):
            lines = [
                f"{d['importer']}:{d['line_number']}"
                for m in graph.modules if _top(m) == package
                for o in graph.find_modules_directly_imported_by(m) if _top(o) == other
                for d in graph.get_import_details(importer=m, imported=o)
            ]  # fmt: skip
            illegal.append(f"{package} -> {other} ({', '.join(lines[:3])})")
    assert not illegal, "\n".join(illegal)
