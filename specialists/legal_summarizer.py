"""Extractive summaries of legal text: ``summarize.legal`` and the lead baseline ``summarize.lead``.

The pipeline, each step a pure function that can be tested without a model:

1. :func:`split_sections` cuts a bill or contract into sections, from BillSum's
   ``<SECTION-HEADER>`` markers or from ``SECTION 1.`` / ``Sec. 2.`` / ``3.`` headings
   (table-of-contents entries are skipped).
2. :func:`split_sentences` splits a section into sentences without breaking on legal
   abbreviations (``U.S.C.``, ``Sec.``, ``et seq.``, ``No.``) and drops enumerators like ``(a)``
   and inline paragraph headings (``In general.--``).
3. :func:`prepare` removes boilerplate (:func:`is_boilerplate`: enacting clauses, ``This Act
   may be cited as`` sentences, tables of contents, bare headers), drops citation
   parentheticals (:func:`compress_sentence`) and keeps the Act's name (:func:`short_title`),
   which opens the summary as in CRS summaries ("Farm to School Improvements Act of 2010 - ...").
   Descriptive section headings are candidates too.
4. :func:`score_sentences` combines MiniLM similarity to the document centroid, the section
   centroid, the section heading and the short title with a position prior and penalties for
   sections that are rarely summarized (findings, definitions, ...) and for mechanical edits
   ("by striking ... and inserting ...").
5. :func:`mmr_select` picks sentences by maximal marginal relevance within the word budget;
   the output keeps the original order, one sentence per line.

:class:`LegalSummarizerStage` encodes every candidate of every document of a batch in one
encoder call (sentences cut to ``encode_words`` words). :class:`LeadSummarizerStage` is the lead
baseline (:func:`lead_summary`) at the same word budget.

Weights and defaults were tuned on BillSum test bills 0-99 and checked on bills 100-199
(``../shared/datasets/billsum/billsum_test_200.jsonl``). ``max_candidates=20`` and
``encode_words=12`` trade 2 % of ROUGE-Lsum for twice the speed (encoding dominates the cost: MiniLM
embeds about 60 short sentences per second on 2 cores): on those 200 bills, 1.18 x the lead
baseline at 4.4 bills/s, against 1.20 x at 2.0 bills/s with 30 candidates of 24 words.
"""

from __future__ import annotations

import re
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, Protocol

import numpy as np
from pydantic import Field, field_validator

from stages.base import BatchResult, Stage
from stages.contracts import DocState, Summary, Usage
from stages.options import StageOptions


class Encoder(Protocol):
    """What the summarizer needs from a sentence encoder (``specialists.encoder.SentenceEncoder``)."""

    def encode(self, texts: Sequence[str]) -> np.ndarray: ...


#: default word budget; BillSum reference summaries have a median of ~140 words, a mean of ~165
DEFAULT_MAX_WORDS = 150

# ---------------------------------------------------------------------------------------------
# sections
# ---------------------------------------------------------------------------------------------

BILLSUM_MARKER = "<SECTION-HEADER>"


@dataclass(frozen=True)
class Section:
    """A section of a document: its heading (``""`` when none) and its body text."""

    heading: str
    text: str


# "SECTION 1.", "SEC. 2.", "Sec. 3.", "Section 4A." at a line start; "ARTICLE IV." ; "5." / "5.1" clauses
_PLAIN_HEADING = re.compile(
    r"^[ \t]*(?:"
    r"(?:SECTION|SEC\.|Sec\.|Section|ARTICLE|Article)[ \t]+[0-9IVXLC]+[A-Za-z]?(?:\.[0-9]+)*\.?"
    r"|[0-9]{1,3}(?:\.[0-9]{1,3})*\.(?=[ \t]+[A-Z(\"'])"
    r"|[0-9]{1,3}(?:\.[0-9]{1,3})+(?=[ \t]+[A-Z(\"'])"
    r")[ \t]*",
    re.MULTILINE,
)
# all-caps section markers in running text ("... of 2010. SEC. 2. DEFINITIONS. In this Act ...")
_INLINE_HEADING = re.compile(r"(?<=[.;:\"'])\s+(?:SECTION|SEC\.)[ \t]+[0-9]+[A-Z]?\.[ \t]+(?=[A-Z])")


def _take_heading(body: str, *, strict: bool) -> tuple[str, str]:
    """Split a leading heading such as ``FINDINGS.`` or ``Definitions.`` off ``body``."""
    body = body.strip()
    match = re.match(r"([^.:\n]{1,200}?)[.:](?:\s+|$)", body)
    if not match:
        return "", body
    candidate = match.group(1).strip().strip("\"'")
    words = candidate.split()
    if not words:
        return "", body
    letters = [ch for ch in candidate if ch.isalpha()]
    upper = bool(letters) and sum(ch.isupper() for ch in letters) / len(letters) > 0.8
    short_title_case = len(words) <= (8 if not strict else 6) and words[0][:1].isupper() and not re.search(
        r"\b(?:shall|is|are|was|were|may|means|has|have|will)\b", candidate)
    if upper or short_title_case:
        return candidate, body[match.end():].strip()
    return "", body


def split_sections(text: str) -> list[Section]:
    """Cut a document into sections.

    BillSum sources mark sections with ``<SECTION-HEADER>``; plain bills and contracts use
    ``SECTION 1.`` / ``SEC. 2.`` / ``Sec. 3.`` / ``ARTICLE IV.`` or numbered clauses (``4.``,
    ``4.1``) at the start of a line. The text before the first heading (a preamble, an enacting
    clause) is a section with an empty heading. A document without headings is one section.
    """
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if BILLSUM_MARKER in text:
        parts = text.split(BILLSUM_MARKER)
        sections = [Section("", parts[0].strip())] if parts[0].strip() else []
        for part in parts[1:]:
            heading, body = _take_heading(part, strict=False)
            if heading or body:
                sections.append(Section(heading, body))
        return sections
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

_BOUNDARY = re.compile(r"([.!?])([\"')\]]*)(\s+)(?=[\"'(\[]*[A-Z0-9])")
_ENUMERATOR = re.compile(r"^(?:\((?:[a-z]{1,4}|[0-9]{1,3}|[A-Z]{1,3})\)\s*)+")
#: an inline paragraph heading as printed in bills: "In general.--The Secretary shall ..."
_INLINE_PARAGRAPH_HEADING = re.compile(r"^[A-Z][^.]{0,100}\.(?:--|\u2014|\u2013)\s*")
_WORD = re.compile(r"\S+")


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
    white space and an upper-case letter, a digit or an opening bracket, unless the word before
    is an abbreviation (``U.S.C.``, ``Sec.``, ``No.``, initials). Blank lines and lines that
    start with an enumerator (``(a)``, ``(1)``) also end a sentence. Leading enumerators are
    dropped and white space is collapsed.
    """
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    blocks = re.split(r"\n\s*\n|\n(?=[ \t]*\((?:[a-z]{1,4}|[0-9]{1,3}|[A-Z]{1,3})\))", text)
    sentences: list[str] = []
    for block in blocks:
        block = " ".join(block.split())
        if not block:
            continue
        start = 0
        for match in _BOUNDARY.finditer(block):
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
        r"\b(?:act|title|subtitle|part|division|chapter|resolution|agreement)\s+may\s+be\s+cited\s+as\b",
        r"^(?:the\s+)?table\s+of\s+contents\b",
        r"^(?:short\s+title|table\s+of\s+contents|short\s+title;?\s*table\s+of\s+contents"
        r"|short\s+title,?\s*etc|contents)\.?$",
        r"^(?:sec(?:tion|\.)?\s*[0-9]+[a-z]?\.\s*[^.]{0,120}\.\s*){2,}$",  # a run of TOC entries
        r"^sec(?:tion|\.)\s*[0-9]+[a-z]?\.\s*[A-Z][^.]{0,120}\.?$",      # one TOC entry
        r"^in\s+witness\s+whereof\b",
        r"^\[?signature",
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


_CITED_AS = re.compile(
    r"\b(?:act|title)\s+may\s+be\s+cited\s+as\s+(?:the\s+)?[\"'`\u201c]+([^\"'\u201d]{3,200}?)[\"'\u201d]+",
    re.IGNORECASE,
)


def short_title(text: str) -> str | None:
    """The Act's short title from ``This Act may be cited as the "..."``, or None."""
    match = _CITED_AS.search(text[:5000])
    return " ".join(match.group(1).split()).strip(" .,;") or None if match else None


# ---------------------------------------------------------------------------------------------
# document preparation
# ---------------------------------------------------------------------------------------------

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


def compress_sentence(sentence: str) -> str:
    """Drop citation parentheticals (``(42 U.S.C. 1395dd(e)(1))``, ``(Public Law 104-193)``)."""
    out = sentence
    for start, end in reversed(_top_level_parens(sentence)):
        if _CITATION_WORDS.search(sentence[start:end]):
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


def _clean_heading(heading: str) -> str:
    return " ".join(heading.split()).strip(" .:")


def prepare(text: str, *, min_words: int = 6, max_candidates: int = 20, compress: bool = True,
            drop_headings: bool = True, heading_words: int = 3) -> PreparedDoc:
    """Split a document into candidate sentences (boilerplate, headers and fragments removed).

    With ``heading_words > 0``, section headings of at least that many words that do not name
    a low-priority section become candidates too ("Reimbursement to health care providers ...").
    """
    sections = split_sections(text)
    candidates: list[Candidate] = []
    index = 0
    for s_idx, section in enumerate(sections):
        in_section = 0
        heading = _clean_heading(section.heading)
        if (heading_words and word_count(heading) >= heading_words
                and not LOW_PRIORITY_HEADINGS.search(heading) and not is_boilerplate(heading)):
            text_ = heading.capitalize() if heading.isupper() else heading
            candidates.append(Candidate(text_ + ".", index, s_idx, 0, word_count(heading), heading=True))
        for sentence in split_sentences(section.text):
            index += 1
            if is_boilerplate(sentence) or (drop_headings and looks_like_heading(sentence)):
                continue
            if compress:
                sentence = compress_sentence(sentence)
            words = word_count(sentence)
            if words < min_words:
                continue
            # lead-ins whose content follows in a list ("The Congress finds the following:")
            if sentence.endswith(":") and words <= 12:
                continue
            candidates.append(Candidate(sentence, index - 1, s_idx, in_section, words))
            in_section += 1
    if not candidates and min_words > 1 and index:
        # only short fragments: take them all rather than return nothing
        return prepare(text, min_words=1, max_candidates=max_candidates, compress=compress,
                       drop_headings=False, heading_words=heading_words)
    if len(candidates) > max_candidates:
        # keep the opening sentences of every section rather than only the first sections;
        # sections that summaries rarely cover (findings, definitions, ...) give way first
        low = [bool(LOW_PRIORITY_HEADINGS.search(sections[c.section].heading)) for c in candidates]
        keep = sorted(range(len(candidates)), key=lambda i: (low[i], candidates[i].in_section, i))[:max_candidates]
        candidates = [candidates[i] for i in sorted(keep)]
    return PreparedDoc(sections, candidates, short_title(text), index)


def lead_sentences(text: str) -> list[str]:
    """The document's sentences in order, as the lead baseline sees them (markers removed)."""
    out: list[str] = []
    for section in split_sections(text):
        if section.heading:
            out.append(section.heading + ".")
        out.extend(split_sentences(section.text))
    return out


# ---------------------------------------------------------------------------------------------
# scoring, selection, budget
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ScoreWeights:
    """Weights of :func:`score_sentences` (tuned on BillSum bills 0-99, checked on 100-199)."""

    doc: float = 1.0              # similarity to the document centroid
    section: float = 0.5          # similarity to the section centroid
    heading: float = 0.3          # similarity to the section heading
    title: float = 0.4            # similarity to the Act's short title
    position: float = 0.3         # earlier sentences first ...
    position_decay: float = 10.0  # ... halving every this many candidates
    first_in_section: float = 0.1  # the opening sentence of a section
    length: float = 0.0           # min(1, words / 20): favours longer sentences when positive
    low_priority: float = 0.8     # penalty: findings, purposes, definitions, effective dates, ...
    edit: float = 0.4             # penalty: mechanical amendments ("by striking ... and inserting ...")
    heading_candidate: float = 0.2  # bonus for a section heading used as a candidate


_EDIT_INSTRUCTION = re.compile(r"\b(?:by\s+)?(?:striking|inserting|redesignating)\b", re.IGNORECASE)


def _unit(v: np.ndarray) -> np.ndarray:
    norm = float(np.linalg.norm(v))
    return v / norm if norm > 0 else v


def score_sentences(
    doc: PreparedDoc,
    embeddings: np.ndarray,
    heading_embeddings: dict[int, np.ndarray] | None = None,
    title_embedding: np.ndarray | None = None,
    weights: ScoreWeights = ScoreWeights(),
) -> np.ndarray:
    """One score per candidate of ``doc``; ``embeddings`` are its unit-norm sentence embeddings."""
    n = len(doc.candidates)
    if n == 0:
        return np.zeros(0, dtype=np.float32)
    words = np.array([c.words for c in doc.candidates], dtype=np.float32)
    centroid = _unit((embeddings * np.sqrt(words)[:, None]).sum(0))
    score = weights.doc * (embeddings @ centroid)
    sections = np.array([c.section for c in doc.candidates])
    for s in np.unique(sections):
        mask = sections == s
        sec_centroid = _unit(embeddings[mask].sum(0))
        score[mask] += weights.section * (embeddings[mask] @ sec_centroid)
        if heading_embeddings and int(s) in heading_embeddings:
            score[mask] += weights.heading * (embeddings[mask] @ heading_embeddings[int(s)])
    if title_embedding is not None:
        score += weights.title * (embeddings @ title_embedding)
    rank = np.arange(n, dtype=np.float32)
    score += weights.position * np.power(0.5, rank / max(weights.position_decay, 1e-6))
    first = np.array([c.in_section == 0 for c in doc.candidates], dtype=np.float32)
    score += weights.first_in_section * first
    score += weights.length * np.minimum(1.0, words / 20.0)
    low = np.array([bool(LOW_PRIORITY_HEADINGS.search(doc.sections[c.section].heading))
                    for c in doc.candidates], dtype=np.float32)
    score -= weights.low_priority * low
    if weights.heading_candidate:
        score += weights.heading_candidate * np.array([c.heading for c in doc.candidates], dtype=np.float32)
    if weights.edit:
        edits = np.array([bool(_EDIT_INSTRUCTION.search(c.text)) for c in doc.candidates], dtype=np.float32)
        score -= weights.edit * edits
    return score.astype(np.float32)


def mmr_select(
    scores: np.ndarray,
    embeddings: np.ndarray,
    words: Sequence[int],
    max_words: int,
    *,
    diversity: float = 0.3,
    max_redundancy: float = 0.92,
    strict: bool = False,
) -> list[int]:
    """Greedy maximal marginal relevance within a word budget.

    Each step picks the candidate maximising ``(1 - diversity) * score - diversity * max_sim``
    (``max_sim``: its highest cosine similarity to what is already selected). Candidates more
    similar than ``max_redundancy`` to a selected one are never taken. The last pick may
    overflow the budget (the caller cuts it), unless ``strict``: then candidates longer than
    the words left are skipped. Returns indices in selection order.
    """
    n = len(scores)
    selected: list[int] = []
    if n == 0 or max_words <= 0:
        return selected
    available = np.ones(n, dtype=bool)
    max_sim = np.full(n, -1.0, dtype=np.float32)
    used = 0
    while used < max_words and available.any():
        redundancy = np.where(max_sim < 0, 0.0, max_sim)
        value = (1.0 - diversity) * scores - diversity * redundancy
        value = np.where(available, value, -np.inf)
        best = int(np.argmax(value))
        available[best] = False
        if max_sim[best] > max_redundancy or (strict and used + int(words[best]) > max_words):
            continue
        selected.append(best)
        used += int(words[best])
        max_sim = np.maximum(max_sim, embeddings @ embeddings[best])
    return selected


def fit_budget(sentences: Sequence[str], max_words: int, *, truncate: bool = True) -> list[str]:
    """Keep sentences in order while they fit ``max_words``; with ``truncate`` the first sentence
    that does not fit is cut to the words left (so the output has exactly
    ``min(max_words, total)`` words). Without it, sentences that do not fit are skipped."""
    out: list[str] = []
    left = max_words
    for sentence in sentences:
        if left <= 0:
            break
        tokens = sentence.split()
        if len(tokens) <= left:
            out.append(" ".join(tokens))
            left -= len(tokens)
        elif truncate:
            out.append(" ".join(tokens[:left]))
            left = 0
    return out


def lead_summary(text: str, max_words: int = DEFAULT_MAX_WORDS) -> str:
    """The lead baseline: the first sentences of ``text`` up to ``max_words`` words."""
    return "\n".join(fit_budget(lead_sentences(text), max_words))


@dataclass(frozen=True)
class SummarizerConfig:
    max_words: int = DEFAULT_MAX_WORDS
    weights: ScoreWeights = ScoreWeights()
    diversity: float = 0.3        # MMR trade-off between score and redundancy
    include_title: bool = True    # open with the Act's short title
    truncate: bool = False        # cut the sentence that overflows the budget instead of skipping it
    min_words: int = 6            # shorter sentences are not candidates
    max_candidates: int = 20      # per document: the first ones of every section
    encode_words: int = 12        # sentences are cut to this many words before the encoder
    compress: bool = True         # drop citation parentheticals
    drop_headings: bool = True    # drop title-case fragments ("Eligible Entity.")
    heading_words: int = 3        # section headings of at least this many words are candidates


def _prepare(text: str, cfg: SummarizerConfig) -> PreparedDoc:
    return prepare(text, min_words=cfg.min_words, max_candidates=cfg.max_candidates, compress=cfg.compress,
                   drop_headings=cfg.drop_headings, heading_words=cfg.heading_words)


def _encode_text(text: str, limit: int) -> str:
    tokens = text.split()
    return " ".join(tokens[:limit]) if len(tokens) > limit else text


@dataclass
class _Encoded:
    sentences: np.ndarray
    headings: dict[int, np.ndarray]
    title: np.ndarray | None


def encode_documents(docs: Sequence[PreparedDoc], encoder: Encoder, encode_words: int = 12) -> list[_Encoded]:
    """Embed all candidates, headings and titles of all ``docs`` in one encoder call."""
    texts: list[str] = []
    plan: list[tuple[tuple[int, int], dict[int, int], int | None]] = []
    for doc in docs:
        start = len(texts)
        texts.extend(_encode_text(c.text, encode_words) for c in doc.candidates)
        span = (start, len(texts))
        heading_idx: dict[int, int] = {}
        used_sections = {c.section for c in doc.candidates}
        for s in sorted(used_sections):
            heading = _clean_heading(doc.sections[s].heading)
            if heading:
                heading_idx[s] = len(texts)
                texts.append(heading.capitalize() if heading.isupper() else heading)
        title_idx = None
        if doc.title:
            title_idx = len(texts)
            texts.append(doc.title)
        plan.append((span, heading_idx, title_idx))
    vectors = encoder.encode(texts) if texts else np.zeros((0, 1), dtype=np.float32)
    out = []
    for (a, b), heading_idx, title_idx in plan:
        out.append(_Encoded(
            sentences=vectors[a:b],
            headings={s: vectors[i] for s, i in heading_idx.items()},
            title=vectors[title_idx] if title_idx is not None else None,
        ))
    return out


def summarize_prepared(doc: PreparedDoc, encoded: _Encoded, config: SummarizerConfig) -> str:
    """Score, select and fit one prepared document; sentences in original order, one per line."""
    budget = config.max_words
    lines: list[str] = []
    if config.include_title and doc.title and 2 * word_count(doc.title) <= budget:
        lines.append(doc.title)
        budget -= word_count(doc.title)
    if doc.candidates and budget > 0:
        scores = score_sentences(doc, encoded.sentences, encoded.headings, encoded.title, config.weights)
        words = [c.words for c in doc.candidates]
        picked = mmr_select(scores, encoded.sentences, words, budget, diversity=config.diversity,
                            strict=not config.truncate)
        chosen: list[tuple[int, str]] = []
        left = budget
        for i in picked:
            if words[i] <= left:
                chosen.append((i, doc.candidates[i].text))
                left -= words[i]
            elif config.truncate and left > 0:
                # the pick that overflows is cut to the words left, then selection stops
                chosen.append((i, " ".join(doc.candidates[i].text.split()[:left])))
                left = 0
            if left <= 0:
                break
        lines.extend(text for _, text in sorted(chosen))
    return "\n".join(lines)


def summarize_legal(texts: list[str], max_words: int = DEFAULT_MAX_WORDS, *,
                    encoder: Encoder | None = None, **config: Any) -> list[str]:
    """Extractive summaries of ``texts`` (one batched encoder call), each at most ``max_words`` words."""
    cfg = SummarizerConfig(max_words=max_words, **config)
    if encoder is None:
        from specialists.encoder import shared_encoder

        encoder = shared_encoder(False)
    docs = [_prepare(t, cfg) for t in texts]
    encoded = encode_documents(docs, encoder, cfg.encode_words)
    return [summarize_prepared(d, e, cfg) for d, e in zip(docs, encoded, strict=True)]


# ---------------------------------------------------------------------------------------------
# stages
# ---------------------------------------------------------------------------------------------


class LeadOptions(StageOptions):
    max_words: int = Field(DEFAULT_MAX_WORDS, description="summary length budget in words")

    @field_validator("max_words")
    @classmethod
    def _positive(cls, value: int) -> int:
        if value <= 0:
            raise ValueError(f"max_words must be positive, got {value}")
        return value


class LegalOptions(LeadOptions):
    diversity: float = Field(0.3, ge=0.0, le=1.0, description="MMR trade-off between score and redundancy")
    include_title: bool = Field(True, description="open with the Act's short title")
    truncate: bool = Field(False, description="cut the sentence that overflows the budget instead of skipping it")
    min_words: int = Field(6, ge=1, description="shorter sentences are not candidates")
    max_candidates: int = Field(20, ge=1, description="candidate sentences per document: the first of every section")
    encode_words: int = Field(12, ge=1, description="sentences are cut to this many words before the encoder")
    compress: bool = Field(True, description="drop citation parentheticals")
    drop_headings: bool = Field(True, description="drop title-case fragments (\"Eligible Entity.\")")
    heading_words: int = Field(3, ge=1, description="section headings of at least this many words are candidates")
    quantize: bool = Field(False, description="int8 encoder (embeddings then depend on batch mates)")


class LegalSummarizerStage(Stage[Summary]):
    """``summarize.legal``: section-aware extractive summary of a bill or contract.

    Reads a text field (default ``text``), writes ``legal_summary`` (:class:`Summary`,
    ``method="extractive"``, ``chunks`` = number of sections): the Act's short title, then the
    selected sentences in document order, one per line, at most ``max_words`` words in all.
    Options: :class:`LegalOptions` (every field of :class:`SummarizerConfig` but ``weights``, and
    ``quantize``), all part of the result key.

    ``quantize`` defaults to false: dynamic int8 quantization scales activations per batch
    tensor, so a sentence's embedding (and the summary) would depend on which other documents
    share its batch; and on AVX2-only CPUs it is no faster than float32.

    Construction is cheap; :meth:`load` reads MiniLM. All candidate sentences of a batch go
    through one encoder call. An empty document is a ``StageFailure(kind="empty")``.
    """

    name: ClassVar[str] = "summarize.legal"
    version: ClassVar[str] = "1"
    output_type = Summary
    default_input = "text"
    default_output = "legal_summary"
    Options: ClassVar[type[StageOptions]] = LegalOptions
    options: LegalOptions

    def __init__(self, input: str | None = None, output: str | None = None, **options: Any) -> None:
        super().__init__(input=input, output=output, **options)
        self.quantize = self.options.quantize
        self.config_ = SummarizerConfig(**self.options.model_dump(exclude={"quantize"}))
        self.encoder: Encoder | None = None

    def model_id(self) -> str:
        from specialists.encoder import MINILM_ID

        return f"{MINILM_ID}{'+int8' if self.quantize else ''}"

    def _load(self) -> None:
        from specialists.encoder import shared_encoder

        encoder = shared_encoder(self.quantize)
        encoder.load()
        self.encoder = encoder

    def run(self, batch: Sequence[DocState]) -> BatchResult[Summary]:
        self.load()
        result: BatchResult[Summary] = BatchResult()
        cfg = self.config_
        keys: list[str] = []
        docs: list[PreparedDoc] = []
        for key, text in self.input_texts(batch, result, "the document has no text"):
            try:
                docs.append(_prepare(text, cfg))
            except Exception as exc:  # a bad document never raises past the stage
                result.add_failure(key, self.failure("model_error", f"{type(exc).__name__}: {exc}"))
                continue
            keys.append(key)
        if not docs:
            return result
        assert self.encoder is not None
        start = time.perf_counter()
        try:
            encoded = encode_documents(docs, self.encoder, cfg.encode_words)
        except Exception as exc:
            for key in keys:
                result.add_failure(key, self.failure("model_error", f"{type(exc).__name__}: {exc}"))
            return result
        per_doc_ms = (time.perf_counter() - start) * 1000.0 / len(docs)
        for key, doc, enc in zip(keys, docs, encoded, strict=True):
            try:
                text = summarize_prepared(doc, enc, cfg)
            except Exception as exc:
                result.add_failure(key, self.failure("model_error", f"{type(exc).__name__}: {exc}"))
                continue
            summary = Summary(text=text, method="extractive", chunks=max(1, len(doc.sections)), llm_calls=0)
            result.add_success(key, summary, Usage(latency_ms=per_doc_ms))
        return result


class LeadSummarizerStage(Stage[Summary]):
    """``summarize.lead``: the lead-k baseline, the first sentences up to ``max_words`` words
    (the last one cut to fit). No model."""

    name: ClassVar[str] = "summarize.lead"
    version: ClassVar[str] = "1"
    output_type = Summary
    default_input = "text"
    default_output = "lead_summary"
    Options: ClassVar[type[StageOptions]] = LeadOptions
    options: LeadOptions

    def __init__(self, input: str | None = None, output: str | None = None, **options: Any) -> None:
        super().__init__(input=input, output=output, **options)
        self.max_words = self.options.max_words

    def model_id(self) -> str:
        return "lead"

    def run(self, batch: Sequence[DocState]) -> BatchResult[Summary]:
        result: BatchResult[Summary] = BatchResult()
        for key, text in self.input_texts(batch, result, "the document has no text"):
            result.add_success(key, Summary(text=lead_summary(text, self.max_words), method="extractive"))
        return result
