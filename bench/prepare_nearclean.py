"""Build the near-clean cleanup gold: text a cleanup must leave exactly as it is.

One JSONL row per line, ``noisy == clean``: every overProof line whose raw OCR equals its human correction
(with at least three letters), plus the archaic and rare-word lines of ``bench/data/nearclean_extra.txt``
(King James Bible, Shakespeare, 18th/19th-century prose, colonial names; written out for this benchmark).

    python bench/prepare_nearclean.py ../shared/datasets/ocr_overproof /tmp/nearclean.jsonl
    tandem eval cleanup --gold /tmp/nearclean.jsonl --json    # "unchanged" should be >= 0.99
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

EXTRA = Path(__file__).parent / "data" / "nearclean_extra.txt"
_LETTERS = re.compile(r"[A-Za-z]")


def overproof_clean_lines(source: Path) -> list[tuple[str, str]]:
    rows = []
    for path in sorted(source.glob("dataset*/allArticles.txt")):
        for number, line in enumerate(path.read_text(encoding="utf-8", errors="replace").splitlines(), start=1):
            parts = line.split("||@@||")
            if line.startswith("*$*OVERPROOF*$*") or len(parts) < 2:
                continue
            raw, corrected = parts[0].strip(), parts[1].strip()
            if raw == corrected and len(_LETTERS.findall(raw)) >= 3:
                rows.append((f"{path.parent.name}:{number}", raw))
    return rows


def main(source: str, target: str) -> None:
    rows = overproof_clean_lines(Path(source))
    extra = [line.strip() for line in EXTRA.read_text(encoding="utf-8").splitlines() if line.strip()]
    rows += [(f"extra:{n}", line) for n, line in enumerate(extra, start=1)]
    with open(target, "w", encoding="utf-8") as out:
        for ident, line in rows:
            out.write(json.dumps({"id": ident, "noisy": line, "clean": line}) + "\n")
    print(f"wrote {len(rows)} lines ({len(extra)} archaic/rare-word lines) to {target}")


if __name__ == "__main__":
    main(*sys.argv[1:3])
