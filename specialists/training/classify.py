"""Train a ``classify.<name>`` artifact from a labelled CSV/TSV file.

Recipe (see :mod:`specialists.classifier` for the model, :mod:`specialists.classifier_artifact` for the
artifact's files):

1. Read ``text``/``label`` columns (names configurable) from a CSV or TSV file with a header.
2. Hold out a stratified share (default 15 %) for the model card's metrics.
3. Optionally (``finetune=True``) fine-tune the whole MiniLM encoder on the training part
   (mean pooling + a linear layer, class-weighted cross-entropy, AdamW, length-bucketed batches,
   a time budget) and save it in the artifact with safetensors.
4. Embed the training texts once with the int8-quantized encoder (the exact encoder used at
   inference), fit TF-IDF blocks, and pick the head's features and ``C`` by 3-fold
   cross-validation (macro F1) on the training part: TF-IDF alone, the embedding alone or both
   ("hybrid"), preferring the cheapest feature set within 0.005 of the best score;
   class-balanced logistic regression.
5. Score the held-out part through the same inference path as :func:`load_classifier` (throughput
   included), save everything without pickle and write ``model_card.json``.

The steps live in :mod:`~specialists.training.classify_data` (1, 2),
:mod:`~specialists.training.classify_finetune` (3) and :mod:`~specialists.training.classify_head` (4);
this module is the entry point, :func:`train_classifier`.
"""

from __future__ import annotations

import time
from collections import Counter
from pathlib import Path
from typing import Any

from specialists.artifacts import ModelCard, artifact_dir, check_name, file_sha256, save_card, staged_folder
from specialists.classifier import TrainedClassifier, normalize_text
from specialists.classifier_artifact import ENCODER_DIR, KIND, write_classifier_files
from specialists.lexicon import check_lexicon
from specialists.training.classify_data import read_labelled, stratified_split
from specialists.training.classify_finetune import finetune_encoder
from specialists.training.classify_head import (
    C_GRID,
    DEFAULT_C,
    FEATURE_SETS,
    MIN_ROWS_FOR_SELECTION,
    Progress,
    blocks_for,
    fit_featurizer,
    fit_head,
    select_head,
)

#: ``read_labelled`` is re-exported for callers of the one-module layout (``specialists.evaluation``)
__all__ = ["Progress", "read_labelled", "train_classifier"]


def train_classifier(data: Path | str, name: str, models_dir: str | Path | None = None, text_col: str = "text",
                     label_col: str = "label", finetune: bool = False, heldout: float = 0.15, seed: int = 0,
                     progress: Progress | None = None, *, features: str = "auto", C: float | None = None,
                     epochs: int = 3, finetune_seconds: float = 420.0, lexicon: str | None = None) -> ModelCard:
    """Train ``classify.<name>`` from ``data`` and save it to ``<models_dir>/<name>/``; return its card.

    ``features``: ``auto`` (cross-validated: the cheapest of tfidf / embedding / hybrid within
    :data:`~specialists.training.classify_head.SELECTION_TOLERANCE` macro F1 of the best; tfidf is not
    a candidate after fine-tuning), ``hybrid``, ``embedding`` or ``tfidf``; ``C``: the head's inverse
    regularisation (cross-validated over :data:`~specialists.training.classify_head.C_GRID` when None). ``finetune``: fine-tune MiniLM first, for ``epochs`` epochs cut
    to fit ``finetune_seconds`` (see :func:`finetune_encoder`). ``lexicon``: add that lexicon's
    scores as features (``vader`` for sentiment; see :mod:`specialists.lexicon`).
    Raises ValueError for unreadable data, unknown columns or fewer than two labels.
    """
    from specialists.encoder import MINILM_ID, SentenceEncoder, shared_encoder
    from specialists.metrics.classification import classification_report

    say = progress or (lambda _message: None)
    check_name(name)
    if features not in FEATURE_SETS:
        raise ValueError(f"unknown feature set {features!r}; choose one of {', '.join(FEATURE_SETS)}")
    check_lexicon(lexicon)
    started = time.perf_counter()
    path = Path(data)
    dataset = read_labelled(path, text_col, label_col)
    counts = Counter(dataset.labels)
    if len(counts) < 2:
        raise ValueError(f"need at least 2 different labels to train a classifier; {path} has "
                         f"{len(counts)}: {', '.join(repr(k) for k in counts)}")
    say(f"read {len(dataset.texts)} rows from {path} ({', '.join(f'{k}: {v}' for k, v in sorted(counts.items()))})"
        + (f"; skipped {dataset.skipped} rows without text or label" if dataset.skipped else ""))
    train_idx, held_idx = stratified_split(dataset.labels, heldout, seed)
    texts = [normalize_text(t) for t in dataset.texts]
    train_texts = [texts[i] for i in train_idx]
    train_labels = [dataset.labels[i] for i in train_idx]
    held_texts = [texts[i] for i in held_idx]
    held_labels = [dataset.labels[i] for i in held_idx]

    with staged_folder(artifact_dir(name, models_dir)) as tmp:
        finetune_stats: dict[str, Any] | None = None
        if finetune:
            say(f"fine-tuning MiniLM on {len(train_texts)} texts ({epochs} epochs, "
                f"budget {finetune_seconds:.0f} s)")
            finetune_stats = finetune_encoder(train_texts, train_labels, tmp / ENCODER_DIR, epochs=epochs,
                                              max_seconds=finetune_seconds, seed=seed, progress=progress)
            encoder: Any = SentenceEncoder(tmp / ENCODER_DIR, quantize=True)
        else:
            encoder = shared_encoder(quantize=True)

        if features == "auto":
            feature_sets = ["hybrid", "embedding"] if finetune else ["tfidf", "hybrid", "embedding"]
        else:
            feature_sets = [features]
        candidates = [(f, c) for f in feature_sets for c in ((C,) if C else C_GRID[f])]
        needs_embeddings = any(f != "tfidf" for f, _ in candidates)
        embeddings = None
        if needs_embeddings:
            say(f"embedding {len(train_texts)} training texts with MiniLM (int8)")
            t0 = time.perf_counter()
            embeddings = encoder.encode(train_texts)
            say(f"embedded in {time.perf_counter() - t0:.0f} s")
        selection: dict[str, float] = {}
        can_select = len(train_texts) >= MIN_ROWS_FOR_SELECTION and min(Counter(train_labels).values()) >= 3
        if len(candidates) > 1 and can_select:
            (chosen_features, chosen_C), selection = select_head(train_texts, train_labels, embeddings, candidates,
                                                                 seed=seed, progress=progress, lexicon=lexicon)
        else:
            chosen_features = candidates[0][0] if features != "auto" else "hybrid"
            chosen_C = C or DEFAULT_C
        say(f"head: {chosen_features} features, C={chosen_C:g}")
        blocks, weight = blocks_for(chosen_features)
        featurizer, vocabularies, idfs = fit_featurizer(train_texts, blocks, weight, encoder, lexicon)
        train_emb = embeddings if weight > 0 else None
        labels, coef, intercept = fit_head(featurizer.transform(train_texts, train_emb), train_labels, chosen_C,
                                           seed=seed)
        write_classifier_files(tmp, labels=labels, blocks=blocks, vocabularies=vocabularies, idfs=idfs,
                               embedding_weight=weight, coef=coef, intercept=intercept, fine_tuned=finetune,
                               lexicon=lexicon, lexicon_weight=featurizer.lexicon_weight)

        base_model = MINILM_ID + ("+finetuned" if finetune else "")
        card = ModelCard(name=name, kind=KIND, base_model=base_model, data_path=str(path.resolve()),
                         data_sha256=file_sha256(path), labels=labels, n_train=len(train_texts),
                         n_heldout=len(held_texts))
        metrics: dict[str, Any] = {}
        if held_texts:
            model = TrainedClassifier(card, tmp, featurizer, labels, coef, intercept, {})
            t0 = time.perf_counter()
            predicted = [c.label for c in model.predict(held_texts)]
            seconds = time.perf_counter() - t0
            metrics = classification_report(held_labels, predicted)
            metrics["docs_per_s"] = round(len(held_texts) / seconds, 1) if seconds > 0 else None
            metrics["heldout_docs"] = len(held_texts)
            say(f"held-out: accuracy {metrics['accuracy']:.4f}, macro F1 {metrics['macro_f1']:.4f} "
                f"({metrics['docs_per_s']} docs/s)")
        params: dict[str, Any] = {
            "features": chosen_features, "lexicon": lexicon, "C": chosen_C, "class_weight": "balanced",
            "embedding_weight": weight, "blocks": blocks, "finetune": finetune, "heldout": heldout,
            "seed": seed, "text_col": text_col, "label_col": label_col, "selection_macro_f1": selection,
            "label_counts": dict(sorted(counts.items())), "train_seconds": round(time.perf_counter() - started, 1),
        }
        if finetune_stats is not None:
            params["finetune_stats"] = finetune_stats
        card = card.model_copy(update={"metrics": metrics, "params": params})
        save_card(card, tmp)
    say(f"saved {name} in {time.perf_counter() - started:.0f} s")
    return card
