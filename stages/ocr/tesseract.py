"""``ocr.tesseract``: read the pages of scanned documents and images with Tesseract.

A document read from a PDF or an image (:mod:`tandem.flows.ingest.documents`) carries in its metadata the file it came
from, where each page sits in its text (pages are separated by a form feed) and which pages have no text layer
(``needs_ocr``). This stage renders those pages (``pypdfium2``, at ``dpi``) or opens the image (Pillow), reads
them with Tesseract (``pytesseract``) and writes :class:`~tandem.stages.contracts.OcrText`: the text layer where there
is one, Tesseract's reading elsewhere, with each page's offsets and mean word confidence; a page is marked ``ocr``
when Tesseract read it or when its text layer is itself a scan's OCR (``ocr_layer``). A document that needs
no OCR passes through unchanged (cheap), so the stage can head any pipeline.

When the ``tesseract`` binary is missing, only the documents that need it fail, with a reason saying how to
install it.
"""

from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import Any

from pydantic import Field

from tandem.stages.base import READS_SCANS, BatchResult, Stage, timed
from tandem.stages.contracts import DocState, OcrText, PageText, RawText, Usage
from tandem.stages.ocr.provenance import ocr_layer_pages
from tandem.stages.options import NOT_IN_KEY, StageOptions

INSTALL_ADVICE = ("install Tesseract: apt-get install tesseract-ocr tesseract-ocr-eng (Debian/Ubuntu), "
                  "brew install tesseract (macOS); or set TESSERACT_CMD to the binary")
#: a page rendered for OCR is cut to this many pixels (a 300 dpi A4 page is 8.7 million)
MAX_RENDER_PIXELS = 40_000_000
PAGE_SEPARATOR = "\f"


class TesseractOptions(StageOptions):
    language: str = Field("eng", description="Tesseract language(s), e.g. eng or eng+deu (their traineddata "
                                             "must be installed)")
    dpi: int = Field(300, ge=72, le=600, description="resolution at which PDF pages are rendered for OCR")
    psm: int = Field(3, ge=0, le=13, description="Tesseract page segmentation mode (3: automatic)")
    page_timeout_s: float = Field(120.0, gt=0, description="seconds Tesseract may spend on one page",
                                  json_schema_extra=NOT_IN_KEY)


@lru_cache(maxsize=1)
def tesseract_version() -> str | None:
    """The installed Tesseract's version, or None when the binary is missing."""
    import pytesseract

    if os.environ.get("TESSERACT_CMD"):
        pytesseract.pytesseract.tesseract_cmd = os.environ["TESSERACT_CMD"]
    if shutil.which(pytesseract.pytesseract.tesseract_cmd) is None:
        return None
    try:
        return str(pytesseract.get_tesseract_version())
    except Exception:  # noqa: BLE001 - present but broken: treated as missing, with the same advice
        return None


_env_lock = threading.Lock()


@contextmanager
def _one_thread() -> Iterator[None]:
    """Tesseract's OpenMP threads spin on a busy machine: one thread reads a page about 6x faster on 2 cores
    (``OMP_THREAD_LIMIT=1`` for the Tesseract process, unless the environment sets it)."""
    with _env_lock:
        if "OMP_THREAD_LIMIT" in os.environ:
            yield
            return
        os.environ["OMP_THREAD_LIMIT"] = "1"
        try:
            yield
        finally:
            os.environ.pop("OMP_THREAD_LIMIT", None)


def read_image(image: Any, language: str, psm: int, timeout_s: float) -> tuple[str, float | None]:
    """Tesseract's text of one page image (words joined by spaces, lines by newlines, paragraphs by blank lines)
    and its mean word confidence (0–1; None when no word was read)."""
    import pytesseract

    with _one_thread():
        data = pytesseract.image_to_data(image, lang=language, config=f"--psm {psm}",
                                         output_type=pytesseract.Output.DICT, timeout=timeout_s)
    lines: dict[tuple[int, int, int], list[str]] = {}
    confidences: list[float] = []
    for i, word in enumerate(data["text"]):
        if not str(word).strip():
            continue
        lines.setdefault((data["block_num"][i], data["par_num"][i], data["line_num"][i]), []).append(str(word))
        conf = float(data["conf"][i])
        if conf >= 0:
            confidences.append(conf / 100.0)
    out: list[str] = []
    previous: tuple[int, int] | None = None
    for (block, paragraph, _line), words in lines.items():
        if previous is not None and previous != (block, paragraph):
            out.append("")
        out.append(" ".join(words))
        previous = (block, paragraph)
    confidence = round(sum(confidences) / len(confidences), 4) if confidences else None
    return "\n".join(out), confidence


def page_images(file: Path, file_format: str, pages: Sequence[int], dpi: int) -> dict[int, Any]:
    """PIL images of ``pages`` (from 1) of a PDF rendered at ``dpi`` (capped at :data:`MAX_RENDER_PIXELS`), or
    the image file itself (page 1)."""
    from PIL import Image

    if file_format == "image":
        image = Image.open(file)
        image.load()
        return {1: image.convert("L") if image.mode not in ("L", "RGB") else image}
    import pypdfium2 as pdfium

    images = {}
    document = pdfium.PdfDocument(str(file))
    try:
        for number in pages:
            page = document[number - 1]
            width, height = page.get_size()
            scale = dpi / 72
            if width * height * scale * scale > MAX_RENDER_PIXELS:
                scale = (MAX_RENDER_PIXELS / (width * height)) ** 0.5
            images[number] = page.render(scale=scale, grayscale=True).to_pil()
            page.close()
    finally:
        document.close()
    return images


class TesseractStage(Stage[OcrText], name="ocr.tesseract", version="1", reads={"text": RawText}, writes="ocr",
                     options=TesseractOptions, batch=4, capabilities=[READS_SCANS]):
    """``ocr.tesseract``: the text of every page, OCR where there is no text layer (see the module docstring)."""

    options: TesseractOptions

    def model_id(self) -> str:
        return f"tesseract:{tesseract_version() or 'missing'}:{self.options.language}"

    def run(self, batch: Sequence[DocState]) -> BatchResult[OcrText]:
        result: BatchResult[OcrText] = BatchResult()
        for state in batch:
            text = self.read_input(state, result)  # blank text too: a scan's pages await this stage
            if text is None:
                continue
            with timed() as elapsed:
                output = self._read(state, text)
            if isinstance(output, OcrText):
                result.add_success(state.key, output, Usage(latency_ms=elapsed[0]))
            else:
                result.add_failure(state.key, self.failure(*output), Usage(latency_ms=elapsed[0]))
        return result

    def _read(self, state: DocState, text: str) -> OcrText | tuple[Any, str]:
        metadata = state.document.metadata or {}
        needs = sorted({int(p) for p in metadata.get("needs_ocr") or []})
        texts = text.split(PAGE_SEPARATOR)
        ocr_layer = set(ocr_layer_pages(metadata))  # a searchable scan's pages: their text layer is OCR output
        if not needs:
            return OcrText(text=text, pages=_pages(texts, ocr_layer, {}), engine="")
        if tesseract_version() is None:
            return ("model_error", f"pages {', '.join(map(str, needs))} of {state.document.source} need OCR and "
                                   f"Tesseract is not installed: {INSTALL_ADVICE}")
        file = Path(str(metadata.get("file") or ""))
        if not file.is_file():
            return ("unreadable", f"the file to OCR is gone: {file} (it was read from there); put it back and rerun")
        try:
            images = page_images(file, str(metadata.get("format")), needs, self.options.dpi)
            readings = {number: read_image(image, self.options.language, self.options.psm,
                                           self.options.page_timeout_s) for number, image in images.items()}
        except RuntimeError as exc:  # pytesseract's timeout
            return ("model_error", f"Tesseract gave up on {file.name}: {exc}")
        except Exception as exc:  # noqa: BLE001 - a bad page or language: recorded, the batch goes on
            return ("model_error", f"OCR of {file.name} failed: {type(exc).__name__}: {str(exc).strip()[:300]}")
        while len(texts) < max(needs):
            texts.append("")
        for number, (page_text, _confidence) in readings.items():
            texts[number - 1] = page_text.replace(PAGE_SEPARATOR, "\n")
        joined = PAGE_SEPARATOR.join(texts)
        if not joined.replace(PAGE_SEPARATOR, "").strip():
            return ("empty", f"Tesseract read no text in {file.name} (blank page, or too faint to read)")
        confidences = {number: confidence for number, (_text, confidence) in readings.items()}
        return OcrText(text=joined, pages=_pages(texts, set(needs) | ocr_layer, confidences),
                       engine=f"tesseract {tesseract_version()}")


def _pages(texts: Sequence[str], ocr: set[int], confidences: dict[int, float | None]) -> list[PageText]:
    pages, start = [], 0
    for number, page_text in enumerate(texts, start=1):
        pages.append(PageText(page=number, start=start, end=start + len(page_text), ocr=number in ocr,
                              confidence=confidences.get(number)))
        start += len(page_text) + len(PAGE_SEPARATOR)
    return pages
