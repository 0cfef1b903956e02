"""The in-domain benchmark's passages: paragraphs of the real policy texts in ../shared.

    python benchmarks/policy_passages.py --out /tmp/passages.csv      # with text, for coders (never commit)
    python benchmarks/policy_passages.py --check                       # the gold files still match

The policy texts are ingested exactly as a researcher would (``qualkit ingest --pdf-text``);
every paragraph longer than 80 characters is a passage. A passage is named
``<document>#<start offset>`` and carries the SHA-1 of its text, so a gold file
(``benchmarks/gold/policy_coder_*.csv``: passage, sha1, codes) keeps naming the same words even
if segmentation changes, and ``--check`` says when it no longer does. The texts themselves are
never copied into the project.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
POLICY = Path(os.environ.get("QUALKIT_SHARED", ROOT.parent / "shared")) / "corpora" / "policy"
GOLD = ROOT / "benchmarks" / "gold"
MIN_CHARACTERS = 80


def passages() -> list[dict]:
    """Every passage: passage id, document, start, end, sha1 and text."""
    sys.path.insert(0, str(ROOT))
    from qualkit.project import Project

    if not POLICY.is_dir():
        raise SystemExit(f"no policy texts at {POLICY} (set QUALKIT_SHARED)")
    out = []
    with tempfile.TemporaryDirectory() as folder:
        with Project.init(Path(folder) / "policy.db") as project:
            project.ingest([POLICY], pdf_text=True)
            names = {d.id: d.name for d in project.documents()}
            for segment in project.segments():
                if len(segment.text) <= MIN_CHARACTERS:
                    continue
                document = names[segment.document_id]
                out.append({
                    "passage": f"{document}#{segment.start}", "document": document, "start": segment.start,
                    "end": segment.end, "sha1": hashlib.sha1(segment.text.encode("utf-8")).hexdigest()[:12],
                    "text": segment.text,
                })
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, help="write passages with their text here (outside the repository)")
    parser.add_argument("--check", action="store_true", help="check that every gold file names current passages")
    args = parser.parse_args()
    found = passages()
    if args.out:
        with open(args.out, "w", newline="", encoding="utf-8") as handle:
            writer = csv.DictWriter(handle, fieldnames=list(found[0]))
            writer.writeheader()
            writer.writerows(found)
        print(f"wrote {len(found)} passages to {args.out}")
    if args.check:
        current = {p["passage"]: p["sha1"] for p in found}
        bad = 0
        for gold in sorted(GOLD.glob("policy_coder_*.csv")):
            with open(gold, newline="", encoding="utf-8") as handle:
                for line, row in enumerate(csv.DictReader(handle), start=2):
                    if current.get(row["passage"]) != row["sha1"]:
                        print(f"{gold}:{line}: passage {row['passage']} no longer has sha1 {row['sha1']}")
                        bad += 1
        print("gold files match the passages" if not bad else f"{bad} stale rows")
        raise SystemExit(1 if bad else 0)


if __name__ == "__main__":
    main()
