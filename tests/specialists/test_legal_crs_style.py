"""summarize.legal says what a bill does in the voice of CRS summaries (``Requires``, ``Directs``,
``Authorizes``) and leaves every sentence it cannot rewrite safely as the bill words it."""

from __future__ import annotations

import doctest

import pytest

from tandem.specialists.legal import crs_style
from tandem.specialists.legal.candidates import prepare
from tandem.specialists.legal.crs_style import crs_sentence
from tandem.specialists.legal.options import LegalOptions
from tandem.specialists.legal.summarizer import SummarizerConfig, summarize_legal
from tests.specialists.test_legal_summarizer import FakeEncoder


@pytest.mark.parametrize(("sentence", "expected"), [
    ("The Secretary of Energy shall issue regulations within 180 days.",
     "Directs the Secretary of Energy to issue regulations within 180 days."),
    ("Each State plan shall include a description of the program.",
     "Requires each State plan to include a description of the program."),
    ("The report shall be submitted to Congress not later than March 1.",
     "Requires the report to be submitted to Congress not later than March 1."),
    ("The Administrator may award grants to eligible entities.",
     "Authorizes the Administrator to award grants to eligible entities."),
    ("Such States are authorized to use funds for outreach.",
     "Authorizes such States to use funds for outreach."),
    ("The Secretary shall not approve a plan that lacks a budget.",
     "Prohibits the Secretary from approving a plan that lacks a budget."),
    ("Amounts shall not be used for construction.", "Prohibits Amounts from being used for construction."),
    ("There are authorized to be appropriated $5,000,000 for fiscal year 2031.",
     "Authorizes appropriations $5,000,000 for fiscal year 2031."),
    ("There is established in the Department of Energy an Office of Grid Security.",
     "Establishes in the Department of Energy an Office of Grid Security."),
    ("It is the sense of Congress that the program should continue.",
     "Expresses the sense of the Congress that the program should continue."),
    ("The Secretary shall establish a registry and shall report to Congress, or shall not publish it.",
     "Directs the Secretary to establish a registry and report to Congress, or shall not publish it."),
    ("A State may keep the funds and may use them for outreach.",
     "Authorizes a State to keep the funds and use them for outreach."),
])
def test_duties_and_powers_are_said_as_crs_summaries_say_them(sentence: str, expected: str) -> None:
    assert crs_sentence(sentence) == expected


@pytest.mark.parametrize("sentence", [
    "A grant may not exceed $3,000,000.",  # a limit, not a prohibition
    "The Secretary shall not, on or after the date of enactment, promulgate any rule.",  # the verb is not next
    "The Secretary shall not carry out, develop, or publish a ratings system.",  # a list of verbs
    "No person shall sell a firearm to a juvenile.",
    "There shall be established a commission on rural health.",
    "It shall be unlawful for any person to sell a firearm to a juvenile.",
    "Nothing in this Act shall be construed to limit State law.",
    "The amendments made by this section shall apply to taxable years beginning after 2031.",  # an effect
    "This Act shall take effect on January 1, 2032.",
    "An individual who served on active duty shall be eligible for the credit.",  # an entitlement, not a duty
    "Any person who violates this section shall be fined not more than $10,000.",  # a penalty
    "The Commission shall be composed of 10 members.",  # what it is, not a duty
    "The functions of the Commission shall be to study the judicial circuits.",
    "The term \"State\" shall have the meaning given it in section 2.",
    "In carrying out the program, the Secretary shall consult with States.",  # a comma before the modal
    "the company shall indemnify the customer against all claims.",  # no capital: not read as a subject
    "The Congress finds that rural hospitals have closed.",  # no modal
])
def test_sentences_it_cannot_rewrite_safely_stay_as_worded(sentence: str) -> None:
    assert crs_sentence(sentence) == sentence


@pytest.mark.parametrize(("verb", "expected"), [
    ("establish", "establishing"), ("use", "using"), ("submit", "submitting"), ("be", "being"),
    ("agree", "agreeing"), ("die", "dying"), ("Transfer", "Transferring"),
])
def test_gerund(verb: str, expected: str) -> None:
    assert crs_style.gerund(verb) == expected


@pytest.mark.parametrize(("heading", "expected"), [
    ("Extension of generalized system of preferences.", "Extends generalized system of preferences."),
    ("Amendments to the Social Security Act.", "Amends the Social Security Act."),
    ("Increase in the minimum wage.", "Increases the minimum wage."),
    ("Powers of Commission.", "Powers of Commission."),  # not an action
    ("Rural health clinics.", "Rural health clinics."),
])
def test_action_headings_become_verbs(heading: str, expected: str) -> None:
    assert crs_style.crs_heading(heading) == expected


def test_a_common_noun_subject_loses_its_capital() -> None:
    sentence = "Fellowships may be funded at levels of up to $1,000."
    assert crs_sentence(sentence, frozenset({"fellowships", "funded"})) == (
        "Authorizes fellowships to be funded at levels of up to $1,000.")
    assert crs_sentence(sentence) == "Authorizes Fellowships to be funded at levels of up to $1,000."
    # a name the document never writes in lower case keeps its capital, and so does an acronym
    assert crs_sentence("Amtrak may sell the route.", frozenset({"route"})) == "Authorizes Amtrak to sell the route."
    assert crs_sentence("FEMA may award grants.", frozenset({"fema"})) == "Authorizes FEMA to award grants."


@pytest.mark.parametrize(("sentence", "expected"), [
    ("There are appropriated $13,500,000 for fiscal year 2006.", "There are appropriated $13.5 million for FY2006."),
    ("$50,000,000 for each of fiscal years 2032 through 2036.", "$50 million for each of FY2032-FY2036."),
    ("A grant of $2,000,000,000 in fiscal years 2031 and 2032.", "A grant of $2 billion in FY2031 and FY2032."),
    ("A grant of $1,234,567 or $100,000.", "A grant of $1,234,567 or $100,000."),  # not a round amount; thousands
])
def test_amounts_and_fiscal_years_as_crs_writes_them(sentence: str, expected: str) -> None:
    assert crs_style.crs_numbers(sentence) == expected


def test_the_module_examples_hold() -> None:
    assert doctest.testmod(crs_style).failed == 0


BILL = ("SEC. 2. EXTENSION OF RURAL TELEHEALTH GRANTS.\n\nThe Secretary shall award grants to rural clinics for telehealth services. "
        "The amendments made by this Act shall apply to fiscal years after 2031.")


def test_prepare_rewrites_only_when_asked() -> None:
    on = [c.text for c in prepare(BILL).candidates]
    off = [c.text for c in prepare(BILL, crs_style=False).candidates]
    assert on == ["Extends rural telehealth grants.",
                  "Directs the Secretary to award grants to rural clinics for telehealth services.",
                  "The amendments shall apply to fiscal years after 2031."]
    assert off == ["Extension of rural telehealth grants.",
                   "The Secretary shall award grants to rural clinics for telehealth services.",
                   "The amendments shall apply to fiscal years after 2031."]


def test_the_stage_option_reaches_the_summary() -> None:
    assert LegalOptions().crs_style is True and SummarizerConfig().crs_style is True
    cfg = SummarizerConfig.from_options(LegalOptions(crs_style=False))
    assert cfg.crs_style is False
    common = {"encoder": FakeEncoder(), "include_title": False, "amends_line": False}
    assert "\nDirects the Secretary to award grants" in summarize_legal([BILL], 40, **common)[0]
    assert "\nThe Secretary shall award grants" in summarize_legal([BILL], 40, crs_style=False, **common)[0]
