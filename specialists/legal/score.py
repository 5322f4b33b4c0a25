"""Sentence scores: embedding similarities, a position prior and penalties.

:func:`score_sentences` gives one score per candidate of a :class:`PreparedDoc` from its unit-norm
embeddings, weighted by :class:`ScoreWeights` (tuned on BillSum bills 0-99, checked on 100-199).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tandem.specialists.legal.candidates import EDIT_WORDS, LOW_PRIORITY_HEADINGS, PreparedDoc


@dataclass(frozen=True)
class ScoreWeights:
    """Weights of :func:`score_sentences` (tuned on BillSum bills 0-99, checked on 100-199)."""

    doc: float = 1.0              # similarity to the document centroid
    section: float = 0.5          # similarity to the section centroid
    heading: float = 0.3          # similarity to the section heading
    title: float = 0.4            # similarity to the Act's short title
    position: float = 0.3         # earlier sentences first ...
    position_decay: float = 10.0  # ... halving every this many candidates
    first_in_section: float = 0.1  # the opening sentence of a section
    length: float = 0.0           # min(1, words / 20): favours longer sentences when positive
    low_priority: float = 0.8     # penalty: findings, purposes, definitions, effective dates, ...
    edit: float = 0.4             # penalty: mechanical amendments ("by striking ... and inserting ...")
    heading_candidate: float = 0.2  # bonus for a section heading used as a candidate


def _unit(v: np.ndarray) -> np.ndarray:
    norm = float(np.linalg.norm(v))
    return v / norm if norm > 0 else v


def score_sentences(
    doc: PreparedDoc,
    embeddings: np.ndarray,
    heading_embeddings: dict[int, np.ndarray] | None = None,
    title_embedding: np.ndarray | None = None,
    weights: ScoreWeights = ScoreWeights(),
) -> np.ndarray:
    """One score per candidate of ``doc``; ``embeddings`` are its unit-norm sentence embeddings."""
    n = len(doc.candidates)
    if n == 0:
        return np.zeros(0, dtype=np.float32)
    words = np.array([c.words for c in doc.candidates], dtype=np.float32)
    centroid = _unit((embeddings * np.sqrt(words)[:, None]).sum(0))
    score = weights.doc * (embeddings @ centroid)
    sections = np.array([c.section for c in doc.candidates])
    for s in np.unique(sections):
        mask = sections == s
        sec_centroid = _unit(embeddings[mask].sum(0))
        score[mask] += weights.section * (embeddings[mask] @ sec_centroid)
        if heading_embeddings and int(s) in heading_embeddings:
            score[mask] += weights.heading * (embeddings[mask] @ heading_embeddings[int(s)])
    if title_embedding is not None:
        score += weights.title * (embeddings @ title_embedding)
    rank = np.arange(n, dtype=np.float32)
    score += weights.position * np.power(0.5, rank / max(weights.position_decay, 1e-6))
    first = np.array([c.in_section == 0 for c in doc.candidates], dtype=np.float32)
    score += weights.first_in_section * first
    score += weights.length * np.minimum(1.0, words / 20.0)
    low = np.array([bool(LOW_PRIORITY_HEADINGS.search(doc.sections[c.section].heading))
                    for c in doc.candidates], dtype=np.float32)
    score -= weights.low_priority * low
    if weights.heading_candidate:
        score += weights.heading_candidate * np.array([c.heading for c in doc.candidates], dtype=np.float32)
    if weights.edit:
        edits = np.array([bool(EDIT_WORDS.search(c.text)) for c in doc.candidates], dtype=np.float32)
        score -= weights.edit * edits
    return score.astype(np.float32)

