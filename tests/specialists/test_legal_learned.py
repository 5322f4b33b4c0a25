"""The learned sentence scorer of ``summarize.legal``: features, the shipped weights (JSON, no pickle),
the ROUGE-Lsum oracle that labels its training data, and summaries against the lead baseline. Hand-made
bills and a bag-of-words fake encoder; no model, no dataset."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from tandem.specialists.legal.candidates import prepare
from tandem.specialists.legal.learned import (
    DEFAULT_SCORER_PATH,
    FEATURES,
    LearnedScorer,
    default_scorer,
    sentence_features,
)
from tandem.specialists.legal.summarizer import (
    SummarizerConfig,
    encode_documents,
    lead_summary,
    summarize_legal,
)
from tandem.specialists.legal.train_scorer import oracle_labels
from tandem.specialists.metrics.rouge import rouge_scores
from tests.specialists.test_legal_summarizer import FakeEncoder

BILL = (
    '<SECTION-HEADER> SHORT TITLE. This Act may be cited as the "Rural Clinic Grants Act of 2031". '
    "<SECTION-HEADER> FINDINGS. Congress finds the following: Rural residents travel long distances to see "
    "a doctor. Many rural hospitals have closed since the year 2000. "
    "<SECTION-HEADER> DEFINITIONS. In this Act: Rural area. The term \"rural area\" means any area outside "
    "a metropolitan statistical area as defined by the Office of Management and Budget. "
    "<SECTION-HEADER> GRANTS TO ESTABLISH RURAL HEALTH CLINICS. The Secretary of Health and Human Services "
    "shall award grants to States to establish health clinics in rural areas that lack a hospital. "
    "A grant under this section may not exceed $3,000,000 for each clinic in any fiscal year. "
    "Section 330 of the Public Health Service Act is amended by striking paragraph (2) and inserting "
    "the following new paragraph. "
    "<SECTION-HEADER> AUTHORIZATION OF APPROPRIATIONS. There are authorized to be appropriated "
    "$50,000,000 for each of fiscal years 2032 through 2036 to carry out this Act."
)
REFERENCE = (
    "Rural Clinic Grants Act of 2031 - Directs the Secretary of Health and Human Services to award grants to "
    "States to establish health clinics in rural areas that lack a hospital. Limits a grant to $3 million "
    "for each clinic in any fiscal year. Authorizes appropriations for FY2032-FY2036."
)


def _features() -> tuple[list[str], np.ndarray]:
    cfg = SummarizerConfig()
    doc = prepare(BILL, drop_edits=False)  # the edit stays a candidate here: its feature is checked
    enc = encode_documents([doc], FakeEncoder(), cfg.encode_words)[0]
    return [c.text for c in doc.candidates], sentence_features(doc, enc.sentences, enc.headings, enc.title)


def test_features_describe_each_candidate() -> None:
    texts, x = _features()
    assert x.shape == (len(texts), len(FEATURES)) and x.dtype == np.float32
    assert np.isfinite(x).all()
    col = {name: x[:, i] for i, name in enumerate(FEATURES)}
    # crs_style (default) rewrote "The Secretary ... shall award" as "Directs the Secretary ... to award"
    grant = next(i for i, t in enumerate(texts) if t.startswith("Directs the Secretary of Health"))
    edit = next(i for i, t in enumerate(texts) if "by striking" in t)
    definition = next(i for i, t in enumerate(texts) if t.startswith("The term"))
    assert col["edit"][edit] == 1 and col["edit"][grant] == 0
    assert col["definition"][definition] == 1 and col["low_priority"][definition] == 1
    assert col["agent"][grant] == 1 and col["require"][grant] == 1 and col["shall"][grant] == 0
    assert col["has_title"].min() == 1  # the short title was found and embedded
    assert col["rank_rel"][0] == 0 and col["rank_rel"][-1] == 1
    assert abs(float(col["doc_sim_z"].mean())) < 1e-4  # z-scores within the bill
    empty = prepare("")
    assert sentence_features(empty, np.zeros((0, 4), dtype=np.float32)).shape == (0, len(FEATURES))


def test_shipped_weights_are_json_and_load() -> None:
    data = json.loads(DEFAULT_SCORER_PATH.read_text(encoding="utf-8"))
    assert data["format"] == "tandem.legal-scorer/1" and data["features"] == list(FEATURES)
    scorer = default_scorer()
    assert scorer.features == FEATURES and scorer.gain > 0
    assert scorer.card["bills"] == "0:150"  # trained on the development bills only
    assert LearnedScorer.from_json(scorer.to_json()).to_json() == scorer.to_json()
    with pytest.raises(ValueError, match="format"):
        LearnedScorer.from_json({**data, "format": "pickle"})
    with pytest.raises(ValueError, match="features"):
        LearnedScorer.from_json({**data, "features": data["features"][:-1]})


def test_shipped_scorer_ranks_the_operative_sentence_first() -> None:
    """Fails if the learned weights are removed or scrambled: the grant section's heading and its
    operative sentence come first, the definition and the mechanical amendment last."""
    texts, x = _features()
    p = default_scorer().probability(x)
    assert ((p > 0) & (p < 1)).all()
    ranked = [texts[i][:30] for i in np.argsort(-p)]
    assert ranked[:3] == ["Grants to establish rural heal", "Directs the Secretary of Healt", "A grant may not exceed $3 mill"]
    assert set(ranked[-2:]) == {"Section 330 of the Public Heal", 'The term "rural area" means an'}


def test_oracle_labels_pick_what_the_reference_says() -> None:
    candidates = ["Rural residents travel long distances to see a doctor.",
                  "The Secretary shall award grants to States to establish health clinics in rural areas.",
                  "There are authorized to be appropriated such sums as may be necessary."]
    labels = oracle_labels(candidates, "Directs the Secretary to award grants to States to establish "
                                       "health clinics in rural areas.", max_words=40)
    assert labels.tolist() == [0, 1, 0]
    assert oracle_labels(candidates, "Directs the Secretary to award grants.", max_words=3).sum() == 0


@pytest.mark.parametrize("scorer", ["heuristic", "learned"])
def test_summaries_beat_lead_on_a_small_bill(scorer: str) -> None:
    summary = summarize_legal([BILL], max_words=60, encoder=FakeEncoder(), scorer=scorer)[0]
    lead = lead_summary(BILL, 60)
    ours, theirs = rouge_scores(summary, REFERENCE)["rougeLsum"], rouge_scores(lead, REFERENCE)["rougeLsum"]
    assert ours > theirs
    assert summary.splitlines()[0] == "Rural Clinic Grants Act of 2031"


def test_unknown_scorer_and_override() -> None:
    with pytest.raises(ValueError, match="unknown scorer"):
        summarize_legal([BILL], encoder=FakeEncoder(), scorer="magic")
    flat = replace(default_scorer(), coef=np.zeros(len(FEATURES), dtype=np.float32))
    summary = summarize_legal([BILL], max_words=60, encoder=FakeEncoder(), scorer="learned", learned=flat)[0]
    assert summary  # an override is used as is (equal scores: MMR picks by redundancy alone)


def test_training_command_cross_validates_and_writes_weights(tmp_path: Path,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    from tandem.specialists.legal.train_scorer import main

    gold = tmp_path / "bills.jsonl"
    names = ("Rural Clinic", "Urban School", "Coastal Port", "Mountain Road")
    rows = [{"source": BILL.replace("Rural Clinic", n), "summary": REFERENCE.replace("Rural Clinic", n)} for n in names]
    gold.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    out = tmp_path / "scorer.json"
    assert main([str(gold), "--bills", "0:4", "--cv", "2", "--out", str(out)]) == 0
    cv = json.loads(capsys.readouterr().out.split("wrote")[0])
    assert cv["layout0"]["bills"] == 4 and cv["layout0"]["lead"] > 0
    assert LearnedScorer.load(out).card["cv"] == cv


def test_cross_validation_scores_the_hand_set_score_with_a_table_of_the_training_folds(
        monkeypatch: pytest.MonkeyPatch) -> None:
    # the shipped summary-word table has seen every development bill: the CV must never use it
    import tandem.specialists.legal.summarizer as summarizer
    from tandem.specialists.legal.train_scorer import Bill, cross_validate, oracle_labels

    def shipped() -> None:
        raise AssertionError("cross-validation read the shipped summary-word table")

    monkeypatch.setattr(summarizer, "default_summary_words", shipped)
    cfg = SummarizerConfig()
    names = ("Rural Clinic", "Urban School", "Coastal Port", "Mountain Road")
    bills = []
    for i, name in enumerate(names):
        source, reference = BILL.replace("Rural Clinic", name), REFERENCE.replace("Rural Clinic", name)
        doc = prepare(source)
        enc = encode_documents([doc], FakeEncoder(), cfg.encode_words)[0]
        x = sentence_features(doc, enc.sentences, enc.headings, enc.title)
        y = oracle_labels([c.text for c in doc.candidates], reference, cfg.max_words)
        bills.append(Bill(i, 0, source, reference, doc, enc, x, y))
    result = cross_validate(bills, cfg, folds=2, c=1.0)
    assert result["layout0"]["bills"] == 4 and result["layout0"]["heuristic"] > 0
