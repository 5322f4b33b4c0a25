"""Choosing sentences within a word budget: maximal marginal relevance and budget fitting."""

from __future__ import annotations

from collections.abc import Collection, Sequence

import numpy as np

from tandem.specialists.legal.options import DEFAULTS


def mmr_select(
    scores: np.ndarray,
    embeddings: np.ndarray,
    words: Sequence[int],
    max_words: int,
    *,
    diversity: float = DEFAULTS.diversity,
    max_redundancy: float = 0.92,
    strict: bool = False,
    skip: Collection[int] = (),
) -> list[int]:
    """Greedy maximal marginal relevance within a word budget.

    Each step picks the candidate maximising ``(1 - diversity) * score - diversity * max_sim``
    (``max_sim``: its highest cosine similarity to what is already selected). Candidates more
    similar than ``max_redundancy`` to a selected one are never taken. The last pick may
    overflow the budget (the caller cuts it), unless ``strict``: then candidates longer than
    the words left are skipped. Candidates in ``skip`` are never taken. Returns indices in selection order.
    """
    n = len(scores)
    selected: list[int] = []
    if n == 0 or max_words <= 0:
        return selected
    available = np.ones(n, dtype=bool)
    available[list(skip)] = False
    max_sim = np.full(n, -1.0, dtype=np.float32)
    used = 0
    while used < max_words and available.any():
        redundancy = np.where(max_sim < 0, 0.0, max_sim)
        value = (1.0 - diversity) * scores - diversity * redundancy
        value = np.where(available, value, -np.inf)
        best = int(np.argmax(value))
        available[best] = False
        if max_sim[best] > max_redundancy or (strict and used + int(words[best]) > max_words):
            continue
        selected.append(best)
        used += int(words[best])
        max_sim = np.maximum(max_sim, embeddings @ embeddings[best])
    return selected


def fit_budget(sentences: Sequence[str], max_words: int, *, truncate: bool = True) -> list[str]:
    """Keep sentences in order while they fit ``max_words``; with ``truncate`` the first sentence
    that does not fit is cut to the words left (so the output has exactly
    ``min(max_words, total)`` words). Without it, sentences that do not fit are skipped."""
    out: list[str] = []
    left = max_words
    for sentence in sentences:
        if left <= 0:
            break
        tokens = sentence.split()
        if len(tokens) <= left:
            out.append(" ".join(tokens))
            left -= len(tokens)
        elif truncate:
            out.append(" ".join(tokens[:left]))
            left = 0
    return out
