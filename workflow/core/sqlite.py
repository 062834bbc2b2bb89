"""SQLite details shared by the embedded database and the embedded rate limiter."""
from __future__ import annotations

import random
import sqlite3
import time


def ensure_wal(conn: sqlite3.Connection, attempts: int = 50) -> None:
    """Put a SQLite file in WAL mode, once.

    Switching the journal mode does not wait on SQLite's busy handler, so when
    several processes open a new file at the same moment all but one are told
    the database is locked: look first, and retry the switch briefly.
    """
    for attempt in range(attempts):
        try:
            if conn.execute("PRAGMA journal_mode").fetchone()[0].lower() == "wal":
                return
            conn.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError:
            if attempt == attempts - 1:
                raise
            time.sleep(0.05 + random.random() * 0.05)
