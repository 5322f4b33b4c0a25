"""Where a text came from: which parts of it went through OCR, so only those get the OCR corrector.

Informal spelling, abbreviations, product names and names are not OCR errors: chat, SMS, tickets, tweets and
born-digital PDF or Word files must come out of ``cleanup`` with every word as it was. A part of a text is OCR
output when

* it is a page that ``ocr.tesseract`` read (an :class:`~tandem.stages.contracts.OcrText` page with ``ocr``), or
* it is a PDF page whose text layer is a scan's OCR (a searchable scan: the reader's page metadata
  ``ocr_layer``, see :mod:`tandem.flows.ingest.documents`), or
* the document declares it: metadata ``ocr`` true (a JSONL field or CSV column ``ocr``: ``true``, ``yes``, ``1``),
  which covers the whole text, or
* the stage is told so for every text (``corrector: always``, e.g. for a file of OCR output).

:func:`ocr_spans` returns those parts as ``(start, end)`` character ranges of the text the stage reads.
"""

from __future__ import annotations

from typing import Literal

from tandem.stages.contracts import DocState, OcrText

CorrectorMode = Literal["auto", "always", "never"]
#: values of the metadata field ``ocr`` that declare a document to be OCR output
_TRUE = frozenset({"true", "yes", "1", "y", "on", "ocr"})


def declared_ocr(metadata: dict[str, object] | None) -> bool:
    """Whether the document's metadata declares its text OCR output (field ``ocr``)."""
    value = (metadata or {}).get("ocr")
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return value == 1
    return isinstance(value, str) and value.strip().lower() in _TRUE


def ocr_spans(state: DocState, field: str, text: str, mode: CorrectorMode = "auto") -> list[tuple[int, int]]:
    """The character ranges of ``text`` (the stage's input ``field`` of ``state``) that are OCR output."""
    if mode == "never" or not text:
        return []
    if mode == "always" or declared_ocr(state.document.metadata):
        return [(0, len(text))]
    value = state.fields.get(field) if field != "text" else None
    if isinstance(value, OcrText) and value.text == text:
        return [(page.start, min(page.end, len(text))) for page in value.pages if page.ocr and page.end > page.start]
    if text == state.document.text:
        layers = ocr_layer_pages(state.document.metadata).values()
        return [(start, min(end, len(text))) for start, end in layers if min(end, len(text)) > start]
    return []


def ocr_layer_pages(metadata: dict[str, object] | None) -> dict[int, tuple[int, int]]:
    """The pages (from 1) whose text layer a reader found to be OCR output, with their ``(start, end)`` in the
    document's text: the page records of :mod:`tandem.flows.ingest.documents` with ``ocr_layer`` true."""
    pages = (metadata or {}).get("pages")
    found: dict[int, tuple[int, int]] = {}
    for page in pages if isinstance(pages, list) else []:
        if isinstance(page, dict) and page.get("ocr_layer") is True:
            number, start, end = page.get("page"), page.get("start"), page.get("end")
            if isinstance(number, int) and isinstance(start, int) and isinstance(end, int):
                found[number] = (start, end)
    return found


def path_of(spans: list[tuple[int, int]], text: str) -> Literal["ocr", "born_digital", "mixed"]:
    """How the text is cleaned: all of it as OCR output (no visible character outside the spans), none of it,
    or some pages."""
    if not spans:
        return "born_digital"
    outside, last = [], 0
    for start, end in sorted(spans):
        outside.append(text[last:start])
        last = max(last, end)
    outside.append(text[last:])
    return "mixed" if "".join(outside).strip() else "ocr"
