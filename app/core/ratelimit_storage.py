"""A `limits` storage in a small SQLite file, so every gunicorn worker on the machine shares the
public pages' rate limits without a Redis server (`grove+sqlite:///path/to/file`).

It lives in the shared core because config.py loads it early, before any domain; it imports
nothing from Grove.
"""
import sqlite3
import threading
import time
from pathlib import Path

from limits.storage import Storage


class SQLiteStorage(Storage):
    """Fixed-window counters in one table; each increment is one short write transaction."""

    STORAGE_SCHEME = ["grove+sqlite"]

    def __init__(self, uri: str | None = None, wrap_exceptions: bool = False, **options):
        super().__init__(uri, wrap_exceptions=wrap_exceptions, **options)
        self.path = (uri or "").split("://", 1)[1] or ":memory:"
        self._local = threading.local()

    @property
    def base_exceptions(self):
        return sqlite3.Error

    def _db(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            if self.path != ":memory:":
                Path(self.path).parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(self.path, timeout=30, isolation_level=None, check_same_thread=False)
            conn.execute("PRAGMA journal_mode=WAL")
            # Counters may lose the last moment of writes in a power cut; no fsync per request.
            conn.execute("PRAGMA synchronous=OFF")
            conn.execute("CREATE TABLE IF NOT EXISTS counters (key TEXT PRIMARY KEY, value INTEGER NOT NULL, "
                         "expires REAL NOT NULL)")
            self._local.conn = conn
        return conn

    def incr(self, key: str, expiry: float, amount: int = 1) -> int:
        now = time.time()
        # One statement: a window that has run out starts again at `amount`.
        row = self._db().execute(
            "INSERT INTO counters (key, value, expires) VALUES (?1, ?2, ?3) ON CONFLICT(key) DO UPDATE SET "
            "value = CASE WHEN expires <= ?4 THEN excluded.value ELSE value + excluded.value END, "
            "expires = CASE WHEN expires <= ?4 THEN excluded.expires ELSE expires END RETURNING value",
            (key, amount, now + expiry, now)).fetchone()
        return row[0]

    def get(self, key: str) -> int:
        row = self._db().execute("SELECT value FROM counters WHERE key = ? AND expires > ?",
                                 (key, time.time())).fetchone()
        return row[0] if row else 0

    def get_expiry(self, key: str) -> float:
        row = self._db().execute("SELECT expires FROM counters WHERE key = ?", (key,)).fetchone()
        return row[0] if row else time.time()

    def check(self) -> bool:
        try:
            self._db().execute("SELECT 1")
            return True
        except sqlite3.Error:
            return False

    def reset(self) -> int | None:
        return self._db().execute("DELETE FROM counters").rowcount

    def clear(self, key: str) -> None:
        self._db().execute("DELETE FROM counters WHERE key = ?", (key,))
