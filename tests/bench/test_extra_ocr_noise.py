"""``bench/extra_ocr_noise.py``: a noisier copy of a cleanup gold file, repeatable by seed, gold text untouched."""

from __future__ import annotations

import json
from pathlib import Path
from types import ModuleType

from tests.bench import load_script


def extra_noise() -> ModuleType:
    return load_script("extra_ocr_noise")


def test_a_share_of_words_is_misread_once_the_clean_text_and_spacing_kept(tmp_path: Path) -> None:
    words = ["there", "were", "three", "horses", "in", "the", "meadow", "behind", "mill"] * 40
    noisy = " ".join(words[:180]) + "\n" + "  ".join(words[180:])
    source = tmp_path / "gold.jsonl"
    source.write_text(json.dumps({"id": "p1", "noisy": noisy, "clean": noisy}) + "\n", encoding="utf-8")
    module = extra_noise()
    outputs = []
    for run in range(2):
        target = tmp_path / f"noisier{run}.jsonl"
        assert module.main([str(source), str(target), "--rate", "0.2", "--seed", "3"]) == 0
        outputs.append(json.loads(target.read_text(encoding="utf-8")))
    first, second = outputs
    assert first == second  # the same seed, the same draw
    assert first["clean"] == noisy and first["id"] == "p1"
    before, after = noisy.split(" "), first["noisy"].split(" ")
    assert len(before) == len(after) and first["noisy"].count("\n") == 1  # spacing kept word for word
    changed = [(b, a) for b, a in zip(before, after, strict=True) if b != a]
    assert 0.1 * len(before) < len(changed) < 0.3 * len(before)
    assert all(len(b) > 2 for b, _a in changed)  # "in" is never misread
    assert module.misread("jpgk", module.random.Random(0)) == "jpgk"  # no letter shape to misread
