"""Every hostile file in the corpus gets a clean, specific answer in bounded time and memory.

Each case runs in its own process (so a hang or a blow-up cannot take the test run with it, and
peak memory is the case's own): the library call that would read the file must raise the
expected QualkitError with a one-line message naming the problem, or succeed cleanly. Bounds are
generous on purpose; the measured figures are in benchmarks/README.md ("Reliability").
"""

import json
import subprocess
import sys

import pytest

from tests.conftest import ROOT
from tests.reliability.corpus import CORPUS

TIMEOUT_SECONDS = 300  # a hang, not a slow machine, is what this catches
MAX_RSS_MB = 1024


@pytest.mark.parametrize("index", range(len(CORPUS)), ids=[case.name for case in CORPUS])
def test_hostile_file_is_handled_cleanly(tmp_path, index):
    case = CORPUS[index]
    path = case.build(tmp_path)
    done = subprocess.run(
        [sys.executable, "-m", "tests.reliability.runner", str(index), str(path)],
        capture_output=True, text=True, timeout=TIMEOUT_SECONDS, cwd=ROOT,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    if case.expect is None:
        assert result["outcome"] == "ok", result
    else:
        assert (result["outcome"], result["error"]) == ("refused", case.expect), result
        assert "\n" not in result["message"] and "Traceback" not in result["message"]
    assert case.message in result["message"], result
    assert result["peak_rss_mb"] < MAX_RSS_MB, result
