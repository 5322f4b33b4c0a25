"""``ocr.tesseract``: the real Tesseract on a rendered page; pass-through without OCR; the missing-binary reason."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from PIL import Image, ImageDraw, ImageFont

from tandem.stages.contracts import DocState, Document, OcrText
from tandem.stages.ocr import tesseract
from tandem.stages.ocr.tesseract import TesseractStage

needs_tesseract = pytest.mark.skipif(shutil.which("tesseract") is None, reason="Tesseract is not installed")
LINES = ["Angela Merkel met Bob Jones in Paris on Monday.", "The Senate passed the budget bill last week."]


def rendered_page(path: Path) -> Path:
    page = Image.new("L", (1800, 500), 255)
    draw = ImageDraw.Draw(page)
    font_file = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")
    font = ImageFont.truetype(str(font_file), 42) if font_file.is_file() else ImageFont.load_default(size=42)
    for row, line in enumerate(LINES):
        draw.text((60, 60 + row * 110), line, fill=0, font=font)
    page.save(path)
    return path


def scan_state(file: Path, file_format: str = "image", text: str = "", needs: list[int] | None = None) -> DocState:
    metadata = {"format": file_format, "file": str(file), "needs_ocr": [1] if needs is None else needs,
                "pages": [{"page": 1, "start": 0, "end": len(text), "text_layer": not (needs is None or needs)}]}
    return DocState(document=Document(content_hash=Document.hash_bytes(file.read_bytes()), source=str(file),
                                      text=text, metadata=metadata))


@needs_tesseract
def test_a_rendered_page_is_read_with_its_confidence(tmp_path: Path) -> None:
    state = scan_state(rendered_page(tmp_path / "page.png"))
    result = TesseractStage().run([state])
    output = result.successes[state.key]
    assert isinstance(output, OcrText) and not result.failures
    assert output.text.splitlines()[0] == LINES[0] and LINES[1] in output.text
    [page] = output.pages
    assert (page.page, page.start, page.end, page.ocr) == (1, 0, len(output.text), True)
    assert page.confidence is not None and page.confidence > 0.8
    assert output.engine.startswith("tesseract ")


@needs_tesseract
def test_a_scanned_pdf_page_between_text_pages(tmp_path: Path) -> None:
    """Page 2 of 3 has no text layer: it is rendered and read; pages 1 and 3 keep their text; offsets follow."""
    image = Image.open(rendered_page(tmp_path / "page.png")).convert("RGB")
    pdf = tmp_path / "mixed.pdf"
    image.save(pdf, "PDF", resolution=150.0, save_all=True, append_images=[image, image])
    text = "First page text.\f\fThird page text."
    state = scan_state(pdf, "pdf", text, needs=[2])
    output = TesseractStage(dpi=150).run([state]).successes[state.key]
    first, second, third = output.text.split("\f")
    assert (first, third) == ("First page text.", "Third page text.") and "Angela Merkel" in second
    assert [(p.page, p.ocr) for p in output.pages] == [(1, False), (2, True), (3, False)]
    assert output.text[output.pages[1].start:output.pages[1].end] == second


def test_a_document_with_a_text_layer_passes_through(tmp_path: Path) -> None:
    state = DocState(document=Document(content_hash="h" * 64, source="a.txt", text="Plain text.\fPage two."))
    output = TesseractStage().run([state]).successes[state.key]
    assert output.text == "Plain text.\fPage two." and [p.ocr for p in output.pages] == [False, False]


def test_a_searchable_scans_ocr_text_layer_is_marked_as_ocr_output() -> None:
    text = "Born-digital page.\fPortions of Crown lnnd."
    pages = [{"page": 1, "start": 0, "end": 18, "text_layer": True, "ocr_layer": False},
             {"page": 2, "start": 19, "end": len(text), "text_layer": True, "ocr_layer": True}]
    state = DocState(document=Document(content_hash="h" * 64, source="s.pdf", text=text,
                                       metadata={"format": "pdf", "needs_ocr": [], "pages": pages}))
    output = TesseractStage().run([state]).successes[state.key]
    assert output.text == text and [(p.page, p.ocr) for p in output.pages] == [(1, False), (2, True)]


def test_without_tesseract_only_scans_fail_and_say_how_to_install(tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tesseract, "tesseract_version", lambda: None)
    scan = scan_state(rendered_page(tmp_path / "page.png"))
    plain = DocState(document=Document(content_hash="p" * 64, source="a.txt", text="Plain text."))
    result = TesseractStage().run([scan, plain])
    failure = result.failures[scan.key]
    assert failure.kind == "model_error" and "Tesseract is not installed" in failure.message
    assert "apt-get install tesseract-ocr" in failure.message
    assert result.successes[plain.key].text == "Plain text."


def test_a_moved_file_is_a_clear_failure(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tesseract, "tesseract_version", lambda: "5.0")
    state = scan_state(rendered_page(tmp_path / "page.png"))
    (tmp_path / "page.png").unlink()
    failure = TesseractStage().run([state]).failures[state.key]
    assert failure.kind == "unreadable" and "the file to OCR is gone" in failure.message
