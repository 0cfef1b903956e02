"""Codebooks: every version loaded is kept with its source text and its codes."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from qualkit.records import CodebookVersion
from qualkit.store.database import Repository

if TYPE_CHECKING:
    from qualkit.codebook import Codebook


class CodebookRepository(Repository):
    def save(self, codebook: Codebook) -> tuple[int, bool]:
        """Store a codebook version with its codes; (id, False) if this content is already there."""
        row = self._conn.execute("SELECT id FROM codebooks WHERE sha256 = ?", (codebook.sha256,)).fetchone()
        if row:
            return int(row[0]), False
        with self._transaction():
            cur = self._conn.execute(
                "INSERT INTO codebooks (name, version, sha256, source_path, source) VALUES (?, ?, ?, ?, ?)",
                (codebook.name, str(codebook.version), codebook.sha256, codebook.path, codebook.source),
            )
            codebook_id = int(cur.lastrowid or 0)
            self._conn.executemany(
                "INSERT INTO codes (codebook_id, ordinal, key, name, parent_key, stage, codable, "
                "definition, color, details) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    (
                        codebook_id, ordinal, code.key, code.name, code.parent, code.stage, int(code.codable),
                        code.definition, code.color,
                        json.dumps(
                            {
                                "include": code.include, "exclude": code.exclude, "examples": code.examples,
                                "patterns": [p.label for p in code.patterns],
                                "exclude_patterns": [p.label for p in code.exclude_patterns],
                            },
                            ensure_ascii=False,
                        ),
                    )
                    for ordinal, code in enumerate(codebook.codes)
                ],
            )
        return codebook_id, True

    def versions(self) -> list[CodebookVersion]:
        """Every stored codebook version, oldest first, with its numbers of codes and suggestions."""
        return [
            CodebookVersion(
                id=r["id"], name=r["name"], declared=r["version"], sha256=r["sha256"], source_path=r["source_path"],
                loaded_at=r["loaded_at"], codes=r["n_codes"], suggestions=r["n_suggestions"],
            )
            for r in self._conn.execute(
                "SELECT b.id, b.name, b.version, b.sha256, b.source_path, b.loaded_at, "
                "(SELECT COUNT(*) FROM codes c WHERE c.codebook_id = b.id) AS n_codes, "
                "(SELECT COUNT(*) FROM suggestions s WHERE s.codebook_id = b.id) AS n_suggestions "
                "FROM codebooks b ORDER BY b.id"
            )
        ]

    def ids(self) -> list[int]:
        """Every stored codebook version's id, oldest first (without versions()' counts)."""
        return [int(r[0]) for r in self._conn.execute("SELECT id FROM codebooks ORDER BY id")]

    def latest_id(self) -> int | None:
        row = self._conn.execute("SELECT MAX(id) FROM codebooks").fetchone()
        return None if row[0] is None else int(row[0])

    def source(self, codebook_id: int) -> tuple[str, str]:
        """(the YAML as loaded, the path it was loaded from)."""
        row = self._conn.execute("SELECT source, source_path FROM codebooks WHERE id = ?", (codebook_id,)).fetchone()
        return str(row[0]), str(row[1])
