"""Which law a bill amends: ``Amends the Public Health Service Act.``, a line of the summary.

Summaries of US bills open with the law the bill changes (``Amends the Social Security Act to ...``); the bill
says it in its amending clauses (``Section 1862(a) of the Social Security Act (42 U.S.C. 1395y(a)) is amended
...``). :func:`amended_law` reads the Act or Code those clauses name most often (the first named on a tie).
"""

from __future__ import annotations

import re
from collections import Counter

from tandem.specialists.legal.segment import drop_struck_text

_SMALL = r"of|and|for|the|on|to|in"
_UNITS = r"title|part|subpart|subtitle|chapter|subchapter"
_NAME_WORD = rf"(?:[A-Z][A-Za-z'.-]*,?|{_SMALL}|{_UNITS}|\d{{4}})"
#: "Act [of YEAR]" or "Code" [of YEAR] [(citation)] [,] is|are [further] amended: where a law's name ends
_ANCHOR = re.compile(r"\b(?:Act|Code)(?:\s+of\s+\d{4})?(?:\s*\([^()]*(?:\([^()]*\)[^()]*)*\))?\s*,?\s*(?:is|are)\s+"
                     r"(?:further\s+)?amended")
#: the whole clause, "<Name> Act [of YEAR]" or "<Name> Code", matched only in a window ending at an anchor
_AMENDED = re.compile(
    rf"\b({_NAME_WORD}(?:\s+{_NAME_WORD})*?\s+(?:Act(?:\s+of\s+\d{{4}})?|Code))(?:\s+of\s+\d{{4}})?"
    r"(?:\s*\([^()]*(?:\([^()]*\)[^()]*)*\))?\s*,?\s*(?:is|are)\s+(?:further\s+)?amended$")
#: characters before an anchor searched for the name (a law's name is far shorter); searching the whole text
#: from every word instead took minutes on long runs of capitalised words
_WINDOW = 300
_LEADING_SMALL = re.compile(rf"^(?:(?:{_SMALL})\s+)+", re.IGNORECASE)
#: a full stop that ends a sentence (not an initial's: "Richard B. Russell") or an inline heading's ".--"
#: ("(a) In General.--Section 4943 of the ...") inside a matched name
_SENTENCE_END = re.compile(r"(?<!\b[A-Z])\.\s+|\.?--\s*")
#: "Section 4943 of the", "Part D of", a bare "5101 of the" (after a lower-case "section") before the law's name
#: (a title is kept: "title XVIII of the ... Act")
_SECTION_OF = re.compile(r"^(?:(?:(?:Section|Sec\.|Subsection|Paragraph|Part|Subpart|Subtitle|Chapter|Subchapter)\s+\S+"
                         r"|\d\S*)\s+of\s+(?:the\s+)?)+", re.IGNORECASE)


def amended_law(text: str) -> str | None:
    """The Act or Code the bill's amending clauses name most often (``Public Health Service Act``), or None
    (a reported bill's struck text is not read)."""
    text = drop_struck_text(text)
    counts: Counter[str] = Counter()
    first: dict[str, int] = {}
    for anchor in _ANCHOR.finditer(text):
        start = max(0, anchor.start() - _WINDOW)
        match = _AMENDED.search(text, start, anchor.end())
        if match is None:
            continue
        name = _SENTENCE_END.split(" ".join(match.group(1).split()))[-1]
        name = _LEADING_SMALL.sub("", _SECTION_OF.sub("", _LEADING_SMALL.sub("", name))).strip(" ,")
        if name in ("Act", "Code") or name.lower().startswith(("this act", "such act", "such code")):
            continue
        counts[name] += 1
        first.setdefault(name, anchor.start())
    return max(counts, key=lambda name: (counts[name], -first[name])) if counts else None


def amends_line(text: str) -> str | None:
    """``Amends the <law>.`` for a bill that amends a named Act or Code, or None."""
    law = amended_law(text)
    if law is None:
        return None
    if law.endswith("United States Code"):  # "title 38, United States Code": summaries say "Federal law"
        return "Amends Federal law."
    if law.lower().startswith("title "):  # "title XVIII of the Social Security Act"
        return f"Amends title {law[len('title '):]}."
    return f"Amends the {law}."
