"""The test suite's own set-up: a run makes its ``TANDEM_HOME`` in the temporary folder and removes it at the end."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def test_a_test_run_removes_the_tandem_home_it_made(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "TANDEM_HOME"}
    env["TMPDIR"] = str(tmp_path)  # where tempfile.mkdtemp makes it
    done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--collect-only",
                           "tests/specialists/test_rouge.py"], cwd=REPO, env=env, capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    assert not list(tmp_path.glob("tandem-test-home-*"))
