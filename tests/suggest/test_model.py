"""The classifier on a small real project: labels, training, grouped CV, suggesting, evaluating."""

import pytest

from qualkit.cli import cli
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


@pytest.fixture
def trained_project(project, tmp_path):
    """Three schools; every turn reviewed: NPQ turns accepted, others coded by hand as nothing."""
    folder = tmp_path / "interviews"
    folder.mkdir()
    for school in range(3):
        answers = [t.replace("our", f"school {school}'s") for t in NPQ_TURNS[school * 2:school * 2 + 2]]
        answers += OTHER_TURNS[school * 2:school * 2 + 2] + NPQ_TURNS[(school * 2 + 2) % 6:(school * 2 + 2) % 6 + 2]
        (folder / f"school{school}.txt").write_text(transcript(answers), encoding="utf-8")
    project.ingest([folder])
    project.code(codebook_path=DATA / "mini_codebook.yaml", include_interviewer=False)
    # rules proposed offer.npq on NPQ turns; accept those; reject culture.trust / ecte noise;
    # the other turns were read and coded fully with nothing: marked so
    for row in project.suggestions():
        if row["code"] == "offer.npq":
            project.decide("ann", accept=[row["id"]])
        else:
            project.decide("ann", reject=[row["id"]])
    for segment in project.segments():
        if segment.speaker == "Headteacher" and "NPQ" not in segment.text:
            project.mark_coded("ann", document=_name(project, segment), segment=segment.ordinal)
    return project


def _name(project, segment):
    return {d.id: d.name for d in project.documents()}[segment.document_id]


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


def test_train_skips_codes_with_too_few_examples(trained_project):
    report = trained_project.train()
    assert "offer.npq" in report.metrics
    assert report.metrics["offer.npq"]["positives"] >= 5 and report.metrics["offer.npq"]["negatives"] >= 5
    assert "culture.trust" in report.skipped and "needs" in report.skipped["culture.trust"]
    info, _ = trained_project.store.models.latest()
    assert info.trained_on == "consensus:any" and info.training_size == report.training_size
    assert info.library.startswith("scikit-learn ")


def test_cross_validation_holds_out_whole_documents(trained_project, monkeypatch):
    from sklearn.model_selection import GroupKFold

    from qualkit.suggest.model import cross_validated_probabilities
    from qualkit.suggest.training import training_set

    data = training_set(trained_project.store, trained_project.codebook()[1])
    seen = []
    original = GroupKFold.split

    def spy(self, X, y=None, groups=None):
        for train_rows, test_rows in original(self, X, y, groups):
            seen.append(({data.groups[r] for r in train_rows}, {data.groups[r] for r in test_rows}))
            yield train_rows, test_rows

    monkeypatch.setattr(GroupKFold, "split", spy)
    probabilities = cross_validated_probabilities(data, ["offer.npq"])
    assert seen and all(not (train & test) for train, test in seen)
    truth, _ = probabilities["offer.npq"]
    assert len(truth) == len(data.labels["offer.npq"]) - sum(1 for g in data.groups if g == -1)


def test_model_suggests_with_probability_and_explanation(trained_project, tmp_path):
    trained_project.train()
    (tmp_path / "new.txt").write_text(
        transcript(["Our assistant head is on the NPQ in leading teacher development.",
                    "The hall floor was polished at half term."]), encoding="utf-8")
    trained_project.ingest([tmp_path / "new.txt"])
    report = trained_project.code(use_rules=False, documents=["new.txt"], threshold=0.5)
    assert report.sources == ("model",) and report.model_version.startswith("model-")
    rows = [r for r in trained_project.suggestions(documents=["new.txt"]) if r["source"] == "model"]
    assert [r["code"] for r in rows] == ["offer.npq"]
    assert rows[0]["segment"] == 1 and 0.5 <= rows[0]["score"] <= 1
    assert "npq" in rows[0]["evidence"].lower() and "(+" in rows[0]["evidence"]


def test_model_never_reproposes_decided_pairs(trained_project):
    trained_project.train()
    before = {(r["segment"], r["document"], r["code"]) for r in trained_project.suggestions()}
    trained_project.code(use_rules=False, threshold=0.0)
    after = [r for r in trained_project.suggestions() if r["source"] == "model"]
    assert not {(r["segment"], r["document"], r["code"]) for r in after} & before


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


def test_evaluate_and_cli(trained_project, runner):
    result = trained_project.evaluate()
    sources = {row["source"] for row in result.rows}
    assert sources == {"rule", "model"}
    rule_npq = next(r for r in result.rows if r["source"] == "rule" and r["code"] == "offer.npq")
    assert rule_npq["recall"] == 1.0  # every accepted NPQ turn was proposed by a rule
    assert result.curve and result.curve[-1]["labelled_segments"] > result.curve[0]["labelled_segments"]

    db = str(trained_project.path)
    out = runner.invoke(cli, ["-p", db, "train"])
    assert out.exit_code == 0, out.output
    assert "Trained model" in out.output and "skipped culture.trust:" in out.output
    out = runner.invoke(cli, ["-p", db, "evaluate", "--no-curve", "--format", "csv"])
    assert out.output.splitlines()[0] == "table,source,code,precision,recall,f1,kappa,n,positives"
    out = runner.invoke(cli, ["-p", db, "code", "--threshold", "offer.npq=1.5"])
    assert out.exit_code == 2 and "between 0 and 1" in out.output
