"""Character and word error rates (Levenshtein distance over reference length)."""

from __future__ import annotations

import re

from rapidfuzz.distance import Levenshtein

_HYPHEN_BREAK = re.compile(r"(\w)-\s*\n\s*(\w)")
_SPACE = re.compile(r"\s+")


def normalize_for_scoring(text: str) -> str:
    """Join words hyphenated across line breaks and collapse whitespace (applied to both sides)."""
    return _SPACE.sub(" ", _HYPHEN_BREAK.sub(r"\1\2", text)).strip()


def char_errors(hypothesis: str, reference: str) -> int:
    return int(Levenshtein.distance(hypothesis, reference))


def word_errors(hypothesis: str, reference: str) -> int:
    return int(Levenshtein.distance(hypothesis.split(), reference.split()))


def cer(hypothesis: str, reference: str) -> float:
    return char_errors(hypothesis, reference) / max(len(reference), 1)


def wer(hypothesis: str, reference: str) -> float:
    return word_errors(hypothesis, reference) / max(len(reference.split()), 1)
