"""The pieces of NER training: held-out splits, augmentation, the warm-started pipeline, freezing.

:func:`~tandem.specialists.training.ner.train_ner` puts them together.
"""

from __future__ import annotations

import copy
import random
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from tandem.specialists.conll import Sentence, group_documents
from tandem.specialists.spacy_ner import STOCK_MODEL
from tandem.specialists.training.ner_vectors import add_vectors, copy_tok2vec

if TYPE_CHECKING:
    from spacy.language import Language
    from spacy.training import Example

BASES = (STOCK_MODEL, "blank")

#: which stock (OntoNotes) label's output weights a new label starts from (case-insensitive keys)
WARM_START_LABELS: dict[str, str] = {
    "per": "PERSON", "person": "PERSON",
    "loc": "GPE", "location": "GPE", "gpe": "GPE",
    "org": "ORG", "organization": "ORG", "organisation": "ORG", "corporation": "ORG", "group": "ORG",
    "misc": "NORP", "norp": "NORP",
    "product": "PRODUCT", "creative-work": "WORK_OF_ART", "work_of_art": "WORK_OF_ART",
    "event": "EVENT", "fac": "FAC", "law": "LAW", "language": "LANGUAGE", "date": "DATE",
}

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


def upper_cased(sentence: Sentence) -> Sentence:
    """The sentence in capitals (as in CoNLL headlines and datelines)."""
    return Sentence(tuple(t.upper() for t in sentence.tokens), sentence.tags, sentence.doc)


def make_example(nlp: Language, sentence: Sentence) -> Example:
    from spacy.tokens import Doc
    from spacy.training import Example

    words = list(sentence.tokens)
    return Example(Doc(nlp.vocab, words=words), Doc(nlp.vocab, words=words, ents=list(sentence.tags)))


def build_pipeline(base: str, train: Sequence[Sentence], vectors: str = "none") -> Language:
    """A pipeline with one fresh ``ner`` component, warm-started from the stock recognizer if asked.

    ``vectors`` (:data:`~tandem.specialists.training.ner_vectors.VECTORS`): static word vectors added to the
    vocabulary and as one more input of the recognizer's tok2vec."""
    import spacy

    static = vectors != "none"
    if base == "blank":
        nlp = spacy.blank("en")
        add_vectors(nlp.vocab, vectors)
        ner: Any = nlp.add_pipe("ner", config={"model": {"tok2vec": {"pretrained_vectors": static}}})
        examples = [make_example(nlp, s) for s in train]
        ner.initialize(lambda: examples, nlp=nlp)
        return nlp
    stock = spacy.load(STOCK_MODEL, exclude=_STOCK_PIPES_DROPPED)
    add_vectors(stock.vocab, vectors)
    model_config = copy.deepcopy(stock.config["components"]["ner"]["model"])
    model_config["tok2vec"]["embed"]["include_static_vectors"] = static
    _, old = stock.remove_pipe("ner")
    ner = stock.add_pipe("ner", config={"model": model_config})  # an EntityRecognizer
    examples = [make_example(stock, s) for s in train]
    # initialise the new component only: initialising the stock pipeline fails (E955)
    ner.initialize(lambda: examples, nlp=stock)
    warm_start(ner, old)
    return stock


def warm_start(new: Any, old: Any) -> None:
    """Copy the stock recognizer's tok2vec and hidden layer, and map its output rows to new actions."""
    copy_tok2vec(new.model.get_ref("tok2vec"), old.model.get_ref("tok2vec"))
    new.model.get_ref("lower").from_bytes(old.model.get_ref("lower").to_bytes())
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


def frozen_node_ids(ner: Any, freeze: str) -> set[int]:
    if freeze == "none":
        return set()
    tok2vec = ner.model.get_ref("tok2vec")
    if freeze == "tok2vec":
        return {node.id for node in tok2vec.walk()}
    if freeze == "embed":
        return {node.id for node in tok2vec.walk() if node.name == "hashembed"}
    raise ValueError(f"freeze must be none, embed or tok2vec, not {freeze!r}")
