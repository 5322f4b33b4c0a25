import json
from pathlib import Path

import pytest

from tandem.specialists.evaluation.cleanup import evaluate_cleanup, read_cleanup_gold
from tandem.specialists.metrics.text_error import cer, normalize_for_scoring, wer


def test_error_rates_by_hand() -> None:
    assert cer("kitten", "sitting") == pytest.approx(3 / 7)
    assert wer("the cat sat", "the cat sat down") == pytest.approx(1 / 4)
    assert normalize_for_scoring("infor-\nmation  is\n here") == "information is here"


def test_eval_cleanup_without_llm(tmp_path: Path) -> None:
    gold = tmp_path / "g.jsonl"
    rows = [{"noisy": "the lnnd was ofleied for sale", "clean": "the land was offered for sale"},
            {"noisy": "A clean sentence.", "clean": "A clean sentence."},
            {"noisy": "The clean allot-\nments were sold.", "clean": "The clean allot-\nments were sold."}]
    gold.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    report = evaluate_cleanup(gold, llm="fake:x", llm_calls=0)
    assert report.docs == 3 and report.docs_worse == 0
    # the word joined across the line break changed no word: two of three outputs are their input
    assert report.unchanged == pytest.approx(2 / 3)
    assert report.cer_after < report.cer_before and report.wer_after == 0.0
    assert set(report.model_dump()) >= {"cer_before", "cer_after", "wer_before", "wer_after", "docs", "docs_worse", "docs_per_s"}


def test_bad_gold_files(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="not found"):
        read_cleanup_gold(tmp_path / "missing.jsonl")
    bad = tmp_path / "b.jsonl"
    bad.write_text(json.dumps({"text": "x"}) + "\n")
    with pytest.raises(ValueError, match="needs fields 'noisy' and 'clean'"):
        read_cleanup_gold(bad)
