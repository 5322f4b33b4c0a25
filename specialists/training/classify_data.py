"""Labelled data for classifier training: a CSV/TSV file read into texts and labels, and a stratified split."""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from tandem.specialists.datafiles import csv_rows, is_parquet_file, parquet_rows, read_text_file


@dataclass
class LabelledData:
    """Texts and labels in file order, the file's columns and how many rows lacked a text or a label."""

    texts: list[str]
    labels: list[str]
    columns: list[str]
    skipped: int = 0
    #: each row's source (the ``source`` column), or None when the file has no such column
    sources: list[str] | None = None


def read_labelled(path: str | Path, text_col: str = "text", label_col: str = "label",
                  source_col: str | None = None, require_source: bool = True) -> LabelledData:
    """Read ``(texts, labels)`` from a CSV/TSV file with a header row (standard CSV quoting), or a Parquet file
    (a Hugging Face dataset's: a class label is read as its name, an integer without names as its digits;
    a row the hub marks unlabelled, ``-1``, is skipped).

    Rows whose text or label is missing or blank are skipped (counted in ``skipped``). ``source_col``
    names a column saying where each row comes from (kept in ``sources``; a blank cell counts as
    ``"unknown"``); a missing one is an error unless ``require_source`` is False.
    Raises ValueError with a readable message for a missing/empty file or an unknown column.
    """
    path = Path(path)
    if is_parquet_file(path):
        rows = parquet_rows(path)
    else:
        raw = read_text_file(path, "data file", encoding="utf-8-sig")
        rows = csv_rows(path, raw) if raw.strip() else []
    if not rows:
        raise ValueError(f"data file {path} is empty: expected a header line and rows")
    columns = [c.strip() for c in rows[0]]
    if source_col and source_col not in columns and not require_source:
        source_col = None
    wanted_columns = [(text_col, "text"), (label_col, "label")] + ([(source_col, "source")] if source_col else [])
    for wanted, option in wanted_columns:
        if wanted not in columns:
            raise ValueError(f"no {option} column {wanted!r} in {path}; its columns are: "
                             + ", ".join(repr(c) for c in columns)
                             + f" (choose one with --{option}-col)")
    t_idx, l_idx = columns.index(text_col), columns.index(label_col)
    s_idx = columns.index(source_col) if source_col else None
    texts: list[str] = []
    labels: list[str] = []
    sources: list[str] = []
    skipped = 0
    for row in rows[1:]:
        if not row or all(not cell.strip() for cell in row):
            continue
        if len(row) <= max(t_idx, l_idx) or not row[t_idx].strip() or not row[l_idx].strip():
            skipped += 1
            continue
        texts.append(row[t_idx])
        labels.append(row[l_idx].strip())
        if s_idx is not None:
            sources.append(row[s_idx].strip() if len(row) > s_idx and row[s_idx].strip() else "unknown")
    if not texts:
        raise ValueError(f"data file {path} has a header but no usable rows"
                         + (f" ({skipped} rows lack a text or a label)" if skipped else ""))
    return LabelledData(texts, labels, columns, skipped, sources if s_idx is not None else None)


def stratified_split(labels: Sequence[str], heldout: float, seed: int = 0) -> tuple[list[int], list[int]]:
    """``(train_indices, heldout_indices)``: about ``heldout`` of each label held out, at least one
    of each label with two or more rows, never a label's last row."""
    if not 0.0 <= heldout < 1.0:
        raise ValueError(f"heldout must be in [0, 1), got {heldout}")
    rng = random.Random(seed)
    by_label: dict[str, list[int]] = {}
    for i, label in enumerate(labels):
        by_label.setdefault(label, []).append(i)
    train: list[int] = []
    held: list[int] = []
    for label in sorted(by_label):
        idx = by_label[label][:]
        rng.shuffle(idx)
        n_held = 0
        if heldout > 0 and len(idx) >= 2:
            n_held = min(len(idx) - 1, max(1, round(len(idx) * heldout)))
        held += idx[:n_held]
        train += idx[n_held:]
    return sorted(train), sorted(held)

