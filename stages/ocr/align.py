"""Alignment of noisy OCR against its clean reference.

:func:`char_edits` turns a (clean word, noisy word) pair into edit segments, adjacent edits merged so that
multi-character confusions come out whole (``m`` → ``rn``, ``h`` → ``li``, ``e`` → ``c``).
:func:`word_alignment` pairs the words of a noisy line with those of its clean line and labels each pair
``same``, ``sub`` (one for one), ``split`` (one clean word read as two) or ``join`` (two read as one).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from difflib import SequenceMatcher
from typing import Literal

from rapidfuzz.distance import Levenshtein

#: longest segment (either side) counted as one confusion; longer edits are garbage, not confusions
MAX_SEGMENT = 3
#: one-for-one word pairs less similar than this are misalignments, not misreadings
MIN_SIMILARITY = 0.34
_TRIM = re.compile(r"^[\"'(\[{,.;:!?]+|[\"')\]},.;:!?]+$")

Kind = Literal["same", "sub", "split", "join"]


def word_core(token: str) -> str:
    """A token without surrounding punctuation (quotes, brackets, ``,.;:!?``)."""
    return _TRIM.sub("", token)


def char_edits(clean: str, noisy: str, max_segment: int = MAX_SEGMENT) -> list[tuple[str, str]] | None:
    """The edit segments turning ``clean`` into ``noisy`` as ``(clean part, noisy part)``; adjacent edits are
    merged. None when a merged segment is longer than ``max_segment`` on either side (not a confusion)."""
    segments: list[tuple[str, str]] = []
    start: tuple[int, int] | None = None
    end = (0, 0)
    for op in Levenshtein.opcodes(clean, noisy):
        s0, s1, d0, d1 = op.src_start, op.src_end, op.dest_start, op.dest_end
        if op.tag == "equal":
            if start is not None:
                segments.append((clean[start[0]:end[0]], noisy[start[1]:end[1]]))
                start = None
            continue
        if start is None:
            start = (s0, d0)
        end = (s1, d1)
    if start is not None:
        segments.append((clean[start[0]:end[0]], noisy[start[1]:end[1]]))
    if any(len(c) > max_segment or len(n) > max_segment for c, n in segments):
        return None
    return segments


def word_alignment(noisy: str, clean: str) -> Iterator[tuple[Kind, str, str]]:
    """``(kind, noisy, clean)`` for the aligned words of one line pair (unaligned stretches are skipped)."""
    a, b = noisy.split(), clean.split()
    matcher = SequenceMatcher(a=[word_core(t).lower() for t in a], b=[word_core(t).lower() for t in b],
                              autojunk=False)
    for op, a0, a1, b0, b1 in matcher.get_opcodes():
        if op == "equal":
            for offset in range(a1 - a0):
                yield "same", a[a0 + offset], b[b0 + offset]
        elif op == "replace" and a1 - a0 == b1 - b0:
            for offset in range(a1 - a0):
                noisy_word, clean_word = a[a0 + offset], b[b0 + offset]
                if (max(len(noisy_word), len(clean_word)) <= 2
                        or Levenshtein.normalized_similarity(noisy_word.lower(), clean_word.lower()) >= MIN_SIMILARITY):
                    yield "sub", noisy_word, clean_word
        elif op == "replace" and a1 - a0 == 2 and b1 - b0 == 1:
            yield "split", " ".join(a[a0:a1]), b[b0]
        elif op == "replace" and a1 - a0 == 1 and b1 - b0 == 2:
            yield "join", a[a0], " ".join(b[b0:b1])


def line_pairs(noisy: str, clean: str) -> list[tuple[str, str]]:
    """Line-by-line pairs when both texts have the same number of lines, else the whole texts as one pair."""
    noisy_lines, clean_lines = noisy.split("\n"), clean.split("\n")
    if len(noisy_lines) == len(clean_lines):
        return list(zip(noisy_lines, clean_lines))
    return [(noisy, clean)]


def token_units(noisy: str, clean: str, max_block: int = 8) -> Iterator[tuple[str, str]]:
    """``(noisy token, clean text)`` for each noisy token of a line pair that lines up with zero to three clean
    tokens (``"|"`` → ``""``, ``"COUNCILS,-This"`` → ``"COUNCILS, - This"``); long unaligned stretches are skipped."""
    a, b = noisy.split(), clean.split()
    matcher = SequenceMatcher(a=a, b=b, autojunk=False)
    for op, a0, a1, b0, b1 in matcher.get_opcodes():
        if op == "equal":
            yield from ((token, token) for token in a[a0:a1])
        elif a1 > a0 and a1 - a0 <= max_block and b1 - b0 <= max_block:
            yield from _dp_units(a[a0:a1], b[b0:b1])


_MOVES = ((1, 1), (1, 0), (0, 1), (1, 2), (1, 3), (2, 1))


def _dp_units(a: list[str], b: list[str]) -> Iterator[tuple[str, str]]:
    """The cheapest character-level pairing of two short token runs (one noisy token to 0–3 clean ones)."""
    n, m = len(a), len(b)
    cost: dict[tuple[int, int], tuple[int, tuple[int, int]]] = {(0, 0): (0, (0, 0))}
    for i in range(n + 1):
        for j in range(m + 1):
            if (i, j) not in cost:
                continue
            here = cost[i, j][0]
            for da, db in _MOVES:
                if i + da > n or j + db > m:
                    continue
                x, y = " ".join(a[i:i + da]), " ".join(b[j:j + db])
                step = Levenshtein.distance(x, y) + ((da == 0) != (db == 0))
                if (i + da, j + db) not in cost or here + step < cost[i + da, j + db][0]:
                    cost[i + da, j + db] = (here + step, (da, db))
    units: list[tuple[str, str]] = []
    i, j = n, m
    while i or j:
        da, db = cost[i, j][1]
        if da == 1:
            units.append((a[i - 1], " ".join(b[j - db:j])))
        i, j = i - da, j - db
    yield from reversed(units)
