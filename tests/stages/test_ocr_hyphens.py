"""Words an OCR'd page hyphenated at a line break are joined again; a compound's own hyphen stays."""

from __future__ import annotations

import pytest

from tandem.stages.ocr.hyphens import join_broken_words

KNOWN = {"information", "and", "more", "well", "known", "self", "government", "man", "said", "that", "today", "to",
         "day", "deserve", "it", "the"}.__contains__


@pytest.mark.parametrize(("text", "joined"), [
    # the halves joined on the first line; the line break moves after the word and its punctuation
    ("the informa-\ntion, and more\nnext line", "the information,\nand more\nnext line"),
    ("de-\n    serve it", "deserve\n    it"),                # the next line keeps its indentation
    ("Wash-\nington.\nNext", "Washington.\nNext"),            # a second half alone on its line: no empty line
    ("inforrna-\ntion here", "inforrnation\nhere"),           # a misread word: joined, so the corrector sees it whole
    ("to-\nday we", "today\nwe"),
    ("nomi-\t\n  nation", "nomination"),                       # spaces around the break
])
def test_a_word_broken_across_a_line_is_joined(text: str, joined: str) -> None:
    assert join_broken_words(text, KNOWN) == joined


@pytest.mark.parametrize("text", [
    "a well-\nknown man",            # both halves words, the joined form not: the compound's hyphen
    "self-\ngovernment is",
    "the man-\nand the child",       # a dash at the line's end
    "Anglo-\nSaxon law",             # a capital after the break
    "in 1914-\n18 war", "a B52-\nbomber",  # numbers
    "no break - here\nand a dash -\n- there",
    "informa-tion on one line",
])
def test_compounds_names_numbers_and_dashes_stay_as_printed(text: str) -> None:
    assert join_broken_words(text, KNOWN) == text
