"""Score a trained ``classify.<name>`` artifact against a labelled CSV/TSV gold file.

``docs_per_s`` is the model's batched prediction throughput over all gold documents
(featurization and encoder included, artifact loading excluded).
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from pathlib import Path

from tandem.specialists.evaluation.reports import ClassifyReport


def evaluate_classifier(gold: Path | str, specialist: str | None, models_dir: str | Path | None = None,
                        text_col: str = "text", label_col: str = "label",
                        label_map: Mapping[str, str] | None = None) -> ClassifyReport:
    """Predict every gold text with ``specialist`` (``spam`` or ``classify.spam``) and score it.

    ``label_map`` renames the model's labels to the gold labels (a label missing from the map is
    kept as is). Returns a :class:`ClassifyReport`: ``accuracy``, ``macro_f1``, ``macro_recall``, ``per_label`` (label →
    precision/recall/f1/support), ``docs_per_s``, ``docs``, ``specialist``, ``model_id`` and more.
    Raises ValueError (no specialist, unreadable gold file) or UnknownArtifactError.
    """
    from tandem.specialists.classifier import KIND, load_classifier, split_name
    from tandem.specialists.metrics.classification import classification_report, confusion
    from tandem.specialists.training.classify import read_labelled

    if not specialist:
        raise ValueError("there is no stock classifier: pass --specialist NAME (a classifier trained with "
                         "'tandem train classify --name NAME')")
    data = read_labelled(gold, text_col, label_col)
    name = split_name(specialist)
    load_started = time.perf_counter()
    classifier = load_classifier(name, models_dir)
    load_seconds = time.perf_counter() - load_started
    started = time.perf_counter()
    outputs = classifier.predict(data.texts)
    seconds = time.perf_counter() - started
    mapping = dict(label_map or {})
    predicted = [mapping.get(o.label, o.label) for o in outputs]
    report = classification_report(data.labels, predicted)
    unmatched = sorted(set(predicted) - set(data.labels))
    return ClassifyReport(
        specialist=f"{KIND}.{name}",
        model_id=classifier.model_id,
        gold=str(gold),
        docs=len(data.texts),
        skipped_rows=data.skipped,
        **report,
        docs_per_s=round(len(data.texts) / seconds, 1) if seconds > 0 else None,
        predict_seconds=round(seconds, 3),
        load_seconds=round(load_seconds, 3),
        labels_only_predicted=unmatched,
        confusion=confusion(data.labels, predicted),
        label_map=mapping or None,
    )
