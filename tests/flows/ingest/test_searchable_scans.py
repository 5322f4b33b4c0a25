"""A searchable scan's text layer is OCR output: the PDF reader says so page by page (``ocr_layer``), so that
``cleanup`` corrects those pages and leaves a born-digital text layer alone."""

from __future__ import annotations

import io
import shutil
from pathlib import Path

import pypdfium2 as pdfium
import pytest
from fpdf import FPDF

from tandem.flows.ingest import IngestItem, read_file
from tests.flows.ingest.test_documents import PAGE_ONE, page_image

#: OCR's reading of a scanned page, misreadings included
SCAN_READING = "Portions of Crown lnnd will be ofleied at auction by tbe Colonial Treasury on Wednesday next."


def searchable_pdf(path: Path, born_digital: str, ocr_reading: str) -> Path:
    """Page 1: born-digital text; page 2: a scan's image with its OCR text laid invisibly over it, as OCRmyPDF,
    scanners and Acrobat write a searchable scan (text render mode 3)."""
    png = io.BytesIO()
    page_image("Scanned page").save(png, "PNG")
    pdf = FPDF()
    pdf.set_font("helvetica", size=12)
    pdf.add_page()
    pdf.multi_cell(0, 8, born_digital)
    pdf.add_page()
    pdf.image(png, x=10, y=10, w=150)
    pdf.text_mode = "INVISIBLE"
    pdf.multi_cell(0, 8, ocr_reading)
    pdf.output(str(path))
    return path


def one(path: Path) -> IngestItem:
    items = list(read_file(path))
    assert len(items) == 1 and items[0].failure is None, items
    return items[0]


def test_an_invisible_text_layer_is_marked_as_ocr_and_a_visible_one_is_not(tmp_path: Path) -> None:
    record = one(searchable_pdf(tmp_path / "searchable.pdf", PAGE_ONE, SCAN_READING)).record
    assert record.text == f"{PAGE_ONE}\f{SCAN_READING}"
    assert [(p["text_layer"], p["ocr_layer"]) for p in record.metadata["pages"]] == [(True, False), (True, True)]
    assert record.metadata["needs_ocr"] == []  # its text is there already: no OCR to run


@pytest.mark.skipif(shutil.which("tesseract") is None, reason="the tesseract binary is not installed")
def test_tesseracts_own_searchable_pdf_is_marked_as_ocr(tmp_path: Path) -> None:
    import pytesseract

    scan = pdfium.PdfDocument(str(Path(__file__).parents[3] / "examples" / "documents" / "scanned_letter.pdf"))
    image = scan[0].render(scale=300 / 72, grayscale=True).to_pil()
    path = tmp_path / "letter.pdf"
    path.write_bytes(pytesseract.image_to_pdf_or_hocr(image, extension="pdf"))
    record = one(path).record
    assert "Portsmouth" in record.text
    assert [p["ocr_layer"] for p in record.metadata["pages"]] == [True]
