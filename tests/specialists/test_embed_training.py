"""``tandem train embed``: the dev split, and (real MiniLM, a tiny run) the artifact through ``embed.<name>``:
stored vectors, search, the comparison, and a tampered artifact refused."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tandem.cli import app
from tandem.specialists.comparison.embed_pairs import ScoredPair
from tandem.specialists.training.embed import plan_splits, split_pairs

runner = CliRunner()

SUBJECTS = ["A man", "A woman", "A child", "The chef", "An old dog", "Two girls", "The pilot", "A student"]
ACTIONS = [("is playing a guitar.", "plays the guitar."), ("is slicing an onion.", "cuts an onion."),
           ("is riding a horse.", "rides a horse."), ("is reading a book.", "reads a novel."),
           ("is swimming in a lake.", "swims in the lake.")]


def pairs_file(path: Path) -> Path:
    """Scored pairs with a known shape: the same action paraphrased scores high, different actions low."""
    lines = ["text_a\ttext_b\tscore"]
    for i, subject in enumerate(SUBJECTS):
        for j, (left, right) in enumerate(ACTIONS):
            other = ACTIONS[(j + 1 + i) % len(ACTIONS)][1]
            lines.append(f"{subject} {left}\t{subject} {right}\t{4.0 + (i % 3) * 0.4}")
            lines.append(f"{subject} {left}\t{subject} {other}\t{0.5 + (j % 3) * 0.3}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_dev_pairs_split_the_same_way_every_time_and_never_overlap() -> None:
    pairs = [ScoredPair(f"sentence {i}", f"other {i}", i % 5) for i in range(400)]
    early, report = split_pairs(pairs)
    assert split_pairs(list(reversed(pairs))) == (list(reversed(early)), list(reversed(report)))  # by content
    assert not set(early) & set(report) and len(early) + len(report) == 400 and 150 < len(early) < 250
    train, early2, report2 = plan_splits(pairs[:300], pairs[300:])
    assert train == pairs[:300] and set(early2) | set(report2) == set(pairs[300:])
    train, early3, report3 = plan_splits(pairs, None)  # no dev file: a tenth held out of training, split in two
    assert not (set(early3) | set(report3)) & set(train) and 20 < len(early3) + len(report3) < 60
    with pytest.raises(ValueError, match="at least 3"):
        plan_splits(pairs, pairs[:3])


@pytest.mark.slow
def test_a_trained_encoder_is_an_artifact_used_by_name(tmp_path: Path, prefect_harness: None) -> None:
    pairs = pairs_file(tmp_path / "pairs.tsv")
    models = tmp_path / "models"
    done = runner.invoke(app, ["train", "embed", "--pairs", str(pairs), "--name", "tiny", "--epochs", "1",
                               "--models-dir", str(models), "--json"])
    assert done.exit_code == 0, done.stderr
    card = json.loads(done.stdout)
    assert card["kind"] == "embed" and card["n_train"] + card["n_heldout"] < 80
    report = card["metrics"]["report"]
    assert report["pairs"] == card["n_heldout"] >= 3 and -1 <= report["trained_int8"]["spearman"] <= 1
    assert card["metrics"]["early_stopping"]["steps"] >= 1 and "neither training nor early stopping" in \
        card["metrics_of"]
    files = set(card["files"])
    assert "model.safetensors" in files and not any(name.endswith((".bin", ".pt", ".pkl")) for name in files)

    # embed.tiny in a pipeline: vectors stored under the trained model's id, searchable with the same encoder
    docs = tmp_path / "docs.jsonl"
    docs.write_text("".join(json.dumps({"id": f"r{i}", "text": f"{s} {a[0]}"}) + "\n"
                            for i, (s, a) in enumerate(zip(SUBJECTS, ACTIONS * 2, strict=False))), encoding="utf-8")
    spec = tmp_path / "p.yaml"
    spec.write_text("stages:\n  - stage: embed.tiny\n    input: text\n")
    url = f"sqlite:///{tmp_path / 'r.db'}"
    ran = runner.invoke(app, ["run", str(docs), "--pipeline", str(spec), "--db", url, "--models-dir", str(models),
                              "--format", "none"])
    assert ran.exit_code == 0, ran.stderr
    found = runner.invoke(app, ["search", "Someone rides a horse.", "--embedder", "embed.tiny", "--k", "1",
                                "--models-dir", str(models), "--db", url, "--format", "json"])
    assert found.exit_code == 0, found.stderr
    result = json.loads(found.stdout)
    assert "embed:tiny|weights=" in result["model"] and "horse" in result["hits"][0]["text"]
    stock = runner.invoke(app, ["search", "horse", "--db", url])  # the stock model's vectors are not there
    assert stock.exit_code == 1 and "embed:tiny" in stock.stderr.replace("\n", "")

    # compared beside the stock encoder, by name
    compared = runner.invoke(app, ["compare", "embed", "--gold", str(pairs), "--specialist", "embed",
                                   "--specialist", "embed.tiny", "--no-llm", "--models-dir", str(models), "--db", url,
                                   "--json"])
    assert compared.exit_code == 0, compared.stderr
    assert [s["name"] for s in json.loads(compared.stdout)["systems"]] == ["embed", "embed.tiny"]

    # a weight changed since training: refused before any document is read
    weights = models / "tiny" / "model.safetensors"
    data = bytearray(weights.read_bytes())
    data[-1] ^= 1
    weights.write_bytes(bytes(data))
    refused = runner.invoke(app, ["run", str(docs), "--pipeline", str(spec), "--db", url, "--models-dir",
                                  str(models)])
    assert refused.exit_code == 2 and "model.safetensors" in refused.stderr
