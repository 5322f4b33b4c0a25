"""On a quiet page only letter-shape misreadings are corrected: an author's rare or old words are not turned
into other words."""

from __future__ import annotations

import pytest

from tandem.stages.ocr.corrector import CorrectorSettings, OcrCorrector
from tandem.stages.ocr.shapes import shape_explained

#: a 17th-century page (as the ICDAR-2017 books read): old forms the lexicon lacks, three shape misreadings;
#: under 5 % of its words look misread, so the quiet-page rule applies
QUIET_PAGE = (
    "When Rush came home to his maister he was loth to part with the money, and he could not chuse but "
    "tarie there a while, for the Priour had never deserved the praires of any man. Then the friers came "
    "into the kitchin, and one of them said that he woidd not stay, and the cooke said it was stdl early, "
    "and so they sat by the fire and talked of many things, of the house and of the land, of the horses "
    "and of the sheepe, until the night was come and it was time to goe to bed; and they were all glad "
    "that the day was done, for it had been hke a long day of work in the fields for every man there. "
    "In the morning the Priour rose early and went out to see the fields and the sheepe, and he found the men "
    "at their work, and he spoke with them of the harvest and of the weather, and of the market in the town, "
    "where the price of corn was high that year; and then he walked back to the house by the river, and sat "
    "down to his breakfast with the cooke and the other servants, and they talked of the work of the day.")
AUTHORS_WORDS = ("loth", "chuse", "tarie", "praires", "friers")


@pytest.mark.parametrize(("noisy", "clean"), [("shaU", "shall"), ("hke", "like"), ("stdl", "still"),
                                              ("woidd", "would"), ("Hmited", "limited"), ("CoUection", "collection"),
                                              ("manv", "many"), ("Gen tleman", "Gentleman"), ("tbe", "the")])
def test_letter_shape_misreadings_are_explained(noisy: str, clean: str) -> None:
    assert shape_explained(noisy, clean)


@pytest.mark.parametrize(("noisy", "clean"), [("loth", "both"), ("chuse", "use"), ("merie", "marie"),
                                              ("praires", "praises"), ("fortuned", "for tuned"), ("ment", "merit"),
                                              ("acquirements", "requirements"), ("Le", "La")])
def test_other_differences_are_not_explained(noisy: str, clean: str) -> None:
    assert not shape_explained(noisy, clean)


def test_a_quiet_page_keeps_the_authors_words_and_fixes_the_misread_shapes() -> None:
    proposal = OcrCorrector().propose(QUIET_PAGE)
    changes = {(f.original, f.choice) for f in proposal.changes}
    assert changes == {("woidd", "would"), ("stdl", "still"), ("hke", "like")}


def test_without_the_rule_the_same_page_loses_the_authors_words() -> None:
    # the words the rule protects are ones the corrector would otherwise replace (this test's reason to exist)
    changed = {f.original for f in OcrCorrector(settings=CorrectorSettings(shapes_only_noise=0.0))
               .propose(QUIET_PAGE).changes}
    assert set(AUTHORS_WORDS) <= changed


def test_a_noisy_page_still_gets_every_kind_of_correction() -> None:
    # above the quiet-page noise, corrections beyond letter shapes are made as before
    noisy = ("The comniittee met in the hall and agreed to reporl on tbe matter of the bridgo and the raihvay, "
             "and tho mayor aud the clerk wero present at tho meeting. ") * 2
    proposal = OcrCorrector().propose(noisy)
    assert proposal.noise >= CorrectorSettings().shapes_only_noise
    changes = {(f.original, f.choice) for f in proposal.changes}
    assert {("bridgo", "bridge"), ("wero", "were"), ("reporl", "report")} <= changes
    assert not any(shape_explained(a, b) for a, b in [("bridgo", "bridge"), ("wero", "were"), ("reporl", "report")])
