"""The comparison's renderings: the chart (a real PNG), the markdown artifact and the price format."""

from __future__ import annotations

from pathlib import Path

from tandem.specialists.comparison.chart import write_chart
from tandem.specialists.comparison.render import markdown, usd
from tandem.specialists.comparison.report import ComparisonReport, SystemReport

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def sample_report() -> ComparisonReport:
    return ComparisonReport(task="classify", gold="/data/sms|gold.tsv", docs=200, systems=[
        SystemReport(name="classify.spam", kind="specialist", metrics={"macro_f1": 0.95}, docs_per_s=1650.0,
                     p50_ms=0.4, p95_ms=0.9, cost_per_1k_docs=0.0000042),
        SystemReport(name="classify.llm[embedded]", kind="llm", metrics={"macro_f1": 0.61}, docs_per_s=7.1,
                     p50_ms=130.0, p95_ms=260.0, llm_calls=200, prompt_tokens=31000, completion_tokens=1400,
                     cost_per_1k_docs=0.0021, note="3 of 200 documents failed (scored as wrong/empty)"),
        SystemReport(name="cascade(classify.spam -> classify.llm[embedded])", kind="cascade",
                     metrics={"macro_f1": 0.95}, docs_per_s=1650.0, cost_per_1k_docs=0.0000042),
    ])


def test_chart_is_a_png_with_every_point(tmp_path: Path) -> None:
    path = write_chart(sample_report(), tmp_path / "deep" / "chart.png")
    data = path.read_bytes()
    assert data.startswith(PNG_MAGIC) and len(data) > 10_000


def test_chart_survives_a_system_that_processed_nothing(tmp_path: Path) -> None:
    report = ComparisonReport(task="ner", gold="g.conll", docs=0,
                              systems=[SystemReport(name="ner.spacy", kind="specialist")])
    assert write_chart(report, tmp_path / "empty.png").read_bytes().startswith(PNG_MAGIC)


def test_markdown_has_the_table_notes_and_cost_model() -> None:
    text = markdown(sample_report())
    assert "| system | kind | macro F1 | docs/s |" in text
    assert "| classify.llm[embedded] | llm | 0.610 | 7.10 | 130.0 / 260.0 | 200 | 32,400 | $0.0021 |" in text
    assert "3 of 200 documents failed" in text and "USD 0.05 per CPU-hour" in text
    assert "sms/gold.tsv" in text or "sms|gold.tsv" in text


def test_usd_is_readable_at_every_scale() -> None:
    assert [usd(v) for v in (0.0, 12.345, 0.0021, 0.0000042, 3.2e-8)] == ["$0", "$12.35", "$0.0021", "$0.000004",
                                                                          "$3.2e-08"]
