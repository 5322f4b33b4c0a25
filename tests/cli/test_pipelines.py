"""``tandem pipelines``: listing, one stage's options, and option errors at build time (exit code 2)."""

from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from tandem.cli import app

runner = CliRunner()


def flat(text: str) -> str:
    return " ".join(text.split())


def test_listing_shows_every_builtin_pipeline_with_its_steps() -> None:
    listing = runner.invoke(app, ["pipelines"])
    assert listing.exit_code == 0
    assert "ner: ner.spacy(input=text)" in listing.stdout and "clean: cleanup" in listing.stdout
    assert "ner.spacy.v1" in flat(listing.stdout) and "tandem pipelines --stage NAME" in flat(listing.stdout)


def test_stage_shows_reads_writes_options_and_defaults() -> None:
    shown = runner.invoke(app, ["pipelines", "--stage", "summarize"], terminal_width=200)
    assert shown.exit_code == 0, shown.stdout
    text = flat(shown.stdout)
    assert "reads clean (TextLike)" in text and "writes summary (Summary)" in text
    assert "batch 8 documents per task" in text  # an LLM stage: small batches
    ner = flat(runner.invoke(app, ["pipelines", "--stage", "ner.spacy"], terminal_width=200).stdout)
    assert "batch 1000 documents per task" in ner and "--batch-size ner.spacy=N" in ner
    for option, default in (("max_sentences", "3"), ("chunk_tokens", "2800"), ("max_map_calls", "16"),
                            ("reduce_fan_in", "6"), ("passthrough_words", "30")):
        assert f"{option} │ int │ {default} │ yes" in text
    assert "llm │ str | None │ None │ no" in text


def test_stage_of_an_artifact_family_and_an_unknown_stage() -> None:
    shown = runner.invoke(app, ["pipelines", "--stage", "classify.spam"], terminal_width=200)
    assert shown.exit_code == 0 and "artifact=spam" in shown.stdout and "writes spam (Classification)" in flat(
        shown.stdout)
    unknown = runner.invoke(app, ["pipelines", "--stage", "ner.nope"])
    assert unknown.exit_code == 2 and "unknown stage 'ner.nope'" in unknown.stderr


def test_unknown_or_ill_typed_option_exits_2_listing_the_valid_ones(tmp_path: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    import tandem.flows.ingest

    def must_not_read(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("documents were read")

    monkeypatch.setattr(tandem.flows.ingest, "read_inputs", must_not_read)
    (tmp_path / "a.txt").write_text("text")
    spec = tmp_path / "bad.yaml"
    url = f"sqlite:///{tmp_path / 'x.db'}"
    spec.write_text("stages:\n  - stage: summarize\n    input: text\n    options: {max_sentence: 2}\n")
    result = runner.invoke(app, ["run", str(tmp_path / "a.txt"), "--pipeline", str(spec), "--db", url])
    assert result.exit_code == 2
    message = flat(result.stderr)
    assert "unknown options for stage 'summarize': 'max_sentence'" in message
    assert "valid options: llm (str | None, default None), max_sentences (int, default 3)" in message
    spec.write_text("stages:\n  - stage: summarize\n    input: text\n    options: {max_sentences: lots}\n")
    result = runner.invoke(app, ["run", str(tmp_path / "a.txt"), "--pipeline", str(spec), "--db", url])
    assert result.exit_code == 2 and "bad option 'max_sentences' = 'lots'" in flat(result.stderr)
    checked = runner.invoke(app, ["pipelines", "--check", str(spec)])
    assert checked.exit_code == 2 and "max_sentences" in checked.stderr
    assert not (tmp_path / "x.db").exists()
