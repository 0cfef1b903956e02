"""Text search: the query language, FTS5 results against an independent token matcher, KWIC,
filters, and turning hits into suggestions for review."""

from __future__ import annotations

import re

import pytest

from qualkit.errors import NotFoundError, SearchError
from qualkit.records import Source
from qualkit.search import Query, Term, find_matches, fold, kwic, parse_query
from tests.conftest import CORPUS, DATA
from tests.review.conftest import TRANSCRIPT


@pytest.mark.parametrize(
    ("text", "groups", "excluded", "fts"),
    [
        ("mentor", [["mentor"]], [], '("mentor")'),
        ("Mentor* coaching", [["mentor*"], ["coaching"]], [], '("mentor" *) AND ("coaching")'),
        ('"performance management"', [['"performance management"']], [], '("performance management")'),
        ('"early career fr"*', [['"early career fr*"']], [], '("early career fr" *)'),
        ("coaching OR mentoring", [["coaching", "mentoring"]], [], '("coaching" OR "mentoring")'),
        ("trust -fund NOT academy", [["trust"]], ["fund", "academy"], '("trust") NOT "fund" NOT "academy"'),
        ("multi-academy", [['"multi academy"']], [], '("multi academy")'),
        ('Rôle "AND"', [["role"], ["and"]], [], '("role") AND ("and")'),
    ],
    ids=["word", "prefix-and", "phrase", "phrase-prefix", "or", "not", "punctuation", "accents-and-quoted-operator"],
)
def test_search_parse_query(text, groups, excluded, fts):
    query = parse_query(text)
    assert [[str(term) for term in group] for group in query.groups] == groups
    assert [str(term) for term in query.excluded] == excluded
    assert query.fts() == fts


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "has no word to look for"),
        ("-ofsted", "has only words to leave out"),
        ('"unbalanced', "unbalanced quote"),
        ("?!", "has no word to look for"),
    ],
)
def test_search_parse_query_refusals(text, message):
    with pytest.raises(SearchError, match=re.escape(message)):
        parse_query(text)


def test_search_fold_keeps_offsets_and_finds_matches_as_whole_words():
    text = "The RÔLE of Mentors; mentoring-led, not mentorship? İstanbul"
    assert len(fold(text)) == len(text) and fold("RÔLE") == "role"
    spans = find_matches(text, [Term(("role",)), Term(("mentor",), prefix=True)])
    assert [text[a:b] for a, b in spans] == ["RÔLE", "Mentors", "mentoring", "mentorship"]
    assert find_matches("amentor", [Term(("mentor",), prefix=True)]) == ()
    assert [text[a:b] for a, b in find_matches(text, [Term(("mentoring", "led"))])] == ["mentoring-led"]


def _tokens(text: str) -> list[str]:
    return re.findall(r"[^\W_]+", fold(text))


def _has(tokens: list[str], term: Term) -> bool:
    """An independent matcher: the term's tokens as a run of the text's tokens, the last a prefix if asked."""
    n = len(term.tokens)
    for i in range(len(tokens) - n + 1):
        window = tokens[i:i + n]
        if window[:-1] == list(term.tokens[:-1]) and (
            window[-1].startswith(term.tokens[-1]) if term.prefix else window[-1] == term.tokens[-1]
        ):
            return True
    return False


def _brute_force(segments, query: Query) -> list[int]:
    found = []
    for segment in segments:
        tokens = _tokens(segment.text)
        if all(any(_has(tokens, t) for t in group) for group in query.groups) and \
                not any(_has(tokens, t) for t in query.excluded):
            found.append(segment.id)
    return found


@pytest.fixture(scope="module")
def corpus_project(tmp_path_factory):
    from qualkit.project import Project

    folder = tmp_path_factory.mktemp("corpus")
    project = Project.init(folder / "corpus.db")
    project.ingest([CORPUS / "interviews", CORPUS / "documents"], cases_file=CORPUS / "cases.csv")
    project.code(codebook_path=CORPUS.parent.parent / "codebooks" / "niot_coherent_offer.yaml")
    yield project
    project.close()


@pytest.mark.parametrize(
    "text",
    ["mentor*", '"early career"', "coaching OR mentoring", "trust -academy", '"multi-academy trust"', "NPQ* time",
     '"performance man"*', "Ofsted"],
)
def test_search_results_equal_an_independent_token_matcher_on_the_bundled_corpus(corpus_project, text):
    query = parse_query(text)
    expected = _brute_force(list(corpus_project.segments()), query)
    hits = corpus_project.search(text)
    assert [hit.segment_id for hit in hits] == expected
    assert expected  # every query finds something in the corpus, so the comparison means something
    assert all(hit.matches for hit in hits)  # and each hit shows where


def test_search_filters_by_code_status_and_attribute(corpus_project):
    everything = corpus_project.search("trust")
    primary = corpus_project.search("trust", where={"phase": "Primary"})  # matched case-insensitively
    phases = {c.name: c.attributes.get("phase") for c in corpus_project.cases()}
    assert primary and {phases[hit.case] for hit in primary} == {"primary"}
    assert len(primary) < len(everything)
    coded = corpus_project.search("trust", codes=["culture"])
    on_culture = {v.segment_id for v in corpus_project.store.suggestions.views(codes=["culture"])}
    assert coded and {hit.segment_id for hit in coded} <= on_culture
    assert {h.segment_id for h in coded} == {h.segment_id for h in everything} & on_culture
    with pytest.raises(NotFoundError, match="phase has no value 'primry': primary, secondary"):
        corpus_project.search("trust", where={"phase": "primry"})


def test_search_kwic_lines_show_each_match_in_context(project, tmp_path):
    path = tmp_path / "leader.txt"
    path.write_text(TRANSCRIPT, encoding="utf-8")
    project.ingest([path])
    question, hit = project.search("npq*")
    assert (question.speaker, hit.speaker) == ("Interviewer", "Headteacher")
    [line] = list(kwic([hit], width=10))
    assert (line.left, line.match, line.right) == ("The", "NPQ", "helped,")
    assert project.store.documents.text(1)[line.start:line.end] == "NPQ"
    assert [h.segment for h in project.search("NPQS")] == [0]  # case-insensitive: the interviewer's question


def test_search_index_follows_ingest(project, tmp_path):
    (tmp_path / "a.txt").write_text("A paragraph about lesson study.\n\nAnother about coaching.", encoding="utf-8")
    project.ingest([tmp_path / "a.txt"])
    assert [h.text for h in project.search('"lesson study"')] == ["A paragraph about lesson study."]
    (tmp_path / "b.txt").write_text("Lesson study again, in a second file.", encoding="utf-8")
    project.ingest([tmp_path / "b.txt"])
    assert [h.document for h in project.search("lesson study")] == ["a.txt", "b.txt"]
    assert project.store.search.indexed() == 3
    assert project.store.search.rebuild() == 3 and project.store.search.indexed() == 3


def test_search_code_new_makes_reviewable_suggestions_once(project, tmp_path):
    path = tmp_path / "leader.txt"
    path.write_text(TRANSCRIPT, encoding="utf-8")
    project.ingest([path])
    project.code(codebook_path=DATA / "mini_codebook.yaml")
    hits, made = project.code_search_hits("npq* OR team", "culture.trust")
    # segment 0 is the interviewer's (context, not data); segment 4 already has culture.trust from rules
    assert [h.segment for h in hits] == [0, 1, 4]
    assert (made.new, made.already, made.interviewer) == (1, 1, 1)
    [made_one] = [r for r in project.suggestions(sources=["search"])]
    assert (made_one["segment"], made_one["code"], made_one["status"]) == (1, "culture.trust", "pending")
    assert "search: npq* OR team" in made_one["evidence"]
    _, again = project.code_search_hits("npq* OR team", "culture.trust")
    assert again.new == 0 and again.already == 2
    view = next(v for v in project.store.suggestions.views(sources=[Source.SEARCH]))
    assert view.evidence[0].pattern == "search: npq* OR team"
    with pytest.raises(NotFoundError, match="no codable code 'culture'"):
        project.code_search_hits("npq", "culture")
