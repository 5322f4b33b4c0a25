"""The learned sentence scorer of ``summarize.legal``: features per candidate and a logistic model.

:func:`sentence_features` describes each candidate of a :class:`PreparedDoc` by :data:`FEATURES`
(position in the bill and in its section, section number, length, heading/definition/amendment
flags, MiniLM similarity to the bill and section centroids, to the section heading and to the short
title). :class:`LearnedScorer` is a logistic regression over those features, trained on greedy
ROUGE-Lsum oracle labels (:mod:`tandem.specialists.legal.train_scorer`); its weights ship as JSON
(``specialists/data/legal_scorer.json``, read without pickle) and :func:`default_scorer` loads
them once per process. A score is the probability that the candidate belongs in the summary, times a
gain. ``summarize.legal`` uses it with ``scorer="learned"``; the default stays the hand-set weights of
:mod:`tandem.specialists.legal.score`, which scored higher in cross-validation (docs/benchmarks.md).
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from tandem.specialists.legal.candidates import EDIT_WORDS, LOW_PRIORITY_HEADINGS, PreparedDoc

#: the shipped weights (trained by ``python -m tandem.specialists.legal.train_scorer``)
DEFAULT_SCORER_PATH = Path(__file__).resolve().parent.parent / "data" / "legal_scorer.json"
SCORER_FORMAT = "tandem.legal-scorer/1"

_DEFINITION = re.compile(r"\b(?:the\s+term|means|has\s+the\s+meaning|includes)\b", re.IGNORECASE)
_AMENDED = re.compile(r"\bis\s+(?:hereby\s+)?amended\b|\bis\s+repealed\b", re.IGNORECASE)
_SHALL = re.compile(r"\bshall\b", re.IGNORECASE)
_AUTHORIZE = re.compile(r"\bauthoriz\w*|\bappropriat\w*", re.IGNORECASE)
_REQUIRE = re.compile(r"\b(?:requir\w*|direct\w*|prohibit\w*|establish\w*|may\s+not)\b", re.IGNORECASE)
_AGENT = re.compile(r"\b(?:Secretary|Administrator|Director|Commission|Attorney General|President)\b")

#: the features of :func:`sentence_features`, in column order
FEATURES: tuple[str, ...] = (
    "doc_sim", "doc_sim_gap", "section_sim", "heading_sim", "title_sim", "has_title",
    "rank_decay", "rank_rel", "index_rel", "section_rel", "section_first", "first_in_section",
    "in_section_log", "words_log", "words_long", "heading_candidate", "low_priority", "edit",
    "definition", "amended", "shall", "authorize", "require", "agent", "candidates_log",
    "doc_sim_z", "section_sim_z", "heading_sim_z", "title_sim_z", "words_z",
)
#: features also given as z-scores within the bill (``<name>_z``): ranks inside a bill, not across bills
_WITHIN_BILL = {"doc_sim_z": "doc_sim", "section_sim_z": "section_sim", "heading_sim_z": "heading_sim",
                "title_sim_z": "title_sim", "words_z": "words_log"}


def _unit(v: np.ndarray) -> np.ndarray:
    norm = float(np.linalg.norm(v))
    return v / norm if norm > 0 else v


def _flags(texts: list[str], pattern: re.Pattern[str]) -> np.ndarray:
    return np.array([bool(pattern.search(t)) for t in texts], dtype=np.float32)


def _similarities(doc: PreparedDoc, embeddings: np.ndarray, heading_embeddings: dict[int, np.ndarray] | None,
                  title_embedding: np.ndarray | None) -> dict[str, np.ndarray]:
    n = len(doc.candidates)
    words = np.array([c.words for c in doc.candidates], dtype=np.float32)
    doc_sim = embeddings @ _unit((embeddings * np.sqrt(words)[:, None]).sum(0))
    sections = np.array([c.section for c in doc.candidates])
    section_sim = np.zeros(n, dtype=np.float32)
    heading_sim = np.zeros(n, dtype=np.float32)
    for s in np.unique(sections):
        mask = sections == s
        section_sim[mask] = embeddings[mask] @ _unit(embeddings[mask].sum(0))
        if heading_embeddings and int(s) in heading_embeddings:
            heading_sim[mask] = embeddings[mask] @ heading_embeddings[int(s)]
    title_sim = embeddings @ title_embedding if title_embedding is not None else np.zeros(n, dtype=np.float32)
    return {"doc_sim": doc_sim, "doc_sim_gap": doc_sim - doc_sim.max(), "section_sim": section_sim,
            "heading_sim": heading_sim, "title_sim": title_sim,
            "has_title": np.full(n, float(title_embedding is not None), dtype=np.float32)}


def sentence_features(
    doc: PreparedDoc,
    embeddings: np.ndarray,
    heading_embeddings: dict[int, np.ndarray] | None = None,
    title_embedding: np.ndarray | None = None,
) -> np.ndarray:
    """An ``(n_candidates, len(FEATURES))`` float32 matrix; ``embeddings`` are unit-norm."""
    n = len(doc.candidates)
    if n == 0:
        return np.zeros((0, len(FEATURES)), dtype=np.float32)
    cands = doc.candidates
    texts = [c.text for c in cands]
    words = np.array([c.words for c in cands], dtype=np.float32)
    rank = np.arange(n, dtype=np.float32)
    sections = np.array([c.section for c in cands], dtype=np.float32)
    values = _similarities(doc, embeddings, heading_embeddings, title_embedding)
    values.update({
        "rank_decay": np.power(0.5, rank / 10.0),
        "rank_rel": rank / max(n - 1, 1),
        "index_rel": np.array([c.index for c in cands], dtype=np.float32) / max(doc.n_sentences, 1),
        "section_rel": sections / max(len(doc.sections) - 1, 1),
        "section_first": (sections == sections.min()).astype(np.float32),
        "first_in_section": np.array([c.in_section == 0 for c in cands], dtype=np.float32),
        "in_section_log": np.log1p(np.array([c.in_section for c in cands], dtype=np.float32)),
        "words_log": np.log1p(words),
        "words_long": np.minimum(1.0, words / 20.0),
        "heading_candidate": np.array([c.heading for c in cands], dtype=np.float32),
        "low_priority": np.array([bool(LOW_PRIORITY_HEADINGS.search(doc.sections[c.section].heading))
                                  for c in cands], dtype=np.float32),
        "edit": _flags(texts, EDIT_WORDS), "definition": _flags(texts, _DEFINITION),
        "amended": _flags(texts, _AMENDED), "shall": _flags(texts, _SHALL),
        "authorize": _flags(texts, _AUTHORIZE), "require": _flags(texts, _REQUIRE),
        "agent": _flags(texts, _AGENT),
        "candidates_log": np.full(n, math.log1p(n), dtype=np.float32),
    })
    for name, base in _WITHIN_BILL.items():
        column = values[base]
        values[name] = (column - column.mean()) / (float(column.std()) + 1e-3)
    return np.stack([values[name].astype(np.float32) for name in FEATURES], axis=1)


@dataclass(frozen=True)
class LearnedScorer:
    """A logistic regression over standardised :data:`FEATURES` (``(x - mean) / scale``).

    :meth:`score` is ``gain`` times the probability: the gain puts the scores on the scale that the
    MMR selection's ``diversity`` trades against redundancy (chosen by cross-validation)."""

    features: tuple[str, ...]
    mean: np.ndarray
    scale: np.ndarray
    coef: np.ndarray
    intercept: float
    gain: float
    card: dict[str, Any]

    def probability(self, x: np.ndarray) -> np.ndarray:
        """The probability that each row of ``x`` (columns in :attr:`features` order) is in the summary."""
        if x.shape[0] == 0:
            return np.zeros(0, dtype=np.float32)
        z = ((x - self.mean) / self.scale) @ self.coef + self.intercept
        return (1.0 / (1.0 + np.exp(-np.clip(z, -30.0, 30.0)))).astype(np.float32)

    def score(self, x: np.ndarray) -> np.ndarray:
        return (self.gain * self.probability(x)).astype(np.float32)

    def to_json(self) -> dict[str, Any]:
        return {"format": SCORER_FORMAT, "features": list(self.features),
                "mean": [round(float(v), 6) for v in self.mean], "scale": [round(float(v), 6) for v in self.scale],
                "coef": [round(float(v), 6) for v in self.coef], "intercept": round(self.intercept, 6),
                "gain": self.gain, "card": self.card}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> LearnedScorer:
        """Check the format and that the features are the ones :func:`sentence_features` computes."""
        if data.get("format") != SCORER_FORMAT:
            raise ValueError(f"not a legal scorer file (format {data.get('format')!r}, expected {SCORER_FORMAT!r})")
        features = tuple(data["features"])
        if features != FEATURES:
            raise ValueError(f"the scorer was trained on features {features}, this version computes {FEATURES}")
        arrays = [np.asarray(data[k], dtype=np.float32) for k in ("mean", "scale", "coef")]
        if any(a.shape != (len(FEATURES),) for a in arrays):
            raise ValueError("mean, scale and coef need one value per feature")
        scale = np.where(arrays[1] > 0, arrays[1], 1.0).astype(np.float32)
        return cls(features, arrays[0], scale, arrays[2], float(data["intercept"]), float(data.get("gain", 1.0)),
                   dict(data.get("card", {})))

    @classmethod
    def load(cls, path: str | Path) -> LearnedScorer:
        return cls.from_json(json.loads(Path(path).read_text(encoding="utf-8")))


@lru_cache(maxsize=1)
def default_scorer() -> LearnedScorer:
    """The shipped scorer (:data:`DEFAULT_SCORER_PATH`), read once per process."""
    return LearnedScorer.load(DEFAULT_SCORER_PATH)
