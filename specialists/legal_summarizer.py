"""Re-exports of :mod:`tandem.specialists.legal` for older callers (``from tandem.specialists.legal_summarizer import ...``).

The summarizer lives in the package :mod:`tandem.specialists.legal`, one module per job; import from there
in new code. The stages are registered from :mod:`tandem.specialists.legal.stages`.
"""

from __future__ import annotations

from tandem.specialists.legal.candidates import (
    LOW_PRIORITY_HEADINGS,
    Candidate,
    PreparedDoc,
    compress_sentence,
    lead_sentences,
    looks_like_heading,
    prepare,
)
from tandem.specialists.legal.options import DEFAULT_MAX_WORDS, LeadOptions, LegalOptions
from tandem.specialists.legal.score import ScoreWeights, score_sentences
from tandem.specialists.legal.segment import (
    ABBREVIATIONS,
    BILLSUM_MARKER,
    Section,
    is_boilerplate,
    remove_boilerplate,
    short_title,
    split_sections,
    split_sentences,
    word_count,
)
from tandem.specialists.legal.select import fit_budget, mmr_select
from tandem.specialists.legal.stages import LeadSummarizerStage, LegalSummarizerStage
from tandem.specialists.legal.summarizer import (
    Encoder,
    SummarizerConfig,
    encode_documents,
    lead_summary,
    summarize_legal,
    summarize_prepared,
)

__all__ = [
    "ABBREVIATIONS", "BILLSUM_MARKER", "DEFAULT_MAX_WORDS", "LOW_PRIORITY_HEADINGS", "Candidate", "Encoder",
    "LeadOptions", "LeadSummarizerStage", "LegalOptions", "LegalSummarizerStage", "PreparedDoc", "ScoreWeights",
    "Section", "SummarizerConfig", "compress_sentence", "encode_documents", "fit_budget", "is_boilerplate",
    "lead_sentences", "lead_summary", "looks_like_heading", "mmr_select", "prepare", "remove_boilerplate",
    "score_sentences", "short_title", "split_sections", "split_sentences", "summarize_legal",
    "summarize_prepared", "word_count",
]
