"""The files of a ``classify.<name>`` artifact: written by training, read by :func:`load_classifier`.

This module is the only one that knows the file names and the layout (no pickle anywhere)::

    <models_dir>/<name>/
        model_card.json        data hash, labels, held-out metrics, parameters (tandem.specialists.artifacts)
        classifier.json        format version, labels, feature blocks and their options
        vocab.json             one list of terms per TF-IDF block (position = column)
        head.safetensors       coef (n_out x n_features), intercept, idf.<block>
        encoder/               only after fine-tuning: model.safetensors, config, tokenizer
        member.1/              only for a two-member ensemble: the same files (and encoder/) of a
                               second model whose probabilities are averaged with the main one's

:func:`write_classifier_files` writes ``classifier.json``, ``vocab.json`` and ``head.safetensors``;
:func:`read_classifier_files` reads them back (refusing another :data:`FORMAT_VERSION`) as a
:class:`ClassifierFiles`. The fine-tuned encoder folder is written by
:func:`tandem.specialists.training.finetune.finetune_encoder` into :data:`ENCODER_DIR`.

(:func:`load_classifier` is :func:`tandem.specialists.classifier.load_classifier`.)
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

#: the model card's ``kind`` and the stage family of trained classifiers
KIND = "classify"
FORMAT_VERSION = 1
CONFIG_FILE = "classifier.json"
VOCAB_FILE = "vocab.json"
HEAD_FILE = "head.safetensors"
#: the fine-tuned encoder's folder inside the artifact; ``classifier.json`` then names it as ``encoder``
ENCODER_DIR = "encoder"
#: ``encoder`` in ``classifier.json`` when the head sits on the stock MiniLM
STOCK_ENCODER = "stock"
#: the folder of an ensemble's extra member; ``classifier.json`` lists such folders under ``members``
MEMBER_DIR = "member.1"
#: ``preprocess`` step of ``classifier.json``: texts go through ``tandem.specialists.classifier.normalize_text``
UNICODE_ESCAPES = "unicode_escapes"


@dataclass
class ClassifierFiles:
    """What ``classifier.json``, ``vocab.json`` and ``head.safetensors`` hold."""

    config: dict[str, Any]
    vocabularies: list[list[str]]
    idfs: list[np.ndarray]
    coef: np.ndarray
    intercept: np.ndarray

    @property
    def labels(self) -> list[str]:
        return list(self.config["labels"])

    @property
    def blocks(self) -> list[dict[str, Any]]:
        return list(self.config["blocks"])

    @property
    def embedding_weight(self) -> float:
        return float(self.config.get("embedding_weight", 0.0))

    @property
    def fine_tuned(self) -> bool:
        """True when the head sits on the fine-tuned encoder saved in :data:`ENCODER_DIR`."""
        return bool(self.config.get("encoder") == ENCODER_DIR)

    @property
    def normalize(self) -> bool:
        return UNICODE_ESCAPES in self.config.get("preprocess", [])

    @property
    def members(self) -> list[str]:
        """Folders (relative to the artifact) of further models whose probabilities are averaged with this one's."""
        return [str(m) for m in self.config.get("members", [])]

    @property
    def lexicon(self) -> str | None:
        lexicon: str | None = self.config.get("lexicon")
        return lexicon

    @property
    def lexicon_weight(self) -> float:
        return float(self.config.get("lexicon_weight", 0.0))


def write_classifier_files(folder: Path, *, labels: Sequence[str], blocks: Sequence[Mapping[str, Any]],
                           vocabularies: Sequence[Sequence[str]], idfs: Sequence[np.ndarray],
                           embedding_weight: float, coef: np.ndarray, intercept: np.ndarray, fine_tuned: bool,
                           lexicon: str | None = None, lexicon_weight: float = 0.0,
                           members: Sequence[str] = ()) -> None:
    """Write classifier.json, vocab.json and head.safetensors into ``folder`` (``members``: see
    :attr:`ClassifierFiles.members`)."""
    from safetensors.numpy import save_file

    folder.mkdir(parents=True, exist_ok=True)
    config = {"format": FORMAT_VERSION, "kind": KIND, "labels": list(labels), "preprocess": [UNICODE_ESCAPES],
              "blocks": list(blocks),
              "embedding_weight": embedding_weight, "encoder": ENCODER_DIR if fine_tuned else STOCK_ENCODER,
              "head": "logistic_regression", "binary": coef.shape[0] == 1}
    if lexicon:
        config.update(lexicon=lexicon, lexicon_weight=lexicon_weight)
    if members:
        config["members"] = list(members)
    (folder / CONFIG_FILE).write_text(json.dumps(config, indent=2) + "\n", encoding="utf-8")
    (folder / VOCAB_FILE).write_text(json.dumps([list(v) for v in vocabularies], ensure_ascii=False),
                                     encoding="utf-8")
    tensors = {"coef": np.ascontiguousarray(coef, dtype=np.float32),
               "intercept": np.ascontiguousarray(intercept, dtype=np.float32)}
    for i, idf in enumerate(idfs):
        tensors[f"idf.{i}"] = np.ascontiguousarray(idf, dtype=np.float32)
    save_file(tensors, str(folder / HEAD_FILE))


def read_classifier_config(folder: Path) -> dict[str, Any]:
    """``classifier.json`` of ``folder``; a ValueError when it is missing or of another format."""
    path = folder / CONFIG_FILE
    if not path.is_file():
        raise ValueError(f"classifier artifact {folder} is incomplete: {CONFIG_FILE} is missing")
    config: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    if config.get("format") != FORMAT_VERSION:
        raise ValueError(f"classifier artifact {folder} has format {config.get('format')!r}; "
                         f"this version reads format {FORMAT_VERSION}")
    return config


def read_classifier_files(folder: Path) -> ClassifierFiles:
    """Read what :func:`write_classifier_files` wrote into ``folder``."""
    from safetensors.numpy import load_file

    config = read_classifier_config(folder)
    vocabularies = json.loads((folder / VOCAB_FILE).read_text(encoding="utf-8"))
    tensors = load_file(str(folder / HEAD_FILE))
    idfs = [tensors[f"idf.{i}"] for i in range(len(config["blocks"]))]
    return ClassifierFiles(config, vocabularies, idfs, tensors["coef"], tensors["intercept"])
