"""Synthetic examples: cleaning, exact and normalised dedupe, and the teacher's filter, with a fake teacher."""

from __future__ import annotations

from tandem.specialists.distill.labelling import Example
from tandem.specialists.distill.synthesis import clean_example, dedupe, keep_intended, normalise, synthesize


def test_normalise_ignores_case_accents_punctuation_and_spacing() -> None:
    assert normalise("  Café   OFFER!! ") == normalise("cafe offer") == "cafe offer"
    assert normalise("Win £100 now") != normalise("Win £200 now")


def test_clean_example_strips_prefaces_tags_and_quotes() -> None:
    assert clean_example('"Win a free cruise today!"') == "Win a free cruise today!"
    assert clean_example("Example 3: Lunch at noon?") == "Lunch at noon?"
    assert clean_example("Here is a summary: see you\n\nLabel: ham") == "see you"
    assert clean_example("spam", ["spam", "ham"]) is None
    assert clean_example("  !! ") is None


def test_dedupe_exact_and_normalised_against_seen() -> None:
    seen = {normalise("Call me later")}
    fresh, duplicates = dedupe(["call me later!", "WIN NOW", "win now.", "Win now", "Dinner?"], seen)
    assert fresh == ["WIN NOW", "Dinner?"] and duplicates == 3


def test_synthesize_with_a_fake_teacher_stops_and_dedupes() -> None:
    scripts = {"spam": ["WIN a prize!", "win a prize", "Claim your reward now", "Free entry: text WIN"],
               "ham": ["See you at 6", "see you at 6!", "spam", "", "See you at 6."]}

    def write(label: str, number: int) -> str:
        answers = scripts[label]
        return answers[number % len(answers)]

    out = synthesize(write, ["spam", "ham"], 3, existing=["Free entry: text WIN"])
    assert out.candidates == {"spam": ["WIN a prize!", "Claim your reward now"], "ham": ["See you at 6"]}
    assert out.calls == 18  # both labels gave up after 3 calls per wanted example
    assert out.written == 3 and out.unusable == 4 and out.duplicates == 11


def test_only_examples_the_teacher_labels_as_intended_are_kept() -> None:
    candidates = {"spam": ["WIN a prize!", "Claim now"], "ham": ["See you at 6"]}
    agreed = [Example(text="WIN a prize!", label="spam"), Example(text="Claim now", label="ham"),
              Example(text="See you at 6", label="ham")]
    kept = keep_intended(candidates, agreed)
    assert [(e.text, e.label, e.synthetic) for e in kept] == [("WIN a prize!", "spam", True),
                                                               ("See you at 6", "ham", True)]
