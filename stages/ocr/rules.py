"""Token shape rules: punctuation and stray-symbol fixes learned from aligned pairs.

A token's *shape* keeps its punctuation and folds each run of letters or digits to ``A``
(``COUNCILS,-This`` → ``A,-A``, ``"|"`` → ``|``). From the training pairs we count, for each noisy shape,
what the clean text had when it had as many runs (``A,-A`` → ``A, - A``, ``^`` → nothing, ``.A`` → ``A``).
A rule fires only where it was seen at least :data:`MIN_COUNT` times and, over what the clean text had for
that shape, cuts the expected character errors by :data:`MIN_GAIN` per occurrence or more (so ``-``, dropped
about as often as kept, stays), so only the corpus's reliable habits are learned.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Iterable

from rapidfuzz.distance import Levenshtein

_RUN = re.compile(r"[A-Za-z0-9]+")
#: a rule needs this many training cases ...
MIN_COUNT = 3
#: ... and must save this many character errors per occurrence of the noisy shape, on average
MIN_GAIN = 0.3


def shape(text: str) -> tuple[str, list[str]]:
    """``text`` with each run of letters/digits folded to ``A``, and the runs."""
    return _RUN.sub("A", text), _RUN.findall(text)


def learn_shapes(units: Iterable[tuple[str, str]]) -> tuple[dict[str, dict[str, int]], dict[str, int]]:
    """From ``(noisy token, clean text)`` units: noisy shape → clean shape → count (only where the clean text has
    as many letter/digit runs, and only shapes that were ever changed), and how often each such shape was seen."""
    targets: dict[str, Counter[str]] = defaultdict(Counter)
    seen: Counter[str] = Counter()
    for noisy, clean in units:
        noisy_shape, noisy_runs = shape(noisy)
        seen[noisy_shape] += 1
        clean_shape, clean_runs = shape(clean)
        if len(clean_runs) == len(noisy_runs):
            targets[noisy_shape][clean_shape] += 1
    changed = {s: dict(c) for s, c in targets.items() if any(t != s for t in c)}
    return changed, {s: seen[s] for s in changed}


def apply_shape(token: str, shapes: dict[str, dict[str, int]], seen: dict[str, int]) -> str | None:
    """The token rewritten by a reliable learned rule ('' to drop it), or None."""
    token_shape, runs = shape(token)
    targets = shapes.get(token_shape)
    if not targets:
        return None

    def expected_errors(choice: str) -> int:
        return sum(count * Levenshtein.distance(choice, clean) for clean, count in targets.items())

    best = min(sorted(targets), key=expected_errors)
    gain = expected_errors(token_shape) - expected_errors(best)
    if best == token_shape or targets[best] < MIN_COUNT or gain < MIN_GAIN * sum(targets.values()):
        return None
    pieces = best.split("A")
    if len(pieces) != len(runs) + 1:
        return None
    return "".join(piece + (runs[i] if i < len(runs) else "") for i, piece in enumerate(pieces))
