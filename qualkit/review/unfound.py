"""How many codings of each code are probably still unfound among the segments nobody has judged.

The reviewed segment x code pairs (labels, as training reads them: see
:mod:`qualkit.suggest.labels`) and every unreviewed pair are given the machine's score for that
pair — the highest live rule or model suggestion there, 0 where nothing proposed the code — and
:func:`qualkit.suggest.stopping.unfound_by_code` estimates, per code, the codings among the
unreviewed pairs. `qualkit review status` shows it as a stopping aid.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import TYPE_CHECKING

from qualkit.interviewers import is_interviewer
from qualkit.records import Source
from qualkit.review.decisions import DEFAULT_CONSENSUS, Consensus
from qualkit.suggest.stopping import Unfound, unfound_by_code

if TYPE_CHECKING:
    from qualkit.codebook import Codebook
    from qualkit.store import Store


def unfound_codings(store: Store, codebook: Codebook, *, consensus: Consensus = DEFAULT_CONSENSUS,
                    interviewers: Collection[str] = ()) -> list[Unfound | None]:
    """Per codable code (codebook order), the estimate of its codings still unfound; None for a
    code with no reviewed pair to learn the rate from."""
    from qualkit.suggest.labels import project_labels

    codes = [code.key for code in codebook.codable]
    folded = frozenset(name.casefold() for name in interviewers)
    segments = [ref.id for ref in store.documents.segment_refs() if not is_interviewer(ref.speaker, folded)]
    scores: dict[tuple[int, str], float] = {}
    for view in store.suggestions.views(sources=[Source.RULE, Source.MODEL]):
        key = (view.segment_id, view.code)
        scores[key] = max(scores.get(key, 0.0), view.score)
    labelled: dict[str, dict[int, int]] = {code: {} for code in codes}
    for label in project_labels(store, codable=codes, consensus=consensus, interviewers=interviewers):
        if label.code in labelled:
            labelled[label.code][label.segment_id] = label.value
    reviewed = {
        code: ([scores.get((segment_id, code), 0.0) for segment_id in found], list(found.values()))
        for code, found in labelled.items()
    }
    unreviewed = {
        code: [scores.get((segment_id, code), 0.0) for segment_id in segments if segment_id not in labelled[code]]
        for code in codes
    }
    estimates = unfound_by_code(reviewed, unreviewed)
    return [estimates.get(code) for code in codes]
