"""The legal summarizer's speed by MiniLM batch size: bills per second at 64 and at 16 sentences per batch, side by side.

    python bench/legal_speed.py [BILLS.jsonl] [--limit 50] [--rounds 2] [--quick]

Prepares each bill once (segmentation, candidates), then, after a warm-up, for each batch size in turn and
``--rounds`` times (the order swapped each round) embeds every bill's candidates, headings and title and writes its
summary (:func:`encode_documents` then :func:`summarize_prepared`, what ``summarize.legal`` does after preparing),
keeping each size's fastest round. Prints bills per second for each size, and one JSON line: ``ratio`` (16 over
64), ``bills_s_16``, ``bills_s_64``, ``max_embedding_diff`` (the largest difference between the two sizes'
embeddings) and ``same_summaries`` (the bills whose summaries are the same at both sizes; they should be all of
them). ``BILLS.jsonl``: JSON lines with a ``source`` (or ``text``) field; default: the shared BillSum bills
(``billsum/billsum_test_200.jsonl`` in ``$TANDEM_DATASETS`` or ``../shared/datasets``). ``--quick``: the
repository's sample lease, five times, two rounds.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from corpus import REPO, datasets_dir, emit  # noqa: E402 - the bench folder is not a package

BILLSUM = datasets_dir() / "billsum" / "billsum_test_200.jsonl"
SIZES = (64, 16)


def read_bills(path: Path, limit: int) -> list[str]:
    with path.open(encoding="utf-8") as handle:
        rows = [json.loads(line) for line in handle if line.strip()][:limit]
    return [row["source"] if "source" in row else row["text"] for row in rows]


def measure(texts: list[str], rounds: int) -> dict[str, Any]:
    import numpy as np

    from tandem.specialists.encoder import shared_encoder
    from tandem.specialists.legal.options import DEFAULTS
    from tandem.specialists.legal.summarizer import (
        InBatches,
        SummarizerConfig,
        encode_documents,
        prepare_document,
        summarize_prepared,
    )

    config = SummarizerConfig.from_options(DEFAULTS)
    encoder = shared_encoder(DEFAULTS.quantize)
    encoder.load()
    docs = [prepare_document(text, config) for text in texts]
    encode_documents(docs[:2], encoder, config.encode_words)  # warm up: the first forward passes are slow
    best: dict[int, float] = {}
    summaries: dict[int, list[str]] = {}
    vectors: dict[int, Any] = {}
    for round_ in range(rounds):
        for size in SIZES if round_ % 2 == 0 else SIZES[::-1]:
            start = time.perf_counter()
            encoded = encode_documents(docs, InBatches(encoder, size), config.encode_words)
            summaries[size] = [summarize_prepared(d, e, config) for d, e in zip(docs, encoded, strict=True)]
            best[size] = min(best.get(size, float("inf")), time.perf_counter() - start)
            vectors[size] = np.concatenate([e.sentences for e in encoded])
    same = sum(a == b for a, b in zip(summaries[64], summaries[16], strict=True))
    speeds = {size: len(docs) / seconds for size, seconds in best.items()}
    for size in SIZES:
        print(f"batch {size:3d}: {speeds[size]:6.2f} bills/s ({len(docs)} bills, fastest of {rounds})")
    return {"benchmark": "legal_speed", "bills": len(docs), "rounds": rounds, "ratio": round(speeds[16] / speeds[64], 3),
            "bills_s_16": round(speeds[16], 2), "bills_s_64": round(speeds[64], 2),
            "max_embedding_diff": float(np.abs(vectors[16] - vectors[64]).max()), "same_summaries": same}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("bills", nargs="?", type=Path, default=BILLSUM, help="JSON lines with a 'source' or 'text' field")
    parser.add_argument("--limit", type=int, default=50, metavar="N", help="the first N bills (default 50)")
    parser.add_argument("--rounds", type=int, default=2, help="rounds per batch size (the fastest is kept)")
    parser.add_argument("--quick", action="store_true", help="the sample lease five times, two rounds")
    args = parser.parse_args(argv)
    if args.quick:
        texts = [(REPO / "examples" / "docs" / "lease_agreement.txt").read_text(encoding="utf-8")] * 5
        rounds = 2
    else:
        texts, rounds = read_bills(args.bills, args.limit), args.rounds
    emit(measure(texts, rounds))


if __name__ == "__main__":
    main()
