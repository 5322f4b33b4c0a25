"""A document's candidate sentences: boilerplate, bare headings and fragments removed.

:func:`prepare` turns a document into a :class:`PreparedDoc` (sections, :class:`Candidate`
sentences, short title); :func:`lead_sentences` gives the sentences the lead baseline sees.
Pure functions, no model.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from tandem.specialists.legal.amends import amends_line
from tandem.specialists.legal.crs_style import crs_heading, crs_numbers, crs_sentence
from tandem.specialists.legal.options import DEFAULTS
from tandem.specialists.legal.references import drop_internal_references
from tandem.specialists.legal.segment import (
    Section,
    is_boilerplate,
    short_title,
    split_sections,
    split_sentences,
    word_count,
)
from tandem.stages.ocr.lexicon import english_words

#: headings of sections that summaries rarely cover (a small score penalty, never excluded)
LOW_PRIORITY_HEADINGS = re.compile(
    r"\b(?:findings?|purposes?|definitions?|sense of (?:the )?(?:congress|senate|house)|severability"
    r"|effective dates?|rule of construction|table of contents|short title|recitals?|whereas"
    r"|authorization of appropriations|clerical amendments?|conforming amendments?|technical amendments?)\b",
    re.IGNORECASE,
)


_CITATION_WORDS = re.compile(r"U\.?\s?S\.?\s?C\.|\bStat\.|\bPublic Law\b|\bPub\.\s?L\.|\bC\.?F\.?R\.|\bnote\b")
_SMALL_WORDS = frozenset("a an and as at by for from in of on or the to with under into".split())


def _top_level_parens(text: str) -> list[tuple[int, int]]:
    """``(start, end)`` of each balanced top-level parenthetical of ``text``."""
    spans: list[tuple[int, int]] = []
    depth, start = 0, -1
    for i, ch in enumerate(text):
        if ch == "(":
            if depth == 0:
                start = i
            depth += 1
        elif ch == ")" and depth > 0:
            depth -= 1
            if depth == 0:
                spans.append((start, i + 1))
    return spans


def _dropped_parenthetical(inner: str) -> bool:
    """A citation (``42 U.S.C. 1395dd(e)(1)``, ``Public Law 104-193``), or a flat aside of more than one word
    (``relating to business related credits``, ``if any``). BillSum's cleaner removed the asides from the text this
    summarizer was developed on (every parenthetical with a space and without a nested one); real bills keep them, and
    CRS summaries seldom do. An enumerator or acronym (``(1)``, ``(STEM)``) and a nested reference
    (``as defined in section 3401(a)``) stay."""
    return bool(_CITATION_WORDS.search(inner)) or (" " in inner.strip() and "(" not in inner)


def compress_sentence(sentence: str) -> str:
    """Drop citation parentheticals (``(42 U.S.C. 1395dd(e)(1))``) and flat asides (``(relating to ...)``)."""
    out = sentence
    for start, end in reversed(_top_level_parens(sentence)):
        if _dropped_parenthetical(sentence[start + 1:end - 1]):
            out = out[:start].rstrip() + out[end:]
    out = re.sub(r"\s+([,.;:])", r"\1", out)
    return " ".join(out.split())


def looks_like_heading(sentence: str) -> bool:
    """A title-case or upper-case fragment without a verb ("Eligible Entity.", "In General.")."""
    words = [w.strip("\"'(),.;:") for w in sentence.split()]
    words = [w for w in words if w and any(ch.isalpha() for ch in w)]
    if not words or len(words) > 14:
        return False
    if re.search(r"\b(?:shall|is|are|was|were|may|means|has|have|will|must)\b", sentence):
        return False
    content = [w for w in words if w.lower() not in _SMALL_WORDS]
    if not content:
        return False
    return sum(w[0].isupper() for w in content) / len(content) >= 0.8


@dataclass
class Candidate:
    """A sentence that may go into the summary."""

    text: str
    index: int          # position among the document's sentences (boilerplate included)
    section: int        # index into the document's sections
    in_section: int     # position inside its section (among candidates)
    words: int
    heading: bool = False  # a section heading used as a candidate


@dataclass
class PreparedDoc:
    """Sections, candidate sentences and the short title of one document."""

    sections: list[Section]
    candidates: list[Candidate]
    title: str | None
    n_sentences: int
    amends: str | None = None  # "Amends the Social Security Act." (:func:`~tandem.specialists.legal.amends.amends_line`)


_TOKEN = re.compile(r"[A-Za-z][A-Za-z'-]*")
#: inline paragraph headings, title-cased in the official layout ("(c) Activities In Puerto Rico.--")
_INLINE_HEADINGS = re.compile(r"\([A-Za-z0-9]{1,4}\)\s+[^.]{1,100}\.--")


def running_text(sections: list[Section]) -> str:
    """The sections' text on one line, without the title-cased inline headings (casing evidence)."""
    return " ".join(" ".join(_INLINE_HEADINGS.sub(" ", section.text).split()) for section in sections)


_OPENER = re.compile(r"(?:^|[.!?:;\"(])\W*$")


def _whole_word(phrase: str) -> str:
    """A pattern for ``phrase`` as whole words (not inside a longer word or hyphenated compound)."""
    return r"(?<![\w-])" + re.escape(phrase) + r"(?![\w-])"


#: the longest heading word the text never writes that is read as an acronym when it is no English word
ACRONYM_MAX_LETTERS = 5


def _word_case(word: str, text: str, text_lower: str | None = None) -> str:
    """A lone heading word: in capitals when ``text`` writes it so and never in lower case (``PAYGO``); with
    ``text_lower`` (``text.lower()``), also when ``text`` never writes it at all and it is a short word that is
    no English word (``CBO``, ``FEMA``; ``SNAP``, ``GAO`` are words, so lower case)."""
    core = word.strip(".,;:()'\"")
    # a substring test before each search: most heading words are not in the text at all, and a whole-word search
    # reads the whole text (a document with hundreds of headings read it hundreds of times)
    lower = core.lower()
    if len(core) < 2 or not core.isupper():
        return word.lower()
    if core in text and re.search(_whole_word(core), text):
        acronym = not (lower in text and re.search(_whole_word(lower), text))
    else:
        acronym = (text_lower is not None and len(core) <= ACRONYM_MAX_LETTERS and core.isalpha()
                   and not (lower in text_lower and re.search(_whole_word(lower), text_lower))
                   and lower not in english_words())
    return word if acronym else word.lower()


def _cased_phrase(phrase: str, text: str, lower: str) -> list[str] | None:
    """The words of ``phrase`` as ``text`` writes them: the first whole-word occurrence inside a sentence
    (an opener is capitalized whatever the word: its first word is then cased alone); occurrences in
    capitals (the heading itself, quoted headings) say nothing. None when ``text`` lacks the phrase."""
    if phrase not in lower:  # the quick test first: most of a heading's runs are not in the text
        return None
    opener = None
    for match in re.finditer(_whole_word(phrase), lower):
        words = text[match.start():match.end()].split()
        if text[match.start():match.end()].isupper():
            continue
        if not _OPENER.search(lower[max(0, match.start() - 3):match.start()]):
            return words
        opener = opener or [_word_case(words[0], text)] + words[1:]
    return opener


def heading_sentence(heading: str, text: str) -> str:
    """An all-caps heading in sentence case, cased as the document's running ``text`` writes it.

    The longest runs of the heading's words that ``text`` contains (two words or more) are copied with
    the text's casing (``... OF DNA ANALYSIS BACKLOG ELIMINATION ACT OF 2000`` -> ``DNA Analysis Backlog
    Elimination Act of 2000``; ``HEALTH CARE PROVIDERS`` -> ``health care providers``); a lone word keeps
    its capitals only when the text writes it in capitals and never in lower case (``PAYGO``), or when the
    text never writes it and it is a short non-word (``CBO``). Other headings are returned unchanged."""
    if not heading.isupper():
        return heading
    words = heading.split()
    lower = text.lower()
    out: list[str] = []
    i = 0
    while i < len(words):
        for j in range(min(len(words), i + 12), i + 1, -1):
            cased = _cased_phrase(" ".join(words[i:j]).lower(), text, lower)
            if cased:
                out.extend(cased)
                i = j
                break
        else:
            out.append(_word_case(words[i], text, lower))
            i += 1
    sentence = " ".join(out)
    return sentence[:1].upper() + sentence[1:]


#: how real bills end the items of a list ("...;", "...; and", "...; or"; in a definition "...,", "..., and")
_ITEM_END = re.compile(r"\s*[;,](?:\s+(?:and|or))?$")


def list_item(sentence: str, lead: str | None) -> str:
    """A list item of the official layout as the sentence it stands for.

    ``lead``: the dash lead-in just before it, without its dash (``The Secretary shall``). The first item
    after ``The Secretary shall--`` reads ``The Secretary shall establish a program ...`` (as BillSum's
    preprocessed text, which erased the dashes and item markers, reads: only the first item takes the
    lead-in); an item's ``;`` / ``; and`` / ``,`` / ``, and`` ending becomes a full stop; a sentence that does not
    open in lower case is not an item and keeps its own words."""
    sentence = _ITEM_END.sub(".", sentence)
    return f"{lead} {sentence}" if lead and sentence[:1].islower() else sentence


#: words of an edit of a text ("... is amended by striking "2005" and inserting "2010"", "by redesignating paragraph
#: (3) as paragraph (4)"): the hand-set score's penalty and the learned scorer's ``edit`` feature
EDIT_WORDS = re.compile(r"\b(?:by\s+)?(?:striking|inserting|redesignating)\b", re.IGNORECASE)
#: the edits :func:`is_edit` drops, a narrower pattern chosen on the development bills (an insertion often carries
#: content: "by inserting "or veterinarian" after "physician""); CRS summaries say what an edit does, never how
_EDIT = re.compile(r"\bby\s+(?:striking|redesignating)\b", re.IGNORECASE)


def is_edit(sentence: str) -> bool:
    """Whether ``sentence`` says how a text is edited (striking, redesignating) rather than what the bill does."""
    return bool(_EDIT.search(sentence))


def clean_heading(heading: str) -> str:
    """A section heading with white space collapsed and trailing ``.``/``:`` dropped."""
    return " ".join(heading.split()).strip(" .:")


def prepare(text: str, *, min_words: int = DEFAULTS.min_words, max_candidates: int = DEFAULTS.max_candidates,
            compress: bool = DEFAULTS.compress, drop_references: bool = DEFAULTS.drop_references,
            drop_headings: bool = DEFAULTS.drop_headings, drop_edits: bool = DEFAULTS.drop_edits,
            heading_words: int = DEFAULTS.heading_words, crs_style: bool = DEFAULTS.crs_style) -> PreparedDoc:
    """Split a document into candidate sentences (boilerplate, headers and fragments removed).

    With ``heading_words > 0``, section headings of at least that many words that do not name
    a low-priority section become candidates too ("Reimbursement to health care providers ...").
    ``drop_references``: references to the bill's own parts are dropped
    (:func:`~tandem.specialists.legal.references.drop_internal_references`). ``drop_edits``: sentences that
    say how a text is edited (:func:`is_edit`) are dropped from the candidates (unless every one is such).
    """
    sections = split_sections(text)
    running = running_text(sections) if heading_words or crs_style else ""
    lower_case = frozenset(word for word in _TOKEN.findall(running) if word.islower()) if crs_style else frozenset()
    candidates: list[Candidate] = []
    index = 0
    cased = any(ch.isupper() for ch in text)  # a lower-cased dump's sentences all open in lower case
    for s_idx, section in enumerate(sections):
        in_section = 0
        heading = clean_heading(section.heading)
        if (heading_words and word_count(heading) >= heading_words
                and not LOW_PRIORITY_HEADINGS.search(heading) and not is_boilerplate(heading)):
            text_ = heading_sentence(heading, running) + "."
            text_ = crs_heading(text_) if crs_style else text_
            candidates.append(Candidate(text_, index, s_idx, 0, word_count(text_), heading=True))
        lead: str | None = None
        for sentence in split_sentences(section.text):
            index += 1
            if is_boilerplate(sentence) or (drop_headings and looks_like_heading(sentence)):
                continue
            if compress:
                sentence = compress_sentence(sentence)
            if drop_references:
                sentence = drop_internal_references(sentence)
            # lead-ins whose content follows in a list ("The Congress finds the following:",
            # "Section 5 of the Act is amended by adding at the end the following new paragraph:"; real bills
            # end most of them in a dash: "Section 5 of the Act is amended--", "The Secretary shall--")
            if sentence.endswith(("--", "\u2014")):
                # a dash lead-in's words, however long, open the list's first item (BillSum's cleaner glued them)
                lead = sentence.removesuffix("--").removesuffix("\u2014").rstrip() or None
                continue
            if sentence.endswith(":") and word_count(sentence) <= 30:
                lead = None
                continue
            if lead is None and cased and sentence[:1].islower():
                continue  # a later item of a list ("help families ...;"): a fragment without its lead-in
            sentence, lead = list_item(sentence, lead), None
            if crs_style:
                sentence = crs_numbers(crs_sentence(sentence, lower_case))
            words = word_count(sentence)
            if words < min_words:
                continue
            candidates.append(Candidate(sentence, index - 1, s_idx, in_section, words))
            in_section += 1
    if not candidates and min_words > 1 and index:
        # only short fragments: take them all rather than return nothing
        return prepare(text, min_words=1, max_candidates=max_candidates, compress=compress,
                       drop_references=drop_references, drop_headings=False, drop_edits=drop_edits,
                       heading_words=heading_words, crs_style=crs_style)
    if len(candidates) > max_candidates:
        # keep the opening sentences of every section rather than only the first sections;
        # sections that summaries rarely cover (findings, definitions, ...) give way first
        low = [bool(LOW_PRIORITY_HEADINGS.search(sections[c.section].heading)) for c in candidates]
        keep = sorted(range(len(candidates)), key=lambda i: (low[i], candidates[i].in_section, i))[:max_candidates]
        candidates = [candidates[i] for i in sorted(keep)]
    if drop_edits:
        # after the cap: an edit keeps its place among the first sentences of its section, so the pool shrinks rather
        # than reach for later sentences (development bills: 1.3448 against 1.3383 when later ones took their places)
        candidates = [c for c in candidates if not is_edit(c.text)] or candidates
    return PreparedDoc(sections, candidates, short_title(text), index, amends_line(text))


def lead_sentences(text: str) -> list[str]:
    """The document's sentences in order, as the lead baseline sees them (markers removed)."""
    out: list[str] = []
    for section in split_sections(text):
        if section.heading:
            out.append(section.heading + ".")
        out.extend(split_sentences(section.text))
    return out

