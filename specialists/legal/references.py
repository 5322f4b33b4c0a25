"""References to the bill's own parts, dropped from candidate sentences.

Bills point at their own parts all the time ("grants under this section", "an entity described in
subsection (b)", "the amendments made by this Act"); summaries never do (in BillSum's development bills
no ``section``/``subsection``/``paragraph`` word our summaries used was in the reference). Dropping such
a reference leaves the sentence's content and frees its words for more of it.

A reference to *another* law stays: ``section 5 of the Public Health Service Act``, ``paragraph (2) of
such Act``, and a reference that carries meaning by itself (``the tax imposed by section 4081``: only
the phrases of :data:`_PREPOSITIONS` introduce a droppable reference). Pure functions, no model.
"""

from __future__ import annotations

import re

_UNIT = r"(?:sections?|subsections?|paragraphs?|subparagraphs?|clauses?|subclauses?)"
#: ``(b)``, ``5``, ``1862A``, ``(1)(A)``: one item of a reference
_ITEM = r"(?:\(\w{1,6}\)|\d+[A-Za-z]?(?:-\d+)?)(?:\s?\(\w{1,6}\))*"
#: one way only to read each separator (the text's spaces are single), so a long list cannot backtrack
_SEPARATOR = r"(?:,\s(?:or\s|and\s)?|,|\s(?:or|and|through)\s)"
_ITEMS = rf"{_ITEM}(?:{_SEPARATOR}{_ITEM})*"
_THIS = r"this\s+(?:section|subsection|paragraph|subparagraph|clause|subclause|part|subtitle|chapter|title|Act)"
#: a reference, with the parts it is in: "paragraph (2) of subsection (a) of this section"
_REFERENCE = (rf"(?:{_THIS}|{_UNIT}\s+{_ITEMS}"
              rf"(?:\s+of\s+(?:this\s+(?:section|subsection|paragraph|Act|title)|{_UNIT}\s+{_ITEM}))*)")
#: not followed by "of": what follows names another law ("of the X Act", "of title 5", "of such Act") or a part
#: the reference is in ("paragraph (1) of section 1221(a) of the Internal Revenue Code": dropping only its
#: head would leave "of section 1221(a) of ..."); nor by more items of the same list (never drop part of a list)
_OWN_PART = rf"(?!\s+of\b)(?![\w(])(?!{_SEPARATOR}{_ITEM})"
#: the phrases that introduce a reference a summary can do without
_PREPOSITIONS = (r"(?:under|amended\s+by|described\s+in|referred\s+to\s+in|specified\s+in|pursuant\s+to|in\s+accordance\s+with"
                 r"|as\s+defined\s+in|defined\s+in|established\s+(?:under|by)|required\s+(?:under|by)|made\s+by"
                 r"|provided\s+(?:in|under|by)|set\s+forth\s+in|identified\s+(?:in|under))")
_LEADING_CLAUSE = re.compile(
    rf"^(?:Except\s+as\s+(?:otherwise\s+)?provided\s+(?:in|under)|Subject\s+to|For\s+purposes\s+of|Notwithstanding)"
    rf"\s+{_REFERENCE}{_OWN_PART},\s*", re.IGNORECASE)
#: a relative clause that only states the reference ("entities that are described in subsection (b)"): it goes too,
#: or "entities that are." would be left
_RELATIVE = r"(?:(?:that|which|who)\s+(?:is|are|was|were)\s+)?"
#: "as provided in subsection (c)", "under this section": a droppable reference with what introduces it
_DROPPABLE = rf"{_RELATIVE}(?:as\s+)?{_PREPOSITIONS}\s+{_REFERENCE}{_OWN_PART}"
_INNER_REFERENCE = re.compile(rf",?\s*{_DROPPABLE}(?=[\s,.;:)])", re.IGNORECASE)
#: the same between commas: both go ("Grants, as provided in section 4, shall ..." -> "Grants shall ...")
_BETWEEN_COMMAS = re.compile(rf",\s*{_DROPPABLE},(?=\s)", re.IGNORECASE)


def drop_internal_references(sentence: str) -> str:
    """``sentence`` without references to the bill's own parts.

    >>> drop_internal_references("The Secretary shall make grants under this section to entities described in subsection (b).")
    'The Secretary shall make grants to entities.'
    >>> drop_internal_references("Except as provided in subsection (c), the Secretary shall act.")
    'The Secretary shall act.'
    >>> drop_internal_references("Grants under section 5 of the Public Health Service Act.")
    'Grants under section 5 of the Public Health Service Act.'
    >>> drop_internal_references("Grants to entities that are described in subsection (b).")
    'Grants to entities.'
    """
    sentence = " ".join(sentence.split())
    out = _LEADING_CLAUSE.sub("", sentence)
    if out != sentence and out:
        out = out[0].upper() + out[1:]
    out = _INNER_REFERENCE.sub("", _BETWEEN_COMMAS.sub("", out))
    out = re.sub(r"\s*\(\s*\)", "", out)  # a parenthetical that was only the reference: "wages (as defined in section 3401(a))"
    out = re.sub(r"\s+([,.;:])", r"\1", out)
    out = re.sub(r",\s*,", ",", out)
    return " ".join(out.split())
