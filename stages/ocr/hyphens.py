"""Words an OCR'd page hyphenated where a line broke, joined again: ``informa-\\ntion`` → ``information``.

Printed pages break long words at the end of a line; OCR keeps the hyphen and the line break, and every stage
after it (the corrector, spaCy's tokenizer, the summarizers, search) then sees two fragments instead of the
word (``Wash-`` and ``ington`` are no place name). :func:`join_broken_words` joins the two halves on the first
line and moves the line break after the joined word, so the page keeps its number of lines.

A compound hyphenated at its own hyphen stays as printed: when both halves are words and the joined form is not
(``well-\\nknown``, ``self-\\ngovernment``), the hyphen is the compound's. A second half that opens with a
capital or a digit (``Anglo-\\nSaxon``, ``1914-\\n18``) is left alone too.
"""

from __future__ import annotations

import re
from collections.abc import Callable

#: a word, a hyphen at the end of its line, the next line's first word (lower case) and the punctuation after it
#: (``\b`` first: a long run of letters is tried once, not from each of its letters: linear time)
_BROKEN = re.compile(r"\b(\w*[^\W\d_])-[ \t]*\n([ \t]*)([a-z][\w']*)([^\s]*)[ \t]*")
_HYPHEN_AT_LINE_END = re.compile(r"-[ \t]*\n")


def join_broken_words(text: str, known: Callable[[str], bool]) -> str:
    """``text`` with words hyphenated across a line break joined, unless the hyphen is a compound's.

    ``known(word)`` says whether a lower-case word is a dictionary word. The line break moves after the joined
    word and its punctuation (``informa-\\ntion, and`` → ``information,\\nand``); a second half alone on its
    line leaves no empty line.
    """

    def join(match: re.Match[str]) -> str:
        first, indent, second, after = match.group(1), match.group(2), match.group(3), match.group(4)
        if known(first.lower()) and known(second.lower()) and not known((first + second).lower()):
            return match.group(0)  # a compound's own hyphen
        end = match.end()
        line_goes_on = end < len(text) and text[end] != "\n"
        return first + second + after + ("\n" + indent if line_goes_on else "")

    if not _HYPHEN_AT_LINE_END.search(text):
        return text
    return _BROKEN.sub(join, text)
