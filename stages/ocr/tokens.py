"""What the OCR corrector works on and hands back: a page cut into words (each token split into leading
punctuation, the word and trailing punctuation), the fixes proposed for them, and applying those fixes.

:class:`~tandem.stages.ocr.corrector.OcrCorrector` decides the fixes.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field

TOKEN = re.compile(r"\S+")
#: a token's leading punctuation, its word and its trailing punctuation
PARTS = re.compile(r"^([\"'(\[{.,;:!?\-]*)(.*?)([\"')\]},.;:!?]*)$", re.S)
#: longer tokens are not words (the longest in the dictionary has 28 letters; two run together, misread)
MAX_WORD_CHARS = 60


@dataclass
class Fix:
    """One decision: replace ``text[start:end]`` (``original``) by ``choice``; ``options`` are the choices
    allowed (the original first), ``doubt`` marks a close call."""

    start: int
    end: int
    original: str
    choice: str
    options: list[str] = field(default_factory=list)
    doubt: bool = False
    #: log-odds by which the correction beat the margin it needed (how much evidence was to spare)
    spare: float = math.inf


@dataclass
class Proposal:
    text: str
    fixes: list[Fix]
    noise: float
    words: int
    left_alone: bool

    @property
    def changes(self) -> list[Fix]:
        return [f for f in self.fixes if f.choice != f.original]


@dataclass
class Word:
    start: int
    end: int
    prefix: str
    core: str
    suffix: str
    fragment: bool = False

    @property
    def lower(self) -> str:
        return self.core.lower()


def split_words(text: str, known: Callable[[str], bool]) -> list[Word]:
    """The words of ``text``, in order; tokens over :data:`MAX_WORD_CHARS` characters and tokens of punctuation
    only are none. Halves of a word broken across a line (hyphenated, or with no hyphen when ``known`` knows
    the two glued) are marked ``fragment``."""
    out: list[Word] = []
    after_hyphen = False
    for match in TOKEN.finditer(text):
        token = match.group(0)
        parts = PARTS.match(token) if len(token) <= MAX_WORD_CHARS else None
        broken, after_hyphen = after_hyphen, token.endswith("-")
        if parts is None or not parts.group(2):
            continue
        word = Word(match.start(), match.end(), parts.group(1), parts.group(2), parts.group(3))
        word.fragment = broken or token.endswith("-")  # half of a word hyphenated across a line break
        if out and "\n" in text[out[-1].end:word.start] and known(out[-1].lower + word.lower):
            out[-1].fragment = word.fragment = True  # a word broken across lines with no hyphen
        out.append(word)
    return out


def apply_fixes(text: str, fixes: list[Fix]) -> str:
    pieces, last = [], 0
    for fix in sorted(fixes, key=lambda f: f.start):
        if fix.choice == fix.original:
            continue
        pieces.append(text[last:fix.start])
        pieces.append(fix.choice)
        last = fix.end
    pieces.append(text[last:])
    return "".join(pieces)
