"""One round of the flywheel: train a challenger on the stored labels, gate it against the champion on gold.

1. The training rows: every labelled text of the task with its winning label (a person's correction over a gold
   file over an LLM answer: :func:`tandem.storage.labels.training_examples`), plus the user's own training file
   when given (its rows first; a stored label for the same text wins).
2. The challenger is trained as the task's next version (``spam@3``: :mod:`tandem.specialists.registry`) with
   ``tandem train classify``'s recipe.
3. The gate (:func:`gate`): champion (the promoted version) and challenger label the gold set; the difference of
   their macro F1 is resampled with a **paired bootstrap** (the same resampled gold documents for both, 1,000
   resamples, seeded). The challenger is promoted unless it is worse beyond the gold set's noise: refused when
   the upper end of the 95 % interval of (challenger − champion) is below 0. The tolerance is therefore the
   interval's half-width, which shrinks as the gold set grows. The same test is made against the promoted
   version with the best gold score so far (when it is not the champion), so that losses each within the noise
   cannot add up over rounds. With no champion, the challenger is promoted.
4. The cascade threshold is chosen again for the new version at the same *quality* as the champion's: the lowest
   confidence at which the challenger's own answers on the gold documents it keeps are at least as accurate as the
   champion's at its threshold (default 0.8). A better specialist keeps more documents at that quality, so the
   LLM's share falls. A cascade with ``threshold: null`` uses it (:class:`tandem.stages.cascade.CascadeStage`).
"""

from __future__ import annotations

import csv
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import Engine

from tandem.specialists.artifacts import models_dir as resolve_models_dir
from tandem.specialists.metrics.classification import macro_f1
from tandem.specialists.registry import (
    ModelEntry,
    next_version,
    promote,
    read_entry,
    record_refusal,
    register,
    update_version,
)

BOOTSTRAP_RESAMPLES = 1000
DEFAULT_THRESHOLD = 0.8


@dataclass
class GateResult:
    champion: str | None
    challenger: str
    gold_docs: int
    champion_f1: float | None
    challenger_f1: float
    delta: float | None = None
    delta_low: float | None = None
    delta_high: float | None = None
    promoted: bool = False
    reason: str = ""
    #: the same comparison against the best version promoted so far, when it is not the champion
    anchor: dict[str, Any] | None = None


@dataclass
class RoundReport:
    task: str
    version: int
    trained_rows: int
    labels_by_source: dict[str, int]
    gate: GateResult
    cascade_threshold: float
    #: the share of the gold documents the new version would send to the LLM at that threshold
    llm_share: float
    extra: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _f1_rows(gold: np.ndarray, predicted: np.ndarray, n_labels: int, idx: np.ndarray) -> np.ndarray:
    """Macro F1 (scikit-learn's, zero division 0) of each resample: ``idx`` is ``(resamples, n)`` row indexes."""
    g, p = gold[idx], predicted[idx]
    scores = []
    for label in range(n_labels):
        tp = ((g == label) & (p == label)).sum(axis=1)
        fp = ((g != label) & (p == label)).sum(axis=1)
        fn = ((g == label) & (p != label)).sum(axis=1)
        denominator = 2 * tp + fp + fn
        scores.append(np.where(denominator > 0, 2 * tp / np.maximum(denominator, 1), 0.0))
    return np.mean(scores, axis=0)


def paired_bootstrap(gold: list[str], champion: list[str], challenger: list[str], labels: list[str],
                     resamples: int = BOOTSTRAP_RESAMPLES, seed: int = 0) -> tuple[float, float, float]:
    """``(delta, low, high)``: challenger − champion macro F1 on ``gold``, and the 2.5th / 97.5th percentiles of
    that difference over resamples of the gold documents (the same resample for both systems)."""
    code = {label: i for i, label in enumerate(labels)}
    other = len(labels)  # a predicted label outside ``labels`` counts as wrong for every label
    g = np.array([code[x] for x in gold])
    a = np.array([code.get(x, other) for x in champion])
    b = np.array([code.get(x, other) for x in challenger])
    delta = macro_f1(gold, challenger, labels) - macro_f1(gold, champion, labels)
    idx = np.random.default_rng(seed).integers(0, len(gold), (resamples, len(gold)))
    deltas = _f1_rows(g, b, len(labels), idx) - _f1_rows(g, a, len(labels), idx)
    low, high = np.percentile(deltas, [2.5, 97.5])
    return float(delta), float(low), float(high)


def _compare(gold: list[str], reference: list[str], challenger: list[str], labels: list[str],
             seed: int) -> tuple[float, float, float, float]:
    """``(reference F1, delta, low, high)`` of the challenger against one reference system."""
    delta, low, high = paired_bootstrap(gold, reference, challenger, labels, seed=seed)
    return round(macro_f1(gold, reference, labels), 4), round(delta, 4), round(low, 4), round(high, 4)


def gate(gold: list[str], champion: list[str] | None, challenger: list[str], names: tuple[str | None, str],
         seed: int = 0, best: tuple[str, list[str]] | None = None) -> GateResult:
    """Promote or refuse (see the module docstring, step 3), with the figures. ``best``: the promoted version with
    the highest gold score so far, when it is not the champion: the challenger must not be worse than it beyond
    noise either, so small losses within the noise cannot add up round after round."""
    labels = sorted(set(gold))
    mine = round(macro_f1(gold, challenger, labels), 4)
    if champion is None:
        return GateResult(champion=None, challenger=names[1], gold_docs=len(gold), champion_f1=None,
                          challenger_f1=mine, promoted=True, reason="no champion: the first version is promoted")
    theirs, delta, low, high = _compare(gold, champion, challenger, labels, seed)
    result = GateResult(champion=names[0], challenger=names[1], gold_docs=len(gold), champion_f1=theirs,
                        challenger_f1=mine, delta=delta, delta_low=low, delta_high=high, promoted=high >= 0.0)
    figures = (f"macro F1 {mine:.4f} vs {theirs:.4f} ({names[0]}) on {len(gold)} gold documents, difference "
               f"{delta:+.4f} (95 % paired-bootstrap interval {low:+.4f} to {high:+.4f})")
    if best is not None:
        best_f1, best_delta, best_low, best_high = _compare(gold, best[1], challenger, labels, seed + 1)
        result.anchor = {"name": best[0], "f1": best_f1, "delta": best_delta, "low": best_low, "high": best_high}
        figures += (f"; against the best so far, {best[0]} ({best_f1:.4f}): {best_delta:+.4f} ({best_low:+.4f} to "
                    f"{best_high:+.4f})")
        result.promoted = result.promoted and best_high >= 0.0
    result.reason = (f"promoted: not worse beyond the gold set's noise; {figures}" if result.promoted else
                     f"refused: worse beyond the gold set's noise; {figures}")
    return result


def kept_accuracy(confidences: list[float], correct: list[bool], threshold: float) -> float:
    """Accuracy of the specialist on the documents it keeps (confidence ≥ ``threshold``); 1.0 when it keeps none."""
    kept = [ok for c, ok in zip(confidences, correct, strict=True) if c >= threshold]
    return sum(kept) / len(kept) if kept else 1.0


def threshold_at_quality(confidences: list[float], correct: list[bool], target: float) -> float:
    """The lowest threshold at which the specialist's own answers (the documents it keeps) are at least ``target``
    accurate on gold: the most documents kept from the LLM at the same quality of what is kept."""
    for threshold in sorted(set(confidences)):
        if kept_accuracy(confidences, correct, threshold) >= target:
            return float(threshold)
    return 1.0


def _best_promoted(entry: ModelEntry, gold_path: Path, exclude: tuple[int | None, ...]) -> int | None:
    """The promoted version with the highest macro F1 on ``gold_path`` (not in ``exclude``), if it beats the
    champion's: the anchor of the gate."""
    promoted = {e.version for e in entry.events if e.action == "promote"}
    scored = [(v.gold["macro_f1"], v.version) for v in entry.versions
              if v.version in promoted and v.version not in exclude and v.gold.get("gold_file") == str(gold_path)
              and "macro_f1" in v.gold]
    champion = next((v.gold.get("macro_f1") for v in entry.versions if v.version == exclude[0]), None)
    if not scored:
        return None
    f1, version = max(scored)
    return version if champion is None or f1 > champion else None


def _write_rows(rows: list[tuple[str, str]], path: Path) -> None:
    with path.open("w", encoding="utf-8", newline="") as stream:
        writer = csv.writer(stream, dialect="excel-tab")
        writer.writerow(["text", "label"])
        writer.writerows((" ".join(text.split()), label) for text, label in rows)


def retrain(engine: Engine, task: str, gold_path: Path, models_dir: Path | None = None, data_path: Path | None = None,
            features: str = "auto", seed: int = 0) -> RoundReport:
    """One round: train ``task``'s next version on the stored labels (+ ``data_path``), gate it on ``gold_path``,
    promote or refuse, choose its cascade threshold; the registry records everything."""
    from tandem.specialists.classifier import load_classifier
    from tandem.specialists.training.classify import train_classifier
    from tandem.specialists.training.classify_data import read_labelled
    from tandem.storage.db import unit_of_work
    from tandem.storage.labels import label_counts, training_examples

    root = resolve_models_dir(models_dir)
    with unit_of_work(engine) as session:
        stored = training_examples(session, task)
        counts = label_counts(session, task)
    rows: dict[str, tuple[str, str]] = {}
    if data_path is not None:
        data = read_labelled(data_path, require_source=False)
        rows.update({" ".join(t.split()): (t, label) for t, label in zip(data.texts, data.labels, strict=True)})
    rows.update({" ".join(t.split()): (t, label) for t, label, _source in stored})
    if len({label for _t, label in rows.values()}) < 2:
        raise ValueError(f"{task}: {len(rows)} labelled texts with fewer than two labels; nothing to learn yet")
    folder, number = next_version(root, task)
    with tempfile.TemporaryDirectory(prefix="tandem-flywheel-") as tmp:
        tsv = Path(tmp) / "train.tsv"
        _write_rows(list(rows.values()), tsv)
        train_classifier(tsv, folder, models_dir=root, seed=seed, source_col=None, features=features)
    entry = register(root, task, folder, number, trained_on={"rows": len(rows), "labels": counts,
                                                             "data_file": str(data_path) if data_path else None})
    gold = read_labelled(gold_path, require_source=False)
    challenger_model = load_classifier(folder, root)
    mine = challenger_model.predict(gold.texts)
    champion_number = entry.promoted
    theirs = None
    threshold = entry.version(champion_number).cascade_threshold if champion_number else None
    if champion_number is not None and champion_number != number:
        champion_model = load_classifier(f"{task}@{champion_number}", root)
        theirs = champion_model.predict(gold.texts)
    best = _best_promoted(entry, gold_path, exclude=(champion_number, number))
    best_labels = ((f"{task}@{best}", [c.label for c in load_classifier(f"{task}@{best}", root).predict(gold.texts)])
                   if best is not None and theirs is not None else None)
    result = gate(list(gold.labels), [c.label for c in theirs] if theirs else None, [c.label for c in mine],
                  (f"{task}@{champion_number}" if theirs else None, f"{task}@{number}"), seed=seed, best=best_labels)
    new_threshold = DEFAULT_THRESHOLD
    if theirs is not None:
        target = kept_accuracy([c.score for c in theirs], [c.label == g for c, g in zip(theirs, gold.labels,
                                                                                        strict=True)],
                               threshold or DEFAULT_THRESHOLD)
        new_threshold = threshold_at_quality([c.score for c in mine],
                                             [c.label == g for c, g in zip(mine, gold.labels, strict=True)], target)
    share = float(np.mean([c.score < new_threshold for c in mine]))
    update_version(root, task, number, gold={"macro_f1": result.challenger_f1, "docs": len(gold.texts),
                                             "gold_file": str(gold_path)}, cascade_threshold=round(new_threshold, 4),
                   llm_share=round(share, 4))
    if result.promoted:
        promote(root, task, number, reason=result.reason)
    else:
        record_refusal(root, task, number, reason=result.reason)
    after = read_entry(root, task)
    return RoundReport(task=task, version=number, trained_rows=len(rows), labels_by_source=counts, gate=result,
                       cascade_threshold=round(new_threshold, 4), llm_share=share,
                       extra={"promoted_version": after.promoted if after else None})
