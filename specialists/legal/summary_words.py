"""The summary-word prior of ``summarize.legal``: how often a bill's word reaches its summary.

Some words of a bill reach its summary far more often than others: ``establish``, ``grant``, ``prohibit``
and the names of programs do, ``subsection``, ``striking``, ``redesignate`` and ``preceding`` seldom do.
:class:`SummaryWords` holds, for each word stem seen in the candidate sentences of development bills, the
share of those bills whose reference summary has it too (smoothed towards the share over all words,
:attr:`SummaryWords.base`). :meth:`SummaryWords.prior` gives each candidate the mean share of its content
words minus the base, a small term added to the hand-set score (option ``summary_words``, its weight).

Words are ROUGE's tokens (lower case, Porter stems: ``rouge-score``'s tokenizer), so the prior speaks the
same language as the measure the summarizer is judged by. The table ships as JSON
(``specialists/data/legal_summary_words.json``, read without pickle), trained by
``python -m tandem.specialists.legal.train_summary_words`` on BillSum bills 0-149 (docs/benchmarks.md).
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

#: the shipped table (trained by ``python -m tandem.specialists.legal.train_summary_words``)
DEFAULT_SUMMARY_WORDS_PATH = Path(__file__).resolve().parent.parent / "data" / "legal_summary_words.json"
SUMMARY_WORDS_FORMAT = "tandem.legal-summary-words/1"
#: pseudo-counts pulling a rarely seen word's share towards the base share
DEFAULT_SMOOTHING = 5.0
#: words that carry no content: left out of a candidate's mean (stems, as the tokenizer gives them)
STOPWORDS = frozenset(
    "a an and ani ar as at be by for from ha have in is it may not of on or such shall that the thi to under "
    "which with".split())


def tokens(text: str) -> list[str]:
    """ROUGE's tokens of ``text``: lower-cased, Porter-stemmed words and numbers (``rouge_score``'s own
    tokenizer, with each word's stem computed once per process: stemming was half the summarizer's time
    outside the encoder)."""
    from rouge_score.tokenize import tokenize

    return list(tokenize(text, _CachedStemmer()))


class _CachedStemmer:
    def stem(self, word: str) -> str:
        return _stem(word)


@lru_cache(maxsize=65536)
def _stem(word: str) -> str:
    return str(_porter().stem(word))


@lru_cache(maxsize=1)
def _porter() -> Any:
    from nltk.stem import porter

    return porter.PorterStemmer()


@dataclass(frozen=True)
class SummaryWords:
    """Per word stem, the share of bills whose summary has the word, among the bills whose candidates do."""

    rates: dict[str, float]
    base: float
    card: dict[str, Any] = field(default_factory=dict)

    def sentence_rate(self, text: str) -> float:
        """The mean share of the content words of ``text`` (:attr:`base` when it has none)."""
        content = [w for w in tokens(text) if w not in STOPWORDS]
        return float(np.mean([self.rates.get(w, self.base) for w in content])) if content else self.base

    def prior(self, texts: Sequence[str]) -> np.ndarray:
        """One value per text: its :meth:`sentence_rate` minus :attr:`base` (0 for a typical sentence)."""
        return np.array([self.sentence_rate(t) - self.base for t in texts], dtype=np.float32)

    def to_json(self) -> dict[str, Any]:
        return {"format": SUMMARY_WORDS_FORMAT, "base": round(self.base, 6), "card": self.card,
                "rates": {w: round(r, 4) for w, r in sorted(self.rates.items())}}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> SummaryWords:
        if data.get("format") != SUMMARY_WORDS_FORMAT:
            raise ValueError(f"not a summary-word table (format {data.get('format')!r}, "
                             f"expected {SUMMARY_WORDS_FORMAT!r})")
        rates = {str(w): float(r) for w, r in data["rates"].items()}
        if not all(0.0 <= r <= 1.0 for r in rates.values()):
            raise ValueError("every rate must be a share between 0 and 1")
        return cls(rates, float(data["base"]), dict(data.get("card", {})))

    @classmethod
    def load(cls, path: str | Path) -> SummaryWords:
        return cls.from_json(json.loads(Path(path).read_text(encoding="utf-8")))


def fit_summary_words(bills: Iterable[tuple[Sequence[str], str]], smoothing: float = DEFAULT_SMOOTHING,
                      min_bills: int = 2, card: dict[str, Any] | None = None) -> SummaryWords:
    """A table from ``(candidate sentences, reference summary)`` pairs, one pair per bill.

    A word's rate is ``(bills whose candidates and summary have it + smoothing * base) / (bills whose
    candidates have it + smoothing)``; ``base`` is the same share over all words. Words seen in fewer than
    ``min_bills`` bills are left out (their rate would be close to ``base``, which unknown words get)."""
    seen: Counter[str] = Counter()
    kept: Counter[str] = Counter()
    for candidates, reference in bills:
        words = {w for text in candidates for w in tokens(text)}
        in_summary = set(tokens(reference))
        seen.update(words)
        kept.update(words & in_summary)
    base = sum(kept.values()) / max(sum(seen.values()), 1)
    rates = {w: (kept[w] + smoothing * base) / (n + smoothing) for w, n in seen.items() if n >= min_bills}
    return SummaryWords(rates, base, dict(card or {}, smoothing=smoothing, min_bills=min_bills))


@lru_cache(maxsize=1)
def default_summary_words() -> SummaryWords:
    """The shipped table (:data:`DEFAULT_SUMMARY_WORDS_PATH`), read once per process."""
    return SummaryWords.load(DEFAULT_SUMMARY_WORDS_PATH)
