"""Train the learned sentence scorer of ``summarize.legal`` (:mod:`tandem.specialists.legal.learned`).

Labels are a greedy ROUGE oracle: for each bill, candidates are added while they raise the ROUGE-Lsum F
of the chosen set against the reference summary (within the word budget); chosen ones are positives.
A logistic regression over :data:`~tandem.specialists.legal.learned.FEATURES` is fit on every candidate of
the training bills. ``--cv K`` first reports K-fold cross-validation *by bill* (a bill's candidates,
in every layout given, are in one fold): ROUGE-Lsum of the summaries against the lead baseline.

    python bench/billsum_layout.py ../shared/datasets/billsum/billsum_test_200.jsonl /tmp/bo_all.jsonl
    python -m tandem.specialists.legal.train_scorer ../shared/datasets/billsum/billsum_test_200.jsonl \\
        /tmp/bo_all.jsonl --bills 0:150 --cv 5 --out specialists/data/legal_scorer.json

Every file must hold the same bills in the same order (a layout re-wrap of the first); ``--bills``
picks the development bills (the final report bills are never read). Needs rouge-score and
scikit-learn (training only; the summarizer reads the JSON with numpy).
"""

from __future__ import annotations

import argparse
import datetime
import json
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from tandem.specialists.legal.learned import FEATURES, LearnedScorer, sentence_features
from tandem.specialists.legal.summarizer import (
    Encoded,
    SummarizerConfig,
    encode_documents,
    lead_summary,
    prepare_document,
    summarize_prepared,
)
from tandem.specialists.legal.summary_words import DEFAULT_SMOOTHING, SummaryWords, fit_summary_words
from tandem.specialists.legal.summary_words import tokens as _tokens

#: scores are this times the probability (chosen by 5-fold CV on bills 0-149: 10, 30 and 100 against 3)
DEFAULT_GAIN = 30.0


class CachingEncoder:
    """An encoder that remembers every text it embedded (saved to ``path`` as ``.npz``)."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path
        self.cache: dict[str, np.ndarray] = {}
        if path and path.is_file():
            data = np.load(path, allow_pickle=False)
            self.cache = dict(zip(data["texts"].tolist(), data["vectors"], strict=True))
        self.inner: Any = None

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        missing = sorted({t for t in texts if t not in self.cache})
        if missing:
            if self.inner is None:
                from tandem.specialists.encoder import shared_encoder

                self.inner = shared_encoder(False)
            for text, vector in zip(missing, self.inner.encode(missing), strict=True):
                self.cache[text] = vector
        if not texts:
            return np.zeros((0, 384), dtype=np.float32)
        return np.stack([self.cache[t] for t in texts]).astype(np.float32)

    def save(self) -> None:
        if self.path and self.cache:
            texts = list(self.cache)
            np.savez(self.path, texts=np.array(texts), vectors=np.stack([self.cache[t] for t in texts]))


def _lcs_positions(ref: list[str], cand: list[str]) -> set[int]:
    """Positions in ``ref`` of one longest common subsequence with ``cand``."""
    table = [[0] * (len(cand) + 1) for _ in range(len(ref) + 1)]
    for i, token in enumerate(ref):
        row, below = table[i], table[i + 1]
        for j, other in enumerate(cand):
            below[j + 1] = row[j] + 1 if token == other else max(row[j + 1], below[j])
    out: set[int] = set()
    i, j = len(ref), len(cand)
    while i and j:
        if ref[i - 1] == cand[j - 1]:
            out.add(i - 1)
            i, j = i - 1, j - 1
        elif table[i - 1][j] >= table[i][j - 1]:
            i -= 1
        else:
            j -= 1
    return out


def oracle_labels(candidates: Sequence[str], reference: str, max_words: int) -> np.ndarray:
    """1 for the candidates a greedy ROUGE-Lsum F oracle picks within ``max_words`` words.

    ROUGE-Lsum as ``rouge-score`` computes it: per reference sentence, the union of its LCS hits with
    each chosen sentence (Porter-stemmed tokens)."""
    from tandem.specialists.legal.segment import split_sentences

    refs = [_tokens(s) for s in split_sentences(reference)]
    ref_len = max(sum(len(r) for r in refs), 1)
    tokens = [_tokens(c) for c in candidates]
    hits = [[_lcs_positions(r, t) for r in refs] for t in tokens]
    words = [len(c.split()) for c in candidates]
    labels = np.zeros(len(candidates), dtype=np.int64)
    union: list[set[int]] = [set() for _ in refs]
    best, used, pred_len = 0.0, 0, 0
    while True:
        pick, pick_value = -1, best
        for i, toks in enumerate(tokens):
            if labels[i] or used + words[i] > max_words:
                continue
            hit = sum(len(u | h) for u, h in zip(union, hits[i], strict=True))
            p, r = hit / max(pred_len + len(toks), 1), hit / ref_len
            value = 2 * p * r / (p + r) if hit else 0.0
            if value > pick_value:
                pick, pick_value = i, value
        if pick < 0:
            return labels
        labels[pick] = 1
        union = [u | h for u, h in zip(union, hits[pick], strict=True)]
        best, used, pred_len = pick_value, used + words[pick], pred_len + len(tokens[pick])


@dataclass
class Bill:
    """One bill in one layout, prepared and embedded, with its oracle labels and features (empty when
    loaded with ``labelled=False``)."""

    group: int
    layout: int
    source: str
    reference: str
    doc: Any
    encoded: Encoded
    x: np.ndarray
    y: np.ndarray


def load_bills(paths: Sequence[Path], bills: range, cfg: SummarizerConfig, encoder: CachingEncoder, *,
               labelled: bool = True) -> list[Bill]:
    """The bills ``bills`` of every file in ``paths``, prepared with ``cfg``; with ``labelled``, their features and
    oracle labels too (the oracle is most of the time: callers that only summarize skip it)."""
    out: list[Bill] = []
    for layout, path in enumerate(paths):
        rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
        picked = [(i, rows[i]) for i in bills if i < len(rows)]
        docs = [prepare_document(row["source"], cfg) for _, row in picked]
        encoded = encode_documents(docs, encoder, cfg.encode_words)
        for (i, row), doc, enc in zip(picked, docs, encoded, strict=True):
            x, y = np.zeros((0, len(FEATURES)), dtype=np.float32), np.zeros(0, dtype=np.int64)
            if labelled:
                x = sentence_features(doc, enc.sentences, enc.headings, enc.title)
                budget = cfg.max_words - (len(doc.title.split()) if cfg.include_title and doc.title else 0)
                y = oracle_labels([c.text for c in doc.candidates], row["summary"], budget)
            out.append(Bill(i, layout, row["source"], row["summary"], doc, enc, x, y))
    return out


def fit(bills: Sequence[Bill], c: float = 1.0, card: dict[str, Any] | None = None,
        gain: float = DEFAULT_GAIN) -> LearnedScorer:
    """A logistic regression (L2, ``C=c``) on every candidate of ``bills``; scores are ``gain`` x probability."""
    from sklearn.linear_model import LogisticRegression

    x = np.concatenate([b.x for b in bills])
    y = np.concatenate([b.y for b in bills])
    mean, scale = x.mean(0), x.std(0)
    scale = np.where(scale > 1e-6, scale, 1.0)
    model = LogisticRegression(C=c, max_iter=2000).fit((x - mean) / scale, y)
    return LearnedScorer(FEATURES, mean.astype(np.float32), scale.astype(np.float32),
                         model.coef_[0].astype(np.float32), float(model.intercept_[0]), gain, card or {})


def rouge_lsum(bills: Sequence[Bill], cfg: SummarizerConfig) -> tuple[float, float]:
    """Mean ROUGE-Lsum F of ``cfg``'s summaries and of the lead baseline over ``bills``."""
    from tandem.specialists.metrics.rouge import rouge_scores

    ours = [rouge_scores(summarize_prepared(b.doc, b.encoded, cfg), b.reference)["rougeLsum"] for b in bills]
    lead = [rouge_scores(lead_summary(b.source, cfg.max_words), b.reference)["rougeLsum"] for b in bills]
    return float(np.mean(ours)), float(np.mean(lead))


def fit_words_of_bills(bills: Sequence[Bill], smoothing: float = DEFAULT_SMOOTHING,
                       card: dict[str, Any] | None = None) -> SummaryWords:
    """The summary-word table of ``bills`` (each bill in each layout once), as ``train_summary_words`` ships it."""
    return fit_summary_words((([c.text for c in b.doc.candidates], b.reference) for b in bills), smoothing,
                             card=card)


def cross_validate(bills: Sequence[Bill], cfg: SummarizerConfig, folds: int, c: float,
                   gain: float = DEFAULT_GAIN) -> dict[str, Any]:
    """K-fold CV by bill: per layout, ROUGE-Lsum of the learned scorer, the hand-set one and lead. The hand-set
    score's summary-word table is fitted on the training folds too (the shipped one has seen every bill)."""
    groups = sorted({b.group for b in bills})
    fold_of = {g: k % folds for k, g in enumerate(groups)}
    result: dict[str, Any] = {}
    per_layout: dict[int, list[tuple[float, float, float]]] = {}
    for k in range(folds):
        train = [b for b in bills if fold_of[b.group] != k]
        model, table = fit(train, c, gain=gain), fit_words_of_bills(train)
        for layout in sorted({b.layout for b in bills}):
            test = [b for b in bills if fold_of[b.group] == k and b.layout == layout]
            learned, lead = rouge_lsum(test, replace(cfg, scorer="learned", learned=model))
            heuristic, _ = rouge_lsum(test, replace(cfg, scorer="heuristic", word_rates=table))
            per_layout.setdefault(layout, []).extend([(learned, heuristic, lead)] * len(test))
    for layout, rows in per_layout.items():
        learned, heuristic, lead = (float(v) for v in np.mean(rows, axis=0))
        result[f"layout{layout}"] = {"learned": round(learned, 4), "heuristic": round(heuristic, 4),
                                     "lead": round(lead, 4), "ratio": round(learned / lead, 4),
                                     "heuristic_ratio": round(heuristic / lead, 4), "bills": len(rows)}
    return result


def _bills(spec: str) -> range:
    start, _, stop = spec.partition(":")
    return range(int(start or 0), int(stop))


def bill_parser(doc: str | None, out_help: str) -> argparse.ArgumentParser:
    """The arguments every training command over development bills takes (its own are added after)."""
    parser = argparse.ArgumentParser(description=(doc or "").splitlines()[0])
    parser.add_argument("gold", type=Path, nargs="+", help="JSONL files (source, summary), same bills in each")
    parser.add_argument("--bills", default="0:150", help="development bills START:STOP (default 0:150)")
    parser.add_argument("--cv", type=int, default=0, help="report K-fold CV by bill first")
    parser.add_argument("--cache", type=Path, default=None, help="embedding cache (.npz, outside the repo)")
    parser.add_argument("--out", type=Path, default=None, help=out_help)
    return parser


def bills_of(args: argparse.Namespace, cfg: SummarizerConfig, *, labelled: bool = True) -> tuple[list[Bill], dict[str, Any]]:
    """The development bills ``args`` name (embeddings cached in ``--cache``) and the card fields they share."""
    encoder = CachingEncoder(args.cache)
    bills = load_bills(args.gold, _bills(args.bills), cfg, encoder, labelled=labelled)
    encoder.save()
    return bills, {"data": [p.name for p in args.gold], "bills": args.bills, "date": datetime.date.today().isoformat()}


def main(argv: list[str] | None = None) -> int:
    parser = bill_parser(__doc__, "where to write the scorer JSON")
    parser.add_argument("-C", dest="c", type=float, default=1.0, help="inverse L2 strength (default 1.0)")
    parser.add_argument("--gain", type=float, default=DEFAULT_GAIN, help=f"score scale (default {DEFAULT_GAIN})")
    args = parser.parse_args(argv)
    cfg = SummarizerConfig()
    bills, shared = bills_of(args, cfg)
    card: dict[str, Any] = {**shared, "C": args.c, "labels": "greedy ROUGE-Lsum F oracle", "gain": args.gain,
                            "candidates": int(sum(len(b.y) for b in bills))}
    if args.cv:
        card["cv"] = cross_validate(bills, cfg, args.cv, args.c, args.gain)
        print(json.dumps(card["cv"], indent=1))
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(fit(bills, args.c, card, args.gain).to_json(), indent=1) + "\n", encoding="utf-8")
        print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
