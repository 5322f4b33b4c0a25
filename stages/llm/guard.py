"""Content guard: how much of an input an LLM rewrite keeps, and how much it invents.

Word-level alignment (difflib) on lower-cased word tokens: ``kept_ratio`` is the share of input
words matched in the output; ``added_ratio`` the share of output words not matched in the input.
A rewrite outside the thresholds is rejected and the input kept, with the reason recorded.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from difflib import SequenceMatcher

_WORD = re.compile(r"\w+", re.UNICODE)


def words(text: str) -> list[str]:
    return [w.lower() for w in _WORD.findall(text)]


@dataclass(frozen=True)
class GuardVerdict:
    accepted: bool
    kept_ratio: float
    added_ratio: float
    reason: str | None = None


@dataclass(frozen=True)
class ContentGuard:
    min_kept: float = 0.85
    max_added: float = 0.15
    max_length_ratio: float = 1.3

    def check(self, source: str, rewrite: str) -> GuardVerdict:
        src, out = words(source), words(rewrite)
        if not src:
            return GuardVerdict(not out, 1.0, 0.0 if not out else 1.0, None if not out else "output invents text")
        if not out:
            return GuardVerdict(False, 0.0, 0.0, "output is empty")
        matcher = SequenceMatcher(a=src, b=out, autojunk=False)
        matched = sum(block.size for block in matcher.get_matching_blocks())
        kept, added = matched / len(src), 1.0 - matched / len(out)
        if kept < self.min_kept:
            return GuardVerdict(False, kept, added, f"output drops {1 - kept:.0%} of the input words "
                                                    f"(limit {1 - self.min_kept:.0%})")
        if added > self.max_added:
            return GuardVerdict(False, kept, added, f"output adds {added:.0%} new words (limit {self.max_added:.0%})")
        if len(rewrite) > self.max_length_ratio * max(len(source), 1):
            return GuardVerdict(False, kept, added, "output is much longer than the input")
        return GuardVerdict(True, kept, added)
