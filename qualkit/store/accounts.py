"""Web accounts, their signed-in sessions and failed sign-ins (`qualkit serve`, issue #21).

Only hashes are stored: an argon2 hash per password, a SHA-256 per session token. Names are
unique without regard to case, so "Alice" and "alice" cannot be two people.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from qualkit.records import Account, Role, WebSession
from qualkit.store.database import Repository

_ACCOUNT = "SELECT id, name, role, must_change_password, created_at FROM accounts "


def _account(row: Sequence[Any]) -> Account:
    return Account(id=row[0], name=row[1], role=Role(row[2]), must_change_password=bool(row[3]), created_at=row[4])


class AccountRepository(Repository):
    # -- accounts --------------------------------------------------------------------------

    def add(self, name: str, role: Role, password_hash: str) -> Account:
        with self._transaction():
            cursor = self._conn.execute(
                "INSERT INTO accounts (name, role, password_hash) VALUES (?, ?, ?)", (name, role.value, password_hash)
            )
        found = self.get(int(cursor.lastrowid or 0))
        assert found is not None
        return found

    def get(self, account_id: int) -> Account | None:
        row = self._conn.execute(_ACCOUNT + "WHERE id = ?", (account_id,)).fetchone()
        return _account(row) if row else None

    def named(self, name: str) -> Account | None:
        """The account with this name, whatever its case."""
        row = self._conn.execute(_ACCOUNT + "WHERE name = ?", (name,)).fetchone()
        return _account(row) if row else None

    def all(self) -> list[Account]:
        return [_account(row) for row in self._conn.execute(_ACCOUNT + "ORDER BY name")]

    def password_hash(self, account_id: int) -> str | None:
        row = self._conn.execute("SELECT password_hash FROM accounts WHERE id = ?", (account_id,)).fetchone()
        return str(row[0]) if row else None

    def set_password_hash(self, account_id: int, password_hash: str, *, one_time: bool) -> None:
        with self._transaction():
            self._conn.execute(
                "UPDATE accounts SET password_hash = ?, must_change_password = ? WHERE id = ?",
                (password_hash, int(one_time), account_id),
            )

    def remove(self, account_id: int) -> None:
        """Delete the account and its sessions (its decisions stay: they are the record)."""
        with self._transaction():
            self._conn.execute("DELETE FROM web_sessions WHERE account_id = ?", (account_id,))
            self._conn.execute("DELETE FROM accounts WHERE id = ?", (account_id,))

    # -- sessions --------------------------------------------------------------------------

    def open_session(self, token_hash: str, account_id: int, now: float) -> None:
        with self._transaction():
            self._conn.execute(
                "INSERT INTO web_sessions (token_hash, account_id, created, seen) VALUES (?, ?, ?, ?)",
                (token_hash, account_id, now, now),
            )

    def session(self, token_hash: str) -> WebSession | None:
        row = self._conn.execute(
            "SELECT a.id, a.name, a.role, a.must_change_password, a.created_at, w.created, w.seen "
            "FROM web_sessions w JOIN accounts a ON a.id = w.account_id WHERE w.token_hash = ?",
            (token_hash,),
        ).fetchone()
        return WebSession(account=_account(row[:5]), created=row[5], seen=row[6]) if row else None

    def session_hashes(self, account_id: int) -> list[str]:
        return [row[0] for row in self._conn.execute(
            "SELECT token_hash FROM web_sessions WHERE account_id = ?", (account_id,)
        )]

    def touch_session(self, token_hash: str, now: float) -> None:
        with self._transaction():
            self._conn.execute("UPDATE web_sessions SET seen = ? WHERE token_hash = ?", (now, token_hash))

    def close_session(self, token_hash: str) -> None:
        with self._transaction():
            self._conn.execute("DELETE FROM web_sessions WHERE token_hash = ?", (token_hash,))

    def close_sessions(self, account_id: int | None = None, *, older_than: float | None = None) -> int:
        """Close every session (of one account; or those last seen before ``older_than``)."""
        clauses: list[str] = ["1"]
        params: list[object] = []
        if account_id is not None:
            clauses.append("account_id = ?")
            params.append(account_id)
        if older_than is not None:
            clauses.append("seen < ?")
            params.append(older_than)
        with self._transaction():
            cursor = self._conn.execute(f"DELETE FROM web_sessions WHERE {' AND '.join(clauses)}", params)
        return cursor.rowcount

    # -- failed sign-ins (rate limiting) -----------------------------------------------------

    def record_failure(self, name: str, client: str, now: float, *, forget_before: float) -> None:
        """Log a failed sign-in, and forget those too old to count any more."""
        with self._transaction():
            self._conn.execute("DELETE FROM sign_in_failures WHERE failed_at < ?", (forget_before,))
            self._conn.execute(
                "INSERT INTO sign_in_failures (name, client, failed_at) VALUES (?, ?, ?)", (name, client, now)
            )

    def failures(self, *, name: str | None = None, client: str | None = None, since: float) -> list[float]:
        """When failed sign-ins for this name (or from this client) happened since ``since``, oldest first."""
        column, value = ("name", name) if name is not None else ("client", client)
        return [
            float(row[0]) for row in self._conn.execute(
                f"SELECT failed_at FROM sign_in_failures WHERE {column} = ? AND failed_at >= ? ORDER BY failed_at",
                (value, since),
            )
        ]

    def forget_failures(self, name: str) -> None:
        with self._transaction():
            self._conn.execute("DELETE FROM sign_in_failures WHERE name = ?", (name,))
