"""The summary-word prior of ``summarize.legal``: fitting, the shipped table (JSON, no pickle), its effect on
the pick, and the training command (real MiniLM on three hand-made bills)."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from tandem.specialists.legal.summarizer import SummarizerConfig, summarize_legal
from tandem.specialists.legal.summary_words import (
    DEFAULT_SUMMARY_WORDS_PATH,
    SummaryWords,
    default_summary_words,
    fit_summary_words,
    tokens,
)
from tandem.specialists.legal.train_summary_words import main
from tests.specialists.test_legal_learned import BILL, REFERENCE
from tests.specialists.test_legal_summarizer import FakeEncoder


def test_words_that_reach_summaries_rate_higher() -> None:
    pairs = [(["The Secretary shall award grants for clinics.", "Section 2 is amended by striking 5."],
              "Directs the Secretary to award grants for clinics."),
             (["The Administrator shall award grants for schools.", "Section 9 is amended by striking 7."],
              "Directs the Administrator to award grants for schools.")]
    table = fit_summary_words(pairs, smoothing=1.0)
    assert table.rates["grant"] > table.base > table.rates["strike"]
    assert "clinic" not in table.rates  # one bill only: left to the base rate
    prior = table.prior(["The Secretary shall award grants.", "Section 4 is amended by striking 3.", "the of"])
    assert prior[0] > 0 > prior[1]
    assert prior[2] == 0.0  # no content word


def test_tokens_are_rouges_own_with_stems_cached() -> None:
    from rouge_score.tokenizers import DefaultTokenizer

    rouge = DefaultTokenizer(use_stemmer=True)
    texts = ["The Secretaries shall award grants to States, 2 U.S.C. 601(d).", "Generally: relating, related, relates",
             "The Secretaries shall award grants to States", "STRIKING ``amended'' -- caf\u00e9 na\u00efve 3rd"]
    for text in texts + texts:  # the second time every stem comes from the cache
        assert tokens(text) == list(rouge.tokenize(text))
    assert tokens("awarded grants") == ["award", "grant"]


def test_shipped_table_is_json_and_ranks_program_words_above_cross_references() -> None:
    data = json.loads(DEFAULT_SUMMARY_WORDS_PATH.read_text(encoding="utf-8"))
    table = default_summary_words()
    assert table == SummaryWords.from_json(data)
    assert table.card["bills"] == "0:150"  # development bills only; 150-199 are the final report set
    for word in ("subsect", "paragraph", "strike", "insert", "redesign"):
        assert table.rates[word] < table.base / 2, word
    for word in ("program", "grant", "establish", "prohibit"):
        assert table.rates[word] > table.base, word
    with pytest.raises(ValueError, match="not a summary-word table"):
        SummaryWords.from_json({"format": "other", "rates": {}, "base": 0.3})
    with pytest.raises(ValueError, match="between 0 and 1"):
        SummaryWords.from_json({"format": data["format"], "rates": {"x": 2.0}, "base": 0.3})


def test_the_prior_moves_the_pick_and_weight_zero_turns_it_off() -> None:
    # two candidates the fake encoder cannot tell apart by similarity; the table prefers one of them
    bill = ("<SECTION-HEADER> SHORT TITLE. This Act may be cited as the \"Clinic Act\". <SECTION-HEADER> "
            "PROVISIONS. The Agency shall keep a ledger of every blue form it receives. "
            "The Agency shall award grants to rural clinics in every State.")
    table = SummaryWords({"ledger": 0.0, "blue": 0.0, "form": 0.0, "receiv": 0.0, "keep": 0.0, "everi": 0.3,
                          "grant": 0.9, "award": 0.9, "rural": 0.9, "clinic": 0.9, "state": 0.9}, 0.3)
    cfg: dict[str, Any] = {"max_words": 14, "encoder": FakeEncoder(), "diversity": 0.0, "include_title": False,
           "amends_line": False, "word_rates": table, "crs_style": False}
    with_prior = summarize_legal([bill], summary_words=5.0, **cfg)[0]
    without = summarize_legal([bill], summary_words=0.0, **cfg)[0]
    assert with_prior == "The Agency shall award grants to rural clinics in every State."
    assert without == "The Agency shall keep a ledger of every blue form it receives."


def test_the_default_summary_still_opens_with_the_title() -> None:
    summary = summarize_legal([BILL], max_words=60, encoder=FakeEncoder())[0]
    assert summary.splitlines()[0] == "Rural Clinic Grants Act of 2031"
    assert SummarizerConfig().summary_words > 0  # the prior is on by default


def test_training_command_cross_validates_and_writes_a_table(tmp_path: Path,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    gold = tmp_path / "bills.jsonl"
    rows = [{"source": BILL, "summary": REFERENCE},
            {"source": BILL.replace("Rural Clinic", "Urban School").replace("clinics", "schools"),
             "summary": REFERENCE.replace("Rural Clinic", "Urban School").replace("clinics", "schools")},
            {"source": BILL.replace("Rural Clinic", "Coastal Port").replace("clinics", "ports"),
             "summary": REFERENCE.replace("Rural Clinic", "Coastal Port").replace("clinics", "ports")}]
    gold.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    out = tmp_path / "table.json"
    assert main([str(gold), "--bills", "0:3", "--cv", "3", "--weights", "0,1", "--out", str(out)]) == 0
    cv = json.loads(capsys.readouterr().out.split("wrote")[0])
    assert set(cv["layout0"]) == {"weight 0", "weight 1"}
    assert cv["layout0"]["weight 1"]["bills"] == 3
    table = SummaryWords.load(out)
    assert table.rates["grant"] > table.base  # every summary has it
    assert table.card["cv"] == cv


def test_a_table_override_is_used_as_is() -> None:
    flat = replace(default_summary_words(), rates={})
    cfg = SummarizerConfig(word_rates=flat)
    assert cfg.word_rates is flat and np.isclose(flat.prior(["The Secretary shall award grants."])[0], 0.0)
