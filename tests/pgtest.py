"""A throwaway PostgreSQL cluster on loopback, for the tests and the benchmark.

One home for "start a real PostgreSQL server": the pytest fixture and
``benchmarks/store_speed.py`` both use :class:`PostgresCluster`. It ``initdb``'s a cluster in a
temporary directory, starts it on a free 127.0.0.1 port with its socket in that directory, and
removes everything on :meth:`PostgresCluster.stop`. As root it runs the server as the
``postgres`` user (``initdb`` refuses root).
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any


class PostgresUnavailable(RuntimeError):
    """No PostgreSQL server binaries were found on this machine."""


def find_bindir() -> Path:
    """Return the directory holding ``initdb``/``pg_ctl`` (newest Debian version first).

    Raises
    ------
    PostgresUnavailable
        When neither ``/usr/lib/postgresql/*/bin`` nor ``PATH`` has ``initdb``.
    """
    candidates = sorted(
        Path("/usr/lib/postgresql").glob("*/bin"),
        key=lambda p: int(p.parent.name) if p.parent.name.isdigit() else 0,
        reverse=True,
    )
    for cand in candidates:
        if (cand / "initdb").exists():
            return cand
    found = shutil.which("initdb")
    if found:
        return Path(found).parent
    raise PostgresUnavailable(
        "PostgreSQL server binaries (initdb, pg_ctl) not found; install them with "
        "`apt-get install postgresql`"
    )


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class PostgresCluster:
    """A PostgreSQL cluster that lives as long as this object.

    Parameters
    ----------
    durable
        ``False`` (tests) turns off ``fsync`` and ``full_page_writes``: killing a client still
        rolls its transaction back, only an OS crash could lose data. ``True`` (benchmark) keeps
        the production defaults so the figures mean something.
    settings
        Extra ``postgresql.conf`` settings, e.g. ``{"shared_buffers": "1GB"}``.
    """

    def __init__(self, durable: bool = False, settings: dict[str, str] | None = None) -> None:
        self.bindir = find_bindir()
        self.durable = durable
        self.settings = dict(settings or {})
        self.port = 0
        self.tmpdir: Path | None = None
        self._as_postgres = os.geteuid() == 0

    # -- lifecycle -------------------------------------------------------------------------
    def _run(self, *args: str) -> subprocess.CompletedProcess[str]:
        cmd = [str(a) for a in args]
        if self._as_postgres:
            cmd = ["runuser", "-u", "postgres", "--", *cmd]
        return subprocess.run(cmd, check=True, capture_output=True, text=True, cwd=self.tmpdir)

    def start(self) -> PostgresCluster:
        """initdb + start; returns ``self`` once the server accepts connections."""
        self.tmpdir = Path(tempfile.mkdtemp(prefix="thermowatch-pg-"))
        if self._as_postgres:
            pw = pwd.getpwnam("postgres")
            os.chown(self.tmpdir, pw.pw_uid, pw.pw_gid)
        data = self.tmpdir / "data"
        self._run(
            self.bindir / "initdb", "-D", str(data), "-U", "postgres", "-A", "trust",
            "-E", "UTF8", "--locale=C", "--no-sync",
        )  # fmt: skip
        self.port = _free_port()
        conf = {
            "listen_addresses": "'127.0.0.1'",
            "port": str(self.port),
            "unix_socket_directories": f"'{self.tmpdir}'",
            "timezone": "'UTC'",
            "max_connections": "50",
        }
        if not self.durable:
            conf |= {"fsync": "off", "full_page_writes": "off", "synchronous_commit": "off"}
        conf |= self.settings
        with (data / "postgresql.conf").open("a") as f:
            f.writelines(f"{k} = {v}\n" for k, v in conf.items())
        try:
            self._run(
                self.bindir / "pg_ctl", "-D", str(data), "-l", str(self.tmpdir / "server.log"),
                "-w", "-t", "60", "start",
            )  # fmt: skip
        except subprocess.CalledProcessError as exc:
            log = (self.tmpdir / "server.log").read_text(errors="replace")[-2000:]
            raise RuntimeError(f"PostgreSQL did not start: {exc.stderr}\n{log}") from exc
        return self

    def stop(self) -> None:
        """Stop the server (fast shutdown) and delete the cluster directory."""
        if self.tmpdir is None:
            return
        # Already stopped: nothing to clean but the directory.
        with contextlib.suppress(subprocess.CalledProcessError):
            self._run(self.bindir / "pg_ctl", "-D", str(self.tmpdir / "data"), "-m", "fast", "stop")
        shutil.rmtree(self.tmpdir, ignore_errors=True)
        self.tmpdir = None

    def __enter__(self) -> PostgresCluster:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- databases ---------------------------------------------------------------------------
    def url(self, dbname: str = "postgres") -> str:
        """SQLAlchemy URL (psycopg 3 driver) of database ``dbname`` on this cluster."""
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{dbname}"

    def create_database(self, dbname: str, template: str | None = None) -> str:
        """Create an empty database (or a copy of database ``template``, which nobody may be
        connected to) and return its SQLAlchemy URL."""
        import psycopg

        copy = f' TEMPLATE "{template}"' if template else ""
        with psycopg.connect(
            f"host=127.0.0.1 port={self.port} user=postgres dbname=postgres", autocommit=True
        ) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{dbname}"')
            if template:
                _wait_until_unused(conn, template)
            conn.execute(f'CREATE DATABASE "{dbname}"{copy}')
        return self.url(dbname)


def _wait_until_unused(conn: Any, database: str, timeout_s: float = 60.0) -> None:
    """Wait for the sessions of ``database`` to end. A client that has just closed its
    connections (``engine.dispose()``) leaves server sessions that end asynchronously, and
    ``CREATE DATABASE ... TEMPLATE`` gives up after 5 s if one is still there: on a loaded
    runner that can take longer."""
    deadline = time.monotonic() + timeout_s
    query = "SELECT count(*) FROM pg_stat_activity WHERE datname = %s"
    while conn.execute(query, (database,)).fetchone()[0] and time.monotonic() < deadline:
        time.sleep(0.05)
