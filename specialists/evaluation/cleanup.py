"""``tandem eval cleanup``: does the cleanup stage bring noisy text closer to a clean reference?

Gold: JSONL with ``noisy`` and ``clean`` fields. Both the system output and the reference are
normalised the same way before scoring (hyphenated line breaks joined, whitespace collapsed).
Totals are micro-averaged (sum of edits over sum of reference lengths).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from specialists.evaluation.reports import CleanupReport
from specialists.metrics.text_error import char_errors, normalize_for_scoring, word_errors


def read_cleanup_gold(path: Path, noisy_field: str = "noisy", clean_field: str = "clean",
                      limit: int | None = None) -> list[tuple[str, str]]:
    if not path.is_file():
        raise ValueError(f"gold file not found: {path}")
    pairs: list[tuple[str, str]] = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            raise ValueError(f"{path}:{number}: not valid JSON ({exc.msg})") from None
        if noisy_field not in obj or clean_field not in obj:
            raise ValueError(f"{path}:{number}: needs fields {noisy_field!r} and {clean_field!r}; "
                             f"has {', '.join(obj) or 'none'}")
        pairs.append((str(obj[noisy_field]), str(obj[clean_field])))
        if limit is not None and len(pairs) >= limit:
            break
    if not pairs:
        raise ValueError(f"{path}: no documents")
    return pairs


def evaluate_cleanup(gold: Path, llm: str | None = None, limit: int | None = None, batch_size: int = 4,
                     progress: Callable[[int, int], None] | None = None,
                     **stage_options: Any) -> CleanupReport:
    from stages.contracts import DocState, Document
    from stages.llm.cleanup import CleanupStage

    pairs = read_cleanup_gold(gold, limit=limit)
    stage = CleanupStage(llm=llm, **stage_options)
    stage.load()
    outputs: list[str] = []
    failures = 0
    start = time.perf_counter()
    for offset in range(0, len(pairs), batch_size):
        batch = [DocState(document=Document.from_text(noisy, f"gold:{offset + i}"))
                 for i, (noisy, _clean) in enumerate(pairs[offset:offset + batch_size])]
        result = stage.run(batch)
        for state in batch:
            output = result.successes.get(state.key)
            failures += output is None
            outputs.append(output.text if output is not None else state.document.text)
        if progress:
            progress(len(outputs), len(pairs))
    elapsed = time.perf_counter() - start
    before_c = after_c = before_w = after_w = ref_chars = ref_words = worse = better = 0
    per_doc = []
    for (noisy, clean), cleaned in zip(pairs, outputs):
        ref, src, hyp = normalize_for_scoring(clean), normalize_for_scoring(noisy), normalize_for_scoring(cleaned)
        cb, ca = char_errors(src, ref), char_errors(hyp, ref)
        before_c += cb
        after_c += ca
        before_w += word_errors(src, ref)
        after_w += word_errors(hyp, ref)
        ref_chars += max(len(ref), 1)
        ref_words += max(len(ref.split()), 1)
        delta = (ca - cb) / max(len(ref), 1)
        worse += delta > 0.01
        better += delta < 0
        per_doc.append(round(delta, 5))
    return CleanupReport(
        cer_before=before_c / ref_chars, cer_after=after_c / ref_chars,
        wer_before=before_w / ref_words, wer_after=after_w / ref_words,
        docs=len(pairs), docs_worse=worse, docs_better=better, failures=failures,
        docs_per_s=len(pairs) / elapsed if elapsed else 0.0,
        max_cer_increase=max(per_doc) if per_doc else 0.0,
        llm=stage.model_id(), options=stage.config(),
    )
