"""Fixed tune/final splits of the shared cleanup data, decided by a hash of each document's id.

Fixed before any tuning (2026-12-04) and never changed: every threshold and rule of the cleanup is chosen on
the ``tune`` part; the ``final`` part is scored once, at the end, and reported. A hash of the id (not a
shuffle) keeps a document in its part whatever else the file holds.

    python bench/prepare_overproof.py ../shared/datasets/ocr_overproof /tmp/overproof.jsonl
    python bench/splits.py /tmp/overproof.jsonl /tmp/overproof          # /tmp/overproof.{tune,final}.jsonl
    python bench/splits.py ../shared/datasets/ocr_icdar2017_en/dev.jsonl /tmp/icdar   # /tmp/icdar.{tune,final}.jsonl

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
    parts: dict[str, list[str]] = {"tune": [], "final": []}
    for number, line in enumerate(lines):
        ident = str(json.loads(line).get("id", number))
        parts[part_of(ident)].append(line)
    for name, chosen in parts.items():
        Path(f"{prefix}.{name}.jsonl").write_text("\n".join(chosen) + "\n", encoding="utf-8")
    return {name: len(chosen) for name, chosen in parts.items()}


if __name__ == "__main__":
    counts = split_file(Path(sys.argv[1]), sys.argv[2])
    print(", ".join(f"{name}: {n} documents -> {sys.argv[2]}.{name}.jsonl" for name, n in counts.items()))
