"""Documents in: PDF (born-digital, scanned, mixed), Word, HTML and images, and hostile files of each."""

from __future__ import annotations

import hashlib
import io
import struct
import time
import zipfile
import zlib
from pathlib import Path

import docx
import pytest
from fpdf import FPDF
from PIL import Image, ImageDraw

import tandem.flows.ingest.documents as formats
from tandem.flows.ingest import SUPPORTED_SUFFIXES, IngestItem, expand_paths, iter_inputs, read_file
from tandem.flows.ingest.documents import DOCUMENT_SUFFIXES, MAX_IMAGE_PIXELS, MAX_PDF_PAGES, read_document

PAGE_ONE = "The first page is about Paris and the river Seine."
PAGE_TWO = "The second page is about Berlin and the river Spree."
ARTICLE = ("The city council approved the new river park on Tuesday after a long debate about its cost. "
           "Construction will start in spring and the park should open to the public within two years. ")


def text_pdf(path: Path, pages: list[str], user_password: str | None = None) -> Path:
    pdf = FPDF()
    pdf.set_font("helvetica", size=12)
    if user_password:
        pdf.set_encryption(owner_password="owner", user_password=user_password)
    for text in pages:
        pdf.add_page()
        pdf.multi_cell(0, 8, text)
    pdf.output(str(path))
    return path


def page_image(label: str) -> Image.Image:
    image = Image.new("L", (400, 500), 255)
    ImageDraw.Draw(image).text((40, 40), label, fill=0)
    return image


def scanned_pdf(path: Path, labels: list[str]) -> Path:
    images = [page_image(label) for label in labels]
    images[0].save(path, "PDF", save_all=True, append_images=images[1:])
    return path


def mixed_pdf(path: Path) -> Path:
    """Page 1: text; page 2: an image only (a scan); page 3: only a page number (no text layer)."""
    png = io.BytesIO()
    page_image("Scanned page").save(png, "PNG")
    pdf = FPDF()
    pdf.set_font("helvetica", size=12)
    pdf.add_page()
    pdf.multi_cell(0, 8, PAGE_ONE)
    pdf.add_page()
    pdf.image(png, x=10, y=10, w=150)
    pdf.add_page()
    pdf.image(png, x=10, y=10, w=150)
    pdf.text(100, 290, "3")
    pdf.output(str(path))
    return path


def word_file(path: Path) -> Path:
    document = docx.Document()
    document.add_paragraph("Quarterly report")
    document.add_paragraph("Sales rose in every region.")
    table = document.add_table(rows=3, cols=2)
    for row, (name, city) in zip(table.rows, [("Name", "City"), ("Ada", "London")]):
        row.cells[0].text, row.cells[1].text = name, city
    merged = table.rows[2].cells[0].merge(table.rows[2].cells[1])
    merged.text = "Total: 2"
    document.add_paragraph("Closing remarks.")
    document.save(str(path))
    return path


def html_page(path: Path) -> Path:
    nav = "".join(f'<li><a href="/{w.lower()}">{w}</a></li>' for w in ("Home", "Sitemap", "Subscribe", "Login"))
    path.write_text(f"""<!doctype html><html><head><meta charset="utf-8"><title>River park</title>
<script>var tracking = "do not read me";</script></head><body>
<header><nav><ul>{nav}</ul></nav></header>
<main><article><h1>Council approves the river park</h1>
<p>{ARTICLE}</p><p>{ARTICLE.replace("council", "mayor")}</p>
<p>Residents welcomed the decision, which ends years of planning for the riverside area near the old port.</p>
</article></main>
<footer><p>Copyright 2024 Example News. All rights reserved.</p><a href="/privacy">Privacy policy</a></footer>
</body></html>""", encoding="utf-8")
    return path


def png_header(width: int, height: int) -> bytes:
    """A valid PNG claiming ``width`` × ``height`` pixels, of a few bytes (its pixels are never decoded)."""
    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    ihdr = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)  # 1 bit grey
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\x00")) + chunk(b"IEND", b"")


def zip_bomb(path: Path, megabytes: int = 200) -> Path:
    """A .docx-named zip of one member of ``megabytes`` MB of zeros, written a MB at a time."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        with archive.open("word/document.xml", "w") as member:
            block = bytes(1 << 20)
            for _ in range(megabytes):
                member.write(block)
    return path


def one(path: Path, max_bytes: int = 5_000_000) -> IngestItem:
    items = list(read_file(path, max_bytes))
    assert len(items) == 1
    return items[0]


def pages_of(item: IngestItem) -> list[str]:
    text = item.record.text
    assert text is not None
    return [text[p["start"]:p["end"]] for p in item.record.metadata["pages"]]


def test_suffixes_are_supported(tmp_path: Path) -> None:
    assert set(DOCUMENT_SUFFIXES) == {".pdf", ".docx", ".html", ".htm", ".png", ".jpg", ".jpeg", ".tif", ".tiff"}
    assert set(DOCUMENT_SUFFIXES) <= set(SUPPORTED_SUFFIXES)
    (tmp_path / "a.PDF").write_bytes(b"%PDF")
    (tmp_path / "b.doc").write_bytes(b"old word")
    assert [p.name for p in expand_paths([tmp_path])] == ["a.PDF"]


def test_pdf_pages_are_separated_by_form_feeds_with_offsets(tmp_path: Path) -> None:
    path = text_pdf(tmp_path / "two.pdf", [PAGE_ONE, PAGE_TWO])
    item = one(path)
    record = item.record
    assert item.failure is None
    assert record.text == f"{PAGE_ONE}\f{PAGE_TWO}"
    assert pages_of(item) == [PAGE_ONE, PAGE_TWO] == record.text.split("\f")
    assert record.metadata == {
        "format": "pdf", "file": str(path.resolve()), "needs_ocr": [],
        "pages": [{"page": 1, "start": 0, "end": len(PAGE_ONE), "text_layer": True, "ocr_layer": False},
                  {"page": 2, "start": len(PAGE_ONE) + 1, "end": len(PAGE_ONE) + 1 + len(PAGE_TWO), "text_layer": True,
                   "ocr_layer": False}]}
    assert record.content_hash == hashlib.sha256(path.read_bytes()).hexdigest()
    assert record.source == str(path)


def test_multi_line_pages_use_newlines(tmp_path: Path) -> None:
    lines = [f"Line number {i} of a long page of text." for i in range(20)]
    item = one(text_pdf(tmp_path / "long.pdf", ["\n".join(lines), PAGE_TWO]))
    first, second = pages_of(item)
    assert "\r" not in item.record.text  # type: ignore[operator]
    assert first.split("\n") == lines and second == PAGE_TWO


def test_scanned_pdf_needs_ocr_and_scans_stay_distinct(tmp_path: Path) -> None:
    first = one(scanned_pdf(tmp_path / "scan1.pdf", ["Invoice 1", "Page two"]))
    second = one(scanned_pdf(tmp_path / "scan2.pdf", ["Invoice 2", "Page two"]))
    for item in (first, second):
        assert item.failure is None  # empty text, but the OCR stage reads it
        assert item.record.text == "\f"
        assert item.record.metadata["needs_ocr"] == [1, 2]
        assert item.record.metadata["pages"] == [
            {"page": 1, "start": 0, "end": 0, "text_layer": False, "ocr_layer": False},
            {"page": 2, "start": 1, "end": 1, "text_layer": False, "ocr_layer": False}]
    assert first.record.content_hash != second.record.content_hash


def test_mixed_pdf_marks_only_pages_without_a_text_layer(tmp_path: Path) -> None:
    item = one(mixed_pdf(tmp_path / "mixed.pdf"))
    assert item.failure is None
    assert item.record.text == f"{PAGE_ONE}\f\f"
    assert pages_of(item) == [PAGE_ONE, "", ""]  # the stray page number "3" is no text layer
    assert [p["text_layer"] for p in item.record.metadata["pages"]] == [True, False, False]
    assert item.record.metadata["needs_ocr"] == [2, 3]
    assert formats.MIN_TEXT_LAYER_CHARS == 20


@pytest.mark.parametrize("suffix, pil_format", [(".png", "PNG"), (".jpg", "JPEG"), (".tiff", "TIFF")])
def test_images_are_one_page_to_ocr(tmp_path: Path, suffix: str, pil_format: str) -> None:
    path = tmp_path / f"scan{suffix}"
    page_image("Hello").save(path, pil_format)
    item = one(path)
    assert item.failure is None
    assert item.record.text == ""
    assert item.record.metadata == {"format": "image", "file": str(path.resolve()), "needs_ocr": [1],
                                    "pages": [{"page": 1, "start": 0, "end": 0, "text_layer": False,
                                               "ocr_layer": False}]}
    assert item.record.content_hash == hashlib.sha256(path.read_bytes()).hexdigest()


def test_docx_paragraphs_and_tables_in_document_order(tmp_path: Path) -> None:
    path = word_file(tmp_path / "report.docx")
    item = one(path)
    assert item.failure is None
    assert item.record.text == ("Quarterly report\nSales rose in every region.\nName\tCity\nAda\tLondon\n"
                                "Total: 2\nClosing remarks.")
    assert item.record.metadata == {"format": "docx", "file": str(path.resolve()), "needs_ocr": []}
    assert item.record.content_hash == hashlib.sha256(path.read_bytes()).hexdigest()


def test_docx_without_text_is_empty(tmp_path: Path) -> None:
    path = tmp_path / "blank.docx"
    docx.Document().save(str(path))
    item = one(path)
    assert item.failure is not None and item.failure.kind == "empty"
    assert item.failure.message == "the Word file holds no text"


def test_docx_that_is_no_word_file_is_unreadable(tmp_path: Path) -> None:
    (tmp_path / "text.docx").write_text("just text, not a zip")
    with zipfile.ZipFile(tmp_path / "other.docx", "w") as archive:
        archive.writestr("notes.txt", "a zip, but no Word document")
    with zipfile.ZipFile(tmp_path / "broken.docx", "w") as archive:
        archive.writestr("word/document.xml", "<not-word>")  # no [Content_Types].xml: python-docx raises
    items = {i.record.source.rsplit("/", 1)[-1]: i.failure for i in iter_inputs([tmp_path])}
    assert {name: f and f.kind for name, f in items.items()} == {
        "broken.docx": "unreadable", "other.docx": "unreadable", "text.docx": "unreadable"}
    assert "not a zip archive" in items["text.docx"].message  # type: ignore[union-attr]
    assert "no word/document.xml" in items["other.docx"].message  # type: ignore[union-attr]
    assert items["broken.docx"].message.startswith("the Word file cannot be read: KeyError")  # type: ignore[union-attr]


def test_html_main_text_without_navigation(tmp_path: Path) -> None:
    path = html_page(tmp_path / "news.html")
    item = one(path)
    assert item.failure is None
    text = item.record.text or ""
    assert "The city council approved the new river park" in text and "old port" in text
    for boilerplate in ("Sitemap", "Subscribe", "All rights reserved", "Privacy policy", "tracking"):
        assert boilerplate not in text
    assert item.record.metadata == {"format": "html", "file": str(path.resolve()), "needs_ocr": []}
    assert item.record.content_hash == hashlib.sha256(path.read_bytes()).hexdigest()


def test_html_charsets_and_short_pages(tmp_path: Path) -> None:
    (tmp_path / "latin.htm").write_bytes('<html><head><meta http-equiv="Content-Type" content="text/html; '
                                         'charset=iso-8859-1"></head><body><p>Caf\xe9 cr\xe8me \u2013 '
                                         'ok</p></body></html>'.encode("cp1252"))
    (tmp_path / "short.html").write_text("<html><body><p>Just one line.</p><script>x=1</script></body></html>")
    (tmp_path / "bad.html").write_bytes("<html><body><p>caf\xe9</p></body></html>".encode("latin-1"))
    (tmp_path / "odd.html").write_bytes(b'<meta charset="no-such-charset"><p>text</p>')
    (tmp_path / "blank.html").write_text("<html><body>  <script>var a;</script></body></html>")
    items = {i.record.source.rsplit("/", 1)[-1]: i for i in iter_inputs([tmp_path])}
    assert "Café crème – ok" in (items["latin.htm"].record.text or "")
    assert items["short.html"].record.text == "Just one line."
    kinds = {name: item.failure.kind for name, item in items.items() if item.failure}
    assert kinds == {"bad.html": "encoding", "odd.html": "encoding", "blank.html": "empty"}
    assert "not valid utf-8 (byte 18" in items["bad.html"].failure.message  # type: ignore[union-attr]
    assert "unknown charset 'no-such-charset'" in items["odd.html"].failure.message  # type: ignore[union-attr]


def test_text_over_the_document_limit_is_too_large(tmp_path: Path) -> None:
    path = tmp_path / "long.docx"
    document = docx.Document()
    for _ in range(200):
        document.add_paragraph("word " * 20)
    document.save(str(path))
    item = one(path, max_bytes=10_000)
    assert item.failure is not None and item.failure.kind == "too_large"
    assert item.failure.message == ("the text of the Word file is over the 0.01 MB limit per document "
                                    "(raise it with --max-doc-mb)")


def test_file_over_the_binary_limit_is_too_large(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(formats, "MAX_BINARY_MB", 0.001)
    item = one(text_pdf(tmp_path / "a.pdf", [PAGE_ONE * 30]))
    assert item.failure is not None and item.failure.kind == "too_large"
    assert "over the 0.001 MB limit for a PDF" in item.failure.message


def test_image_over_the_pixel_limit_below_pillows(tmp_path: Path) -> None:
    (tmp_path / "big.png").write_bytes(png_header(8_000, 8_000))  # 64 M: over ours, under Pillow's warning
    item = one(tmp_path / "big.png")
    assert item.failure is not None and item.failure.kind == "too_large"
    assert item.failure.message == ("the image is 8,000 × 8,000 = 64,000,000 pixels, over the 50,000,000-pixel "
                                    "limit; scale it down")
    assert MAX_IMAGE_PIXELS == 50_000_000


def hostile_folder(tmp_path: Path) -> Path:
    """Good PDF, Word, HTML and PNG files beside an encrypted, a corrupt and a truncated PDF, a zip bomb disguised
    as .docx, a 30,000 × 30,000 image and a PDF of 2,000 pages."""
    started = time.perf_counter()
    good = [text_pdf(tmp_path / "good.pdf", [PAGE_ONE, PAGE_TWO]), word_file(tmp_path / "good.docx"),
            html_page(tmp_path / "good.html")]
    page_image("x").save(tmp_path / "good.png")
    text_pdf(tmp_path / "encrypted.pdf", [PAGE_ONE], user_password="x")
    (tmp_path / "corrupt.pdf").write_bytes(bytes(range(256)) * 64)
    whole = good[0].read_bytes()
    (tmp_path / "truncated.pdf").write_bytes(whole[:len(whole) // 2])
    zip_bomb(tmp_path / "bomb.docx")
    (tmp_path / "huge.png").write_bytes(png_header(30_000, 30_000))
    pdf = FPDF(format=(40, 40))
    pdf.set_font("helvetica", size=8)
    for number in range(2_000):
        pdf.add_page()
        pdf.text(5, 10, f"w{number}")
    pdf.output(str(tmp_path / "many.pdf"))
    assert time.perf_counter() - started < 20, "writing the samples took too long"
    return tmp_path


HOSTILE_FAILURES = {
    "encrypted.pdf": ("unreadable", "the PDF is encrypted (password-protected): decrypt it first"),
    "corrupt.pdf": ("unreadable", "the PDF cannot be opened: Failed to load document (PDFium: Data format error)."),
    "truncated.pdf": ("unreadable", "the PDF cannot be opened: Failed to load document (PDFium: Data format error)."),
    "bomb.docx": ("too_large", "the Word file unpacks to 210 MB, over the 100 MB limit (a zip bomb?)"),
    "huge.png": ("too_large", "the image is 900,000,000 pixels, over the 50,000,000-pixel limit; scale it down"),
    "many.pdf": ("too_large", f"the PDF has 2,000 pages, over the {MAX_PDF_PAGES}-page limit; split it"),
}


def test_hostile_files_fail_quickly_while_good_files_are_read(tmp_path: Path) -> None:
    hostile_folder(tmp_path)
    seconds: dict[str, float] = {}
    items: dict[str, IngestItem] = {}
    stream = iter_inputs([tmp_path])
    while True:
        tick = time.perf_counter()
        item = next(stream, None)
        if item is None:
            break
        name = item.record.source.rsplit("/", 1)[-1]
        seconds[name], items[name] = time.perf_counter() - tick, item
    assert all(took < 10 for took in seconds.values()), seconds
    assert {name for name, item in items.items() if item.failure is None} == {
        "good.pdf", "good.docx", "good.html", "good.png"}
    failures = {name: (item.failure.kind, item.failure.message) for name, item in items.items() if item.failure}
    assert failures == HOSTILE_FAILURES
    assert all(item.record.text is None for item in items.values() if item.failure)


def test_compression_ratio_alone_marks_a_zip_bomb(tmp_path: Path) -> None:
    item = one(zip_bomb(tmp_path / "small-bomb.docx", megabytes=20))  # under the size limit, ~1000 to 1
    assert item.failure is not None and item.failure.kind == "too_large"
    assert "to 1, over the 100 to 1 limit (a zip bomb?)" in item.failure.message


def test_read_document_never_raises(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import trafilatura

    def broken(*args: object, **kwargs: object) -> str:
        raise RecursionError("maximum recursion depth exceeded")

    monkeypatch.setattr(trafilatura, "extract", broken)
    item = next(read_document(html_page(tmp_path / "a.html"), 1_000_000))
    assert item.failure is not None and item.failure.kind == "unreadable"
    assert item.failure.message == "the HTML page cannot be read: RecursionError: maximum recursion depth exceeded"
    (tmp_path / "missing.pdf").symlink_to(tmp_path / "nowhere.pdf")
    item = next(read_document(tmp_path / "missing.pdf", 1_000_000))
    assert item.failure is not None and item.failure.kind == "unreadable" and "No such file" in item.failure.message
