"""Hostile documents in a real run: each is stored as failed with its reason, quickly, and the good files of the
same run are processed and stored."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tandem.cli import app
from tests.flows.ingest.test_documents import HOSTILE_FAILURES, hostile_folder

pytestmark = pytest.mark.slow
runner = CliRunner()


def test_hostile_documents_fail_with_reasons_and_the_good_ones_are_stored(tmp_path: Path,
                                                                           prefect_harness: None) -> None:
    (tmp_path / "docs").mkdir()
    folder = hostile_folder(tmp_path / "docs")
    url = f"sqlite:///{tmp_path / 'r.db'}"
    started = time.perf_counter()
    done = runner.invoke(app, ["run", str(folder), "--pipeline", "ner", "--db", url, "--format", "none"])
    took = time.perf_counter() - started
    assert done.exit_code == 3, done.stderr
    assert took < 120, f"the run took {took:.0f} s"
    records = {Path(r["source"]).name: r
               for r in json.loads(runner.invoke(app, ["results", "--db", url, "--format", "json"]).stdout)["documents"]}
    for name, (kind, message) in HOSTILE_FAILURES.items():
        [failure] = records[name]["failures"]
        assert (records[name]["status"], failure["kind"], failure["message"]) == ("failed", kind, message), name
    for name in ("good.pdf", "good.docx", "good.html"):
        assert records[name]["status"] == "ok" and records[name]["entities"], name
    assert records["good.pdf"]["entities"][0]["page"] == 1
    assert records["good.png"]["status"] == "failed"  # an image needs OCR: the 'ner' pipeline says so
