"""ROUGE-1/2/Lsum F against hand-computed values."""

from __future__ import annotations

import pytest

from tandem.specialists.metrics.rouge import ROUGE_KEYS, average, rouge_corpus, rouge_scores, sentence_lines


def test_single_sentence_by_hand() -> None:
    # prediction: the cat was on the mat / reference: the cat sat on the mat
    # unigrams: 5 of 6 match both ways -> F = 5/6; bigrams: the-cat, on-the, the-mat = 3 of 5 -> 0.6
    # LCS: "the cat on the mat" = 5 -> 5/6
    scores = rouge_scores("the cat was on the mat", "the cat sat on the mat")
    assert scores["rouge1"] == pytest.approx(5 / 6)
    assert scores["rouge2"] == pytest.approx(3 / 5)
    assert scores["rougeLsum"] == pytest.approx(5 / 6)


def test_lsum_is_a_union_lcs_over_lines() -> None:
    # reference lines "a b c" / "d e f", prediction lines "a b" / "d f":
    # union-LCS hits 2 + 2 = 4; recall 4/6, precision 4/4 -> F = 2 * (2/3) / (1 + 2/3) = 0.8
    scores = rouge_scores("a b\nd f", "a b c\nd e f")
    assert scores["rougeLsum"] == pytest.approx(0.8)
    # unigrams: same 4 of 4 / 4 of 6; bigrams: "a b" only of 2 predicted / 4 reference bigrams (across lines)
    assert scores["rouge1"] == pytest.approx(0.8)


def test_stemming_and_case() -> None:
    assert rouge_scores("Cats running", "cat runs")["rouge1"] == pytest.approx(1.0)


def test_paragraph_is_split_into_sentences_for_lsum() -> None:
    assert sentence_lines("Amends the Act. Directs the Secretary to act.") == (
        "Amends the Act.\nDirects the Secretary to act.")
    assert sentence_lines("one line\n\nsecond line") == "one line\nsecond line"


def test_empty_prediction_scores_zero() -> None:
    assert rouge_scores("", "the reference") == {key: 0.0 for key in ROUGE_KEYS}


def test_average_and_corpus() -> None:
    assert average([{"rouge1": 1.0}, {"rouge1": 0.5}]) == {"rouge1": 0.75}
    assert average([]) == {key: 0.0 for key in ROUGE_KEYS}
    corpus = rouge_corpus(["the cat", "a dog"], ["the cat", "the bird"])
    assert corpus["rouge1"] == pytest.approx(0.5)
    with pytest.raises(ValueError, match="2 predictions for 1 references"):
        rouge_corpus(["a", "b"], ["a"])
