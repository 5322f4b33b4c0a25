"""``bench/splits.py``: the fixed tune/final split keeps a row in its part whatever else the file holds."""

from __future__ import annotations

import json
from pathlib import Path
from types import ModuleType

from tests.bench import load_script


def splits() -> ModuleType:
    return load_script("splits")


def test_tsv_rows_split_by_text_with_the_header_in_both_parts(tmp_path: Path) -> None:
    rows = [f"{'spam' if i % 5 == 0 else 'ham'}\tmessage number {i}" for i in range(200)]
    source = tmp_path / "all.tsv"
    source.write_text("label\ttext\n" + "\n".join(rows) + "\n", encoding="utf-8")
    counts = splits().split_file(source, str(tmp_path / "s"))
    tune = (tmp_path / "s.tune.tsv").read_text(encoding="utf-8").splitlines()
    final = (tmp_path / "s.final.tsv").read_text(encoding="utf-8").splitlines()
    assert tune[0] == final[0] == "label\ttext"
    assert sorted(tune[1:] + final[1:]) == sorted(rows) and not set(tune[1:]) & set(final[1:])
    assert counts == {"tune": len(tune) - 1, "final": len(final) - 1} and 40 < counts["final"] < 120
    # a row's part depends on the row alone: the same rows in another file, reversed, split the same way
    again = tmp_path / "reversed.tsv"
    again.write_text("label\ttext\n" + "\n".join(reversed(rows)) + "\n", encoding="utf-8")
    splits().split_file(again, str(tmp_path / "r"))
    assert set((tmp_path / "r.final.tsv").read_text(encoding="utf-8").splitlines()[1:]) == set(final[1:])


def test_jsonl_documents_split_by_id(tmp_path: Path) -> None:
    source = tmp_path / "docs.jsonl"
    source.write_text("".join(json.dumps({"id": f"d{i}", "text": "same text"}) + "\n" for i in range(50)))
    splits().split_file(source, str(tmp_path / "s"))
    final = [json.loads(line)["id"] for line in (tmp_path / "s.final.jsonl").read_text().splitlines() if line]
    assert final == [f"d{i}" for i in range(50) if splits().part_of(f"d{i}") == "final"] and final
