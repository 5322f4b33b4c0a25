"""Fixed tune/final splits of the shared data, decided by a hash of each document's id (JSONL) or text (TSV/CSV).

Fixed before any tuning (2026-12-04) and never changed: every threshold and rule of the cleanup is chosen on
the ``tune`` part; the ``final`` part is scored once, at the end, and reported. A hash of the id (not a
shuffle) keeps a document in its part whatever else the file holds.

    python bench/prepare_overproof.py ../shared/datasets/ocr_overproof /tmp/overproof.jsonl
    python bench/splits.py /tmp/overproof.jsonl /tmp/overproof          # /tmp/overproof.{tune,final}.jsonl
    python bench/splits.py ../shared/datasets/ocr_icdar2017_en/dev.jsonl /tmp/icdar   # /tmp/icdar.{tune,final}.jsonl
    python bench/splits.py ../shared/datasets/sms_spam/train.tsv /tmp/sms   # /tmp/sms.{tune,final}.tsv, by text

A TSV or CSV file keeps its header line in both parts; a row's key is its whole line (the text, so a message
that occurs twice lands in one part only).

Write the output outside the repository (``/tmp``): dataset text is never committed.
"""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

#: share of the documents in the final (report) part
FINAL_SHARE = 0.4


def part_of(ident: str) -> str:
    """``final`` or ``tune``: the first 8 hex digits of sha256(id) as a fraction of 16**8."""
    fraction = int(hashlib.sha256(ident.encode("utf-8")).hexdigest()[:8], 16) / 16**8
    return "final" if fraction < FINAL_SHARE else "tune"


def split_file(source: Path, prefix: str) -> dict[str, int]:
    lines = [line for line in source.read_text(encoding="utf-8").splitlines() if line.strip()]
    tabular = source.suffix.lower() in (".tsv", ".csv")
    header, rows = (lines[:1], lines[1:]) if tabular else ([], lines)
    parts: dict[str, list[str]] = {"tune": [], "final": []}
    for number, line in enumerate(rows):
        ident = line if tabular else str(json.loads(line).get("id", number))
        parts[part_of(ident)].append(line)
    suffix = source.suffix.lower() if tabular else ".jsonl"
    for name, chosen in parts.items():
        Path(f"{prefix}.{name}{suffix}").write_text("\n".join(header + chosen) + "\n", encoding="utf-8")
    return {name: len(chosen) for name, chosen in parts.items()}


if __name__ == "__main__":
    counts = split_file(Path(sys.argv[1]), sys.argv[2])
    ext = Path(sys.argv[1]).suffix.lower() if Path(sys.argv[1]).suffix.lower() in (".tsv", ".csv") else ".jsonl"
    print(", ".join(f"{name}: {n} documents -> {sys.argv[2]}.{name}{ext}" for name, n in counts.items()))
