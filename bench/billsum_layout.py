"""Re-wrap preprocessed BillSum bills into the official BillSum ``text`` layout.

The shared bills (``<SECTION-HEADER>`` markers, one line per bill) become what users of the
official dataset see: ``SECTION 1. SHORT TITLE.`` / ``SEC. N. HEADING.`` headings in capitals,
inline paragraph headings as ``(a) Findings.--``, the sentences after a lead-in ending in ``:``
as ``(1)``, ``(2)`` items on their own indented lines, ``\u0060\u0060quotes''`` and hard wrapping at
about 70 columns with indentation. Deterministic; the summaries are copied unchanged.

    python bench/billsum_layout.py ../shared/datasets/billsum/billsum_test_200.jsonl /tmp/billsum_official.jsonl
    python bench/billsum_layout.py IN OUT --start 100 --stop 200   # a slice (bills 100-199)

Write the output outside the repository (``/tmp``): dataset text is never committed.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import textwrap
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from specialists.legal.candidates import looks_like_heading  # noqa: E402
from specialists.legal.segment import BILLSUM_MARKER, split_sentences  # noqa: E402

WIDTH = 70
_LETTERS = "abcdefghijklmnopqrstuvwxyz"


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


def _wrap(text: str, indent: int, hang: int = 0) -> str:
    return textwrap.fill(tex_quotes(text), WIDTH, initial_indent=" " * indent,
                         subsequent_indent=" " * max(0, indent - 4 + hang),
                         break_long_words=False, break_on_hyphens=False)


def _section_body(body: str) -> list[str]:
    """Paragraphs of a section body: ``(a) Heading.--`` subsections and ``(1)`` list items."""
    sentences = []
    for sentence in split_sentences(body):
        # "Congress finds the following: Immigration is ..." -> a lead-in and its first item
        head, sep, rest = sentence.partition(": ")
        if sep and rest[:1].isupper() and len(head.split()) <= 25:
            sentences.extend([head + ":", rest])
        else:
            sentences.append(sentence)
    paragraphs: list[str] = []
    sub = 0
    item = 0
    in_list = False
    pending_heading = ""
    for sentence in sentences:
        words = sentence.split()
        if len(words) <= 6 and sentence.endswith(".") and looks_like_heading(sentence):
            pending_heading = sentence
            in_list = False
            continue
        if pending_heading:
            label = _LETTERS[sub % 26]
            sub += 1
            paragraphs.append(_wrap(f"({label}) {pending_heading[:-1]}.--{sentence}", 4))
            pending_heading = ""
            in_list = sentence.endswith(":")
            item = 0
            continue
        if in_list:
            item += 1
            paragraphs.append(_wrap(f"({item}) {sentence}", 8))
            continue
        paragraphs.append(_wrap(sentence, 4))
        if sentence.endswith(":"):
            in_list, item = True, 0
    if pending_heading:
        paragraphs.append(_wrap(pending_heading, 4))
    return paragraphs


def official_layout(source: str) -> str:
    """One preprocessed bill in the official layout."""
    if BILLSUM_MARKER not in source:
        return source
    parts = source.split(BILLSUM_MARKER)
    blocks: list[str] = []
    if parts[0].strip():
        blocks.extend(_section_body(parts[0]))
    number = 0
    for part in parts[1:]:
        part = part.strip()
        if not part:
            continue
        number += 1
        match = re.match(r"([^.]{1,300}?)\.\s+", part + " ")
        heading, body = (match.group(1), part[match.end():]) if match and match.group(1).isupper() else ("", part)
        label = "SECTION 1." if number == 1 else f"SEC. {number}."
        blocks.append(textwrap.fill(f"{label} {heading.upper()}." if heading else label, WIDTH,
                                    subsequent_indent="            "))
        blocks.extend(_section_body(body))
    return "\n\n".join(blocks) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("source", type=Path, help="preprocessed BillSum JSONL (fields source, summary)")
    parser.add_argument("output", type=Path, help="where to write the re-wrapped JSONL (outside the repo)")
    parser.add_argument("--start", type=int, default=0, help="first bill (0-based)")
    parser.add_argument("--stop", type=int, default=None, help="one past the last bill")
    args = parser.parse_args(argv)
    rows = [json.loads(line) for line in args.source.read_text(encoding="utf-8").splitlines() if line.strip()]
    rows = rows[args.start:args.stop]
    with args.output.open("w", encoding="utf-8") as fh:
        for row in rows:
            fh.write(json.dumps({**row, "source": official_layout(row["source"])}, ensure_ascii=False) + "\n")
    print(f"wrote {len(rows)} bills to {args.output}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
