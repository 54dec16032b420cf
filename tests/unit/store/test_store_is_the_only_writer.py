"""The store is the only writer of tables (issue 11): no module outside ``thermowatch/store``
builds an INSERT, UPDATE or DELETE — it calls a store function, which accepts a connection
when the caller needs one transaction."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import thermowatch

PACKAGE = Path(thermowatch.__file__).parent
WRITES = {"insert", "update", "delete"}
SQL_WRITE = re.compile(r"^\s*(INSERT|UPDATE|DELETE|TRUNCATE|ALTER|DROP)\b", re.IGNORECASE)


def _tables_names(tree: ast.Module) -> set[str]:
    """Names bound to tables imported from ``thermowatch.store.tables``."""
    return {
        alias.asname or alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and node.module == "thermowatch.store.tables"
        for alias in node.names
    }


def _writes(path: Path, root: Path = PACKAGE) -> list[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    tables = _tables_names(tree)
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("sqlalchemy"):
            found += [f"imports {a.name}" for a in node.names if a.name in WRITES]
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            owner = node.func.value
            if node.func.attr in WRITES and isinstance(owner, ast.Name) and owner.id in tables:
                found.append(f"{owner.id}.{node.func.attr}()")
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id == "text"
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and SQL_WRITE.match(str(node.args[0].value))
        ):
            found.append(f"text({node.args[0].value!r})")
    return [f"{path.relative_to(root)}:{w}" for w in found]


def test_no_module_outside_the_store_writes_a_table():
    offenders = [
        w
        for path in sorted(PACKAGE.rglob("*.py"))
        if "store" not in path.relative_to(PACKAGE).parts[:1]
        for w in _writes(path)
    ]
    assert offenders == []


def test_the_check_sees_a_direct_write(tmp_path):
    """The scanner itself: a module that updates a table directly is reported."""
    module = tmp_path / "rogue.py"
    module.write_text(
        "from sqlalchemy import update, text\n"
        "from thermowatch.store.tables import model_versions\n"
        "def f(conn):\n"
        "    conn.execute(model_versions.update())\n"
        "    conn.execute(text('UPDATE alembic_version SET version_num = version_num'))\n"
    )
    found = _writes(module, root=tmp_path)
    assert "rogue.py:imports update" in found
    assert "rogue.py:model_versions.update()" in found
    assert any("alembic_version" in w for w in found)
