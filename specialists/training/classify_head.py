"""The classifier's head: TF-IDF featurizer fitting, logistic regression, and the choice of feature set
and ``C`` by cross-validation."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from tandem.specialists.classifier import Featurizer, vectorizer_options

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
#: relative inference cost: "auto" takes the cheapest feature set whose cross-validated macro recall is
#: within SELECTION_TOLERANCE of the best (about one standard deviation of the fold scores on SMS spam)
FEATURE_COST = {"tfidf": 0, "embedding": 1, "hybrid": 1}
SELECTION_TOLERANCE = 0.005
EMBEDDING_WEIGHT = 1.0
#: scale of the lexicon scores (in [-1, 1]) next to unit-norm embeddings and TF-IDF rows; cross-validated
#: on TweetEval validation tweets (1 and 6 within a point of 3)
LEXICON_WEIGHT = 3.0
#: below this many training rows (or 3 per label) the head's options are not cross-validated
MIN_ROWS_FOR_SELECTION = 100

#: a head candidate: (feature set, C, lexicon or None)
Candidate = tuple[str, float, str | None]


def candidate_key(candidate: Candidate) -> str:
    features, C, lexicon = candidate
    return f"{features}/C={C:g}" + (f"+{lexicon}" if lexicon else "")


def balanced_weights(labels: Sequence[str], row_weights: Sequence[float] | None = None) -> np.ndarray:
    """Per-row weights that give every label the same total weight (sklearn's "balanced", generalised
    to rows that count less: a row of weight 0.5 counts half towards its label's total)."""
    weights = np.ones(len(labels)) if row_weights is None else np.asarray(row_weights, dtype=float)
    label_arr = np.asarray(labels)
    names = sorted(set(labels))
    totals = {name: float(weights[label_arr == name].sum()) for name in names}
    scale = float(weights.sum()) / len(names)
    return np.asarray([w * scale / totals[label] if totals[label] > 0 else 0.0
                       for w, label in zip(weights, labels, strict=True)])


def fit_featurizer(texts: Sequence[str], blocks: Sequence[dict[str, Any]], embedding_weight: float,
                   encoder: Any, lexicon: str | None = None) -> tuple[Featurizer, list[list[str]], list[np.ndarray]]:
    """Fit the TF-IDF blocks on ``texts``; return the inference featurizer and its fitted state."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    vocabularies: list[list[str]] = []
    idfs: list[np.ndarray] = []
    for block in blocks:
        vectorizer = TfidfVectorizer(dtype=np.float32, **vectorizer_options(block))
        try:
            vectorizer.fit(texts)
        except ValueError:  # empty vocabulary (tiny data with min_df): retry keeping every term
            vectorizer = TfidfVectorizer(dtype=np.float32, **{**vectorizer_options(block), "min_df": 1})
            vectorizer.fit(texts)
        vocab = [""] * len(vectorizer.vocabulary_)
        for term, column in vectorizer.vocabulary_.items():
            vocab[column] = term
        vocabularies.append(vocab)
        idfs.append(np.asarray(vectorizer.idf_, dtype=np.float32))
    featurizer = Featurizer(blocks, vocabularies, idfs, embedding_weight, encoder, lexicon=lexicon,
                            lexicon_weight=LEXICON_WEIGHT if lexicon else 0.0)
    return featurizer, vocabularies, idfs


def fit_head(features: Any, labels: Sequence[str], C: float, seed: int = 0,
             row_weights: Sequence[float] | None = None) -> tuple[list[str], np.ndarray, np.ndarray]:
    """Class-balanced logistic regression (rows weighted by ``row_weights``, default 1);
    returns ``(labels in column order, coef, intercept)``."""
    from sklearn.linear_model import LogisticRegression

    model = LogisticRegression(C=C, max_iter=3000, random_state=seed)
    model.fit(features, list(labels), sample_weight=balanced_weights(labels, row_weights))
    return ([str(c) for c in model.classes_], np.asarray(model.coef_, dtype=np.float32),
            np.asarray(model.intercept_, dtype=np.float32))


def blocks_for(features: str) -> tuple[list[dict[str, Any]], float]:
    """The TF-IDF blocks and the embedding weight of a feature set (``hybrid``, ``embedding``, ``tfidf``)."""
    if features == "hybrid":
        return [dict(b) for b in DEFAULT_BLOCKS], EMBEDDING_WEIGHT
    if features == "embedding":
        return [], EMBEDDING_WEIGHT
    if features == "tfidf":
        return [dict(b) for b in DEFAULT_BLOCKS], 0.0
    raise ValueError(f"unknown feature set {features!r}; choose one of {', '.join(FEATURE_SETS)}")


def predict_labels(names: Sequence[str], coef: np.ndarray, intercept: np.ndarray, x: Any) -> list[str]:
    decision = np.asarray(x @ coef.T) + intercept
    if decision.shape[1] == 1:
        return [names[int(d > 0)] for d in decision[:, 0]]
    return [names[int(j)] for j in decision.argmax(axis=1)]


def cv_folds(labels: Sequence[str], seed: int, k: int = 3) -> list[tuple[np.ndarray, np.ndarray]]:
    from sklearn.model_selection import StratifiedKFold

    return list(StratifiedKFold(k, shuffle=True, random_state=seed).split(np.zeros(len(labels)), labels))


def select_head(texts: Sequence[str], labels: Sequence[str], embeddings: np.ndarray | None,
                candidates: Sequence[Candidate], seed: int = 0,
                progress: Progress | None = None) -> tuple[Candidate, dict[str, float]]:
    """Pick ``(features, C, lexicon)`` by 3-fold stratified cross-validation on the training part, scored by
    macro recall (balanced accuracy: what class-balanced training aims at, blind to label imbalance).

    The best-scoring candidate wins, except that a cheaper one (:data:`FEATURE_COST`; for TF-IDF alone,
    no lexicon) within :data:`SELECTION_TOLERANCE` of the best score is preferred (its best C and lexicon).
    """
    from tandem.specialists.metrics.classification import macro_recall

    folds = cv_folds(labels, seed)
    text_arr = list(texts)
    label_arr = np.asarray(labels)
    fold_scores: dict[Candidate, list[float]] = {c: [] for c in candidates}
    for features, lexicon in dict.fromkeys((f, lex) for f, _, lex in candidates):
        blocks, weight = blocks_for(features)
        for train_idx, test_idx in folds:
            tr_texts = [text_arr[i] for i in train_idx]
            te_texts = [text_arr[i] for i in test_idx]
            featurizer, _, _ = fit_featurizer(tr_texts, blocks, weight, encoder=None, lexicon=lexicon)
            emb = embeddings if weight > 0 else None
            x_train = featurizer.transform(tr_texts, emb[train_idx] if emb is not None else None)
            x_test = featurizer.transform(te_texts, emb[test_idx] if emb is not None else None)
            for candidate in candidates:
                if (candidate[0], candidate[2]) != (features, lexicon):
                    continue
                names, coef, intercept = fit_head(x_train, label_arr[train_idx], candidate[1], seed=seed)
                predicted = predict_labels(names, coef, intercept, x_test)
                fold_scores[candidate].append(macro_recall(list(label_arr[test_idx]), predicted))
    scores: dict[str, float] = {}
    for candidate, values in fold_scores.items():
        key = candidate_key(candidate)
        scores[key] = round(float(np.mean(values)), 5)
        if progress:
            progress(f"cross-validation {key}: macro recall {scores[key]:.4f}")

    def cost(candidate: Candidate) -> tuple[int, bool]:
        # a lexicon is cheap next to the encoder, but not next to TF-IDF alone
        return FEATURE_COST[candidate[0]], candidate[2] is not None and FEATURE_COST[candidate[0]] == 0

    top = max(scores[candidate_key(c)] for c in candidates)
    good = [c for c in candidates if scores[candidate_key(c)] >= top - SELECTION_TOLERANCE]
    cheapest = min(cost(c) for c in good)
    best = max((c for c in good if cost(c) == cheapest), key=lambda c: scores[candidate_key(c)])
    return best, scores
