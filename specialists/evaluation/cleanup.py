"""``tandem eval cleanup``: does the cleanup stage bring noisy text closer to a clean reference?

Gold: JSONL with ``noisy`` and ``clean`` fields, or the ICDAR-2017 competition's page files (a folder of
them). Both the system output and the reference are normalised the same way before scoring (hyphenated line
breaks joined, whitespace collapsed). Totals are micro-averaged (sum of edits over sum of reference lengths).

With ``cv`` ≥ 2 the documents are dealt into ``cv`` folds (seeded shuffle, so the same folds every run); for
each fold a confusion model is learned from the other folds only and the held-out fold is cleaned with it.
The report covers every document exactly once, each cleaned by a model that never saw it.
Documents per second count the cleaning only, not the training.
"""

from __future__ import annotations

import json
import random
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tandem.specialists.evaluation.icdar_pages import icdar_page_files, is_icdar_page, read_icdar_page
from tandem.specialists.evaluation.reports import CleanupReport
from tandem.specialists.metrics.text_error import char_errors, normalize_for_scoring, word_errors


def read_cleanup_gold(path: Path, noisy_field: str = "noisy", clean_field: str = "clean",
                      limit: int | None = None) -> list[tuple[str, str]]:
    """``(noisy, clean)`` pairs from JSON lines, or from ICDAR-2017 pages (a page file or a folder of them,
    see :mod:`~tandem.specialists.evaluation.icdar_pages`)."""
    if path.is_dir():
        pages = icdar_page_files(path)
        if not pages:
            raise ValueError(f"{path} holds no ICDAR-2017 page files (text files that start with "
                             f"[OCR_toInput]); pass a JSON lines file or such a folder")
        return [read_icdar_page(page) for page in pages[:limit]]
    if not path.is_file():
        raise ValueError(f"gold file not found: {path}")
    if is_icdar_page(path):
        return [read_icdar_page(path)]
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


def _same_words(output: str, noisy: str) -> bool:
    """The output is the input, read as the scores read it (a word joined across a line break is no change)."""
    return normalize_for_scoring(output) == normalize_for_scoring(noisy)


def assign_folds(n: int, folds: int, seed: int = 0) -> list[int]:
    """The fold of each of ``n`` documents: a seeded shuffle dealt round-robin (sizes differ by at most one)."""
    order = list(range(n))
    random.Random(seed).shuffle(order)
    fold = [0] * n
    for position, index in enumerate(order):
        fold[index] = position % folds
    return fold


def evaluate_cleanup(gold: Path, llm: str | None = None, limit: int | None = None, batch_size: int = 4,
                     progress: Callable[[int, int], None] | None = None, cv: int = 0, seed: int = 0,
                     **stage_options: Any) -> CleanupReport:
    from tandem.stages.llm.cleanup import CleanupStage
    from tandem.stages.ocr.confusion import ConfusionModel

    pairs = read_cleanup_gold(gold, limit=limit)
    if cv == 1 or cv > len(pairs):
        raise ValueError(f"--cv needs 2 to {len(pairs)} folds (the number of documents), not {cv}")
    folds = assign_folds(len(pairs), cv, seed) if cv else [0] * len(pairs)
    outputs: list[str | None] = [None] * len(pairs)
    failures = calls = 0
    elapsed = 0.0
    stage = None
    with tempfile.TemporaryDirectory(prefix="tandem-cleanup-cv-") as tmp:
        for fold in range(max(cv, 1)):
            options = dict(stage_options)
            if cv:
                model = ConfusionModel.fit(pair for pair, f in zip(pairs, folds) if f != fold)
                options["model_path"] = str(model.save(Path(tmp) / f"fold{fold}.json"))
            stage = CleanupStage(llm=llm, **options)
            stage.load()
            held_out = [i for i, f in enumerate(folds) if f == fold]
            start = time.perf_counter()
            for offset in range(0, len(held_out), batch_size):
                chunk = held_out[offset:offset + batch_size]
                run_failures, run_calls = _clean(stage, pairs, chunk, outputs)
                failures += run_failures
                calls += run_calls
                if progress:
                    progress(sum(o is not None for o in outputs), len(pairs))
            elapsed += time.perf_counter() - start
    assert stage is not None
    return _report(pairs, [o or "" for o in outputs], failures, calls, elapsed, stage, cv)


def _clean(stage: Any, pairs: list[tuple[str, str]], indices: list[int], outputs: list[str | None]) -> tuple[int, int]:
    from tandem.stages.contracts import DocState, Document

    # the gold's noisy side is OCR output by definition: declared so, as a user declares a file of OCR text
    batch = [DocState(document=Document.from_text(pairs[i][0], f"gold:{i}", metadata={"ocr": True}))
             for i in indices]
    result = stage.run(batch)
    failures = 0
    for index, state in zip(indices, batch):
        output = result.successes.get(state.key)
        failures += output is None
        outputs[index] = output.text if output is not None else pairs[index][0]
    return failures, sum(u.llm_calls for u in result.usage.values())


def _report(pairs: list[tuple[str, str]], outputs: list[str], failures: int, calls: int, elapsed: float,
            stage: Any, cv: int) -> CleanupReport:
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
    options = stage.config()
    options.pop("model_path", None) if cv else None  # a temporary per-fold file
    return CleanupReport(
        cer_before=before_c / ref_chars, cer_after=after_c / ref_chars,
        wer_before=before_w / ref_words, wer_after=after_w / ref_words,
        docs=len(pairs), docs_worse=worse, docs_better=better, failures=failures,
        docs_per_s=len(pairs) / elapsed if elapsed else 0.0,
        max_cer_increase=max(per_doc) if per_doc else 0.0,
        llm=stage.model_id() if stage.options.llm_calls else "none", options=options,
        unchanged=sum(_same_words(out, noisy) for (noisy, _), out in zip(pairs, outputs)) / len(pairs),
        cv=cv, llm_calls=calls,
    )
