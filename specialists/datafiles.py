"""Reading the data files that training and evaluation take (CoNLL, CSV/TSV, Parquet), with readable errors."""

from __future__ import annotations

import csv
import json
import sys
from pathlib import Path
from typing import Any


def read_text_file(path: str | Path, what: str, *, encoding: str = "utf-8") -> str:
    """The text of ``path``; a ValueError naming the file when it is missing, unreadable or not UTF-8.

    ``what`` names the file in the "not found" message (``"CoNLL file"``, ``"data file"``);
    ``encoding`` is ``utf-8`` or ``utf-8-sig`` (a leading byte-order mark dropped).
    """
    path = Path(path)
    if not path.is_file():
        raise ValueError(f"{what} not found: {path}")
    try:
        return path.read_text(encoding=encoding)
    except UnicodeDecodeError as exc:
        raise ValueError(f"{path} is not UTF-8 text: {exc}") from exc
    except OSError as exc:
        raise ValueError(f"cannot read {path}: {exc}") from exc


def sniff_delimiter(path: Path, header: str) -> str:
    """``\\t`` for ``.tsv``, ``,`` for ``.csv``, else the most frequent of tab/comma/semicolon/pipe in the header."""
    suffix = path.suffix.lower()
    if suffix in (".tsv", ".tab"):
        return "\t"
    if suffix == ".csv":
        return ","
    counts = {d: header.count(d) for d in ("\t", ",", ";", "|")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def csv_rows(path: Path, text: str) -> list[list[str]]:
    """The rows of a CSV/TSV ``text`` read from ``path`` (delimiter from the suffix or the header line, standard
    quoting, fields of any size); a ValueError naming the file when it cannot be parsed."""
    lines = text.splitlines(keepends=True)
    delimiter = sniff_delimiter(path, lines[0] if lines else "")
    csv.field_size_limit(min(sys.maxsize, 2**31 - 1))  # a bill's text is longer than csv's default 131,072
    try:
        return list(csv.reader(lines, delimiter=delimiter))
    except csv.Error as exc:
        raise ValueError(f"cannot parse {path} as {'TSV' if delimiter == chr(9) else 'CSV'}: {exc}") from None


def csv_records(path: Path, text: str) -> list[dict[str, Any]]:
    """The rows of :func:`csv_rows` after the header, as dicts keyed by it (``csv.DictReader``'s shape: blank rows
    skipped, a short row's missing fields None)."""
    rows = csv_rows(path, text)
    header = rows[0] if rows else []
    return [{**dict.fromkeys(header), **dict(zip(header, row))} for row in rows[1:] if row]


def is_parquet_file(path: Path) -> bool:
    """Whether ``path`` is an existing ``.parquet`` file (the readers read others as text)."""
    return path.suffix.lower() == ".parquet" and path.is_file()


def parquet_records(path: Path) -> list[dict[str, Any]]:
    """The rows of a Parquet file as dicts keyed by column (a Hugging Face dataset as it is stored there: BillSum's
    ``text``, ``summary``, ``title``); a ValueError naming the file when it is not one.

    A Hugging Face class-label column (an integer per row, or a list of them such as ``ner_tags``) is read as the
    label names the file's metadata gives (``ham``/``spam``, ``B-PER``); the hub's ``-1`` (no label) as None."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        table = pq.read_table(path)
    except (pa.ArrowException, OSError) as exc:
        raise ValueError(f"cannot read {path} as Parquet: {exc}") from None
    rows: list[dict[str, Any]] = table.to_pylist()
    for column, names in class_label_names(table.schema.metadata).items():
        for row in rows:
            row[column] = _label_name(row.get(column), names)
    return rows


def class_label_names(metadata: dict[bytes, bytes] | None) -> dict[str, list[str]]:
    """``column → label names`` for the class-label columns a Hugging Face dataset declares in its Parquet
    metadata (key ``huggingface``; a ``ClassLabel``, or a ``List``/``Sequence`` of one)."""
    try:
        features = json.loads((metadata or {}).get(b"huggingface", b"{}"))["info"]["features"]
    except (ValueError, KeyError, TypeError):
        return {}
    found: dict[str, list[str]] = {}
    for column, feature in features.items() if isinstance(features, dict) else ():
        inner = feature.get("feature") if isinstance(feature, dict) else None
        for candidate in (feature, inner):
            if isinstance(candidate, dict) and candidate.get("_type") == "ClassLabel" and candidate.get("names"):
                found[column] = [str(name) for name in candidate["names"]]
    return found


def _label_name(value: Any, names: list[str]) -> Any:
    if isinstance(value, list):
        return [_label_name(item, names) for item in value]
    if isinstance(value, int) and not isinstance(value, bool):
        return names[value] if 0 <= value < len(names) else None
    return value


def parquet_rows(path: Path) -> list[list[str]]:
    """A Parquet file as :func:`csv_rows` gives a table: the column names, then each row's cells as text (a missing
    value is ``""``; a class label its name, see :func:`parquet_records`; another integer its digits)."""
    records = parquet_records(path)
    if not records:
        return []
    header = list(records[0])
    return [header] + [["" if row.get(c) is None else str(row[c]) for c in header] for row in records]
