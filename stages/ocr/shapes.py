"""Whether a correction is explained by how OCR misreads letter shapes.

On a quiet page (little estimated noise) most unknown words are the author's (old spellings, names, rare
words), and the few true misreadings are of letter *shapes*: thin letters merged or split (``shaU`` for
*shall*, ``hke`` for *like*, ``stdl`` for *still*), ``rn``/``m``, ``u``/``n``, ``c``/``e``, long s. A
correction that needs other differences (a vowel exchanged, letters dropped, ``loth`` → *both*,
``chuse`` → *use*) is then far likelier to damage the text than to mend it. :func:`shape_explained`
says whether a noisy token can be read as a candidate through such shape confusions alone.
:func:`inner_capital_readings` reads a capital inside a lower-case word as the thin letters it stands for.
"""

from __future__ import annotations

import math
import re
from dataclasses import replace
from functools import lru_cache

from tandem.stages.ocr.tokens import Fix

#: a capital inside a lower-case word is a misread pair of thin letters (``shaU`` → ``shall``, ``kilHng``)
_INNER_CAPITAL = re.compile(r"(?<=[a-z])[UHI]")
_INNER_READINGS = {"U": ("ll", "il", "li"), "H": ("ll", "li", "il"), "I": ("l",)}
#: log P(noisy | clean) of such a reading
INNER_CAPITAL_LOGP = math.log(0.05)


def inner_capital_readings(core: str) -> set[str]:
    """Lower-case readings of ``core`` with each capital inside a lower-case word read as the thin letters it
    usually stands for (``weU`` → ``well``, ``aH`` → ``all``, ``CoUection`` → ``collection``)."""
    found = {core.lower()}
    for match in reversed(list(_INNER_CAPITAL.finditer(core))):
        found = {w[:match.start()] + reading + w[match.end():] for w in found
                 for reading in _INNER_READINGS[match.group(0)]}
    return found - {core.lower()} if len(found) <= 27 else set()


#: (as printed, as meant): misreadings of letter shapes; identical letters always match
SHAPE_READINGS: frozenset[tuple[str, str]] = frozenset({
    # thin letters merged into one wider shape, or one read as another
    ("h", "li"), ("h", "il"), ("h", "ll"), ("H", "li"), ("H", "il"), ("H", "ll"), ("U", "ll"), ("U", "li"),
    ("U", "il"), ("d", "il"), ("d", "ll"), ("d", "cl"), ("d", "l"), ("I", "l"), ("i", "l"),
    ("l", "i"), ("1", "l"), ("l", "1"), ("1", "i"), ("i", "1"), ("!", "l"), ("|", "l"), ("t", "f"), ("f", "t"),
    ("li", "h"), ("cl", "d"), ("i", "u"), ("ii", "u"), ("u", "ii"),
    # long s and its neighbours
    ("f", "s"), ("s", "f"), ("ſ", "s"),
    # round and open shapes, descenders
    ("b", "h"), ("h", "b"), ("u", "n"), ("n", "u"), ("iu", "in"), ("rn", "m"), ("m", "rn"), ("in", "m"),
    ("m", "in"), ("ni", "m"), ("m", "ni"), ("c", "e"), ("e", "c"), ("v", "y"), ("y", "v"), ("vv", "w"),
    ("w", "vv"), ("0", "o"), ("o", "0"),
    # a space or an apostrophe the scan added
    (" ", ""), ("'", ""),
})
_LONGEST = max(len(a) for a, _ in SHAPE_READINGS)


def _fold(token: str) -> str:
    """Lower-case, except a capital inside a lower-case word (``shaU``): that capital is a misread shape."""
    out = []
    for i, ch in enumerate(token):
        inner = ch in "UHI" and i > 0 and token[i - 1].islower()
        out.append(ch if inner else ch.lower())
    return "".join(out)


@lru_cache(maxsize=20_000)
def shape_explained(noisy: str, clean: str) -> bool:
    """True when ``noisy`` reads as ``clean`` through :data:`SHAPE_READINGS` alone (case aside)."""
    a, b = _fold(noisy), clean.lower()
    reach = [[False] * (len(b) + 1) for _ in range(len(a) + 1)]
    reach[0][0] = True
    for i in range(len(a) + 1):
        for j in range(len(b) + 1):
            if not reach[i][j]:
                continue
            if i < len(a) and j < len(b) and a[i] == b[j]:
                reach[i + 1][j + 1] = True
            for k in range(1, _LONGEST + 1):
                printed = a[i:i + k]
                if len(printed) < k:
                    break
                for meant_len in range(0, 3):
                    if j + meant_len <= len(b) and (printed, b[j:j + meant_len]) in SHAPE_READINGS:
                        reach[i + k][j + meant_len] = True
    return reach[len(a)][len(b)]


_EDGE = re.compile(r"^[^\w'ſ]+|[^\w'ſ]+$")


def shape_options(fix: Fix) -> Fix | None:
    """``fix`` with only the options letter-shape misreadings explain (:func:`shape_explained`); None
    when keeping the word is all that is left."""
    core = _EDGE.sub("", fix.original)
    options = [fix.options[0]] + [o for o in fix.options[1:] if shape_explained(core, _EDGE.sub("", o))]
    if len(options) == 1 or (fix.choice not in options and not fix.doubt):
        return None
    return replace(fix, options=options, choice=fix.choice if fix.choice in options else fix.original)
