"""``tandem compare ner``: a CoNLL gold file, one document per sentence.

A document's text is its tokens joined by single spaces; gold token spans become character offsets in
that text, so every system (which reads only the text, as in a pipeline) is scored on the same footing:
exact span and label, micro-averaged (:func:`~tandem.specialists.metrics.ner.entity_scores`, as ``tandem eval
ner``): ``precision``, ``recall``, ``f1``, ``tp``, ``fp``, ``fn`` and ``per_label``.

Systems: a spaCy specialist (``--specialist conll`` / ``ner.spacy:conll`` for a trained artifact;
``ner.spacy`` for the stock OntoNotes model, whose labels go through the same label map as ``tandem eval
ner``: ``ontonotes-to-conll`` by default when the gold labels look like CoNLL's) and ``ner.llm`` asked for
the gold entity types.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, ClassVar

from tandem.specialists.comparison.gold import (
    GoldOptions,
    GoldSet,
    SystemSpec,
    check_llm_spec,
    llm_name,
    resolve_specialist,
    stage_options,
)
from tandem.specialists.comparison.report import Task
from tandem.specialists.conll import Sentence
from tandem.stages.contracts import Entities, StageFailure, StageOutput

CharSpan = tuple[int, int, str]

#: hints for the LLM when the gold labels are CoNLL's (its own defaults cover OntoNotes names)
CONLL_HINTS: dict[str, str] = {
    "PER": "names of people",
    "ORG": "companies, agencies, institutions, teams",
    "LOC": "places: countries, cities, states, regions, rivers",
    "MISC": "other names: nationalities, languages, events, products, works",
}


def sentence_text(tokens: Sequence[str]) -> tuple[str, list[int]]:
    """The tokens joined by single spaces, and each token's start offset in that text."""
    starts: list[int] = []
    position = 0
    for token in tokens:
        starts.append(position)
        position += len(token) + 1
    return " ".join(tokens), starts


def char_spans(sentence: Sentence) -> list[CharSpan]:
    """The sentence's gold entities as ``(start_char, end_char, label)`` in :func:`sentence_text`."""
    _text, starts = sentence_text(sentence.tokens)
    return [(starts[first], starts[last - 1] + len(sentence.tokens[last - 1]), label)
            for first, last, label in sentence.spans]


class NerGold(GoldSet):
    task: ClassVar[Task] = "ner"

    def __init__(self, path: str | Path, sentences: Sequence[Sentence], options: GoldOptions | None = None,
                 entity_types: Sequence[str] | None = None) -> None:
        from tandem.specialists.conll import labels_of

        super().__init__(path, [sentence_text(s.tokens)[0] for s in sentences], options)
        self.sentences = list(sentences)
        self.spans = [char_spans(s) for s in self.sentences]
        #: every label the gold file uses (the whole file, also with ``--limit``): what the LLM is asked for
        self.entity_types = sorted(entity_types) if entity_types is not None else labels_of(self.sentences)

    @classmethod
    def read(cls, path: str | Path, options: GoldOptions | None = None, limit: int | None = None) -> NerGold:
        from tandem.specialists.conll import labels_of, read_conll

        sentences = read_conll(path)
        return cls(path, sentences[:limit], options, entity_types=labels_of(sentences))

    def predicted(self, outputs: Sequence[StageOutput | StageFailure]) -> list[list[CharSpan]]:
        self.check(outputs)
        return [[(e.start, e.end, e.label) for e in o.entities] if isinstance(o, Entities) else [] for o in outputs]

    def score(self, outputs: Sequence[StageOutput | StageFailure]) -> dict[str, Any]:
        from tandem.specialists.metrics.ner import entity_scores

        return entity_scores(self.spans, self.predicted(outputs))

    def specialist(self, name: str, models_dir: str | None = None) -> SystemSpec:
        from tandem.specialists.evaluation.ner import DEFAULT_CONLL_MAP
        from tandem.specialists.label_maps import looks_like_conll, resolve_label_map

        stage = resolve_specialist(name, "ner.spacy", Entities)
        options = stage_options(stage, models_dir=models_dir)
        mapping = resolve_label_map(self.options.label_map)
        map_name = self.options.label_map if mapping else None
        if mapping is None and stage == "ner.spacy" and looks_like_conll(self.entity_types):
            mapping = resolve_label_map(DEFAULT_CONLL_MAP)
            map_name = f"{DEFAULT_CONLL_MAP} (default: stock model, CoNLL gold labels)"
        return SystemSpec(name=stage, kind="specialist", stage=stage, options=options, label_map=mapping,
                          label_map_name=map_name)

    def llm(self, spec: str | None) -> SystemSpec:
        check_llm_spec(spec)
        labels = self.entity_types
        if not labels:
            raise ValueError(f"{self.path}: the gold file has no entities, so there are no entity types to ask for")
        hints = {label: CONLL_HINTS[label] for label in labels if label in CONLL_HINTS}
        return SystemSpec(name=llm_name("ner.llm", spec), kind="llm", stage="ner.llm",
                          options={"labels": labels, "descriptions": hints, "llm": spec})

    def relabel(self, output: StageOutput | StageFailure, mapping: Mapping[str, str]) -> StageOutput | StageFailure:
        """Rename entity labels by ``mapping``; entities whose label it lacks are dropped (as ``tandem eval ner``)."""
        if not isinstance(output, Entities):
            return output
        kept = [e.model_copy(update={"label": mapping[e.label]}) for e in output.entities if mapping.get(e.label)]
        return output.model_copy(update={"entities": kept})
