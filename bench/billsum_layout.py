"""Re-wrap preprocessed BillSum bills into the official BillSum ``text`` layout, independently.

The shared bills (``<SECTION-HEADER>`` markers, one line per bill) become what users of the official dataset see::

    SEC. 2. DEFINITIONS.

        In this Act:
                (1) Controlled substance.--The term ``controlled
            substance'' has the meaning given ...

``SECTION 1.`` / ``SEC. n. HEADING.``; subsections ``(a)`` open at 4 spaces, ``(1)`` at 12, ``(A)`` at 20, ``(i)`` at 28,
wrapped lines hang 4 to the left (8 under a paragraph), section text wraps to column 0; 70 columns; TeX quotes.
Deterministic; the summaries are copied unchanged. This module imports nothing from ``specialists``: its rules are
its own, deliberately simple ones, so that a summarizer is not graded on a layout built by the code it tests.

* Sentences end at ``.?!`` (and closing quotes) before a space and a capital or an opening quote, except after a
  short list of abbreviations; ``: `` before a capital ends a lead-in, whose sentences are items one level deeper.
* A heading is a sentence of at most 10 words ending in ``.``, with no verb of a short list, not opening with an
  article; a run of headings nests; the last prints as ``Heading.--Text``.
* As in real bills: a list item without a heading ends in ``;`` / ``; and`` / ``; or`` before a sibling; quoted
  amendment text opens each paragraph with a quote up to the closing ``''.``; a whole inserted section (``"Section
  116. HEADING.``) prints its heading at the margin (```SEC. 116. HEADING.``, or title 38's ```Sec. 116. Heading``);
  a clerical amendment's table item and a table of contents print one ``Sec. N. Entry.`` per line; ``X shall
  <verb> ...`` followed by sentences opening with a verb prints as the ``X shall--`` list it was.
  ``--plain`` gives the re-wrap before 2026-12-04 (items end in ``.``, nothing quoted, no such lines or lists).

    python bench/billsum_layout.py ../shared/datasets/billsum/billsum_test_200.jsonl /tmp/billsum_official.jsonl
    python bench/billsum_layout.py IN OUT --start 150 --stop 200   # a slice (bills 150-199)

Write the output outside the repository (``/tmp``): dataset text is never committed.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import textwrap
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))  # the bench folder is not a package
from billsum_sentences import _CONJUNCTION, _VERBS, is_heading, modal_lists, sentences_of  # noqa: E402

sys.path.pop(0)  # bench/dask.py must not shadow the dask package in a process that loaded this module

MARKER = "<SECTION-HEADER>"
WIDTH = 70
#: first-line indent of each level: 0 section text, 1 subsection (a), 2 paragraph (1), 3 (A), 4 (i)
INDENT = (4, 4, 12, 20, 28)
_ROMAN = ("i", "ii", "iii", "iv", "v", "vi", "vii", "viii", "ix", "x", "xi", "xii", "xiii", "xiv", "xv")
_SMALL = frozenset("a an and as at by for from in of on or the to with".split())


def _fill(text: str, first: int = 0, rest: int = 0) -> str:
    """``text`` wrapped at :data:`WIDTH`, the first line indented ``first`` spaces and the others ``rest``."""
    return textwrap.fill(text, WIDTH, initial_indent=" " * first, subsequent_indent=" " * rest,
                         break_long_words=False, break_on_hyphens=False)


def tex_quotes(text: str) -> str:
    """``"Act"`` -> ``\u0060\u0060Act''``: an opening quote follows white space or a bracket."""
    out = []
    for i, ch in enumerate(text):
        if ch == '"':
            prev = text[i - 1] if i else " "
            out.append("``" if prev.isspace() or prev in "([" else "''")
        else:
            out.append(ch)
    return "".join(out)


def _title_case(heading: str) -> str:
    words = heading.split()
    return " ".join(w if (i and w.lower() in _SMALL) or not w[:1].isalpha() else w[:1].upper() + w[1:]
                    for i, w in enumerate(words))


def marker(level: int, number: int) -> str:
    """``(a)``, ``(1)``, ``(A)``, ``(i)`` for the ``number``-th (0-based) item of ``level`` 1-4."""
    if level == 1:
        return f"({chr(ord('a') + number % 26)})"
    if level == 2:
        return f"({number + 1})"
    if level == 3:
        return f"({chr(ord('A') + number % 26)})"
    return f"({_ROMAN[number % len(_ROMAN)]})"


class _Block:
    """One printed paragraph: its level (0 section text, 1-4 items), ``.--`` heading and sentences."""

    def __init__(self, level: int, heading: str = "", text: list[str] | None = None) -> None:
        self.level = level
        self.heading = heading
        self.text = text or []


class _Nesting:
    """The open items of one section: the current level and the stack of open list levels."""

    def __init__(self) -> None:
        self.blocks: list[_Block] = []
        self.level = 0
        self.lists: list[int] = []
        self.dash_list: tuple[int, int] | None = None  # (items' level, lead-in's level) of an open ``shall--`` list

    def open(self, level: int, heading: str = "", text: str = "") -> None:
        self.blocks.append(_Block(level, heading, [text] if text else []))
        self.level = level

    def headings(self, run: list[str], text: str) -> None:
        """A run of headings, then the sentence that follows them."""
        if len(run) == 1 and self.lists:
            while len(self.lists) > 1:
                self.lists.pop()  # a heading after (A) items is the next item of the outer list
            start = self.lists[-1]
        elif len(run) == 1:
            start = max(self.level, 1)
        else:
            self.lists.clear()
            start = max(1, self.level - 1)
        for offset, heading in enumerate(run):
            level = min(4, start + offset)
            self.open(level, heading, text if offset == len(run) - 1 else "")

    def sentence(self, text: str) -> None:
        if self.dash_list and not _continues_item_list(text):
            items, lead = self.dash_list  # a ``shall--`` list ends at the first sentence that is not an item
            self.dash_list = None
            if self.lists and self.lists[-1] == items:
                self.lists.pop()
            self.open(lead, text=text)
            return
        if self.lists and self.lists[-1] > self.level:
            self.open(self.lists[-1], text=text)  # the first item after a lead-in
        elif self.lists and self.level == self.lists[-1] and self.blocks[-1].text:
            self.open(self.level, text=text)  # each sentence of a list is an item
        elif self.blocks and self.level > 0:
            self.blocks[-1].text.append(text)
        else:
            self.open(0, text=text)

    def lead_in(self, text: str) -> None:
        """After a sentence ending in ``:``, the next sentences are items one level deeper."""
        if text.endswith((":", "--")) and self.level < 4:
            self.lists.append(max(self.level, 1) + 1)
            if text.endswith("--"):
                self.dash_list = (self.lists[-1], self.level)



def _continues_item_list(text: str) -> bool:
    return text[:1].islower() or bool(_CONJUNCTION.match(text))


def _nest(sentences: list[str]) -> list[_Block]:
    state = _Nesting()
    run: list[str] = []
    for sentence in sentences:
        if is_heading(sentence) and not (state.dash_list and _continues_item_list(sentence)):
            run.append(sentence)
            continue
        if run:
            state.headings(run, sentence)
            run = []
        else:
            state.sentence(sentence)
        state.lead_in(sentence)
    if run:
        state.headings(run, "")
    return state.blocks


#: the lead-in of quoted amendment text ("... by adding at the end the following new section:")
_AMENDING_LEAD_IN = re.compile(r"\b(?:amended|inserting|adding)\b.*(?:the following(?: new [a-z]+(?: \([^)]*\))?)?"
                               r"|to read as follows):$")
_CLOSING = re.compile(r'[.;]"[.;]?$|\."$')  # the closing quote of amendment text
#: the table-of-sections entry a clerical amendment adds, at the end of a paragraph
_CLERICAL_ITEM = re.compile(r'\bnew items?:\s+("(?:Section\s+|Sec\.\s+)?([0-9]+[A-Za-z]*)\.\s+([^"]{1,200}"[.;]?))(?=\s|$)')


def punctuate_items(blocks: list[_Block]) -> list[_Block]:
    """Real bills' list punctuation: an item (without a heading) followed by a sibling ends in ``;`` (``; and`` / ``; or`` when
    the sibling opened with that conjunction, which moves to the end of the item before); the last stays ``.``."""
    for i, block in enumerate(blocks):
        if block.level < 2 or not block.text or block.heading:
            continue  # items with a ``.--`` heading are whole paragraphs: they end in a full stop
        sibling = next((b for b in blocks[i + 1:] if b.level <= block.level), None)
        if (sibling is None or sibling.level != block.level or sibling.heading
                or not block.text[-1].endswith(".")):
            continue
        ending = ";"
        if sibling.text and (conj := _CONJUNCTION.match(sibling.text[0])):
            ending = f"; {conj.group(1).lower()}"
            rest = sibling.text[0][conj.end():]
            sibling.text[0] = rest[:1].lower() + rest[1:] if rest[1:2].islower() else rest
        block.text[-1] = block.text[-1][:-1] + ending
    return blocks


def _render(blocks: list[_Block], real: bool = True, *, quoting: bool = False,
            counters: list[int] | None = None) -> list[str]:
    """Each block wrapped at :data:`WIDTH`; the items of a level numbered in order (``counters``, carried
    across the parts of a section); with ``real``, list items end as in real bills (:func:`punctuate_items`)
    and each paragraph of quoted amendment text (``quoting``: from the first block) opens with a quote."""
    counters = [0] * 5 if counters is None else counters
    out: list[str] = []
    for block in punctuate_items(blocks) if real else blocks:
        indent = INDENT[block.level]
        body = " ".join(block.text)
        opens = quoting  # quoted amendment text: each of its paragraphs opens with a quote
        if opens:
            body = body.lstrip('"')
            quoting = not _CLOSING.search(body)  # the closing quote ends the amendment
        elif real and _AMENDING_LEAD_IN.search(body):
            quoting = True
        if block.level == 0:
            label = ""
        else:
            label = marker(block.level, counters[block.level]) + " "
            counters[block.level] += 1
            for deeper in range(block.level + 1, 5):
                counters[deeper] = 0
        if block.heading:
            heading = _title_case(block.heading) if block.level == 1 else block.heading
            body = f"{heading[:-1]}.--{body}"
        item = _CLERICAL_ITEM.search(body) if real else None  # "... the following new item: "139B. Grants."."
        rest = ""
        if item:
            body, rest = body[:item.start(1)].rstrip(), body[item.end():].strip()
        paragraph = _fill(tex_quotes(('"' if opens else "") + label + body), indent, indent - 4)
        if item:  # as real bills print it: on a line of its own, ``Sec. N. Entry.''.; the text after it goes on below
            paragraph += "\n\n" + _fill(tex_quotes(f'"Sec. {item.group(2)}. {item.group(3)}'), 0, 28)
            paragraph += "\n" + _fill(tex_quotes(rest), 4) if rest else ""
        # subsections and section text are separated by a blank line, items of a list are not
        out.append(("\n" if block.level <= 1 and out else "") + paragraph)
    return out


def _section(number: int, part: str, real: bool) -> str:
    match = re.match(r"([^.]{1,300}?)\.\s+", part + " ")
    heading, body = ("", part)
    if match and any(ch.isalpha() for ch in match.group(1)) and match.group(1).upper() == match.group(1):
        heading, body = match.group(1).strip(), part[match.end():]
    label = "SECTION 1." if number == 1 else f"SEC. {number}."
    title = _fill(f"{label} {heading.upper()}." if heading else label, 0, 12)
    lines: list[str] = []
    counters = [0] * 5
    for heading_line, sentences in inserted_sections(sentences_of(body)) if real else [("", sentences_of(body))]:
        nested = _nest(modal_lists(sentences) if real else sentences)
        if heading_line:  # a whole section an amendment inserts: its heading on a line of its own, quoted text
            lines += ["", _fill(tex_quotes(heading_line), 0, 14), ""] + _render(nested, quoting=True)
        else:
            lines += _render(nested, real, counters=counters)
    return title + ("\n\n" + "\n".join(lines) if lines else "")


#: an inserted section's number as the preprocessed form writes it (``"Section 1720F.``)
_INSERTED_SECTION = re.compile(r'^"(?:Section|Sec\.)\s+([0-9]+[A-Za-z]*)\.$')


def inserted_sections(sentences: list[str]) -> list[tuple[str, list[str]]]:
    """A section's sentences cut where an amending lead-in (``... the following new section:``) inserts a whole
    section: ``("", sentences)`` of the bill's own text, ``('"SEC. 116. HEADING.', sentences)`` of an inserted one
    up to its closing quote (a heading not in capitals prints as title 38 prints it: ``"Sec. 116. Heading``)."""
    parts: list[tuple[str, list[str]]] = [("", [])]
    i = 0
    while i < len(sentences):
        number = _INSERTED_SECTION.match(sentences[i])
        outer = parts[-1][1]
        if number and not parts[-1][0] and outer and _AMENDING_LEAD_IN.search(outer[-1]):
            heading, i = "", i + 1
            if i < len(sentences) and len(sentences[i].split()) <= 20 and not _VERBS.search(sentences[i].lower()):
                heading, i = sentences[i], i + 1
            line = (f'"SEC. {number.group(1)}. {heading}' if heading.isupper() or not heading
                    else f'"Sec. {number.group(1)}. {heading.rstrip(".")}')
            parts.append((line.rstrip(), []))
            continue
        parts[-1][1].append(sentences[i])
        if parts[-1][0] and _CLOSING.search(sentences[i]):
            parts.append(("", []))  # the closing quote ends the inserted section
        i += 1
    return [(line, part) for line, part in parts if line or part]


def official_layout(source: str, real: bool = True) -> str:
    """One preprocessed bill in the official layout; ``real=False``: the re-wrap before 2026-12-04 (``--plain``)."""
    parts = source.split(MARKER)
    blocks: list[str] = []
    if parts[0].strip():
        sentences = sentences_of(parts[0])
        blocks.append("\n".join(_render(_nest(modal_lists(sentences) if real else sentences), real)))
    number = 0
    toc: list[str] = []
    for part in parts[1:]:
        part = part.strip()
        if not part:
            continue
        if real and toc_entry(part, blocks):
            toc.append(part)
            continue
        if toc:
            blocks.append(_toc(toc))
            toc = []
        number += 1
        blocks.append(_section(number, part, real))
    if toc:
        blocks.append(_toc(toc))
    return "\n\n".join(blocks) + "\n"


_TOC_LEAD_IN = re.compile(r"table of contents\b[^.]{0,80}follows:\s*$", re.IGNORECASE)


def toc_entry(part: str, blocks: list[str]) -> bool:
    """An entry of a table of contents: a short part without an upper-case heading after the lead-in
    (``The table of contents for this Act is as follows:``) or after another entry."""
    after_lead_in = bool(blocks) and (bool(_TOC_LEAD_IN.search(blocks[-1])) or blocks[-1].startswith("Sec. "))
    return after_lead_in and len(part.split()) <= 25 and not re.match(r"[A-Z][A-Z ,;'-]{3,}\.", part)


def _toc(entries: list[str]) -> str:
    """The table of contents as in real bills: one ``Sec. N. Entry.`` per line, wrapped lines indented 28."""
    return "\n".join(_fill(f"Sec. {i}. {' '.join(entry.split())}", 0, 28) for i, entry in enumerate(entries, 1))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("source", type=Path, help="preprocessed BillSum JSONL (fields source, summary)")
    parser.add_argument("output", type=Path, help="where to write the re-wrapped JSONL (outside the repo)")
    parser.add_argument("--start", type=int, default=0, help="first bill (0-based)")
    parser.add_argument("--stop", type=int, default=None, help="one past the last bill")
    parser.add_argument("--plain", action="store_true",
                        help="the re-wrap before 2026-12-04: every list item ends in '.', amendment text unquoted")
    args = parser.parse_args(argv)
    rows = [json.loads(line) for line in args.source.read_text(encoding="utf-8").splitlines() if line.strip()]
    rows = rows[args.start:args.stop]
    with args.output.open("w", encoding="utf-8") as fh:
        for row in rows:
            fh.write(json.dumps({**row, "source": official_layout(row["source"], not args.plain)}, ensure_ascii=False) + "\n")
    print(f"wrote {len(rows)} bills to {args.output}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
