"""The ``embed`` stage with the real bundled MiniLM: meaning, hostile inputs, and the whole path through
``tandem run --pipeline embedded_search``, ``tandem search`` and ``tandem dedup``."""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from tandem.cli import app
from tandem.specialists.embedding import EmbedStage
from tandem.stages.contracts import DocState, Document

pytestmark = pytest.mark.slow  # loads MiniLM
runner = CliRunner()


def states(texts: list[str]) -> list[DocState]:
    return [DocState(document=Document(content_hash=f"h{i}", source=f"{i}.txt", text=t)) for i, t in enumerate(texts)]


def test_minilm_vectors_follow_meaning() -> None:
    stage = EmbedStage()
    batch = states(["A man is playing a guitar.", "Someone plays the guitar.", "The stock market crashed today."])
    result = stage.run(batch)
    vectors = [np.asarray(result.successes[s.key].vector) for s in batch]
    assert all(result.successes[s.key].dim == 384 and abs(np.linalg.norm(v) - 1) < 1e-4
               for s, v in zip(batch, vectors, strict=True))
    assert float(vectors[0] @ vectors[1]) > float(vectors[0] @ vectors[2]) + 0.3
    assert stage.model_id() == "sentence-transformers/all-MiniLM-L6-v2+int8"


def test_hostile_inputs_fail_with_reasons_or_embed_within_the_truncation() -> None:
    texts = ["", "a" * 1_000_000, "word " * 200_000, "nul\x00bytes\x00here", "lone \ud800 surrogate",
             "\x00\x00\x00", "an ordinary sentence"]
    started = time.perf_counter()
    result = EmbedStage().run(states(texts))
    assert time.perf_counter() - started < 30
    kinds = {i: result.failures[f"h{i}"].kind for i in range(len(texts)) if f"h{i}" in result.failures}
    assert kinds == {0: "empty", 4: "encoding"}
    assert "lone surrogate" in result.failures["h4"].message
    ordinary = np.asarray(result.successes["h6"].vector)
    nul = np.asarray(result.successes["h3"].vector)
    assert abs(np.linalg.norm(nul) - 1) < 1e-4 and float(ordinary @ ordinary) > 0.99
    # 1 MB of one token: only the first max_tokens word pieces count, so it is a short run of the same token's vector
    # (not bit for bit: int8 dynamic quantization scales activations per batch)
    short = EmbedStage().run(states(["word " * 300]))
    assert float(np.asarray(short.successes["h0"].vector) @ np.asarray(result.successes["h2"].vector)) > 0.9


def test_run_search_and_dedup_through_the_command_line(tmp_path: Path, db_url: str, prefect_harness: None) -> None:
    """On SQLite and (TANDEM_TEST_PG_URL) PostgreSQL: vectors stored, reused, searched, deduplicated, marked."""
    lines = [{"id": "cat", "text": "The cat sat on the mat."},
             {"id": "dog", "text": "A dog barked at the mailman all afternoon."},
             {"id": "cake", "text": "Bake the lemon cake for forty minutes."},
             {"id": "cat-again", "text": "The cat sat on the mat!"},
             {"id": "empty", "text": " "}]
    corpus = tmp_path / "docs.jsonl"
    corpus.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
    url = db_url
    args = ["run", str(corpus), "--pipeline", "embedded_search", "--db", url, "--format", "json"]
    first = runner.invoke(app, args)
    assert first.exit_code == 3, first.stderr  # the blank record failed
    second = json.loads(runner.invoke(app, args).stdout)
    assert (second["totals"]["embed"]["ok"], second["totals"]["embed"]["reused"]) == (4, 4)  # nothing recomputed
    found = runner.invoke(app, ["search", "a kitten resting on a rug", "--k", "2", "--db", url, "--format", "json"])
    assert found.exit_code == 0, found.stderr
    hits = json.loads(found.stdout)["hits"]
    assert [record["id"] for record in hits[0]["records"]] in (["cat"], ["cat-again"])
    groups = json.loads(runner.invoke(app, ["dedup", "--threshold", "0.9", "--db", url, "--format", "json"]).stdout)
    assert [sorted(r["id"] for hit in group for r in hit["records"]) for group in groups["groups"]] == \
        [["cat", "cat-again"]]
    other = runner.invoke(app, ["dedup", "--db", f"sqlite:///{tmp_path / 'none.db'}"])
    assert other.exit_code != 0
    # marked in the run: the later record points at the first, the others at nothing
    marked = runner.invoke(app, ["dedup", "--threshold", "0.9", "--run", "last", "--mark", "--db", url])
    assert marked.exit_code == 0 and "marked 1 record" in marked.stderr, marked.stderr
    shown = {r["external_id"]: r["duplicate_of"]
             for r in json.loads(runner.invoke(app, ["results", "--db", url, "--format", "json"]).stdout)["documents"]}
    assert shown["cat-again"]["external_id"] == "cat" and shown["cat-again"]["score"] > 0.9
    assert [k for k, v in shown.items() if v] == ["cat-again"]
    assert "duplicate of cat" in runner.invoke(app, ["results", "--db", url]).stdout


def test_the_llm_embedder_gives_normalised_vectors_and_fails_bad_texts_alone() -> None:
    from tandem.specialists.embedding_llm import LlmEmbedStage

    stage = LlmEmbedStage()
    batch = states(["A man plays a guitar.", "Someone plays the guitar.", "", "x" * 1_000_000, "nul\x00here"])
    result = stage.run(batch)
    assert {key: failure.kind for key, failure in result.failures.items()} == {"h2": "empty"}
    vectors = [np.asarray(result.successes[f"h{i}"].vector) for i in (0, 1, 3, 4)]
    assert all(abs(np.linalg.norm(v) - 1) < 1e-4 for v in vectors)
    assert result.successes["h0"].model == "SmolLM2-135M-Instruct.Q4_1.gguf+mean" != EmbedStage().model_id()


def test_compare_embed_prints_both_systems_as_json(tmp_path: Path) -> None:
    gold = tmp_path / "pairs.tsv"
    rows = [("A man plays a guitar.", "Someone plays the guitar.", 4.8), ("A cat sleeps.", "Stocks fell.", 0.1),
            ("A woman slices an onion.", "A woman cuts an onion.", 4.5), ("Kids play soccer.", "It rains.", 0.3)]
    gold.write_text("text_a\ttext_b\tscore\n" + "".join(f"{a}\t{b}\t{s}\n" for a, b, s in rows), encoding="utf-8")
    url = f"sqlite:///{tmp_path / 'r.db'}"
    chart = tmp_path / "embed.png"
    done = runner.invoke(app, ["compare", "embed", "--gold", str(gold), "--json", "--db", url, "--chart", str(chart)])
    assert done.exit_code == 0, done.stderr
    printed = json.loads(done.stdout)
    systems = {s["name"]: s for s in printed["systems"]}
    assert set(systems) == {"embed", "embed.llm"} and systems["embed"]["spearman"] > 0.5
    assert all(s["pairs"] == 4 and s["sentences_per_s"] == s["docs_per_s"] > 0 and s["tokens"] > 0
               and s["cost_per_1k_sentences"] == s["cost_per_1k_docs"] for s in systems.values())
    assert chart.read_bytes()[:4] == b"\x89PNG" and printed["chart"] == str(chart.resolve())
    # stored like the other comparisons: shown again, the same object
    again = runner.invoke(app, ["results", "--comparison", "last", "--db", url, "--format", "json"])
    assert again.exit_code == 0, again.stderr
    assert json.loads(again.stdout)["systems"] == printed["systems"] and printed["task"] == "embed"
    table = runner.invoke(app, ["results", "--comparison", str(printed["comparison_id"]), "--db", url])
    assert "Spearman" in table.stdout and "embed.llm" in table.stdout


def test_hostile_files_through_embedded_search_are_stored_or_failed_with_a_reason(tmp_path: Path,
                                                                                   prefect_harness: None) -> None:
    from sqlalchemy import func, select

    from tandem.storage.db import open_db_readonly, unit_of_work
    from tandem.storage.models import EmbeddingRow

    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "good.txt").write_text("A perfectly ordinary sentence about cats.", encoding="utf-8")
    (folder / "empty.txt").write_bytes(b"")
    (folder / "one_token.txt").write_bytes(b"a" * 1_000_000)
    (folder / "nul.txt").write_bytes(b"text with\x00NUL\x00bytes")
    (folder / "latin1.txt").write_bytes("caf\u00e9 cr\u00e8me br\u00fbl\u00e9e".encode("latin-1"))
    url = f"sqlite:///{tmp_path / 'r.db'}"
    started = time.perf_counter()
    done = runner.invoke(app, ["run", str(folder), "--pipeline", "embedded_search", "--db", url, "--format", "none"])
    assert done.exit_code in (0, 3), done.stderr
    assert time.perf_counter() - started < 120
    shown = json.loads(runner.invoke(app, ["results", "--db", url, "--format", "json"]).stdout)["documents"]
    records = {Path(r["source"]).name: r for r in shown}
    assert set(records) == {"good.txt", "empty.txt", "one_token.txt", "nul.txt", "latin1.txt"}
    for name, record in records.items():
        assert record["status"] == "ok" or (record["failures"] and record["failures"][0]["message"]), name
    assert records["good.txt"]["status"] == records["one_token.txt"]["status"] == "ok"
    assert records["empty.txt"]["status"] == "failed"
    with unit_of_work(open_db_readonly(url)) as session:
        vectors = session.scalar(select(func.count()).select_from(EmbeddingRow))
    assert vectors == sum(record["status"] == "ok" for record in records.values())
