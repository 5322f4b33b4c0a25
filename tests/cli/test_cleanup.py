"""``tandem train cleanup`` and ``tandem eval cleanup`` (cross-validated by document), without the LLM."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from tandem.cli.cleanup import eval_cleanup_command, train_cleanup_command
from tandem.specialists.evaluation.cleanup import assign_folds
from tests.cli.command_apps import flat, make_app

app = make_app(train={"cleanup": train_cleanup_command}, evaluate={"cleanup": eval_cleanup_command})
runner = CliRunner()
ROWS = [
    {"noisy": "tbe lnnd was ofleied for sale by tbe Crown\ntho price was high", "clean":
     "the land was offered for sale by the Crown\nthe price was high"},
    {"noisy": "tbe rnen of tho town met in tbe hall", "clean": "the men of the town met in the hall"},
    {"noisy": "A clean sentence about the harbour.", "clean": "A clean sentence about the harbour."},
    {"noisy": "tbe acies of land at tho creek", "clean": "the acres of land at the creek"},
]


def gold(tmp_path: Path) -> Path:
    path = tmp_path / "g.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in ROWS))
    return path


def test_train_cleanup_saves_a_json_model_and_its_card(tmp_path: Path) -> None:
    result = runner.invoke(app, ["train", "cleanup", "--data", str(gold(tmp_path)), "--name", "ocr1",
                                 "--models-dir", str(tmp_path / "models"), "--json"])
    assert result.exit_code == 0, result.output
    card = json.loads(result.stdout)
    assert card["kind"] == "cleanup" and card["n_train"] == 4
    folder = tmp_path / "models" / "ocr1"
    assert json.loads((folder / "confusion.json").read_text())["words"]["tbe"] == {"the": 5}
    evaluated = runner.invoke(app, ["eval", "cleanup", "--gold", str(gold(tmp_path)), "--no-llm", "--model", "ocr1",
                                    "--models-dir", str(tmp_path / "models"), "--json"])
    assert evaluated.exit_code == 0, evaluated.output
    assert json.loads(evaluated.stdout)["options"]["model"] == "ocr1"


def test_eval_cleanup_cross_validates_by_document(tmp_path: Path) -> None:
    result = runner.invoke(app, ["eval", "cleanup", "--gold", str(gold(tmp_path)), "--no-llm", "--cv", "2", "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["cv"] == 2 and report["docs"] == 4 and report["llm"] == "none" and report["llm_calls"] == 0
    assert report["cer_after"] <= report["cer_before"] and 0.0 <= report["unchanged"] <= 1.0
    assert "model_path" not in report["options"] and report["options"]["model"] is None  # per-fold temporary files


def test_folds_are_seeded_and_balanced() -> None:
    folds = assign_folds(10, 3, seed=0)
    assert folds == assign_folds(10, 3, seed=0) and folds != assign_folds(10, 3, seed=1)
    assert sorted(folds.count(f) for f in range(3)) == [3, 3, 4]


def test_bad_cv_and_model_with_cv_are_usage_errors(tmp_path: Path) -> None:
    result = runner.invoke(app, ["eval", "cleanup", "--gold", str(gold(tmp_path)), "--cv", "1", "--no-llm"])
    assert result.exit_code == 2 and "--cv needs 2 to 4 folds" in flat(result.output)
    result = runner.invoke(app, ["eval", "cleanup", "--gold", str(gold(tmp_path)), "--cv", "2", "--model", "x"])
    assert result.exit_code == 2 and "exclude each other" in flat(result.output)
