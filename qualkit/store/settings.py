"""Project settings: small named values (the project id, the interviewer speakers)."""

from __future__ import annotations

from qualkit.store.database import Repository


class Settings(Repository):
    def get(self, key: str, default: str | None = None) -> str | None:
        row = self._conn.execute("SELECT value FROM settings WHERE key = ?", (key,)).fetchone()
        return str(row[0]) if row else default

    def set_once(self, key: str, value: str) -> str:
        """Store ``value`` unless the key has one already; returns the value that stands."""
        with self._transaction():
            self._conn.execute("INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT(key) DO NOTHING",
                               (key, value))
            row = self._conn.execute("SELECT value FROM settings WHERE key = ?", (key,)).fetchone()
        return str(row[0])

    def set(self, key: str, value: str) -> None:
        with self._transaction():
            self._conn.execute(
                "INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                (key, value),
            )

    def delete(self, key: str) -> bool:
        """Forget a setting; whether there was one."""
        with self._transaction():
            return self._conn.execute("DELETE FROM settings WHERE key = ?", (key,)).rowcount > 0
