"""CoNLL-style NER files: reading them and turning tags into entity spans.

Format: one token per line, columns separated by whitespace or tabs, the NER tag in the *last*
column; a blank line ends a sentence; ``-DOCSTART-`` lines separate documents (they are not
tokens). Tags may be IOB1 (``I-`` starts an entity unless it continues one of the same label) or
IOB2 (every entity starts with ``B-``); both are returned as IOB2. BIOES/BILOU tags (``E-``/``L-``,
``S-``/``U-``) are accepted too and converted.

Pure functions, no spaCy: :func:`read_conll` returns :class:`Sentence` objects; :func:`tags_to_spans`
gives ``(start_token, end_token_exclusive, label)`` triples.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from tandem.specialists.datafiles import is_parquet_file, parquet_records, read_text_file

Span = tuple[int, int, str]  # (start token, end token exclusive, label)

DOCSTART = "-DOCSTART-"


@dataclass(frozen=True)
class Sentence:
    """One sentence: tokens, IOB2 tags (same length) and the index of the document it belongs to."""

    tokens: tuple[str, ...]
    tags: tuple[str, ...]
    doc: int = 0

    @property
    def spans(self) -> list[Span]:
        return tags_to_spans(self.tags)


def _split_tag(tag: str) -> tuple[str, str]:
    """``"B-PER"`` → ``("B", "PER")``; ``"O"`` → ``("O", "")``; a bare label ``"PER"`` → ``("I", "PER")``."""
    if tag == "O" or tag == "":
        return "O", ""
    if len(tag) > 2 and tag[1] in "-_" and tag[0] in "BIESLU":
        return tag[0], tag[2:]
    return "I", tag


def to_iob2(tags: Sequence[str]) -> list[str]:
    """Normalise IOB1, IOB2, BIOES or BILOU tags of one sentence to IOB2."""
    out: list[str] = []
    prev_label = ""
    for tag in tags:
        prefix, label = _split_tag(tag)
        if prefix == "O":
            out.append("O")
            prev_label = ""
            continue
        if prefix in ("B", "S", "U") or label != prev_label:
            out.append(f"B-{label}")
        else:
            out.append(f"I-{label}")
        # after an entity-ending tag (E/L/S/U) the next I- starts a new entity
        prev_label = "" if prefix in ("E", "L", "S", "U") else label
    return out


def tags_to_spans(tags: Sequence[str]) -> list[Span]:
    """Entity spans of one sentence from IOB1/IOB2/BIOES tags (normalised to IOB2 first).

    >>> tags_to_spans(["B-PER", "I-PER", "O", "B-LOC", "B-LOC"])
    [(0, 2, 'PER'), (3, 4, 'LOC'), (4, 5, 'LOC')]
    """
    spans: list[Span] = []
    start = -1
    label = ""
    for i, tag in enumerate(to_iob2(tags)):
        if tag.startswith("I-") and start >= 0:
            continue
        if start >= 0:
            spans.append((start, i, label))
            start = -1
        if tag != "O":
            start, label = i, tag[2:]
    if start >= 0:
        spans.append((start, len(tags), label))
    return spans


def spans_to_tags(n_tokens: int, spans: Iterable[Span]) -> list[str]:
    """IOB2 tags for ``n_tokens`` tokens from non-overlapping spans."""
    tags = ["O"] * n_tokens
    for start, end, label in spans:
        if not 0 <= start < end <= n_tokens:
            raise ValueError(f"span {(start, end, label)} outside a sentence of {n_tokens} tokens")
        tags[start] = f"B-{label}"
        for i in range(start + 1, end):
            tags[i] = f"I-{label}"
    return tags


def parse_conll(lines: Iterable[str], source: str = "<text>") -> list[Sentence]:
    """Parse CoNLL lines (see the module docstring). Raises ValueError on a malformed line."""
    sentences: list[Sentence] = []
    tokens: list[str] = []
    tags: list[str] = []
    doc = 0
    seen_in_doc = False

    def flush() -> None:
        nonlocal tokens, tags, seen_in_doc
        if tokens:
            sentences.append(Sentence(tuple(tokens), tuple(to_iob2(tags)), doc))
            seen_in_doc = True
        tokens, tags = [], []

    for number, raw in enumerate(lines, 1):
        line = raw.strip()
        if not line:
            flush()
            continue
        columns = line.split()
        if columns[0] == DOCSTART:
            flush()
            if seen_in_doc:
                doc += 1
                seen_in_doc = False
            continue
        if len(columns) < 2:
            raise ValueError(f"{source}:{number}: expected 'TOKEN ... TAG', got {line!r}")
        tag = columns[-1]
        _check_tag(tag, f"{source}:{number}")
        tokens.append(columns[0])
        tags.append(tag)
    flush()
    return sentences


def _check_tag(tag: str, where: str) -> None:
    if tag != "O" and _split_tag(tag)[0] == "I" and not (len(tag) > 2 and tag[1] in "-_"):
        raise ValueError(f"{where}: not an IOB tag: {tag!r}")


def parquet_sentences(path: Path) -> list[Sentence]:
    """A Hugging Face token-classification dataset as the hub stores it (Parquet, one sentence a row: ``tokens``
    and ``ner_tags``, the tags' names in the file's metadata), as :func:`parse_conll` reads a CoNLL file. A
    ``-DOCSTART-`` row starts a document; without one the rows are one document."""
    sentences: list[Sentence] = []
    doc, seen_in_doc = 0, False
    for number, row in enumerate(parquet_records(path), 1):
        tokens, tags = row.get("tokens"), row.get("ner_tags", row.get("tags"))
        if not isinstance(tokens, list) or not isinstance(tags, list):
            raise ValueError(f"{path}: needs the columns 'tokens' and 'ner_tags' (lists, one a sentence); has "
                             f"{', '.join(map(repr, row)) or 'none'}")
        if tokens[:1] == [DOCSTART]:
            doc, seen_in_doc = doc + int(seen_in_doc), False
            continue
        if len(tokens) != len(tags):
            raise ValueError(f"{path}: row {number} has {len(tokens)} tokens but {len(tags)} tags")
        if any(not isinstance(tag, str) for tag in tags):
            raise ValueError(f"{path}: row {number}'s tags are not names ({tags[:5]!r}) and the file's metadata "
                             "names none (a Hugging Face ClassLabel); write it as a CoNLL file with tag names")
        for tag in tags:
            _check_tag(tag, f"{path}: row {number}")
        if tokens:
            sentences.append(Sentence(tuple(map(str, tokens)), tuple(to_iob2(tags)), doc))
            seen_in_doc = True
    return sentences


def read_conll(path: str | Path) -> list[Sentence]:
    """Read a CoNLL file (or a Parquet one, see :func:`parquet_sentences`); a clear ValueError when it is missing,
    unreadable, malformed or empty."""
    path = Path(path)
    if is_parquet_file(path):
        sentences = parquet_sentences(path)
    else:
        sentences = parse_conll(read_text_file(path, "CoNLL file").splitlines(), source=str(path))
    if not sentences:
        raise ValueError(f"{path} holds no sentences (expected 'TOKEN ... TAG' lines)")
    return sentences


def write_conll(sentences: Iterable[Sentence], path: str | Path) -> Path:
    """Write ``TOKEN TAG`` lines (IOB2), a ``-DOCSTART-`` line before each document; returns the path."""
    path = Path(path)
    lines: list[str] = []
    current: int | None = None
    for sentence in sentences:
        if sentence.doc != current:
            lines += [f"{DOCSTART} O", ""]
            current = sentence.doc
        lines += [f"{token} {tag}" for token, tag in zip(sentence.tokens, sentence.tags, strict=True)]
        lines.append("")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def document_indexes(sentences: Sequence[Sentence]) -> list[list[int]]:
    """The positions in ``sentences`` of each document's sentences (by ``doc`` index), in file order."""
    docs: dict[int, list[int]] = {}
    for index, sentence in enumerate(sentences):
        docs.setdefault(sentence.doc, []).append(index)
    return list(docs.values())


def group_documents(sentences: Sequence[Sentence]) -> list[list[Sentence]]:
    """Sentences grouped by their ``doc`` index, in file order."""
    return [[sentences[i] for i in indexes] for indexes in document_indexes(sentences)]


def labels_of(sentences: Iterable[Sentence]) -> list[str]:
    """The sorted entity labels used in ``sentences``."""
    return sorted({label for s in sentences for _, _, label in s.spans})
