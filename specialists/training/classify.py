"""Train a ``classify.<name>`` artifact from a labelled CSV/TSV file.

Recipe (see :mod:`specialists.classifier` for the model and the artifact layout):

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
"""

from __future__ import annotations

import csv
import json
import math
import random
import shutil
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from specialists.artifacts import ModelCard, artifact_dir, check_name, file_sha256, save_card
from specialists.artifacts import models_dir as resolve_models_dir
from specialists.classifier import (
    CONFIG_FILE,
    ENCODER_DIR,
    FORMAT_VERSION,
    HEAD_FILE,
    KIND,
    VOCAB_FILE,
    Featurizer,
    TrainedClassifier,
    normalize_text,
)
from specialists.lexicon import check_lexicon

#: Called with one human-readable line per step.
Progress = Callable[[str], None]

#: TF-IDF blocks of the "hybrid" features (chosen by cross-validation on SMS spam)
DEFAULT_BLOCKS: tuple[dict[str, Any], ...] = (
    {"analyzer": "char_wb", "ngram_range": [1, 5], "lowercase": True, "min_df": 2, "sublinear_tf": True},
    {"analyzer": "word", "ngram_range": [1, 2], "lowercase": True, "min_df": 2, "sublinear_tf": True,
     "token_pattern": r"(?u)\b\w+\b"},
)
FEATURE_SETS = ("auto", "hybrid", "embedding", "tfidf")
#: the head's C values tried by cross-validation, per feature set
C_GRID: dict[str, tuple[float, ...]] = {"hybrid": (3.0, 10.0, 30.0), "embedding": (0.3, 1.0, 3.0),
                                        "tfidf": (3.0, 10.0, 30.0)}
DEFAULT_C = 10.0
#: relative inference cost: "auto" takes the cheapest feature set whose cross-validated macro F1 is
#: within SELECTION_TOLERANCE of the best (about one standard deviation of the fold scores on SMS spam)
FEATURE_COST = {"tfidf": 0, "embedding": 1, "hybrid": 1}
SELECTION_TOLERANCE = 0.005
EMBEDDING_WEIGHT = 1.0
#: scale of the lexicon scores (in [-1, 1]) next to unit-norm embeddings and TF-IDF rows; cross-validated
#: on TweetEval validation tweets (1 and 6 within a point of 3)
LEXICON_WEIGHT = 3.0
#: below this many training rows (or 3 per label) the head's options are not cross-validated
MIN_ROWS_FOR_SELECTION = 100


@dataclass
class LabelledData:
    texts: list[str]
    labels: list[str]
    columns: list[str]
    skipped: int = 0


# -- reading ---------------------------------------------------------------------------------------
def sniff_delimiter(path: Path, header: str) -> str:
    """``\\t`` for ``.tsv``, ``,`` for ``.csv``, else the most frequent of tab/comma/semicolon/pipe in the header."""
    suffix = path.suffix.lower()
    if suffix in (".tsv", ".tab"):
        return "\t"
    if suffix == ".csv":
        return ","
    counts = {d: header.count(d) for d in ("\t", ",", ";", "|")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def read_labelled(path: str | Path, text_col: str = "text", label_col: str = "label") -> LabelledData:
    """Read ``(texts, labels)`` from a CSV/TSV file with a header row (standard CSV quoting).

    Rows whose text or label is missing or blank are skipped (counted in ``skipped``).
    Raises ValueError with a readable message for a missing/empty file or an unknown column.
    """
    path = Path(path)
    if not path.is_file():
        raise ValueError(f"data file not found: {path}")
    try:
        raw = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ValueError(f"{path} is not UTF-8 text: {exc}") from None
    if not raw.strip():
        raise ValueError(f"data file {path} is empty: expected a header line and rows")
    header = raw.splitlines()[0]
    delimiter = sniff_delimiter(path, header)
    csv.field_size_limit(min(sys.maxsize, 2**31 - 1))
    try:
        reader = csv.reader(raw.splitlines(keepends=True), delimiter=delimiter)
        rows = list(reader)
    except csv.Error as exc:
        raise ValueError(f"cannot parse {path} as {'TSV' if delimiter == chr(9) else 'CSV'}: {exc}") from None
    columns = [c.strip() for c in rows[0]]
    for wanted, option in ((text_col, "text"), (label_col, "label")):
        if wanted not in columns:
            raise ValueError(f"no {option} column {wanted!r} in {path}; its columns are: "
                             + ", ".join(repr(c) for c in columns)
                             + f" (choose one with --{option}-col)")
    t_idx, l_idx = columns.index(text_col), columns.index(label_col)
    texts: list[str] = []
    labels: list[str] = []
    skipped = 0
    for row in rows[1:]:
        if not row or all(not cell.strip() for cell in row):
            continue
        if len(row) <= max(t_idx, l_idx) or not row[t_idx].strip() or not row[l_idx].strip():
            skipped += 1
            continue
        texts.append(row[t_idx])
        labels.append(row[l_idx].strip())
    if not texts:
        raise ValueError(f"data file {path} has a header but no usable rows"
                         + (f" ({skipped} rows lack a text or a label)" if skipped else ""))
    return LabelledData(texts, labels, columns, skipped)


def stratified_split(labels: Sequence[str], heldout: float, seed: int = 0) -> tuple[list[int], list[int]]:
    """``(train_indices, heldout_indices)``: about ``heldout`` of each label held out, at least one
    of each label with two or more rows, never a label's last row."""
    if not 0.0 <= heldout < 1.0:
        raise ValueError(f"heldout must be in [0, 1), got {heldout}")
    rng = random.Random(seed)
    by_label: dict[str, list[int]] = {}
    for i, label in enumerate(labels):
        by_label.setdefault(label, []).append(i)
    train: list[int] = []
    held: list[int] = []
    for label in sorted(by_label):
        idx = by_label[label][:]
        rng.shuffle(idx)
        n_held = 0
        if heldout > 0 and len(idx) >= 2:
            n_held = min(len(idx) - 1, max(1, round(len(idx) * heldout)))
        held += idx[:n_held]
        train += idx[n_held:]
    return sorted(train), sorted(held)


# -- features and head -----------------------------------------------------------------------------
def fit_featurizer(texts: Sequence[str], blocks: Sequence[dict[str, Any]], embedding_weight: float,
                   encoder: Any, lexicon: str | None = None) -> tuple[Featurizer, list[list[str]], list[np.ndarray]]:
    """Fit the TF-IDF blocks on ``texts``; return the inference featurizer and its fitted state."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    from specialists.classifier import _vectorizer_options

    vocabularies: list[list[str]] = []
    idfs: list[np.ndarray] = []
    for block in blocks:
        vectorizer = TfidfVectorizer(dtype=np.float32, **_vectorizer_options(block))
        try:
            vectorizer.fit(texts)
        except ValueError:  # empty vocabulary (tiny data with min_df): retry keeping every term
            vectorizer = TfidfVectorizer(dtype=np.float32, **{**_vectorizer_options(block), "min_df": 1})
            vectorizer.fit(texts)
        vocab = [""] * len(vectorizer.vocabulary_)
        for term, column in vectorizer.vocabulary_.items():
            vocab[column] = term
        vocabularies.append(vocab)
        idfs.append(np.asarray(vectorizer.idf_, dtype=np.float32))
    featurizer = Featurizer(blocks, vocabularies, idfs, embedding_weight, encoder, lexicon=lexicon,
                            lexicon_weight=LEXICON_WEIGHT if lexicon else 0.0)
    return featurizer, vocabularies, idfs


def fit_head(features: Any, labels: Sequence[str], C: float, class_weight: str | None = "balanced",
             seed: int = 0) -> tuple[list[str], np.ndarray, np.ndarray]:
    """Logistic regression; returns ``(labels in column order, coef, intercept)``."""
    from sklearn.linear_model import LogisticRegression

    model = LogisticRegression(C=C, class_weight=class_weight, max_iter=3000, random_state=seed)
    model.fit(features, list(labels))
    return ([str(c) for c in model.classes_], np.asarray(model.coef_, dtype=np.float32),
            np.asarray(model.intercept_, dtype=np.float32))


def _blocks_for(features: str) -> tuple[list[dict[str, Any]], float]:
    if features == "hybrid":
        return [dict(b) for b in DEFAULT_BLOCKS], EMBEDDING_WEIGHT
    if features == "embedding":
        return [], EMBEDDING_WEIGHT
    if features == "tfidf":
        return [dict(b) for b in DEFAULT_BLOCKS], 0.0
    raise ValueError(f"unknown feature set {features!r}; choose one of {', '.join(FEATURE_SETS)}")


def select_head(texts: Sequence[str], labels: Sequence[str], embeddings: np.ndarray | None,
                candidates: Sequence[tuple[str, float]], seed: int = 0,
                progress: Progress | None = None, lexicon: str | None = None
                ) -> tuple[tuple[str, float], dict[str, float]]:
    """Pick ``(features, C)`` by 3-fold stratified cross-validation (macro F1) on the training part.

    The best-scoring candidate wins, except that a cheaper feature set (:data:`FEATURE_COST`) within
    :data:`SELECTION_TOLERANCE` of the best score is preferred (its best C).
    """
    from sklearn.model_selection import StratifiedKFold

    from specialists.metrics.classification import macro_f1

    folds = list(StratifiedKFold(3, shuffle=True, random_state=seed).split(np.zeros(len(labels)), labels))
    text_arr = list(texts)
    label_arr = np.asarray(labels)
    fold_scores: dict[tuple[str, float], list[float]] = {c: [] for c in candidates}
    for features in dict.fromkeys(f for f, _ in candidates):
        blocks, weight = _blocks_for(features)
        for train_idx, test_idx in folds:
            tr_texts = [text_arr[i] for i in train_idx]
            te_texts = [text_arr[i] for i in test_idx]
            featurizer, _, _ = fit_featurizer(tr_texts, blocks, weight, encoder=None, lexicon=lexicon)
            emb = embeddings if weight > 0 else None
            x_train = featurizer.transform(tr_texts, emb[train_idx] if emb is not None else None)
            x_test = featurizer.transform(te_texts, emb[test_idx] if emb is not None else None)
            for candidate in candidates:
                if candidate[0] != features:
                    continue
                names, coef, intercept = fit_head(x_train, label_arr[train_idx], candidate[1], seed=seed)
                decision = np.asarray(x_test @ coef.T) + intercept
                if decision.shape[1] == 1:
                    predicted = [names[int(d > 0)] for d in decision[:, 0]]
                else:
                    predicted = [names[int(j)] for j in decision.argmax(axis=1)]
                fold_scores[candidate].append(macro_f1(list(label_arr[test_idx]), predicted))
    scores: dict[str, float] = {}
    for (features, C), values in fold_scores.items():
        key = f"{features}/C={C:g}"
        scores[key] = round(float(np.mean(values)), 5)
        if progress:
            progress(f"cross-validation {key}: macro F1 {scores[key]:.4f}")

    def score(candidate: tuple[str, float]) -> float:
        return scores[f"{candidate[0]}/C={candidate[1]:g}"]

    top = max(score(c) for c in candidates)
    good = [c for c in candidates if score(c) >= top - SELECTION_TOLERANCE]
    cheapest = min(FEATURE_COST[f] for f, _ in good)
    best = max((c for c in good if FEATURE_COST[c[0]] == cheapest), key=score)
    return best, scores


# -- fine-tuning -----------------------------------------------------------------------------------
def finetune_encoder(texts: Sequence[str], labels: Sequence[str], out_dir: Path, *, epochs: int = 3,
                     batch_size: int = 16, lr: float = 5e-5, max_length: int = 128, max_seconds: float = 420.0,
                     seed: int = 0, progress: Progress | None = None) -> dict[str, Any]:
    """Fine-tune the whole MiniLM encoder with a temporary linear head; save it to ``out_dir``.

    Mean pooling + dropout + a linear layer, class-weighted cross-entropy, AdamW (the head at 20x
    the encoder's learning rate), linear warm-up and decay, gradient clipping, length-bucketed batches.
    The schedule is fitted to ``max_seconds``: after a few probe steps the number of steps is cut
    to what the budget allows, so a slow machine trains for fewer steps with a complete schedule.
    Saved with safetensors (``model.safetensors``) plus its config and tokenizer files, so
    :class:`specialists.encoder.SentenceEncoder` can load (and quantize) it. Returns statistics.
    """
    import torch
    from transformers import AutoModel, AutoTokenizer

    from specialists.encoder import minilm_path

    torch.manual_seed(seed)
    rng = random.Random(seed)
    base = minilm_path()
    tokenizer = AutoTokenizer.from_pretrained(str(base))
    model = AutoModel.from_pretrained(str(base))
    names = sorted(set(labels))
    y = torch.tensor([names.index(label) for label in labels])
    counts = Counter(labels)
    weights = torch.tensor([len(labels) / (len(names) * counts[n]) for n in names], dtype=torch.float32)
    head = torch.nn.Linear(model.config.hidden_size, len(names))
    dropout = torch.nn.Dropout(0.1)
    params = [{"params": model.parameters(), "lr": lr}, {"params": head.parameters(), "lr": lr * 20}]
    optimizer = torch.optim.AdamW(params, weight_decay=0.01)
    steps_per_epoch = math.ceil(len(texts) / batch_size)
    planned = max(1, steps_per_epoch * epochs)
    plan = {"total": planned, "warmup": max(1, planned // 10)}

    def schedule(step: int) -> float:
        warm, total = plan["warmup"], plan["total"]
        return min((step + 1) / warm, max(0.0, (total - step) / max(1, total - warm)))

    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, schedule)
    loss_fn = torch.nn.CrossEntropyLoss(weight=weights)
    probe_steps = min(8, planned)
    start = time.perf_counter()
    step = 0
    losses: list[float] = []
    model.train()
    epoch = 0
    while step < plan["total"]:
        # length buckets: sort by a noisy length, cut into batches, shuffle the batches
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]) * rng.uniform(0.8, 1.2))
        batches = [order[i:i + batch_size] for i in range(0, len(order), batch_size)]
        rng.shuffle(batches)
        epoch_loss, seen = 0.0, 0
        for idx in batches:
            enc = tokenizer([texts[i] for i in idx], padding=True, truncation=True, max_length=max_length,
                            return_tensors="pt")
            hidden = model(**enc).last_hidden_state
            mask = enc["attention_mask"].unsqueeze(-1).to(hidden.dtype)
            pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
            loss = loss_fn(head(dropout(pooled)), y[idx])
            optimizer.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimizer.step()
            scheduler.step()
            step += 1
            epoch_loss += loss.item() * len(idx)
            seen += len(idx)
            if step == probe_steps:
                per_step = (time.perf_counter() - start) / step
                affordable = max(step, int(max_seconds / per_step))
                if affordable < plan["total"]:
                    plan["total"] = affordable
                    plan["warmup"] = min(plan["warmup"], max(1, affordable // 10))
                    if progress:
                        progress(f"fine-tuning: {per_step:.1f} s/step, the {max_seconds:.0f} s budget allows "
                                 f"{affordable} of {planned} steps")
            if step >= plan["total"] or time.perf_counter() - start > max_seconds * 1.25:
                break
        epoch += 1
        losses.append(epoch_loss / max(1, seen))
        if progress:
            progress(f"fine-tuning epoch {epoch}: loss {losses[-1]:.4f}, step {step}/{plan['total']} "
                     f"({time.perf_counter() - start:.0f} s)")
        if time.perf_counter() - start > max_seconds * 1.25:
            break
    model.eval()
    out_dir.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(str(out_dir), safe_serialization=True)
    tokenizer.save_pretrained(str(out_dir))
    return {"epochs": epochs, "epochs_run": epoch, "steps": step, "planned_steps": planned,
            "losses": [round(v, 5) for v in losses], "seconds": round(time.perf_counter() - start, 1),
            "batch_size": batch_size, "lr": lr, "max_length": max_length, "budget_s": max_seconds}


# -- saving ----------------------------------------------------------------------------------------
def save_artifact(folder: Path, *, labels: Sequence[str], blocks: Sequence[dict[str, Any]],
                  vocabularies: Sequence[Sequence[str]], idfs: Sequence[np.ndarray], embedding_weight: float,
                  coef: np.ndarray, intercept: np.ndarray, encoder: str, lexicon: str | None = None,
                  lexicon_weight: float = 0.0) -> None:
    """Write classifier.json, vocab.json and head.safetensors into ``folder``."""
    from safetensors.numpy import save_file

    folder.mkdir(parents=True, exist_ok=True)
    config = {"format": FORMAT_VERSION, "kind": KIND, "labels": list(labels), "preprocess": ["unicode_escapes"],
              "blocks": list(blocks),
              "embedding_weight": embedding_weight, "encoder": encoder, "head": "logistic_regression",
              "binary": coef.shape[0] == 1}
    if lexicon:
        config.update(lexicon=lexicon, lexicon_weight=lexicon_weight)
    (folder / CONFIG_FILE).write_text(json.dumps(config, indent=2) + "\n", encoding="utf-8")
    (folder / VOCAB_FILE).write_text(json.dumps([list(v) for v in vocabularies], ensure_ascii=False),
                                     encoding="utf-8")
    tensors = {"coef": np.ascontiguousarray(coef, dtype=np.float32),
               "intercept": np.ascontiguousarray(intercept, dtype=np.float32)}
    for i, idf in enumerate(idfs):
        tensors[f"idf.{i}"] = np.ascontiguousarray(idf, dtype=np.float32)
    save_file(tensors, str(folder / HEAD_FILE))


def _replace_folder(tmp: Path, final: Path) -> None:
    for path in [tmp, *tmp.rglob("*")]:  # mkdtemp and safetensors create owner-only files
        path.chmod(0o755 if path.is_dir() else 0o644)
    if final.exists():
        backup = final.with_name(f".{final.name}.old")
        if backup.exists():
            shutil.rmtree(backup)
        final.rename(backup)
        tmp.rename(final)
        shutil.rmtree(backup, ignore_errors=True)
    else:
        tmp.rename(final)


# -- entry point -----------------------------------------------------------------------------------
def train_classifier(data: Path | str, name: str, models_dir: str | Path | None = None, text_col: str = "text",
                     label_col: str = "label", finetune: bool = False, heldout: float = 0.15, seed: int = 0,
                     progress: Progress | None = None, *, features: str = "auto", C: float | None = None,
                     epochs: int = 3, finetune_seconds: float = 420.0, lexicon: str | None = None) -> ModelCard:
    """Train ``classify.<name>`` from ``data`` and save it to ``<models_dir>/<name>/``; return its card.

    ``features``: ``auto`` (cross-validated: the cheapest of tfidf / embedding / hybrid within
    :data:`SELECTION_TOLERANCE` macro F1 of the best; tfidf is not a candidate after fine-tuning),
    ``hybrid``, ``embedding`` or ``tfidf``; ``C``: the head's inverse regularisation (cross-validated
    over :data:`C_GRID` when None). ``finetune``: fine-tune MiniLM first, for ``epochs`` epochs cut
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

    root = resolve_models_dir(models_dir)
    root.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{name}.", dir=root))
    try:
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
        blocks, weight = _blocks_for(chosen_features)
        featurizer, vocabularies, idfs = fit_featurizer(train_texts, blocks, weight, encoder, lexicon)
        train_emb = embeddings if weight > 0 else None
        labels, coef, intercept = fit_head(featurizer.transform(train_texts, train_emb), train_labels, chosen_C,
                                           seed=seed)
        save_artifact(tmp, labels=labels, blocks=blocks, vocabularies=vocabularies, idfs=idfs,
                      embedding_weight=weight, coef=coef, intercept=intercept,
                      encoder=ENCODER_DIR if finetune else "stock", lexicon=lexicon,
                      lexicon_weight=featurizer.lexicon_weight)

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
        _replace_folder(tmp, artifact_dir(name, models_dir))
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    say(f"saved {name} in {time.perf_counter() - started:.0f} s")
    return card
