"""``embed.llm``: a document's vector from the embedded LLM (SmolLM2-135M GGUF) through llama.cpp's embedding mode.

``Llama(model_path=..., embedding=True, pooling_type=MEAN)``: the token embeddings of the last layer, mean-pooled
and L2-normalised; the same :class:`~tandem.stages.contracts.Embedding` output as ``embed`` (its own model id, so
the two are never mixed in a search). The first ``max_tokens`` tokens count (the text is cut before). A general
LLM's mean-pooled vectors are much weaker than a sentence encoder's and ~30-60x slower: ``tandem compare embed``
measures both on your pairs.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import Field

from tandem.specialists.embedding import CHARS_PER_TOKEN, embeddings_of
from tandem.stages.base import BatchResult, Stage
from tandem.stages.contracts import DocState, Embedding, TextLike
from tandem.stages.options import NOT_IN_KEY, PathOption, StageOptions

_LOCK = threading.Lock()


@lru_cache(maxsize=2)
def load_embedding_llm(path: str, n_ctx: int, threads: int) -> Any:
    """One llama.cpp model in embedding mode per process and setting."""
    import llama_cpp

    return llama_cpp.Llama(model_path=path, embedding=True, n_ctx=n_ctx, n_batch=n_ctx, n_threads=threads,
                           verbose=False, pooling_type=llama_cpp.LLAMA_POOLING_TYPE_MEAN)


def gguf_location(model_path: str | Path | None) -> Path:
    if model_path:
        return Path(model_path)
    from tandem.stages.llm.gguf import default_gguf_path

    return default_gguf_path()


class LlmEmbedOptions(StageOptions):
    model_path: PathOption | None = Field(None, description="a GGUF file (default: the embedded SmolLM2-135M)")
    max_tokens: int = Field(256, ge=8, le=2048, description="tokens the model sees; the rest is cut")
    threads: int = Field(2, ge=1, description="llama.cpp threads", json_schema_extra=NOT_IN_KEY)


class LlmEmbedStage(Stage[Embedding], name="embed.llm", version="1", reads={"text": TextLike}, writes="embedding",
                    options=LlmEmbedOptions, batch=64):
    """The embedded LLM's mean-pooled, normalised vector of the input text (see the module docstring)."""

    options: LlmEmbedOptions

    def model_id(self) -> str:
        return f"{gguf_location(self.options.model_path).name}+mean"

    def _model(self) -> Any:
        # a context of a multiple of 256 (llama.cpp aborts building the pooling graph for some others)
        n_ctx = max(512, -(-self.options.max_tokens // 256) * 256)
        return load_embedding_llm(str(gguf_location(self.options.model_path)), n_ctx, self.options.threads)

    def _load(self) -> None:
        self._model()

    def count_tokens(self, texts: Sequence[str]) -> int:
        """Tokens the model reads for ``texts`` (each cut to ``max_tokens``)."""
        model = self._model()
        return sum(min(self.options.max_tokens + 8, len(model.tokenize(text.encode("utf-8", "replace"))))
                   for text in texts)

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """Normalised float32 vectors of ``texts``, one at a time (each cut to ``max_tokens`` tokens)."""
        model = self._model()
        vectors = []
        with _LOCK:
            for text in texts:
                clipped = text[:self.options.max_tokens * CHARS_PER_TOKEN]
                vectors.append(np.asarray(model.embed(clipped, normalize=True, truncate=True),
                                          dtype=np.float32).reshape(-1))
        return np.stack(vectors) if vectors else np.zeros((0, 1), dtype=np.float32)

    def run(self, batch: Sequence[DocState]) -> BatchResult[Embedding]:
        self.load()
        return embeddings_of(self, batch, self.model_id(), self.encode)
