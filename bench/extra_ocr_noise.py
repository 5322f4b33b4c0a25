"""Give a cleanup gold file heavier OCR noise: a share of its words each get one more letter-shape misreading.

    python bench/extra_ocr_noise.py /tmp/icdar.tune.jsonl /tmp/icdar.tune.noisier.jsonl --rate 0.05 --seed 6
    tandem eval cleanup --gold /tmp/icdar.tune.noisier.jsonl --json

Reads and writes ``{"id", "noisy", "clean"}`` JSON lines; ``clean`` is copied, and each alphabetic word of three or
more letters in ``noisy`` is, with probability ``rate``, given one substitution drawn from :data:`MISREADINGS`
(seeded, so a draw can be repeated). A check of how the corrector behaves on noisier pages than the gold file has;
nothing is chosen on it (docs/benchmarks.md, cleanup v3.2).
"""

from __future__ import annotations

import argparse
import json
import random
import re

#: (printed, read) letter shapes an OCR engine confuses; written here, not read from the corrector's own tables
#: (``stages/ocr/confusion.py``, ``shapes.py``), so that the check does not grade the corrector on its own prior
MISREADINGS = [("e", "c"), ("c", "e"), ("h", "b"), ("b", "h"), ("n", "u"), ("u", "n"), ("rn", "m"), ("m", "rn"),
               ("l", "1"), ("i", "l"), ("t", "f"), ("s", "f"), ("a", "o"), ("o", "a"), ("e", "o"), ("d", "cl"),
               ("w", "vv"), ("y", "v"), ("r", "t"), ("f", "s")]


def misread(word: str, rng: random.Random) -> str:
    """``word`` with one of its letter shapes misread (unchanged when it has none of :data:`MISREADINGS`)."""
    choices = [(printed, read) for printed, read in MISREADINGS if printed in word]
    if not choices:
        return word
    printed, read = rng.choice(choices)
    at = rng.choice([m.start() for m in re.finditer(re.escape(printed), word)])
    return word[:at] + read + word[at + len(printed):]


def noisier(text: str, rate: float, rng: random.Random) -> str:
    """``text`` with each alphabetic word of 3+ letters misread once with probability ``rate``; spacing kept."""
    parts = re.split(r"(\s+)", text)
    return "".join(misread(p, rng) if p.isalpha() and len(p) > 2 and rng.random() < rate else p for p in parts)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("source", help="gold JSONL with 'noisy' and 'clean'")
    parser.add_argument("target", help="where to write the noisier copy")
    parser.add_argument("--rate", type=float, default=0.05, help="share of words misread once more (default 0.05)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the draw (default 0)")
    args = parser.parse_args(argv)
    rng = random.Random(args.seed)
    count = 0
    with open(args.source, encoding="utf-8") as source, open(args.target, "w", encoding="utf-8") as out:
        for line in source:
            if line.strip():
                record = json.loads(line)
                record["noisy"] = noisier(record["noisy"], args.rate, rng)
                out.write(json.dumps(record) + "\n")
                count += 1
    print(f"wrote {count} records to {args.target}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
