"""Real documents in: the sample PDF (text layer), scanned PDF page and Word file of ``examples/documents`` through
the ``scanned`` pipeline (real Tesseract, real spaCy, a fake LLM) and the default one."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tandem.cli import app
from tandem.flows.execution import SCAN_MESSAGE

pytestmark = pytest.mark.slow
runner = CliRunner()
DOCUMENTS = Path(__file__).resolve().parents[2] / "examples" / "documents"
FAKE_LLM = "fake:A short summary of the document."


def _records(url: str) -> dict[str, dict]:  # type: ignore[type-arg]
    shown = runner.invoke(app, ["results", "--db", url, "--format", "json"])
    return {Path(r["source"]).name: r for r in json.loads(shown.stdout)["documents"]}


@pytest.mark.skipif(shutil.which("tesseract") is None, reason="Tesseract is not installed")
def test_the_sample_documents_through_the_scanned_pipeline(tmp_path: Path, prefect_harness: None) -> None:
    url = f"sqlite:///{tmp_path / 'docs.db'}"
    done = runner.invoke(app, ["run", str(DOCUMENTS.parent), "--pipeline", "scanned", "--llm", FAKE_LLM, "--db",
                               url, "--format", "none"])  # all of examples/: the text samples pass through OCR
    assert done.exit_code == 0, done.stderr
    records = _records(url)
    assert {"grant_agreement.pdf", "scanned_letter.pdf", "harbour_minutes.docx", "lease_agreement.txt"} <= set(records)
    assert all(r["status"] == "ok" for r in records.values())
    grant = {e["text"]: e["page"] for e in records["grant_agreement.pdf"]["entities"]}
    assert grant["Maria\nGonzalez"] == 1 and grant["Daniel Okafor"] == 2  # the page of each entity
    letter = records["scanned_letter.pdf"]
    assert letter["outputs"]["ocr"]["pages"][0]["ocr"] is True and letter["outputs"]["ocr"]["pages"][0]["confidence"]
    assert {"Henry Wallace", "Lisbon"} <= {e["text"] for e in letter["entities"]}
    assert all(e["page"] == 1 for e in letter["entities"])
    assert {"Sarah Whitfield", "Lucy Chen"} <= {e["text"] for e in records["harbour_minutes.docx"]["entities"]}
    # the corrector ran on the page OCR read, and only there: text layers keep every word
    assert letter["outputs"]["clean"]["path"] == "ocr"
    for name in ("grant_agreement.pdf", "harbour_minutes.docx", "lease_agreement.txt"):
        outputs = records[name]["outputs"]
        assert outputs["clean"]["path"] == "born_digital", name
        assert outputs["clean"]["text"].split() == outputs["ocr"]["text"].split(), name


def test_the_default_pipeline_reads_text_layers_and_points_scans_to_ocr(tmp_path: Path,
                                                                        prefect_harness: None) -> None:
    url = f"sqlite:///{tmp_path / 'docs.db'}"
    done = runner.invoke(app, ["run", str(DOCUMENTS), "--llm", FAKE_LLM, "--db", url, "--format", "none"])
    assert done.exit_code == 3, done.stderr  # the scan needs OCR: recorded as failed, the rest goes on
    records = _records(url)
    assert records["grant_agreement.pdf"]["status"] == "ok" and records["harbour_minutes.docx"]["status"] == "ok"
    for name in ("grant_agreement.pdf", "harbour_minutes.docx"):  # born-digital: not a word changed by cleanup
        clean = records[name]["outputs"]["clean"]
        assert clean["path"] == "born_digital" and "no word changed" in clean["reason"], name
        assert clean["kept_input"], name  # the text layer came back as it went in
    failure = records["scanned_letter.pdf"]["failures"][0]  # the later stages had nothing to read
    assert (failure["stage"], failure["kind"], failure["message"]) == ("cleanup", "empty", SCAN_MESSAGE)


def test_a_searchable_scans_ocr_text_layer_is_corrected_and_a_born_digital_page_kept(tmp_path: Path,
                                                                                     prefect_harness: None) -> None:
    from tests.flows.ingest.test_searchable_scans import SCAN_READING, searchable_pdf

    born_digital = "Mrs Whitfield wrote: cu l8r, the wknd plans stand."  # informal, and no OCR error
    folder = tmp_path / "in"
    folder.mkdir()
    searchable_pdf(folder / "searchable.pdf", born_digital, SCAN_READING)
    url = f"sqlite:///{tmp_path / 'docs.db'}"
    done = runner.invoke(app, ["run", str(folder), "--llm", FAKE_LLM, "--db", url, "--format", "none"])
    assert done.exit_code == 0, done.stderr
    clean = _records(url)["searchable.pdf"]["outputs"]["clean"]
    first, second = clean["text"].split("\f")
    assert clean["path"] == "mixed"  # the corrector on the OCR layer's page only
    assert first == born_digital
    assert second == "Portions of Crown land will be offered at auction by the Colonial Treasury on Wednesday next."
