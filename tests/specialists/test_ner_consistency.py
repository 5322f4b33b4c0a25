"""Document-level consistency of entities: the pure rules, the ``ner.spacy`` stage and the evaluation use them."""

from __future__ import annotations

from typing import Any

from tandem.specialists.conll import Sentence
from tandem.specialists.evaluation.ner import harmonized_by_document, predict_spans
from tandem.specialists.ner_consistency import harmonize_entities, name_labels

REPORT = [
    "Philadelphia beat Texas 5 - 3 on Sunday .".split(),
    "Texas manager Smith praised Philadelphia .".split(),
    "In Texas , fans cheered .".split(),
]


def test_one_label_per_name_by_majority_and_ties_change_nothing() -> None:
    spans = [[(0, 1, "ORG"), (2, 3, "ORG")], [(0, 1, "LOC"), (4, 5, "ORG")], [(1, 2, "LOC")]]
    harmonized = harmonize_entities(REPORT, spans)
    assert harmonized[0] == [(0, 1, "ORG"), (2, 3, "LOC")]  # Texas: LOC twice, ORG once
    assert harmonized[1] == [(0, 1, "LOC"), (4, 5, "ORG")]  # Philadelphia: ORG twice, no other vote
    tied = harmonize_entities(REPORT[:2], [[(0, 1, "ORG")], [(4, 5, "LOC")]])
    assert tied == [[(0, 1, "ORG")], [(4, 5, "LOC")]]


def test_unlabelled_mentions_of_a_labelled_name_are_labelled_unless_part_of_a_longer_name() -> None:
    tokens = ["The Titanic sank .".split(), "Such said the Titanic was big .".split(),
              "He saw Titanic Films .".split(), "titanic losses .".split()]
    harmonized = harmonize_entities(tokens, [[(1, 2, "MISC")], [], [], []])
    assert harmonized[1] == [(3, 4, "MISC")]
    assert harmonized[2] == []  # "Titanic Films": a capitalised word joins it
    assert harmonized[3] == []  # not capitalised
    one_text = harmonize_entities(["The Titanic sank . Then Titanic was raised .".split()], [[(1, 2, "MISC")]])
    assert one_text == [[(1, 2, "MISC"), (5, 6, "MISC")]]  # "Then" is capitalised only because it opens a sentence
    lower = harmonize_entities(["Shares of ebay rose .".split(), "ebay fell .".split()], [[(2, 3, "ORG")], []])
    assert lower == [[(2, 3, "ORG")], []]  # a name the recognizer found in lower case is not spread


def test_a_persons_last_name_alone_is_that_person() -> None:
    tokens = ["Bill Clinton spoke .".split(), "Clinton left for Kraft .".split(), "Later Clinton slept .".split()]
    assert name_labels(tokens, [[(0, 2, "PER")], [(0, 1, "ORG")], []])[("Clinton",)] == "PER"
    harmonized = harmonize_entities(tokens, [[(0, 2, "PER")], [(0, 1, "ORG"), (3, 4, "ORG")], []])
    assert harmonized == [[(0, 2, "PER")], [(0, 1, "PER"), (3, 4, "ORG")], [(1, 2, "PER")]]


def test_a_capitals_headline_reads_a_name_as_the_report_writes_it() -> None:
    tokens = ["SOCCER - LENTINI MOVES TO ATALANTA .".split(), "Lentini joined Atalanta on Friday .".split(),
              "ATALANTA 1996-08-30".split(), "Atalanta and ATALANTA Atalanta".split()]
    spans = [[(2, 3, "PER"), (5, 6, "LOC")], [(0, 1, "PER"), (2, 3, "ORG")], [(0, 1, "LOC")], [(0, 1, "ORG"), (2, 3, "LOC")]]
    harmonized = harmonize_entities(tokens, spans)
    assert harmonized[0] == [(2, 3, "PER"), (5, 6, "ORG")]  # the headline's ATALANTA is the report's club
    assert harmonized[2] == [(0, 1, "LOC")]  # a lone capitalised word is no headline (a dateline's city)
    assert harmonized[3] == [(0, 1, "ORG"), (2, 3, "LOC")]  # in running text capitals keep their own reading
    two_ways = harmonize_entities(tokens[:2] + ["Rain fell on the atalanta plain .".split()],
                                  [[(2, 3, "PER"), (5, 6, "MISC")], [(0, 1, "PER"), (2, 3, "ORG")], [(4, 5, "LOC")]])
    assert two_ways[0] == [(2, 3, "PER"), (5, 6, "MISC")]  # the report writes it two ways: left alone


def test_a_datelines_city_is_a_place_of_the_kind_its_region_is() -> None:
    tokens = ["MILWAUKEE , Wisconsin 1996-08-29".split(), "Milwaukee beat Boston .".split()]
    harmonized = harmonize_entities(tokens, [[(0, 1, "ORG"), (2, 3, "LOC")], [(0, 1, "ORG"), (2, 3, "ORG")]])
    assert harmonized == [[(0, 1, "LOC"), (2, 3, "LOC")], [(0, 1, "ORG"), (2, 3, "ORG")]]
    gpe = harmonize_entities([tokens[0]], [[(0, 1, "ORG"), (2, 3, "GPE")]])
    assert gpe == [[(0, 1, "GPE"), (2, 3, "GPE")]]  # any label set: the region's label
    spacy_date = harmonize_entities(["MILWAUKEE , Wisconsin 1996 - 08 - 29".split()], [[(0, 1, "ORG"), (2, 3, "GPE")]])
    assert spacy_date == gpe  # spaCy's tokenizer splits the date in five
    for words, found in ((["MILWAUKEE", "1996-08-29"], [(0, 1, "ORG")]),  # no region to read the kind from
                         ("Fans in Milwaukee , Wisconsin 1996-08-29".split(), [(2, 3, "ORG"), (4, 5, "LOC")])):
        assert harmonize_entities([words], [found]) == [found]


def test_evaluation_harmonizes_within_each_gold_document_only() -> None:
    tags = ("O",) * 6
    sentences = [Sentence(tuple("Texas won in Texas today .".split()), tags, doc=0),
                 Sentence(tuple("Texas lost in Dallas today .".split()), tags, doc=1)]
    predictions = [[(0, 1, "ORG")], []]
    assert harmonized_by_document(sentences, predictions) == [[(0, 1, "ORG"), (3, 4, "ORG")], []]


def _two_way_ruler() -> Any:
    """A real spaCy pipeline whose entity ruler labels one name two ways."""
    import spacy

    nlp = spacy.blank("en")
    ruler = nlp.add_pipe("entity_ruler")
    ruler.add_patterns([{"label": "PERSON", "pattern": "Bill Clinton"}, {"label": "ORG", "pattern": "Clinton"}])
    return nlp


def test_scoring_a_pipeline_harmonizes_unless_told_not_to() -> None:
    sentences = [Sentence(("Bill", "Clinton", "spoke"), ("B-PER", "I-PER", "O"), doc=0),
                 Sentence(("Clinton", "left"), ("B-PER", "O"), doc=0)]
    assert predict_spans(_two_way_ruler(), sentences)[0] == [[(0, 2, "PERSON")], [(0, 1, "PERSON")]]
    assert predict_spans(_two_way_ruler(), sentences, consistency=False)[0] == [[(0, 2, "PERSON")], [(0, 1, "ORG")]]


def _ruler_stage(consistency: bool) -> Any:
    """The ``ner.spacy`` stage on :func:`_two_way_ruler` instead of a model."""
    from tandem.specialists.spacy_ner import SpacyNerStage

    stage = SpacyNerStage(consistency=consistency)
    stage.nlp = _two_way_ruler()
    stage._loaded = True  # the pipeline above instead of a model
    return stage


def test_the_stage_harmonizes_a_documents_entities_unless_told_not_to() -> None:
    text = "Bill Clinton spoke. Then Clinton left."
    on = _ruler_stage(consistency=True)._entities([("d", text)])["d"]
    assert [(e.text, e.label, e.start) for e in on] == [("Bill Clinton", "PERSON", 0), ("Clinton", "PERSON", 25)]
    off = _ruler_stage(consistency=False)._entities([("d", text)])["d"]
    assert [(e.text, e.label) for e in off] == [("Bill Clinton", "PERSON"), ("Clinton", "ORG")]


def test_the_stage_reads_each_line_as_a_sentence_so_headlines_and_datelines_are_seen() -> None:
    import spacy

    from tandem.specialists.spacy_ner import SpacyNerStage

    nlp = spacy.blank("en")
    nlp.add_pipe("entity_ruler").add_patterns([
        {"label": "LOC", "pattern": "ATALANTA"}, {"label": "ORG", "pattern": "Atalanta"},
        {"label": "ORG", "pattern": "MILWAUKEE"}, {"label": "GPE", "pattern": "Wisconsin"}])
    stage = SpacyNerStage()
    stage.nlp, stage._loaded = nlp, True
    text = "SOCCER - LENTINI MOVES TO ATALANTA .\nMILWAUKEE, Wisconsin 1996-08-29\n\nLentini joined Atalanta. More.\n"
    found = stage._entities([("d", text)])["d"]
    assert [(e.text, e.label) for e in found] == [
        ("ATALANTA", "ORG"), ("MILWAUKEE", "GPE"), ("Wisconsin", "GPE"), ("Atalanta", "ORG")]
    assert [text[e.start:e.end] for e in found] == [e.text for e in found]
    stage = SpacyNerStage(consistency_by_line=False)  # the whole text one sentence, as before the option
    stage.nlp, stage._loaded = nlp, True
    found = stage._entities([("d", text)])["d"]
    assert [(e.text, e.label) for e in found] == [
        ("ATALANTA", "LOC"), ("MILWAUKEE", "ORG"), ("Wisconsin", "GPE"), ("Atalanta", "ORG")]


def test_an_entity_the_beam_never_found_takes_its_names_best_probability() -> None:
    import spacy
    from spacy.tokens import Span

    from tandem.specialists.spacy_ner import entity_probabilities

    doc = spacy.blank("en")("Texas won . Texas lost .")
    doc.ents = [Span(doc, 0, 1, label="LOC"), Span(doc, 3, 4, label="ORG")]  # what the recognizer said
    ents = [Span(doc, 0, 1, label="LOC"), Span(doc, 3, 4, label="LOC")]  # the second relabelled LOC by the vote
    beam = {(0, 1, "LOC"): 0.9, (3, 4, "ORG"): 0.7, (3, 4, "LOC"): 0.2}
    assert entity_probabilities(doc, ents, beam) == {(0, 1, "LOC"): 0.9, (3, 4, "LOC"): 0.2}
    del beam[(3, 4, "LOC")]  # relabelled LOC by the vote: the beam only had it as ORG
    assert entity_probabilities(doc, ents, beam) == {(0, 1, "LOC"): 0.9, (3, 4, "LOC"): 0.9}
    assert entity_probabilities(doc, [Span(doc, 3, 4, label="PER")], beam) == {(3, 4, "PER"): 0.0}
    # a recognizer's own entity the beam never found scores 0, as without consistency, even when its name has
    # the label elsewhere in the beam
    beam = {(3, 4, "ORG"): 0.7, (3, 4, "LOC"): 0.2}
    assert entity_probabilities(doc, list(doc.ents), beam) == {(0, 1, "LOC"): 0.0, (3, 4, "ORG"): 0.7}
