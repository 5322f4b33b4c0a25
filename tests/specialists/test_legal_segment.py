"""Segmentation of the layouts users really have: the official BillSum ``text`` layout (hard
wrapped, indented, ``SEC. n.`` headings, ``(a)``/``(1)`` items, TeX quotes), a hard-wrapped plain
contract, a plain statute with ``§`` sections, and the preprocessed ``<SECTION-HEADER>`` form. Hand-made texts, no model."""

from __future__ import annotations

import re

from tandem.specialists.legal.candidates import prepare
from tandem.specialists.legal.segment import short_title, split_sections, split_sentences
from tests.bench import load_script

OFFICIAL_BILL = """SECTION 1. SHORT TITLE.

    This Act may be cited as the ``Clean Harbors Restoration Act of
2031''.

SEC. 2. FINDINGS.

    Congress finds the following:
        (1) Harbor sediment in many coastal cities contains heavy
    metals.
        (2) Section 5 of the Harbor Act does not provide funds for
    removing such sediment.

SEC. 3. GRANTS TO PORT AUTHORITIES FOR THE REMOVAL OF CONTAMINATED
            SEDIMENT.

    (a) In General.--The Administrator shall award grants to port
authorities for the removal of contaminated sediment from harbors.
    (b) Amount.--A grant under subsection (a) may not exceed
$2,000,000. Paragraph (3) of section 7 is amended by striking
subparagraph (A) and redesignating subparagraph (B) as subparagraph
(A).
"""

PLAIN_CONTRACT = """1. Definitions. In this Agreement, "Services" means the design work
   described in Schedule A and any change the parties agree in
   writing.
2. Payment. The Client shall pay each invoice within 30 days. Late
   amounts bear interest at 1% per month.
"""

PLAIN_STATUTE = """§ 101. Definitions
   In this chapter, the term "harbor" means any port, bay or
   inlet used for commercial shipping.

§ 102. Grants
   (a) The Secretary may award grants to eligible port
   authorities.
   (b) A grant may not exceed $2,000,000 in any fiscal year.
"""

PREPROCESSED = (
    '<SECTION-HEADER> SHORT TITLE. This Act may be cited as the "Clean Harbors Restoration Act of 2031". '
    "<SECTION-HEADER> GRANTS. The Administrator shall award grants to port authorities. "
    "A grant may not exceed $2,000,000."
)


def test_official_layout_sections_and_wrapped_heading() -> None:
    sections = split_sections(OFFICIAL_BILL)
    assert [s.heading for s in sections] == [
        "SHORT TITLE", "FINDINGS",
        "GRANTS TO PORT AUTHORITIES FOR THE REMOVAL OF CONTAMINATED SEDIMENT"]
    # "Section 5 of the Harbor Act" at the start of a wrapped line is running text, not a heading
    assert "Section 5 of the Harbor Act" in " ".join(sections[1].text.split())
    assert short_title(OFFICIAL_BILL) == "Clean Harbors Restoration Act of 2031"


def test_official_layout_sentences_are_unwrapped() -> None:
    sections = split_sections(OFFICIAL_BILL)
    assert split_sentences(sections[0].text) == [
        'This Act may be cited as the "Clean Harbors Restoration Act of 2031".']
    assert split_sentences(sections[1].text) == [
        "Congress finds the following:",
        "Harbor sediment in many coastal cities contains heavy metals.",
        "Section 5 of the Harbor Act does not provide funds for removing such sediment.",
    ]
    assert split_sentences(sections[2].text) == [
        "The Administrator shall award grants to port authorities for the removal of contaminated "
        "sediment from harbors.",
        "A grant under subsection (a) may not exceed $2,000,000.",
        # a wrapped line that starts with "(A)." inside a sentence is not an item
        "Paragraph (3) of section 7 is amended by striking subparagraph (A) and redesignating "
        "subparagraph (B) as subparagraph (A).",
    ]


def test_official_layout_candidates_drop_boilerplate() -> None:
    doc = prepare(OFFICIAL_BILL)
    texts = [c.text for c in doc.candidates]
    assert doc.title == "Clean Harbors Restoration Act of 2031"
    assert not any("may be cited as" in t for t in texts)
    assert "Congress finds the following:" not in texts
    assert any(t.startswith("Directs the Administrator to award grants") for t in texts)  # crs_style
    # the wrapped upper-case heading becomes one heading candidate
    assert any(c.heading and c.text.startswith("Grants to port authorities") for c in doc.candidates)


def test_plain_contract_hard_wrapped() -> None:
    sections = split_sections(PLAIN_CONTRACT)
    assert [s.heading for s in sections] == ["Definitions", "Payment"]
    assert split_sentences(sections[0].text) == [
        'In this Agreement, "Services" means the design work described in Schedule A and any change '
        "the parties agree in writing."]
    assert split_sentences(sections[1].text) == [
        "The Client shall pay each invoice within 30 days.", "Late amounts bear interest at 1% per month."]


def test_plain_statute_with_section_signs_and_headings_on_their_own_line() -> None:
    sections = split_sections(PLAIN_STATUTE)
    assert [s.heading for s in sections] == ["Definitions", "Grants"]
    assert split_sentences(sections[0].text) == [
        'In this chapter, the term "harbor" means any port, bay or inlet used for commercial shipping.']
    assert split_sentences(sections[1].text) == [
        "The Secretary may award grants to eligible port authorities.",
        "A grant may not exceed $2,000,000 in any fiscal year."]


def test_preprocessed_form_still_works() -> None:
    sections = split_sections(PREPROCESSED)
    assert [s.heading for s in sections] == ["SHORT TITLE", "GRANTS"]
    assert split_sentences(sections[1].text) == [
        "The Administrator shall award grants to port authorities.", "A grant may not exceed $2,000,000."]
    assert prepare(PREPROCESSED).title == "Clean Harbors Restoration Act of 2031"


def test_layout_script_round_trip() -> None:
    """bench/billsum_layout.py turns the preprocessed form into the official layout, and the
    segmenter reads the same sections back."""
    text = load_script("billsum_layout").official_layout(PREPROCESSED)
    assert text.startswith("SECTION 1. SHORT TITLE.\n\n    This Act may be cited as the ``Clean")
    assert "SEC. 2. GRANTS." in text
    assert max(len(line) for line in text.splitlines()) <= 70
    assert [s.heading for s in split_sections(text)] == ["SHORT TITLE", "GRANTS"]
    assert prepare(text).title == "Clean Harbors Restoration Act of 2031"


def test_the_short_title_keeps_its_popular_name_and_the_referred_to_form() -> None:
    assert short_title("This Act may be cited as the ``Creating Options for Veterans Expedited Recovery Act'' or "
                       "the ``COVER Act''.") == "Creating Options for Veterans Expedited Recovery Act or the COVER Act"
    assert short_title("This act may be referred to as the ``Tenth Amendment Enforcement\nAct of 1996''.") == (
        "Tenth Amendment Enforcement Act of 1996")
    assert short_title('This Act may be cited as the "Farm Act".') == "Farm Act"


def test_quoted_amendment_text_is_read_item_by_item() -> None:
    from tandem.specialists.legal.candidates import prepare

    bill = """SEC. 2. PHARMACY ACCESS PILOT PROGRAM.

    (a) In General.--Part D of title XVIII of the Social Security Act
(42 U.S.C. 1395w-101 et seq.) is amended by adding at the end the
following new section:

``SEC. 1860D-43. RURAL PHARMACY ACCESS PILOT PROGRAM.

    ``(a) Establishment.--The Secretary shall establish a pilot
program under which prescription drug plans reimburse rural
pharmacies for delivering covered part D drugs.
    ``(b) Duration.--The pilot program shall be conducted for a
period of 3 years.''.

    (b) Effective Date.--The amendment made by subsection (a) shall
apply to plan years beginning on or after January 1, 2010.
"""
    texts = [c.text for c in prepare(bill, crs_style=False).candidates]
    assert "The pilot program shall be conducted for a period of 3 years." in texts
    assert any(t.startswith("The Secretary shall establish a pilot program") for t in texts)
    assert not any(t.startswith('"') for t in texts)


def test_lower_cased_text_is_split_into_sentences() -> None:
    # contract clauses as some datasets ship them: no capital letter anywhere
    text = "by using our services you agree to these terms. if you are under 13 your parent agrees for you. see sec. 4 below."
    assert split_sentences(text) == ["by using our services you agree to these terms.",
                                     "if you are under 13 your parent agrees for you.", "see sec. 4 below."]
    # with capitals, a lower-case word after a full stop still does not open a sentence
    assert split_sentences("See 42 U.S.C. 1395 et seq. for details. The Secretary acts.") == [
        "See 42 U.S.C. 1395 et seq. for details.", "The Secretary acts."]


def test_all_caps_headings_are_cased_as_the_bill_writes_them() -> None:
    from tandem.specialists.legal.candidates import heading_sentence, prepare
    text = ("The Director of the CBO may request information from any agency. Section 2 of the DNA Analysis "
            "Backlog Elimination Act of 2000 is amended. Child abduction cases are rising. Payments to health care "
            "providers for emergency care are made.")
    assert heading_sentence("REQUESTS BY CBO OF INFORMATION", text) == "Requests by CBO of information"
    assert (heading_sentence("REAUTHORIZATION OF DNA ANALYSIS BACKLOG ELIMINATION ACT OF 2000", text)
            == "Reauthorization of DNA Analysis Backlog Elimination Act of 2000")
    assert heading_sentence("PAYMENTS TO HEALTH CARE PROVIDERS", text) == "Payments to health care providers"
    assert heading_sentence("CHILD ABDUCTION", text) == "Child abduction"  # the only use opens a sentence
    assert heading_sentence("Grants to States", text) == "Grants to States"  # not all caps: unchanged
    bill = ("SEC. 2. REQUESTS BY CBO OF INFORMATION FROM AGENCIES.\n\n    The Director of the CBO may request "
            "information from any agency of the Federal Government.\n")
    assert prepare(bill).candidates[0].text == "Requests by CBO of information from agencies."


def test_a_heading_word_the_text_never_writes_keeps_its_capitals_only_when_it_is_a_short_non_word() -> None:
    from tandem.specialists.legal.candidates import heading_sentence
    text = "The Director of the Congressional Budget Office may request information from any agency."
    assert heading_sentence("REQUESTS BY CBO OF INFORMATION", text) == "Requests by CBO of information"
    assert heading_sentence("SNAP BENEFITS FOR FEMA SHELTERS", text) == "Snap benefits for FEMA shelters"
    assert heading_sentence("IMPOUNDMENT CONTROL", text) == "Impoundment control"  # long: a word, not an acronym
    assert heading_sentence("REQUESTS BY CBO", "Requests by the cbo team.") == "Requests by cbo"  # written lower


def test_a_dash_lead_in_opens_its_first_item() -> None:
    from tandem.specialists.legal.candidates import list_item
    assert list_item("establish a program; and", "The Secretary shall") == "The Secretary shall establish a program."
    assert list_item("submit a report;", None) == "submit a report."  # only the first item
    assert list_item("who was so employed for 52 weeks, and", None) == "who was so employed for 52 weeks."  # a definition's item
    assert list_item("The program ends in 2035.", "The Secretary shall") == "The program ends in 2035."


def test_a_long_dash_lead_in_opens_its_first_item_too() -> None:
    # real bills' definitions end long lead-ins in a dash ("... but only if--"); BillSum's cleaner glued them to
    # their items: the lead-in is not a candidate of its own, ending in a dash, with its first item lost
    bill = """SEC. 2. SERVICE CONTRIBUTIONS.

    (a) In General.--The term `service contributions' means the amount
paid or incurred during the taxable year for services provided in the
United States for the exclusive benefit of students at an elementary or
secondary school described in section 170(b)(1)(A)(ii) but only if--
            (1) the taxpayer is engaged in the trade or business of
        providing such services on a commercial basis, and
            (2) no charge is imposed for providing such services.
"""
    texts = [c.text for c in prepare(bill).candidates]
    assert not [t for t in texts if t.endswith("--")], texts
    assert any(t.endswith("but only if the taxpayer is engaged in the trade or business of providing such services "
                          "on a commercial basis.") for t in texts), texts


def test_the_items_of_a_formula_read_on_as_one_sentence() -> None:
    text = ("    (a) In General.--The credit shall be the excess of--\n"
            "            (1) the amount determined under subsection (b) for such \n"
            "        taxable year, over\n"
            "            (2) the sum of the amounts allowed, plus\n"
            "            (3) the amount of any refund.\n"
            "    (b) Limit.--The amount shall be reduced by the lesser of--\n"
            "            (1) $500; or\n"
            "            (2) the amount of tax.\n")
    assert split_sentences(text) == [
        "The credit shall be the excess of--",
        "the amount determined under subsection (b) for such taxable year, over the sum of the amounts allowed, plus "
        "the amount of any refund.",
        "The amount shall be reduced by the lesser of--", "$500; or", "the amount of tax."]


OFFICIAL_AMENDMENTS = """SECTION 1. SHORT TITLE; TABLE OF CONTENTS.

    (a) Short Title.--This Act may be cited as the ``Science Credit Act''.
    (b) Table of Contents.--The table of contents for this Act is as
follows:

Sec. 1. Short title; table of contents.
Sec. 2. Credits for certain contributions benefiting science,
                            technology, engineering, and mathematics
                            education.
Sec. 3. Suicide prevention.

SEC. 2. CREDITS.

    (a) In General.--Subpart D is amended by adding at the end the
following new item:

``Sec. 45O. Contributions benefiting science, technology, engineering,
                            and mathematics education.''.

    (b) Effective Date.--The amendments made by this section shall apply
to taxable years beginning after 2024.

SEC. 3. SUICIDE PREVENTION.

    Chapter 17 is amended by inserting after section 1720E the following
new section:

``Sec. 1720F. Comprehensive program for suicide prevention among
              veterans

    ``(a) Establishment.--The Secretary shall establish a program for
`veterans at risk'.''.
"""


def test_official_layout_wrapped_headings_and_added_table_items() -> None:
    sections = split_sections(OFFICIAL_AMENDMENTS)
    # the wrapped table-of-contents entry is skipped like the others, and so is the quoted item an amendment adds
    # to a table of sections; the section an amendment inserts stays in the section inserting it, without its heading
    # (wrapped onto an indented line), as in BillSum's preprocessed sources
    assert [s.heading for s in sections] == [
        "SHORT TITLE; TABLE OF CONTENTS", "Short title; table of contents", "CREDITS", "SUICIDE PREVENTION"]
    assert "45O" not in sections[2].text and "Contributions benefiting" not in sections[2].text  # a table entry
    assert "Effective Date" in sections[2].text
    assert "1720F" not in sections[-1].text and "veterans\n" not in sections[-1].text
    assert "(a) Establishment.--The Secretary shall establish" in sections[-1].text
    assert sections[-1].text.endswith("for\n'veterans at risk'.\".")  # the inner quote opens as it closes


# BillSum's ``text`` ends each line that wraps on in a space
INSERTING_BILL = re.sub(r"(?<=\S)\n(?=[ \t]*\S)", " \n", """SECTION 1. SHORT TITLE.

    This Act may be cited as the ``Harbor Workers Credit Act''.

SEC. 2. CREDIT FOR HARBOR WORKERS NEWLY HIRED BEFORE 2033.

    (a) In General.--Subpart D of part IV of subchapter A of chapter 1
of the Internal Revenue Code of 1986 (relating to business-related
credits) is amended by adding at the end the following new section:

``SEC. 45Z. CREDIT FOR HARBOR WORKERS NEWLY HIRED BEFORE 2033, AND FOR
              THEIR TRAINING.

    ``(a) In General.--The harbor worker credit is 10 percent of the
wages paid to each harbor worker.
    ``(b) Harbor Worker.--The term `harbor worker' means an individual
who--
            ``(1) has not been employed during the 60-
        day period before the hiring date;
            ``(2) is employed in a port of the United States; and
            ``(3) completes a safety course.''.
    (b) Clerical Amendment.--The table of sections for subpart D of
part IV of subchapter A of chapter 1 of such Code is amended by adding
at the end the following new item:

``Sec. 45Z. Credit for harbor workers newly hired before 2033, and for
                            their training.''.
""")


def test_a_section_an_amendment_inserts_stays_in_the_section_that_inserts_it() -> None:
    """Real bills print an inserted section's heading at the start of a line (```SEC. 45Z. ...``, wrapped at 14),
    a compound wrapped at its own hyphen (``60-`` / ``day``), a clerical amendment and its table item; lines end
    in a space before each break, as in BillSum's ``text``."""
    assert [s.heading for s in split_sections(INSERTING_BILL)] == [
        "SHORT TITLE", "CREDIT FOR HARBOR WORKERS NEWLY HIRED BEFORE 2033"]
    texts = [c.text for c in prepare(INSERTING_BILL, crs_style=False).candidates]
    assert not any("training" in t for t in texts), texts  # neither the inserted heading nor the table item
    assert "The harbor worker credit is 10 percent of the wages paid to each harbor worker." in texts
    assert any("has not been employed during the 60-day period before the hiring date." in t for t in texts), texts
    # the clerical amendment is not summary material, and a later list item is a fragment without its lead-in
    assert not any("table of sections" in t or t.startswith(("is employed", "completes")) for t in texts), texts
    # a table item printed indented is dropped as well
    indented = ("SEC. 2. CREDITS.\n\n    (a) In General.--The table of sections is amended by adding the following new "
                "item:\n        ``Sec. 45O. Contributions benefiting science.''.\n")
    assert [s.text for s in split_sections(indented)] == [
        "(a) In General.--The table of sections is amended by adding the following new item:"]


def test_clerical_amendments_are_boilerplate() -> None:
    from tandem.specialists.legal.segment import is_boilerplate

    assert is_boilerplate("The table of sections for chapter 17 of such title is amended by adding at the end the "
                          'following new item: "1720F.')
    assert is_boilerplate("The item relating to section 529 in the table of sections for part VIII is amended by "
                          'striking "State".')
    assert is_boilerplate("Chapter 30 of title 38, United States Code, is amended in the table of contents by "
                          "striking the item relating to section 3020.")
    assert not is_boilerplate("In the table of contents of each Federal Register, there shall be a separate list of "
                              "preemptive regulations.")
    assert not is_boilerplate("The Secretary shall publish a table of sections of the Code that the rule amends.")


def test_later_list_items_are_not_candidates_unless_the_text_has_no_capitals() -> None:
    bill = """SEC. 2. HARBOR DUTIES.

    The Secretary shall--
            (1) establish a program to award grants to port authorities;
            (2) submit a report to Congress on the grants awarded; and
            (3) notify the States of each grant awarded under the program.
"""
    texts = [c.text for c in prepare(bill, crs_style=False).candidates]
    assert texts == ["The Secretary shall establish a program to award grants to port authorities."]
    dump = "the tenant shall pay the rent on the first day of each month. the landlord shall keep the roof in repair."
    assert [c.text for c in prepare(dump).candidates] == [
        "the tenant shall pay the rent on the first day of each month.", "the landlord shall keep the roof in repair."]


REPORTED_BILL = """SECTION 1. SHORT TITLE.

<DELETED>    This Act may be cited as the ``Old Harbors Act''.</DELETED>

    This Act may be cited as the ``Clean Harbors Restoration Act of
2031''.

<DELETED>SEC. 2. TAX ON SHIPPING CONTAINERS.</DELETED>

<DELETED>    (a) In General.--A tax of $50 is imposed on every shipping
container unloaded in a port of the United States.</DELETED>

SEC. 2. GRANTS TO PORT AUTHORITIES.

    The Administrator shall award grants to port authorities for the
removal of contaminated sediment from harbors.
"""


def test_a_reported_bills_struck_text_is_not_read() -> None:
    """govinfo.gov's text of a reported bill wraps struck text in ``<DELETED>`` ... ``</DELETED>``, line by line."""
    assert short_title(REPORTED_BILL) == "Clean Harbors Restoration Act of 2031"  # not the struck name
    assert [s.heading for s in split_sections(REPORTED_BILL)] == ["SHORT TITLE", "GRANTS TO PORT AUTHORITIES"]
    doc = prepare(REPORTED_BILL)
    assert doc.title == "Clean Harbors Restoration Act of 2031"
    assert [c.text for c in doc.candidates] == [
        "Grants to port authorities.", "Directs the Administrator to award grants to port authorities for the removal of contaminated sediment "
        "from harbors."]
    # an opening marker that is never closed, or a stray closing one, is dropped as a marker, not as text
    assert split_sections("SECTION 1. GRANTS.\n\n<DELETED>The Secretary shall award grants.")[0].text == (
        "The Secretary shall award grants.")
    assert split_sections("SECTION 1. GRANTS.\n\nThe Secretary shall award grants.</DELETED>")[0].text == (
        "The Secretary shall award grants.")
