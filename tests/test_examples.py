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
