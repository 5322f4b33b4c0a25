"""The sample documents' generator (README: ``examples/make_documents.py``) writes what the readers expect."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tandem.flows.ingest import iter_inputs

REPO = Path(__file__).resolve().parents[1]


def test_make_documents_writes_the_three_samples(tmp_path: Path) -> None:
    pytest.importorskip("fpdf")
    done = subprocess.run([sys.executable, str(REPO / "examples" / "make_documents.py"), "--out", str(tmp_path)],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    items = {Path(item.record.source).name: item for item in iter_inputs([tmp_path])}
    assert set(items) == {"grant_agreement.pdf", "scanned_letter.pdf", "harbour_minutes.docx"}
    assert all(item.failure is None for item in items.values())
    assert items["scanned_letter.pdf"].record.metadata["needs_ocr"] == [1]
    assert len(items["grant_agreement.pdf"].record.metadata["pages"]) == 2
    # the committed samples are the script's output
    for name in ("grant_agreement.pdf", "scanned_letter.pdf"):
        assert (tmp_path / name).read_bytes() == (REPO / "examples" / "documents" / name).read_bytes()


@pytest.mark.slow
def test_the_demo_corrects_its_ocr_letter_and_no_word_of_the_born_digital_samples(tmp_path: Path,
                                                                                    prefect_harness: None) -> None:
    """``make demo``'s folder: the letter declared OCR output gets the corrector, the other samples keep every word."""
    import json

    from typer.testing import CliRunner

    from tandem.cli import app

    done = CliRunner().invoke(app, ["run", str(REPO / "examples" / "docs"), "--pipeline", "clean", "--llm",
                                    "fake:x", "--db", f"sqlite:///{tmp_path / 'r.db'}", "--format", "json"])
    assert done.exit_code == 0, done.output
    documents = json.loads(done.stdout[done.stdout.index("{"):])["documents"]
    clean = {d["external_id"] or d["source"]: d["outputs"]["clean"] for d in documents}
    letter = clean.pop("ocr-letter")
    assert letter["path"] == "ocr" and not letter["kept_input"], letter
    assert "The Board of Directors" in letter["text"] and "the company secretary" in letter["text"]
    assert "Tbe" not in letter["text"] and "Northwind Traders" in letter["text"] and "Anna Schmidt" in letter["text"]
    assert len(clean) == 6 and all(c["path"] == "born_digital" and "no word changed" in c["reason"]
                                   for c in clean.values()), clean
