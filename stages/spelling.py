"""Dictionary-based spelling corrector (SymSpell with its bundled English frequency dictionary).

Two jobs in cleanup:

* :meth:`SpellChecker.correct` fixes OCR-style non-words in place (``Lnnd`` → ``Land``) when the
  dictionary offers one clear candidate at a small edit distance;
* :meth:`SpellChecker.verify_rewrite` merges an LLM rewrite into its source token by token and keeps a
  changed word only when the source word is not a dictionary word and the LLM's word is, at a small
  edit distance. Insertions, deletions and every other change are dropped, so the LLM can fix typos
  but never lose or invent content.

Whitespace and line structure of the source are preserved.
"""

from __future__ import annotations

import re
import threading
from difflib import SequenceMatcher
from functools import lru_cache
from importlib import resources
from typing import Any

from rapidfuzz.distance import DamerauLevenshtein

_TOKEN = re.compile(r"\S+")
_CORE = re.compile(r"^([^\w]*)([A-Za-z]+(?:'[A-Za-z]+)?)([^\w]*)$")
DICTIONARY_FILE = "frequency_dictionary_en_82_765.txt"


@lru_cache(maxsize=1)
def _load_symspell() -> Any:
    from symspellpy import SymSpell

    sym = SymSpell(max_dictionary_edit_distance=2, prefix_length=7)
    path = resources.files("symspellpy") / DICTIONARY_FILE
    sym.load_dictionary(str(path), term_index=0, count_index=1)
    return sym


def _match_case(template: str, word: str) -> str:
    if template.isupper() and len(template) > 1:
        return word.upper()
    if template[:1].isupper():
        return word[:1].upper() + word[1:]
    return word


class SpellChecker:
    """Cheap to build; the 82k-word dictionary loads on first use (~1 s)."""

    def __init__(self, min_length: int = 4, min_count: int = 10_000) -> None:
        self.min_length = min_length
        self.min_count = min_count
        self._lock = threading.Lock()

    @property
    def symspell(self) -> Any:
        with self._lock:
            return _load_symspell()

    def known(self, word: str) -> bool:
        return word.lower() in self.symspell.words

    def _max_distance(self, word: str) -> int:
        return 1 if len(word) < 7 else 2

    def suggestion(self, word: str) -> str | None:
        """The single clear dictionary candidate for a non-word, or None."""
        from symspellpy import Verbosity

        lower = word.lower()
        if len(lower) < self.min_length or self.known(lower):
            return None
        found = self.symspell.lookup(lower, Verbosity.CLOSEST, max_edit_distance=self._max_distance(lower))
        if not found or found[0].count < self.min_count:
            return None
        if len(found) > 1 and found[1].distance == found[0].distance and found[1].count * 20 > found[0].count:
            return None  # ambiguous: two plausible words
        return _match_case(word, found[0].term)

    def correct(self, text: str) -> tuple[str, int]:
        """Replace clear non-words in place; returns the text and the number of changes."""
        changes = 0

        def fix(match: re.Match[str]) -> str:
            nonlocal changes
            parts = _CORE.match(match.group(0))
            # only lower-case plain words: capitalised ones are mostly names the dictionary lacks
            if not parts or not parts.group(2).islower() or "'" in parts.group(2):
                return match.group(0)
            better = self.suggestion(parts.group(2))
            if better is None:
                return match.group(0)
            changes += 1
            return parts.group(1) + better + parts.group(3)

        return _TOKEN.sub(fix, text), changes

    def verify_rewrite(self, source: str, rewrite: str) -> tuple[str, int]:
        """Keep only the LLM's dictionary-verified word fixes; returns merged text and accepted changes."""
        src_tokens = list(_TOKEN.finditer(source))
        out_tokens = _TOKEN.findall(rewrite)
        matcher = SequenceMatcher(a=[t.group(0).lower() for t in src_tokens], b=[t.lower() for t in out_tokens],
                                  autojunk=False)
        replacements: dict[int, str] = {}
        for op, a0, a1, b0, b1 in matcher.get_opcodes():
            if op != "replace" or a1 - a0 != b1 - b0:
                continue
            for offset in range(a1 - a0):
                old, new = src_tokens[a0 + offset].group(0), out_tokens[b0 + offset]
                if self._acceptable(old, new):
                    replacements[a0 + offset] = new
        if not replacements:
            return source, 0
        pieces, last = [], 0
        for index, token in enumerate(src_tokens):
            if index in replacements:
                pieces.append(source[last:token.start()])
                pieces.append(replacements[index])
                last = token.end()
        pieces.append(source[last:])
        return "".join(pieces), len(replacements)

    def _acceptable(self, old: str, new: str) -> bool:
        old_parts, new_parts = _CORE.match(old), _CORE.match(new)
        if not old_parts or not new_parts:
            return False
        if (old_parts.group(1), old_parts.group(3)) != (new_parts.group(1), new_parts.group(3)):
            return False  # punctuation around the word must not change
        old_word, new_word = old_parts.group(2), new_parts.group(2)
        if self.known(old_word) or not self.known(new_word):
            return False
        return DamerauLevenshtein.distance(old_word.lower(), new_word.lower()) <= self._max_distance(old_word)
