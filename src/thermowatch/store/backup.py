"""Backup and restore of the whole store.

SQLite: the online backup API (a consistent copy while writers keep writing).
PostgreSQL: ``pg_dump --format=custom`` / ``pg_restore --clean --single-transaction`` with the
client binaries of the server's major version when installed (Debian layout), else ``PATH``.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, Table, func, inspect, select
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


def all_tables() -> dict[str, Table]:
    """Every table of the store, whichever module declares it (users, sessions, comments and
    the database's identity live in MetaData of their own)."""
    from thermowatch.store.alert_comments import _meta as comments_meta
    from thermowatch.store.identity import _meta as identity_meta
    from thermowatch.store.users import _meta as users_meta

    found: dict[str, Table] = {}
    for meta in (metadata, users_meta, comments_meta, identity_meta):
        found.update(meta.tables)
    return dict(sorted(found.items()))


def table_counts(engine: Engine) -> dict[str, int]:
    """Rows per table of the store, every table (what a round trip must give back)."""
    with engine.connect() as conn:
        present = set(inspect(conn).get_table_names())
        return {
            name: int(conn.scalar(select(func.count()).select_from(table)) or 0)
            for name, table in all_tables().items()
            if name in present
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


def verify_file(path: str | Path) -> None:
    """Check a single backup file: a sound SQLite store, or a readable pg_dump archive."""
    path = Path(path)
    with path.open("rb") as f:
        is_sqlite = f.read(16) == b"SQLite format 3\x00"
    if is_sqlite:
        _check_sqlite_file(path)
    else:
        _check_pg_archive(path)


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
                for t in all_tables()
                if t in names
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
    _check_pg_archive(tmp, _pg_tool(engine, "pg_restore"))
    tmp.replace(path)
    return BackupResult(path, path.stat().st_size, None)


def _check_pg_archive(path: Path, pg_restore: str | None = None) -> None:
    """``pg_restore --list``: the archive is readable and holds the readings' data."""
    tool = pg_restore or _newest_pg_tool("pg_restore")
    proc = subprocess.run([tool, "--list", str(path)], capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        last = (proc.stderr.strip().splitlines() or ["no message"])[-1]
        raise InputError(f"{path} is not a readable pg_dump archive: {last}")
    if "TABLE DATA public alembic_version" not in proc.stdout:
        raise InputError(f"{path} is not a thermowatch PostgreSQL backup")


def _newest_pg_tool(name: str) -> str:
    # Without a server to ask its version: the newest client installed reads older archives.
    for cand in sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"), reverse=True):
        return str(cand)
    found = shutil.which(name)
    if not found:
        raise InputError(f"{name} not found: install the PostgreSQL client tools")
    return found


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


# -- Backup sets: database + model artifacts, checksummed, rotated ----------------------------
SET_PREFIX = "thermowatch-"
MANIFEST = "MANIFEST.json"
VERIFIED = "VERIFIED"
MODELS_TAR = "models.tar"
SIGNATURE = "SIGNATURE"
SERVED = "served"  # models.tar folder of served artifacts that live outside the models dir
#: Default rotation: the newest set of each of the last 7 days, 4 weeks and 12 months.
KEEP = {"daily": 7, "weekly": 4, "monthly": 12}


@dataclass(frozen=True)
class BackupSet:
    """One backup set directory ``thermowatch-<UTC time>/`` and its manifest."""

    path: Path
    created_at: datetime
    manifest: dict[str, Any]

    @property
    def verified(self) -> bool:
        """True once :func:`verify_set` passed on it (a ``VERIFIED`` stamp file)."""
        return (self.path / VERIFIED).is_file()


def sha256_file(path: Path) -> str:
    """SHA-256 of a file, read in 1 MiB blocks [hex]."""
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def file_checksums(directory: Path) -> dict[str, str]:
    """``relative path -> SHA-256`` of every file under ``directory`` (sorted)."""
    if not directory.is_dir():
        return {}
    return {
        p.relative_to(directory).as_posix(): sha256_file(p)
        for p in sorted(directory.rglob("*"))
        if p.is_file()
    }


def table_checksums(engine: Engine) -> dict[str, str]:
    """Per table, a SHA-256 of its rows in primary-key order: equal digests, equal content."""
    out = {}
    with engine.connect() as conn:
        present = set(inspect(conn).get_table_names())
        for name, table in all_tables().items():
            if name not in present:
                continue
            order = list(table.primary_key.columns) or list(table.columns)
            digest = hashlib.sha256()
            for row in conn.execute(select(table).order_by(*order)):
                digest.update(repr(tuple(row)).encode())
            out[name] = digest.hexdigest()
    return out


def _set_name(at: datetime) -> str:
    return f"{SET_PREFIX}{at.astimezone(UTC):%Y%m%dT%H%M%SZ}"


def list_sets(backup_dir: str | Path) -> list[BackupSet]:
    """The complete backup sets (with a manifest) in ``backup_dir``, newest first."""
    backup_dir = Path(backup_dir)
    sets = []
    for d in backup_dir.glob(f"{SET_PREFIX}*") if backup_dir.is_dir() else []:
        manifest_path = d / MANIFEST
        if not manifest_path.is_file():
            continue  # interrupted: never listed, removed by the next rotation
        try:
            created = datetime.strptime(d.name.removeprefix(SET_PREFIX), "%Y%m%dT%H%M%SZ")
            manifest = json.loads(manifest_path.read_text())
        except (ValueError, json.JSONDecodeError):
            continue
        sets.append(BackupSet(d, created.replace(tzinfo=UTC), manifest))
    return sorted(sets, key=lambda s: s.created_at, reverse=True)


def open_set(path: str | Path) -> BackupSet:
    """The backup set at ``path``; InputError when it is not one."""
    path = Path(path)
    found = [s for s in list_sets(path.parent) if s.path.name == path.name]
    if not found:
        raise InputError(f"{path} is not a thermowatch backup set (no readable {MANIFEST})")
    return found[0]


def write_set(
    engine: Engine,
    backup_dir: str | Path,
    models_dir: str | Path | None = None,
    now: datetime | None = None,
    *,
    key: bytes,
) -> BackupSet:
    """Back up the store and the model artifacts into a new set under ``backup_dir``.

    The set holds ``store.sqlite`` or ``store.pgdump``, ``models.tar`` (every file of
    ``models_dir``, and under ``served/<model id>/`` every champion artifact the store names
    that lives elsewhere), ``MANIFEST.json`` (SHA-256 of each file of the set and of each model
    file, the rows of every table, the schema revision, and ``holds``: what the set contains,
    served models missing on disk included) and ``SIGNATURE``: HMAC-SHA256 of the manifest with
    ``key``, a key kept outside the set. It is written under a temporary name and renamed when
    complete, so a crash never leaves a set that looks whole.
    """
    from thermowatch.store.migrate import current_revision

    if not key:
        raise InputError("a backup set needs a signing key (kept outside the set)")
    now = now or datetime.now(UTC)
    backup_dir = Path(backup_dir)
    backup_dir.mkdir(parents=True, exist_ok=True)
    final = backup_dir / _set_name(now)
    if final.exists():
        raise InputError(f"backup set {final} already exists")
    work = backup_dir / f".partial-{final.name}"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir()
    store_name = "store.sqlite" if engine.dialect.name == "sqlite" else "store.pgdump"
    result = backup(engine, work / store_name)
    rows = result.rows if result.rows is not None else table_counts(engine)
    models = Path(models_dir) if models_dir is not None else None
    artifacts = file_checksums(models) if models is not None else {}
    served, missing, outside = _served_models(engine, models)
    with tarfile.open(work / MODELS_TAR, "w") as tar:
        for rel in artifacts:
            tar.add(models / rel, arcname=rel, recursive=False)  # type: ignore[operator]
        for model_id, path in outside.items():
            for rel, digest in file_checksums(path).items():
                arcname = f"{SERVED}/{model_id}/{rel}"
                tar.add(path / rel, arcname=arcname, recursive=False)
                artifacts[arcname] = digest
    manifest = {
        "format": 2,
        "created_at": now.astimezone(UTC).isoformat(),
        "dialect": engine.dialect.name,
        "revision": current_revision(engine),
        "rows": rows,
        "files": {p.name: sha256_file(p) for p in sorted(work.iterdir())},
        "models": artifacts,
        "served": served,
        "holds": {
            "database": store_name,
            "tables": len(rows),
            "rows": sum(rows.values()),
            "models_dir": str(models) if models is not None else None,
            "model_files": len(artifacts),
            "served_models": sorted(served),
            "served_models_missing": missing,
        },
    }
    raw = json.dumps(manifest, indent=2).encode()
    (work / MANIFEST).write_bytes(raw)
    (work / SIGNATURE).write_text(_sign(key, raw) + "\n")
    work.rename(final)
    return open_set(final)


def _served_models(
    engine: Engine, models: Path | None
) -> tuple[dict[str, dict[str, Any]], list[str], dict[str, Path]]:
    """The champions the store serves: ``{id: {transformer, path, in_set}}``, the ids whose
    artifact is missing on disk, and the artifacts outside ``models`` (to add under served/)."""
    from thermowatch.store.tables import model_versions as mv

    with engine.connect() as conn:
        rows = conn.execute(
            select(mv.c.id, mv.c.transformer_id, mv.c.artifact_path).where(
                mv.c.status == "champion"
            )
        ).all()
    served, missing, outside = {}, [], {}
    root = models.resolve() if models is not None and models.is_dir() else None
    for model_id, transformer_id, artifact_path in rows:
        path = Path(artifact_path).resolve()
        present = path.is_dir()
        inside = root is not None and (path == root or root in path.parents)
        served[model_id] = {"transformer": transformer_id, "path": str(path),
                            "in_set": present}  # fmt: skip
        if not present:
            missing.append(model_id)
        elif not inside:
            outside[model_id] = path
    return served, sorted(missing), outside


def _sign(key: bytes, manifest: bytes) -> str:
    return hmac.new(key, manifest, hashlib.sha256).hexdigest()


def signature_of(path: str | Path) -> Path:
    """Where a single backup file's signature lives: ``FILE.sig`` beside it."""
    path = Path(path)
    return path.with_name(path.name + ".sig")


def sign_file(path: str | Path, key: bytes) -> Path:
    """Sign a single backup file as a set is signed (HMAC-SHA256 of its SHA-256 with ``key``,
    kept outside it): written to :func:`signature_of`."""
    sig = signature_of(path)
    sig.write_text(_sign(key, sha256_file(Path(path)).encode()) + "\n")
    return sig


def check_file_signature(path: str | Path, key: bytes) -> None:
    """Refuse a single backup file that is unsigned, or whose content or signature changed."""
    sig = signature_of(path)
    if not sig.is_file():
        raise InputError(
            f"backup file {path} is not signed ({sig.name} missing): it cannot be trusted; "
            "restore a signed backup file or a backup set (db backup --rotate DIR)"
        )
    expected = _sign(key, sha256_file(Path(path)).encode())
    if not hmac.compare_digest(sig.read_text().strip(), expected):
        raise InputError(
            f"backup file {path}: the signature {sig.name} does not match the file (tampered, "
            "or signed with another key)"
        )


def _check_signature(s: BackupSet, key: bytes) -> None:
    """The manifest is the one signed with ``key`` (else nothing in the set is believed)."""
    sig = s.path / SIGNATURE
    if not sig.is_file():
        raise InputError(
            f"backup set {s.path} is not signed ({SIGNATURE} missing): it cannot be trusted"
        )
    expected = _sign(key, (s.path / MANIFEST).read_bytes())
    if not hmac.compare_digest(sig.read_text().strip(), expected):
        raise InputError(
            f"backup set {s.path}: the signature does not match its manifest (tampered, or "
            "signed with another key)"
        )


def _check_members(s: BackupSet, tar: tarfile.TarFile) -> dict[str, tarfile.TarInfo]:
    """Every member of ``models.tar`` is a regular file at a relative path inside the target,
    and exactly the files the manifest lists; returns them by name."""
    members: dict[str, tarfile.TarInfo] = {}
    for m in tar.getmembers():
        name = m.name
        parts = Path(name).parts
        if name.startswith(("/", "\\")) or ".." in parts or not m.isfile() or "\\" in name:
            raise InputError(
                f"backup set {s.path}: {MODELS_TAR} member {name!r} is not a plain file inside "
                "the models directory (absolute path, '..', link or device): refused"
            )
        members[name] = m
    listed = set(s.manifest.get("models") or {})
    if set(members) != listed:
        extra = sorted(set(members) - listed) or sorted(listed - set(members))
        raise InputError(
            f"backup set {s.path}: {MODELS_TAR} and the manifest disagree on {extra[0]!r}"
        )
    return members


def verify_set(backup_set: BackupSet | str | Path, key: bytes) -> BackupSet:
    """Check a set, touching nothing outside it: the manifest's signature with ``key`` first,
    then every file against its SHA-256, every ``models.tar`` member (plain files at safe
    relative paths, exactly those listed, each against its SHA-256), the database copy
    readable with the rows the manifest counts (SQLite) or a readable archive (PostgreSQL).
    Writes the ``VERIFIED`` stamp.

    Raises
    ------
    InputError
        Naming the first thing that does not match.
    """
    s = backup_set if isinstance(backup_set, BackupSet) else open_set(backup_set)
    _check_signature(s, key)
    for name, expected in s.manifest["files"].items():
        path = s.path / name
        if Path(name).name != name or not path.is_file() or path.is_symlink():
            raise InputError(f"backup set {s.path}: {name} is missing or not a plain file")
        if sha256_file(path) != expected:
            raise InputError(f"backup set {s.path}: {name} does not match its SHA-256 sum")
    if (s.path / MODELS_TAR).is_file():
        with tarfile.open(s.path / MODELS_TAR) as tar:
            for rel, member in _check_members(s, tar).items():
                f = tar.extractfile(member)
                assert f is not None
                if hashlib.sha256(f.read()).hexdigest() != s.manifest["models"][rel]:
                    raise InputError(f"backup set {s.path}: model file {rel} is corrupted")
    if (s.path / "store.sqlite").is_file():
        rows = _check_sqlite_file(s.path / "store.sqlite")
        for table, n in s.manifest["rows"].items():
            if rows.get(table) != n:
                raise InputError(
                    f"backup set {s.path}: table {table} has {rows.get(table)} rows, "
                    f"the manifest says {n}"
                )
    elif (s.path / "store.pgdump").is_file():
        _check_pg_archive(s.path / "store.pgdump")
    (s.path / VERIFIED).write_text(datetime.now(UTC).isoformat() + "\n")
    return s


def restore_set(
    engine: Engine,
    backup_set: BackupSet | str | Path,
    models_dir: str | Path | None = None,
    *,
    key: bytes,
) -> BackupSet:
    """Verify a set, then put the database and (with ``models_dir``) the model artifacts back,
    all or nothing.

    Everything is checked before anything is touched (:func:`verify_set`); the model files are
    extracted into a staging directory next to ``models_dir`` and checked there; then the
    database is replaced in one step (SQLite's backup API, or one PostgreSQL transaction: a
    failure leaves it as it was), and only then the staged models take the place of the old
    directory (a rename). Served models that lived outside ``models_dir`` go back to their
    recorded place when it is empty.
    """
    s = verify_set(backup_set, key)
    store = s.path / ("store.sqlite" if s.manifest["dialect"] == "sqlite" else "store.pgdump")
    if s.manifest["dialect"] != engine.dialect.name:
        raise InputError(
            f"backup set {s.path} is a {s.manifest['dialect']} backup; the target database "
            f"is {engine.dialect.name}"
        )
    staging = None
    if models_dir is not None and s.manifest.get("models"):
        target = Path(models_dir)
        staging = target.with_name(f".{target.name}.restoring")
        shutil.rmtree(staging, ignore_errors=True)
        staging.mkdir(parents=True)
        with tarfile.open(s.path / MODELS_TAR) as tar:
            tar.extractall(staging, filter="data")
        if file_checksums(staging) != s.manifest["models"]:
            shutil.rmtree(staging, ignore_errors=True)
            raise InputError(f"backup set {s.path}: restored model files do not match")
    try:
        restore(engine, store)
    except BaseException:
        if staging is not None:
            shutil.rmtree(staging, ignore_errors=True)
        raise
    if staging is not None:
        _put_back_served(s, staging)
        target = Path(models_dir)  # type: ignore[arg-type]
        old = target.with_name(f".{target.name}.old")
        shutil.rmtree(old, ignore_errors=True)
        if target.exists():
            target.rename(old)
        staging.rename(target)
        shutil.rmtree(old, ignore_errors=True)
    return s


def _put_back_served(s: BackupSet, staging: Path) -> None:
    """Move the served artifacts kept under ``served/`` back to their recorded directory when
    nothing is there any more (an artifact still in place is left as it is)."""
    for model_id, info in (s.manifest.get("served") or {}).items():
        kept = staging / SERVED / model_id
        if kept.is_dir() and not Path(info["path"]).exists():
            Path(info["path"]).parent.mkdir(parents=True, exist_ok=True)
            shutil.copytree(kept, info["path"])
    shutil.rmtree(staging / SERVED, ignore_errors=True)


def sets_to_keep(times: list[datetime], keep: dict[str, int] | None = None) -> set[datetime]:
    """Which backup times a grandfather-father-son rotation keeps.

    For each period (``daily``, ``weekly`` ISO week, ``monthly``) the newest backup of each of
    the ``keep[period]`` most recent periods that have one is kept; a backup kept by one rule
    also counts for the others (the same rule as ``restic forget --keep-daily 7 ...``).
    """
    keep = KEEP if keep is None else keep
    buckets = {
        "daily": lambda t: (t.year, t.month, t.day),
        "weekly": lambda t: tuple(t.isocalendar()[:2]),
        "monthly": lambda t: (t.year, t.month),
    }
    kept: set[datetime] = set()
    newest_first = sorted(times, reverse=True)
    for period, n in keep.items():
        seen: list[tuple[int, ...]] = []
        for t in newest_first:
            b = buckets[period](t)
            if len(seen) >= n:
                break
            if b not in seen:
                seen.append(b)
                kept.add(t)
    return kept


def rotate(backup_dir: str | Path, keep: dict[str, int] | None = None) -> list[Path]:
    """Delete the sets :func:`sets_to_keep` does not keep, and interrupted partial sets."""
    backup_dir = Path(backup_dir)
    sets = list_sets(backup_dir)
    keep_times = sets_to_keep([s.created_at for s in sets], keep)
    removed = [s.path for s in sets if s.created_at not in keep_times]
    removed += list(backup_dir.glob(".partial-*"))
    for path in removed:
        shutil.rmtree(path)
    return removed
