"""OCR skeletons: words reduced to classes of characters that print-OCR confuses (``e``/``c``/``o``/``a``,
``i``/``l``/``t``/``f``/``1``, ``n``/``u``, ``h``/``b``, ``rn``/``m`` ...), so that a word garbled by several
confusions at once (``respootablo``, ``olootorato``, ``tlicm``) still finds its dictionary word
(``respectable``, ``electorate``, ``them``) although it is three or more plain edits away.

:class:`SkeletonIndex` maps skeletons to the words that have them, with a SymSpell index over the skeletons
for one or two further edits; built on first use from a word → count mapping.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

#: character sequences read for one another, folded to one before the classes below
MULTI: tuple[tuple[str, str], ...] = (("rn", "m"), ("in", "m"), ("ri", "n"), ("ii", "n"), ("li", "h"),
                                      ("vv", "w"), ("cl", "d"))
_CLASSES = {"o": "aceo0", "l": "iltfj1!|r", "n": "nu", "h": "hbk", "v": "vy", "s": "s«*$5", "g": "gq"}
_FOLD = {ch: key for key, chars in _CLASSES.items() for ch in chars}


def skeleton(word: str) -> str:
    """``word`` (any case) reduced to its OCR skeleton; characters outside the classes are kept,
    other non-letters dropped."""
    lower = word.lower()
    for seq, one in MULTI:
        lower = lower.replace(seq, one)
    return "".join(_FOLD.get(ch, ch if ch.isalpha() else "") for ch in lower)


class SkeletonIndex:
    """Dictionary words by OCR skeleton."""

    def __init__(self, counts: dict[str, int], min_length: int = 4) -> None:
        self.by_key: dict[str, list[str]] = defaultdict(list)
        for word in sorted(counts, key=lambda w: -counts[w]):
            if len(word) >= min_length and word.isalpha():
                self.by_key[skeleton(word)].append(word)
        self._sym: Any = None

    def _index(self) -> Any:
        if self._sym is None:
            from symspellpy import SymSpell

            sym = SymSpell(max_dictionary_edit_distance=2, prefix_length=7)
            for key, words in self.by_key.items():
                sym.create_dictionary_entry(key, len(words))
            self._sym = sym
        return self._sym

    def lookup(self, word: str, max_distance: int, limit: int = 12) -> list[str]:
        """Words whose skeleton is within ``max_distance`` edits of ``word``'s, most frequent first."""
        from symspellpy import Verbosity

        key = skeleton(word)
        if len(key) < 3:
            return []
        if max_distance == 0:
            return self.by_key.get(key, [])[:limit]
        found: list[str] = []
        for suggestion in self._index().lookup(key, Verbosity.ALL, max_edit_distance=max_distance):
            found.extend(self.by_key.get(suggestion.term, [])[:limit])
        return found[:limit * 3]
