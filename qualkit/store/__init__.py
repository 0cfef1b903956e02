"""The SQLite project file: one repository per aggregate, every method returning records.

Only this package speaks SQL or sees a ``sqlite3.Row``. A :class:`Store` is one open project
file; its repositories share its connection and its transactions::

    store = Store.open("qualkit.db")
    with store.transaction():          # several repositories' writes, all or nothing
        store.suggestions.insert_rows(rows, codebook_id=1, run_id=3)
        store.runs.update_counts(3, {...})
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

from qualkit.store.accounts import AccountRepository  # web accounts (#21)
from qualkit.store.changes import CodeChangeRepository
from qualkit.store.codebooks import CodebookRepository
from qualkit.store.coverage import CoverageRepository, ReviewerLog
from qualkit.store.database import Database, evidence_json, parse_evidence, utc_timestamp
from qualkit.store.decisions import DecisionRepository
from qualkit.store.documents import DocumentRepository
from qualkit.store.maintenance import Maintenance
from qualkit.store.memos import MemoRepository
from qualkit.store.models import ModelRepository
from qualkit.store.queue import ORDERS, ReviewQueue
from qualkit.store.runs import RunRepository
from qualkit.store.schema import SCHEMA_VERSION
from qualkit.store.search import SearchIndex
from qualkit.store.settings import Settings
from qualkit.store.suggestions import SuggestionRepository, SuggestionRow, suggestion_row

__all__ = [
    "ORDERS", "SCHEMA_VERSION", "Store", "SuggestionRow", "evidence_json", "parse_evidence", "suggestion_row",
    "utc_timestamp",
]


class Store:
    """An open project file and its repositories. Use :meth:`create` or :meth:`open`; :meth:`close`."""

    def __init__(self, database: Database):
        self._db = database
        self.path: Path = database.path
        self.settings = Settings(database)
        self.documents = DocumentRepository(database)
        self.codebooks = CodebookRepository(database)
        self.suggestions = SuggestionRepository(database)
        self.decisions = DecisionRepository(database)
        self.queue = ReviewQueue(database)
        self.models = ModelRepository(database)
        self.runs = RunRepository(database)
        self.coverage = CoverageRepository(database)
        self.reviewer_log = ReviewerLog(database)
        self.accounts = AccountRepository(database)  # web accounts and sessions (#21)
        # issue #20: the codebook's change history, memos, the search index, looking after the file
        self.code_changes = CodeChangeRepository(database)
        self.memos = MemoRepository(database)
        self.search = SearchIndex(database)
        self.maintenance = Maintenance(database)

    @classmethod
    def create(cls, path: str | os.PathLike) -> Store:
        return cls(Database.create(path))

    @classmethod
    def open(cls, path: str | os.PathLike) -> Store:
        return cls(Database.open(path))

    def close(self) -> None:
        self._db.close()

    @property
    def schema_version(self) -> int:
        return self._db.schema_version

    def transaction(self) -> contextlib.AbstractContextManager[None]:
        """All-or-nothing across repositories; nested use joins the outer transaction."""
        return self._db.transaction()
