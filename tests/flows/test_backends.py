"""Backends that cannot be reached fail fast, per document, as ``llm_unreachable`` (no server needed)."""

from __future__ import annotations

import socket
import time
from pathlib import Path

import httpx
import httpx2
import openai
import pytest
from typer.testing import CliRunner

from tandem.cli import app
from tandem.stages.contracts import DocState, Document
from tandem.stages.llm.backends import make_chat_model
from tandem.stages.llm.calls import classify_llm_error, max_tokens_kwargs
from tandem.stages.llm.cleanup import CleanupStage
from tandem.stages.llm.structured import LlmClassifyStage
from tandem.storage.db import create_db_engine, unit_of_work
from tandem.storage.models import RunDocumentRow, StageResultRow

runner = CliRunner()


def closed_port() -> int:
    """A loopback port nothing listens on (bound once by us, then released)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_connection_errors_of_every_client_are_unreachable() -> None:
    request = httpx2.Request("POST", "http://127.0.0.1:9/v1/chat/completions")  # the openai client's httpx
    try:
        raise openai.APIConnectionError(request=request) from httpx2.ConnectError("All connection attempts failed")
    except openai.APIConnectionError as exc:
        assert classify_llm_error(exc)[0] == "llm_unreachable"
    assert classify_llm_error(openai.APITimeoutError(request=request))[0] == "llm_unreachable"
    try:  # what the ollama client raises (``from None`` keeps the httpx error as context)
        try:
            raise httpx.ConnectError("refused")
        except httpx.ConnectError:
            raise ConnectionError("Failed to connect to Ollama") from None
    except ConnectionError as exc:
        kind, message = classify_llm_error(exc)
        assert kind == "llm_unreachable" and "Failed to connect to Ollama" in message
    assert classify_llm_error(ValueError("bad request"))[0] == "llm_error"


def test_openai_backend_against_a_closed_port_fails_fast_per_document() -> None:
    spec = f"openai:smollm2@http://127.0.0.1:{closed_port()}/v1"
    docs = [DocState(document=Document.from_text(t, "t.txt")) for t in ("Hello there, friend.", "Buy cheap pills!")]
    # cleanup asks its LLM only about OCR words in doubt: "Tbe" → "The"/"Tee" in a noisy text, nothing in a clean one
    cleanup = CleanupStage(llm=spec, doubt_margin=1000.0, min_noise=0.0)
    noisy = [DocState(document=Document.from_text(t, "t.txt", metadata={"ocr": True}))  # declared OCR output
             for t in ("Tbe lnnd is sold.", "Tbe acies are ours.")]
    result = cleanup.run(noisy)
    assert not result.successes and {f.kind for f in result.failures.values()} == {"llm_unreachable"}
    for stage in (LlmClassifyStage(llm=spec, labels=["spam", "ham"], input="text"),):
        result = stage.run(docs)  # the first call also pays for the openai client's lazy imports
        assert not result.successes and len(result.failures) == 2
        assert {f.kind for f in result.failures.values()} == {"llm_unreachable"}
        assert all("ConnectionError" in f.message for f in result.failures.values())  # OpenAIConnectionError
    # warm: each document costs its bounded retries (0.5 s + 1 s of backoff), not a timeout
    assert max(u.latency_ms for u in result.usage.values()) < 8000, result.usage


def test_answers_are_capped_in_the_way_each_backend_understands() -> None:
    local = make_chat_model(f"openai:m@http://127.0.0.1:{closed_port()}/v1")
    assert max_tokens_kwargs(local, 64) == {"max_tokens": 64, "extra_body": {"max_tokens": 64}}
    from langchain_openai import ChatOpenAI

    hosted = ChatOpenAI(model="gpt-4o-mini", api_key="none")  # type: ignore[arg-type]
    assert max_tokens_kwargs(hosted, 64) == {"max_tokens": 64}
    # Ollama: the cap goes inside ``options`` (a top-level num_predict is a TypeError in the ollama client)
    ollama = make_chat_model(f"ollama:foo@http://127.0.0.1:{closed_port()}")
    assert max_tokens_kwargs(ollama, 64) == {"options": {"temperature": 0.0, "num_predict": 64}}


def test_cli_with_an_unreachable_ollama_server_records_failures_and_exits_3(
        tmp_path: Path, prefect_harness: None) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "scans.jsonl").write_text(  # OCR output, declared as such (field ocr): the corrector applies
        '{"text": "Tbe harbour cornmittee met on Monday to approve the new ferry schedule.", "ocr": true}\n'
        '{"text": "Heavy rain closed two roads near tbe river on Tuesday rnorning.", "ocr": true}\n')
    # cleanup asks its LLM only about words in doubt: here every decision is
    spec = tmp_path / "p.yaml"
    spec.write_text("name: p\nstages:\n  - stage: cleanup\n    options: {min_noise: 0.0, doubt_margin: 1000.0}\n")
    url = f"sqlite:///{tmp_path / 'x.db'}"
    llm = f"ollama:foo@http://127.0.0.1:{closed_port()}"
    start = time.perf_counter()
    result = runner.invoke(app, ["run", str(docs), "--pipeline", str(spec), "--llm", llm, "--db", url,
                                 "--format", "none"])
    elapsed = time.perf_counter() - start
    assert result.exit_code == 3, (result.exit_code, result.output, repr(result.exception))
    with unit_of_work(create_db_engine(url)) as session:
        rows = session.query(StageResultRow).all()
        assert [(r.stage, r.status, r.error_kind) for r in rows] == [("cleanup", "failed", "llm_unreachable")] * 2
        assert all("unreachable" in (r.error or "") for r in rows)
        assert {link.status for link in session.query(RunDocumentRow)} == {"failed"}
    assert elapsed < 60, f"the unreachable run took {elapsed:.1f}s"


@pytest.mark.parametrize("spec", ["ollama:", "openai:model-without-url"])
def test_malformed_backend_specs_exit_2(spec: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    (tmp_path / "a.txt").write_text("Some text.")
    result = runner.invoke(app, ["run", str(tmp_path / "a.txt"), "--llm", spec, "--db",
                                 f"sqlite:///{tmp_path / 'x.db'}"])
    assert result.exit_code == 2 and "--llm" in result.stderr


@pytest.mark.parametrize("url", ["http://u:s3cretvalue@host/v1", "http://host/v1?api_key=s3cretvalue",
                                 "http://tok3n@host/v1"])
def test_an_llm_url_carrying_a_credential_is_refused_without_showing_it(url: str) -> None:
    from tandem.stages.llm.backends import LLMConfigError, parse_llm_spec

    with pytest.raises(LLMConfigError, match="carries a credential") as caught:
        parse_llm_spec(f"openai:m@{url}")
    assert "s3cret" not in str(caught.value) and "tok3n" not in str(caught.value)
