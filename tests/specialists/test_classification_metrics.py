"""Classification metrics against hand-computed examples (and scikit-learn as a cross-check)."""

from __future__ import annotations

import random

import pytest

from tandem.specialists.metrics.classification import (
    accuracy,
    classification_report,
    confusion,
    macro_f1,
    macro_precision,
    macro_recall,
    per_label,
)

# a: TP 2 of 2 predicted, support 3 -> P 1,   R 2/3, F1 0.8
# b: TP 1 of 2 predicted, support 2 -> P 1/2, R 1/2, F1 0.5
# c: TP 1 of 2 predicted, support 1 -> P 1/2, R 1,   F1 2/3
GOLD = ["a", "a", "a", "b", "b", "c"]
PRED = ["a", "a", "b", "b", "c", "c"]


def test_hand_computed_example() -> None:
    assert accuracy(GOLD, PRED) == pytest.approx(4 / 6)
    scores = per_label(GOLD, PRED)
    assert scores["a"] == pytest.approx({"precision": 1.0, "recall": 2 / 3, "f1": 0.8, "support": 3})
    assert scores["b"] == pytest.approx({"precision": 0.5, "recall": 0.5, "f1": 0.5, "support": 2})
    assert scores["c"] == pytest.approx({"precision": 0.5, "recall": 1.0, "f1": 2 / 3, "support": 1})
    assert macro_f1(GOLD, PRED) == pytest.approx((0.8 + 0.5 + 2 / 3) / 3)
    assert macro_recall(GOLD, PRED) == pytest.approx((2 / 3 + 0.5 + 1.0) / 3)
    assert macro_precision(GOLD, PRED) == pytest.approx((1.0 + 0.5 + 0.5) / 3)
    assert confusion(GOLD, PRED) == {"a": {"a": 2, "b": 1}, "b": {"b": 1, "c": 1}, "c": {"c": 1}}


def test_binary_spam_example() -> None:
    # 4 spam, 6 ham; the model finds 3 spam and raises one false alarm
    gold = ["spam"] * 4 + ["ham"] * 6
    pred = ["spam", "spam", "spam", "ham"] + ["spam"] + ["ham"] * 5
    spam = per_label(gold, pred)["spam"]
    assert spam["precision"] == pytest.approx(3 / 4)
    assert spam["recall"] == pytest.approx(3 / 4)
    assert spam["f1"] == pytest.approx(3 / 4)
    assert accuracy(gold, pred) == pytest.approx(8 / 10)


def test_label_only_predicted_counts_with_zero_recall() -> None:
    gold = ["x", "x"]
    pred = ["x", "y"]
    scores = per_label(gold, pred)
    assert scores["y"] == {"precision": 0.0, "recall": 0.0, "f1": 0.0, "support": 0}
    assert macro_recall(gold, pred) == pytest.approx(0.25)
    # restricting to the gold labels drops it
    assert macro_recall(gold, pred, labels=["x"]) == pytest.approx(0.5)


def test_report_is_rounded_and_complete() -> None:
    report = classification_report(GOLD, PRED)
    assert set(report) == {"accuracy", "macro_f1", "macro_recall", "macro_precision", "per_label"}
    assert report["accuracy"] == 0.6667
    assert report["per_label"]["a"]["support"] == 3
    assert isinstance(report["per_label"]["a"]["support"], int)


def test_bad_inputs() -> None:
    with pytest.raises(ValueError, match="differ in length"):
        accuracy(["a"], ["a", "b"])
    with pytest.raises(ValueError, match="no examples"):
        macro_f1([], [])


def test_agrees_with_sklearn() -> None:
    from sklearn.metrics import accuracy_score, f1_score, precision_recall_fscore_support, recall_score

    rng = random.Random(3)
    labels = ["neg", "neu", "pos", "rare"]
    gold = [rng.choice(labels[:3]) for _ in range(200)]
    pred = [g if rng.random() < 0.6 else rng.choice(labels) for g in gold]
    assert accuracy(gold, pred) == pytest.approx(accuracy_score(gold, pred))
    assert macro_f1(gold, pred) == pytest.approx(f1_score(gold, pred, average="macro", zero_division=0))
    assert macro_recall(gold, pred) == pytest.approx(recall_score(gold, pred, average="macro", zero_division=0))
    names = sorted(set(gold) | set(pred))
    p, r, f, s = precision_recall_fscore_support(gold, pred, labels=names, zero_division=0)
    ours = per_label(gold, pred)
    for i, name in enumerate(names):
        assert ours[name]["precision"] == pytest.approx(p[i])
        assert ours[name]["recall"] == pytest.approx(r[i])
        assert ours[name]["f1"] == pytest.approx(f[i])
        assert ours[name]["support"] == s[i]
