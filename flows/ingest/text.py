"""Read input files into documents: ``.txt``/``.md`` (one document per file), ``.jsonl`` (field
``text``, optional ``id``; other fields become metadata) and ``.csv`` (column ``text``, optional ``id``).
``.tsv`` (the same, tab-separated) is read when a caller asks for it (``suffixes``, e.g. ``tandem distill``).
Documents (``.pdf``, ``.docx``, ``.html``/``.htm``, images: :data:`DOCUMENT_SUFFIXES`) are read by
:mod:`tandem.flows.ingest.documents`, one document per file.

A bad input never raises: it becomes an :class:`IngestItem` with a failure (empty, binary, invalid
UTF-8, too large, malformed line) so it is recorded and the batch goes on. What is read is storable: no lone
surrogate (a JSON escape like ``\\ud800``), NUL character or NaN reaches the database.
"""

from __future__ import annotations

import codecs
import csv
import io
import itertools
import json
import math
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

from tandem.flows.ingest.documents import read_document
from tandem.flows.ingest.items import (
    DEFAULT_MAX_DOC_MB,
    DOCUMENT_SUFFIXES,
    SUPPORTED_SUFFIXES,
    UNSTORABLE_CHAR,
    IngestItem,
    InputError,
    failed_item,
    raw_key,
    source_name,
    text_item,
)
from tandem.stages.contracts import FailureKind

#: bytes of a table file checked for being text (empty, binary, UTF-8) before it is streamed
_SNIFF_BYTES = 1 << 16
#: how deep a JSON record's lists and objects may nest (deeper ones would break json.dumps when stored)
MAX_JSON_DEPTH = 100
#: the length of the documents.external_id column
MAX_ID_CHARS = 255

def expand_paths(paths: Sequence[str | Path], suffixes: Sequence[str] = SUPPORTED_SUFFIXES) -> list[Path]:
    """Files as given, folders searched recursively for files with ``suffixes`` (sorted, deduplicated)."""
    files: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            found = sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in suffixes
                           and not any(part.startswith(".") for part in p.relative_to(path).parts))
            files.extend(found)
        elif path.is_file():
            if path.suffix.lower() not in suffixes:
                raise InputError(f"{path}: unsupported file type {path.suffix or '(none)'}; "
                                 f"use {', '.join(suffixes)}")
            files.append(path)
        else:
            raise InputError(f"{path}: no such file or folder")
    return list(dict.fromkeys(files))


def _decode(data: bytes, source: str, final: bool = True) -> str | IngestItem:
    """``data`` as text, or why it is not; ``final=False``: the start of a longer file (a character cut at its
    end is fine; the rest is checked as it is read)."""
    digest = raw_key(data)
    if not data.strip() and final:
        return failed_item(digest, source, "empty", "the file is empty")
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return failed_item(digest, source, "encoding", "the file is UTF-16 or UTF-32 (it starts with their byte-order "
                     "mark); re-save it as UTF-8")
    sample = data[:8192]
    if b"\x00" in sample or sum(b < 9 or 13 < b < 32 for b in sample) > len(sample) * 0.05:
        return failed_item(digest, source, "binary", "the file looks binary (NUL or control bytes), not text")
    try:
        text = codecs.getincrementaldecoder("utf-8-sig")().decode(data, final=final)
    except UnicodeDecodeError as exc:
        return failed_item(digest, source, "encoding",
                     f"not valid UTF-8 (byte {exc.start}: {data[exc.start:exc.start + 1]!r}); re-save the file as UTF-8")
    if not text.strip() and final:
        return failed_item(digest, source, "empty", "the file holds only whitespace")
    return text


def _too_large(path: Path, source: str, max_bytes: int) -> IngestItem:
    with open(path, "rb") as handle:
        digest = raw_key(iter(lambda: handle.read(1 << 20), b""))
    size_mb = path.stat().st_size / 1e6
    return failed_item(digest, source, "too_large",
                 f"the file is {size_mb:.1f} MB, over the {max_bytes / 1e6:.1f} MB limit per document "
                 "(raise it with --max-doc-mb)")


def read_file(path: Path, max_bytes: int = int(DEFAULT_MAX_DOC_MB * 1e6)) -> Iterator[IngestItem]:
    """The documents of one file, one at a time: tables (``.jsonl``, ``.csv``, ``.tsv``) are streamed row by
    row, so a large file is never held in memory whole."""
    suffix = path.suffix.lower()
    if suffix in DOCUMENT_SUFFIXES:  # before the text path: these are binary

        yield from read_document(path, max_bytes)
        return
    source = source_name(path)
    try:
        if suffix in (".txt", ".md") and path.stat().st_size > max_bytes:
            yield _too_large(path, source, max_bytes)
            return
        if suffix in (".txt", ".md"):
            data = path.read_bytes()
        else:
            with open(path, "rb") as handle:
                data = handle.read(_SNIFF_BYTES)
    except OSError as exc:
        yield failed_item(raw_key(source.encode()), source, "unreadable", str(exc))
        return
    decoded = _decode(data, source, final=suffix in (".txt", ".md") or len(data) < _SNIFF_BYTES)
    if isinstance(decoded, IngestItem):
        yield decoded
        return
    if suffix in (".txt", ".md"):
        yield _checked(decoded, source, max_bytes, None, {})
        return
    try:
        with open(path, "rb") as handle:
            lines = io.TextIOWrapper(handle, encoding="utf-8-sig", newline="")
            if suffix == ".jsonl":
                yield from _read_jsonl(lines, source, max_bytes)
            else:
                yield from _read_csv(lines, source, max_bytes, "\t" if suffix == ".tsv" else ",")
    except UnicodeDecodeError as exc:
        yield failed_item(raw_key(f"{source}|{exc.start}".encode()), source, "encoding",
                    f"not valid UTF-8 after the rows read so far ({exc.reason}); re-save the file as UTF-8")
    except OSError as exc:
        yield failed_item(raw_key(source.encode()), source, "unreadable", str(exc))


def _unstorable(values: Iterable[object]) -> tuple[FailureKind, str] | None:
    """Why ``values`` (a record's text, id, metadata) cannot be stored (see :data:`MAX_JSON_DEPTH` too), or None."""
    stack = [(value, 0) for value in values]
    while stack:
        value, depth = stack.pop()
        if depth > MAX_JSON_DEPTH:
            return "unreadable", f"it nests lists or objects over {MAX_JSON_DEPTH} levels deep; flatten it"
        found = UNSTORABLE_CHAR.search(value) if isinstance(value, str) else None
        if found and found.group() == "\x00":
            return "binary", "it holds a NUL character (U+0000), which text never does; remove it"
        if found:
            return "encoding", (f"it holds a lone surrogate ({found.group()!r}, e.g. a JSON escape \\ud800 without its "
                                "pair), which is not valid Unicode; fix or remove that escape")
        if isinstance(value, float) and not math.isfinite(value):
            return "unreadable", f"it holds {value}, which JSON databases refuse; use null or a number"
        if isinstance(value, dict):
            stack.extend((item, depth + 1) for pair in value.items() for item in pair)
        elif isinstance(value, list):
            stack.extend((item, depth + 1) for item in value)
    return None


def _checked(text: object, source: str, max_bytes: int, external_id: str | None,
             metadata: dict[str, object]) -> IngestItem:
    if not isinstance(text, str):
        digest = raw_key(f"{source}|{text!r}".encode())
        return failed_item(digest, source, "unreadable", f"field 'text' must be a string, got {type(text).__name__}")
    if not text.strip():
        return failed_item(raw_key(f"{source}|empty".encode()), source, "empty", "the text is empty")
    if problem := _unstorable([text, external_id, metadata]):
        return failed_item(raw_key(f"{source}|unstorable".encode()), source, problem[0],
                     f"the record cannot be stored: {problem[1]}")
    if external_id is not None and len(external_id) > MAX_ID_CHARS:
        return failed_item(raw_key(f"{source}|id".encode()), source, "unreadable",
                     f"the id is {len(external_id)} characters long, over the {MAX_ID_CHARS} stored; shorten it")
    if len(text.encode("utf-8")) > max_bytes:
        return failed_item(raw_key(text.encode("utf-8")), source, "too_large",
                     f"the text is over the {max_bytes / 1e6:.1f} MB limit per document")
    return text_item(text, source, external_id, metadata)


def _read_jsonl(lines: Iterable[str], source: str, max_bytes: int) -> Iterator[IngestItem]:
    for number, line in enumerate(lines, start=1):
        if line.strip():
            yield _jsonl_item(line.rstrip("\r\n"), f"{source}:{number}", number, max_bytes)


def _jsonl_item(line: str, where: str, number: int, max_bytes: int) -> IngestItem:
    def bad(kind: FailureKind, message: str) -> IngestItem:
        return failed_item(raw_key(where.encode() + line.encode()), where, kind, f"line {number} {message}")

    try:
        obj = json.loads(line)
    except json.JSONDecodeError as exc:
        return bad("unreadable", f"is not valid JSON: {exc.msg}")
    except RecursionError:  # e.g. 100,000 nested lists
        return bad("unreadable", "nests lists or objects too deeply to be read; flatten it")
    except ValueError as exc:  # a number of over 4,300 digits
        return bad("unreadable", f"is not usable JSON ({str(exc).split(';')[0]}); write such numbers as strings")
    if not isinstance(obj, dict) or "text" not in obj:
        return bad("unreadable", "has no 'text' field")
    if problem := _unstorable([obj]):  # before str(id): a deeply nested id would break it
        return bad(problem[0], f"cannot be stored: {problem[1]}")
    external_id = str(obj["id"]) if obj.get("id") is not None else None
    metadata = {k: v for k, v in obj.items() if k not in ("text", "id")}
    return _checked(obj["text"], where, max_bytes, external_id, metadata)


def _read_csv(lines: Iterable[str], source: str, max_bytes: int, delimiter: str = ",") -> Iterator[IngestItem]:
    # a field may be as long as a document (the csv module stops at 131,072 characters); only ever raised
    csv.field_size_limit(max(csv.field_size_limit(), max_bytes + 1))
    reader = csv.DictReader(lines, delimiter=delimiter)
    try:
        fieldnames = reader.fieldnames
    except csv.Error as exc:
        yield _table_error(exc, source, reader.reader.line_num, max_bytes)
        return
    if fieldnames is None or "text" not in fieldnames:
        yield failed_item(raw_key(f"{source}|{fieldnames}".encode()), source, "unreadable",
                    f"{'TSV' if delimiter == chr(9) else 'CSV'} has no 'text' column (columns: {', '.join(fieldnames or []) or 'none'})")
        return
    for number in itertools.count(2):
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:  # the rows after it are still read
            yield _table_error(exc, f"{source}:{number}", reader.reader.line_num, max_bytes)
            continue
        metadata = {k: v for k, v in row.items() if k not in ("text", "id") and k is not None}
        yield _checked(row.get("text") or "", f"{source}:{number}", max_bytes, row.get("id") or None, metadata)
    if number == 2:
        yield failed_item(raw_key(f"{source}|no rows".encode()), source, "empty", "the table has a header but no rows")


def _table_error(exc: csv.Error, where: str, line: int, max_bytes: int) -> IngestItem:
    digest = raw_key(f"{where}|{line}|{exc}".encode())
    if "field larger than field limit" in str(exc):
        return failed_item(digest, where, "too_large", f"near line {line} a field is over the {max_bytes / 1e6:.1f} MB "
                     "limit per document (an unclosed quote makes the rest of the file one field: check the "
                     "quoting, or raise the limit with --max-doc-mb)")
    return failed_item(digest, where, "unreadable", f"near line {line} the table cannot be parsed ({exc}); check its quoting")


def iter_inputs(paths: Sequence[str | Path], max_doc_mb: float = DEFAULT_MAX_DOC_MB,
                suffixes: Sequence[str] = SUPPORTED_SUFFIXES) -> Iterator[IngestItem]:
    """Every document of ``paths``, one at a time (see :func:`read_file`)."""
    max_bytes = int(max_doc_mb * 1e6)
    for path in expand_paths(paths, suffixes):
        yield from read_file(path, max_bytes)


def read_inputs(paths: Sequence[str | Path], max_doc_mb: float = DEFAULT_MAX_DOC_MB,
                suffixes: Sequence[str] = SUPPORTED_SUFFIXES) -> list[IngestItem]:
    return list(iter_inputs(paths, max_doc_mb, suffixes))
