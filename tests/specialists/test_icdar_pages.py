"""The ICDAR-2017 post-OCR competition's page files as cleanup gold: read by eval and train as distributed."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tandem.cli.cleanup import eval_cleanup_command, train_cleanup_command
from tandem.specialists.artifacts import data_sha256
from tandem.specialists.evaluation.cleanup import read_cleanup_gold
from tests.cli.command_apps import make_app

# two pages as the competition prints them: "@" pads the alignment, "#" marks OCR text without a gold equivalent
PAGE_ONE = ("[OCR_toInput] Tlie Knight rode hee knew not whither\n"
            "[OCR_aligned] Tlie Knight rode hee knew not whither@@\n"
            "[ GS_aligned] Th@e Knight rode hee knew not whither.\n")
PAGE_TWO = ("[OCR_toInput] and fo tbe fhip failed\n"
            "[OCR_aligned] and fo tbe fhip failed##\n"
            "[ GS_aligned] and so the ship sailed##\n")


def competition_folder(tmp_path: Path) -> Path:
    root = tmp_path / "ICDAR2017"
    (root / "eng_monograph").mkdir(parents=True)
    (root / "eng_periodical").mkdir()
    (root / "eng_periodical" / "7.txt").write_text(PAGE_TWO, encoding="utf-8")
    (root / "eng_monograph" / "12.txt").write_text("\ufeff" + PAGE_ONE, encoding="utf-8")   # with a BOM
    (root / "README.txt").write_text("ICDAR 2017 post-OCR text correction, English part\n")
    return root


def test_a_folder_of_pages_is_read_in_path_order_without_its_padding(tmp_path: Path) -> None:
    root = competition_folder(tmp_path)
    assert read_cleanup_gold(root) == [
        ("Tlie Knight rode hee knew not whither", "The Knight rode hee knew not whither."),
        ("and fo tbe fhip failed", "and so the ship sailed"),
    ]
    assert read_cleanup_gold(root, limit=1) == read_cleanup_gold(root / "eng_monograph" / "12.txt")


def test_a_bad_page_or_an_empty_folder_is_a_clear_error(tmp_path: Path) -> None:
    broken = tmp_path / "3.txt"
    broken.write_text("[OCR_toInput] some text\n[OCR_aligned] some text\n")
    with pytest.raises(ValueError, match=r"3\.txt: .*\[ GS_aligned\] is missing"):
        read_cleanup_gold(broken)
    (tmp_path / "empty").mkdir()
    (tmp_path / "empty" / "notes.txt").write_text("no pages here\n")
    with pytest.raises(ValueError, match="holds no ICDAR-2017 page files"):
        read_cleanup_gold(tmp_path / "empty")


def test_eval_and_train_cleanup_take_the_competition_folder(tmp_path: Path) -> None:
    root = competition_folder(tmp_path)
    runner = CliRunner()
    app = make_app(train={"cleanup": train_cleanup_command}, evaluate={"cleanup": eval_cleanup_command})
    evaluated = runner.invoke(app, ["eval", "cleanup", "--gold", str(root), "--no-llm", "--json"])
    assert evaluated.exit_code == 0, evaluated.output
    report = json.loads(evaluated.stdout)
    assert report["docs"] == 2 and report["cer_before"] > 0
    trained = runner.invoke(app, ["train", "cleanup", "--data", str(root), "--name", "icdar",
                                  "--models-dir", str(tmp_path / "models"), "--json"])
    assert trained.exit_code == 0, trained.output
    card = json.loads(trained.stdout)
    assert card["n_train"] == 2 and card["data_sha256"] == data_sha256(root)
    before = data_sha256(root)
    (root / "eng_periodical" / "7.txt").write_text(PAGE_TWO.replace("failed", "fallen"), encoding="utf-8")
    assert data_sha256(root) != before
