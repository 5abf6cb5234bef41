"""The outbox: every event is written here first (a sqlite3 file), and leaves only when the
platform's broker has acknowledged it (PUBACK), so a cut link or a restart loses nothing and
the replay keeps the order in which the events were made."""

from __future__ import annotations

import sqlite3
import threading
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Pending:
    seq: int
    topic: str
    payload: bytes


class Outbox:
    def __init__(self, path: str | Path) -> None:
        self._lock = threading.Lock()
        self._db = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")  # an acknowledged write survives a power cut
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS outbox (seq INTEGER PRIMARY KEY AUTOINCREMENT,"
            " topic TEXT NOT NULL, payload BLOB NOT NULL)"
        )

    def put(self, topic: str, payload: bytes) -> int:
        with self._lock:
            cursor = self._db.execute(
                "INSERT INTO outbox (topic, payload) VALUES (?, ?)", (topic, payload)
            )
            return int(cursor.lastrowid)

    def oldest(self) -> Pending | None:
        with self._lock:
            row = self._db.execute(
                "SELECT seq, topic, payload FROM outbox ORDER BY seq LIMIT 1"
            ).fetchone()
        return Pending(row[0], row[1], bytes(row[2])) if row else None

    def remove(self, seq: int) -> None:
        with self._lock:
            self._db.execute("DELETE FROM outbox WHERE seq = ?", (seq,))

    def __len__(self) -> int:
        with self._lock:
            return int(self._db.execute("SELECT COUNT(*) FROM outbox").fetchone()[0])

    def close(self) -> None:
        with self._lock:
            self._db.close()
