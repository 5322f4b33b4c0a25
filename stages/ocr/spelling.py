"""Historical spelling: an author's systematic forms are the text, not OCR noise.

OCR errors are random; old spelling follows regular patterns: a final *-e* (``owne``, ``doore``, ``soone``),
doubled letters (``hee``, ``shee``, ``Devill``, ``kettell``), *u*/*v* and *i*/*j* used either way (``vpon``,
``haue``, ``iust``), *y* for *i* (``tyme``), *-ie* for *-y* (``citie``), long s (``ſ``), *-ck*/*-cke* for *-k*
(``publicke``). :func:`modern_forms` undoes those patterns (each alone and together); a word one of whose
modern forms is a dictionary word is an old spelling of that word, and the corrector treats it like a
dictionary word: kept unless the confusion model has seen that very form misread.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from difflib import SequenceMatcher
from itertools import product

_DOUBLED = re.compile(r"([a-z])\1")
_MAX_LEN = 20  # longer words: no variants (their combinations grow, and old spelling is rare there)


def _final_e(word: str) -> set[str]:
    return {word[:-1]} if len(word) >= 3 and word.endswith("e") else set()


def _doubled(word: str) -> set[str]:
    return {word[:m.start()] + word[m.start() + 1:] for m in _DOUBLED.finditer(word)}


def _letter_swaps(word: str) -> set[str]:
    out = set()
    for i, ch in enumerate(word):
        swap = {"u": "v", "v": "u", "i": "j", "j": "i", "y": "i"}.get(ch)
        if swap:
            out.add(word[:i] + swap + word[i + 1:])
    return out


def _endings(word: str) -> set[str]:
    out = set()
    for old, new in (("ie", "y"), ("ck", "c"), ("cke", "c"), ("cke", "ck"), ("our", "or"), ("eth", "es"),
                     ("ies", "ys"), ("es", "s")):
        if word.endswith(old) and len(word) > len(old) + 1:
            out.add(word[:-len(old)] + new)
    return out


_RULES: tuple[Callable[[str], set[str]], ...] = (_final_e, _doubled, _letter_swaps, _endings)


def modern_forms(lower: str, depth: int = 2) -> set[str]:
    """The forms ``lower`` takes with up to ``depth`` historical patterns undone (``hee`` → ``he``,
    ``owne`` → ``own``, ``vpon`` → ``upon``); ``lower`` itself not included."""
    lower = lower.replace("ſ", "s")
    if len(lower) > _MAX_LEN or not lower.isalpha():
        return set()
    seen: set[str] = set()
    frontier = {lower}
    for _ in range(depth):
        frontier = {new for word, rule in product(frontier, _RULES) for new in rule(word)} - seen - {lower}
        seen |= frontier
    return seen


def old_spelling_of(lower: str, known: Callable[[str], bool]) -> str | None:
    """The dictionary word ``lower`` is an old spelling of, or None (``owne`` → ``own``; ``shaU`` → None)."""
    found = sorted(form for form in modern_forms(lower) if known(form))
    return min(found, key=lambda form: (-len(form), form)) if found else None


def same_modern_word(a: str, b: str) -> bool:
    """Whether ``a`` and ``b`` are spellings of one word (``hee``/``he``, ``doore``/``door``): replacing one by
    the other changes spelling, not the word."""
    forms_a = modern_forms(a) | {a}
    return b in forms_a or bool(forms_a & (modern_forms(b) | {b}))



#: frequent function words of the languages English books quote most (German, French, Latin, Dutch, Danish,
#: Italian, Spanish) that are no English words: a passage rich in them is a quotation, not misread English
FOREIGN_FUNCTION_WORDS = frozenset("""
und der die das ein eine einen dem den des ist sich nicht mit von zu auf aus bei nach wie wir ihr sie er es
ich du auch noch nur oder aber wenn dann gar sehr wol wo zum zur vnd vnnd
le la les un une des du et est dans pour qui que sur pas par avec sont au aux ce cette il elle ils nous vous
et est sunt non cum ad ut quod enim sed atque quae qui quam ab ex sic hic haec hoc nec neque ac esse
het een van en ik niet dat wat zijn op te voor og af til er det ikke som med paa jeg har
il di che della delle nel non per con sono gli una el los las del por con para como
""".split()) - frozenset("""a i in to be so on as an at me he we no do man was is of or am us""".split())
#: frequent English function words (the other side of the count)
ENGLISH_FUNCTION_WORDS = frozenset("""
the and of to in is that it was for with as his he be by on not at this had but from they which or are you
her she their have were an all been has will would there what when who him its one so if them into my than
""".split())


def foreign_passage(lowers: list[str], i: int, window: int = 5) -> bool:
    """Whether word ``i`` stands among more foreign function words than English ones (at least two)."""
    around = lowers[max(0, i - window):i + window + 1]
    foreign = sum(w in FOREIGN_FUNCTION_WORDS for w in around)
    return foreign >= 2 and foreign > sum(w in ENGLISH_FUNCTION_WORDS for w in around)


_VOWELS = frozenset("aeiouy")
#: vowel pairs OCR confuses by shape (``tho``/``the``, ``aro``/``are``): a substitution between them is a misreading
_SHAPE_VOWELS = frozenset({("e", "o"), ("o", "e"), ("a", "o"), ("o", "a"), ("e", "a"), ("a", "e")})


def spelling_variant(word: str, candidate: str) -> bool:
    """Whether ``candidate`` differs from ``word`` only as spellings differ, not as OCR misreads: vowels added,
    dropped or exchanged (``kitchin``/``kitchen``, ``onely``/``only``, ``suddainly``/``suddenly``; not the
    shape pairs ``e``/``o``, ``a``/``o``, ``e``/``a``), or a letter doubled or undoubled (``busines``,
    ``shal``)."""
    if " " in candidate or word == candidate:
        return False
    for op, i1, i2, j1, j2 in SequenceMatcher(a=word, b=candidate, autojunk=False).get_opcodes():
        if op == "equal":
            continue
        old, new = word[i1:i2], candidate[j1:j2]
        if op == "replace":
            if not (set(old) <= _VOWELS and set(new) <= _VOWELS) or (old, new) in _SHAPE_VOWELS:
                return False
            continue
        changed, side, at = (new, candidate, j1) if op == "insert" else (old, word, i1)
        doubled = len(changed) == 1 and changed in (side[at - 1:at] + side[at + 1:at + 2])
        if not (set(changed) <= _VOWELS or doubled):
            return False
    return True
