"""Segmentation of legal text: sections, sentences, boilerplate and the Act's short title.

Pure functions, no model. :func:`split_sections` cuts a document into :class:`Section` objects,
:func:`split_sentences` a section into sentences (robust to legal abbreviations),
:func:`is_boilerplate` flags enacting clauses, short-title sentences and tables of contents, and
:func:`short_title` reads the Act's name.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

# ---------------------------------------------------------------------------------------------
# sections
# ---------------------------------------------------------------------------------------------

BILLSUM_MARKER = "<SECTION-HEADER>"


@dataclass(frozen=True)
class Section:
    """A section of a document: its heading (``""`` when none) and its body text."""

    heading: str
    text: str


# "SECTION 1.", "SEC. 2.", "Sec. 3.", "Section 4A.", "§ 101." at a line start; "ARTICLE IV." ; "5." / "5.1" clauses
# "Section 322 of the Act ..." at the start of a wrapped line is running text, not a heading:
# SECTION/SEC./Sec./Section need the period after the number
_PLAIN_HEADING = re.compile(
    r"^[ \t]*(?:"
    r"(?:SECTION|SEC\.|Sec\.|Section)[ \t]+[0-9]+[A-Za-z]?(?:\.[0-9]+)*\.(?=\s)"
    r"|\u00a7{1,2}[ \t]*[0-9]+[A-Za-z]?(?:[.\-][0-9]+[A-Za-z]?)*\.?(?=[ \t]+[A-Z(\"'])"
    r"|(?:ARTICLE|Article)[ \t]+[0-9IVXLC]+[A-Za-z]?(?:\.[0-9]+)*\.?(?=[ \t]*(?:\n|[A-Z(\"']))"
    r"|[0-9]{1,3}(?:\.[0-9]{1,3})*\.(?=[ \t]+[A-Z(\"'])"
    r"|[0-9]{1,3}(?:\.[0-9]{1,3})+(?=[ \t]+[A-Z(\"'])"
    r")[ \t]*",
    re.MULTILINE,
)
#: the quote that opens a line of quoted amendment text, before its enumerator or section marker
_QUOTED_LINE = re.compile(r"^([ \t]*)\"(?=\(|(?:SEC\.|Sec\.|SECTION|Section)[ \t])", re.MULTILINE)
# all-caps section markers in running text ("... of 2010. SEC. 2. DEFINITIONS. In this Act ...")
_INLINE_HEADING = re.compile(r"(?<=[.;:\"'])\s+(?:SECTION|SEC\.)[ \t]+[0-9]+[A-Z]?\.[ \t]+(?=[A-Z])")
#: a table-of-sections item an amendment adds, quoted and closed on its own (```Sec. 45O. Contributions ...
#: level.''.``): a table entry repeating an inserted section's heading, neither a section nor a sentence; dropped. An
#: inserted section (```Sec. 1720F. Comprehensive program`` then ````(a) ...``) is not closed before the next opening quote.
_CLERICAL_ITEM = re.compile(r'^[ \t]*"(?:Sec\.|Section)[ \t]+[0-9]+[A-Za-z]*\.[^"]*?\S"[.;]?[ \t]*$', re.MULTILINE)
#: the heading of a whole section an amendment inserts (```SEC. 45O. CONTRIBUTIONS ...`` or ```Sec. 1720F. Comprehensive
#: program`` at the start of a line, wrapped onto lines indented 10 or more): the inserted text is not a section of the
#: bill; it stays in the section that inserts it, as in BillSum's preprocessed sources
_INSERTED_SECTION_HEADING = re.compile(r'^"(?:SEC\.|Sec\.|SECTION|Section)[ \t]+[0-9]+[A-Za-z]*(?:-[0-9]+[A-Za-z]*)?\.'
                                       r'[^\n]*(?:\n[ \t]{10,}(?!["(])\S[^\n]*)*', re.MULTILINE)
_WRAPPED_COMPOUND = re.compile(r"(?<=[A-Za-z0-9])-[ \t]*\n[ \t]*(?=[a-z0-9])")
#: the line that ends a bill's text on govinfo.gov
_END_OF_BILL = re.compile(r"^[ \t]*<all>[ \t]*$", re.MULTILINE)
_DELETED_OPEN, _DELETED_CLOSE = "<DELETED>", "</DELETED>"
#: a bill's enacting clause (or a joint resolution's resolving clause): what comes before it as printed on govinfo.gov
#: (``[Congressional Bills ...]``, ``110th CONGRESS 1st Session H. R. 1234``, sponsors, committee) is not the bill's text
_ENACTING_CLAUSE = re.compile(r"\b(?:Be\s+it\s+enacted|Resolved)\s+" + r"\s+".join(
    "by the Senate and House of Representatives of the United States of America in Congress assembled,".split()))
#: the clause ends the front matter only this early in a document (a later one is quoted text)
_FRONT_MATTER_CHARS = 6000
#: (an alternative inside a heading pattern) a heading's line wrapped onto one indented 10 or more
_WRAPPED_HEADING_LINE = r"|\n[ \t]{10,}(?=\S)"


def drop_struck_text(text: str) -> str:
    """A reported bill's struck text, as govinfo.gov's text marks it (``<DELETED>    (a) In General.--...
    </DELETED>``, line by line), dropped: it is not part of the bill as reported. Linear in the text's length."""
    if _DELETED_OPEN not in text and _DELETED_CLOSE not in text:
        return text
    pieces = text.split(_DELETED_CLOSE)
    kept = [piece[:opening] if (opening := piece.rfind(_DELETED_OPEN)) >= 0 else piece for piece in pieces[:-1]]
    return "".join(kept + [pieces[-1]]).replace(_DELETED_OPEN, "")


def _take_heading(body: str, *, strict: bool) -> tuple[str, str]:
    """Split a leading heading such as ``FINDINGS.`` or ``Definitions.`` off ``body``."""
    body = body.strip()
    # an upper-case heading may be wrapped over several lines ("SEC. 3. REIMBURSEMENT TO ...\n    CARE.")
    caps = re.match(r"([A-Z0-9][^.:a-z]{0,300}?)[.:](?:\s+|$)", body) if strict else None
    if caps and "\n\n" not in caps.group(1) and sum(ch.isalpha() for ch in caps.group(1)) >= 3:
        return " ".join(caps.group(1).split()).strip("\"'"), body[caps.end():].strip()
    # a title-case heading may wrap onto lines indented 10 or more (a table-of-contents entry hangs at 28)
    wrapped = _WRAPPED_HEADING_LINE if strict else ""
    match = re.match(rf"((?:[^.:\n]{wrapped}){{1,200}}?)[.:](?:\s+|$)", body)
    if not match:
        # a heading on a line of its own, without a period ("§ 101. Definitions\n   In this chapter ...")
        match = re.match(rf"((?:[^.:\n]{wrapped}){{1,120}})\n", body) if strict else None
    if not match:
        return "", body
    candidate = " ".join(match.group(1).split()).strip("\"'")
    words = candidate.split()
    if not words:
        return "", body
    letters = [ch for ch in candidate if ch.isalpha()]
    upper = bool(letters) and sum(ch.isupper() for ch in letters) / len(letters) > 0.8
    most_words = 40 if "\n" in match.group(1) else 6 if strict else 8  # a wrapped heading is a heading
    short_title_case = len(words) <= most_words and words[0][:1].isupper() and not re.search(
        r"\b(?:shall|is|are|was|were|may|means|has|have|will)\b", candidate)
    if upper or short_title_case:
        return candidate, body[match.end():].strip()
    return "", body


def split_sections(text: str) -> list[Section]:
    """Cut a document into sections.

    BillSum sources mark sections with ``<SECTION-HEADER>``; plain bills and contracts use
    ``SECTION 1.`` / ``SEC. 2.`` / ``Sec. 3.`` / ``ARTICLE IV.`` or numbered clauses (``4.``,
    ``4.1``) at the start of a line. A bill's front matter as govinfo.gov prints it, up to its enacting
    clause, is dropped (BillSum's texts start after it), and so is a reported bill's struck text
    (:func:`drop_struck_text`). The text before the first heading (a preamble)
    is a section with an empty heading. A document without headings is one section.
    """
    text = drop_struck_text(_END_OF_BILL.sub("", text.replace("\r\n", "\n").replace("\r", "\n")))
    clause = _ENACTING_CLAUSE.search(text, 0, _FRONT_MATTER_CHARS)
    if clause:
        text = text[clause.end():]
    if BILLSUM_MARKER in text:
        parts = text.split(BILLSUM_MARKER)
        sections = [Section("", parts[0].strip())] if parts[0].strip() else []
        for part in parts[1:]:
            heading, body = _take_heading(part, strict=False)
            if heading or body:
                sections.append(Section(heading, body))
        return sections
    # the official BillSum layout's TeX quotes; a quote inside a quote opens with one backquote (``the term `X' '')
    text = text.replace("``", '"').replace("''", '"').replace("`", "'")
    # a compound wrapped at its own hyphen ("the 60-\n    day period"): printed bills break lines only there
    text = _WRAPPED_COMPOUND.sub("-", text)
    text = _CLERICAL_ITEM.sub("", text)
    text = _INSERTED_SECTION_HEADING.sub("", text)
    # quoted amendment text opens each of its lines with a quote: ``(a) In General.--...``, ``SEC. 1899B. ...``
    text = _QUOTED_LINE.sub(r"\1", text)
    text = _INLINE_HEADING.sub(lambda m: "\n" + m.group(0).strip() + " ", text)
    starts = list(_PLAIN_HEADING.finditer(text))
    if not starts:
        return [Section("", text.strip())] if text.strip() else []
    sections = []
    preamble = text[: starts[0].start()].strip()
    if preamble:
        sections.append(Section("", preamble))
    in_toc = False
    for i, match in enumerate(starts):
        end = starts[i + 1].start() if i + 1 < len(starts) else len(text)
        heading, body = _take_heading(text[match.end():end], strict=True)
        if in_toc and not body:
            continue  # an entry of the table of contents ("Sec. 3. Grants.")
        in_toc = bool(re.search(r"table of contents", heading, re.IGNORECASE)) and not body
        if heading or body:
            sections.append(Section(heading, body))
    return sections


# ---------------------------------------------------------------------------------------------
# sentences
# ---------------------------------------------------------------------------------------------

#: tokens ending in a period that never end a sentence (compared in lower case, without the period)
ABBREVIATIONS = frozenset("""
    u.s.c u.s.c.a usc u.s u.k e.g i.e etc.al al cf viz sec secs art arts para paras subpara subparas
    cl cls ch chs pt pts no nos stat pub l div tit subch subsec subsecs reg regs fed supp app ann
    mr mrs ms dr prof hon rep reps sen sens gov jr sr st inc corp co ltd llc l.l.c p.c n.a
    jan feb mar apr jun jul aug sep sept oct nov dec approx dept assn admin govt ct cir
    v vs p pp id ibid op h.r h.res s.res h.j.res s.j.res h.con.res s.con.res c.f.r cfr f.r
""".split())
#: abbreviations that end a sentence unless a number or a lower-case word follows ("et seq.")
_SOFT_ABBREVIATIONS = frozenset({"seq", "seqq", "etc"})

_BOUNDARY_BEFORE = r"([.!?])([\"')\]]*)(\s+)(?=[\"'(\[]*{})"
_BOUNDARY = re.compile(_BOUNDARY_BEFORE.format("[A-Z0-9]"))
#: the same in text without a single capital letter (lower-cased dumps): any word may open a sentence
_LOWER_CASE_BOUNDARY = re.compile(_BOUNDARY_BEFORE.format("[a-z0-9]"))
_ENUMERATOR = re.compile(r"^(?:\((?:[a-z]{1,4}|[0-9]{1,3}|[A-Z]{1,3})\)\s*)+")
#: an inline paragraph heading as printed in bills: "In general.--The Secretary shall ..."
_INLINE_PARAGRAPH_HEADING = re.compile(r"^[A-Z][^.]{0,100}\.(?:--|\u2014|\u2013)\s*")
_WORD = re.compile(r"\S+")
_CLOSING_QUOTE = re.compile(r"([.;:])[\"']+[.;]?$")
#: a blank line, or a line that opens with an item enumerator ("(a) ", "(1) ") after a line that
#: could end an item (".", ":", ";", ",", "--", "and", "or"); a hard-wrapped line that merely
#: starts with "(B)." inside a sentence ("... as subparagraph\n(B).") is not a break
_BLOCK_BREAK = re.compile(
    r"\n\s*\n"
    r"|(?:(?<=[.:;,])|(?<=--)|(?<=\band)|(?<=\bor))[ \t]*\n(?=[ \t]*(?:\((?:[a-z]{1,4}|[0-9]{1,3}|[A-Z]{1,3})\))+[ \t]+[^\s.,;)])"
)

#: an item of a formula that continues the sentence (``the excess of (1) the amount ..., over`` then ``(2) the
#: sum ...``): its enumerator is dropped and the sentence reads on
_FORMULA_ITEM = re.compile(r"\b(over|plus|minus|less|than)([ \t]*\n[ \t]*)(?:\((?:[a-z]{1,4}|[0-9]{1,3}|[A-Z]{1,3})\))+"
                           r"[ \t]+(?=[a-z])")


def _is_abbreviation(before: str, after: str) -> bool:
    token = before.split()[-1] if before.split() else ""
    token = token.lstrip("(\"'[").lower()
    if not token:
        return False
    stem = token.rstrip(".")
    if stem in ABBREVIATIONS:
        return True
    if stem in _SOFT_ABBREVIATIONS:
        return bool(after[:1].isdigit())
    # single initials ("John F. Kennedy") and dotted acronyms ("U.S.", "D.C.")
    if re.fullmatch(r"[a-z]", stem):
        return True
    if re.fullmatch(r"(?:[a-z]\.)+[a-z]", stem):
        return True
    return False


def split_sentences(text: str) -> list[str]:
    """Split ``text`` into sentences, robust to legal abbreviations.

    A sentence ends at ``.``, ``!`` or ``?`` (plus closing quotes or brackets) followed by
    white space and an upper-case letter, a digit or an opening bracket (any letter in a block with
    no capital letter at all: lower-cased text), unless the word before is an abbreviation
    (``U.S.C.``, ``Sec.``, ``No.``, initials). Blank lines and lines that start with an enumerator
    (``(a)``, ``(1)``) also end a sentence, except the items of a formula after ``over`` / ``plus`` / ``minus``
    / ``less`` / ``than``, which read on. Leading enumerators are dropped and white space is collapsed.
    """
    text = _FORMULA_ITEM.sub(r"\1\2", text.replace("\r\n", "\n").replace("\r", "\n"))
    blocks = _BLOCK_BREAK.split(text)
    sentences: list[str] = []
    for block in blocks:
        block = " ".join(block.split())
        if not block:
            continue
        start = 0
        boundary = _BOUNDARY if any(ch.isupper() for ch in block) else _LOWER_CASE_BOUNDARY
        for match in boundary.finditer(block):
            end = match.end(2)
            if _is_abbreviation(block[start:match.start(1) + 1], block[match.end():]):
                continue
            sentences.append(block[start:end])
            start = match.end()
        sentences.append(block[start:])
    cleaned = []
    for sentence in sentences:
        sentence = _ENUMERATOR.sub("", sentence.strip()).strip()
        sentence = _INLINE_PARAGRAPH_HEADING.sub("", sentence).strip()
        sentence = _CLOSING_QUOTE.sub(r"\1", sentence)  # the end of quoted amendment text: 'years.".' -> 'years.'
        if sentence and any(ch.isalnum() for ch in sentence):
            cleaned.append(sentence)
    return cleaned


def word_count(text: str) -> int:
    return len(_WORD.findall(text))


# ---------------------------------------------------------------------------------------------
# boilerplate
# ---------------------------------------------------------------------------------------------

_BOILERPLATE = [
    re.compile(p, re.IGNORECASE)
    for p in (
        r"^be it enacted by the senate and house of representatives",
        r"^(?:a bill|an act|joint resolution)\b.{0,400}\bbe it enacted\b",
        r"\b(?:act|title|subtitle|part|division|chapter|resolution|agreement)\s+may\s+be\s+(?:cited|referred\s+to)\s+as\b",
        # a table of contents, or a clerical amendment ("The table of sections for chapter 17 of such title is amended")
        r"^(?:the\s+)?table\s+of\s+(?:contents|sections|chapters|subchapters|parts|subparts|subtitles)\b",
        r"^(?:the\s+items?\s+relating\s+to\b[^.]{0,200}\bin|[^.]{0,200}\bis\s+amended\s+in)\s+the\s+table\s+of"
        r"\s+(?:sections|chapters|contents)\b",
        r"^(?:short\s+title|table\s+of\s+contents|short\s+title;?\s*table\s+of\s+contents"
        r"|short\s+title,?\s*etc|contents)\.?$",
        # a run of TOC entries; the heading starts after the spaces (``\s*[^.]{0,120}`` could split them in
        # many ways: exponential backtracking on "sec 1.          a. " repeated)
        r"^(?:sec(?:tion|\.)?\s*[0-9]+[a-z]?\.\s*(?:[^.\s][^.]{0,119})?\.\s*){2,}$",
        r"^sec(?:tion|\.)\s*[0-9]+[a-z]?\.\s*[A-Z][^.]{0,120}\.?$",      # one TOC entry
        r"^in\s+witness\s+whereof\b",
        r"^\[?signature",
        # an engrossed or enrolled bill's attestation: "Passed the House of Representatives November 30, 2016.",
        # "Attest:", the clerk's name and office, the presiding officers' lines
        r"^passed\s+(?:the\s+)?(?:house\s+of\s+representatives|senate)\s+(?:january|february|march|april|may|june"
        r"|july|august|september|october|november|december)\s+[0-9]{1,2}\b",
        r"^attest:?$",
        r"^(?:clerk|secretary|deputy\s+clerk)\.?$",
        r"^(?:speaker\s+of\s+the\s+house\s+of\s+representatives|vice\s+president\s+of\s+the\s+united\s+states"
        r"\s+and\s+president\s+of\s+the\s+senate)\.?$",
    )
]


def is_boilerplate(sentence: str) -> bool:
    """Enacting clauses, short-title sentences, tables of contents, bare headers."""
    s = sentence.strip().strip("\"'")
    if not s:
        return True
    return any(p.search(s) for p in _BOILERPLATE)


def remove_boilerplate(sentences: Sequence[str]) -> list[str]:
    return [s for s in sentences if not is_boilerplate(s)]


_QUOTED = r"[\"'`\u201c]+([^\"'\u201d]{3,200}?)[\"'\u201d]+"
_CITED_AS = re.compile(
    rf"\b(?:act|title)\s+may\s+be\s+(?:cited|referred\s+to)\s+as\s+(?:the\s+)?{_QUOTED}"
    rf"(?:\s+or\s+(?:the\s+)?{_QUOTED})?",
    re.IGNORECASE,
)


def short_title(text: str) -> str | None:
    """The Act's short title from ``This Act may be cited as the "..."`` (``... or the "..."`` kept), or None;
    a reported bill's struck text is not read."""
    match = _CITED_AS.search(drop_struck_text(text)[:5000])
    if match is None:
        return None
    title = " ".join(match.group(1).split()).strip(" .,;")
    if match.group(2):
        title += " or the " + " ".join(match.group(2).split()).strip(" .,;")
    return title or None

