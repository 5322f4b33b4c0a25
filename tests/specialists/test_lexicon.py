"""Lexicon features (VADER) and a classifier trained with ``lexicon="vader"``."""

from __future__ import annotations

import json
import random
from pathlib import Path

import numpy as np
import pytest

from tandem.specialists.classifier import load_classifier
from tandem.specialists.lexicon import LEXICON_DIMS, lexicon_features
from tandem.specialists.training.classify import train_classifier
from tests.specialists.test_classifier import write_rows

POSITIVE = ["I love this {x}, it is great!", "what a wonderful {x} :)", "best {x} ever, so happy"]
NEGATIVE = ["I hate this {x}, it is awful", "what a terrible {x} :(", "worst {x} ever, so sad"]
NEUTRAL = ["the {x} opens at 9 on Monday", "a new {x} was announced today", "the {x} is on the second floor"]


def test_vader_scores_shape_and_direction() -> None:
    scores = lexicon_features("vader", ["I love it!!", "I do NOT love it", "The meeting is at 3 pm.", ""])
    assert scores.shape == (4, LEXICON_DIMS["vader"]) and scores.dtype == np.float32
    compound = scores[:, 3]
    assert compound[0] > 0.5 and compound[1] < 0 and compound[2] == 0 and compound[3] == 0
    assert np.allclose(scores[:, 4], compound ** 2)
    assert lexicon_features("vader", []).shape == (0, LEXICON_DIMS["vader"])
    with pytest.raises(ValueError, match="unknown lexicon 'afinn'; choose one of vader"):
        lexicon_features("afinn", ["x"])


def test_classifier_with_vader_roundtrips(tmp_path: Path) -> None:
    rng = random.Random(0)
    things = ["phone", "movie", "hotel", "cafe", "book", "train"]
    rows = [(label, rng.choice(templates).format(x=rng.choice(things)))
            for _ in range(15) for label, templates in
            (("positive", POSITIVE), ("negative", NEGATIVE), ("neutral", NEUTRAL))]
    data = write_rows(tmp_path / "sentiment.tsv", rows)
    card = train_classifier(data, "mood", models_dir=tmp_path / "models", features="tfidf", lexicon="vader",
                            heldout=0.0)
    assert card.params["lexicon"] == "vader"
    config = json.loads((tmp_path / "models" / "mood" / "classifier.json").read_text())
    assert config["lexicon"] == "vader" and config["lexicon_weight"] > 0
    clf = load_classifier("mood", tmp_path / "models")
    assert "tfidf+vader" in clf.model_id
    assert [c.label for c in clf.predict(["I love this lamp, great!", "what an awful lamp :("])] == [
        "positive", "negative"]
    with pytest.raises(ValueError, match="unknown lexicon"):
        train_classifier(data, "mood2", models_dir=tmp_path / "models", lexicon="nope")
