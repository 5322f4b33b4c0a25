"""The task adapters of ``tandem compare``: gold files, systems named like the pipeline's stages, eval metrics."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tandem.specialists.artifacts import UnknownArtifactError
from tandem.specialists.comparison.classify_gold import ClassifyGold
from tandem.specialists.comparison.gold import GoldOptions
from tandem.specialists.comparison.ner_gold import NerGold, char_spans, sentence_text
from tandem.specialists.comparison.summarize_gold import SummarizeGold
from tandem.specialists.comparison.tasks import compare, gold_and_runs, read_gold, run_systems, system_specs
from tandem.specialists.conll import Sentence
from tandem.stages.contracts import Classification, Entities, Entity, StageFailure
from tests.specialists.test_classifier import tiny_rows, write_rows

FAILED = StageFailure(stage="x", kind="llm_error", message="down")


def conll(path: Path) -> Path:
    path.write_text("-DOCSTART- O\n\nJohn B-PER\nMiller I-PER\nflew O\nto O\nParis B-LOC\n. O\n\n"
                    "Ken B-PER\nsaw O\nNew B-LOC\nYork I-LOC\n\nACME B-ORG\nwins O\n")
    return path


# -- classify --------------------------------------------------------------------------------------
def test_classify_scores_like_eval_and_counts_a_failure_as_wrong(tmp_path: Path) -> None:
    gold = ClassifyGold(tmp_path / "g.tsv", ["a", "b", "c", "d"], ["spam", "ham", "ham", "spam"])
    outputs = [Classification(label="spam", score=0.9), Classification(label="ham", score=0.8), FAILED,
               Classification(label="ham", score=0.6)]
    scores = gold.score(outputs)
    assert scores["accuracy"] == 0.5
    assert set(scores["per_label"]) == {"ham", "spam"}  # a failure is no label of its own
    assert scores["per_label"]["ham"] == {"precision": 0.5, "recall": 0.5, "f1": 0.5, "support": 2}
    assert scores["per_label"]["spam"]["recall"] == 0.5 and scores["per_label"]["spam"]["precision"] == 1.0
    assert {"macro_f1", "macro_recall", "macro_precision"} <= set(scores)
    with pytest.raises(ValueError, match="3 outputs for 4 gold documents"):
        gold.score(outputs[:3])


def test_classify_systems_are_the_pipeline_stages(tmp_path: Path, tiny_models: Path) -> None:
    gold = read_gold("classify", write_rows(tmp_path / "g.tsv", tiny_rows(10, seed=3)), limit=6)
    assert len(gold) == 6 and isinstance(gold, ClassifyGold)
    specs = system_specs(gold, ["tiny"], ["fake:{\"label\": \"spam\"}"], models_dir=str(tiny_models))
    assert [(s.name, s.kind, s.stage) for s in specs] == [
        ("classify.tiny", "specialist", "classify.tiny"),
        ('classify.llm[fake:{"label": "spam"}]', "llm", "classify.llm")]
    assert specs[0].options == {"models_dir": str(tiny_models)}
    assert specs[1].options["labels"] == ["ham", "spam"]  # the gold file's label set
    assert gold.specialist("classify.tiny", str(tiny_models)).name == "classify.tiny"

    with pytest.raises(UnknownArtifactError, match="no trained artifact named 'nope'"):
        system_specs(gold, ["nope"], models_dir=str(tiny_models))
    with pytest.raises(ValueError, match="is an LLM stage"):
        gold.specialist("classify.llm")
    with pytest.raises(ValueError, match="writes Entities, not Classification"):
        gold.specialist("ner.spacy")
    with pytest.raises(ValueError, match="no system to compare"):
        system_specs(gold, [], [])
    with pytest.raises(ValueError, match="named twice"):
        system_specs(gold, [], ["fake:x", "fake:x"])
    with pytest.raises(ValueError, match="credential"):
        gold.llm("openai:gpt-4o-mini@https://user:sk-secret@api.example.com/v1")


def test_compare_classify_in_process(tmp_path: Path, tiny_models: Path) -> None:
    gold = read_gold("classify", write_rows(tmp_path / "g.tsv", tiny_rows(12, seed=5)))
    specs = system_specs(gold, ["tiny"], ['fake:{"label": "spam"}'], models_dir=str(tiny_models))
    seen: list[tuple[str, int, int]] = []
    report = compare(gold, specs, progress=lambda name, done, total: seen.append((name, done, total)),
                     batch_size=5)
    specialist, llm = report.systems
    assert specialist.kind == "specialist" and llm.kind == "llm"
    assert llm.metrics["accuracy"] == 0.5 and llm.llm_calls == 12  # half the rows are spam
    assert specialist.llm_calls == 0 and specialist.docs == 12 and specialist.cost_per_1k_docs >= 0
    assert ("classify.tiny", 12, 12) in seen and ('classify.llm[fake:{"label": "spam"}]', 5, 12) in seen
    data = report.model_dump(mode="json")
    assert data["task"] == "classify" and data["docs"] == 12 and data["cost_model"]["cpu_hour"] == 0.05
    for key in ("name", "kind", "accuracy", "macro_f1", "macro_recall", "per_label", "docs_per_s", "p50_ms",
                "p95_ms", "llm_calls", "prompt_tokens", "completion_tokens", "cost_per_1k_docs"):
        assert key in data["systems"][0], key


def test_classify_label_map_renames_specialist_labels(tmp_path: Path) -> None:
    gold = ClassifyGold(tmp_path / "g.tsv", ["a"], ["junk"], GoldOptions(label_map="spam=junk"))
    assert gold.relabel(Classification(label="spam", score=0.7, scores={"spam": 0.7, "ham": 0.3}),
                        {"spam": "junk"}) == Classification(label="junk", score=0.7, scores={"junk": 0.7, "ham": 0.3})


# -- ner -------------------------------------------------------------------------------------------
def test_ner_text_is_the_tokens_joined_by_spaces_with_character_spans() -> None:
    sentence = Sentence(("John", "Miller", "flew", "to", "New", "York", "."),
                        ("B-PER", "I-PER", "O", "O", "B-LOC", "I-LOC", "O"))
    text, starts = sentence_text(sentence.tokens)
    assert text == "John Miller flew to New York ." and starts[4] == 20
    assert [(text[s:e], label) for s, e, label in char_spans(sentence)] == [("John Miller", "PER"), ("New York", "LOC")]


def test_ner_gold_systems_label_map_and_scores(tmp_path: Path) -> None:
    gold = read_gold("ner", conll(tmp_path / "g.conll"), limit=2)
    assert isinstance(gold, NerGold) and gold.texts == ["John Miller flew to Paris .", "Ken saw New York"]
    assert gold.entity_types == ["LOC", "ORG", "PER"]  # the whole file's types, not only the first two sentences
    llm = gold.llm("fake:{}")
    assert llm.stage == "ner.llm" and llm.options["labels"] == ["LOC", "ORG", "PER"]
    assert llm.options["descriptions"]["PER"] == "names of people"
    stock = gold.specialist("ner.spacy")
    assert stock.label_map and stock.label_map["PERSON"] == "PER" and "ontonotes-to-conll" in str(stock.label_map_name)
    assert gold.specialist("ner.spacy:conll").label_map is None  # a trained model speaks the gold's labels
    assert gold.specialist("conll").name == "ner.spacy:conll"

    relabelled = gold.relabel(Entities(entities=[Entity(start=0, end=11, label="PERSON", text="John Miller"),
                                                 Entity(start=20, end=25, label="CARDINAL", text="Paris")]),
                              stock.label_map)
    assert isinstance(relabelled, Entities) and [e.label for e in relabelled.entities] == ["PER"]
    scores = gold.score([relabelled, FAILED])
    assert scores["tp"] == 1 and scores["fn"] == 3 and scores["precision"] == 1.0 and scores["recall"] == 0.25
    assert set(scores["per_label"]) == {"LOC", "PER"}


def test_ner_llm_through_the_real_stage_with_a_fake_answer(tmp_path: Path) -> None:
    gold = read_gold("ner", conll(tmp_path / "g.conll"))
    answer = json.dumps({"entities": [{"text": "John Miller", "label": "PER"}]})
    _gold, [run] = run_systems(gold, [gold.llm(f"fake:{answer}")])
    assert isinstance(run.outputs[0], Entities) and run.outputs[0].entities[0].text == "John Miller"
    assert isinstance(run.outputs[1], StageFailure)  # "John Miller" is not in "Ken saw New York"
    scores = gold.score(run.outputs)
    assert scores["tp"] == 1 and scores["fp"] == 0 and scores["fn"] == 4


# -- summarize -------------------------------------------------------------------------------------
def test_summarize_reads_text_or_source(tmp_path: Path) -> None:
    rows = [{"text": "First sentence here. Second one.", "summary": "First sentence."}]
    (tmp_path / "a.jsonl").write_text("\n".join(json.dumps(r) for r in rows))
    (tmp_path / "b.jsonl").write_text(json.dumps({"source": "A bill. It does things.", "summary": "A bill."}))
    (tmp_path / "c.jsonl").write_text(json.dumps({"body": "x", "summary": "y"}))
    assert read_gold("summarize", tmp_path / "a.jsonl").texts == ["First sentence here. Second one."]
    assert read_gold("summarize", tmp_path / "b.jsonl").texts == ["A bill. It does things."]
    with pytest.raises(ValueError, match="has no field 'text'"):
        read_gold("summarize", tmp_path / "c.jsonl")
    custom = read_gold("summarize", tmp_path / "c.jsonl", GoldOptions(source_field="body"))
    assert isinstance(custom, SummarizeGold) and custom.summaries == ["y"]


def test_summarize_lead_gets_the_word_budget_and_rouge_keys(tmp_path: Path) -> None:
    path = tmp_path / "g.jsonl"
    text = "The Act funds schools. It also funds roads. " + "Other sections say nothing of note here. " * 6
    path.write_text(json.dumps({"text": text, "summary": "The Act funds schools and roads."}) + "\n")
    gold = read_gold("summarize", path, GoldOptions(max_words=5))
    lead = gold.specialist("lead")
    assert lead.stage == "summarize.lead" and lead.options == {"max_words": 5}
    assert gold.llm(None).options == {"llm": None} and gold.llm(None).name == "summarize[embedded]"
    report = compare(gold, [lead, gold.llm("fake:The Act funds schools and roads.")])
    specialist, llm = report.systems
    assert {"rouge1", "rouge2", "rougeLsum"} <= set(specialist.metrics)
    assert llm.metrics["rougeLsum"] == 1.0 and specialist.metrics["summary_words"] <= 5
    assert gold.score([FAILED])["rouge1"] == 0.0


def test_unknown_task_and_bad_limit(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="unknown task 'translate'"):
        read_gold("translate", tmp_path / "x")
    with pytest.raises(ValueError, match="limit must be positive"):
        read_gold("ner", tmp_path / "x", limit=0)
    with pytest.raises(ValueError, match="not found"):
        read_gold("ner", tmp_path / "missing.conll")


def test_gold_and_runs_in_one_call(tmp_path: Path, tiny_models: Path) -> None:
    gold, runs = gold_and_runs("classify", write_rows(tmp_path / "g.tsv", tiny_rows(8, seed=2)), ["tiny"],
                               ['fake:{"label": "ham"}'], models_dir=str(tiny_models), limit=6)
    assert len(gold) == 6 and [r.kind for r in runs] == ["specialist", "llm"]
    assert all(len(r.outputs) == 6 for r in runs) and gold.score(runs[1].outputs)["per_label"]["ham"]["recall"] == 1.0
