"""A local durable spool: batches that could not reach the database wait here, in order.

A SQLite file in the spool directory, ``synchronous=FULL`` with a rollback journal: once
:meth:`Spool.append` returns, the batch is on disk (fsync'd) and survives a crash or a power
cut. Batches are replayed oldest first and removed only after the store committed them; a
crash between the two re-sends a batch, which the store's idempotent writes (key transformer,
timestamp, variable) turn into no duplicate.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

FILE_NAME = "spool.sqlite"


class Spool:
    """Append-only queue of JSON batches in ``<spool_dir>/spool.sqlite``."""

    def __init__(self, directory: str | Path) -> None:
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        self.path = self.directory / FILE_NAME
        self._lock = threading.Lock()
        self._conn = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        self._conn.execute("PRAGMA journal_mode=DELETE")  # the classic journal: fsync per commit
        self._conn.execute("PRAGMA synchronous=FULL")
        self._conn.execute(
            "CREATE TABLE IF NOT EXISTS batches (seq INTEGER PRIMARY KEY AUTOINCREMENT, "
            "payload TEXT NOT NULL)"
        )
        # Batches the store refused for a reason other than being away: kept, never retried.
        self._conn.execute(
            "CREATE TABLE IF NOT EXISTS quarantine (seq INTEGER PRIMARY KEY, payload TEXT NOT "
            "NULL, error TEXT NOT NULL, at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP)"
        )

    def append(self, batch: dict[str, Any]) -> int:
        """Write one batch durably; returns its sequence number."""
        payload = json.dumps(batch, separators=(",", ":"))
        with self._lock:
            cur = self._conn.execute("INSERT INTO batches (payload) VALUES (?)", (payload,))
            return int(cur.lastrowid or 0)

    def pending(self) -> int:
        """Number of batches waiting."""
        with self._lock:
            return int(self._conn.execute("SELECT count(*) FROM batches").fetchone()[0])

    def __iter__(self) -> Iterator[tuple[int, dict[str, Any]]]:
        """``(seq, batch)`` oldest first (a snapshot: batches appended meanwhile come later)."""
        with self._lock:
            seqs = [r[0] for r in self._conn.execute("SELECT seq FROM batches ORDER BY seq")]
        for seq in seqs:
            with self._lock:
                row = self._conn.execute(
                    "SELECT payload FROM batches WHERE seq = ?", (seq,)
                ).fetchone()
            if row is not None:
                yield seq, json.loads(row[0])

    def remove(self, seq: int) -> None:
        """Forget a batch once the store has committed it."""
        with self._lock:
            self._conn.execute("DELETE FROM batches WHERE seq = ?", (seq,))

    def quarantine(self, seq: int, error: str) -> None:
        """Move a batch to the quarantine with the error that refused it (one transaction)."""
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                self._conn.execute(
                    "INSERT OR REPLACE INTO quarantine (seq, payload, error) "
                    "SELECT seq, payload, ? FROM batches WHERE seq = ?",
                    (error[:2000], seq),
                )
                self._conn.execute("DELETE FROM batches WHERE seq = ?", (seq,))
                self._conn.execute("COMMIT")
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise

    def quarantined(self) -> list[tuple[int, str]]:
        """``(seq, error)`` of the quarantined batches, oldest first."""
        with self._lock:
            return [
                (int(r[0]), str(r[1]))
                for r in self._conn.execute("SELECT seq, error FROM quarantine ORDER BY seq")
            ]

    def close(self) -> None:
        """Close the file (pending batches stay for the next start)."""
        with self._lock:
            self._conn.close()
