"""The process-pool engine with a real model: what worker processes are sent (the segments to
code and their neighbours' text) must give exactly what coding in this process gives."""

from __future__ import annotations

from tests.engine.conftest import suggestions


def test_worker_processes_give_the_same_suggestions_as_in_process(copies):
    here, there = copies("trained", "here.db", "there.db")
    local = here.code()
    # Pages of 49 cut between an interviewer's question and the answer that reads it as context.
    pooled = there.code(workers=2, page_size=49)
    assert pooled.ran_on == "in 2 local processes" and pooled.workers == 2
    assert suggestions(there) == suggestions(here)
    assert any(row[3] == "model" for row in suggestions(there))
    assert (pooled.found, pooled.new, pooled.model_suggestions, pooled.segments, pooled.context_segments,
            pooled.segments_without) == (local.found, local.new, local.model_suggestions, local.segments,
                                         local.context_segments, local.segments_without)
    assert pooled.context_segments > 0


def test_the_model_reads_each_segments_neighbours_as_context(copies):
    """Pin the context a worker is sent to what it means, computed here from scratch: the text
    of the turns before and after, in the same document. Comparing engines with each other
    would not notice if every engine lost the context the same way."""
    from qualkit.engine.work import is_interviewer
    from qualkit.suggest.model import ModelSuggester
    from qualkit.suggest.training import load_latest_model

    project = copies("trained", "a.db")
    project.code(workers=2, page_size=49)
    _, codebook = project.codebook()
    info, trained = load_latest_model(project.store)
    model = ModelSuggester(trained, codebook, version=info.version)
    interviewers = {name.casefold() for name in project.interviewer_speakers()}
    segments = list(project.segments())
    names = {d.id: d.name for d in project.documents()}
    with_context, without_context = [], []
    for index, segment in enumerate(segments):
        if is_interviewer(segment.speaker, interviewers):
            continue
        neighbours = [segments[i] for i in (index - 1, index + 1) if 0 <= i < len(segments)]
        context = " ".join(s.text for s in neighbours if s.document_id == segment.document_id)
        with_context.append((segment, context))
        without_context.append((segment, ""))

    def scores(pairs):
        return {
            (names[segment.document_id], segment.ordinal, s.code): s.score
            for segment, found in model.pipe(pairs) for s in found
        }

    expected, contextless = scores(with_context), scores(without_context)
    stored = {(v.document, v.segment, v.code): v.score
              for v in project.store.suggestions.views() if v.source.value == "model"}
    assert stored and all(expected[key] == score for key, score in stored.items())
    assert any(contextless.get(key) != score for key, score in stored.items())  # context changes scores
