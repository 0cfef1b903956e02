"""The scorer on a small real project: labels, training, proposing, storage, evaluating, the CLI."""

import pytest

from qualkit.cli import cli
from qualkit.records import Source
from qualkit.review.decisions import Status
from qualkit.suggest.labels import Label, labels_from_statuses
from tests.conftest import DATA

NPQ_TURNS = [
    "Two of our middle leaders are doing the NPQ in leading teaching this year.",
    "The NPQ for SENCOs gave our SENCO a framework for provision mapping.",
    "She started the NPQ in senior leadership after the summer.",
    "Our deputy found the NPQ modules useful but heavy in the evenings.",
    "We funded an NPQ place through the scholarship before it changed.",
    "The NPQ course has helped him lead the maths department.",
]
QUALIFICATION_TURNS = [  # about NPQs without the keyword: the rules miss them, a model can learn them
    "Our assistant head is on the leadership qualification through the hub.",
    "The headship qualification gave her a network of other leaders.",
    "He finished the leadership qualification and now leads the phase.",
    "Two staff began a leadership qualification with the teaching school hub.",
    "The qualification in leading behaviour helped our pastoral lead.",
    "Funding for the leadership qualification came through the hub.",
]
OTHER_TURNS = [
    "Lunchtimes are calmer since we changed the playground rota.",
    "The roof leaked again over the summer holidays.",
    "Parents evening went well and attendance was high.",
    "We bought new reading books for the library corner.",
    "The minibus is booked for the coastal trip in June.",
    "Our football team reached the county final this year.",
]


def transcript(answers):
    turns = []
    for number, answer in enumerate(answers):
        turns.append(f"[00:{number:02d}:00] Interviewer: Tell me more.")
        turns.append(f"[00:{number:02d}:30] Headteacher: {answer}")
    return "\n\n".join(turns)


def _name(project, segment):
    return {d.id: d.name for d in project.documents()}[segment.document_id]


@pytest.fixture
def trained_project(project, tmp_path):
    """Three schools, every answer reviewed: NPQ turns accepted, turns about NPQs without the
    keyword coded by hand, every answer without the keyword marked coded in full."""
    folder = tmp_path / "interviews"
    folder.mkdir()
    for school in range(3):
        part = slice(school * 2, school * 2 + 2)
        answers = NPQ_TURNS[part] + QUALIFICATION_TURNS[part] + OTHER_TURNS[part]
        (folder / f"school{school}.txt").write_text(transcript(answers), encoding="utf-8")
    project.ingest([folder])
    project.code(codebook_path=DATA / "mini_codebook.yaml", include_interviewer=False)
    for row in project.suggestions():
        project.decide("ann", **({"accept": [row["id"]]} if row["code"] == "offer.npq" else {"reject": [row["id"]]}))
    for segment in project.segments():
        if segment.speaker != "Headteacher" or "NPQ" in segment.text:
            continue
        name = _name(project, segment)
        if "qualification" in segment.text:
            project.add_code("ann", document=name, segment=segment.ordinal, code="offer.npq")
        project.mark_coded("ann", document=name, segment=segment.ordinal)  # read in full: nothing else applies
    return project


def test_partial_review_gives_no_false_negatives():
    items = [
        (1, 10, "offer.npq", Status.ACCEPTED),       # segment 1 fully reviewed
        (2, 10, "offer.npq", Status.ACCEPTED),       # segment 2: one decided, one pending
        (2, 10, "culture.trust", Status.PENDING),
        (3, 10, "culture.trust", Status.REJECTED),   # segment 3 fully reviewed, rejected
    ]
    labels = set(labels_from_statuses(items, ["offer.npq", "offer.ecte", "culture.trust"]))
    assert labels == {
        Label(1, 10, "offer.npq", 1), Label(1, 10, "offer.ecte", 0), Label(1, 10, "culture.trust", 0),
        Label(2, 10, "offer.npq", 1),  # nothing else about segment 2: its review is partial
        Label(3, 10, "culture.trust", 0), Label(3, 10, "offer.npq", 0), Label(3, 10, "offer.ecte", 0),
    }


def test_train_gives_the_model_only_codes_it_wins_and_stores_the_choice(trained_project):
    from qualkit.suggest.scorer import CodeSource, choices_table
    from qualkit.suggest.training import load_latest_model

    report = trained_project.train()
    by_code = {c.code: c for c in report.choices}
    assert by_code["offer.npq"].source is CodeSource.MODEL
    assert by_code["offer.npq"].rules_recall == 0.5 and by_code["offer.npq"].model_f1 > by_code["offer.npq"].rules_f1
    assert by_code["culture.trust"].source is CodeSource.RULES and "needs 5 more accepted" in by_code[
        "culture.trust"].reason
    assert report.model_codes == ("offer.npq",) and set(report.skipped) == {"offer.ecte", "culture.trust"}
    info, blob = trained_project.store.models.latest()
    assert info.trained_on == "consensus:any" and info.training_size == report.training_size == 18
    assert info.library.startswith("scikit-learn ")
    assert not blob.startswith(b"\x80")  # not a pickle
    stored = choices_table(info.metrics["choices"], ["offer.npq", "offer.ecte", "culture.trust"])
    assert stored == [by_code["offer.npq"], by_code["offer.ecte"], by_code["culture.trust"]]
    loaded, scorer = load_latest_model(trained_project.store)
    assert loaded.id == report.model_id and scorer.model_codes == ("offer.npq",)


def test_model_proposes_without_a_keyword_and_explains_without_stop_words(trained_project, tmp_path):
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

    trained_project.train()
    (tmp_path / "new.txt").write_text(
        transcript(["Our business manager started the leadership qualification with the hub.",
                    "The hall floor was polished at half term."]), encoding="utf-8")
    trained_project.ingest([tmp_path / "new.txt"])
    report = trained_project.code(use_rules=False, documents=["new.txt"])
    assert report.sources == ("model",) and report.model_version.startswith("model-")
    rows = [r for r in trained_project.suggestions(documents=["new.txt"]) if r["source"] == "model"]
    assert [(r["code"], r["segment"]) for r in rows] == [("offer.npq", 1)]
    text = next(s.text for s in trained_project.segments() if s.ordinal == 1 and "business" in s.text)
    start = next(s.start for s in trained_project.segments() if s.text == text)
    (view,) = trained_project.store.suggestions.views(sources=[Source.MODEL])
    stored = [(e.start, e.end, e.pattern) for e in view.evidence]
    words = [text[s - start:e - start].lower() for s, e, _ in stored]
    assert words and all(pattern.startswith("model +") for _, _, pattern in stored)
    assert "qualification" in " ".join(words) and not set(words) & ENGLISH_STOP_WORDS


def test_model_suggester_with_rule_matches_makes_one_decision_per_code(trained_project):
    from types import SimpleNamespace

    from qualkit.suggest.model import ModelSuggester
    from qualkit.suggest.training import load_latest_model

    trained_project.train()
    _, codebook = trained_project.codebook()
    _, scorer = load_latest_model(trained_project.store)
    suggester = ModelSuggester(scorer, codebook, version="m")
    text = "Our NPQ lead spoke about trust and the leadership qualification."
    passage = SimpleNamespace(id=7, start=100, text=text)
    at = text.index("NPQ") + 100
    trust = text.index("trust") + 100
    matches = {"offer.npq": [(at, at + 3, "NPQ")], "culture.trust": [(trust, trust + 5, "trust")]}
    (_, found), = suggester.pipe([(passage, "", matches)])
    by_code = {s.code: s for s in found}
    assert set(by_code) == {"offer.npq", "culture.trust"}
    assert by_code["offer.npq"].source is Source.MODEL and (at, at + 3, "NPQ") in [
        (e.start, e.end, e.pattern) for e in by_code["offer.npq"].evidence]
    assert by_code["culture.trust"].source is Source.RULE and by_code["culture.trust"].score == 0.5
    (_, legacy), = suggester.pipe([(passage, "")])  # the old call: the model's codes only, rules run inside
    assert [s.code for s in legacy] == ["offer.npq"]
    assert [(e.start, e.end) for e in legacy[0].evidence][0] == (at, at + 3)


def test_model_never_reproposes_decided_pairs(trained_project):
    trained_project.train()
    before = {(r["segment"], r["document"], r["code"]) for r in trained_project.suggestions()}
    trained_project.code(use_rules=False, threshold=0.0)
    after = [r for r in trained_project.suggestions() if r["source"] == "model"]
    assert after and not {(r["segment"], r["document"], r["code"]) for r in after} & before


def test_model_refuses_codes_a_newer_codebook_removed(trained_project, tmp_path):
    trained_project.train()
    newer = tmp_path / "v2.yaml"
    text = (DATA / "mini_codebook.yaml").read_text()
    start = text.index("      - key: offer.npq")
    end = text.index("      - key: offer.ecte")
    newer.write_text(text[:start] + text[end:])
    report = trained_project.code(codebook_path=newer, use_rules=False, threshold=0.0)
    assert report.refused_codes == ("offer.npq",)
    assert not [r for r in trained_project.suggestions() if r["source"] == "model" and r["code"] == "offer.npq"]


def test_train_on_a_survey_with_no_context_does_not_raise_empty_vocabulary(project, tmp_path):
    """Survey rows are documents of their own: no neighbours, so the context column is empty.
    scikit-learn's vectorizer raised 'empty vocabulary' on it; the scorer leaves the block out."""
    survey = tmp_path / "survey.csv"
    rows = ["id,answer"] + [f"{i},{text}" for i, text in enumerate(NPQ_TURNS + QUALIFICATION_TURNS + OTHER_TURNS)]
    survey.write_text("\n".join(rows) + "\n", encoding="utf-8")
    project.ingest([survey], id_column="id", text_column="answer")
    project.code(codebook_path=DATA / "mini_codebook.yaml")
    for row in project.suggestions():
        project.decide("ann", **({"accept": [row["id"]]} if row["code"] == "offer.npq" else {"reject": [row["id"]]}))
    for segment in project.segments():
        if "NPQ" not in segment.text:
            name = _name(project, segment)
            if "qualification" in segment.text:
                project.add_code("ann", document=name, segment=segment.ordinal, code="offer.npq")
            project.mark_coded("ann", document=name, segment=segment.ordinal)
    report = project.train()
    assert report.training_size == 18
    _, scorer = __import__("qualkit.suggest.training", fromlist=["_"]).load_latest_model(project.store)
    assert [block.spec.name for block in scorer.features.blocks] == ["words"]
    project.code()  # and proposing with it works


def test_evaluate_and_cli(trained_project, runner):
    result = trained_project.evaluate(curve=False)
    assert {row["source"] for row in result.rows} == {"rules", "model", "scorer"}
    rules_npq = next(r for r in result.rows if r["source"] == "rules" and r["code"] == "offer.npq")
    assert rules_npq["recall"] == 0.5 and rules_npq["precision"] == 1.0  # the keyword turns only
    assert result.micro("scorer").f1 >= result.micro("rules").f1

    db = str(trained_project.path)
    out = runner.invoke(cli, ["-p", db, "train"])
    assert out.exit_code == 0, out.output
    assert "Trained model" in out.output and "the model proposes 1 of 3 codes (offer.npq)" in out.output
    lines = [line.split() for line in out.output.splitlines()[2:] if line.startswith(("offer", "culture"))]
    by_code = {words[0]: words[1] for words in lines}
    assert by_code == {"offer.npq": "model", "offer.ecte": "rules", "culture.trust": "rules"}
    out = runner.invoke(cli, ["-p", db, "evaluate", "--no-curve", "--format", "csv"])
    assert out.exit_code == 0, out.output
    assert out.output.splitlines()[0].startswith("table,source,code,precision,recall,f1")
    out = runner.invoke(cli, ["-p", db, "code", "--threshold", "offer.npq=1.5"])
    assert out.exit_code == 2 and "between 0 and 1" in out.output


def test_code_with_the_scorer_replaces_undecided_rule_suggestions_of_codes_the_model_took(trained_project, tmp_path,
                                                                                         runner):
    """One decision per segment x code: after training, a rule suggestion nobody decided on a code
    the model proposes is replaced by the model's decision; decided suggestions stay as they were."""
    (tmp_path / "new.txt").write_text(
        transcript(["She is on the NPQ in leading teaching.", "The roof leaked on the NPQ folders.",
                    "Our deputy began the leadership qualification."]), encoding="utf-8")
    trained_project.ingest([tmp_path / "new.txt"])
    trained_project.code(use_model=False, documents=["new.txt"])
    rule_npq = [r for r in trained_project.suggestions(documents=["new.txt"]) if r["code"] == "offer.npq"]
    assert {r["source"] for r in rule_npq} == {"rule"} and len(rule_npq) == 2
    decided = rule_npq[0]
    trained_project.decide("ann", accept=[decided["id"]])
    before = {r["id"] for r in trained_project.suggestions() if r["document"] != "new.txt"}
    trained_project.train()
    report = trained_project.code(documents=["new.txt"])
    after = [r for r in trained_project.suggestions(documents=["new.txt"]) if r["code"] == "offer.npq"]
    undecided_rules = [r for r in after if r["source"] == "rule" and r["id"] != decided["id"]]
    assert not undecided_rules and report.withdrawn == 1
    assert decided["id"] in {r["id"] for r in after}  # the accepted one is kept, with its decision
    assert any(r["source"] == "model" and r["segment"] == 5 for r in after)  # the qualification answer
    assert before <= {r["id"] for r in trained_project.suggestions()}  # other documents untouched
    log = trained_project.runs(command="code")[-1]
    assert log.counts["withdrawn"] == 1 and log.parameters["ownership"]["model"] == ["offer.npq"]


def test_review_status_estimates_the_codings_still_unfound(trained_project, tmp_path, runner):
    from qualkit.suggest.labels import project_labels

    (tmp_path / "new.txt").write_text(
        transcript(["Two staff are on the NPQ.", "The leadership qualification went well.", "Lunch was late."]),
        encoding="utf-8")
    trained_project.ingest([tmp_path / "new.txt"])
    trained_project.code(use_model=False, documents=["new.txt"])
    estimates = {e.code: e for e in trained_project.unfound_codings()}
    labels = project_labels(trained_project.store, codable=list(estimates),
                            interviewers=trained_project._interviewers())
    answers = [s for s in trained_project.segments() if s.speaker == "Headteacher"]
    npq = estimates["offer.npq"]
    assert npq.reviewed == sum(1 for label in labels if label.code == "offer.npq") == 18
    assert npq.found == sum(label.value for label in labels if label.code == "offer.npq") == 12
    assert npq.unreviewed == len(answers) - 18 == 3
    assert npq.low <= npq.expected <= npq.high <= npq.unreviewed
    db = str(trained_project.path)
    out = runner.invoke(cli, ["-p", db, "review", "status", "--unfound", "--format", "csv"])
    assert out.exit_code == 0
    lines = out.output.splitlines()
    assert lines[0] == "code,reviewed,codings_found,unreviewed,expected_unfound,low_90,high_90,share_found"
    assert any(line.startswith("offer.npq,18,12,3,") for line in lines)
    table = runner.invoke(cli, ["-p", db, "review", "status"]).output
    assert "Codings probably still unfound" in table and "probably remain unfound" in table


def test_codebook_show_says_who_proposes_each_code(trained_project, runner):
    db = str(trained_project.path)
    before = runner.invoke(cli, ["-p", db, "codebook", "show"]).output
    assert "Proposed by the rules (no trained model yet" in before and "proposed by the model" not in before
    trained_project.train()
    after = runner.invoke(cli, ["-p", db, "codebook", "show"]).output
    npq = next(line for line in after.splitlines() if "offer.npq" in line)
    trust = next(line for line in after.splitlines() if "culture.trust" in line)
    assert "proposed by the model" in npq and "proposed by the rules" in trust
    assert "for 1 of 3 codes, where it beat the rules out of fold" in after


def test_review_status_says_so_when_every_pair_has_been_judged(trained_project, runner):
    estimates = [e for e in trained_project.unfound_codings() if e is not None]
    assert estimates and not any(e.unreviewed for e in estimates)  # the fixture's reviewers judged everything
    table = runner.invoke(cli, ["-p", str(trained_project.path), "review", "status"]).output
    assert f"Every segment x code pair of the {len(estimates)} codes has been judged: none is left unfound." in table
    assert "probably remain unfound" not in table
