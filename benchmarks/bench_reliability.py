"""Faults injected into real qualkit processes, and concurrent decisions sent, against what survived.

    python benchmarks/bench_reliability.py            # a table per part, and the totals
    python benchmarks/bench_reliability.py --json

On the bundled corpus (ingested, coded and reviewed once, then copied for each case):

* **Kills at named points** (``QUALKIT_FAULT``, see qualkit/faults.py): `code` (pages of 40 segments)
  killed after the k-th page is stored and inside the k-th page's transaction; `review import` of the
  corpus's 1,513 decisions at several rows; `import qdpx` at several codings; five exports with the
  output written but not yet in place.
* **Kills at random moments** (SIGKILL after a seeded random delay): `code`, `review import`, `import
  qdpx`, the Word report, `train`.

A fault is *survived* when, after the kill, SQLite's integrity check passes, what is stored is right
(a subset of the uninterrupted result for `code`; nothing or everything for imports; the old file
or none for exports, no temporary taken for an output), and running the command again ends exactly
where an uninterrupted run ends.

* **Concurrent decisions**: commands started at the same moment (tests/reliability/together.py):
  three identical `review decide` of 300 ids, four `review import` of one sheet, four reviewers
  deciding the same 300 suggestions, four `review undo`. Sent is what the commands carried; stored
  is what the project holds afterwards, against what it should hold.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.reliability.conftest import (  # noqa: E402 - after the path is set
    CODE_IN_PAGES,
    DECISIONS,
    KILLED,
    SUGGESTIONS,
    build_templates,
    integrity,
    kill,
    python,
    qualkit,
    rows,
    start,
    start_python,
    together,
)

DECIDED = "SELECT suggestion_id, reviewer, verdict, COALESCE(note, ''), via FROM decisions ORDER BY id"


def progress(line: str) -> None:
    """What the benchmark is doing, on stderr (stdout is kept for the results)."""
    print(line, file=sys.stderr, flush=True)

def killed_run(project: Path, args: tuple[str, ...], *, point: str, nth: int | None,
               delay: float | None) -> tuple[bool, str]:
    """Run a command killed at the ``nth`` time it reaches ``point``, or ``delay`` seconds after it
    starts; returns whether the kill landed before the command ended, and how it was killed."""
    if nth is not None:
        return qualkit(project, *args, fault=f"{point}@{nth}=kill").returncode == KILLED, f"{point}@{nth}"
    assert delay is not None
    process = start(project, *args)
    time.sleep(delay)
    killed = process.poll() is None
    kill(process)
    return killed, f"after {delay:.1f} s"


@dataclass
class Fault:
    command: str
    how: str  # the fault point, or the random delay
    killed: bool  # the process was still running when the kill came
    survived: bool
    note: str = ""


class Bench:
    def __init__(self, folder: Path):
        self.folder = folder
        (folder / "templates").mkdir()
        self.templates = build_templates(folder / "templates")
        self.expected_suggestions = rows(self.templates.folder / "coded.db", SUGGESTIONS)
        self.expected_decisions = rows(self.templates.folder / "reviewed.db", DECIDED)
        self.cases = 0
        self.faults: list[Fault] = []
        self.qdpx_counts = (0, 0)

    def case(self, stage: str) -> Path:
        self.cases += 1
        folder = self.folder / f"case{self.cases}"
        folder.mkdir()
        return self.templates.copy(stage, folder)

    def record(self, command: str, how: str, killed: bool, check: Callable[[], str | None]) -> None:
        try:
            problem = check()
        except AssertionError as exc:
            problem = str(exc) or "assertion failed"
        self.faults.append(Fault(command, how, killed, problem is None, problem or ""))
        status = "survived" if problem is None else f"LOST: {problem}"
        progress(f"  {command:<16} {how:<28} {'killed' if killed else 'ended first':<12} {status}")

    # -- code --------------------------------------------------------------------------------------

    def code_at(self, point: str) -> None:
        project = self.case("ingested")
        done = python(CODE_IN_PAGES, str(project), fault=f"{point}=kill")
        self.record("code", point, done.returncode == KILLED, lambda: self._code_resumes(project))

    def code_random(self, delay: float) -> None:
        project = self.case("ingested")
        process = start_python(CODE_IN_PAGES, str(project))
        time.sleep(delay)
        killed = process.poll() is None
        kill(process)
        self.record("code", f"after {delay:.1f} s", killed, lambda: self._code_resumes(project))

    def _code_resumes(self, project: Path) -> str | None:
        if integrity(project) != "ok":
            return "integrity check failed"
        if not set(rows(project, SUGGESTIONS)) <= set(self.expected_suggestions):
            return "a suggestion an uninterrupted run does not make"
        again = qualkit(project, "code")
        if again.returncode != 0:
            return again.stderr.strip()[-200:]
        return None if rows(project, SUGGESTIONS) == self.expected_suggestions else "resumed run differs"

    # -- imports -----------------------------------------------------------------------------------

    def review_import(self, *, row: int | None = None, delay: float | None = None) -> None:
        project = self.case("coded")
        args = ("review", "import", str(DECISIONS))
        killed, how = killed_run(project, args, point="review.import.row", nth=row, delay=delay)

        def check() -> str | None:
            if integrity(project) != "ok":
                return "integrity check failed"
            stored = rows(project, DECIDED)
            if stored not in ([], self.expected_decisions):
                return f"{len(stored)} of {len(self.expected_decisions)} decisions: half an import"
            if qualkit(project, *args).returncode != 0 or qualkit(project, *args).returncode != 0:
                return "importing again failed"
            return None if rows(project, DECIDED) == self.expected_decisions else "decisions differ after re-import"

        self.record("review import", how, killed, check)

    def reference_qdpx(self, source: Path) -> None:
        """What an uninterrupted import of ``source`` stores: (documents, decisions)."""
        target = self.folder / "reference.db"
        qualkit(target, "init")
        qualkit(target, "import", "qdpx", str(source))
        self.qdpx_counts = (rows(target, "SELECT COUNT(*) FROM documents")[0][0],
                            rows(target, "SELECT COUNT(*) FROM decisions")[0][0])

    def qdpx_import(self, source: Path, *, coding: int | None = None, delay: float | None = None) -> None:
        self.cases += 1
        target = self.folder / f"case{self.cases}.db"
        qualkit(target, "init")
        args = ("import", "qdpx", str(source))
        killed, how = killed_run(target, args, point="qdpx.import.coding", nth=coding, delay=delay)

        def check() -> str | None:
            if integrity(target) != "ok":
                return "integrity check failed"
            documents = rows(target, "SELECT COUNT(*) FROM documents")[0][0]
            decisions = rows(target, "SELECT COUNT(*) FROM decisions")[0][0]
            if (documents, decisions) == self.qdpx_counts:
                return None  # the import had committed before the kill came: whole
            if (documents, decisions) != (0, 0):
                return f"{documents} documents and {decisions} decisions from a killed import"
            again = qualkit(target, *args)
            if again.returncode != 0:
                return again.stderr.strip()[-200:]
            counts = (rows(target, "SELECT COUNT(*) FROM documents")[0][0],
                      rows(target, "SELECT COUNT(*) FROM decisions")[0][0])
            return None if counts == self.qdpx_counts else f"{counts} after importing again, not {self.qdpx_counts}"

        self.record("import qdpx", how, killed, check)

    # -- exports and train ---------------------------------------------------------------------------

    def export(self, name: str, args: tuple[str, ...], *, delay: float | None = None) -> None:
        project = self.case("reviewed")
        out = project.parent / "out"
        out.mkdir()
        filled = [part.format(out=out) for part in args]
        first = qualkit(project, *filled)
        [output] = list(out.iterdir())
        old = output.read_bytes()
        if delay is None:
            killed = qualkit(project, *filled, fault="export.rename=kill").returncode == KILLED
            how = "export.rename"
        else:
            process = start(project, *filled)
            time.sleep(delay)
            killed = process.poll() is None
            kill(process)
            how = f"after {delay:.1f} s"

        def check() -> str | None:
            if first.returncode != 0:
                return first.stderr.strip()[-200:]
            if output.read_bytes() != old and not _whole(output):
                return "the output is not a whole file"
            others = [path.name for path in out.iterdir() if path != output]
            if any(not name.startswith(".") or not name.endswith(".tmp") for name in others):
                return f"left {others}"
            again = qualkit(project, *filled)
            if again.returncode != 0:
                return again.stderr.strip()[-200:]
            return None if list(out.iterdir()) == [output] else "a temporary was not cleaned up"

        self.record(f"export {name}", how, killed, check)

    def train(self, delay: float) -> None:
        project = self.case("reviewed")
        process = start(project, "train")
        time.sleep(delay)
        killed = process.poll() is None
        kill(process)

        def check() -> str | None:
            if integrity(project) != "ok":
                return "integrity check failed"
            models = rows(project, "SELECT COUNT(*) FROM models")[0][0]
            if killed and models:
                return "a model from a killed train"
            return None if rows(project, DECIDED) == self.expected_decisions else "decisions changed"

        self.record("train", f"after {delay:.1f} s", killed, check)

    # -- concurrency ---------------------------------------------------------------------------------

    def concurrency(self) -> list[dict]:
        results = []
        project = self.case("coded")
        ids = [row[0] for row in rows(project, "SELECT id FROM suggestions WHERE source = 'rule' ORDER BY id")][:300]
        decide = ["review", "decide", "--reviewer", "Zoe", *[part for i in ids for part in ("--accept", str(i))]]
        together(project, [decide] * 3)
        results.append(_tally("3 identical `review decide` of 300 ids", 900, 300,
                              rows(project, "SELECT COUNT(*) FROM decisions WHERE reviewer = 'Zoe'")[0][0]))
        reviewers = [["review", "decide", "--reviewer", f"R{n}", *decide[4:]] for n in range(4)]
        together(project, reviewers)
        results.append(_tally("4 reviewers deciding the same 300 suggestions", 1200, 1200,
                              rows(project, "SELECT COUNT(*) FROM decisions WHERE reviewer LIKE 'R_'")[0][0]))
        undos = together(project, [["review", "undo", "--reviewer", "Zoe"]] * 4)
        undone = {result.stdout.split("suggestion ")[1].split(";")[0] for result in undos if result.returncode == 0}
        results.append(_tally("4 `review undo` at once", 4, 4, len(undone)))
        project = self.case("coded")
        together(project, [["review", "import", str(DECISIONS)]] * 4)
        sheet = len(self.expected_decisions)
        results.append(_tally("4 `review import` of one sheet", 4 * sheet, sheet,
                              rows(project, "SELECT COUNT(*) FROM decisions")[0][0]))
        return results


def _whole(path: Path) -> bool:
    """A zip-based output (.xlsx, .docx, .qdpx) that opens and whose members all check out; any other file."""
    import zipfile

    if path.suffix not in (".xlsx", ".docx", ".qdpx"):
        return True
    try:
        with zipfile.ZipFile(path) as archive:
            return archive.testzip() is None
    except zipfile.BadZipFile:
        return False


def _tally(what: str, sent: int, expected: int, stored: int) -> dict:
    row = {"what": what, "sent": sent, "expected": expected, "stored": stored, "right": stored == expected}
    progress(f"  {what:<48} sent {sent:>5}  stored {stored:>5}  (should be {expected})"
             + ("" if row["right"] else "  WRONG"))
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--json", action="store_true", help="print the results as JSON at the end")
    parser.add_argument("--seed", type=int, default=17)
    options = parser.parse_args()
    chance = random.Random(options.seed)
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as folder:
        bench = Bench(Path(folder))
        progress("Kills at named points:")
        for page in (1, 2, 4, 7, 10, 13):
            bench.code_at(f"code.page@{page}")
            bench.code_at(f"code.page.writing@{page}")
        for row in (1, 300, 700, 1100, 1500):
            bench.review_import(row=row)
        qdpx = bench.templates.folder / "project.qdpx"
        qualkit(bench.templates.folder / "reviewed.db", "export", "qdpx", str(qdpx))
        bench.reference_qdpx(qdpx)
        for coding in (1, 400, 1000):
            bench.qdpx_import(qdpx, coding=coding)
        exports = {
            "codings .xlsx": ("export", "codings", "{out}/codings.xlsx"),
            "suggestions .csv": ("export", "suggestions", "{out}/suggestions.csv"),
            "qdpx": ("export", "qdpx", "{out}/project.qdpx"),
            "review sheet": ("review", "export", "{out}/sheet.xlsx", "--reviewer", "Amira Khan"),
            "Word report": ("report", "{out}/report.docx", "--no-figures", "--listing", "none"),
        }
        for name, args in exports.items():
            bench.export(name, args)
        progress("Kills at random moments:")
        for _ in range(6):
            bench.code_random(chance.uniform(3.0, 9.0))
        for _ in range(4):
            bench.review_import(delay=chance.uniform(1.5, 4.0))
        for _ in range(3):
            bench.qdpx_import(qdpx, delay=chance.uniform(1.5, 5.0))
        for _ in range(3):
            bench.export("Word report", exports["Word report"], delay=chance.uniform(2.0, 8.0))
        for _ in range(2):
            bench.train(chance.uniform(5.0, 20.0))
        progress("Concurrent decisions:")
        concurrent = bench.concurrency()
    faults = bench.faults
    killed = [fault for fault in faults if fault.killed]
    summary = {
        "faults_injected": len(killed), "faults_survived": sum(fault.survived for fault in killed),
        "kills_after_the_end": len(faults) - len(killed),
        "decisions_sent": sum(row["sent"] for row in concurrent if "undo" not in row["what"]),
        "decisions_stored": sum(row["stored"] for row in concurrent if "undo" not in row["what"]),
        "decisions_expected": sum(row["expected"] for row in concurrent if "undo" not in row["what"]),
        "seconds": round(time.perf_counter() - started), "machine": f"{os.cpu_count()} cores, "
        f"Python {platform.python_version()}, load average {os.getloadavg()[0]:.1f} at the end",
    }
    say = progress if options.json else print  # with --json, stdout is the JSON alone
    say(f"\nFaults injected: {summary['faults_injected']}, survived: {summary['faults_survived']} "
          f"({summary['kills_after_the_end']} kills came after the command had ended and are not counted).")
    say(f"Concurrent decisions sent: {summary['decisions_sent']}, stored: {summary['decisions_stored']} "
          f"(should be {summary['decisions_expected']}). {summary['seconds']} s; {summary['machine']}.")
    if options.json:
        print(json.dumps({"summary": summary, "faults": [asdict(fault) for fault in faults],
                          "concurrency": concurrent}, indent=2))


if __name__ == "__main__":
    main()
