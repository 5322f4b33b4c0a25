"""Train the summary-word table of ``summarize.legal`` and report its cross-validation.

    python -m tandem.specialists.legal.train_summary_words /tmp/bp_dev.jsonl /tmp/bo_dev.jsonl \\
        --bills 0:150 --cv 5 --cache /tmp/legal_emb.npz --out specialists/data/legal_summary_words.json

Each file holds the same bills (``source``, ``summary``), one layout per file; every (layout, bill) pair
counts once in the table. ``--cv K`` first reports K-fold cross-validation by bill (a bill's layouts in one
fold): the table is fitted on the other folds and the held-out bills are summarized with the prior at each
``--weights`` value (0: without it), per layout, with the lead baseline's ROUGE-Lsum for the ratio.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from tandem.specialists.legal.summarizer import SummarizerConfig
from tandem.specialists.legal.summary_words import DEFAULT_SMOOTHING
from tandem.specialists.legal.train_scorer import Bill, bill_parser, bills_of, fit_words_of_bills, rouge_lsum


def cross_validate(bills: Sequence[Bill], cfg: SummarizerConfig, folds: int, weights: Sequence[float],
                   smoothing: float = DEFAULT_SMOOTHING) -> dict[str, Any]:
    """K-fold CV by bill: per layout and prior weight, mean ROUGE-Lsum of the held-out bills and of lead."""
    groups = sorted({b.group for b in bills})
    fold_of = {g: k % folds for k, g in enumerate(groups)}
    sums: dict[tuple[int, float], list[float]] = {}
    for k in range(folds):
        table = fit_words_of_bills([b for b in bills if fold_of[b.group] != k], smoothing)
        for layout in sorted({b.layout for b in bills}):
            test = [b for b in bills if fold_of[b.group] == k and b.layout == layout]
            for weight in weights:
                ours, lead = rouge_lsum(test, replace(cfg, summary_words=weight, word_rates=table))
                acc = sums.setdefault((layout, weight), [0.0, 0.0, 0.0])
                acc[0] += ours * len(test)
                acc[1] += lead * len(test)
                acc[2] += len(test)
    result: dict[str, Any] = {}
    for (layout, weight), (ours, lead, n) in sorted(sums.items()):
        result.setdefault(f"layout{layout}", {})[f"weight {weight:g}"] = {
            "rougeLsum": round(ours / n, 4), "lead": round(lead / n, 4), "ratio": round(ours / lead, 4), "bills": int(n)}
    return result


def main(argv: list[str] | None = None) -> int:
    parser = bill_parser(__doc__, "where to write the table (JSON)")
    parser.add_argument("--weights", default="0,0.5,1,2", help="prior weights compared in CV (default 0,0.5,1,2)")
    parser.add_argument("--smoothing", type=float, default=DEFAULT_SMOOTHING,
                        help=f"pseudo-counts towards the base share (default {DEFAULT_SMOOTHING:g})")
    args = parser.parse_args(argv)
    cfg = SummarizerConfig()
    bills, shared = bills_of(args, cfg, labelled=False)
    card: dict[str, Any] = {**shared, "pairs": len(bills)}
    if args.cv:
        weights = [float(w) for w in args.weights.split(",")]
        card["cv"] = cross_validate(bills, cfg, args.cv, weights, args.smoothing)
        print(json.dumps(card["cv"], indent=1))
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        table = fit_words_of_bills(bills, args.smoothing, card)
        args.out.write_text(json.dumps(table.to_json(), indent=0, ensure_ascii=False) + "\n", encoding="utf-8")
        print(f"wrote {args.out}: {len(table.rates)} words, base {table.base:.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
