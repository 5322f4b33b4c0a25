"""Gold pages in the ICDAR-2017 post-OCR competition's own format, read as (noisy, clean) pairs.

Each page is a text file of three tagged lines (Chiron et al. 2017)::

    [OCR_toInput] the OCR output, as the corrector gets it
    [OCR_aligned] the OCR output padded with ``@`` to align with the gold
    [ GS_aligned] the gold transcription padded with ``@``; ``#`` marks OCR characters without a gold equivalent

The noisy text is ``[OCR_toInput]``; the clean text is ``[ GS_aligned]`` with its ``@``/``#`` padding removed
(as ``../shared/datasets/ocr_icdar2017_en/dev.jsonl`` was made). A folder is read recursively, its pages in
path order, so ``tandem eval cleanup --gold`` and ``tandem train cleanup --data`` take the competition's
folders as they are distributed.
"""

from __future__ import annotations

from pathlib import Path

from tandem.specialists.datafiles import read_text_file

OCR_INPUT_TAG = "[OCR_toInput]"
GOLD_ALIGNED_TAG = "[ GS_aligned]"
_PADDING = str.maketrans("", "", "@#")


def is_icdar_page(path: Path) -> bool:
    """Whether ``path`` is a file that starts as an ICDAR-2017 page does (its ``[OCR_toInput]`` line)."""
    try:
        with open(path, "rb") as handle:
            start = handle.read(len(OCR_INPUT_TAG) + 3)
    except OSError:
        return False
    return start.removeprefix(b"\xef\xbb\xbf").startswith(OCR_INPUT_TAG.encode())


def read_icdar_page(path: Path) -> tuple[str, str]:
    """The page's ``(noisy, clean)`` texts; ValueError naming the file when a tagged line is missing."""
    lines = read_text_file(path, "ICDAR-2017 page", encoding="utf-8-sig").splitlines()
    tagged = {tag: line[len(tag):].removeprefix(" ") for line in lines
              for tag in (OCR_INPUT_TAG, GOLD_ALIGNED_TAG) if line.startswith(tag)}
    missing = [tag for tag in (OCR_INPUT_TAG, GOLD_ALIGNED_TAG) if tag not in tagged]
    if missing:
        raise ValueError(f"{path}: an ICDAR-2017 page needs the lines {OCR_INPUT_TAG} and {GOLD_ALIGNED_TAG}; "
                         f"{' and '.join(missing)} is missing")
    return tagged[OCR_INPUT_TAG], tagged[GOLD_ALIGNED_TAG].translate(_PADDING)


def icdar_page_files(folder: Path) -> list[Path]:
    """The ICDAR-2017 pages under ``folder`` (any depth), in path order; other files are passed over."""
    return [path for path in sorted(folder.rglob("*")) if path.is_file() and is_icdar_page(path)]
