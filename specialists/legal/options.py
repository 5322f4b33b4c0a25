"""The options of ``summarize.lead`` and ``summarize.legal``, declared once.

:class:`LegalOptions` is the single source of every default of the legal summarizer: the stage
validates its options against it, :class:`~tandem.specialists.legal.summarizer.SummarizerConfig` and the
pure functions (:func:`~tandem.specialists.legal.candidates.prepare`,
:func:`~tandem.specialists.legal.select.mmr_select`, ...) read their defaults from :data:`DEFAULTS`.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator

from tandem.stages.options import StageOptions

#: default word budget; BillSum reference summaries have a median of ~140 words, a mean of ~165
DEFAULT_MAX_WORDS = 150


class LeadOptions(StageOptions):
    max_words: int = Field(DEFAULT_MAX_WORDS, description="summary length budget in words")

    @field_validator("max_words")
    @classmethod
    def _positive(cls, value: int) -> int:
        if value <= 0:
            raise ValueError(f"max_words must be positive, got {value}")
        return value


class LegalOptions(LeadOptions):
    scorer: Literal["learned", "heuristic"] = Field(
        "heuristic", description="sentence scores: the shipped logistic model (specialists/data/legal_scorer.json) "
        "or the hand-set weights of tandem.specialists.legal.score (the default: higher in cross-validation)")
    summary_words: float = Field(1.0, ge=0.0, description="weight of the summary-word prior (hand-set scorer): how "
                                 "often each content word of a candidate reached the summaries of BillSum development "
                                 "bills (specialists/data/legal_summary_words.json); 0 turns it off")
    diversity: float = Field(0.3, ge=0.0, le=1.0, description="MMR trade-off between score and redundancy")
    include_title: bool = Field(True, description="open with the Act's short title")
    amends_line: bool = Field(True, description="then say which Act or Code the bill amends (\"Amends the Social "
                              "Security Act.\"), read from its amending clauses")
    truncate: bool = Field(False, description="cut the sentence that overflows the budget instead of skipping it")
    min_words: int = Field(6, ge=1, description="shorter sentences are not candidates")
    max_candidates: int = Field(30, ge=1, description="candidate sentences per document: the first of every section")
    encode_words: int = Field(24, ge=1, description="sentences are cut to this many words before the encoder")
    compress: bool = Field(True, description="drop citation parentheticals and flat asides (\"(relating to ...)\", "
                           "\"(if any)\"), as BillSum's cleaner did")
    drop_references: bool = Field(True, description="drop references to the bill's own parts (\"under this section\", "
                                  "\"described in subsection (b)\", \"made by this Act\"); references to other laws stay")
    crs_style: bool = Field(True, description="say what the bill does in the voice of CRS summaries: \"The Secretary "
                            "shall establish ...\" becomes \"Requires the Secretary to establish ...\"")
    drop_headings: bool = Field(True, description="drop title-case fragments (\"Eligible Entity.\")")
    drop_edits: bool = Field(True, description="drop sentences that only say how a text is edited (\"... is amended by "
                             "striking '2005' and inserting '2010'\", \"by redesignating paragraph (3) as ...\")")
    heading_words: int = Field(3, ge=1, description="section headings of at least this many words are candidates")
    quantize: bool = Field(False, description="int8 encoder (embeddings then depend on batch mates)")


#: every option at its default: the defaults of the summarizer's functions and of ``SummarizerConfig``
DEFAULTS = LegalOptions.model_validate({})
