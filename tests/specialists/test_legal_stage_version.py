"""``summarize.legal``'s version is part of every result key: when what it writes changes, the version must change
too, or a rerun after an upgrade keeps summaries the old code wrote (a change that adds an option changes the key by
itself; one that changes a rule does not). Versions 3.1-3.5 changed rules under version "3"; version "4" keys them;
version "5" keys references dropped with the parts they are in (v3.7).

The summaries of three documents that reach those rules (a real-layout bill with an aside, a long dash lead-in, an
inserted section and a reference through the part it is in; a plain bill; a contract) are recorded under the version
that wrote them. A change of output under the same version fails here: bump ``version`` (and
the ``summarize.legal.vN`` entry point), then record the new summaries under it."""

from __future__ import annotations

import pytest

from tandem.specialists.legal_summarizer import LegalSummarizerStage
from tandem.stages.contracts import DocState, Document
from tests.specialists.test_legal_summarizer import CONTRACT, PLAIN_BILL

OFFICIAL_BILL = """SECTION 1. SHORT TITLE.

    This Act may be cited as the ``Small Farm Water Conservation Act''.

SEC. 2. CREDIT FOR WATER CONSERVATION EQUIPMENT.

    (a) In General.--Subpart D of part IV of subchapter A of chapter 1
of the Internal Revenue Code of 1986 (relating to business related
credits) is amended by adding at the end the following new section:

``SEC. 45Z. WATER CONSERVATION EQUIPMENT CREDIT.

    ``(a) In General.--For purposes of section 38, the water
conservation equipment credit determined under this section for the
taxable year is an amount equal to 30 percent of the cost of qualified
irrigation equipment placed in service by an eligible small farm
described in paragraph (1) of subsection (b) during the taxable year.

    ``(b) Eligible Small Farm.--For purposes of this section, the term
`eligible small farm' means a farm which is operated by a taxpayer whose
gross receipts for the preceding taxable year did not exceed $1,000,000,
but only if--
            ``(1) the farm uses drip or micro-sprinkler irrigation on at
        least half of its irrigated acres; and
            ``(2) the taxpayer certifies the reduction in water use to
        the Secretary.''.

    (b) Effective Date.--The amendment made by this section shall apply
to equipment placed in service after December 31, 2024.

SEC. 3. REPORT.

    Not later than 2 years after the date of the enactment of this Act,
the Secretary of Agriculture (in consultation with the Secretary of the
Interior) shall submit to Congress a report on the water saved by
equipment for which a credit is allowed under section 45Z of the
Internal Revenue Code of 1986.
"""

#: version -> the summaries it writes of (OFFICIAL_BILL, PLAIN_BILL, CONTRACT) with ``max_words=60``
RECORDED: dict[str, tuple[str, str, str]] = {
    "5": ("Small Farm Water Conservation Act\nAmends the Internal Revenue Code.\nCredit for water conservation "
          "equipment.\nThe water conservation equipment credit determined for the taxable year is an amount equal to 30 "
          "percent of the cost of qualified irrigation equipment placed in service by an eligible small farm during the "
          "taxable year.",
          "Clean Rivers Act of 2024\nGrants for river cleanup.\nDirects the Administrator to award grants under section "
          "319 of the Federal Water Pollution Control Act to States for the cleanup of polluted rivers.\nEach grant shall "
          "not exceed $5 million per fiscal year.\nRequires the U.S. Fish and Wildlife Service to advise the "
          "Administrator on the selection of rivers.",
          'In this Agreement, "Services" means the consulting services described in Schedule A.\nRequires the Client to '
          "pay the Fees within 30 days of each invoice.\nInterest accrues at 1% per month on any amount that is paid late."),
}


@pytest.mark.slow
def test_the_summaries_are_the_ones_recorded_for_this_version() -> None:
    stage = LegalSummarizerStage(max_words=60)
    stage.load()
    texts = (OFFICIAL_BILL, PLAIN_BILL, CONTRACT)
    states = [DocState(document=Document.from_text(text, source="test")) for text in texts]
    result = stage.run(states)
    assert not result.failures
    written = tuple(result.successes[state.key].text for state in states)
    assert stage.version in RECORDED, (f"summarize.legal version {stage.version} has no recorded summaries: "
                                       f"record these under it: {written!r}")
    assert written == RECORDED[stage.version], (
        f"summarize.legal writes other summaries than version {stage.version} did: if the change is meant, bump the "
        f"stage's version (and its summarize.legal.vN entry point) and record these under it: {written!r}")
