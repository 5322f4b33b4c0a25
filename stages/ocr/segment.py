"""Re-segmentation candidates: words the OCR split in two (``undei standing`` → ``understanding``) and words
it ran together (``wifonf`` → ``wife of``), where the pieces are garbled as well.

A split word's candidates are the dictionary words near the glued pieces (plain edits, OCR skeletons, undone
confusions); a run-together word's are pairs of common words, each near one side of a cut. The corrector
scores both with the same noisy channel (the lost or added space is one of its edits) and word bigrams as
single words, against the best reading of the tokens as they are segmented.
"""

from __future__ import annotations

from rapidfuzz.distance import Levenshtein

from tandem.stages.ocr.confusion import ConfusionModel
from tandem.stages.ocr.lexicon import Lexicon

#: pieces of a run-together word must be this common in the general dictionary (``the``, ``keep``, ``wife``)
PIECE_MIN_COUNT = 1_000_000
#: fuzzy skeleton look-up (one skeleton edit) for glued words this long
SKELETON_FUZZY = 7


def join_candidates(lex: Lexicon, model: ConfusionModel, glued: str) -> set[str]:
    """Dictionary words that two glued tokens (lower case) may stand for; each keeps two thirds of its
    letters (``lb at`` is not ``that``)."""
    found = {glued} if lex.known(glued) else set()
    found.update(c for c in lex.candidates(glued, 1 if len(glued) < 5 else 2) if len(c) >= len(glued) - 1)
    if len(glued) >= 5:
        found.update(lex.skeletons.lookup(glued, 0 if len(glued) < SKELETON_FUZZY else 1))
    found.update(v for v in model.rewrites(glued) if lex.known(v))
    return {c for c in found if Levenshtein.distance(glued, c) <= (len(c) + 1) // 3}


def piece_candidates(lex: Lexicon, model: ConfusionModel, piece: str, limit: int = 4) -> list[str]:
    """Common words one side of a cut may stand for (itself, a learned confusion, one edit, its skeleton)."""
    out = {piece} if lex.count(piece) >= PIECE_MIN_COUNT else set()
    out.update(c for c, p in model.word_confusions(piece).items() if p >= 0.05 and " " not in c)
    if len(piece) >= 3:
        out.update(c for c in lex.candidates(piece, 1) if lex.count(c) >= PIECE_MIN_COUNT)
    if len(piece) >= 4:
        out.update(c for c in lex.skeletons.lookup(piece, 0) if lex.count(c) >= PIECE_MIN_COUNT)
    return sorted(out, key=lambda c: (-lex.count(c), c))[:limit]


def split_candidates(lex: Lexicon, model: ConfusionModel, lower: str) -> set[str]:
    """``"left right"`` readings of a run-together non-word (letters only, five or more)."""
    found: set[str] = set()
    if len(lower) < 5 or not lower.isalpha():
        return found
    for cut in range(2, len(lower) - 1):
        lefts = piece_candidates(lex, model, lower[:cut])
        if lefts:
            for right in piece_candidates(lex, model, lower[cut:]):
                found.update(f"{left} {right}" for left in lefts)
    return found


def plain_split(lex: Lexicon, lower: str, candidate: str) -> bool:
    """Whether ``candidate`` is ``lower`` cut in two common words with no letter changed."""
    pieces = candidate.split()
    return "".join(pieces) == lower and all(lex.count(p) > PIECE_MIN_COUNT for p in pieces)
