"""The OCR confusion model: how clean text turns into noisy OCR, learned from aligned pairs.

``P(noisy segment | clean segment)`` for character segments of up to three characters (``m`` → ``rn``,
``h`` → ``li``, ``e`` → ``c``, ``s`` → ``«``), whole-word confusions (``the`` → ``tho``, ``on the`` →
``ontho``), how often a noisy word is right, and the words and word pairs of the clean side (a domain
lexicon). Saved and loaded as JSON, never pickle.

Counts are smoothed towards :data:`GENERIC_PRIOR`, a small hand-written table of the usual OCR confusions,
so a model with no training data (:meth:`ConfusionModel.prior`) already works.
"""

from __future__ import annotations

import json
import math
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from tandem.stages.ocr.align import (
    MAX_SEGMENT,
    char_edits,
    line_pairs,
    token_units,
    word_alignment,
    word_core,
)
from tandem.stages.ocr.rules import learn_shapes

FORMAT = "tandem-ocr-confusion/1"

#: clean → noisy confusions of printed-text OCR with a rough probability per occurrence of the clean part
GENERIC_PRIOR: dict[tuple[str, str], float] = {
    **{pair: 0.01 for pair in [
        ("m", "rn"), ("rn", "m"), ("h", "li"), ("li", "h"), ("h", "b"), ("b", "h"), ("e", "c"), ("c", "e"),
        ("e", "o"), ("o", "e"), ("a", "o"), ("o", "a"), ("n", "u"), ("u", "n"), ("i", "l"), ("l", "i"),
        ("l", "1"), ("i", "1"), ("o", "0"), ("s", "f"), ("d", "cl"), ("cl", "d"), ("w", "vv"), ("m", "in"),
        ("n", "ri"), ("u", "ii"), ("r", "i"), ("i", "r"), ("t", "l"), ("l", "t"), ("f", "t"), ("t", "f"),
        ("s", "«"), ("s", "*"), ("e", "a"), ("a", "e"), ("c", "o"), ("o", "c"), ("th", "tb"), ("f", "l"),
        ("ri", "n"), ("in", "m"), ("y", "v"), ("v", "y"), ("g", "q"), ("fi", "h"), ("ff", "fl"), ("r", "t"),
    ]},
    ("", " "): 0.002, (" ", ""): 0.002,
}
#: whole-word confusions with a rough probability that the noisy word stands for the clean one
GENERIC_WORDS: dict[tuple[str, str], float] = {
    ("tho", "the"): 0.5, ("tbe", "the"): 0.9, ("thc", "the"): 0.9, ("tlie", "the"): 0.9, ("aud", "and"): 0.9,
    ("ol", "of"): 0.6, ("bo", "be"): 0.5, ("aro", "are"): 0.8, ("wero", "were"): 0.8, ("havo", "have"): 0.8,
}
#: pseudo-observations given to the prior when smoothing learned counts
PRIOR_STRENGTH = 20.0
#: probability of an edit neither learned nor in the prior
UNSEEN = 2e-5


@dataclass
class ConfusionModel:
    edits: dict[str, dict[str, int]] = field(default_factory=dict)   # clean seg → noisy seg → count
    grams: dict[str, int] = field(default_factory=dict)              # clean substrings (≤ 3 chars) → count
    words: dict[str, dict[str, int]] = field(default_factory=dict)   # noisy word → clean word(s) → count
    noisy_words: dict[str, int] = field(default_factory=dict)        # occurrences of the noisy words above
    vocab: dict[str, int] = field(default_factory=dict)              # clean words → count
    bigrams: dict[str, int] = field(default_factory=dict)            # "w1 w2" (clean) → count
    stats: dict[str, float] = field(default_factory=dict)
    shapes: dict[str, dict[str, int]] = field(default_factory=dict)  # noisy token shape → clean shape → count
    shape_seen: dict[str, int] = field(default_factory=dict)         # occurrences of the noisy shapes above

    # -- learning ---------------------------------------------------------------------------------------------
    @classmethod
    def prior(cls) -> ConfusionModel:
        """The bundled generic model: no learned counts, only :data:`GENERIC_PRIOR` and :data:`GENERIC_WORDS`."""
        return cls(stats={"pairs": 0})

    @classmethod
    def fit(cls, pairs: Iterable[tuple[str, str]]) -> ConfusionModel:
        """Learn from ``(noisy, clean)`` texts (line by line where both have the same number of lines)."""
        edits: dict[str, Counter[str]] = defaultdict(Counter)
        words: dict[str, Counter[str]] = defaultdict(Counter)
        grams: Counter[str] = Counter()
        noisy_seen: Counter[str] = Counter()
        vocab: Counter[str] = Counter()
        bigrams: Counter[str] = Counter()
        kinds: Counter[str] = Counter()
        units: list[tuple[str, str]] = []
        n_pairs = edited_chars = clean_chars = 0
        for noisy_text, clean_text in pairs:
            n_pairs += 1
            for noisy, clean in line_pairs(noisy_text, clean_text):
                units.extend(token_units(noisy, clean))
                cores = [word_core(t).lower() for t in clean.split()]
                cores = [c for c in cores if c]
                vocab.update(c for c in cores if c.isalpha() or "'" in c or "-" in c)
                bigrams.update(f"{a} {b}" for a, b in zip(cores, cores[1:]))
                for kind, noisy_tok, clean_tok in word_alignment(noisy, clean):
                    kinds[kind] += 1
                    n_word = " ".join(word_core(t).lower() for t in noisy_tok.split())
                    c_word = " ".join(word_core(t).lower() for t in clean_tok.split())
                    if not n_word or not c_word:
                        continue
                    noisy_seen[n_word] += 1
                    clean_chars += len(c_word)
                    for size in range(1, MAX_SEGMENT + 1):
                        grams.update(c_word[i:i + size] for i in range(len(c_word) - size + 1))
                    if n_word == c_word:
                        continue
                    words[n_word][c_word] += 1
                    segments = char_edits(c_word, n_word)
                    if segments is None:
                        continue
                    for c_seg, n_seg in segments:
                        edits[c_seg][n_seg] += 1
                        edited_chars += max(len(c_seg), 1)
        shapes, shape_seen = learn_shapes(units)
        return cls(
            shapes=shapes, shape_seen=shape_seen,
            edits={c: dict(n) for c, n in edits.items()}, grams=dict(grams),
            words={n: dict(c) for n, c in words.items()},
            noisy_words={n: noisy_seen[n] for n in words},
            vocab=dict(vocab), bigrams=dict(bigrams),
            stats={"pairs": n_pairs, **{k: float(v) for k, v in kinds.items()},
                   "edit_rate": edited_chars / max(clean_chars, 1)},
        )

    # -- scoring ----------------------------------------------------------------------------------------------
    def edit_prob(self, clean: str, noisy: str) -> float:
        """P(``noisy`` read | ``clean`` printed) for one segment, smoothed towards the generic prior."""
        learned = self.edits.get(clean, {}).get(noisy, 0)
        prior = GENERIC_PRIOR.get((clean, noisy), UNSEEN if len(clean) <= 1 and len(noisy) <= 1 else UNSEEN / 10)
        if clean == " " or not clean:  # a word boundary lost, or a character inserted
            total = int(sum(self.stats.get(k, 0.0) for k in ("same", "sub", "split", "join")))
        else:
            total = self.grams.get(clean, 0)
        return (learned + PRIOR_STRENGTH * prior) / (total + PRIOR_STRENGTH)

    def channel_logp(self, clean: str, noisy: str) -> float:
        """log P(``noisy`` | ``clean``) for whole words: the sum over their edit segments, plus a small cost
        per unchanged character; ``-inf`` when the two are too different to be a confusion."""
        if clean == noisy:
            return len(clean) * math.log1p(-self.edit_rate)
        segments = char_edits(clean, noisy)
        if segments is None:
            return -math.inf
        changed = sum(len(c) for c, _ in segments)
        logp = (len(clean) - changed) * math.log1p(-self.edit_rate)
        return logp + sum(math.log(self.edit_prob(c, n)) for c, n in segments)

    def word_confusions(self, noisy: str) -> dict[str, float]:
        """Clean words that ``noisy`` (lower case) stood for in training, with P(clean | noisy), smoothed."""
        seen = self.noisy_words.get(noisy, 0)
        out = {clean: count / (seen + 1.0) for clean, count in self.words.get(noisy, {}).items()}
        for (n, clean), p in GENERIC_WORDS.items():
            if n == noisy:
                out[clean] = (out.get(clean, 0.0) * (seen + 1.0) + 2.0 * p) / (seen + 3.0)
        return out

    def times_misread(self, noisy: str) -> int:
        """How often training saw ``noisy`` (lower case) stand for another word; a word of the generic table
        (``tbe``) counts as seen more than once."""
        learned = sum(self.words.get(noisy, {}).values())
        return max(learned, 2) if any(n == noisy for n, _ in GENERIC_WORDS) else learned

    def rewrites(self, noisy: str, limit: int = 8) -> list[str]:
        """Words that ``noisy`` could be read back to by undoing one or two of the most frequent learned
        confusions (``vvhero`` → ``where``), most likely first; for candidates beyond two plain edits."""
        found: dict[str, float] = {}
        frontier = [(noisy, 0.0)]
        for _ in range(2):
            step: list[tuple[str, float]] = []
            for word, logp in frontier:
                for n_seg, c_seg, rule_logp in self._rules:
                    at = word.find(n_seg)
                    while at >= 0:
                        variant = word[:at] + c_seg + word[at + len(n_seg):]
                        score = logp + rule_logp
                        if variant != noisy and score > found.get(variant, -math.inf):
                            found[variant] = score
                            step.append((variant, score))
                        at = word.find(n_seg, at + 1)
            frontier = sorted(step, key=lambda kv: -kv[1])[:limit]
        return [w for w, _ in sorted(found.items(), key=lambda kv: -kv[1])[:limit * 4]]

    @cached_property
    def _rules(self) -> list[tuple[str, str, float]]:
        """(noisy seg, clean seg, log P) of the learned confusions seen at least 3 times and the generic prior's;
        the clean side letters only."""
        pairs = {(c, n) for c, by_noisy in self.edits.items() for n, count in by_noisy.items() if count >= 3}
        pairs |= set(GENERIC_PRIOR)
        rules = [(n, c, math.log(self.edit_prob(c, n))) for c, n in pairs
                 if c.isalpha() and n and not n.isspace() and not any(ch.isdigit() for ch in n)]
        return sorted(rules, key=lambda r: (-r[2], r[0], r[1]))  # ties in a fixed order: the same rewrites every run

    @property
    def edit_rate(self) -> float:
        return min(max(self.stats.get("edit_rate", 0.02), 0.005), 0.3)

    # -- storage ----------------------------------------------------------------------------------------------
    def to_json(self) -> dict[str, Any]:
        return {"format": FORMAT, "edits": self.edits, "grams": self.grams, "words": self.words,
                "noisy_words": self.noisy_words, "vocab": self.vocab, "bigrams": self.bigrams, "stats": self.stats,
                "shapes": self.shapes, "shape_seen": self.shape_seen}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ConfusionModel:
        if data.get("format") != FORMAT:
            raise ValueError(f"not a confusion model ({FORMAT}): format {data.get('format')!r}")
        return cls(edits=data["edits"], grams=data["grams"], words=data["words"], noisy_words=data["noisy_words"],
                   vocab=data["vocab"], bigrams=data["bigrams"], stats=data["stats"],
                   shapes=data.get("shapes", {}), shape_seen=data.get("shape_seen", {}))

    def save(self, path: str | Path) -> Path:
        target = Path(path)
        target.write_text(json.dumps(self.to_json(), ensure_ascii=False, sort_keys=True), encoding="utf-8")
        return target

    @classmethod
    def load(cls, path: str | Path) -> ConfusionModel:
        return cls.from_json(json.loads(Path(path).read_text(encoding="utf-8")))
