"""Extractive summaries of legal text: ``summarize.legal`` and the lead baseline ``summarize.lead``.

The pipeline, each step a pure function that can be tested without a model:

1. :func:`split_sections` cuts a bill or contract into sections, from BillSum's
   ``<SECTION-HEADER>`` markers or from ``SECTION 1.`` / ``Sec. 2.`` / ``3.`` headings.
2. :func:`split_sentences` splits a section into sentences without breaking on legal
   abbreviations (``U.S.C.``, ``Sec.``, ``et seq.``, ``No.``) and drops enumerators like ``(a)``.
3. :func:`is_boilerplate` removes enacting clauses, ``This Act may be cited as`` sentences,
   tables of contents and bare headers; :func:`short_title` keeps the Act's name, which
   opens the summary (as in CRS summaries: "Farm to School Improvements Act of 2010 - ...").
4. :func:`score_sentences` combines MiniLM similarity to the document centroid, the section
   centroid and the section heading with a position prior, a length prior and a small penalty
   for sections that are rarely summarized (findings, definitions, ...).
5. :func:`mmr_select` picks sentences by maximal marginal relevance within a word budget;
   :func:`fit_budget` enforces the budget; the output keeps the original sentence order, one
   sentence per line.

:class:`LegalSummarizerStage` encodes every candidate sentence of every document of a batch in
one encoder call. :class:`LeadSummarizerStage` is the lead-k baseline at the same word budget.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np

from stages.base import BatchResult, Stage
from stages.contracts import DocState, Summary, Usage

if TYPE_CHECKING:  # pragma: no cover
    from specialists.encoder import SentenceEncoder

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
    for i, match in enumerate(starts):
        end = starts[i + 1].start() if i + 1 < len(starts) else len(text)
        heading, body = _take_heading(text[match.end():end], strict=True)
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
    blocks = re.split(r"\n\s*\n|\n(?=[ \t]*\((?:[a-z]{1,4}|[0-9]{1,3}|[A-Z]{1,3})\)\s)", text)
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
    return " ".join(match.group(1).split()) if match else None


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


@dataclass
class Candidate:
    """A sentence that may go into the summary."""

    text: str
    index: int          # position among the document's sentences (boilerplate included)
    section: int        # index into the document's sections
    in_section: int     # position inside its section (among candidates)
    words: int


@dataclass
class PreparedDoc:
    """Sections, candidate sentences and the short title of one document."""

    sections: list[Section]
    candidates: list[Candidate]
    title: str | None
    n_sentences: int
    lead: list[str] = field(default_factory=list)


def _clean_heading(heading: str) -> str:
    return " ".join(heading.split()).strip(" .:")


def prepare(text: str, *, min_words: int = 6, max_candidates: int = 400) -> PreparedDoc:
    """Split a document into candidate sentences (boilerplate, headers and fragments removed)."""
    sections = split_sections(text)
    candidates: list[Candidate] = []
    index = 0
    for s_idx, section in enumerate(sections):
        in_section = 0
        for sentence in split_sentences(section.text):
            index += 1
            if is_boilerplate(sentence):
                continue
            words = word_count(sentence)
            if words < min_words:
                continue
            # lead-ins whose content follows in a list ("The Congress finds the following:")
            if sentence.endswith(":") and words <= 12:
                continue
            candidates.append(Candidate(sentence, index - 1, s_idx, in_section, words))
            in_section += 1
    if len(candidates) > max_candidates:
        candidates = candidates[:max_candidates]
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

    doc: float = 1.0          # similarity to the document centroid
    section: float = 0.5      # similarity to the section centroid
    heading: float = 0.3      # similarity to the section heading
    title: float = 0.2        # similarity to the Act's short title
    position: float = 0.3     # earlier sentences first
    first_in_section: float = 0.1
    length: float = 0.2       # very short sentences carry little
    low_priority: float = 0.2  # findings, definitions, ... (penalty)
    position_decay: float = 20.0  # sentences over which the position prior halves


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
    diversity: float = 0.3
    include_title: bool = True
    truncate: bool = True
    min_words: int = 6
    max_candidates: int = 400
    encode_words: int = 64  # sentences are cut to this many words before the encoder


def _encode_text(text: str, limit: int) -> str:
    tokens = text.split()
    return " ".join(tokens[:limit]) if len(tokens) > limit else text


@dataclass
class _Encoded:
    sentences: np.ndarray
    headings: dict[int, np.ndarray]
    title: np.ndarray | None


def encode_documents(docs: Sequence[PreparedDoc], encoder: Any, encode_words: int = 64) -> list[_Encoded]:
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
    if config.include_title and doc.title:
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
                    encoder: SentenceEncoder | None = None, **config: Any) -> list[str]:
    """Extractive summaries of ``texts`` (one batched encoder call), each at most ``max_words`` words."""
    cfg = SummarizerConfig(max_words=max_words, **config)
    if encoder is None:
        from specialists.encoder import shared_encoder

        encoder = shared_encoder(True)
    docs = [prepare(t, min_words=cfg.min_words, max_candidates=cfg.max_candidates) for t in texts]
    encoded = encode_documents(docs, encoder, cfg.encode_words)
    return [summarize_prepared(d, e, cfg) for d, e in zip(docs, encoded, strict=True)]


# ---------------------------------------------------------------------------------------------
# stages
# ---------------------------------------------------------------------------------------------


class LegalSummarizerStage(Stage[Summary]):
    """``summarize.legal``: section-aware extractive summary of a bill or contract.

    Reads a text field (default ``text``), writes ``legal_summary`` (:class:`Summary`,
    ``method="extractive"``). Options: ``max_words`` (budget, default :data:`DEFAULT_MAX_WORDS`),
    ``include_title`` (open with the Act's short title), ``diversity`` (MMR trade-off),
    ``quantize`` (int8 encoder, default true). Construction is cheap; :meth:`load` reads MiniLM.
    An empty document is a ``StageFailure(kind="empty")``.
    """

    name: ClassVar[str] = "summarize.legal"
    version: ClassVar[str] = "1"
    output_type = Summary
    default_input = "text"
    default_output = "legal_summary"

    def __init__(self, input: str | None = None, output: str | None = None,
                 max_words: int = DEFAULT_MAX_WORDS, **options: Any) -> None:
        super().__init__(input=input, output=output, max_words=max_words, **options)
        if max_words <= 0:
            raise ValueError(f"max_words must be positive, got {max_words}")
        self.quantize = bool(options.pop("quantize", True))
        allowed = {"include_title", "diversity", "truncate", "min_words", "max_candidates", "encode_words"}
        unknown = set(options) - allowed
        if unknown:
            raise ValueError(f"unknown options for {self.name}: {sorted(unknown)}; known: {sorted(allowed)}")
        self.config_ = SummarizerConfig(max_words=max_words, **options)
        self.encoder: SentenceEncoder | None = None

    def model_id(self) -> str:
        from specialists.encoder import MINILM_ID

        return f"{MINILM_ID}{'+int8' if self.quantize else ''}"

    def _load(self) -> None:
        from specialists.encoder import shared_encoder

        self.encoder = shared_encoder(self.quantize)
        self.encoder.load()

    def run(self, batch: Sequence[DocState]) -> BatchResult[Summary]:
        self.load()
        result: BatchResult[Summary] = BatchResult()
        cfg = self.config_
        keys: list[str] = []
        docs: list[PreparedDoc] = []
        for state in batch:
            try:
                text = state.text_of(self.input_field)
            except (KeyError, TypeError) as exc:
                result.add_failure(state.key, self.failure("upstream_failed", f"cannot read {self.input_field!r}: {exc}"))
                continue
            if not text.strip():
                result.add_failure(state.key, self.failure("empty", "the document has no text"))
                continue
            try:
                docs.append(prepare(text, min_words=cfg.min_words, max_candidates=cfg.max_candidates))
            except Exception as exc:  # a bad document never raises past the stage
                result.add_failure(state.key, self.failure("model_error", f"{type(exc).__name__}: {exc}"))
                continue
            keys.append(state.key)
        if not docs:
            return result
        import time

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

    def __init__(self, input: str | None = None, output: str | None = None,
                 max_words: int = DEFAULT_MAX_WORDS, **options: Any) -> None:
        if max_words <= 0:
            raise ValueError(f"max_words must be positive, got {max_words}")
        super().__init__(input=input, output=output, max_words=max_words, **options)
        self.max_words = max_words

    def model_id(self) -> str:
        return "lead"

    def run(self, batch: Sequence[DocState]) -> BatchResult[Summary]:
        result: BatchResult[Summary] = BatchResult()
        for state in batch:
            try:
                text = state.text_of(self.input_field)
            except (KeyError, TypeError) as exc:
                result.add_failure(state.key, self.failure("upstream_failed", f"cannot read {self.input_field!r}: {exc}"))
                continue
            if not text.strip():
                result.add_failure(state.key, self.failure("empty", "the document has no text"))
                continue
            result.add_success(state.key, Summary(text=lead_summary(text, self.max_words), method="extractive"))
        return result
