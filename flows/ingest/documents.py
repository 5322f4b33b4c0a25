"""Read documents: PDF (``pypdfium2``), Word ``.docx`` (``python-docx``), HTML (``trafilatura``) and images
(Pillow), one :class:`~tandem.flows.ingest.items.IngestItem` per file (see :func:`tandem.flows.ingest.text.read_file`).

What a record holds (the OCR stage, :mod:`tandem.stages.ocr.tesseract`, relies on it):

- ``content_hash``: the sha256 of the file's bytes (two scans with the same empty text layer stay distinct);
- ``text``: the text; a PDF's or an image's pages are joined with a form feed (``"\\f"``), a page without a
  text layer (under :data:`MIN_TEXT_LAYER_CHARS`) contributing ``""`` (a 2-page scan reads ``"\\f"``);
- ``metadata``: ``format`` (pdf, docx, html, image), ``file`` (the resolved path), ``needs_ocr`` (the pages
  without a text layer, from 1) and, for a PDF or an image, ``pages``: ``{"page", "start", "end",
  "text_layer", "ocr_layer"}`` with ``text[start:end]`` the page's text; ``ocr_layer`` is true where the text
  layer is itself OCR output: a searchable scan (OCRmyPDF, a scanner's or Acrobat's OCR, Tesseract's PDF) lays
  its OCR text invisibly (text render mode 3) over the page image, and ``cleanup`` corrects those pages.

A document to OCR is no failure even when its text is empty; a Word file or an HTML page without text is
(``empty``). Nothing raises: a file over a limit (each a constant below) fails ``too_large``, one a parser
cannot read ``unreadable``, an HTML page not in its charset ``encoding``; each with a reason.
"""

from __future__ import annotations

import codecs
import io
import re
import warnings
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from tandem.flows.ingest.items import (
    DOCUMENT_SUFFIXES,
    UNSTORABLE_CHAR,
    IngestItem,
    document_item,
    failed_item,
    raw_key,
    source_name,
)
from tandem.stages.contracts import Document, FailureKind

if TYPE_CHECKING:
    import pypdfium2 as pdfium

__all__ = ["DOCUMENT_SUFFIXES", "read_document", "read_docx", "read_html", "read_image", "read_pdf"]

#: the largest document file read (binary formats are larger than the text they hold)
MAX_BINARY_MB = 50
#: the most pages a PDF may have (checked before any page is read)
MAX_PDF_PAGES = 500
#: the most pixels an image may have (checked before any pixel is decoded; e.g. 7,000 × 7,000)
MAX_IMAGE_PIXELS = 50_000_000
#: the most a .docx may unpack to, and the highest compression ratio (above: a zip bomb)
MAX_UNZIPPED_MB = 100
MAX_ZIP_RATIO = 100
#: an archive unpacking to less than this is no bomb whatever its ratio
_ZIP_RATIO_FLOOR_BYTES = 1_000_000
#: a PDF page has a text layer when its text holds at least this many non-whitespace characters (a stray page
#: number on a scanned page does not count)
MIN_TEXT_LAYER_CHARS = 20
PAGE_SEPARATOR = "\f"
ENCRYPTED_PDF = "the PDF is encrypted (password-protected): decrypt it first"
_LABELS = {"pdf": "PDF", "docx": "Word file", "html": "HTML page", "image": "image"}
_DECLARED_CHARSET = re.compile(rb"""<meta[^>]*?charset\s*=\s*["']?\s*([A-Za-z0-9._:-]+)"""
                               rb"""|<\?xml[^>]*?encoding\s*=\s*["']([A-Za-z0-9._:-]+)""", re.IGNORECASE)
_XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]*\?>")


#: a text layer is a scan's OCR when at least this share of its text objects are invisible (render mode 3)
OCR_LAYER_SHARE = 0.9


@dataclass(frozen=True)
class _Page:
    """One page as a reader found it: its text layer (``""``: none) and whether that layer is OCR output."""

    text: str
    ocr_layer: bool = False


class _Refused(Exception):
    """Why a file is not read (raised inside a reader, turned into a failure by :func:`_read`)."""

    def __init__(self, kind: FailureKind, message: str) -> None:
        super().__init__(message)
        self.kind: FailureKind = kind
        self.message = message


def read_pdf(path: Path, max_bytes: int) -> Iterator[IngestItem]:
    yield _read(path, max_bytes, "pdf", _pdf_pages)


def read_docx(path: Path, max_bytes: int) -> Iterator[IngestItem]:
    yield _read(path, max_bytes, "docx", _docx_text)


def read_html(path: Path, max_bytes: int) -> Iterator[IngestItem]:
    yield _read(path, max_bytes, "html", _html_text)


def read_image(path: Path, max_bytes: int) -> Iterator[IngestItem]:
    yield _read(path, max_bytes, "image", _image_pages)


READERS: dict[str, Callable[[Path, int], Iterator[IngestItem]]] = {
    ".pdf": read_pdf, ".docx": read_docx, ".html": read_html, ".htm": read_html,
    ".png": read_image, ".jpg": read_image, ".jpeg": read_image, ".tif": read_image, ".tiff": read_image,
}
assert set(READERS) == set(DOCUMENT_SUFFIXES)


def read_document(path: Path, max_bytes: int) -> Iterator[IngestItem]:
    """The one document of a file whose suffix is in :data:`DOCUMENT_SUFFIXES`."""
    return READERS[path.suffix.lower()](path, max_bytes)


def _read(path: Path, max_bytes: int, fmt: str, extract: Callable[[bytes], str | list[_Page]]) -> IngestItem:
    source, label = source_name(path), _LABELS[fmt]
    try:
        size = path.stat().st_size
        if size > MAX_BINARY_MB * 1_000_000:
            with open(path, "rb") as handle:  # the start and the size: bounded time however large the file
                digest = raw_key([handle.read(1 << 20), str(size).encode()])
            return failed_item(digest, source, "too_large",
                         f"the file is {size / 1e6:.1f} MB, over the {MAX_BINARY_MB} MB limit for a {label}")
        data = path.read_bytes()
    except OSError as exc:
        return failed_item(raw_key(source.encode()), source, "unreadable", str(exc))
    try:
        content = extract(data)
    except _Refused as exc:
        return failed_item(raw_key(data), source, exc.kind, exc.message)
    except Exception as exc:  # noqa: BLE001 - a parser's error is the file's failure, never the batch's
        return failed_item(raw_key(data), source, "unreadable", f"the {label} cannot be read: {type(exc).__name__}: {exc}")
    metadata: dict[str, object] = {"format": fmt, "file": source_name(path.resolve())}
    if isinstance(content, list):
        text, metadata["pages"], needs_ocr = _join_pages(content)
    else:
        text, needs_ocr = UNSTORABLE_CHAR.sub("\ufffd", content), []
    metadata["needs_ocr"] = needs_ocr
    if not text.strip() and not needs_ocr:
        return failed_item(raw_key(data), source, "empty", f"the {label} holds no text")
    if len(text.encode("utf-8")) > max_bytes:
        return failed_item(raw_key(data), source, "too_large", f"the text of the {label} is over the "
                     f"{max_bytes / 1e6:g} MB limit per document (raise it with --max-doc-mb)")
    return document_item(text, source, Document.hash_bytes(data), metadata=metadata)


def _join_pages(pages: list[_Page]) -> tuple[str, list[dict[str, object]], list[int]]:
    """The text of ``pages`` joined by form feeds, each page's place in it, and the pages without a text layer."""
    texts: list[str] = []
    places: list[dict[str, object]] = []
    needs_ocr: list[int] = []
    start = 0
    for number, read in enumerate(pages, start=1):
        page = read.text
        has_layer = sum(not char.isspace() for char in page) >= MIN_TEXT_LAYER_CHARS
        if has_layer:
            page = UNSTORABLE_CHAR.sub("\ufffd", page.replace("\r\n", "\n").replace("\r", "\n")
                                        .replace(PAGE_SEPARATOR, "\n"))
        else:
            page = ""
            needs_ocr.append(number)
        texts.append(page)
        places.append({"page": number, "start": start, "end": start + len(page), "text_layer": has_layer,
                       "ocr_layer": has_layer and read.ocr_layer})
        start += len(page) + len(PAGE_SEPARATOR)
    return PAGE_SEPARATOR.join(texts), places, needs_ocr


def _pdf_pages(data: bytes) -> list[_Page]:
    import pypdfium2 as pdfium

    try:
        pdf = pdfium.PdfDocument(data)
    except pdfium.PdfiumError as exc:
        if "password" in str(exc).lower():
            raise _Refused("unreadable", ENCRYPTED_PDF) from None
        raise _Refused("unreadable", f"the PDF cannot be opened: {exc}") from None
    try:
        count = len(pdf)
        if count > MAX_PDF_PAGES:
            raise _Refused("too_large", f"the PDF has {count:,} pages, over the {MAX_PDF_PAGES:,}-page limit; "
                                        "split it")
        pages: list[_Page] = []
        for index in range(count):
            page = pdf[index]
            try:
                textpage = page.get_textpage()
                try:
                    pages.append(_Page(textpage.get_text_range(), _invisible_text(page)))
                finally:
                    textpage.close()
            finally:
                page.close()
        return pages
    finally:
        pdf.close()


def _invisible_text(page: pdfium.PdfPage) -> bool:
    """Whether a PDF page's text is laid invisibly (render mode 3) over it, as OCR software lays a scan's text
    (at least :data:`OCR_LAYER_SHARE` of its text objects; a page without text objects is not)."""
    import pypdfium2.raw as pdfium_c

    modes = [pdfium_c.FPDFTextObj_GetTextRenderMode(obj.raw)
             for obj in page.get_objects(filter=[pdfium_c.FPDF_PAGEOBJ_TEXT])]
    invisible = sum(mode == pdfium_c.FPDF_TEXTRENDERMODE_INVISIBLE for mode in modes)
    return bool(modes) and invisible >= OCR_LAYER_SHARE * len(modes)


def _docx_text(data: bytes) -> str:
    """Paragraphs and table rows (cells joined by tabs) in document order, one a line, tracked changes accepted
    (:mod:`tandem.flows.ingest.docx_text`)."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, ValueError) as exc:
        raise _Refused("unreadable", f"the Word file is not a .docx (not a zip archive: {exc}); a .doc must be "
                                     "saved as .docx first") from None
    with archive:
        members = archive.infolist()
    unzipped, packed = sum(m.file_size for m in members), sum(m.compress_size for m in members)
    if unzipped > MAX_UNZIPPED_MB * 1_000_000:
        raise _Refused("too_large", f"the Word file unpacks to {unzipped / 1e6:,.0f} MB, over the "
                                    f"{MAX_UNZIPPED_MB} MB limit (a zip bomb?)")
    if unzipped > _ZIP_RATIO_FLOOR_BYTES and unzipped > MAX_ZIP_RATIO * packed:
        raise _Refused("too_large", f"the Word file is compressed {unzipped / max(packed, 1):,.0f} to 1, over "
                                    f"the {MAX_ZIP_RATIO} to 1 limit (a zip bomb?)")
    if "word/document.xml" not in {m.filename for m in members}:
        raise _Refused("unreadable", "the Word file has no word/document.xml: it is a zip archive but no .docx")
    import docx

    from tandem.flows.ingest.docx_text import document_text

    return document_text(docx.Document(io.BytesIO(data)))


def _html_text(data: bytes) -> str:
    """The page's main text (trafilatura, without navigation), or all its text when trafilatura finds none."""
    import trafilatura

    html = _decode_html(data).replace("\x00", "")
    text = trafilatura.extract(html, include_comments=False, include_tables=True)
    return text if text and text.strip() else _plain_text(html)


def _decode_html(data: bytes) -> str:
    """``data`` decoded with its byte-order mark, its declared charset or UTF-8."""
    for bom, bom_encoding in ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"),
                              (codecs.BOM_UTF16_BE, "utf-16")):
        if data.startswith(bom):
            encoding = bom_encoding
            break
    else:
        found = _DECLARED_CHARSET.search(data[:4096])
        encoding = (found.group(1) or found.group(2)).decode("ascii") if found else "utf-8"
    try:
        name = codecs.lookup(encoding).name
    except LookupError:
        raise _Refused("encoding", f"the HTML page declares an unknown charset {encoding!r}; re-save it as "
                                   "UTF-8") from None
    if name in ("iso8859-1", "ascii"):  # as browsers do: these labels mean windows-1252
        name = "cp1252" if _decodes(data, "cp1252") else "latin-1"
    try:
        return data.decode(name)
    except UnicodeDecodeError as exc:
        raise _Refused("encoding", f"the HTML page is not valid {encoding} (byte {exc.start}: "
                                   f"{data[exc.start:exc.start + 1]!r}); re-save it as UTF-8 or declare its "
                                   "charset") from None


def _decodes(data: bytes, encoding: str) -> bool:
    try:
        data.decode(encoding)
    except UnicodeDecodeError:
        return False
    return True


def _plain_text(html: str) -> str:
    """All the visible text of ``html`` (no script or style), a line per line of text."""
    import lxml.etree
    import lxml.html

    try:
        tree = lxml.html.fromstring(_XML_DECLARATION.sub("", html))
    except (lxml.etree.ParserError, ValueError):  # e.g. "Document is empty"
        return ""
    for hidden in tree.xpath("//script|//style|//noscript|//template"):
        if hidden.getparent() is not None:
            hidden.drop_tree()
    lines = (" ".join(line.split()) for line in tree.text_content().splitlines())
    return "\n".join(line for line in lines if line)


def _image_pages(data: bytes) -> list[_Page]:
    """One page without a text layer, once the image's header says its size is within the limit."""
    from PIL import Image, UnidentifiedImageError

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as image:  # reads the header only: no pixel is decoded
                width, height = image.size
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        found = re.search(r"\((\d+) pixels\)", str(exc))
        size = f"{int(found.group(1)):,} pixels" if found else f"too large for Pillow ({exc})"
        raise _Refused("too_large", f"the image is {size}, over the {MAX_IMAGE_PIXELS:,}-pixel limit; "
                                    "scale it down") from None
    except UnidentifiedImageError:
        raise _Refused("unreadable", "the file is not an image Pillow can read (PNG, JPEG or TIFF)") from None
    if width * height > MAX_IMAGE_PIXELS:
        raise _Refused("too_large", f"the image is {width:,} × {height:,} = {width * height:,} pixels, over the "
                                    f"{MAX_IMAGE_PIXELS:,}-pixel limit; scale it down")
    return [_Page("")]
