"""Suggestions as table rows: where review states become strings, for the CLI and exports."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

from qualkit.records import ReviewedSuggestion


def evidence_text(evidence: Iterable[Any], text: str, *, offset: int) -> str:
    """Evidence as one cell a reader understands: ``“matched words” @start-end; ...`` (document
    offsets; a model's words with their weight), never a pattern's source. ``text`` starts at ``offset``."""
    from qualkit.suggest.evidence import describe_all

    return describe_all(evidence, text, offset=offset, limit=20)


def suggestion_rows(items: Iterable[ReviewedSuggestion], *, code_names: Mapping[str, str],
                    reviewers: Sequence[str]) -> Iterator[dict[str, Any]]:
    """One row per suggestion: where it sits, its status, each reviewer's status and its evidence."""
    for item in items:
        s, state = item.suggestion, item.state
        yield {
            "id": s.id, "document": s.document, "case": s.case, "segment": s.segment, "start": s.start, "end": s.end,
            "speaker": s.speaker, "timestamp": s.timestamp, "code": s.code, "code_name": code_names.get(s.code, ""),
            "source": s.source.value, "score": s.score, "status": item.status.value,
            "reviewers": "; ".join(f"{name}:{verdict.value}" for name, verdict in sorted(state.verdicts.items())),
            "evidence": evidence_text(s.evidence, s.text, offset=s.start), "codebook_version": s.codebook_id,
            "text": s.text,
            **{f"reviewer:{name}": state.of(name).value for name in reviewers},
        }
