"""The flywheel's pieces without a model: the gate's paired bootstrap, the cascade threshold at equal quality,
the registry (versions, promotion, rollback, a name trained before it) and the labels' ranking and review."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tandem.specialists.flywheel import gate, kept_accuracy, paired_bootstrap, threshold_at_quality
from tandem.specialists.registry import (
    RegistryError,
    next_version,
    promote,
    read_entry,
    register,
    resolve_folder,
    rollback,
)
from tandem.storage.db import create_db_engine, unit_of_work
from tandem.storage.labels import (
    LabelRecord,
    label_counts,
    review_rows,
    save_labels,
    select_for_review,
    training_examples,
)

GOLD = ["spam"] * 40 + ["ham"] * 160


def with_errors(gold: list[str], every: int) -> list[str]:
    """``gold`` with every ``every``-th answer flipped."""
    return [("ham" if g == "spam" else "spam") if i % every == 0 else g for i, g in enumerate(gold)]


def test_the_gate_refuses_a_worse_challenger_with_the_figures_and_promotes_an_equal_one() -> None:
    champion, worse, equal = with_errors(GOLD, 25), with_errors(GOLD, 4), with_errors(GOLD, 25)
    refused = gate(GOLD, champion, worse, ("spam@1", "spam@2"))
    assert not refused.promoted and refused.delta_high is not None and refused.delta_high < 0
    assert refused.reason.startswith("refused") and f"{refused.challenger_f1:.4f}" in refused.reason
    assert "paired-bootstrap interval" in refused.reason
    kept = gate(GOLD, champion, equal, ("spam@1", "spam@2"))
    assert kept.promoted and kept.delta == 0.0 and kept.delta_low <= 0 <= kept.delta_high  # type: ignore[operator]
    first = gate(GOLD, None, worse, (None, "spam@1"))
    assert first.promoted and first.champion_f1 is None


def test_small_losses_cannot_add_up_past_the_best_version() -> None:
    best, champion, challenger = GOLD, with_errors(GOLD, 20), with_errors(GOLD, 17)
    alone = gate(GOLD, champion, challenger, ("spam@2", "spam@3"))
    anchored = gate(GOLD, champion, challenger, ("spam@2", "spam@3"), best=("spam@1", best))
    assert alone.promoted and not anchored.promoted and anchored.anchor and anchored.anchor["name"] == "spam@1"


def test_the_bootstrap_interval_is_paired_and_seeded() -> None:
    a, b = with_errors(GOLD, 10), with_errors(GOLD, 5)
    assert paired_bootstrap(GOLD, a, b, ["ham", "spam"], resamples=200) == \
        paired_bootstrap(GOLD, a, b, ["ham", "spam"], resamples=200)
    delta, low, high = paired_bootstrap(GOLD, a, a, ["ham", "spam"], resamples=200)
    assert delta == low == high == 0.0  # the same answers: no difference in any resample


def test_the_threshold_keeps_the_champions_quality_with_fewer_llm_calls() -> None:
    confidences = [0.95, 0.9, 0.85, 0.7, 0.6, 0.55, 0.52]
    correct = [True, True, True, True, True, False, False]
    assert kept_accuracy(confidences, correct, 0.8) == 1.0
    assert threshold_at_quality(confidences, correct, 1.0) == 0.6  # keeps 5 of 7 at 100 %, where 0.8 kept 3
    assert threshold_at_quality(confidences, [False] * 7, 0.5) == 1.0  # never good enough: everything to the LLM


def test_versions_promotion_rollback_and_a_name_trained_before_the_registry(tmp_path: Path) -> None:
    (tmp_path / "spam").mkdir()
    (tmp_path / "spam" / "model_card.json").write_text("{}")
    assert next_version(tmp_path, "spam") == ("spam@2", 2)  # the plain folder will be version 1
    entry = register(tmp_path, "spam", "spam@2", 2)
    assert [(v.version, v.folder) for v in entry.versions] == [(1, "spam"), (2, "spam@2")] and entry.promoted == 1
    assert resolve_folder(tmp_path, "spam") == "spam" and resolve_folder(tmp_path, "spam@1") == "spam"
    promote(tmp_path, "spam", 2)
    assert resolve_folder(tmp_path, "spam") == "spam@2"
    register(tmp_path, "spam", "spam@3", 3)
    promote(tmp_path, "spam", 3)
    assert rollback(tmp_path, "spam").promoted == 2 and rollback(tmp_path, "spam").promoted == 1
    with pytest.raises(RegistryError, match="no earlier promoted version"):
        rollback(tmp_path, "spam")
    with pytest.raises(RegistryError, match="no version 9"):
        promote(tmp_path, "spam", 9)
    assert [e.action for e in read_entry(tmp_path, "spam").events][-2:] == ["rollback", "rollback"]  # type: ignore[union-attr]
    assert resolve_folder(tmp_path, "other") == "other"


def test_a_person_outranks_a_gold_file_which_outranks_the_llm(db_url: str) -> None:
    engine = create_db_engine(db_url)
    with unit_of_work(engine) as session:
        save_labels(session, [
            LabelRecord("spam", "win a prize now", "ham", "llm:smollm@v1", 0.6, specialist_label="spam",
                        specialist_confidence=0.55),
            LabelRecord("spam", "see you at six", "ham", "llm:smollm@v1", 0.9, specialist_label="ham"),
            LabelRecord("spam", "win a prize now", "spam", "gold:gold.tsv"),
            LabelRecord("spam", "see you at six", "spam", "human:ana"),
            LabelRecord("spam", "see you at six", "ham", "gold:gold.tsv"),
            LabelRecord("other", "see you at six", "x", "human:ana")])
        save_labels(session, [LabelRecord("spam", "win a prize now", "spam", "llm:smollm@v1", 0.95)])  # replaced
        rows = {r.text: r for r in review_rows(session, "spam")}
        examples = sorted(training_examples(session, "spam"))
        counts = label_counts(session, "spam")
    assert counts == {"llm": 2, "gold": 2, "human": 1}
    assert examples == [("see you at six", "spam", "human:ana"), ("win a prize now", "spam", "gold:gold.tsv")]
    assert rows["win a prize now"].answers["llm:smollm@v1"] == "spam" and rows["win a prize now"].llm_confidence == 0.95
    review = list(rows.values())
    assert [r.text for r in select_for_review(review, "disagreements")] == ["see you at six"]
    assert select_for_review(review, "low-agreement") == []
    assert len(select_for_review(review, sample=1)) == 1
    with pytest.raises(ValueError, match="disagreements or low-agreement"):
        select_for_review(review, "everything")


def test_corrections_are_read_from_a_spreadsheet_or_a_labelling_tool(tmp_path: Path) -> None:
    from tandem.cli.labels import read_corrections

    csv_file = tmp_path / "review.csv"
    csv_file.write_text("text_key,text,label,correct_label\nk1,\"hello, world\",ham,spam\nk2,other,ham,\n",
                        encoding="utf-8")
    assert read_corrections(csv_file) == [("hello, world", "spam")]
    jsonl = tmp_path / "review.jsonl"
    jsonl.write_text("\n".join(json.dumps(row) for row in [
        {"text": "changed in doccano", "label": ["spam"], "exported_label": "ham"},
        {"text": "left alone", "label": ["ham"], "exported_label": "ham"},
        {"text": "typed in", "label": ["ham"], "exported_label": "ham", "correct_label": "spam"}]) + "\n")
    assert read_corrections(jsonl) == [("changed in doccano", "spam"), ("typed in", "spam")]
    bad = tmp_path / "bad.csv"
    bad.write_text("a,b\n1,2\n")
    with pytest.raises(ValueError, match="correct_label"):
        read_corrections(bad)
