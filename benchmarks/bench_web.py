"""Load on `qualkit serve`: N simulated reviewers reviewing passages at once against a local server.

    python benchmarks/bench_web.py --suggestions 100000 --reviewers 20 --seconds 60 --think 0.5

Builds a project from the generated corpus of bench_code.py with the bundled codebook, and gives
it ``--suggestions`` suggestions: a random codable code on random non-interviewer segments, with a
random score (inserted directly: the benchmark is about serving, not proposing). Adds one
reviewer account per simulated reviewer, starts `qualkit serve --port 0` as its own process, and
runs the reviewers as asyncio tasks with httpx in this process. Each signs in, then until the time
is up reviews passages as a person at the keyboard would: fetches the review page (GET /review:
"next item"; the first after signing in, which opens the reviewer's session, is "first page"),
accepts or rejects the first code on the passage still to decide (POST /review/decide: "decide"),
and when none is left marks the passage coded fully (POST /review/done: "coded fully"), fetching
the page again after each action; it waits a uniformly random 0..2×``--think`` seconds before each
action (0: no pause at all, the server saturated). At the end the decisions and coverage marks
stored in the project are counted and must equal those sent.
Every request goes to 127.0.0.1 only, and the run stops by itself after ``--seconds``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench_code import CODEBOOK, generate  # noqa: E402

PASSWORD = "a long benchmark password"


def build(work: Path, suggestions: int, reviewers: int, seed: int = 7) -> Path:
    from qualkit.project import Project
    from qualkit.store import evidence_json

    (work / "corpus").mkdir()
    generate(work / "corpus", max(200_000, suggestions * 12))
    path = work / "web.db"
    rng = random.Random(seed)
    with Project.init(path) as project:
        project.ingest([work / "corpus"])
        codebook_id = project.load_codebook(CODEBOOK).id
        _, codebook = project.codebook()
        codes = [code.key for code in codebook.codable]
        interviewers = {name.lower() for name in project.interviewer_speakers()}
        segments = [s for s in project.segments() if (s.speaker or "").lower() not in interviewers]
        rows, seen = [], set()
        while len(rows) < suggestions:
            segment, code = rng.choice(segments), rng.choice(codes)
            if (segment.id, code) in seen:
                continue
            seen.add((segment.id, code))
            start = rng.randrange(segment.start, max(segment.start + 1, segment.end - 12))
            evidence = evidence_json([(start, min(segment.end, start + 12), "benchmark")])
            rows.append((segment.id, code, "rule", round(rng.random(), 3), evidence))
        project.store.suggestions.insert_rows(rows, codebook_id=codebook_id, run_id=None)
        for number in range(reviewers):
            invitation = project.add_user(f"reviewer{number:02d}")
            project.change_password(invitation.account, current=invitation.password, new=PASSWORD)
    return path


_CSRF = re.compile(r'name="csrf" value="([^"]+)"')
_SEGMENT = re.compile(r'name="segment" value="(\d+)"')
_PENDING = re.compile(r'name="decision" value="accept:(\d+):pending"')


async def reviewer(url: str, name: str, deadline: float, think: float, seed: int,
                   timings: dict[str, list[float]], sent: dict[str, dict[str, int]]) -> None:
    import httpx

    rng = random.Random(seed)
    async with httpx.AsyncClient(base_url=url, follow_redirects=False, timeout=30) as client:
        page = await client.get("/login")
        signed = await client.post("/login", data={"csrf": _CSRF.search(page.text).group(1), "name": name,
                                                   "password": PASSWORD, "next": "/review"})
        assert signed.status_code == 303, signed.text
        first = True
        while time.monotonic() < deadline:
            began = time.perf_counter()
            page = await client.get("/review")
            # the first page opens the reviewer's session (and everyone signs in at once): kept apart
            timings["first page" if first else "next item"].append(time.perf_counter() - began)
            first = False
            assert page.status_code == 200, page.status_code
            segment = _SEGMENT.search(page.text)
            if segment is None:
                break  # nothing left for this reviewer
            if think:
                await asyncio.sleep(rng.uniform(0, 2 * think))
            form = {"csrf": _CSRF.search(page.text).group(1), "segment": segment.group(1)}
            pending = _PENDING.search(page.text)
            began = time.perf_counter()
            if pending:
                verdict = "accept" if rng.random() < 0.7 else "reject"
                done = await client.post("/review/decide", data={
                    **form, "decision": f"{verdict}:{pending.group(1)}:pending"})
                timings["decide"].append(time.perf_counter() - began)
                sent[name]["decisions"] += 1
            else:
                done = await client.post("/review/done", data=form)
                timings["coded fully"].append(time.perf_counter() - began)
                sent[name]["marks"] += 1
            assert done.status_code == 303, done.status_code


def _percentiles(values: list[float]) -> dict[str, float]:
    if not values:
        return {}
    cuts = statistics.quantiles(values, n=100, method="inclusive")
    return {"n": len(values), "p50_ms": round(cuts[49] * 1000, 1), "p95_ms": round(cuts[94] * 1000, 1),
            "max_ms": round(max(values) * 1000, 1)}


async def run(url: str, reviewers: int, seconds: float, think: float) -> tuple[dict, dict[str, dict[str, int]]]:
    timings: dict[str, list[float]] = {"first page": [], "next item": [], "decide": [], "coded fully": []}
    sent = {f"reviewer{n:02d}": {"decisions": 0, "marks": 0} for n in range(reviewers)}
    deadline = time.monotonic() + seconds
    await asyncio.gather(*(reviewer(url, name, deadline, think, n, timings, sent) for n, name in enumerate(sent)))
    return {what: _percentiles(values) for what, values in timings.items()}, sent


def _cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a process so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _stored(path: Path, reviewers: int) -> dict[str, dict[str, int]]:
    """Passage review decisions and coverage marks stored per simulated reviewer."""
    from qualkit.project import Project

    stored = {f"reviewer{n:02d}": {"decisions": 0, "marks": 0} for n in range(reviewers)}
    with Project.open(path) as project:
        for decision in project.store.decisions.log():
            if decision.reviewer in stored and decision.via == "passage":
                stored[decision.reviewer]["decisions"] += 1
        for mark in project.store.coverage.log():
            if mark.reviewer in stored and mark.covered:
                stored[mark.reviewer]["marks"] += 1
    return stored


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--suggestions", type=int, default=100_000)
    parser.add_argument("--reviewers", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--think", type=float, default=0.5, help="mean pause between items (s); 0 = none")
    parser.add_argument("--project", type=Path, help="reuse a project built by an earlier run (with --keep)")
    parser.add_argument("--keep", type=Path, help="copy the built project here for later runs")
    options = parser.parse_args()
    from qualkit.project import Project

    with tempfile.TemporaryDirectory() as scratch:
        if options.project:
            path = Path(scratch) / "web.db"
            import shutil

            shutil.copyfile(options.project, path)
        else:
            began = time.perf_counter()
            path = build(Path(scratch), options.suggestions, options.reviewers)
            print(f"built the project in {time.perf_counter() - began:.0f} s", file=sys.stderr)
            if options.keep:
                import shutil

                shutil.copyfile(path, options.keep)
        before = _stored(path, options.reviewers)
        server = subprocess.Popen([sys.executable, "-m", "qualkit", "-p", str(path), "serve", "--port", "0"],
                                  stdout=subprocess.PIPE, text=True)
        try:
            url = re.search(r"at (http://\S+/) ", server.stdout.readline()).group(1)
            server_cpu = _cpu_seconds(server.pid)
            client_cpu = time.process_time()
            latency, sent = asyncio.run(run(url, options.reviewers, options.seconds, options.think))
            server_cpu = _cpu_seconds(server.pid) - server_cpu
            client_cpu = time.process_time() - client_cpu
        finally:
            server.terminate()
            server.wait(timeout=30)
        after = _stored(path, options.reviewers)
        stored = {name: {what: after[name][what] - before[name][what] for what in after[name]} for name in sent}
        with Project.open(path) as project:
            total = project.store.queue.count_in_filter()
            began = time.perf_counter()  # what the adjudication page then lists (on the server's slow thread)
            disputes = project.disputes()
            listed_in = time.perf_counter() - began
    actions = sum(mine["decisions"] + mine["marks"] for mine in sent.values())
    print(json.dumps({
        "suggestions": total, "reviewers": options.reviewers, "seconds": options.seconds, "think_s": options.think,
        "decisions_sent": sum(mine["decisions"] for mine in sent.values()),
        "decisions_stored": sum(mine["decisions"] for mine in stored.values()),
        "marks_sent": sum(mine["marks"] for mine in sent.values()),
        "marks_stored": sum(mine["marks"] for mine in stored.values()),
        "per_reviewer_equal": sent == stored, "actions_per_s": round(actions / options.seconds, 1),
        # CPU the server process used per action (one next item + one decide or coded fully), and the
        # simulated reviewers' own CPU: on a shared machine this says more than wall-clock latency alone
        "server_cpu_ms_per_action": round(server_cpu * 1000 / max(1, actions), 2),
        "client_cpu_ms_per_action": round(client_cpu * 1000 / max(1, actions), 2),
        "load_average_1min": round(os.getloadavg()[0], 1),
        "disagreements": len(disputes),
        "disagreements_by_coverage": sum(any(v.implied for v in d.verdicts) for d in disputes),
        "disagreements_listed_in_s": round(listed_in, 2),
        **{f"{what}": numbers for what, numbers in latency.items()},
    }, indent=1))


if __name__ == "__main__":
    main()
