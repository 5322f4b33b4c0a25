"""OCR quality, measured: overProof's corrected articles rendered to noisy 300 dpi scans, read back by
``ocr.tesseract``, then cleaned by ``cleanup``.

    python bench/ocr.py [--datasets ../shared/datasets] [--limit 30] [--llm SPEC] [--quick]

Each article's human-corrected text (``../shared/datasets/ocr_overproof``, one newspaper column line per line) is
typeset in a serif font on A4 pages at 300 dpi and "scanned": a slight skew, uneven ink, faded letters, speckles
and blur (deterministic per article). The pages are saved as an image-only PDF and go through the same path as a
user's scan: ``ocr.tesseract`` (pages rendered with pypdfium2, read with Tesseract), then ``cleanup`` (default
settings: the confusion model, the embedded LLM for words in doubt; ``--llm`` to change it). Prints CER after OCR
and after cleanup against the text that was typeset (whitespace collapsed, line-end hyphens joined), the articles
that cleanup made worse by more than one point, and OCR's speed; ends with one JSON line (``ratio``: CER after
cleanup over CER after OCR). ``--quick``: two articles, no LLM (a smoke test).
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "bench"))
import prepare_overproof  # noqa: E402,I001 - the bench folder is not a package; imported before corpus, which
from corpus import datasets_dir, emit  # noqa: E402 - takes this folder off the path (bench/dask.py must not shadow dask)

articles = prepare_overproof.articles

PAGE = (2480, 3508)  # A4 at 300 dpi
MARGIN, FONT_PX, LINE_PX = 220, 40, 56
FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSerif.ttf"


def render_scan(lines: list[str], path: Path, seed: int) -> int:
    """Typeset ``lines`` on noisy A4 pages saved as an image-only PDF; returns the number of pages."""
    from PIL import Image, ImageDraw, ImageFilter, ImageFont

    rng = random.Random(seed)
    font = ImageFont.truetype(FONT, FONT_PX) if Path(FONT).is_file() else ImageFont.load_default(size=FONT_PX)
    per_page = (PAGE[1] - 2 * MARGIN) // LINE_PX
    pages = []
    for start in range(0, max(len(lines), 1), per_page):
        page = Image.new("L", PAGE, 255)
        draw = ImageDraw.Draw(page)
        for row, line in enumerate(lines[start:start + per_page]):
            x, y = MARGIN + rng.randint(-2, 2), MARGIN + row * LINE_PX
            for char in line:
                faded = rng.random() < 0.06
                draw.text((x, y + rng.randint(-1, 1)), char, font=font,
                          fill=rng.randint(130, 190) if faded else rng.randint(0, 80))
                x += draw.textlength(char, font=font)
        page = page.rotate(rng.uniform(-1.0, 1.0), resample=Image.Resampling.BICUBIC, fillcolor=255)
        # a worn original scanned at a lower resolution: ink spread, detail lost, then speckles
        page = page.filter(ImageFilter.MinFilter(3)) if rng.random() < 0.5 else page
        page = page.resize((PAGE[0] // 2, PAGE[1] // 2), Image.Resampling.BILINEAR).resize(PAGE)
        pixels = page.load()
        assert pixels is not None
        for _ in range(60_000):
            pixels[rng.randrange(PAGE[0]), rng.randrange(PAGE[1])] = rng.choice((0, 60, 120, 200))
        pages.append(page.filter(ImageFilter.GaussianBlur(rng.uniform(1.0, 1.5))))
    pages[0].save(path, "PDF", resolution=300.0, save_all=True, append_images=pages[1:])
    return len(pages)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--datasets", type=Path, default=datasets_dir(),
                        help="the shared datasets (default: $TANDEM_DATASETS or ../shared/datasets)")
    parser.add_argument("--limit", type=int, default=30, help="articles (the first of each dataset file in turn)")
    parser.add_argument("--llm", default=None, help="the cleanup's LLM (default: the embedded SmolLM2)")
    parser.add_argument("--quick", action="store_true", help="two articles, cleanup without LLM questions")
    args = parser.parse_args(argv)
    from tandem.specialists.metrics.text_error import char_errors, normalize_for_scoring
    from tandem.stages.contracts import DocState, Document
    from tandem.stages.llm.cleanup import CleanupStage
    from tandem.stages.ocr.tesseract import TesseractStage, tesseract_version

    if tesseract_version() is None:
        raise SystemExit("Tesseract is not installed (apt-get install tesseract-ocr tesseract-ocr-eng)")
    limit = 2 if args.quick else args.limit
    picked = _pick_articles(args.datasets / "ocr_overproof", limit)
    ocr_stage = TesseractStage()
    cleanup = CleanupStage(input="ocr", llm=args.llm, **({"llm_calls": 0} if args.quick else {}))
    cleanup.load()
    totals: dict[str, Any] = {"chars": 0, "ocr_errors": 0, "clean_errors": 0, "pages": 0, "ocr_s": 0.0,
                              "clean_s": 0.0, "worse": [], "better": 0}
    with tempfile.TemporaryDirectory(prefix="tandem-ocr-bench-") as tmp:
        for number, (ident, lines) in enumerate(picked):
            pdf = Path(tmp) / f"a{number}.pdf"
            pages = render_scan(lines, pdf, seed=number)
            document = Document(content_hash=Document.hash_bytes(pdf.read_bytes()), source=ident,
                                text="\f" * (pages - 1), metadata={"format": "pdf", "file": str(pdf),
                                                                   "needs_ocr": list(range(1, pages + 1))})
            state = DocState(document=document)
            start = time.perf_counter()
            read = ocr_stage.run([state])
            totals["ocr_s"] += time.perf_counter() - start
            ocr_text = next(iter(read.successes.values())).text if read.successes else ""
            start = time.perf_counter()
            cleaned_result = cleanup.run([DocState(document=document, fields={"ocr": next(iter(read.successes.values()))})]
                                         ) if read.successes else None
            totals["clean_s"] += time.perf_counter() - start
            cleaned = (next(iter(cleaned_result.successes.values())).text
                       if cleaned_result is not None and cleaned_result.successes else ocr_text)
            reference = normalize_for_scoring("\n".join(lines))
            ocr_errors = char_errors(normalize_for_scoring(ocr_text.replace("\f", "\n")), reference)
            clean_errors = char_errors(normalize_for_scoring(cleaned.replace("\f", "\n")), reference)
            totals["chars"] += len(reference)
            totals["ocr_errors"] += ocr_errors
            totals["clean_errors"] += clean_errors
            totals["pages"] += pages
            change = (clean_errors - ocr_errors) / max(len(reference), 1)
            if change > 0.01:
                totals["worse"].append(ident)
            totals["better"] += int(clean_errors < ocr_errors)
            print(f"  {ident:30s} {pages} p  CER after OCR {ocr_errors / max(len(reference), 1):6.2%}  "
                  f"after cleanup {clean_errors / max(len(reference), 1):6.2%}", flush=True)
    cer_ocr = totals["ocr_errors"] / max(totals["chars"], 1)
    cer_clean = totals["clean_errors"] / max(totals["chars"], 1)
    print(f"{len(picked)} articles, {totals['pages']} pages rendered at 300 dpi with scan noise")
    print(f"  CER after OCR      {cer_ocr:.2%}   ({totals['pages'] / max(totals['ocr_s'], 1e-9):.2f} pages/s)")
    print(f"  CER after cleanup  {cer_clean:.2%}   (x{cer_clean / max(cer_ocr, 1e-9):.3f}; better on "
          f"{totals['better']} articles; worse by more than 1 point on {len(totals['worse'])})")
    emit({"benchmark": "ocr", "articles": len(picked), "pages": totals["pages"], "cer_ocr": round(cer_ocr, 5),
          "cer_cleanup": round(cer_clean, 5), "ratio": round(cer_clean / max(cer_ocr, 1e-9), 4),
          "worse_by_1pt": len(totals["worse"]), "ocr_pages_s": round(totals["pages"] / max(totals["ocr_s"], 1e-9), 3),
          "cleanup_s": round(totals["clean_s"], 2)})
    return 0


def _pick_articles(folder: Path, limit: int) -> list[tuple[str, list[str]]]:
    """The first ``limit`` articles (taking each dataset file in turn) with their corrected lines."""
    if not folder.is_dir():
        raise SystemExit(f"overProof data not found at {folder} (see ../shared/datasets/README)")
    streams = [articles(path) for path in sorted(folder.glob("dataset*/allArticles.txt"))]
    picked: list[tuple[str, list[str]]] = []
    while streams and len(picked) < limit:
        for stream in list(streams):
            item = next(stream, None)
            if item is None:
                streams.remove(stream)
                continue
            ident, article = item
            lines = [line for line in article["clean"] if line.strip()]
            if len(" ".join(lines).split()) >= 20:
                picked.append((f"{folder.name}/{ident}", lines))
            if len(picked) >= limit:
                break
    return picked


if __name__ == "__main__":
    raise SystemExit(main())
