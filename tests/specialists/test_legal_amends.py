"""summarize.legal says which law a bill amends, read from its amending clauses."""

from __future__ import annotations

import pytest

from tandem.specialists.legal.amends import amended_law, amends_line
from tandem.specialists.legal.summarizer import summarize_legal
from tests.specialists.test_legal_summarizer import FakeEncoder

BILL = """SECTION 1. SHORT TITLE.

    This Act may be cited as the ``Rural Clinic Access Act of 2009''.

SEC. 2. GRANTS TO RURAL CLINICS.

    (a) In General.--Section 330A of the Public Health Service Act (42
U.S.C. 254c) is amended by adding at the end the following new
subsection: ``(k) The Secretary shall award grants to rural clinics.''.
    (b) Reports.--Section 330A(j) of the Public Health Service Act is
amended by striking ``2008'' and inserting ``2012''.

SEC. 3. TAX CREDIT.

    Section 45 of the Internal Revenue Code of 1986 is amended by adding a
credit for clinics that serve counties with fewer than 10,000 residents.
"""


@pytest.mark.parametrize(("clause", "law"), [
    ("Section 1862(a) of the Social Security Act (42 U.S.C. 1395y(a)) is amended", "Social Security Act"),
    ("The Higher Education Act of 1965 (20 U.S.C. 1001 et seq.) is further amended", "Higher Education Act of 1965"),
    ("Section 4943 of the Internal Revenue Code of 1986 is amended", "Internal Revenue Code"),
    ("Section 505 of the Federal Food, Drug, and Cosmetic Act (21 U.S.C. 355) is amended",
     "Federal Food, Drug, and Cosmetic Act"),
    ("SEC. 2. FARM TO SCHOOL.\n(a) Amendment. The Richard B. Russell National School Lunch Act is amended",
     "Richard B. Russell National School Lunch Act"),  # not across the heading's full stop; an initial is kept
    ("(a) In General.--Section 4943 of the Internal Revenue Code of 1986 is amended",
     "Internal Revenue Code"),  # not across an inline heading's ".--" (real bills' layout)
    ("as amended by section 5101 of the Tax and Trade Relief Extension Act of 1998, is amended",
     "Tax and Trade Relief Extension Act of 1998"),  # a lower-case "section" leaves its number behind
])
def test_the_amended_law_is_read_from_the_clause(clause: str, law: str) -> None:
    assert amended_law(clause) == law


def test_the_law_named_most_often_wins_and_a_bill_amending_nothing_has_no_line() -> None:
    assert amended_law(BILL) == "Public Health Service Act"
    assert amends_line("Section 5 of this Act is amended by striking 2008.") is None
    assert amends_line("The Secretary shall award grants to rural clinics.") is None
    assert amends_line("Section 1118 of title 38, United States Code, is amended") == "Amends Federal law."


def test_the_summary_says_what_the_bill_amends_after_its_title() -> None:
    summary = summarize_legal([BILL], max_words=60, encoder=FakeEncoder())[0].split("\n")
    assert summary[:2] == ["Rural Clinic Access Act of 2009", "Amends the Public Health Service Act."]
    assert sum(len(line.split()) for line in summary) <= 60
    without = summarize_legal([BILL], max_words=60, encoder=FakeEncoder(), amends_line=False)[0]
    assert "Amends the" not in without


HEADED_BILL = """SECTION 1. SHORT TITLE.

    This Act may be cited as the ``Rural Clinic Access Act of 2009''.

SEC. 2. AMENDMENTS TO THE PUBLIC HEALTH SERVICE ACT.

    Section 330A of the Public Health Service Act (42 U.S.C. 254c) is
amended by striking ``2008'' and inserting ``2012''.

SEC. 3. REPORTS.

    The Secretary shall report to Congress each year on the number of
rural clinics that received grants.
"""


def test_a_heading_that_says_what_the_amends_line_says_is_not_repeated() -> None:
    # in the summary's voice the heading reads "Amends the Public Health Service Act.", the amends line again
    summary = summarize_legal([HEADED_BILL], max_words=60, encoder=FakeEncoder())[0].split("\n")
    assert summary[:2] == ["Rural Clinic Access Act of 2009", "Amends the Public Health Service Act."]
    assert len(summary) == len(set(summary)) > 2


def test_when_nothing_fits_the_cut_sentence_is_not_a_repeat_either() -> None:
    # every other candidate overflows the 8 words left: the fallback cuts the best one, never the repeated heading
    bill = HEADED_BILL.split("SEC. 3.")[0].replace(
        "amended by striking ``2008'' and inserting ``2012''.",
        "amended by striking ``2008'' and inserting ``2012'' each place it appears in\nsubsection (j) and in "
        "subsection (k) of that section.")
    # (the edit is the one candidate that is not a repeat: kept here, as drop_edits=False keeps it)
    summary = summarize_legal([bill], max_words=20, encoder=FakeEncoder(), drop_edits=False)[0].split("\n")
    assert summary[:2] == ["Rural Clinic Access Act of 2009", "Amends the Public Health Service Act."]
    assert len(summary) == len(set(summary)) == 3, summary
    assert summary[2] == "Section 330A of the Public Health Service Act", summary  # cut to the 8 words left
