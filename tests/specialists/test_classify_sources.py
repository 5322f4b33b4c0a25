"""Training files that mix sources with different label sets: detection, weighting, the trainer's report."""

from __future__ import annotations

import csv
import random
from pathlib import Path

import numpy as np
import pytest

from tandem.specialists.training.classify import train_classifier
from tandem.specialists.training.classify_data import read_labelled
from tandem.specialists.training.classify_head import balanced_weights
from tandem.specialists.training.classify_sources import PARTIAL_WEIGHTS, choose_partial_weight, plan_sources

GOOD = ["what a lovely {w}", "I really enjoyed the {w}", "great {w}, thanks"]
BAD = ["what an awful {w}", "I hated the {w}", "terrible {w}, never again"]
FLAT = ["the {w} starts at noon", "the {w} is on the second floor", "a {w} was announced today"]
WORDS = ["show", "meal", "trip", "game", "film", "talk"]


def mixed_rows(n_tweets: int = 150, n_reviews: int = 120, seed: int = 0) -> list[tuple[str, str, str]]:
    rng = random.Random(seed)
    rows = []
    for i in range(n_tweets):
        label, templates = [("positive", GOOD), ("negative", BAD), ("neutral", FLAT)][i % 3]
        rows.append((label, rng.choice(templates).format(w=rng.choice(WORDS)), "tweets"))
    for i in range(n_reviews):
        label, templates = [("positive", GOOD), ("negative", BAD)][i % 2]
        rows.append((label, rng.choice(templates).format(w=rng.choice(WORDS)), "reviews"))
    return rows


def write_mixed(path: Path, rows: list[tuple[str, str, str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, delimiter="\t", lineterminator="\n")
        writer.writerow(["label", "text", "source"])
        writer.writerows(rows)
    return path


def test_source_column_is_read_when_present_and_required_when_named(tmp_path: Path) -> None:
    path = write_mixed(tmp_path / "m.tsv", [("positive", "nice", "reviews"), ("neutral", "noon", "")])
    assert read_labelled(path, source_col="source").sources == ["reviews", "unknown"]
    assert read_labelled(path).sources is None
    plain = tmp_path / "p.tsv"
    plain.write_text("label\ttext\npositive\tnice\n")
    assert read_labelled(plain, source_col="source", require_source=False).sources is None
    with pytest.raises(ValueError, match="no source column 'origin'.*--source-col"):
        read_labelled(plain, source_col="origin")


def test_partial_sources_are_the_ones_lacking_labels_another_has() -> None:
    labels = ["positive", "neutral", "negative", "positive", "negative"]
    sources = ["tweets", "tweets", "tweets", "reviews", "reviews"]
    plan = plan_sources(labels, sources)
    assert plan is not None and plan.partial == ["reviews"]
    assert plan.labels == {"reviews": ["negative", "positive"], "tweets": ["negative", "neutral", "positive"]}
    assert plan.allowed_labels(["tweets", "reviews"]) == [None, frozenset({"negative", "positive"})]
    plan.partial_weight = 0.25
    assert plan.row_weights(["tweets", "reviews"]) == [1.0, 0.25]
    assert plan_sources(labels, None) is None
    assert plan_sources(labels, ["one"] * 5) is None
    # no source has every label: nothing to compare against, so nothing is partial
    assert plan_sources(["a", "b"], ["x", "y"]).partial == []  # type: ignore[union-attr]


def test_balanced_weights_give_each_label_the_same_total() -> None:
    labels = ["a", "a", "a", "b"]
    weights = balanced_weights(labels)
    assert weights[:3].sum() == pytest.approx(weights[3]) == pytest.approx(2.0)
    half = balanced_weights(["a", "b", "b"], [1.0, 1.0, 0.5])
    assert half[0] == pytest.approx(half[1] + half[2])
    assert half[1] == pytest.approx(2 * half[2])


def test_a_partial_source_that_hurts_is_set_aside() -> None:
    # complete rows: the label is the sign of feature 0, "neutral" near zero; the partial source
    # labels everything by feature 1, which says nothing about the complete rows
    rng = np.random.default_rng(0)
    x0 = rng.uniform(-1, 1, 300)
    complete = np.column_stack([x0, rng.normal(size=300)])
    complete_labels = ["neutral" if abs(v) < 0.33 else "positive" if v > 0 else "negative" for v in x0]
    noise = np.column_stack([rng.normal(size=400) * 0.1, rng.normal(size=400)])
    noise_labels = ["positive" if v > 0 else "negative" for v in noise[:, 1]]
    features = np.vstack([complete, noise])
    labels = complete_labels + noise_labels
    sources = ["tweets"] * 300 + ["reviews"] * 400
    plan = plan_sources(labels, sources)
    assert plan is not None
    choose_partial_weight(plan, features, labels, sources, C=10.0)
    assert set(plan.scores) == {f"{w:g}" for w in PARTIAL_WEIGHTS}
    assert plan.partial_weight == 0.0
    assert "reviews lacks neutral: reviews set aside" in plan.describe()


def test_trainer_reports_mixed_sources_and_holds_out_complete_rows_only(tmp_path: Path) -> None:
    data = write_mixed(tmp_path / "mixed.tsv", mixed_rows())
    messages: list[str] = []
    card = train_classifier(data, "mood", models_dir=tmp_path / "models", features="tfidf", lexicon="none",
                            progress=messages.append)
    sources = card.params["sources"]
    assert sources["partial"] == ["reviews"] and sources["rows"] == {"reviews": 120, "tweets": 150}
    assert sources["partial_weight"] in PARTIAL_WEIGHTS
    assert set(sources["weight_selection_macro_recall"]) == {f"{w:g}" for w in PARTIAL_WEIGHTS}
    assert any("reviews lacks neutral" in m for m in messages)
    assert card.n_heldout == 3 * round(50 * 0.15)  # held out from the tweets only, per label
    assert card.n_train == 150 + 120 - card.n_heldout
    assert card.params["finetune"] is False
    assert "macro recall in cross-validation" in card.params["finetune_reason"]


@pytest.mark.slow
def test_finetuning_scores_partial_rows_among_their_own_labels(tmp_path: Path) -> None:
    from tandem.specialists.training.classify_finetune import finetune_encoder

    rows = mixed_rows(n_tweets=24, n_reviews=16)
    texts, labels, sources = [r[1] for r in rows], [r[0] for r in rows], [r[2] for r in rows]
    plan = plan_sources(labels, sources)
    assert plan is not None
    steps: list[tuple[int, int]] = []
    stats = finetune_encoder(texts, labels, tmp_path / "enc", epochs=1, batch_size=8, max_seconds=60,
                             row_weights=plan.row_weights(sources), allowed=plan.allowed_labels(sources),
                             on_step=lambda step, total: steps.append((step, total)))
    assert stats["steps"] == 5 and steps[-1] == (5, 5)
    assert all(np.isfinite(stats["losses"]))
    assert (tmp_path / "enc" / "model.safetensors").is_file()


def test_the_plan_names_no_weight_before_cross_validation_chose_one() -> None:
    plan = plan_sources(["positive", "neutral", "positive"], ["tweets", "tweets", "reviews"])
    assert plan is not None
    assert plan.describe().endswith("reviews lacks neutral: their weight is chosen by cross-validation on the "
                                    "other sources")
