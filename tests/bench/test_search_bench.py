"""``bench/search.py`` keeps its SQLite file in a temporary folder that is gone when the measurement ends."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest

from tests.bench import load_script


def test_search_and_dedup_leaves_no_folder_behind(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))  # where TemporaryDirectory makes its folder
    result = load_script("search").search_and_dedup(300, 5)
    assert result["planted_first"] == 5 and result["planted_pair_found"], result  # it did measure
    assert list(tmp_path.iterdir()) == []
