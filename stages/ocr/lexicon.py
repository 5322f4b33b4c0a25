"""Word probabilities in context: SymSpell's English unigram and bigram dictionaries (bundled with
``symspellpy``) interpolated with the clean-side words and word pairs of a confusion model.

The dictionaries load on first use (~1–2 s) and are shared by every :class:`Lexicon` in the process.
"""

from __future__ import annotations

import math
import threading
from functools import cached_property, lru_cache
from importlib import resources
from typing import Any

from tandem.stages.ocr.confusion import ConfusionModel
from tandem.stages.ocr.skeleton import SkeletonIndex

DICTIONARY_FILE = "frequency_dictionary_en_82_765.txt"
BIGRAM_FILE = "frequency_bigramdictionary_en_243_342.txt"
#: weight of the general English dictionaries against the learned (domain) counts
GENERAL_WEIGHT = 0.7
#: probability of a word neither dictionary knows (a name, a rare word, or an error)
P_UNKNOWN = 1e-8
#: stupid-backoff factor for an unseen word pair
BACKOFF = 0.4
_LOCK = threading.Lock()


@lru_cache(maxsize=1)
def _general() -> tuple[Any, dict[str, int], int]:
    """SymSpell (unigram dictionary, edit distance 2), its bigram counts, and the unigram total."""
    from symspellpy import SymSpell

    sym = SymSpell(max_dictionary_edit_distance=2, prefix_length=7)
    sym.load_dictionary(str(resources.files("symspellpy") / DICTIONARY_FILE), term_index=0, count_index=1)
    bigrams: dict[str, int] = {}
    path = resources.files("symspellpy") / BIGRAM_FILE
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            parts = line.split()
            if len(parts) == 3:
                bigrams[f"{parts[0]} {parts[1]}"] = int(parts[2])
    return sym, bigrams, sum(sym.words.values())


@lru_cache(maxsize=1)
def english_words() -> frozenset[str]:
    """The words of SymSpell's English unigram dictionary (lower case; no SymSpell index built)."""
    with (resources.files("symspellpy") / DICTIONARY_FILE).open(encoding="utf-8") as handle:
        return frozenset(line.split(" ", 1)[0] for line in handle if line.strip())


def general_dictionary() -> tuple[Any, dict[str, int], int]:
    with _LOCK:
        return _general()


class Lexicon:
    """P(word), P(word | previous word) and spelling candidates, general English plus a learned lexicon."""

    def __init__(self, model: ConfusionModel, min_learned: int = 2) -> None:
        self.model = model
        self.learned = {w: c for w, c in model.vocab.items() if c >= min_learned}
        self.learned_total = max(sum(model.vocab.values()), 1)
        self.sym, self.sym_bigrams, self.sym_total = general_dictionary()
        self.sym_words: dict[str, int] = self.sym.words

    def known(self, word: str) -> bool:
        return word in self.sym_words or word in self.learned

    def count(self, word: str) -> int:
        return int(self.sym_words.get(word, 0))

    def unigram(self, word: str) -> float:
        general = self.sym_words.get(word, 0) / self.sym_total
        domain = self.model.vocab.get(word, 0) / self.learned_total
        if not self.model.vocab:
            return general or P_UNKNOWN
        return GENERAL_WEIGHT * general + (1 - GENERAL_WEIGHT) * domain or P_UNKNOWN

    def bigram(self, prev: str | None, word: str) -> float:
        """P(word | prev) by interpolated relative frequencies, backing off to :meth:`unigram`."""
        if prev is None:
            return self.unigram(word)
        key = f"{prev} {word}"
        general = self.sym_bigrams.get(key, 0) / self.sym_words[prev] if prev in self.sym_words else 0.0
        domain = self.model.bigrams.get(key, 0) / self.model.vocab[prev] if prev in self.model.vocab else 0.0
        p = general if not self.model.vocab else GENERAL_WEIGHT * general + (1 - GENERAL_WEIGHT) * domain
        return min(p, 1.0) if p > 0 else BACKOFF * self.unigram(word)

    def context_logp(self, prev: str | None, words: list[str], following: str | None) -> float:
        """log P of ``words`` after ``prev`` and of ``following`` after them (both sides of a gap)."""
        logp = 0.0
        for word in words:
            logp += math.log(self.bigram(prev, word))
            prev = word
        if following is not None:
            logp += math.log(self.bigram(prev, following))
        return logp

    def candidates(self, word: str, max_distance: int) -> list[str]:
        """Known words within ``max_distance`` edits of ``word`` (general dictionary and learned words)."""
        from symspellpy import Verbosity

        found = [s.term for s in self.sym.lookup(word, Verbosity.ALL, max_edit_distance=max_distance)]
        if self.learned_index is not None:
            found += [s.term for s in self.learned_index.lookup(word, Verbosity.ALL, max_edit_distance=max_distance)
                      if s.term not in self.sym_words]
        return found

    @cached_property
    def learned_index(self) -> Any:
        """A SymSpell index of the learned words the general dictionary lacks (None when there are none)."""
        extra = {w: c for w, c in self.learned.items() if w not in self.sym_words and w.isalpha()}
        if not extra:
            return None
        from symspellpy import SymSpell

        index = SymSpell(max_dictionary_edit_distance=2, prefix_length=7)
        for word, count in extra.items():
            index.create_dictionary_entry(word, count)
        return index

    @cached_property
    def skeletons(self) -> SkeletonIndex:
        """The general and learned words by OCR skeleton (for words garbled beyond two plain edits)."""
        counts = dict(self.sym_words)
        counts.update({w: c for w, c in self.learned.items() if w not in counts})
        return SkeletonIndex(counts)
