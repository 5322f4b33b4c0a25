"""Lexicon features for classifiers: cheap, hand-built sentiment scores next to the embedding.

``vader`` is VADER (Hutto & Gilbert 2014; PyPI ``vaderSentiment``, lexicon shipped inside the
package, no download): negation, intensifiers, ALL-CAPS, "!!!", emoticons and slang, tuned on
social-media text. Per text it gives ``neg``, ``neu``, ``pos``, ``compound`` and ``compound²``.
A classifier trained with ``--lexicon vader`` stores only the lexicon's name and weight; the
scores are recomputed from the installed package at prediction time (thousands of texts per second).
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from typing import Any

import numpy as np

LEXICONS = ("vader",)
#: features per text, per lexicon
LEXICON_DIMS = {"vader": 5}


@lru_cache(maxsize=1)
def _vader() -> Any:
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    return SentimentIntensityAnalyzer()


def check_lexicon(name: str | None) -> None:
    if name is not None and name not in LEXICONS:
        raise ValueError(f"unknown lexicon {name!r}; choose one of {', '.join(LEXICONS)}")


def lexicon_features(name: str, texts: Sequence[str]) -> np.ndarray:
    """``(len(texts), LEXICON_DIMS[name])`` float32 scores of ``texts`` under lexicon ``name``."""
    check_lexicon(name)
    analyzer = _vader()
    rows = []
    for text in texts:
        s = analyzer.polarity_scores(text)
        rows.append((s["neg"], s["neu"], s["pos"], s["compound"], s["compound"] ** 2))
    return np.asarray(rows, dtype=np.float32).reshape(len(texts), LEXICON_DIMS[name])
