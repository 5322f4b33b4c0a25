"""One reading of a name throughout a document: document-level consistency for predicted entities.

A recognizer labels each mention from a few words around it, so the same name can come out as ``ORG`` in one
sentence and ``LOC`` in the next, or be missed where its context is thin (a table row, a headline). A
document usually means one thing by one name, so after the recognizer has run, :func:`harmonize_entities`:

1. **votes**: every mention of the same words takes the label most of them have (a tie changes nothing);
2. **short names**: the last word of a multi-word person (``Clinton`` of ``Bill Clinton``) is that person
   elsewhere in the document;
3. **propagates**: an unlabelled, capitalised occurrence of a name labelled elsewhere in the document is
   labelled too, unless a capitalised word joins it on either side (then it is part of a longer name; a word
   capitalised only because it opens a sentence does not count);
4. **headlines**: a headline in capitals reads each name as the document writes it in running text
   (``ATALANTA`` is the club ``Atalanta`` of the report, not a place);
5. **datelines**: a news dateline's city (``MILWAUKEE , Wisconsin 1996-08-29``) is a place of the kind its region is.

Pure functions on token lists, no spaCy: ``(start, end, label)`` token spans per sentence of one document
(a document read as one piece is one "sentence"). Chosen on the selection half of CoNLL-2003 dev only
(see docs/benchmarks.md).
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Sequence

Span = tuple[int, int, str]  # (start token, end token exclusive, label)
Name = tuple[str, ...]

#: the label of a person, whose last name alone names them too
PERSON_LABELS = frozenset({"PER", "PERSON"})
_SENTENCE_ENDS = frozenset({".", "!", "?"})
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _capitalised(word: str) -> bool:
    return word[:1].isupper()


def _joins(words: Sequence[str], index: int) -> bool:
    """Whether ``words[index]`` is a capitalised word that is not one only because it opens a sentence."""
    if not 0 < index < len(words):
        return False  # outside the words, or the first word
    return _capitalised(words[index]) and words[index - 1] not in _SENTENCE_ENDS


def name_labels(tokens: Sequence[Sequence[str]], spans: Sequence[Sequence[Span]]) -> dict[Name, str]:
    """Each predicted name's label by majority over its mentions (names with a tied vote left out), plus
    persons' last names."""
    votes: dict[Name, Counter[str]] = defaultdict(Counter)
    for words, found in zip(tokens, spans, strict=True):
        for start, end, label in found:
            votes[tuple(words[start:end])][label] += 1
    labels: dict[Name, str] = {}
    for name, counts in votes.items():
        ranked = counts.most_common(2)
        if len(ranked) == 1 or ranked[0][1] > ranked[1][1]:
            labels[name] = ranked[0][0]
    for name, label in list(labels.items()):
        last = name[-1]
        if label in PERSON_LABELS and len(name) >= 2 and len(last) > 1 and _capitalised(last):
            labels[(last,)] = label
    return labels


def _all_caps(name: Name) -> bool:
    letters = "".join(name)
    return any(c.isalpha() for c in letters) and letters.isupper()


def _all_caps_sentence(words: Sequence[str]) -> bool:
    """A headline in capitals (``SOCCER - MILAN 'S LENTINI MOVES TO ATALANTA .``): two or more words with letters, all
    upper-case (a dateline's lone ``MILAN`` is not one)."""
    lettered = [w for w in words if any(c.isalpha() for c in w)]
    return len(lettered) >= 2 and all(w.isupper() for w in lettered)


def caps_labels(labels: dict[Name, str]) -> dict[Name, str]:
    """The labels of all-caps names (a headline's ``ATALANTA``) that the document also writes in mixed case
    (``Atalanta``): the mixed-case reading's label, read in running text (a name written both ways with two
    labels is left alone)."""
    mixed: dict[tuple[str, ...], set[str]] = defaultdict(set)
    for name, label in labels.items():
        if not _all_caps(name):
            mixed[tuple(w.casefold() for w in name)].add(label)
    found = {}
    for name in labels:
        if _all_caps(name):
            seen = mixed.get(tuple(w.casefold() for w in name), set())
            if len(seen) == 1:
                found[name] = next(iter(seen))
    return found


def _unlabelled_mentions(words: Sequence[str], taken: list[bool], names: dict[str, list[Name]]
                         ) -> list[tuple[int, Name]]:
    """Where the names (``names``: by first word, longest first) occur in ``words`` on free tokens with no
    capitalised word joining them (one that opens a sentence does not count); each found name's tokens are taken."""
    found = []
    for start, word in enumerate(words):
        for name in names.get(word, ()):
            end = start + len(name)
            if tuple(words[start:end]) != name or any(taken[start:end]):
                continue
            if _joins(words, start - 1) or _joins(words, end):
                continue
            found.append((start, name))
            taken[start:end] = [True] * len(name)
            break
    return found


def _date_start(words: Sequence[str]) -> int | None:
    """Where a closing ISO date (``1996-08-29``, one token or spaCy's five) starts in ``words``, if they end in one."""
    for start in (len(words) - 1, len(words) - 5):
        if start >= 0 and _ISO_DATE.fullmatch("".join(words[start:])):
            return start
    return None


def dateline_places(words: Sequence[str], spans: list[Span]) -> list[Span]:
    """A news dateline (``MILWAUKEE , Wisconsin 1996-08-29``: capitalised names and commas, then a date): the city
    is a place of the kind the recognizer found its region to be (the last name's label, whatever the label set)."""
    if len(spans) < 2:  # most sentences: no need to look for a date
        return spans
    date = _date_start(words)
    if date is None or not all(w == "," or _capitalised(w) for w in words[:date]):
        return spans
    region = spans[-1][2]
    return [(start, end, region) for start, end, _label in spans]


def harmonize_entities(tokens: Sequence[Sequence[str]], spans: Sequence[Sequence[Span]]) -> list[list[Span]]:
    """The entities of one document (``spans`` per sentence of ``tokens``) with one label per name and the
    unlabelled mentions of labelled names added; each sentence's spans sorted."""
    labels = name_labels(tokens, spans)
    headline_labels = {**labels, **caps_labels(labels)}
    by_first_word: dict[str, list[Name]] = defaultdict(list)
    for name in sorted(labels, key=len, reverse=True):
        if _capitalised(name[0]) and len("".join(name)) > 1:
            by_first_word[name[0]].append(name)
    result: list[list[Span]] = []
    for words, found in zip(tokens, spans, strict=True):
        known = headline_labels if _all_caps_sentence(words) else labels
        sentence = [(start, end, known.get(tuple(words[start:end]), label)) for start, end, label in found]
        taken = [False] * len(words)
        for start, end, _label in sentence:
            taken[start:end] = [True] * (end - start)
        sentence += [(start, start + len(name), labels[name])
                     for start, name in _unlabelled_mentions(words, taken, by_first_word)]
        result.append(dateline_places(words, sorted(sentence)))
    return result
