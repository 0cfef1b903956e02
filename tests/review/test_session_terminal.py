"""Drive `qualkit review` through a real pseudo-terminal, key by key."""

import re
import signal
import sys

import pexpect
import pytest

from qualkit.project import Project

PROMPT = r"\[q\]uit > "
ANSI = re.compile(r"\x1b\[[0-9;]*m")


def plain(text: str) -> str:
    """What a reader sees: the text without colour codes."""
    return ANSI.sub("", text)


def spawn(db, *args):
    child = pexpect.spawn(
        sys.executable, ["-m", "qualkit", "-p", str(db), "review", "--reviewer", "alice", *args],
        encoding="utf-8", timeout=30, dimensions=(50, 200),
    )
    child.delaybeforesend = 0.3  # a key sent before getchar puts the terminal in raw mode is flushed away
    child.expect(PROMPT)
    return child


def statuses(db):
    with Project.open(db) as project:
        return {(r["segment"], r["code"], r["source"]): r["reviewer:alice"] if "reviewer:alice" in r else "pending"
                for r in project.suggestions()}


@pytest.fixture
def db(reviewed):
    path = reviewed.path
    reviewed.close()
    return path


def test_accept_reject_undo_note_add_quit_and_resume(db):
    child = spawn(db)
    assert "0 done · 3 remaining" in child.before
    assert "Code: offer.ecte" in child.before and "Definition: ECF." in child.before
    assert "Why: rule: matched “mentor" in child.before  # the words in the text, with their offsets
    assert "mentor*" not in child.before  # never the pattern's source
    child.send("a")                      # accept offer.ecte
    child.expect(PROMPT)
    assert "1 done · 2 remaining" in child.before and "Code: offer.npq" in child.before
    child.send("n")
    child.expect("note")
    child.sendline("clear NPQ reference")
    child.expect("note kept")
    child.expect(PROMPT)                 # the same suggestion again, note pending
    child.send("r")                      # reject offer.npq, with the note
    child.expect(PROMPT)
    child.send("u")                      # undo: offer.npq comes back
    child.expect(PROMPT)
    assert "undid reject of suggestion" in child.before and "Code: offer.npq" in child.before
    child.send("a")
    child.expect(PROMPT)
    child.send("c")                      # add a code by hand, completed from a prefix
    child.expect("code key")
    child.sendline("offer.i")
    child.expect_exact("no single code starts with 'offer.i': none")
    child.expect(PROMPT)
    assert "Code: culture.trust" in child.before
    child.send("c")
    child.expect("code key")
    child.sendline("offer.n")
    child.expect("added offer.npq to this segment")
    child.expect(PROMPT)
    child.send("q")
    child.expect(pexpect.EOF)
    assert "Decided 2 this session" in child.before
    child.close()
    assert child.exitstatus == 0

    with Project.open(db) as project:
        decisions = [(d.verdict.value, d.note) for d in project.store.decisions.log(reviewer="alice")]
        assert decisions == [("accept", None), ("reject", "clear NPQ reference"), ("undo", None),
                             ("accept", None), ("accept", None)]
        manual = [(r["segment"], r["code"]) for r in project.suggestions() if r["source"] == "manual"]
        assert manual == [(4, "offer.npq")]

    resumed = spawn(db)                  # resumes with what alice has not decided
    assert "Code: culture.trust" in resumed.before and "rule" in resumed.before
    resumed.send("s")
    resumed.expect("Nothing left to review")
    resumed.expect(pexpect.EOF)


def test_kill_between_decisions_loses_nothing(db):
    child = spawn(db)
    child.send("a")
    child.expect(PROMPT)
    child.send("r")
    child.expect(PROMPT)
    child.kill(signal.SIGKILL)
    child.close()
    with Project.open(db) as project:
        assert [d.verdict.value for d in project.store.decisions.log(reviewer="alice")] == ["accept", "reject"]
    again = spawn(db)
    assert "2 done · 1 remaining" in again.before
    again.send("q")
    again.expect(pexpect.EOF)


def test_help_and_unknown_keys(db):
    child = spawn(db, "--code", "culture")
    child.send("?")
    child.expect("a accept")
    child.send("x")
    child.expect("unknown key 'x'")
    child.send("q")
    child.expect(pexpect.EOF)


def test_blind_by_default_others_on_request(db):
    with Project.open(db) as project:
        first = project.suggestions()[0]["id"]
        project.decide("bob", reject=[first])
    blind = spawn(db)
    assert "bob" not in blind.before and "Other reviewers" not in blind.before
    blind.send("q")
    blind.expect(pexpect.EOF)
    seeing = spawn(db, "--show-others")
    assert "Other reviewers: bob: reject" in seeing.before
    seeing.send("q")
    seeing.expect(pexpect.EOF)


def test_memos_shown_with_the_item_and_written_with_m(db):
    with Project.open(db) as project:
        project.add_memo(code="offer", author="ben", text="The offer theme: read with the policy documents.")
        project.add_memo(document="leader.txt", author="ben", title="Audio", text="Poor audio after 10 minutes.")
    child = spawn(db)
    child.delaybeforesend = 0.3  # a key sent before getchar puts the terminal in raw mode is flushed away
    assert "Code: offer.ecte" in plain(child.before)
    assert "✎ code offer · ben: The offer theme: read with the policy documents." in plain(child.before)
    assert "✎ document leader.txt · ben · Audio: Poor audio after 10 minutes." in plain(child.before)
    child.send("m")
    child.expect_exact("memo on: [s] segment 1 · [c] code offer.ecte · [d] leader.txt (Enter: segment) > ")
    child.send("c")
    child.expect("memo \\(one line")
    child.sendline("Mentoring here is the ECF's, not ITT's.")
    child.expect_exact("wrote memo 3 on code offer.ecte")
    child.expect(PROMPT)  # the same item again, with the new memo first among the code's
    shown = plain(child.before)
    assert "Code: offer.ecte" in shown
    assert shown.index("✎ code offer.ecte · alice: Mentoring here") < shown.index("✎ code offer ·")
    child.send("m")
    child.expect("Enter: segment")
    child.send("\r")
    child.expect("memo \\(one line")
    child.sendline("")                   # an empty memo is no memo
    child.expect_exact("no memo written")
    child.expect(PROMPT)
    child.send("m")
    child.expect("Enter: segment")
    child.send("\r")
    child.sendline("Is weekly true? Ask the ECT.")
    child.expect_exact("wrote memo 4 on segment 1 of leader.txt")
    child.expect(PROMPT)
    assert "… and 1 more memo(s): qualkit memo list -d leader.txt --code offer.ecte" in plain(child.before)
    child.send("q")
    child.expect(pexpect.EOF)
    with Project.open(db) as project:
        assert [(str(m.target), m.author, m.text) for m in project.memos()][2:] == [
            ("code offer.ecte", "alice", "Mentoring here is the ECF's, not ITT's."),
            ("segment 1 of leader.txt", "alice", "Is weekly true? Ask the ECT.")]
        assert [d.verdict.value for d in project.store.decisions.log(reviewer="alice")] == []  # memos decide nothing


def test_passage_review_memo_on_a_code_asked_with_completion(db):
    child = pexpect.spawn(sys.executable, ["-m", "qualkit", "-p", str(db), "review", "--reviewer", "alice",
                                           "--passages"], encoding="utf-8", timeout=30, dimensions=(50, 200))
    child.delaybeforesend = 0.3
    child.expect(r"\[q\]uit > ")
    child.send("m")
    child.expect_exact("[c] a code")
    child.send("c")
    child.expect("code key \\(Tab completes, Enter: offer.")
    child.sendline("culture.tr")
    child.expect("memo \\(one line")
    child.sendline("Trust is implied by weekly mentoring?")
    child.expect_exact("wrote memo 1 on code culture.trust")
    child.expect(r"\[q\]uit > ")
    child.send("q")
    child.expect(pexpect.EOF)
    with Project.open(db) as project:
        [memo] = project.memos()
        assert (str(memo.target), memo.author) == ("code culture.trust", "alice")


def test_passages_coded_fully_then_undo_brings_the_passage_back(db):
    child = spawn(db, "--passages")
    child.delaybeforesend = 0.3  # a key sent before getchar puts the terminal in raw mode is flushed away
    assert "0 segments done · 2 to go" in child.before and "leader.txt · segment 1" in child.before
    child.send("1")  # accept the first code proposed
    child.expect(PROMPT)
    child.send("d")  # coded fully: the other code rejected, a coverage mark appended
    child.expect(PROMPT)
    assert "1 segment done · 1 to go" in child.before and "segment 4" in child.before
    child.send("u")
    child.expect(PROMPT)
    assert "withdrew the fully-coded mark" in child.before and "leader.txt · segment 1" in child.before
    child.send("q")
    child.expect(pexpect.EOF)
    with Project.open(db) as project:
        marks = [(m.covered, m.via) for m in project.store.coverage.log()]
        verdicts = [(d.verdict.value, d.via) for d in project.store.decisions.log(reviewer="alice")]
    assert marks == [(True, "passage"), (False, "passage undo")]
    assert verdicts == [("accept", "passage"), ("reject", "passage")]


def test_a_key_sent_with_enter_is_that_key_and_a_bare_enter_is_ignored(db):
    child = spawn(db, "--passages")
    child.send("\r")                     # a bare Enter: nothing happens, no "unknown key"
    child.send("x\r")                    # a key and Enter in one read, as tmux or a fast typist sends them
    child.expect("unknown key 'x';")
    assert "\\r" not in child.before and "unknown key '\\r'" not in plain(child.before)
    child.expect(PROMPT)
    child.send("1\r")                    # accept the first proposal, Enter and all
    child.expect(PROMPT)
    assert "unknown key" not in child.before
    child.send("q\r")
    child.expect(pexpect.EOF)
    assert "Decided 1 this session" in child.before
    child.close()
    assert child.exitstatus == 0
