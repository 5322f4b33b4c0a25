"""A results database written by an earlier Tandem stays valid: every stored result is found again by its key.

``tests/data/before_one_package.db`` was written on 2026-12-04 (commit 98b37c5, before Tandem became one
``tandem`` package) by ``tandem run examples/docs --llm "fake:A short summary."`` (the default pipeline) and
``tandem run examples/docs --pipeline ner``. A rename of modules, a refactor of stages or a new migration must
not change a result key: the same runs again reuse every result, compute nothing and make no LLM call.
They run on ``tests/data/docs_2026_12_04``, a copy of ``examples/docs`` as those runs read it (the demo's folder has
changed since: its OCR letter is now declared OCR output).

A deliberate change of what a stage outputs changes its key on purpose: cleanup's ``shapes_only_noise``
(v3.1, 2026-12-04) did, so the default pipeline's run is checked on ``default_pipeline_cleanup_v3_1.db``, written
by the same two commands after that change (schema 0007); the older file still checks the ``ner`` pipeline and
the migrations from its schema. ``ner.spacy``'s ``consistency`` (2026-12-05) changed its key too: the older files
now check that only its results are computed again. So did its ``consistency_by_line`` (2026-12-05, later):
``default_pipeline_ner_by_line.db``, written by the same two commands after that change, and
``default_pipeline_ner_consistency.db`` (written after ``consistency``). Cleanup's ``join_broken_words`` (2026-12-05:
a word hyphenated at a line break of OCR output is joined) changed cleanup's key, and with it the keys of the stages
that read its text: ``default_pipeline_broken_words.db``, written by the same two commands after that change, checks
that the default pipeline is reused whole; the older default-pipeline files that their results are all computed
again, by migrating their schema, with no failure."""

from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tandem.cli import app

REPO = Path(__file__).resolve().parents[2]
DATA = REPO / "tests" / "data"
DEFAULT_PIPELINE = {"cleanup", "summarize", "ner.spacy"}


@pytest.mark.slow
@pytest.mark.parametrize(("before", "extra", "changed"), [
    ("default_pipeline_broken_words.db", ["--llm", "fake:A short summary."], set()),
    ("default_pipeline_ner_by_line.db", ["--llm", "fake:A short summary."], DEFAULT_PIPELINE),
    ("default_pipeline_ner_consistency.db", ["--llm", "fake:A short summary."], DEFAULT_PIPELINE),
    ("default_pipeline_cleanup_v3_1.db", ["--llm", "fake:A short summary."], DEFAULT_PIPELINE),
    ("before_one_package.db", ["--pipeline", "ner"], {"ner.spacy"})])
def test_a_database_from_before_is_reused_whole(before: str, extra: list[str], changed: set[str], tmp_path: Path,
                                                prefect_harness: None) -> None:
    """Every stage's results are reused, except those of the stages whose output changed since (``changed``)."""
    db = tmp_path / "before.db"
    shutil.copy(DATA / before, db)
    done = CliRunner().invoke(app, ["run", str(DATA / "docs_2026_12_04"), "--db", f"sqlite:///{db}", "--format",
                                    "none", *extra])
    assert done.exit_code == 0, done.output
    with sqlite3.connect(db) as connection:
        stats = json.loads(connection.execute("SELECT stats FROM pipeline_runs ORDER BY id DESC LIMIT 1")
                           .fetchone()[0])
    stages = stats["stages"]
    assert stages and all(s["failed"] == 0 for s in stages.values()), stages
    assert {name for name, s in stages.items() if s["processed"] == 7 and s["reused"] == 0} == changed, stages
    assert all(s["processed"] == 0 and s["reused"] == 7 for name, s in stages.items() if name not in changed), stages
    if not changed & {"cleanup", "summarize"}:  # nothing an LLM answers is computed again: no LLM call
        assert sum(s.get("usage", {}).get("llm_calls", 0) for s in stages.values()) == 0
