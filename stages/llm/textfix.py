"""Cheap deterministic fixes applied before any LLM sees a text.

Unicode normalisation, control characters, de-hyphenation across line breaks, repeated page
headers/footers, and whitespace. Each function is pure and separately tested.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")  # not \f: the page separator
_HYPHEN_BREAK = re.compile(r"(\w)[-\u00ad]\n[ \t]*([a-z])")
_SPACES = re.compile(r"[ \t\u00a0]+")
_BLANKS = re.compile(r"\n{3,}")
_TRANSLATE = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"', "\u2013": "-",
                            "\u2014": "-", "\ufb01": "fi", "\ufb02": "fl", "\u00ad": ""})


def normalize_unicode(text: str) -> str:
    """NFC normalisation, typographic quotes/dashes/ligatures to ASCII, no control characters."""
    text = unicodedata.normalize("NFC", text.replace("\r\n", "\n").replace("\r", "\n"))
    return _CONTROL.sub("", text).translate(_TRANSLATE)


def dehyphenate(text: str) -> str:
    """Join words split by a hyphen at a line break: ``infor-\\nmation`` → ``information``."""
    return _HYPHEN_BREAK.sub(r"\1\2", text)


def drop_repeated_lines(text: str, min_repeats: int = 3, max_len: int = 80) -> str:
    """Remove short lines of two or more words repeated many times (running page headers/footers)
    and page-number lines ("Page 3 of 9", "- 4 -")."""
    lines = text.split("\n")
    counts = Counter(_page_key(line) for line in lines if line.strip() and len(line.strip()) <= max_len)
    # a repeated single word ("Chorus") is content; headers have several words or are page numbers
    repeated = {key for key, n in counts.items()
                if n >= min_repeats and (len(key.split()) >= 2 or _PAGE_NUMBER.match(key))}
    if not repeated:
        return text
    return "\n".join(line for line in lines if not (line.strip() and _page_key(line) in repeated))


_PAGE_NUMBER = re.compile(r"^[-\s]*(page|p\.)?\s*#+\s*((of|/)\s*#+)?[-\s]*$")


def _page_key(line: str) -> str:
    # "Page 3 of 9" and "Page 4 of 9" are the same footer; other lines must repeat exactly
    key = line.strip().lower()
    numbered = re.sub(r"\d+", "#", key)
    return numbered if _PAGE_NUMBER.match(numbered) else key


def normalize_whitespace(text: str) -> str:
    lines = [_SPACES.sub(" ", line).strip(" ") for line in text.split("\n")]
    return _BLANKS.sub("\n\n", "\n".join(lines)).strip()


_TRAILING = re.compile(r"[ \t\u00a0]+(?=\n|\f|$)")


def safe_fixes(text: str) -> str:
    """The fixes that never change a word, for text that did not come from OCR: line endings (CRLF → LF),
    Unicode NFC, control characters (form feeds, the page separator, are kept) and trailing spaces at line
    ends. Indentation, quotes, hyphens and spelling are left exactly as they are."""
    text = unicodedata.normalize("NFC", text.replace("\r\n", "\n").replace("\r", "\n"))
    return _TRAILING.sub("", _CONTROL.sub("", text))


def deterministic_cleanup(text: str) -> str:
    """All deterministic fixes, in order."""
    return normalize_whitespace(drop_repeated_lines(dehyphenate(normalize_unicode(text))))
