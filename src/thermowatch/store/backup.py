"""Backup and restore of the whole store.

SQLite: the online backup API (a consistent copy while writers keep writing).
PostgreSQL: ``pg_dump --format=custom`` / ``pg_restore --clean --single-transaction`` with the
client binaries of the server's major version when installed (Debian layout), else ``PATH``.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine, func, select
from sqlalchemy.engine import make_url

from thermowatch.errors import InputError
from thermowatch.store.partitions import forget_partitions
from thermowatch.store.tables import metadata


@dataclass(frozen=True)
class BackupResult:
    """The file written and its size [bytes]; for SQLite also the rows per table it holds."""

    path: Path
    size: int
    rows: dict[str, int] | None


def table_counts(engine: Engine) -> dict[str, int]:
    """Rows per table of the store (what a round trip must give back)."""
    with engine.connect() as conn:
        return {
            name: int(conn.scalar(select(func.count()).select_from(table)) or 0)
            for name, table in sorted(metadata.tables.items())
        }


def backup(engine: Engine, path: str | Path) -> BackupResult:
    """Write a full backup of the store to ``path`` (overwritten) and check it can be read."""
    path = Path(path)
    if engine.dialect.name == "sqlite":
        return _backup_sqlite(engine, path)
    return _backup_pg(engine, path)


def restore(engine: Engine, path: str | Path) -> None:
    """Replace the store's whole content with the backup at ``path``.

    Raises
    ------
    InputError
        When the file is missing or is not a thermowatch backup for this kind of database.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError(f"backup file {path} does not exist")
    engine.dispose()  # no pooled session may hold locks or stale pages during the restore
    if engine.dialect.name == "sqlite":
        _restore_sqlite(engine, path)
    else:
        _restore_pg(engine, path)
        forget_partitions(engine)  # the restored database has the backup's partitions
    engine.dispose()


# -- SQLite ----------------------------------------------------------------------------------
def _check_sqlite_file(path: Path) -> dict[str, int]:
    try:
        con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            if con.execute("PRAGMA quick_check").fetchone() != ("ok",):
                raise InputError(f"backup file {path} is damaged (SQLite quick_check failed)")
            names = {r[0] for r in con.execute("SELECT name FROM sqlite_master")}
            if "alembic_version" not in names or "readings" not in names:
                raise InputError(f"{path} is not a thermowatch SQLite backup")
            return {
                t: con.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0]
                for t in sorted(metadata.tables)
            }
        finally:
            con.close()
    except sqlite3.DatabaseError as exc:
        raise InputError(f"{path} is not a SQLite backup file: {exc}") from exc


def _backup_sqlite(engine: Engine, path: Path) -> BackupResult:
    tmp = path.with_name(path.name + ".partial")
    tmp.unlink(missing_ok=True)
    raw = engine.raw_connection()
    try:
        dst = sqlite3.connect(tmp)
        try:
            raw.driver_connection.backup(dst)  # type: ignore[union-attr]
            dst.execute("PRAGMA journal_mode=DELETE")  # one self-contained file, no -wal
        finally:
            dst.close()
    finally:
        raw.close()
    rows = _check_sqlite_file(tmp)
    tmp.replace(path)  # never leave a half-written file under the final name
    return BackupResult(path, path.stat().st_size, rows)


def _restore_sqlite(engine: Engine, path: Path) -> None:
    _check_sqlite_file(path)
    src = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    raw = engine.raw_connection()
    try:
        src.backup(raw.driver_connection)  # type: ignore[arg-type]
    finally:
        raw.close()
        src.close()


# -- PostgreSQL ------------------------------------------------------------------------------
def _pg_tool(engine: Engine, name: str) -> str:
    with engine.connect() as conn:
        major = int(conn.exec_driver_sql("SHOW server_version_num").scalar_one()) // 10000
    candidate = Path(f"/usr/lib/postgresql/{major}/bin/{name}")
    if candidate.exists():
        return str(candidate)
    found = shutil.which(name)
    if not found:
        raise InputError(f"{name} not found: install the PostgreSQL {major} client tools")
    return found


def _pg_target(engine: Engine) -> tuple[str, dict[str, str]]:
    # The password goes through the environment, not the command line (visible in ps).
    url = make_url(engine.url.render_as_string(hide_password=False))
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    libpq = url.set(drivername="postgresql", password=None)
    return libpq.render_as_string(hide_password=False), env


def _run(cmd: list[str], env: dict[str, str], what: str) -> None:
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        last = (proc.stderr.strip().splitlines() or ["no message"])[-1]
        raise InputError(f"{what} failed: {last}")


def _backup_pg(engine: Engine, path: Path) -> BackupResult:
    target, env = _pg_target(engine)
    tmp = path.with_name(path.name + ".partial")
    _run([_pg_tool(engine, "pg_dump"), "--format=custom", f"--file={tmp}", target], env,
         "pg_dump")  # fmt: skip
    _run([_pg_tool(engine, "pg_restore"), "--list", str(tmp)], env, "reading the backup")
    tmp.replace(path)
    return BackupResult(path, path.stat().st_size, None)


def _restore_pg(engine: Engine, path: Path) -> None:
    # Not `pg_restore --clean`: it cannot drop the constraints partitions inherit. Instead
    # the archive is turned into SQL and replayed by psql after dropping the schema, all in
    # one transaction: a failed restore leaves the database as it was.
    target, env = _pg_target(engine)
    _run([_pg_tool(engine, "pg_restore"), "--list", str(path)], env,
         f"reading {path} as a pg_dump archive")  # fmt: skip
    to_sql = subprocess.Popen(
        [_pg_tool(engine, "pg_restore"), "--no-owner", "--file=-", str(path)],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip
    replay = subprocess.run(
        [_pg_tool(engine, "psql"), "--quiet", "--no-psqlrc", "--single-transaction",
         "-v", "ON_ERROR_STOP=1", f"--dbname={target}",
         "-c", "DROP SCHEMA IF EXISTS public CASCADE", "-c", "CREATE SCHEMA public",
         "-f", "-"],
        env=env, stdin=to_sql.stdout, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert to_sql.stdout is not None and to_sql.stderr is not None
    to_sql.stdout.close()
    dump_err = to_sql.stderr.read().decode(errors="replace")
    if to_sql.wait() != 0:
        raise InputError(f"pg_restore failed: {(dump_err.strip().splitlines() or ['?'])[-1]}")
    if replay.returncode != 0:
        last = (replay.stderr.strip().splitlines() or ["no message"])[-1]
        raise InputError(f"restoring {path} failed: {last}")
