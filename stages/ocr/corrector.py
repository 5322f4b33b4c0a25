"""The noisy-channel OCR corrector, with the rules that keep it away from text that is not noisy.

For each word that looks wrong (not in the lexicon, or a known word the confusion model has seen misread),
candidates come from the lexicon (SymSpell, edit distance 1–2), from whole-word confusions learned from
data (``tho`` → ``the``) and from cutting a run-together word into two common words, themselves possibly
misread (``wifonf`` → ``wife of``, ``split_penalty`` against it; :mod:`tandem.stages.ocr.segment`). Each candidate is scored
``log P(noisy | candidate) + log P(candidate | neighbours)`` (confusion model × word bigrams) against
keeping the word as it is, and replaces it only when it wins by :attr:`CorrectorSettings.threshold`.

Stay-away rules:

* a document whose estimated noise (share of words that look misread, with a prior of
  ``noise_prior_words`` clean words) is under ``min_noise`` is left exactly as it is;
* a non-word repeated ``recur_min`` times in the document, none of whose candidates occur there as often, is
  taken as intended (a name, a dialect or archaic spelling) unless training saw it misread; so is a dictionary
  word whose best reading does not occur there at all, unless training saw it misread more than once (the land
  measure in ``1 rood and 5 perches``, seen once in training as ``road``, is kept);
* documents of ``long_words`` words or more, whose estimate rests on more evidence, are left alone only
  under ``long_min_noise``;
* capitalised words (names) need ``name_margin`` more evidence and are never split in two (``Easton`` is
  not ``East on``); words with digits are never touched;
* an author's spelling is the text (:mod:`tandem.stages.ocr.spelling`): a regular old spelling of a dictionary word
  (``hee``, ``owne``) counts as a word, and a non-word whose best reading differs only as spellings differ
  (``kitchin``, ``onely``) is kept; so are quoted foreign passages, short abbreviations before a full stop and
  words hyphenated where a line broke; a capital inside a lower-case word is read as ``ll``/``li`` (``shaU``);
* the less noisy the page, the more evidence a correction needs (``quiet_page_weight``); under ``shapes_only_noise``
  only letter-shape misreadings are corrected (:mod:`tandem.stages.ocr.shapes`: ``hke``, not ``loth`` → ``both``);
* a token of over :data:`~tandem.stages.ocr.tokens.MAX_WORD_CHARS` characters is no word (a URL, a hash, a line of symbols): it is left
  as it is and not counted (looking up its candidates, or its cuts into two words, would take time quadratic
  in its length).

Two adjacent tokens, not both dictionary words, are glued into one word (``undei standing`` →
``understanding``) when it beats both the tokens as they are and their best separate readings (``wo aro`` is
``we are``, not ``wear``) by ``join_threshold``; never before a capital that starts a word (``Mr Rex``).
A lone capital or ``1`` before a lower-case fragment is glued to it (``B inking``, ``1 lour`` → ``Flour``),
except the words ``I``/``A`` before a dictionary word and a ``1`` near a number (``2 acres, 1 rood``).

:meth:`OcrCorrector.propose` returns the decisions, including the ones in doubt (close candidates), so a
second opinion (the LLM) can choose among a fix's ``options`` without ever going outside them. The words a
page is cut into and the fixes (:class:`Fix`, :class:`Proposal`, :func:`apply_fixes`) live in
:mod:`tandem.stages.ocr.tokens`.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass, replace

from tandem.stages.ocr.confusion import ConfusionModel
from tandem.stages.ocr.lexicon import P_UNKNOWN, Lexicon
from tandem.stages.ocr.rules import apply_shape
from tandem.stages.ocr.segment import join_candidates, plain_split, split_candidates
from tandem.stages.ocr.shapes import INNER_CAPITAL_LOGP, inner_capital_readings, shape_options
from tandem.stages.ocr.skeleton import skeleton
from tandem.stages.ocr.spelling import foreign_passage, old_spelling_of, spelling_variant
from tandem.stages.ocr.tokens import (
    MAX_WORD_CHARS,
    PARTS,
    TOKEN,
    Fix,
    Proposal,
    Word,
    apply_fixes,
    split_words,
)

#: the fixes and the token limit live in :mod:`~tandem.stages.ocr.tokens`, inner capitals in
#: :mod:`~tandem.stages.ocr.shapes`; they are importable from here as before
__all__ = ["MAX_WORD_CHARS", "CorrectorSettings", "Fix", "OcrCorrector", "Proposal", "apply_fixes",
           "inner_capital_readings"]

_LETTER = re.compile(r"[A-Za-z]")
SKELETON_FUZZY = 7
_GARBAGE = re.compile(r"[^A-Za-z'\-]")
#: a lone capital (or the ``1`` OCR reads for one) followed by a lower-case fragment: a split word
_CAPITAL_READS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZ1")
#: a lone capital glued to the fragment after it needs this much more (its separate reading is rarely scored)
CAPITAL_JOIN_EXTRA = 2.0
@dataclass(frozen=True)
class CorrectorSettings:
    threshold: float = -3.0         # log-odds a correction must win by over keeping a non-word (P_UNKNOWN scale)
    real_word_threshold: float = 4.0  # ... over keeping a dictionary word the model has seen misread
    name_margin: float = 6.0        # extra log-odds for capitalised words
    recur_min: int = 3              # a word this frequent in a document, its best reading less so, is kept
    name_recur_min: int = 2         # ... a capitalised one (a name: "Maher", "Maher's")
    min_noise: float = 0.04         # documents with less estimated noise are left alone
    noise_prior_words: int = 40     # clean pseudo-words in the noise estimate (short texts need more evidence)
    long_words: int = 100           # documents of this many words or more ...
    long_min_noise: float = 0.02    # ... are left alone only under this noise (their estimate is more reliable)
    doubt_margin: float = 1.5       # decisions this close (log-odds) are "in doubt"
    max_candidates: int = 3         # options offered for a doubtful word (besides keeping it)
    join_threshold: float = 4.0     # log-odds for gluing two tokens over their best separate readings
    skeleton_bonus: float = 2.0     # log-odds for a candidate with the word's OCR skeleton (``olootorato``)
    split_penalty: float = 6.0      # log-odds against cutting a non-word into two corrected pieces (``wifonf``)
    old_spellings: bool = True      # a regular old spelling of a dictionary word (``owne``, ``hee``) is a word
    foreign_window: int = 3         # words on each side looked at: where under ``foreign_share`` of them are
    foreign_share: float = 0.5      # ... words, the passage is another language or a table: left alone (0: off)
    misread_logp: float = math.log(3e-5)  # a vowel or doubled-letter difference likelier than this is a misreading
    quiet_page_noise: float = 0.1   # on a page with less estimated noise than this, a correction needs ...
    quiet_page_weight: float = 1.0  # ... this × log(quiet_page_noise / noise) more log-odds
    shapes_only_noise: float = 0.05  # on a page whose share of misread-looking words is under this, only
    #                                 corrections that letter-shape misreadings explain (``hke`` → ``like``; 0: off)


def _match_case(template: str, word: str) -> str:
    letters = [c for c in template if c.isalpha()]
    if len(letters) > 1 and sum(c.isupper() for c in letters) > len(letters) / 2:
        return word.upper()
    if letters[:1] and letters[0].isupper():  # the first letter, not the first character ("¡Newcastle")
        return word[:1].upper() + word[1:]
    return word


class OcrCorrector:
    def __init__(self, model: ConfusionModel | None = None, settings: CorrectorSettings | None = None) -> None:
        self.model = model or ConfusionModel.prior()
        self.settings = settings or CorrectorSettings()
        self._lexicon: Lexicon | None = None
        self._cache: dict[tuple[str, bool], list[str]] = {}  # a word's candidates (the same for every document)

    @property
    def lexicon(self) -> Lexicon:
        if self._lexicon is None:
            self._lexicon = Lexicon(self.model)
        return self._lexicon

    def correct(self, text: str) -> str:
        proposal = self.propose(text)
        return apply_fixes(text, proposal.changes)

    # -- the document -----------------------------------------------------------------------------------------
    def propose(self, text: str) -> Proposal:
        s = self.settings
        words = split_words(text, self.lexicon.known)
        lowers = [w.lower for w in words]
        in_doc = Counter(w[:-2] if w.endswith("'s") else w for w in lowers)  # "Maher's" is Maher again
        fixes: list[Fix] = []
        suspicious = 0
        foreign = self._foreign(words) if s.foreign_window else set()
        joined = self._joins(text, words, foreign)
        for i, word in enumerate(words):
            if i in joined:
                join = joined.pop(i)
                if join is not None:
                    fixes.append(join)
                    suspicious += 1
                continue
            prev = self._context_word(words, i - 1, fixes)
            following = lowers[i + 1] if i + 1 < len(words) and self.lexicon.known(lowers[i + 1]) else None
            garbage = bool(_GARBAGE.search(word.core))
            fix = None if i in foreign else self._decide(word, prev, following, in_doc)
            if fix is not None and (fix.choice != fix.original or garbage):
                suspicious += 1
            elif garbage and _LETTER.search(word.core):
                suspicious += 1
            if fix is not None:
                fixes.append(fix)
        n = len(words)
        noise = suspicious / (n + s.noise_prior_words)
        if noise < (s.long_min_noise if n >= s.long_words else s.min_noise):
            return Proposal(text, [], noise, n, left_alone=True)
        # the less noisy the page, the likelier an unknown word is intended: more evidence needed
        extra = s.quiet_page_weight * max(0.0, math.log(s.quiet_page_noise / max(noise, 1e-3)))
        fixes = [f for f in fixes if f.spare >= extra]
        if suspicious / max(n, 1) < s.shapes_only_noise:  # the page's own share (no prior: a short text is no page)
            fixes = [f for f in map(shape_options, fixes) if f is not None]
        return Proposal(text, sorted(fixes + self._shape_fixes(text, fixes), key=lambda f: f.start), noise, n,
                        left_alone=False)

    def _foreign(self, words: list[Word]) -> set[int]:
        """Words in a passage where most neighbours are no (English) words: another language or a table,
        not misreadings to correct into English."""
        s = self.settings
        known = [self._known(w.lower) or not w.core.isalpha() for w in words]
        lowers = [w.lower.strip("'") for w in words]
        out = set()
        for i in range(len(words)):
            around = known[max(0, i - s.foreign_window):i] + known[i + 1:i + 1 + s.foreign_window]
            if (around and sum(around) < s.foreign_share * len(around)) or foreign_passage(lowers, i):
                out.add(i)
        return out

    def _shape_fixes(self, text: str, fixes: list[Fix]) -> list[Fix]:
        """Punctuation and stray symbols, by the reliable token-shape rules learned from pairs (tokens no
        word fix touches); a dropped token takes the space before it along."""
        if not self.model.shapes:
            return []
        taken = {i for f in fixes for i in range(f.start, f.end + 1)}
        out: list[Fix] = []
        for match in TOKEN.finditer(text):
            start, end = match.span()
            if start in taken or end in taken:
                continue
            new = apply_shape(match.group(0), self.model.shapes, self.model.shape_seen)
            if new is None:
                continue
            if not new and start > 0 and text[start - 1] == " " and start - 1 not in taken:
                start -= 1
            out.append(Fix(start, end, text[start:end], new, [text[start:end], new]))
        return out

    def _joins(self, text: str, words: list[Word], foreign: set[int]) -> dict[int, Fix | None]:
        """Words split in two by the OCR (``B inking`` → ``Banking``): index → the fix (first word) or None."""
        s, lex = self.settings, self.lexicon
        out: dict[int, Fix | None] = {}
        for i in range(len(words) - 1):
            a, b = words[i], words[i + 1]
            if i in out or i in foreign or i + 1 in foreign or a.fragment or b.fragment or a.suffix or b.prefix or "\n" in text[a.end:b.start]:
                continue
            capital = (len(a.core) == 1 and a.core in _CAPITAL_READS and b.core.isalpha() and b.core.islower()
                       and not (a.core in "AI" and self._known(b.lower))  # "I have", "A man"
                       and not (a.core == "1" and any(c.isdigit() for w in words[max(i - 3, 0):i] for c in w.core)))
            if not capital and not all(_LETTER.search(w.core) and not any(c.isdigit() or c == "." for c in w.core)
                                       for w in (a, b)):
                continue
            if ((not capital and any(len(w.core) == 1 and not w.core.islower() for w in (a, b))) or b.suffix == "."
                    or b.core == "s"):  # a lone "s" is a possessive that lost its apostrophe ("Turner s")
                continue  # initials ("H. West", "J R Collins"), abbreviations; "B inking" is a split word
            if not capital and b.core[:1].isupper() and not a.core.isupper():
                continue  # a capital starts a word ("Mr Rex")
            if self._known(a.lower) and self._known(b.lower) and len(a.core) > 1 and len(b.core) > 1:
                continue
            glued = a.lower + b.lower
            if len(glued) < 4:
                continue
            cands = join_candidates(lex, self.model, glued)
            if not cands:
                continue
            prev = words[i - 1].lower if i > 0 and lex.known(words[i - 1].lower) else None
            nxt = words[i + 2].lower if i + 2 < len(words) and lex.known(words[i + 2].lower) else None
            noisy, key = f"{a.lower} {b.lower}", skeleton(glued)
            best, score = max(((c, self.model.channel_logp(c, noisy) + lex.context_logp(prev, [c], nxt)
                                + (s.skeleton_bonus if len(glued) >= 5 and skeleton(c) == key else 0.0))
                               for c in sorted(cands)), key=lambda kv: kv[1])
            # against the tokens as they are, and against their best separate readings ("wo aro": "we are")
            keep = sum(self.model.channel_logp(w.lower, w.lower) + (math.log(lex.unigram(w.lower)) if lex.known(
                w.lower) else math.log(P_UNKNOWN * 0.4)) for w in (a, b)) + lex.context_logp(None, [], nxt)
            a_best, a_score = self._single_best(a, prev, None)
            keep = max(keep, a_score + self._single_best(b, a_best if lex.known(a_best) else None, nxt)[1])
            needed = s.join_threshold + (CAPITAL_JOIN_EXTRA if capital else 0.0)
            if not capital and a.core[:1].isupper():
                needed += s.name_margin
            if score - keep >= needed:
                original = text[a.start:b.end]
                template = ("I" if a.core == "1" else a.core) + b.core  # a glued "1" stood for a capital
                choice = a.prefix + _match_case(template, best) + b.suffix
                out[i] = Fix(a.start, b.end, original, choice, [original, choice], spare=score - keep - needed)
                out[i + 1] = None
        return out

    def _context_word(self, words: list[Word], i: int, fixes: list[Fix]) -> str | None:
        if i < 0:
            return None
        if fixes and fixes[-1].start == words[i].start and fixes[-1].choice != fixes[-1].original:
            last = PARTS.match(fixes[-1].choice)
            core = last.group(2).lower() if last else ""
            return core.split()[-1] if core.split() else None
        lower = words[i].lower
        return lower if self.lexicon.known(lower) else None

    # -- one word ---------------------------------------------------------------------------------------------
    def _decide(self, word: Word, prev: str | None, following: str | None, in_doc: Counter[str]) -> Fix | None:
        s = self.settings
        core, lower = word.core, word.lower
        if word.fragment or len(core) < 2 or any(c.isdigit() or c == "." for c in core) or not _LETTER.search(core):
            return None
        if core.endswith("-") or (len(core) <= 4 and word.suffix.startswith(".") and not self._known(lower)):
            return None  # half a word; an abbreviation ("fcap.", "Wm.", "impl.")
        known = self._known(lower)
        confusions = self.model.word_confusions(lower)
        if known and not confusions:
            return None
        keep, scored, needed = self._score(word, prev, following)
        if not scored:
            return None
        if core[:1].isupper() and (known or not core.isupper() or core.isalpha()):
            needed += s.name_margin  # a name, or a capitalised word misread as one ("Henry" is not "Berry")
        ranked = sorted(scored.items(), key=lambda kv: -kv[1])
        best, best_score = ranked[0]
        gain = best_score - keep
        recur_min = s.name_recur_min if core[:1].isupper() and not core.isupper() else s.recur_min
        if in_doc[lower] >= recur_min and in_doc[best] < in_doc[lower] and (
                max(confusions.values(), default=0.0) < 0.5 if not known
                else in_doc[best] == 0 and self.model.times_misread(lower) <= 1):
            gain = -math.inf  # consistent in this document, and not a misreading seen in training: intended
        close = len(ranked) > 1 and best_score - ranked[1][1] < s.doubt_margin
        doubt = abs(gain - needed) < s.doubt_margin or (gain >= needed and close)
        if gain < needed and not doubt:
            return None
        options = [word.prefix + core + word.suffix] + [
            word.prefix + _match_case(core, c) + word.suffix for c, _ in ranked[:s.max_candidates]]
        fix = Fix(word.start, word.end, options[0], options[0], options, doubt, spare=gain - needed)
        return replace(fix, choice=options[1]) if gain >= needed else fix

    def _score(self, word: Word, prev: str | None, following: str | None) -> tuple[float, dict[str, float], float]:
        """The score of keeping the word, of each candidate (noisy channel + bigrams), and the margin needed."""
        s, lex = self.settings, self.lexicon
        core, lower = word.core, word.lower
        known = self._known(lower)
        confusions = self.model.word_confusions(lower)
        keep_channel = self.model.channel_logp(lower, lower)
        scored: dict[str, float] = {}
        if known:
            keep = keep_channel + lex.context_logp(prev, [lower], following)
            for clean, p in confusions.items():
                if p >= 0.05 and clean != lower:
                    scored[clean] = math.log(p) - math.log1p(-min(p, 0.99)) + lex.context_logp(
                        prev, clean.split(), following) + keep_channel
            needed = s.real_word_threshold
        else:
            keep = keep_channel + math.log(P_UNKNOWN) + lex.context_logp(None, [], following) + math.log(0.4)
            key = skeleton(lower)
            readings = [c for c in sorted(inner_capital_readings(core)) if lex.known(c)]
            variants: set[str] = set()
            for clean in readings:  # a capital inside a word is a misread: its readings are the only candidates
                scored[clean] = INNER_CAPITAL_LOGP + keep_channel + lex.context_logp(prev, [clean], following)
            # a capitalised non-word is never split in two ("Easton" is not "East on")
            for clean in [] if readings else self._candidates(lower, confusions, split=not core[:1].isupper()):
                channel = self.model.channel_logp(clean, lower)
                if (s.old_spellings and clean not in confusions and channel < s.misread_logp
                        and spelling_variant(lower, clean)):
                    variants.add(clean)
                if clean in confusions:
                    channel = max(channel, math.log(confusions[clean]) + keep_channel)
                if channel == -math.inf:
                    continue
                scored[clean] = channel + lex.context_logp(prev, clean.split(), following)
                if " " in clean and clean not in confusions and not plain_split(lex, lower, clean):
                    scored[clean] -= s.split_penalty
                if len(lower) >= 5 and key == skeleton(clean):
                    scored[clean] += s.skeleton_bonus
            if variants and max(scored, key=lambda c: scored[c]) in variants:
                scored = {}  # the best reading is another spelling of the word, not a misreading ("kitchin")
            needed = s.threshold
        return keep, scored, needed

    def _single_best(self, word: Word, prev: str | None, following: str | None) -> tuple[str, float]:
        """The word's best reading on its own (itself or a candidate) and its score."""
        keep, scored, _ = self._score(word, prev, following)
        best = max(scored.items(), key=lambda kv: kv[1], default=(word.lower, keep))
        return (best[0], best[1]) if best[1] > keep else (word.lower, keep)

    def _known(self, lower: str) -> bool:
        lex = self.lexicon
        if lex.known(lower):
            return True
        if self.settings.old_spellings and old_spelling_of(lower, lex.known) is not None:
            return True  # an author's spelling of a dictionary word ("owne", "shee", "Devill"): a word
        if "-" in lower.strip("-") and lex.known(lower.replace("-", "")):
            return True  # a word hyphenated where a line broke ("mo-rocco", "imita-tion"): as printed
        if lower.endswith("'s") and lex.known(lower[:-2]):
            return True
        parts = [p for p in re.split(r"[-']", lower) if p]
        return len(parts) > 1 and all(lex.known(p) for p in parts)

    def _candidates(self, lower: str, confusions: dict[str, float], split: bool = True) -> list[str]:
        cached = self._cache.get((lower, split))
        if cached is None:
            if len(self._cache) > 50_000:
                self._cache.clear()
            cached = self._cache[lower, split] = self._find_candidates(lower, confusions, split)
        return cached

    def _find_candidates(self, lower: str, confusions: dict[str, float], split: bool) -> list[str]:
        lex = self.lexicon
        found = set(confusions)
        if len(lower) >= 3:
            found.update(lex.candidates(lower, 1 if len(lower) < 5 else 2))
        if len(lower) >= 4:
            found.update(lex.skeletons.lookup(lower, 0 if len(lower) < SKELETON_FUZZY else 1))
        if split and len(lower) >= 5:
            for i in range(2, len(lower) - 1):
                left, right = lower[:i], lower[i:]
                if lex.count(left) > 1_000_000 and lex.count(right) > 1_000_000:
                    found.add(f"{left} {right}")
        for variant in self.model.rewrites(lower):
            if lex.known(variant):
                found.add(variant)
            elif len(variant) >= 5:
                found.update(lex.candidates(variant, 1))
        if split:
            found.update(split_candidates(lex, self.model, lower))
        found.discard(lower)
        return sorted(found)
