"""summarize.legal drops references to the bill's own parts and keeps references to other laws."""

from __future__ import annotations

import doctest

import pytest

from tandem.specialists.legal import references
from tandem.specialists.legal.candidates import prepare
from tandem.specialists.legal.references import drop_internal_references


@pytest.mark.parametrize(("sentence", "expected"), [
    ("The Secretary shall make grants under this section to entities described in subsection (b).",
     "The Secretary shall make grants to entities."),
    ("The amendments made by this Act shall apply to taxable years beginning after December 31, 2005.",
     "The amendments shall apply to taxable years beginning after December 31, 2005."),
    ("An entity described in paragraph (1)(A) or (B) shall submit an application.",
     "An entity shall submit an application."),
    ("Except as provided in subsection (c), the Secretary shall establish a program.",
     "The Secretary shall establish a program."),
    ("Funds made available pursuant to sections 4 and 5 shall remain available.",
     "Funds made available shall remain available."),
    ("Section 5, as amended by section 3, is further amended by adding a new paragraph.",
     "Section 5 is further amended by adding a new paragraph."),  # both commas go with the reference
    ("Grants, as provided in subsection (c), shall be made.", "Grants shall be made."),
    ("6.2 percent of the wages (as defined in section 3401(a)) paid by the taxpayer.",
     "6.2 percent of the wages paid by the taxpayer."),  # no empty parentheses left
    # a relative clause that only stated the reference goes with it: no "entities that are." left
    ("The Secretary shall make grants to entities that are described in subsection (b).",
     "The Secretary shall make grants to entities."),
    ("The term means any individual who is described in paragraph (2).", "The term means any individual."),
    ("Any property which is described in paragraph (1) of section 1221(a) with respect to the donor.",
     "Any property with respect to the donor."),
    # the parts a reference is in go with it: no "items of subsection (a)" left
    ("Items described in paragraph (2) of subsection (a) shall be paid.", "Items shall be paid."),
    ("Items described in paragraph (2) of subsection (a) of this section shall be paid.", "Items shall be paid."),
])
def test_references_to_the_bills_own_parts_are_dropped(sentence: str, expected: str) -> None:
    assert drop_internal_references(sentence) == expected


@pytest.mark.parametrize("sentence", [
    "Grants under section 5 of the Public Health Service Act are increased.",
    "Payments described in paragraph (2) of such Act shall be reduced.",
    "Benefits provided under title 38, United States Code, shall continue.",
    "The tax imposed by section 4081 shall be reduced.",  # "imposed by" is not a droppable phrase
    "In carrying out this section, the Secretary shall consult with States.",
    "Section 1862(a) of the Social Security Act is amended by striking paragraph (2).",
    # a reference into another law through the part it is in: not "gain of section 1221(a) of the ... Code"
    "Gain described in paragraph (1) of section 1221(a) of the Internal Revenue Code of 1986 is excluded.",
    "Amounts described in subsection (b) of section 401 of such Act shall be paid.",
])
def test_references_to_other_laws_and_meaningful_ones_stay(sentence: str) -> None:
    assert drop_internal_references(sentence) == sentence


def test_the_module_examples_hold() -> None:
    assert doctest.testmod(references).failed == 0


def test_prepare_drops_references_only_when_asked() -> None:
    text = ("SEC. 2. GRANTS.\n\nThe Secretary shall award grants under this section to rural clinics "
            "described in subsection (b) for telehealth services.")
    on = [c.text for c in prepare(text, crs_style=False).candidates]
    off = [c.text for c in prepare(text, drop_references=False, crs_style=False).candidates]
    assert on == ["The Secretary shall award grants to rural clinics for telehealth services."]
    assert off == ["The Secretary shall award grants under this section to rural clinics described in "
                   "subsection (b) for telehealth services."]


def test_a_long_list_of_references_is_read_in_one_pass() -> None:
    # 40 items that end in no droppable reference: a regex that could read each separator two ways
    # would try 2**40 splits before giving up
    items = " or ".join(f"({i})" for i in range(40))
    sentence = f"The State shall pay under paragraphs {items}("
    assert drop_internal_references(sentence) == sentence
    listed = f"The State shall pay under paragraphs {items} of this section."
    assert drop_internal_references(listed) == "The State shall pay."


def test_real_bill_lead_ins_ending_in_a_dash_are_not_candidates() -> None:
    # the official layout: "is amended--" and "shall--" open lists (the preprocessed text has no such dash)
    bill = """SEC. 2. REQUESTS FOR INFORMATION.

    (a) In General.--Section 201(d) of the Congressional Budget Act of 1974
(2 U.S.C. 601(d)) is amended--
            (1) by striking ``The Director is authorized'' and
        inserting ``(1) The Director is authorized''; and
            (2) by adding at the end a new paragraph.
    (b) Report.--The Director shall--
            (1) submit a report to the Committees on the Budget listing
        every request for information made to an agency; and
            (2) publish the report on the Internet.
"""
    texts = [c.text for c in prepare(bill, drop_edits=False).candidates]  # the edit too: its lead-in is checked
    assert not [t for t in texts if t.endswith("--")], texts
    # the lead-in opens its first item, as BillSum's preprocessed text (dashes and markers erased) reads;
    # the item's "; and" becomes a full stop; the second item, a fragment without the lead-in, is not a candidate
    assert ("Directs the Director to submit a report to the Committees on the Budget listing every request for "
            "information made to an agency.") in texts, texts
    assert not any("publish the report" in t for t in texts), texts
    assert any(t.startswith("Section 201(d) of the Congressional Budget Act of 1974 is amended by striking")
               for t in texts), texts
    off = [c.text for c in prepare(bill, crs_style=False).candidates]
    assert "The Director shall submit a report to the Committees on the Budget listing every request for " \
           "information made to an agency." in off
