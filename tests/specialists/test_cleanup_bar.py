"""Issue 20's first bar, guarded: ``tandem eval cleanup --gold ../shared/datasets/ocr_icdar2017_en/dev.jsonl`` with
default settings (the embedded LLM included) leaves the 17th-19th century pages with less error than they came
with and makes no page worse by more than half a point (measured: CER x0.817, worst page +0.13 point; all 58
pages, tune and final parts together, so a check and not a held-out figure: docs/benchmarks.md)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tandem.specialists.evaluation.cleanup import evaluate_cleanup

pytestmark = [pytest.mark.slow, pytest.mark.datasets]


def test_the_icdar_pages_lose_error_and_no_page_gains_half_a_point(datasets_dir: Path) -> None:
    gold = datasets_dir / "ocr_icdar2017_en" / "dev.jsonl"
    if not gold.is_file():
        pytest.skip(f"{gold} not found")
    report = evaluate_cleanup(gold)
    assert report.docs == 58 and report.failures == 0, report
    assert report.cer_after <= 0.85 * report.cer_before, (report.cer_before, report.cer_after)
    assert report.max_cer_increase <= 0.005, report.max_cer_increase
