"""The server path end to end: a real OpenAI-compatible server on loopback, driven through the CLI.

The server is ``python -m llama_cpp.server`` serving the same SmolLM2 GGUF as the embedded backend,
started once for this module. The tests check that

* the default pipeline gives results of the same shape as the embedded backend (same stages, contract
  types and fields; only model ids and token counts differ);
* an outage in the middle of a run is recorded per document (``llm_unreachable``, exit code 3) and a
  rerun after the server is back completes exactly the unfinished documents, without duplicate rows;
* a structured stage gets schema-valid answers by function calling, and stores only valid ones.

The outage is deterministic: the flow reports progress after each batch task (``tandem.flows.pipeline.report_progress``);
the test wraps that hook and kills the server right after the first summarize batch (``--batch-size 1``),
so exactly one document gets through summarize and the next three meet a closed port. (cleanup asks the LLM
only about OCR words in doubt, so on these clean texts it never calls it, and it runs before the outage.)
"""

from __future__ import annotations

import importlib.util
import json
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

import httpx
import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from tandem.cli import app
from tandem.stages import registry
from tandem.stages.contracts import Classification, DocState, Document, Entities, StageFailure
from tandem.stages.llm.gguf import default_gguf_path
from tandem.stages.pipeline_spec import Pipeline
from tandem.storage.db import create_db_engine, unit_of_work
from tandem.storage.models import PipelineRunRow, RunDocumentRow, StageResultRow

pytestmark = pytest.mark.slow

runner = CliRunner()

#: 35-45 words each: over summarize's passthrough limit (30 words), so both LLM stages call the model
DOCS = {
    "council.txt": "The Boston City Council voted on Tuesday to add twelve miles of protected bike lanes "
                   "downtown. Mayor Michelle Wu said construction will start in April and finish before the "
                   "winter. Local shop owners asked for loading zones on every block.",
    "lease.txt": "This lease is made between Greenfield Properties LLC and Maria Alvarez of Portland, Oregon. "
                 "The tenant pays a monthly rent of 1,850 dollars for twelve months, starting on the first of "
                 "June. Pets are allowed with a deposit.",
}
#: 40-45 words each (over 30): summarize calls the model once per document in the outage test
OUTAGE_DOCS = {
    "a.txt": "The library opens a new reading room for children on Saturday morning. The room has two hundred "
             "picture books, a small stage for story hours and large windows facing the park. Parents can borrow up to ten books at a time.",
    "b.txt": "Heavy rain closed two roads near the river on Tuesday. Crews cleared fallen branches through the "
             "night, and the county expects both roads to open again by Thursday afternoon. Drivers are asked to use the northern bridge until then.",
    "c.txt": "The harbour committee approved the new ferry schedule for the summer. Boats will leave every "
             "forty minutes from June, and the last crossing will run an hour later on weekends. Tickets can be bought online or at the harbour office.",
    "d.txt": "Volunteers planted forty oak trees in the city park last weekend. The parks department supplied "
             "the saplings and tools, and local schools will water them through the dry months. The city plans another planting day in October.",
}


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class LlamaServer:
    """``python -m llama_cpp.server`` on a loopback port, as a subprocess we can kill and restart."""

    def __init__(self, model: Path, port: int, log_path: Path) -> None:
        self.model = model
        self.port = port
        self.log_path = log_path
        self.proc: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    @property
    def spec(self) -> str:
        return f"openai:smollm2@{self.base_url}"

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def launch(self) -> None:
        """Start the process without waiting (the Prefect harness can boot meanwhile)."""
        self._log = open(self.log_path, "ab")  # noqa: SIM115 - closed in kill()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "llama_cpp.server", "--model", str(self.model), "--host", "127.0.0.1",
             "--port", str(self.port), "--n_ctx", "4096"],
            stdin=subprocess.DEVNULL, stdout=self._log, stderr=subprocess.STDOUT)

    def wait_ready(self, timeout_s: float = 120.0) -> None:
        """Poll ``GET /v1/models`` until it answers 200."""
        assert self.proc is not None, "launch() first"
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"llama_cpp.server exited with {self.proc.returncode}:\n{self.log_tail()}")
            try:
                if httpx.get(f"{self.base_url}/models", timeout=2.0).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.25)
        self.kill()
        raise RuntimeError(f"llama_cpp.server did not answer within {timeout_s:.0f}s:\n{self.log_tail()}")

    def start(self) -> None:
        self.launch()
        self.wait_ready()

    def ensure_running(self) -> None:
        if not self.running:
            self.launch()
        self.wait_ready()

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=30)
        if self._log is not None:
            self._log.close()
            self._log = None

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LlamaServer]:
    for module in ("llama_cpp", "uvicorn", "fastapi", "sse_starlette"):
        if importlib.util.find_spec(module) is None:
            pytest.skip(f"llama-cpp-python[server] is not installed ({module} missing)")
    model = default_gguf_path()
    if not model.is_file():
        pytest.skip(f"GGUF model not found: {model}")
    with pytest.MonkeyPatch.context() as patch:
        # a low client timeout: a hung server becomes a per-document failure in seconds, not minutes
        patch.setenv("TANDEM_LLM_TIMEOUT", "60")
        srv = LlamaServer(model, free_port(), tmp_path_factory.mktemp("llama-server") / "server.log")
        srv.launch()  # each test waits for it with ensure_running()
        try:
            yield srv
        finally:
            srv.kill()


def write_docs(root: Path, docs: dict[str, str]) -> Path:
    folder = root / "docs"
    folder.mkdir()
    for name, text in docs.items():
        (folder / name).write_text(text)
    return folder


def run_cli(*args: str) -> Any:
    return runner.invoke(app, ["run", *args, "--format", "none"])


def report_of(url: str) -> dict[str, Any]:
    shown = runner.invoke(app, ["results", "--run", "last", "--format", "json", "--db", url])
    assert shown.exit_code == 0, shown.output
    report: dict[str, Any] = json.loads(shown.stdout)
    return report


#: what every stored output carries besides its contract's fields (see tandem.flows.run_report.run_report)
REPORT_KEYS = {"stage", "type", "model_id", "prompt_tokens", "completion_tokens", "latency_ms", "reused"}


def test_default_pipeline_through_the_server_gives_the_embedded_backends_results_shape(
        server: LlamaServer, tmp_path: Path, prefect_harness: None) -> None:
    """Same stages, same contract types and fields as with ``--llm embedded`` (tests/e2e/test_default_pipeline.py);
    only the model id and the token counts come from the server."""
    server.ensure_running()
    docs = write_docs(tmp_path, DOCS)
    url = f"sqlite:///{tmp_path / 'served.db'}"
    served = run_cli(str(docs), "--llm", server.spec, "--db", url)
    assert served.exit_code == 0, (served.output, repr(served.exception), server.log_tail())

    report = report_of(url)
    embedded = Pipeline.load("default", llm="embedded")
    expected = {stage.writes[0]: (stage.stage_id, stage.writes[1]) for stage in embedded.stages}
    assert report["run"]["llm"] == server.spec and set(report["totals"]) == {s for s, _ in expected.values()}
    assert len(report["documents"]) == len(DOCS)
    for doc in report["documents"]:
        assert doc["status"] == "ok" and not doc["failures"], doc["failures"]
        outputs = doc["outputs"]
        assert set(outputs) == set(expected)
        for name, (stage_id, contract) in expected.items():
            out = outputs[name]
            assert (out["stage"], out["type"]) == (stage_id, contract.__name__)
            assert set(out) == set(contract.model_fields) | REPORT_KEYS, (name, sorted(out))
            contract.model_validate({k: v for k, v in out.items() if k in contract.model_fields})
        out = outputs["summary"]  # the stage that called the LLM
        assert out["model_id"] == "openai:smollm2" and out["text"].strip()
        assert out["prompt_tokens"] > 0 and out["completion_tokens"] > 0, out
        assert out["method"] == "llm" and out["llm_calls"] == 1
        # cleanup ran; the texts have no OCR noise, so they come back as they went in, with no LLM question
        assert outputs["clean"]["text"] in DOCS.values() and outputs["clean"]["kept_input"]
        assert outputs["entities"]["model_id"] == embedded.stages[2].model_id()
    assert report["totals"]["cleanup"]["llm_calls"] == 0 and report["totals"]["summarize"]["llm_calls"] == 2


def test_outage_mid_run_is_recorded_and_a_rerun_completes_exactly_the_unfinished(
        server: LlamaServer, tmp_path: Path, prefect_harness: None, monkeypatch: pytest.MonkeyPatch) -> None:
    import tandem.flows.pipeline
    import tandem.stages.llm.summarize

    server.ensure_running()
    docs = write_docs(tmp_path, OUTAGE_DOCS)
    url = f"sqlite:///{tmp_path / 'outage.db'}"
    engine = create_db_engine(url)

    killed: list[float] = []
    report_progress = tandem.flows.pipeline.report_progress

    def kill_after_first_summarize_batch(stage: str, done: int, total: int) -> None:
        report_progress(stage, done, total)
        if stage == "summarize" and done == 1 and not killed:
            server.kill()  # the first document's summary is stored; the next three meet a closed port
            killed.append(time.perf_counter())

    calls: list[str] = []
    call_llm = tandem.stages.llm.summarize.call_llm

    def counting_call_llm(*args: Any, **kwargs: Any) -> Any:
        calls.append(args[1].name)
        return call_llm(*args, **kwargs)

    monkeypatch.setattr(tandem.flows.pipeline, "report_progress", kill_after_first_summarize_batch)
    monkeypatch.setattr(tandem.stages.llm.summarize, "call_llm", counting_call_llm)

    start = time.perf_counter()
    first = run_cli(str(docs), "--llm", server.spec, "--db", url, "--batch-size", "1")
    outage_s = time.perf_counter() - killed[0] if killed else 0.0
    assert killed and not server.running
    assert first.exit_code == 3, (first.output, repr(first.exception))
    assert outage_s < 60, f"three unreachable documents took {outage_s:.0f}s after the kill"
    with unit_of_work(engine) as session:
        summaries = session.scalars(select(StageResultRow).where(StageResultRow.stage == "summarize")).all()
        assert sorted(r.status for r in summaries) == ["failed", "failed", "failed", "ok"]
        failed = {r.document_id for r in summaries if r.status == "failed"}
        (done_id,) = {r.document_id for r in summaries if r.status == "ok"}
        for row in summaries:
            if row.status == "failed":
                assert row.error_kind == "llm_unreachable" and "unreachable" in (row.error or ""), row.error
                assert row.output is None and row.llm_calls == 0
        # cleanup (no LLM question on clean text) and ner.spacy (reads the cleaned text) ran for every document
        others = session.execute(select(StageResultRow.stage, StageResultRow.status)
                                 .where(StageResultRow.stage != "summarize")).all()
        assert sorted(tuple(row) for row in others) == [("cleanup", "ok")] * 4 + [("ner.spacy", "ok")] * 4
        links = {link.document_id: link.status for link in session.scalars(select(RunDocumentRow))}
        assert links == {**{doc_id: "failed" for doc_id in failed}, done_id: "ok"}
        stats = session.scalars(select(PipelineRunRow.stats).order_by(PipelineRunRow.id)).all()[-1]
        assert (stats["stages"]["summarize"]["processed"], stats["stages"]["summarize"]["failed"]) == (1, 3)
        assert {f["kind"] for f in stats["stages"]["summarize"]["failures"]} == {"llm_unreachable"}
        assert stats["stages"]["cleanup"]["usage"]["llm_calls"] == 0
    assert len(calls) == 4  # one answered, three refused (each with its bounded transient retries inside)

    # the server comes back: the same inputs again complete exactly the three unfinished documents
    server.start()
    calls.clear()
    second = run_cli(str(docs), "--llm", server.spec, "--db", url, "--batch-size", "1")
    assert second.exit_code == 0, (second.output, repr(second.exception), server.log_tail())
    assert len(calls) == 3
    with unit_of_work(engine) as session:
        stats = session.scalars(select(PipelineRunRow.stats).order_by(PipelineRunRow.id)).all()[-1]
        s = stats["stages"]["summarize"]
        assert (s["processed"], s["reused"], s["failed"]) == (3, 1, 0), s
        for stage in ("cleanup", "ner.spacy"):
            s = stats["stages"][stage]
            assert (s["processed"], s["reused"], s["failed"]) == (0, 4, 0), (stage, s)
        assert stats["stages"]["summarize"]["usage"]["llm_calls"] == 3
        per_key = session.execute(select(StageResultRow.document_id, StageResultRow.stage, func.count())
                                  .group_by(StageResultRow.document_id, StageResultRow.stage)).all()
        assert len(per_key) == 4 * 3 and all(count == 1 for _doc, _stage, count in per_key)
        assert set(session.scalars(select(StageResultRow.status))) == {"ok"}
        assert {link.status for link in session.scalars(
            select(RunDocumentRow).where(RunDocumentRow.run_id == stats["run_id"]))} == {"ok"}
    print(f"outage test: {time.perf_counter() - start:.1f}s, {outage_s:.1f}s from the kill to the end of run 1")


def test_structured_stages_through_the_server_use_function_calling_and_store_only_valid_answers(
        server: LlamaServer) -> None:
    """classify.llm (and ner.llm) against the server: function calling, then our content checks.

    (summarize.keypoints takes the same path; its parser is covered with fakes in tests/stages/llm.)"""
    server.ensure_running()
    texts = ["WINNER!! You have won a free cruise. Call 0800 123 456 now to claim your prize.",
             "Hi Sam, are we still meeting for lunch at noon tomorrow?"]
    states = [DocState(document=Document.from_text(t, "t.txt")) for t in texts]

    classify = registry.create("classify.llm", llm=server.spec, labels=["spam", "ham"], input="text",
                               max_attempts=2)
    assert classify.decoding_for(classify.model) == "function_calling"  # type: ignore[attr-defined]
    result = classify.run(states)
    assert len(result.successes) + len(result.failures) == 2
    for key, label in result.successes.items():
        assert isinstance(label, Classification) and label.label in ("spam", "ham")
        usage = result.usage[key]
        assert 1 <= usage.llm_calls <= 2 and usage.prompt_tokens > 0 and usage.completion_tokens > 0
    for failure in result.failures.values():
        assert isinstance(failure, StageFailure) and failure.kind == "invalid_answer" and failure.raw_answer
    assert result.successes, "at least one grammar-constrained label"

    # the nested schema (a list of objects, ``$defs`` in JSON schema) through the server's tool grammar
    merkel = "Angela Merkel visited Seattle."
    ner = registry.create("ner.llm", llm=server.spec, labels=["PERSON", "ORG", "GPE"], input="text",
                          max_attempts=1)
    found = ner.run([DocState(document=Document.from_text(merkel, "m.txt"))])
    (entities,) = {**found.successes, **found.failures}.values()
    if isinstance(entities, Entities):
        assert all(merkel[e.start:e.end] == e.text and e.label in ("PERSON", "ORG", "GPE")
                   for e in entities.entities)
    else:
        assert entities.kind == "invalid_answer" and entities.raw_answer
