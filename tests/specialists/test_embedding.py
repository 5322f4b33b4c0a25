"""The ``embed`` stage's contract and its vectors in SQL, with a stand-in encoder (no model): one vector per
document, reuse on rerun, exact search finds the planted neighbour, models never mixed, near-duplicate groups."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Sequence

import numpy as np
import pytest
from sqlalchemy import delete, select

from tandem.flows.execution import run_stage_batch
from tandem.specialists.embedding import EmbedStage
from tandem.specialists.search import dedup, search_vector
from tandem.stages import registry
from tandem.stages.contracts import DocState, Document, Embedding
from tandem.stages.pipeline_spec import BUILTIN_PIPELINES, Pipeline
from tandem.storage import repository as repo
from tandem.storage.db import create_db_engine, unit_of_work
from tandem.storage.models import EmbeddingRow, StageResultRow
from tandem.storage.vectors import VectorModelError, duplicate_groups, from_bytes

DIM = 16


def fake_vector(text: str, dim: int = DIM) -> np.ndarray:
    """A deterministic unit vector per text (its sha256 seeds the generator)."""
    seed = int.from_bytes(hashlib.sha256(text.encode("utf-8", "replace")).digest()[:8], "little")
    vector = np.random.default_rng(seed).standard_normal(dim).astype(np.float32)
    return vector / np.linalg.norm(vector)


class FakeEmbed(EmbedStage, name="embed.fake", version="1"):
    calls = 0
    model = "fake-encoder"
    dim = DIM

    def model_id(self) -> str:
        return self.model

    def _load(self) -> None:
        return None

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        FakeEmbed.calls += len(texts)
        if any("BOOM" in text for text in texts):
            raise RuntimeError("the encoder cannot take this text")
        return np.stack([fake_vector(t, self.dim) for t in texts]) if texts else np.zeros((0, self.dim))


@pytest.fixture()
def fake_embed() -> Iterator[type[FakeEmbed]]:
    FakeEmbed.calls, FakeEmbed.model, FakeEmbed.dim = 0, "fake-encoder", DIM
    registry.register("embed.fake", FakeEmbed)
    yield FakeEmbed
    registry._user.clear()


def register(engine, texts: list[str]) -> list[int]:  # type: ignore[no-untyped-def]
    with unit_of_work(engine) as session:
        return repo.register_documents(session, [repo.DocumentRecord(hashlib.sha256(t.encode()).hexdigest(),
                                                                     f"{i}.txt", t) for i, t in enumerate(texts)])


def pipeline() -> Pipeline:
    return Pipeline.build([{"stage": "embed.fake", "input": "text"}], name="e")


TEXTS = ["the cat sat on the mat", "stock markets fell sharply", "a recipe for lemon cake", "rain tomorrow"]


def test_the_builtin_pipeline_embeds_the_raw_text() -> None:
    built = Pipeline.load("embedded_search")
    assert BUILTIN_PIPELINES["embedded_search"] and [(s.stage_id, s.input_field, s.writes[1]) for s in built.stages] \
        == [("embed", "text", Embedding)]


def test_one_vector_per_document_stored_compactly_and_reused(db_url: str, fake_embed: type[FakeEmbed]) -> None:
    engine = create_db_engine(db_url)
    ids = register(engine, TEXTS)
    first = run_stage_batch(engine, pipeline(), 0, ids, None)
    assert (first.processed, first.reused) == (4, 0)
    second = run_stage_batch(engine, pipeline(), 0, ids, None)
    assert (second.processed, second.reused) == (0, 4) and fake_embed.calls == 4
    with unit_of_work(engine) as session:
        rows = session.scalars(select(EmbeddingRow).order_by(EmbeddingRow.document_id)).all()
        outputs = session.scalars(select(StageResultRow.output)).all()
    assert [row.document_id for row in rows] == ids  # one vector per document, after two runs
    for row, text in zip(rows, TEXTS, strict=True):
        assert (row.model, row.dim, len(row.vector)) == ("fake-encoder", DIM, DIM * 4)
        np.testing.assert_array_equal(from_bytes(row.vector, row.dim), fake_vector(text))
    assert all("vector" not in output for output in outputs)  # not as JSON in the generic column


def test_search_finds_the_planted_neighbour_with_record_ids(db_url: str, fake_embed: type[FakeEmbed]) -> None:
    engine = create_db_engine(db_url)
    ids = register(engine, TEXTS)
    run_stage_batch(engine, pipeline(), 0, ids, None)
    query = fake_vector(TEXTS[2]) + 0.05 * fake_vector("noise")
    hits, method = search_vector(engine, query / np.linalg.norm(query), "fake-encoder", k=2)
    assert [hit.document_id for hit in hits] == [ids[2], hits[1].document_id]
    assert hits[0].score > 0.95 > hits[1].score and hits[0].text == TEXTS[2] and hits[0].source == "2.txt"
    assert method == "exact"  # 4 vectors: far below the size from which the index pays
    only, _ = search_vector(engine, query, "fake-encoder", k=5, source="1.txt")
    assert [hit.document_id for hit in only] == [ids[1]]


def test_vectors_of_another_model_or_dimension_are_never_mixed(db_url: str, fake_embed: type[FakeEmbed]) -> None:
    engine = create_db_engine(db_url)
    ids = register(engine, TEXTS)
    run_stage_batch(engine, pipeline(), 0, ids, None)
    fake_embed.model, fake_embed.dim = "other-encoder", 8
    run_stage_batch(engine, pipeline(), 0, ids[:1], None)
    with pytest.raises(VectorModelError, match="no vectors of model 'fake-encoder' \\(dim 8\\)"):
        search_vector(engine, fake_vector("x", 8), "fake-encoder")
    with pytest.raises(VectorModelError, match="'missing'.*It holds: fake-encoder \\(dim 16, 4 vectors\\)"):
        search_vector(engine, fake_vector("x"), "missing")
    hits, _ = search_vector(engine, fake_vector(TEXTS[0], 8), "other-encoder", k=10)
    assert [hit.document_id for hit in hits] == [ids[0]]


def test_bad_texts_fail_with_reasons_and_the_batch_goes_on(fake_embed: type[FakeEmbed]) -> None:
    texts = ["fine text", "", "   ", "bad \ud800 surrogate", "BOOM here", "also fine"]
    states = [DocState(document=Document.from_text(t.encode("utf-8", "surrogatepass").decode("utf-8", "replace"),
                                                   source=f"{i}.txt").model_copy(update={"text": t}))
              for i, t in enumerate(texts)]
    result = FakeEmbed().run(states)
    kinds = {state.document.text: result.failures[state.key].kind for state in states if state.key in result.failures}
    assert kinds == {"": "empty", "   ": "empty", "bad \ud800 surrogate": "encoding", "BOOM here": "model_error"}
    assert len(result.successes) == 2
    assert all(abs(np.linalg.norm(out.vector) - 1) < 1e-5 and out.dim == DIM for out in result.successes.values())


def test_duplicate_groups_join_chains_across_blocks() -> None:
    base = np.stack([fake_vector(str(i), 32) for i in range(50)])
    near = base[7] + 0.01 * fake_vector("n", 32)
    matrix = np.vstack([base, near / np.linalg.norm(near), base[30]])  # 50 ~ 7, 51 == 30
    assert duplicate_groups(matrix, 0.95, block=8) == [[7, 50], [30, 51]]
    assert duplicate_groups(matrix[:50], 0.95, block=8) == []


def test_dedup_lists_groups_of_documents(db_url: str, fake_embed: type[FakeEmbed]) -> None:
    engine = create_db_engine(db_url)
    ids = register(engine, TEXTS)
    run_stage_batch(engine, pipeline(), 0, ids, None)
    assert dedup(engine, 0.95, model="fake-encoder").groups == []
    report = dedup(engine, -1.0, model="fake-encoder")
    assert report.vectors == 4 and [[hit.document_id for hit in group] for group in report.groups] == [ids]


def test_the_sqlite_vec_index_answers_like_the_exact_scan_and_follows_the_table(
        db_url: str, fake_embed: type[FakeEmbed]) -> None:
    from tandem.storage.vector_index import index_file

    engine = create_db_engine(db_url)
    texts = TEXTS + [f"document number {i} about topic {i % 7}" for i in range(60)]
    ids = register(engine, texts)
    run_stage_batch(engine, pipeline(), 0, ids, None)
    query = fake_vector(texts[10]) + 0.05 * fake_vector("noise")
    exact, method = search_vector(engine, query, "fake-encoder", k=5, index="never")
    indexed, used = search_vector(engine, query, "fake-encoder", k=5, index="always")
    if db_url.startswith("postgresql"):  # no sqlite-vec there: always the exact scan (pgvector: see docs/search.md)
        assert (method, used, index_file(engine)) == ("exact", "exact", None)
        return
    assert (method, used) == ("exact", "sqlite-vec") and index_file(engine).is_file()
    assert [h.document_id for h in indexed] == [h.document_id for h in exact]
    assert all(abs(a.score - b.score) < 1e-5 for a, b in zip(indexed, exact, strict=True))
    assert indexed[0].document_id == ids[10] and indexed[0].records == exact[0].records
    # rows deleted from the embeddings table (a document's results removed): the index follows, never a stale hit
    with unit_of_work(engine) as session:
        session.execute(delete(EmbeddingRow).where(EmbeddingRow.document_id == ids[10]))
    after, _ = search_vector(engine, query, "fake-encoder", k=5, index="always")
    assert ids[10] not in [h.document_id for h in after]
    assert [h.document_id for h in after] == [h.document_id for h in
                                              search_vector(engine, query, "fake-encoder", k=5, index="never")[0]]
    # rows added: appended; the index file removed: rebuilt
    more = register(engine, ["a brand new text about lemon cake"])
    run_stage_batch(engine, pipeline(), 0, more, None)
    index_file(engine).unlink()
    newest, _ = search_vector(engine, fake_vector("a brand new text about lemon cake"), "fake-encoder", k=1,
                              index="always")
    assert newest[0].document_id == more[0]
    # an index file that is not a database: the exact scan answers, the same hits
    index_file(engine).write_bytes(b"not a database at all" * 100)
    broken, fallback = search_vector(engine, query, "fake-encoder", k=5, index="always")
    assert fallback == "exact" and [h.document_id for h in broken] == [h.document_id for h in after]
