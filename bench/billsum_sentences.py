"""The sentence rules of ``billsum_layout.py`` (see its docstring): where a preprocessed bill's sentences end, which
short sentences are headings, and the ``shall--`` lists the preprocessed form glued to their first item. Like the
re-wrap, it imports nothing from ``specialists``."""

from __future__ import annotations

import re

#: abbreviations (lower case, without the final period) after which a period never ends a sentence
_ABBREV = frozenset("u.s u.s.c stat no nos sec secs mr mrs ms dr inc co corp jr sr st e.g i.e "
                    "pub l cf v vs et seq etc".split())
_VERBS = re.compile(r"\b(?:shall|is|are|was|were|be|been|may|means|has|have|had|will|must|does|do)\b")
_SENTENCE_END = re.compile(r"(?<=[.?!])([\"')]*)\s+(?=[\"(]?[A-Z])")
_LEAD_IN = re.compile(r"(?<=:)\s+(?=\"?[A-Z])")
#: list items, not headings, open with these ("A State or a political subdivision.")
_NOT_FIRST = frozenset("a an the each any such all no".split())
_CONJUNCTION = re.compile(r"^(And|Or)\s+(?=\S)")


def sentences_of(text: str) -> list[str]:
    """Sentences of ``text`` by the simple rules in the module docstring (lead-ins end at ``:``)."""
    out: list[str] = []
    start = 0
    text = " ".join(text.split())
    for match in _SENTENCE_END.finditer(text):
        words = text[start:match.start()].split()
        last = words[-1].lower().strip("(\"'.") if words else ""
        if last in _ABBREV or re.fullmatch(r"[a-z]", last):
            continue
        out.append(text[start:match.end(1)])
        start = match.end()
    out.append(text[start:])
    pieces: list[str] = []
    for sentence in out:
        parts = _LEAD_IN.split(sentence)
        pieces.extend(p.strip() for p in parts[:-1] if len(p.split()) <= 40)
        pieces.append(" ".join(p.strip() for p in parts[-1:]))
    return [p for p in pieces if p]


def is_heading(sentence: str) -> bool:
    """A short sentence without a verb: ``In general.``, ``Controlled substance.``, ``Fiscal year 2006.``"""
    words = sentence.split()
    return (1 <= len(words) <= 10 and words[0].lower() not in _NOT_FIRST and sentence.endswith(".") and sentence[:1].isupper()
            and not _VERBS.search(sentence.lower()) and not re.search(r"[:;,\"]", sentence))


#: verbs that open the items of a ``shall--`` list ("(1) establish a program ...; and (2) submit a report ...")
_ITEM_VERBS = frozenset("""provide establish submit develop conduct ensure report study review make carry award include
    identify consult coordinate promote maintain assess evaluate prepare issue publish notify designate agree use take
    require support create implement examine recommend contain describe demonstrate certify meet comply procure
    increase improve reduce expand encourage assist train collect monitor determine give pay serve allow permit
    prohibit prescribe specify operate administer enter transmit disseminate facilitate""".split())
_MODAL_ITEM = re.compile(r"^(?P<lead>.+?\b(?:shall|may)(?: not)?(?: be)?)(?P<item> (?:to )?(?P<verb>[a-z]+)\b.*)$")


def _item_verb(sentence: str) -> bool:
    words = _CONJUNCTION.sub("", sentence).split()
    first = words[0] if words else ""
    return first[:1].isupper() and first.lower() in _ITEM_VERBS


def modal_lists(sentences: list[str]) -> list[str]:
    """Real bills' ``shall--`` lists, which the preprocessed form glued to their first item: ``The Secretary shall
    establish a program. Submit a report. And notify the States.`` becomes the lead-in ``The Secretary shall--``
    and the items ``establish a program.`` / ``submit a report.`` / ``And notify the States.`` (lower-case, as
    real bills print them; :func:`punctuate_items` then ends them in ``;`` / ``; and``)."""
    out: list[str] = []
    i = 0
    while i < len(sentences):
        sentence = sentences[i]
        match = _MODAL_ITEM.match(sentence)
        j = i + 1
        while j < len(sentences) and _item_verb(sentences[j]):
            j += 1
        if match and match.group("verb") in _ITEM_VERBS and j > i + 1:
            out.append(match.group("lead") + "--")
            out.append(match.group("item").strip())
            out.extend(s if _CONJUNCTION.match(s) else s[:1].lower() + s[1:] for s in sentences[i + 1:j])
            i = j
            continue
        out.append(sentence)
        i += 1
    return out
