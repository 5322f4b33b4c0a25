"""The corrector keeps an author's spelling and other languages, and still fixes what OCR misread."""

from __future__ import annotations

import pytest

from tandem.stages.ocr.corrector import CorrectorSettings, OcrCorrector, inner_capital_readings
from tandem.stages.ocr.spelling import foreign_passage, modern_forms, old_spelling_of, spelling_variant


@pytest.fixture(scope="module")
def corrector() -> OcrCorrector:
    # every page corrected (no noise floor), so only the word rules decide
    return OcrCorrector(settings=CorrectorSettings(min_noise=0.0, long_min_noise=0.0, quiet_page_weight=0.0))


def test_regular_old_spellings_map_to_their_modern_words() -> None:
    known = {"he", "she", "own", "door", "soon", "upon", "have", "devil", "words", "city"}.__contains__
    for old, modern in [("hee", "he"), ("shee", "she"), ("owne", "own"), ("doore", "door"), ("soone", "soon"),
                        ("vpon", "upon"), ("haue", "have"), ("devill", "devil"), ("wordes", "words"),
                        ("citie", "city")]:
        assert old_spelling_of(old, known) == modern, old
    assert old_spelling_of("shau", known) is None and "he" in modern_forms("hee")


def test_spelling_variants_are_told_from_misreadings() -> None:
    for old, modern in [("kitchin", "kitchen"), ("onely", "only"), ("suddainly", "suddenly"), ("busines", "business")]:
        assert spelling_variant(old, modern), old
    for noisy, clean in [("tho", "the"), ("wdl", "well"), ("hke", "like"), ("tbe", "the"), ("aro", "are")]:
        assert not spelling_variant(noisy, clean), noisy  # shapes OCR confuses: misreadings


def test_an_authors_consistent_old_spelling_is_kept(corrector: OcrCorrector) -> None:
    text = ("And hee said unto her, shee shall goe with mee into the kitchin of his owne house, "
            "and the doore was shut soone after, for hee was onely a souldier.")
    assert corrector.correct(text) == text


def test_a_real_misreading_on_an_old_page_is_still_corrected(corrector: OcrCorrector) -> None:
    text = "And hee said unto her that shee shaU goe with him, and weU she knew it was stdl his owne house."
    assert corrector.correct(text) == ("And hee said unto her that shee shall goe with him, and well she knew it "
                                       "was still his owne house.")
    assert inner_capital_readings("weU") >= {"well"} and inner_capital_readings("McDonald") == set()


def test_a_quoted_foreign_passage_is_not_turned_into_english(corrector: OcrCorrector) -> None:
    text = ("The following is a specimen of the old German version: Ein Kloster vor cin walde lag Dar in man vil der "
            "wunder flag Do waren munch ein michel theil, Sie warcn iung und dar zuo geil.")
    out = corrector.correct(text)
    assert out.split()[-17:] == text.split()[-17:]  # no "under", "sidebar", "women" in the German verse
    lowers = [w.lower() for w in "Sie warcn iung und dar zuo geil".split()]
    assert foreign_passage(lowers, 3) and not foreign_passage("and the man went to the river".split(), 3)


def test_abbreviations_and_line_break_hyphens_are_kept(corrector: OcrCorrector) -> None:
    text = "Views of the town, fcap. 8vo, marb. covers; the mo-rocco binding and imita-tion gilt edges, impl. paper."
    assert corrector.correct(text) == text
