"""Turn the shared overProof OCR data into cleanup gold JSONL ({"id", "noisy", "clean"} per article).

    python bench/prepare_overproof.py ../shared/datasets/ocr_overproof /tmp/overproof.jsonl
"""

from __future__ import annotations

import json
import sys
from pathlib import Path


def articles(path: Path):  # type: ignore[no-untyped-def]
    current: dict[str, list[str]] | None = None
    ident = ""
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        if line.startswith("*$*OVERPROOF*$*"):
            if current and current["noisy"]:
                yield ident, current
            ident = line.split()[1] if len(line.split()) > 1 else str(len(line))
            current = {"noisy": [], "clean": []}
            continue
        parts = line.split("||@@||")
        if current is None or len(parts) < 2:
            continue
        current["noisy"].append(parts[0])
        current["clean"].append(parts[1])
    if current and current["noisy"]:
        yield ident, current


def main(source: str, target: str) -> None:
    count = 0
    with open(target, "w", encoding="utf-8") as out:
        for path in sorted(Path(source).glob("dataset*/allArticles.txt")):
            for ident, art in articles(path):
                out.write(json.dumps({"id": f"{path.parent.name}/{ident}", "noisy": "\n".join(art["noisy"]),
                                      "clean": "\n".join(art["clean"])}) + "\n")
                count += 1
    print(f"wrote {count} articles to {target}")


if __name__ == "__main__":
    main(*sys.argv[1:3])
