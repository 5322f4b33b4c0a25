"""Entity-level scores against hand-computed examples."""

from __future__ import annotations

import pytest

from tandem.specialists.metrics.ner import Counts, count_matches, entity_scores


def test_perfect_and_empty() -> None:
    gold = [[(0, 2, "PER")], []]
    assert entity_scores(gold, gold)["f1"] == 1.0
    empty = entity_scores([[], []], [[], []])
    assert (empty["precision"], empty["recall"], empty["f1"], empty["per_label"]) == (0.0, 0.0, 0.0, {})


def test_hand_computed_example() -> None:
    # sentence 1: PER exact (tp), LOC with the wrong label (fn LOC + fp ORG)
    # sentence 2: MISC boundary off by one (fn MISC + fp MISC), PER exact (tp), extra LOC (fp)
    gold = [[(0, 2, "PER"), (3, 4, "LOC")], [(0, 3, "MISC"), (5, 6, "PER")]]
    pred = [[(0, 2, "PER"), (3, 4, "ORG")], [(0, 2, "MISC"), (5, 6, "PER"), (7, 8, "LOC")]]
    scores = entity_scores(gold, pred)
    assert (scores["tp"], scores["fp"], scores["fn"]) == (2, 3, 2)
    assert scores["precision"] == pytest.approx(2 / 5)
    assert scores["recall"] == pytest.approx(2 / 4)
    assert scores["f1"] == pytest.approx(2 * 0.4 * 0.5 / 0.9)
    per = scores["per_label"]
    assert per["PER"] == {"precision": 1.0, "recall": 1.0, "f1": 1.0, "support": 2}
    assert per["LOC"] == {"precision": 0.0, "recall": 0.0, "f1": 0.0, "support": 1}
    assert per["ORG"]["support"] == 0 and per["ORG"]["precision"] == 0.0
    assert per["MISC"]["support"] == 1 and per["MISC"]["recall"] == 0.0


def test_spans_only_match_within_their_sentence() -> None:
    gold = [[(0, 1, "PER")], []]
    pred = [[], [(0, 1, "PER")]]
    counts = count_matches(gold, pred)
    assert counts == {"PER": Counts(tp=0, fp=1, fn=1)}


def test_duplicates_count_once_each() -> None:
    counts = count_matches([[(0, 1, "PER")]], [[(0, 1, "PER"), (0, 1, "PER")]])
    assert counts["PER"] == Counts(tp=1, fp=1, fn=0)


def test_length_mismatch_is_an_error() -> None:
    with pytest.raises(ValueError, match="2 gold items but 1 predicted"):
        entity_scores([[], []], [[]])
