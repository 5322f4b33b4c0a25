"""``cleanup``: deterministic fixes, a dictionary speller, then an LLM copy-edit per chunk, guarded.

With ``verify`` (default) the LLM's rewrite is merged into the chunk word by word and only changes
that turn a non-word into a dictionary word at a small edit distance are kept
(:meth:`stages.spelling.SpellChecker.verify_rewrite`): the LLM proposes, the dictionary checks.

Each chunk's rewrite is checked by :class:`~stages.llm.guard.ContentGuard`; a rejected rewrite keeps
that chunk's (deterministically fixed) input and the reason is recorded in ``CleanText.reason``.
Texts longer than ``max_llm_words`` get the deterministic fixes only (an LLM rewrite of a whole book
would take hours); that is recorded too.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

from pydantic import Field

from stages.base import BatchResult
from stages.contracts import CleanText, DocState, RawText, StageFailure, StageOutput, Usage
from stages.llm.base import LlmOptions, LlmStage
from stages.llm.calls import call_llm
from stages.llm.chunking import chunk_text, estimate_tokens
from stages.llm.guard import ContentGuard, words
from stages.llm.prompts import CLEANUP, strip_preface
from stages.llm.textfix import deterministic_cleanup
from stages.options import StageOptions
from stages.spelling import SpellChecker


class CleanupOptions(LlmOptions):
    chunk_tokens: int = Field(384, ge=16, description="tokens per chunk sent to the LLM")
    max_llm_words: int = Field(5000, ge=0, description="longer texts get the deterministic fixes only")
    min_kept: float = Field(0.85, ge=0.0, le=1.0, description="reject a rewrite keeping fewer of the input's words")
    max_added: float = Field(0.15, ge=0.0, le=1.0, description="reject a rewrite adding more words than this share")
    spelling: bool = Field(True, description="correct OCR-style non-words with the dictionary speller first")
    verify: bool = Field(True, description="keep only LLM changes that turn a non-word into a dictionary word")


class CleanupStage(LlmStage[CleanText]):
    name: ClassVar[str] = "cleanup"
    version: ClassVar[str] = "1"
    output_type: ClassVar[type[StageOutput]] = CleanText
    input_type: ClassVar[type[StageOutput]] = RawText
    default_input: ClassVar[str] = "text"
    default_output: ClassVar[str] = "clean"
    Options: ClassVar[type[StageOptions]] = CleanupOptions
    options: CleanupOptions

    def __init__(self, input: str | None = None, output: str | None = None, **options: Any) -> None:
        super().__init__(input=input, output=output, **options)
        opts = self.options
        self.speller = SpellChecker() if (opts.spelling or opts.verify) else None
        self.spelling = opts.spelling
        self.verify = opts.verify
        self.chunk_tokens = opts.chunk_tokens
        self.max_llm_words = opts.max_llm_words
        self.guard = ContentGuard(min_kept=opts.min_kept, max_added=opts.max_added)

    @property
    def prompt_version(self) -> str:
        return CLEANUP.id

    def run(self, batch: Sequence[DocState]) -> BatchResult[CleanText]:
        return self.run_each(batch, self.clean_one)

    def clean_one(self, state: DocState) -> tuple[CleanText | StageFailure, Usage]:
        fixed = deterministic_cleanup(state.text_of(self.input_field))
        if fixed and self.spelling and self.speller is not None:
            fixed, _changes = self.speller.correct(fixed)
        if not fixed:
            return self.failure("empty", "nothing left to clean after removing whitespace and control characters"), Usage()
        n_words = len(words(fixed))
        if n_words > self.max_llm_words:
            return CleanText(text=fixed, kept_input=True, chunks=0, reason=(
                f"{n_words} words exceed max_llm_words={self.max_llm_words}: deterministic fixes only")), Usage()
        usage = Usage()
        kept_parts: list[str] = []
        reasons: list[str] = []
        kept_total = added_total = 0.0
        chunks = chunk_text(fixed, self.chunk_tokens)
        for index, chunk in enumerate(chunks):
            answer = call_llm(self.model, CLEANUP, {"text": chunk}, backend=self.backend,
                              max_tokens=int(estimate_tokens(chunk) * 1.5) + 32)
            usage = usage + answer.usage
            rewrite = strip_preface(answer.text)
            if self.verify and self.speller is not None:
                rewrite, _accepted = self.speller.verify_rewrite(chunk, rewrite)
            verdict = self.guard.check(chunk, rewrite)
            kept_total += verdict.kept_ratio
            added_total += verdict.added_ratio
            if verdict.accepted:
                kept_parts.append(rewrite)
            else:
                kept_parts.append(chunk)
                reasons.append(f"chunk {index + 1}/{len(chunks)}: {verdict.reason}; kept the input")
        n = max(len(chunks), 1)
        return CleanText(
            text="\n\n".join(kept_parts), kept_input=len(reasons) == len(chunks), reason="; ".join(reasons) or None,
            kept_ratio=round(kept_total / n, 4), added_ratio=round(added_total / n, 4), chunks=len(chunks),
        ), usage
