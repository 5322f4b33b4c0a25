"""Sentences that say how a text is edited (``by striking ...``, ``by redesignating ...``) are not candidates: CRS
summaries say what an edit does, never how (option ``drop_edits``)."""

from __future__ import annotations

import pytest

from tandem.specialists.legal.candidates import is_edit, prepare

BILL = """SECTION 1. SHORT TITLE.

    This Act may be cited as the ``Rural Libraries Act''.

SEC. 2. GRANTS FOR RURAL LIBRARIES.

    (a) Extension.--Section 212(b) of the Library Services Act is amended
by striking ``2005'' and inserting ``2010''.
    (b) Grants.--The Secretary shall award grants to rural libraries to
expand broadband access for their patrons.
    (c) Conforming Amendment.--Section 213 of such Act is amended--
            (1) by redesignating paragraphs (3) and (4) as paragraphs (4)
        and (5), respectively; and
            (2) by inserting after paragraph (2) the following new
        paragraph:
            ``(3) Rural library.--The term `rural library' means a
        public library serving a community of fewer than 10,000 people.''.
"""


@pytest.mark.parametrize(("sentence", "edit"), [
    ('Section 212(b) of the Library Services Act is amended by striking "2005" and inserting "2010".', True),
    ("Section 213 of such Act is amended by redesignating paragraphs (3) and (4) as paragraphs (4) and (5).", True),
    ("Directs the Secretary to award grants to rural libraries.", False),
    ("Requires the State to strike a balance between access and cost.", False),  # no "by striking"
])
def test_an_edit_says_how_a_text_changes(sentence: str, edit: bool) -> None:
    assert is_edit(sentence) is edit


def test_edits_are_not_candidates_unless_asked() -> None:
    texts = [c.text for c in prepare(BILL).candidates]
    assert any("award grants to rural libraries" in t for t in texts)
    assert not [t for t in texts if "striking" in t or "redesignating" in t], texts
    kept = [c.text for c in prepare(BILL, drop_edits=False).candidates]
    assert any("by striking" in t for t in kept) and any("by redesignating" in t for t in kept), kept


def test_a_bill_of_edits_alone_keeps_them() -> None:
    only_edits = BILL.split("SEC. 2.")[0] + """SEC. 2. EXTENSION.

    Section 212(b) of the Library Services Act is amended by striking
``2005'' and inserting ``2010''.
"""
    texts = [c.text for c in prepare(only_edits).candidates]
    assert texts and all(is_edit(t) for t in texts), texts
