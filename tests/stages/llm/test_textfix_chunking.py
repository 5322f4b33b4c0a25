from tandem.stages.llm.chunking import chunk_text, condense, estimate_tokens
from tandem.stages.llm.prompts import strip_preface
from tandem.stages.llm.textfix import (
    dehyphenate,
    deterministic_cleanup,
    drop_repeated_lines,
    normalize_unicode,
    normalize_whitespace,
)


def test_unicode_and_control_characters() -> None:
    assert normalize_unicode("“quoted” — ﬁne\x00\r\n") == '"quoted" - fine\n'


def test_dehyphenation_joins_split_words_only() -> None:
    assert dehyphenate("infor-\nmation and well-\nKnown") == "information and well-\nKnown"


def test_repeated_headers_and_page_numbers_are_dropped() -> None:
    pages = "\n".join(f"THE DAILY NEWS\nbody line {i}\nPage {i} of 5" for i in range(1, 6))
    cleaned = drop_repeated_lines(pages)
    assert "DAILY NEWS" not in cleaned and "Page" not in cleaned and "body line 3" in cleaned


def test_whitespace() -> None:
    assert normalize_whitespace("a   b \n\n\n\n c\t d ") == "a b\n\nc d"
    assert deterministic_cleanup("  Tbe  infor-\nmation  ") == "Tbe information"


def test_strip_preface() -> None:
    assert strip_preface("Here is the corrected text:\nHello world.") == "Hello world."
    assert strip_preface('"Hello."') == "Hello."
    assert strip_preface("Summary: short") == "short"


def test_chunks_fit_budget_and_keep_all_words() -> None:
    text = "\n\n".join(" ".join(f"w{p}_{i}." for i in range(200)) for p in range(10))
    chunks = chunk_text(text, max_tokens=100)
    assert all(estimate_tokens(c) <= 100 for c in chunks)
    assert " ".join(chunks).split() == text.split()
    assert chunk_text("short text", 100) == ["short text"]
    assert chunk_text("x" * 1000, 50) and all(len(c) <= 150 for c in chunk_text("x" * 1000, 50))


def test_condense_bounds_chunk_count_and_size() -> None:
    chunks = [f"Sentence about topic {i}. Another remark number {i}." * 20 for i in range(100)]
    condensed = condense(chunks, groups=8, max_tokens=200)
    assert len(condensed) <= 8
    assert all(estimate_tokens(c) <= 200 for c in condensed)
