"""Codes that change and keep their work: rename, merge, move, split, from commands and from a file."""

from __future__ import annotations

import sqlite3

import pytest

from qualkit.codechanges import followed_keys
from qualkit.errors import CodebookError, CodeChangeError, QualkitError
from qualkit.records import ChangeKind, CodeChange, Verdict
from tests.conftest import DATA
from tests.review.conftest import TRANSCRIPT

MINI = DATA / "mini_codebook.yaml"


@pytest.fixture
def coded(project, tmp_path):
    """The mini codebook over one transcript: offer.npq and offer.ecte on segment 1, culture.trust on 4."""
    path = tmp_path / "leader.txt"
    path.write_text(TRANSCRIPT, encoding="utf-8")
    project.ingest([path])
    project.code(codebook_path=MINI)
    return project


def ids(project) -> dict[str, int]:
    return {row["code"]: row["id"] for row in project.suggestions()}


def statuses(project, reviewer: str) -> dict[str, str]:
    return {row["code"]: row["status"] for row in project.suggestions(reviewers=[reviewer])}


def edited(tmp_path, old: str, new: str, name: str = "edited.yaml"):
    path = tmp_path / name
    path.write_text(MINI.read_text(encoding="utf-8").replace(old, new), encoding="utf-8")
    return path


def test_codechanges_renamed_from_in_the_file_keeps_codings_and_nothing_to_review_again(coded, tmp_path):
    """The issue's report: rename a code in the YAML, load, code again."""
    before = ids(coded)
    coded.decide("alice", accept=list(before.values()))
    path = edited(tmp_path, "      - key: culture.trust\n",
                  "      - key: culture.relational_trust\n        renamed_from: culture.trust\n")
    loaded = coded.load_codebook(path)
    assert loaded.id == 2 and loaded.codebook.version == 2  # one numbering: the stored version
    [change] = loaded.changes
    assert (change.kind, change.old_keys, change.new_key) == (ChangeKind.RENAME, ("culture.trust",),
                                                              "culture.relational_trust")
    assert change.counts["suggestions"] == 1 and change.counts["decisions"] == 1
    report = coded.code()
    assert report.new == 0  # nothing proposed again under the new key
    assert statuses(coded, "alice") == {"offer.npq": "accepted", "offer.ecte": "accepted",
                                        "culture.relational_trust": "accepted"}
    assert ids(coded)["culture.relational_trust"] == before["culture.trust"]  # the same suggestion, decisions and all
    assert coded.store.queue.count_pending("alice") == 0
    frame = coded.codings()
    assert set(frame["code"]) == {"offer.npq", "offer.ecte", "culture.relational_trust"}


def test_codechanges_rename_command_writes_a_version_with_history(coded):
    coded.decide("alice", accept=[ids(coded)["culture.trust"]])
    memo = coded.add_memo(code="culture.trust", author="amira", text="Trust reads as autonomy.")
    report = coded.rename_code("culture.trust", "culture.relational_trust")
    assert report.codebook_id == 2 and report.created
    assert [c.describe() for c in report.changes] == ["renamed culture.trust to culture.relational_trust"]
    assert report.changes[0].counts["memos"] == 1
    _, codebook = coded.codebook()
    assert "culture.trust" not in codebook.keys and codebook.code("culture.relational_trust").renamed_from == \
        "culture.trust"
    assert codebook.version == 2 and "version: 2\n" in codebook.source
    assert [link.source for link in codebook.links] == ["offer"]
    assert coded.memo(memo.id).target.code == "culture.relational_trust"
    assert [c.codebook_id for c in coded.code_changes()] == [2]
    assert statuses(coded, "alice")["culture.relational_trust"] == "accepted"


def test_codechanges_rename_points_out_wording_that_names_the_old_key(coded, tmp_path):
    wording = "        definition: ECF.\n        exclude: [trust in mentors (use culture.trust)]\n"
    path = edited(tmp_path, "        definition: ECF.\n", wording)
    coded.load_codebook(path)
    report = coded.rename_code("culture.trust", "culture.relational_trust")
    assert report.warnings == ("code 'offer.ecte' mentions 'culture.trust' in its exclude; update the wording",)


def test_codechanges_rename_a_theme_renames_the_codes_keyed_under_it(coded):
    report = coded.rename_code("culture", "school_culture")
    assert {(c.old_keys, c.new_key) for c in report.changes} == {
        (("culture",), "school_culture"), (("culture.trust",), "school_culture.trust")
    }
    _, codebook = coded.codebook()
    assert codebook.code("school_culture.trust").parent == "school_culture"
    assert [(link.source, link.target) for link in codebook.links] == [("offer", "school_culture")]
    assert "school_culture.trust" in ids(coded)


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("culture.trsut", "culture.x", "no code 'culture.trsut' in codebook 'Test' (did you mean 'culture.trust'?)"),
        ("culture.trust", "offer.npq", "'offer.npq' is already a code in codebook 'Test'; to combine the two, use "
                                       "`qualkit codebook merge culture.trust offer.npq into offer.npq`"),
        ("culture.trust", "Culture Trust", "'Culture Trust' is not a code key"),
    ],
    ids=["unknown", "taken", "malformed"],
)
def test_codechanges_rename_refusals_change_nothing(coded, old, new, message):
    with pytest.raises(QualkitError) as refused:
        coded.rename_code(old, new)
    assert message in str(refused.value)
    assert [v.id for v in coded.codebook_versions()] == [1] and coded.code_changes() == []


def _decisions_table(project) -> list[tuple]:
    return project.store._db.conn.execute("SELECT * FROM decisions ORDER BY id").fetchall()


def test_codechanges_merge_keeps_every_decision_and_derives_the_merged_verdicts(coded):
    """offer.npq and offer.ecte are both rule suggestions on segment 1: merged, they are one
    (segment, code, source). Every decision stays as it was; where a reviewer's verdict on the merged
    code differs from their verdict on the suggestion that stays, one is appended, saying why."""
    found = ids(coded)
    npq, ecte = found["offer.npq"], found["offer.ecte"]
    coded.decide("alice", accept=[npq], reject=[ecte])
    coded.decide("bob", reject=[npq], accept=[ecte])
    coded.decide("carol", reject=[npq, ecte])
    coded.decide("dave", accept=[ecte])
    before = _decisions_table(coded)
    report = coded.merge_codes(["offer.ecte"], "offer.npq")
    [change] = report.changes
    assert change.kind is ChangeKind.MERGE and change.counts["merged"] == 1 and change.counts["derived"] == 2
    after = _decisions_table(coded)
    assert after[: len(before)] == before  # nothing changed or removed
    derived = coded.store.decisions.log(suggestion_ids=[npq])[-2:]
    assert [(d.reviewer, d.verdict) for d in derived] == [("bob", Verdict.ACCEPT), ("dave", Verdict.ACCEPT)]
    assert derived[0].via.startswith(f"code change {change.id}: merged offer.ecte into offer.npq (from decisions ")
    assert ids(coded) == {"offer.npq": npq, "culture.trust": found["culture.trust"]}  # ecte's suggestion absorbed
    assert coded.store.suggestions.merged_into(ecte) == npq
    assert {name: statuses(coded, name)["offer.npq"] for name in ("alice", "bob", "carol", "dave")} == {
        "alice": "accepted", "bob": "accepted", "carol": "rejected", "dave": "accepted"}
    # the absorbed suggestion is in no queue and cannot be decided any more
    assert coded.store.queue.count_pending("erin") == 2
    with pytest.raises(Exception, match=f"no suggestion with id {ecte}"):
        coded.decide("erin", accept=[ecte])
    # undo reverses what a reviewer did, not what the merge derived for them
    undone = coded.undo("bob")
    assert undone is not None and undone.via == "decide"


def test_codechanges_merge_refusals(coded):
    with pytest.raises(CodeChangeError, match="'offer' has codes under it"):
        coded.merge_codes(["offer"], "culture")
    with pytest.raises(CodeChangeError, match="'culture' is a theme that is not applied to text"):
        coded.merge_codes(["offer.npq"], "culture")
    with pytest.raises(CodeChangeError, match="name the codes to merge"):
        coded.merge_codes(["offer.npq"], "offer.npq")


def test_codechanges_move_under_a_leaf_keeps_it_codable(coded):
    coded.decide("alice", accept=[ids(coded)["offer.npq"]])
    report = coded.move_code("offer.npq", under="culture.trust")
    assert [c.describe() for c in report.changes] == ["moved offer.npq to culture.trust.npq"]
    _, codebook = coded.codebook()
    moved, host = codebook.code("culture.trust.npq"), codebook.code("culture.trust")
    assert moved.parent == "culture.trust" and moved.stage == "mechanism"  # the new theme's stage
    assert host.codable  # gaining a child does not make it a theme behind the user's back
    assert statuses(coded, "alice")["culture.trust.npq"] == "accepted"
    with pytest.raises(CodeChangeError, match="is already under 'culture.trust'"):
        coded.move_code("culture.trust.npq", under="culture.trust")
    with pytest.raises(CodeChangeError, match="cannot move 'culture' under 'culture.trust'"):
        coded.move_code("culture", under="culture.trust")


def test_codechanges_an_older_copy_of_the_file_is_refused(coded, tmp_path):
    coded.rename_code("culture.trust", "culture.relational_trust")
    old_copy = edited(tmp_path, "name: NPQs", "name: National professional qualifications")
    with pytest.raises(CodeChangeError) as refused:
        coded.load_codebook(old_copy)
    message = str(refused.value)
    assert "code 'culture.trust' was renamed to 'culture.relational_trust' (codebook version 2)" in message
    assert "`qualkit codebook export FILE.yaml`" in message and "renamed_from: culture.relational_trust" in message
    assert [v.id for v in coded.codebook_versions()] == [1, 2]


def test_codechanges_exported_version_loads_as_the_same_codes(coded, tmp_path):
    coded.decide("alice", accept=[ids(coded)["culture.trust"]])
    coded.rename_code("culture.trust", "culture.relational_trust")
    exported = tmp_path / "current.yaml"
    coded.export_codebook(exported)
    assert coded.load_codebook(exported).created is False  # the same content: nothing to do
    text = exported.read_text(encoding="utf-8").replace("name: Trust", "name: Relational trust")
    exported.write_text(text, encoding="utf-8")
    loaded = coded.load_codebook(exported)
    assert loaded.created and loaded.changes == ()  # renamed_from already applied: a no-op, not a warning
    assert not loaded.warnings
    assert statuses(coded, "alice")["culture.relational_trust"] == "accepted"


def test_codechanges_removed_code_warns_and_keeps_its_work(coded, tmp_path):
    text = MINI.read_text(encoding="utf-8")
    start = text.index("      - key: offer.ecte")
    path = tmp_path / "fewer.yaml"
    path.write_text(text[:start] + text[text.index("  - key: culture\n"):], encoding="utf-8")
    loaded = coded.load_codebook(path)
    assert [(c.kind, c.old_keys) for c in loaded.changes] == [(ChangeKind.REMOVE, ("offer.ecte",))]
    assert any("code 'offer.ecte' is not in this version: its 1 suggestion(s)" in w for w in loaded.warnings)
    kept = coded.store._db.conn.execute("SELECT COUNT(*) FROM suggestions WHERE code_key = 'offer.ecte'").fetchone()
    assert kept[0] == 1


def test_codechanges_split_from_starts_empty_and_the_old_code_keeps_its_codings(coded, tmp_path):
    coded.decide("alice", accept=[ids(coded)["culture.trust"]])
    path = edited(tmp_path, "toc:\n", "      - key: culture.autonomy\n        name: Autonomy\n"
                                      "        definition: Staff decide how to teach.\n"
                                      "        split_from: culture.trust\ntoc:\n")
    loaded = coded.load_codebook(path)
    assert [c.describe() for c in loaded.changes] == ["split culture.autonomy from culture.trust (starts empty)"]
    assert statuses(coded, "alice") == {"offer.npq": "pending", "offer.ecte": "pending", "culture.trust": "accepted"}


@pytest.mark.parametrize(
    ("code_text", "message"),
    [
        ("        renamed_from: offer.npq\n", "renamed_from 'offer.npq', but 'offer.npq' is still in this file"),
        ("        split_from: culture.gone\n", "split_from 'culture.gone' is not in this file"),
        ("        merged_from: [Not A Key]\n", "'merged_from' must be a list of code keys"),
    ],
    ids=["renamed-from-still-there", "split-from-gone", "malformed"],
)
def test_codechanges_history_fields_are_checked_with_file_and_line(tmp_path, code_text, message):
    from qualkit.codebook import load_codebook

    path = edited(tmp_path, "      - key: culture.trust\n", "      - key: culture.trust\n" + code_text)
    with pytest.raises(CodebookError, match=message) as refused:
        load_codebook(path, compile_patterns=False)
    assert str(refused.value).startswith(f"{path}:")


def _change(number: int, kind: ChangeKind, old: tuple[str, ...], new: str, codebook_id: int) -> CodeChange:
    return CodeChange(number, codebook_id, kind, old, new, {}, "command", "")


def test_codechanges_followed_keys_chain_renames_and_drop_merged_codes():
    history = [
        _change(1, ChangeKind.RENAME, ("a.x",), "a.y", 2),
        _change(2, ChangeKind.MOVE, ("a.y",), "b.y", 3),
        _change(3, ChangeKind.RENAME, ("c.p",), "c.q", 3),
        _change(4, ChangeKind.MERGE, ("c.q", "c.r"), "c.s", 4),
        _change(5, ChangeKind.SPLIT, ("b.y",), "b.z", 5),
    ]
    assert followed_keys(history) == {"a.x": "b.y", "a.y": "b.y"}


def test_codechanges_model_trained_before_a_rename_proposes_the_new_key(coded):
    from qualkit.codechanges import follow_model
    from qualkit.records import ModelInfo
    from qualkit.suggest.scorer import CodeChoice, CodeSource, Scorer, ScorerOptions

    choice = CodeChoice("culture.trust", CodeSource.MODEL, positives=10, negatives=10, reason="won")
    classifier = object()
    trained = Scorer(features=object(), models={"culture.trust": classifier}, choices={"culture.trust": choice},
                     options=ScorerOptions(), global_cutoff=0.5, training_size=20, codes=("culture.trust",))
    info = ModelInfo(1, 1, "consensus:any", 10, {}, {}, "test", "")
    coded.rename_code("culture.trust", "culture.relational_trust")
    mapping = followed_keys(coded.store.code_changes.log(after_codebook=info.codebook_id))
    _, followed = follow_model((info, trained), mapping)
    assert followed.codes == ("culture.relational_trust",) and followed.model_codes == ("culture.relational_trust",)
    assert followed.models["culture.relational_trust"] is classifier
    assert followed.choices["culture.relational_trust"].code == "culture.relational_trust"
    assert trained.codes == ("culture.trust",)  # the stored model is not changed


def test_codechanges_agreement_groups_by_the_current_code(coded):
    found = ids(coded)
    coded.decide("alice", accept=[found["culture.trust"]], reject=[found["offer.npq"]])
    coded.decide("bob", accept=[found["culture.trust"], found["offer.npq"]])
    coded.rename_code("culture.trust", "culture.relational_trust")
    table = coded.agreement().report.pairs
    assert "culture.relational_trust" in set(table["code"]) and "culture.trust" not in set(table["code"])


def test_codechanges_history_is_append_only(coded):
    coded.rename_code("culture.trust", "culture.relational_trust")
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        coded.store._db.conn.execute("UPDATE code_changes SET new_key = 'x'")
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        coded.store._db.conn.execute("DELETE FROM code_changes")
