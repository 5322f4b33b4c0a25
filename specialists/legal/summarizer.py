"""The two summarizers as functions: :func:`summarize_legal` and the lead baseline :func:`lead_summary`.

:func:`summarize_legal` prepares each document (:mod:`~tandem.specialists.legal.candidates`), embeds the
candidates of all documents in one encoder call (:func:`encode_documents`), then scores, selects and
fits each one (:func:`summarize_prepared`). :class:`SummarizerConfig` holds its settings; every
default comes from :class:`~tandem.specialists.legal.options.LegalOptions`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

from tandem.specialists.legal.candidates import PreparedDoc, clean_heading, lead_sentences, prepare
from tandem.specialists.legal.learned import LearnedScorer, default_scorer, sentence_features
from tandem.specialists.legal.options import DEFAULT_MAX_WORDS, DEFAULTS, LegalOptions
from tandem.specialists.legal.score import ScoreWeights, score_sentences
from tandem.specialists.legal.segment import word_count
from tandem.specialists.legal.select import fit_budget, mmr_select
from tandem.specialists.legal.summary_words import SummaryWords, default_summary_words


class Encoder(Protocol):
    """What the summarizer needs from a sentence encoder (``tandem.specialists.encoder.SentenceEncoder``)."""

    def encode(self, texts: Sequence[str]) -> np.ndarray: ...


#: sentences per MiniLM forward pass: candidates are short (at most ``encode_words`` words) and sorted by length, and on
#: 2 cores batches of 16 ran 1.2-1.4x faster than the encoder's 64, with the same embeddings to 2e-7 and the same
#: summaries (``bench/legal_speed.py``)
ENCODE_BATCH = 16


@dataclass(frozen=True)
class InBatches:
    """A :class:`~tandem.specialists.encoder.SentenceEncoder` that encodes ``size`` texts per forward pass."""

    encoder: Any
    size: int = ENCODE_BATCH

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        return np.asarray(self.encoder.encode(texts, batch_size=self.size))


def lead_summary(text: str, max_words: int = DEFAULT_MAX_WORDS) -> str:
    """The lead baseline: the first sentences of ``text`` up to ``max_words`` words."""
    return "\n".join(fit_budget(lead_sentences(text), max_words))


@dataclass(frozen=True)
class SummarizerConfig:
    """Settings of :func:`summarize_legal`: every :class:`LegalOptions` field but ``quantize``, plus
    the score ``weights``. Defaults are :class:`LegalOptions`' (see its field descriptions)."""

    max_words: int = DEFAULTS.max_words
    scorer: str = DEFAULTS.scorer
    weights: ScoreWeights = ScoreWeights()
    learned: LearnedScorer | None = None  # the learned scorer to use instead of the shipped one
    summary_words: float = DEFAULTS.summary_words
    word_rates: SummaryWords | None = None  # the summary-word table to use instead of the shipped one
    diversity: float = DEFAULTS.diversity
    include_title: bool = DEFAULTS.include_title
    amends_line: bool = DEFAULTS.amends_line
    truncate: bool = DEFAULTS.truncate
    min_words: int = DEFAULTS.min_words
    max_candidates: int = DEFAULTS.max_candidates
    encode_words: int = DEFAULTS.encode_words
    compress: bool = DEFAULTS.compress
    drop_references: bool = DEFAULTS.drop_references
    crs_style: bool = DEFAULTS.crs_style
    drop_headings: bool = DEFAULTS.drop_headings
    drop_edits: bool = DEFAULTS.drop_edits
    heading_words: int = DEFAULTS.heading_words

    @classmethod
    def from_options(cls, options: LegalOptions, weights: ScoreWeights = ScoreWeights()) -> SummarizerConfig:
        """The configuration a ``summarize.legal`` stage with ``options`` runs with."""
        return cls(weights=weights, **options.model_dump(exclude={"quantize"}))


def prepare_document(text: str, cfg: SummarizerConfig) -> PreparedDoc:
    """:func:`~tandem.specialists.legal.candidates.prepare` with the settings of ``cfg``."""
    return prepare(text, min_words=cfg.min_words, max_candidates=cfg.max_candidates, compress=cfg.compress,
                   drop_references=cfg.drop_references, drop_headings=cfg.drop_headings, drop_edits=cfg.drop_edits,
                   heading_words=cfg.heading_words, crs_style=cfg.crs_style)


def _encode_text(text: str, limit: int) -> str:
    tokens = text.split()
    return " ".join(tokens[:limit]) if len(tokens) > limit else text


@dataclass
class Encoded:
    """The embeddings of one prepared document: candidates, section headings (by section), title."""

    sentences: np.ndarray
    headings: dict[int, np.ndarray]
    title: np.ndarray | None


def encode_documents(docs: Sequence[PreparedDoc], encoder: Encoder,
                     encode_words: int = DEFAULTS.encode_words) -> list[Encoded]:
    """Embed all candidates, headings and titles of all ``docs`` in one encoder call."""
    texts: list[str] = []
    plan: list[tuple[tuple[int, int], dict[int, int], int | None]] = []
    for doc in docs:
        start = len(texts)
        texts.extend(_encode_text(c.text, encode_words) for c in doc.candidates)
        span = (start, len(texts))
        heading_idx: dict[int, int] = {}
        used_sections = {c.section for c in doc.candidates}
        for s in sorted(used_sections):
            heading = clean_heading(doc.sections[s].heading)
            if heading:
                heading_idx[s] = len(texts)
                texts.append(heading.capitalize() if heading.isupper() else heading)
        title_idx = None
        if doc.title:
            title_idx = len(texts)
            texts.append(doc.title)
        plan.append((span, heading_idx, title_idx))
    vectors = encoder.encode(texts) if texts else np.zeros((0, 1), dtype=np.float32)
    out = []
    for (a, b), heading_idx, title_idx in plan:
        out.append(Encoded(
            sentences=vectors[a:b],
            headings={s: vectors[i] for s, i in heading_idx.items()},
            title=vectors[title_idx] if title_idx is not None else None,
        ))
    return out


def candidate_scores(doc: PreparedDoc, encoded: Encoded, config: SummarizerConfig) -> np.ndarray:
    """One score per candidate: the learned scorer's probabilities, or the hand-set weights' plus the
    summary-word prior (:mod:`~tandem.specialists.legal.summary_words`) times ``summary_words``."""
    if config.scorer == "learned":
        model = config.learned or default_scorer()
        return model.score(sentence_features(doc, encoded.sentences, encoded.headings, encoded.title))
    if config.scorer != "heuristic":
        raise ValueError(f"unknown scorer {config.scorer!r} (learned or heuristic)")
    scores = score_sentences(doc, encoded.sentences, encoded.headings, encoded.title, config.weights)
    if config.summary_words and len(scores):
        table = config.word_rates or default_summary_words()
        scores = scores + config.summary_words * table.prior([c.text for c in doc.candidates])
    return scores


def summarize_prepared(doc: PreparedDoc, encoded: Encoded, config: SummarizerConfig) -> str:
    """Score, select and fit one prepared document; sentences in original order, one per line."""
    budget = config.max_words
    lines: list[str] = []
    if config.include_title and doc.title and 2 * word_count(doc.title) <= budget:
        lines.append(doc.title)
        budget -= word_count(doc.title)
    if config.amends_line and doc.amends and 2 * word_count(doc.amends) <= budget:
        lines.append(doc.amends)
        budget -= word_count(doc.amends)
    if doc.candidates and budget > 0:
        scores = candidate_scores(doc, encoded, config)
        words = [c.words for c in doc.candidates]
        said = {line.casefold() for line in lines}  # a candidate that repeats the title or the amends line
        repeats = {i for i, c in enumerate(doc.candidates) if c.text.casefold() in said}
        picked = mmr_select(scores, encoded.sentences, words, budget, diversity=config.diversity,
                            strict=not config.truncate, skip=repeats)
        chosen: list[tuple[int, str]] = []
        left = budget
        for i in picked:
            if words[i] <= left:
                chosen.append((i, doc.candidates[i].text))
                left -= words[i]
            elif config.truncate and left > 0:
                # the pick that overflows is cut to the words left, then selection stops
                chosen.append((i, " ".join(doc.candidates[i].text.split()[:left])))
                left = 0
            if left <= 0:
                break
        fresh = [i for i in range(len(words)) if i not in repeats] if not chosen else []
        if fresh:
            # every candidate is longer than the budget (one long sentence, a clause without full stops):
            # the best one that is not a repeat, cut to the words left, rather than an empty summary
            best = max(fresh, key=lambda i: float(scores[i]))
            chosen.append((best, " ".join(doc.candidates[best].text.split()[:budget])))
        lines.extend(text for _, text in sorted(chosen))
    return "\n".join(lines)


def summarize_legal(texts: list[str], max_words: int = DEFAULT_MAX_WORDS, *,
                    encoder: Encoder | None = None, **config: Any) -> list[str]:
    """Extractive summaries of ``texts`` (one batched encoder call), each at most ``max_words`` words."""
    cfg = SummarizerConfig(max_words=max_words, **config)
    if encoder is None:
        from tandem.specialists.encoder import shared_encoder

        encoder = InBatches(shared_encoder(DEFAULTS.quantize))
    docs = [prepare_document(t, cfg) for t in texts]
    encoded = encode_documents(docs, encoder, cfg.encode_words)
    return [summarize_prepared(d, e, cfg) for d, e in zip(docs, encoded, strict=True)]
