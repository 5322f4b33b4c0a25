"""The stages ``summarize.legal`` (:class:`LegalSummarizerStage`) and ``summarize.lead``
(:class:`LeadSummarizerStage`); registered as entry points in ``pyproject.toml``."""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

from tandem.specialists.legal.candidates import PreparedDoc
from tandem.specialists.legal.options import LeadOptions, LegalOptions
from tandem.specialists.legal.summarizer import (
    Encoder,
    InBatches,
    SummarizerConfig,
    encode_documents,
    lead_summary,
    prepare_document,
    summarize_prepared,
)
from tandem.stages.base import BatchResult, Stage
from tandem.stages.contracts import DocState, Summary, TextLike, Usage


# version 2: official BillSum layout (hard wraps, SEC. n., TeX quotes); 3: 30 candidates of 24 words, ``scorer``;
# 4: what v3.1-v3.6 changed without a new option (inserted sections, asides dropped, dash lead-ins, the fallback), so
# results stored by version 3 are computed again; 5: references dropped with the parts they are in (v3.7).
# tests/specialists/test_legal_stage_version.py records the outputs.
class LegalSummarizerStage(Stage[Summary], name="summarize.legal", version="5", reads={"text": TextLike},
                           writes="legal_summary", options=LegalOptions, batch=32):
    """``summarize.legal``: section-aware extractive summary of a bill or contract.

    Reads a text field (default ``text``), writes ``legal_summary`` (:class:`Summary`,
    ``method="extractive"``, ``chunks`` = number of sections): the Act's short title, then the
    selected sentences in document order, one per line, at most ``max_words`` words in all.
    Options: :class:`LegalOptions` (every field of :class:`SummarizerConfig` but ``weights`` and
    ``learned``, and ``quantize``), all part of the result key. ``scorer="learned"`` scores sentences
    with the shipped logistic model (:mod:`tandem.specialists.legal.learned`) instead of the hand-set weights.

    ``quantize`` defaults to false: dynamic int8 quantization scales activations per batch
    tensor, so a sentence's embedding (and the summary) would depend on which other documents
    share its batch. (Its speed depends on the CPU: no faster on the AVX-512 machine it was first measured on,
    about 1.36x faster on an AVX2-only EPYC; docs/benchmarks.md, legal v3.4.)

    Construction is cheap; :meth:`load` reads MiniLM and the shipped table or weights its scorer uses.
    All candidate sentences of a batch go through one encoder call. An empty document is a ``StageFailure(kind="empty")``.
    """

    options: LegalOptions

    def __init__(self, input: str | None = None, output: str | None = None, **options: Any) -> None:
        super().__init__(input=input, output=output, **options)
        self.config_ = SummarizerConfig.from_options(self.options)
        self.encoder: Encoder | None = None

    def model_id(self) -> str:
        from tandem.specialists.encoder import MINILM_ID

        return f"{MINILM_ID}{'+int8' if self.options.quantize else ''}"

    def _load(self) -> None:
        from tandem.specialists.encoder import shared_encoder

        encoder = shared_encoder(self.options.quantize)
        encoder.load()
        self.encoder = InBatches(encoder)
        if self.config_.scorer == "heuristic" and self.config_.summary_words:
            from tandem.specialists.legal.summary_words import default_summary_words

            default_summary_words()  # a missing or broken table fails here, not in every batch
        elif self.config_.scorer == "learned":
            from tandem.specialists.legal.learned import default_scorer

            default_scorer()

    def run(self, batch: Sequence[DocState]) -> BatchResult[Summary]:
        self.load()
        result: BatchResult[Summary] = BatchResult()
        cfg = self.config_
        keys: list[str] = []
        docs: list[PreparedDoc] = []
        for key, text in self.input_texts(batch, result, "the document has no text"):
            try:
                docs.append(prepare_document(text, cfg))
            except Exception as exc:  # a bad document never raises past the stage
                result.add_failure(key, self.failure("model_error", f"{type(exc).__name__}: {exc}"))
                continue
            keys.append(key)
        if not docs:
            return result
        assert self.encoder is not None
        start = time.perf_counter()
        try:
            encoded = encode_documents(docs, self.encoder, cfg.encode_words)
        except Exception as exc:
            for key in keys:
                result.add_failure(key, self.failure("model_error", f"{type(exc).__name__}: {exc}"))
            return result
        per_doc_ms = (time.perf_counter() - start) * 1000.0 / len(docs)
        for key, doc, enc in zip(keys, docs, encoded, strict=True):
            try:
                text = summarize_prepared(doc, enc, cfg)
            except Exception as exc:
                result.add_failure(key, self.failure("model_error", f"{type(exc).__name__}: {exc}"))
                continue
            summary = Summary(text=text, method="extractive", chunks=max(1, len(doc.sections)), llm_calls=0)
            result.add_success(key, summary, Usage(latency_ms=per_doc_ms))
        return result


class LeadSummarizerStage(Stage[Summary], name="summarize.lead", version="1", reads={"text": TextLike},
                          writes="lead_summary", options=LeadOptions, batch=1000):
    """``summarize.lead``: the lead-k baseline, the first sentences up to ``max_words`` words
    (the last one cut to fit). No model."""

    options: LeadOptions

    def model_id(self) -> str:
        return "lead"

    def run(self, batch: Sequence[DocState]) -> BatchResult[Summary]:
        result: BatchResult[Summary] = BatchResult()
        for key, text in self.input_texts(batch, result, "the document has no text"):
            result.add_success(key, Summary(text=lead_summary(text, self.options.max_words), method="extractive"))
        return result
