"""Hostile text, property-based (the strategies and checks; one test module per stage here): whatever text a document holds, a text stage ends, quickly, with exactly one
outcome per document: an output that keeps its contract, or a failure with a kind and a readable message.

Stages (none calls a real LLM): ``ner.spacy`` (the stock spaCy model, with and without entity scores),
``summarize.legal`` (MiniLM), ``summarize.lead``, ``cleanup`` (the OCR corrector; no LLM, or a fake one that
always picks the second option) and ``classify.<artifact>`` (a tiny TF-IDF classifier trained here).

Inputs: arbitrary Unicode (lone surrogates included, as a Python string may hold them), NUL and control
characters, bidi marks, combining marks, zero-width joiners, emoji sequences, U+2028/U+2029, long runs without
white space (one letter, parentheses, quotes, ``'s``, emoji), whitespace-only and punctuation-only text, mixed
scripts (CJK, Arabic, Devanagari, ...), legalese fragments; explicit examples of 1 MB.

Expected outcome: ``empty`` for a blank text, ``encoding`` for one with a lone surrogate (no tokenizer nor
database takes it), ``upstream_failed`` for a missing input field, else a success. Small inputs must finish
within the hypothesis deadline (:data:`SMALL_LIMIT_S` per batch); huge ones within :data:`HUGE_LIMIT_S`.
"""

from __future__ import annotations

import faulthandler
import json
import signal
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from types import FrameType
from typing import Any, TypeVar, get_args

from hypothesis import HealthCheck, currently_in_test_context, event, settings
from hypothesis import strategies as st

from tandem.stages import registry
from tandem.stages.base import BatchResult, Stage
from tandem.stages.contracts import CleanText, DocState, Document, FailureKind, StageFailure

#: one small batch (hypothesis deadline) ...
SMALL_LIMIT_S = 5.0
#: ... and one document of up to 1 MB; measured on 2 busy cores: ner.spacy ~25 s for 1 MB of prose, the
#: others ~1-2 s (before the fixes: a 20,000-character run of "(" took ner.spacy 36 s, 10 repeats of
#: "sec 1.          a. " did not end in 2 minutes in summarize.legal, a 30,000-letter token took cleanup 30 s)
HUGE_LIMIT_S = 60.0
#: a hang that no alarm can break (inside C code) ends the process with every thread's traceback
WATCHDOG_FACTOR = 4
MB = 1_000_000
S = TypeVar("S", bound=Stage[Any])

SMALL = settings(max_examples=150, deadline=int(SMALL_LIMIT_S * 1000),
                 suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                        HealthCheck.data_too_large, HealthCheck.large_base_example])
HUGE = settings(max_examples=6, deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                       HealthCheck.data_too_large, HealthCheck.large_base_example])


# -- hostile text ----------------------------------------------------------------------------------------------

def short(text: str) -> str:
    """``text``'s repr, cut in the middle when long (hypothesis prints failing examples)."""
    return repr(text) if len(text) <= 300 else f"{text[:100]!r} ... {text[-40:]!r} ({len(text):,} characters)"


class Text(str):
    """A text whose repr is :func:`short`."""

    def __repr__(self) -> str:
        return short(str(self))

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        printer.text(repr(self))


class Batch(list[DocState]):
    """Documents whose repr shows each text by :func:`short`."""

    def __repr__(self) -> str:
        return "[" + ", ".join(short(state.document.text) + ("" if state.fields else " (no field 'clean')")
                               for state in self) + "]"

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        printer.text(repr(self))


CONTROL = [chr(c) for c in range(0x20)] + ["\x7f", "\x80", "\x85", "\x9f"]
BIDI = ["\u200e", "\u200f", "\u202a", "\u202b", "\u202c", "\u202d", "\u202e", "\u2066", "\u2067", "\u2068",
        "\u2069", "\u061c"]
COMBINING = ["\u0301", "\u0308", "\u0327", "\u036f", "\u0489", "\u20dd", "\u1ab0", "\ufe0e", "\ufe0f", "e\u0301",
             "a\u0308\u0301\u0327"]
ZERO_WIDTH = ["\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u00ad", "\u034f"]
EMOJI = ["\U0001f642", "\U0001f468\u200d\U0001f469\u200d\U0001f467\u200d\U0001f466", "\U0001f44d\U0001f3fd",
         "\U0001f3f3\ufe0f\u200d\U0001f308", "\U0001f1eb\U0001f1f7", "1\ufe0f\u20e3", "\u2764\ufe0f\u200d\U0001f525",
         "\U0001f9d1\U0001f3ff\u200d\U0001f680"]
SEPARATORS = ["\u2028", "\u2029", "\n", "\r\n", "\r", "\t", " ", "\u00a0", "\u3000", "\x0b", "\x0c", "\x1c", "\x85"]
SURROGATES = ["\ud800", "\udbff", "\udc00", "\udfff", "\udc80\ud800"]
SCRIPTS = ["\u6771\u4eac\u90fd", "\u65e5\u672c\u8a9e\u306e\u6587\u7ae0\u3067\u3059\u3002",
           "\u0645\u0631\u062d\u0628\u0627 \u0628\u0627\u0644\u0639\u0627\u0644\u0645",
           "\u0928\u092e\u0938\u094d\u0924\u0947 \u0926\u0941\u0928\u093f\u092f\u093e", "\u05e9\u05dc\u05d5\u05dd",
           "\u041c\u043e\u0441\u043a\u0432\u0430", "\u0395\u03bb\u03bb\u03ac\u03b4\u03b1",
           "\u0e01\u0e23\u0e38\u0e07\u0e40\u0e17\u0e1e", "\ud55c\uad6d\uc5b4", "\u00c6r\u00f8sk\u00f8bing", "\u00df",
           "\u0130stanbul", "\ufb01nance", "\U0001d400\U0001d401", "\u2163"]
WORDS = ["Barack", "Obama", "visited", "Paris", "on", "Monday", "Apple", "Inc.", "New", "York", "the", "Secretary",
         "shall", "WIN", "FREE", "prize", "call", "tho", "tliat", "undei", "standing", "wifonf", "B", "inking", "$5",
         "3.5%", "U.S.C.", "e.g.", "'s", "n't", "Mr.", "I", "A", "1", "infor-", "mation", "O'Neill", "AT&T"]
LEGAL = ["SEC. 1.", "sec 1.", "Sec. 2.", "Section 2.", "SECTION 3.", "\u00a7 101.", "ARTICLE IV.", "4.1", "5.", "(a)",
         "(1)", "(A)", "(ii)", "<SECTION-HEADER>", "``", "''", "This Act may be cited as the ", '"Test Act".',
         "Be it enacted by the Senate and House of Representatives", " of the United States of America in Congress assembled,",
         "Table of Contents", "In general.--",
         "(42 U.S.C. 1395dd(e)(1))", "(Public Law 104-193)", "et seq.", "findings.", "FINDINGS.", "DEFINITIONS.",
         "The Congress finds the following:", "by striking", "and inserting", ";", ":", "--", "and", "or", "\n\n",
         "          a."]
PUNCT = list(".,;:!?()[]{}<>\"'`~@#$%^&*_-+=|\\/\u2026\u00ab\u00bb\u201c\u201d\u2018\u2019\u2014\u2013\u00a7\u00b6\u00b0")
#: repeated without white space these make spaCy's tokenizer split affix after affix
RUN_UNITS = ["a", "A", "(", ")", "!", "'", '"', "'s", "n't", ".", "..", "-", "_", "$", "%", "=", "\u00a7", "a.", "a(",
             "\U0001f642", "\U0001f468\u200d\U0001f469", "\u6771", "\u0645", "e\u0301", "\u200d", "\ufeff", "1",
             "\u2019", "\u201c", "\x00", "qzx", "Paris", "<SECTION-HEADER>"]
WHITESPACE = [chr(c) for c in range(0x110000) if chr(c).isspace()]

PIECES = CONTROL + BIDI + COMBINING + ZERO_WIDTH + EMOJI + SEPARATORS + SURROGATES + SCRIPTS + WORDS + LEGAL + PUNCT

any_unicode = st.text(st.characters(exclude_categories=()), max_size=300)  # lone surrogates included
pieces = st.lists(st.sampled_from(PIECES), max_size=60).map("".join)
spaced_pieces = st.lists(st.sampled_from(PIECES), max_size=60).map(" ".join)
long_runs = st.builds(lambda unit, n: unit * n, st.sampled_from(RUN_UNITS), st.integers(50, 3_000))
whitespace_only = st.text(st.sampled_from(WHITESPACE), max_size=200)
many_newlines = st.integers(1, 5_000).map(lambda n: "\n" * n + "x" + "\n" * n)
punctuation_only = st.text(st.characters(categories=["P", "S"]), min_size=1, max_size=300)
mixed_scripts = st.lists(st.sampled_from(SCRIPTS + WORDS + EMOJI), min_size=1, max_size=40).map(" ".join)
legalese = st.lists(st.sampled_from(LEGAL + WORDS + SEPARATORS), min_size=1, max_size=60).map(" ".join)
_base = st.one_of(any_unicode, pieces, spaced_pieces, long_runs, whitespace_only, many_newlines, punctuation_only,
                  mixed_scripts, legalese)
hostile_text = st.one_of(_base, st.lists(_base, min_size=2, max_size=4).map("".join))
#: long runs without white space, up to 200,000 characters (the huge tests)
huge_runs = st.builds(lambda unit, n: Text((unit * (n // len(unit) + 1))[:n]), st.sampled_from(RUN_UNITS),
                      st.integers(10_000, 200_000))


def _huge_prose() -> str:
    para = ("Barack Obama visited Paris on Monday with Angela Merkel, and executives of Apple Inc. met them in "
            "New York on 3 May 2021 to discuss a $5 billion plan. ")
    return (para * (MB // len(para) + 1))[:MB]


def _huge_bill() -> str:
    section = ("SEC. {n}. GRANTS TO STATES.\n    (a) In General.--The Secretary of Health and Human Services "
               "shall make grants to States (42 U.S.C. 1395dd(e)(1)) under section 1902 of the Act.\n")
    head = 'This Act may be cited as the "Hostile Text Act of 2026".\n'
    parts, n = [head], 1
    while sum(map(len, parts)) < MB:
        parts.append(section.format(n=n))
        n += 1
    return "".join(parts)[:MB]


HUGE_PROSE = Text(_huge_prose())
HUGE_BILL = Text(_huge_bill())
HUGE_LETTER = Text("a" * MB)
HUGE_PARENS = Text("(" * MB)
HUGE_EMOJI = Text(("\U0001f468\u200d\U0001f469\u200d\U0001f467\u200d\U0001f466" * (MB // 7 + 1))[:MB])
HUGE_TOC_REDOS = Text(("sec 1.          a. " * (MB // 19 + 1))[:MB])
HUGE_BANG_WORD = Text("a" + "!" * (MB - 2) + "a")
#: capitalised words without end: the amended-law reader once tried every word as a name's start (100 KB: 160 s)
HUGE_CAPITALS = Text(("Social Security " * (MB // 16 + 1))[:MB])
#: OCR noise the corrector works on word by word (about 0.4 ms a word here): 50,000 characters, not 1 MB
OCR_PROSE = Text("Tho Congress finds tliat the Secretary of Hcalth shall pay grants to Statcs undei standing, "
                 "wifonf B inking 1 lour. " * 500)


# -- running and checking ----------------------------------------------------------------------------------------

class StageHung(BaseException):
    """Raised by the alarm in a stage run that took too long (a BaseException: no stage may swallow it)."""


@contextmanager
def bounded(seconds: float, what: str) -> Iterator[None]:
    """An alarm after ``seconds`` (interrupts Python code); a watchdog at ``WATCHDOG_FACTOR`` times that ends
    the process with tracebacks (for a hang inside C code, where no alarm is seen)."""
    def on_alarm(signum: int, frame: FrameType | None) -> None:
        raise StageHung(f"{what} took over {seconds} s")

    previous = signal.signal(signal.SIGALRM, on_alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    faulthandler.dump_traceback_later(seconds * WATCHDOG_FACTOR, exit=True)
    try:
        yield
    finally:
        faulthandler.cancel_dump_traceback_later()
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def key_of(text: str) -> str:
    return Document.hash_bytes(text.encode("utf-8", "surrogatepass"))


def state_of(text: str, with_clean: bool = True) -> DocState:
    """A document whose text (and field ``clean``) is ``text``; ``Document.from_text`` refuses lone surrogates."""
    document = Document(content_hash=key_of(text), source="hypothesis.txt", text=text)
    return DocState(document=document, fields={"clean": CleanText(text=text)} if with_clean else {})


def storable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def has_surrogate(text: str) -> bool:
    return not storable(text)


def expected_outcome(text: str | None) -> FailureKind | None:
    """What a specialist must answer: None (a success) or the failure kind."""
    if text is None:
        return "upstream_failed"
    if not text.strip():
        return "empty"
    if has_surrogate(text):
        return "encoding"
    return None


def run_checked(stage: Stage[Any], states: Sequence[DocState], limit_s: float,
                check_output: Callable[[str, Any], None],
                expected: Callable[[str | None], FailureKind | None] = expected_outcome) -> float:
    """Run ``stage`` over ``states`` within ``limit_s``, check every outcome; the seconds it took."""
    sizes = ", ".join(str(len(s.document.text)) for s in states)
    started = time.perf_counter()
    with bounded(limit_s, f"{stage.stage_id} over documents of {sizes} characters"):
        result = stage.run(list(states))
    elapsed = time.perf_counter() - started
    if sum(len(s.document.text) for s in states) >= 100_000:  # seen with pytest -s
        print(f"\n{stage.stage_id}: {sizes} characters in {elapsed:.2f} s", end="")
    assert isinstance(result, BatchResult)
    keys = {state.key for state in states}
    assert set(result.successes).isdisjoint(result.failures), "a document both succeeded and failed"
    assert set(result.successes) | set(result.failures) == keys, "every document gets exactly one outcome"
    for state in states:
        text = _input_text(stage, state)
        want = expected(text)
        if state.key in result.failures:
            failure = result.failures[state.key]
            assert isinstance(failure, StageFailure) and failure.stage == stage.stage_id
            assert failure.kind in get_args(FailureKind)
            assert failure.message.strip() and storable(failure.message), failure
            json.dumps(failure.model_dump(), ensure_ascii=False).encode("utf-8")
            assert failure.kind == want, f"{text!r:.300}: expected {want}, got {failure}"
            _event(f"failed: {failure.kind}")
        else:
            assert want is None, f"{text!r:.300}: expected a failure {want}, got a success"
            output = result.successes[state.key]
            assert isinstance(output, stage.output_type)
            stored = output.model_dump_json()  # what the database gets: valid UTF-8 JSON that reads back equal
            stored.encode("utf-8")
            assert type(output).model_validate_json(stored) == output
            assert text is not None
            check_output(text, output)
            _event("succeeded")
    return elapsed


def created(cls: type[S], name: str, **options: Any) -> S:
    """``registry.create(name, **options)``, checked to be a ``cls``, loaded."""
    stage = registry.create(name, **options)
    assert isinstance(stage, cls)
    stage.load()
    return stage


def _input_text(stage: Stage[Any], state: DocState) -> str | None:
    try:
        return state.text_of(stage.input_field)
    except KeyError:
        return None


def _event(name: str) -> None:
    if currently_in_test_context():  # counted in --hypothesis-show-statistics
        event(name)


@st.composite
def batches(draw: st.DrawFn, texts: st.SearchStrategy[str] = hostile_text,
            missing_field: bool = False) -> Batch:
    """One to three documents with distinct texts; with ``missing_field``, maybe one without field ``clean``."""
    drawn = draw(st.lists(texts, min_size=1, max_size=3, unique_by=key_of))
    states = Batch(state_of(text) for text in drawn)
    if missing_field and draw(st.booleans()):
        raw_only = state_of(f"raw only {len(drawn)} {draw(st.integers(0, 10**6))}", with_clean=False)
        if raw_only.key not in {s.key for s in states}:
            states.append(raw_only)
    return states
