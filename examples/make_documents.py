"""Write the sample documents of ``examples/documents/``: a born-digital PDF, a scanned PDF page and a Word file.

    python examples/make_documents.py [--out examples/documents]

Everything is made here from text written for Tandem (no third-party documents): the PDF with fpdf2 (a text
layer on two pages), the scan by rendering a letter to an image with Pillow and adding what scanners add (a slight
skew, speckles, blur, uneven ink), saved as an image-only PDF, and the Word file with python-docx (paragraphs and
a table). Deterministic: the same files every time. Needs the ``dev`` extra (fpdf2).
"""

from __future__ import annotations

import argparse
import random
from datetime import UTC, datetime
from pathlib import Path

MEMO_PAGES = [
    ("Grant agreement - summary",
     "This agreement is made on 3 March 2026 between the Rural Broadband Cooperative of Lincoln County and the "
     "Department of Agriculture. The Cooperative, represented by its director Maria Gonzalez, will build fiber "
     "networks in Lincoln County and Dawson County, Nebraska. The Department will pay 2,400,000 dollars in "
     "three instalments, the first on signature."),
    ("Reporting and audit",
     "The Cooperative reports to the Department every quarter. An audit by Baker Tilly LLP in Omaha will check "
     "that the funds were spent on the network. Questions go to Daniel Okafor at the Department's office in "
     "Washington. Either party may end the agreement with ninety days written notice."),
]

LETTER = [
    "Harbour Street 14, Portsmouth",
    "12 January 1923",
    "",
    "Dear Mr. Henry Wallace,",
    "",
    "The steamer Mary Rose arrived from Lisbon on Tuesday with a",
    "cargo of cork and wine for the Portsmouth Trading Company.",
    "Captain John Miller reports calm weather in the Channel and",
    "asks that the harbour master at Southampton be told of the",
    "delay. The goods will be sent to London by the Friday train.",
    "",
    "Yours faithfully,",
    "Thomas Reed, Clerk",
]


def born_digital_pdf(path: Path) -> None:
    from fpdf import FPDF

    pdf = FPDF(format="A4")
    pdf.set_creation_date(datetime(2026, 3, 3, tzinfo=UTC))  # the same file every time
    pdf.set_auto_page_break(auto=True, margin=20)
    for title, body in MEMO_PAGES:
        pdf.add_page()
        pdf.set_font("Helvetica", "B", 16)
        pdf.cell(0, 12, title, new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("Helvetica", size=12)
        pdf.multi_cell(0, 7, body)
    pdf.output(str(path))


def scanned_pdf(path: Path, seed: int = 0) -> None:
    from PIL import Image, ImageDraw, ImageFilter, ImageFont

    rng = random.Random(seed)
    width, height = 2480, 1754  # A5 landscape at 300 dpi
    page = Image.new("L", (width, height), 255)
    draw = ImageDraw.Draw(page)
    font = ImageFont.truetype(_serif_font(), 44)
    y = 160
    for line in LETTER:
        x = 180 + rng.randint(-3, 3)
        for char in line:  # uneven ink, letter by letter
            draw.text((x, y + rng.randint(-1, 1)), char, fill=rng.randint(0, 70), font=font)
            x += draw.textlength(char, font=font)
        y += 78
    page = page.rotate(0.6, resample=Image.Resampling.BICUBIC, fillcolor=255, expand=False)
    pixels = page.load()
    assert pixels is not None
    for _ in range(9000):  # speckles
        px, py = rng.randrange(width), rng.randrange(height)
        pixels[px, py] = rng.choice((0, 60, 120, 255))
    page = page.filter(ImageFilter.GaussianBlur(0.8))
    stamp = datetime(1980, 1, 1, tzinfo=UTC).timetuple()  # the same file every time
    page.save(path, "PDF", resolution=300.0, creationDate=stamp, modDate=stamp)


def word_file(path: Path) -> None:
    from docx import Document

    doc = Document()
    doc.add_heading("Minutes of the harbour board, 8 May 2026", level=1)
    doc.add_paragraph("Present: Sarah Whitfield (chair), Ahmed Karimi, Lucy Chen. The board met at the Harbour "
                      "Office in Portsmouth to review the dredging contract with Van Oord.")
    doc.add_paragraph("Ahmed Karimi reported that the work in the western basin is two weeks late because of the "
                      "storm in April. The board asked Van Oord for a new schedule by 1 June.")
    table = doc.add_table(rows=3, cols=3)
    for row, cells in zip(table.rows, (("Item", "Owner", "Due"), ("New schedule", "Van Oord", "1 June 2026"),
                                       ("Budget review", "Lucy Chen", "15 June 2026"))):
        for cell, value in zip(row.cells, cells):
            cell.text = value
    doc.core_properties.created = datetime(2026, 5, 8, tzinfo=UTC)  # the same file every time
    doc.core_properties.modified = datetime(2026, 5, 8, tzinfo=UTC)
    doc.save(str(path))


def _serif_font() -> str:
    for candidate in ("/usr/share/fonts/truetype/dejavu/DejaVuSerif.ttf", "DejaVuSerif.ttf", "DejaVuSans.ttf"):
        if Path(candidate).is_file() or "/" not in candidate:
            return candidate
    raise SystemExit("no TrueType font found: install fonts-dejavu-core")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent / "documents")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    born_digital_pdf(args.out / "grant_agreement.pdf")
    scanned_pdf(args.out / "scanned_letter.pdf")
    word_file(args.out / "harbour_minutes.docx")
    for file in sorted(args.out.iterdir()):
        print(f"{file}  ({file.stat().st_size:,} bytes)")


if __name__ == "__main__":
    main()
