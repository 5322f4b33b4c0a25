"""Cleanup models go through the artifact loader of the other specialists: a name (never a path), no symlink
out of the models folder, every file's sha256 checked against the card; ``tandem run`` refuses a bad one with
exit 2 before reading any document. ``model_path`` is the documented way to use a file of one's own."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tandem.cli import app
from tandem.specialists.artifacts import TamperedArtifactError, UnsafeArtifactError
from tandem.stages.llm.cleanup import CleanupStage
from tandem.stages.options import StageOptionsError

runner = CliRunner()
PAIRS = [{"noisy": "tbe lnnd was ofleied by tbe Crown", "clean": "the land was offered by the Crown"}] * 3


@pytest.fixture()
def models(tmp_path: Path, prefect_harness: None) -> Path:  # the harness: no temporary API per `tandem run`
    data = tmp_path / "pairs.jsonl"
    data.write_text("".join(json.dumps(row) + "\n" for row in PAIRS))
    folder = tmp_path / "models"
    trained = runner.invoke(app, ["train", "cleanup", "--data", str(data), "--name", "ocr1", "--models-dir",
                                  str(folder)])
    assert trained.exit_code == 0, trained.output
    return folder


def run(models: Path, tmp_path: Path, options: str) -> tuple[int, str]:
    docs = tmp_path / "docs"
    docs.mkdir(exist_ok=True)
    (docs / "a.jsonl").write_text('{"text": "tbe lnnd is sold", "ocr": true}\n')
    spec = tmp_path / "p.yaml"
    spec.write_text(f"name: p\nstages:\n  - stage: cleanup\n    options: {{{options}, llm_calls: 0}}\n")
    done = runner.invoke(app, ["run", str(docs), "--pipeline", str(spec), "--models-dir", str(models), "--db",
                               f"sqlite:///{tmp_path / 'r.db'}", "--format", "none"])
    return done.exit_code, done.output


def test_a_trained_name_loads_checked(models: Path) -> None:
    stage = CleanupStage(llm="fake:x", model="ocr1", models_dir=str(models), llm_calls=0)
    stage.check_artifacts()
    assert stage.corrector.model.words["tbe"] == {"the": 6}
    assert stage.config()["model"] == "ocr1" and "models_dir" not in stage.config()


def test_a_path_as_model_is_refused_at_build(models: Path, tmp_path: Path) -> None:
    with pytest.raises(StageOptionsError, match="not a path"):
        CleanupStage(llm="fake:x", model=str(models / "ocr1" / "confusion.json"))
    code, output = run(models, tmp_path, f"model: {models / 'ocr1'}")
    assert code == 2 and "not a path" in output and not (tmp_path / "r.db").exists()


def test_a_symlink_out_of_the_models_folder_is_refused(models: Path, tmp_path: Path) -> None:
    outside = tmp_path / "elsewhere"
    (models / "ocr1").rename(outside)
    os.symlink(outside, models / "ocr1")
    with pytest.raises(UnsafeArtifactError):
        CleanupStage(llm="fake:x", model="ocr1", models_dir=str(models)).check_artifacts()
    code, output = run(models, tmp_path, "model: ocr1")
    assert code == 2 and "symbolic link" in output


def test_a_flipped_byte_is_refused_naming_the_file(models: Path, tmp_path: Path) -> None:
    weights = models / "ocr1" / "confusion.json"
    data = bytearray(weights.read_bytes())
    data[len(data) // 2] ^= 0x01
    weights.write_bytes(bytes(data))
    with pytest.raises(TamperedArtifactError, match="confusion.json"):
        CleanupStage(llm="fake:x", model="ocr1", models_dir=str(models)).check_artifacts()
    code, output = run(models, tmp_path, "model: ocr1")
    assert code == 2 and "sha256" in output


def test_model_path_is_the_explicit_trusted_file(models: Path) -> None:
    stage = CleanupStage(llm="fake:x", model_path=str(models / "ocr1" / "confusion.json"), llm_calls=0)
    assert stage.corrector.model.words["tbe"] == {"the": 6}
    with pytest.raises(StageOptionsError, match="not both"):
        CleanupStage(llm="fake:x", model="ocr1", model_path="x.json")
