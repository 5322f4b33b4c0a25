"""The background results writer: order, waiting, errors."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest
from tenacity import wait_none

from tandem.flows import writer as writer_module
from tandem.flows.writer import ResultWriter, background_writes, writer_for
from tests.flows.test_execution import fake_stages  # noqa: F401, F811 - the fixture
from tests.stages.llm.fakes import ScriptedChatModel


def test_writes_run_in_order_off_the_calling_thread() -> None:
    done: list[tuple[int, str]] = []
    caller = threading.current_thread().name
    with background_writes(7) as writer:
        assert writer_for(7) is writer and writer_for(8) is None and writer_for(None) is None
        for i in range(5):
            def write(i: int = i) -> None:
                time.sleep(0.01)
                done.append((i, threading.current_thread().name))

            writer.submit(write)
    assert [i for i, _ in done] == [0, 1, 2, 3, 4]
    assert all(name != caller for _, name in done)
    assert writer_for(7) is None  # unregistered, every write waited for


def test_a_write_is_retried_then_its_error_raised_at_the_next_wait(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(writer_module, "WRITE_WAIT", wait_none())
    tries: list[int] = []

    def flaky() -> None:
        tries.append(1)
        if len(tries) < writer_module.WRITE_ATTEMPTS:
            raise OSError("database is locked")

    writer = ResultWriter()
    writer.submit(flaky)
    writer.wait()  # succeeded on the last try
    assert len(tries) == writer_module.WRITE_ATTEMPTS

    def broken() -> None:
        raise OSError("disk full")

    writer.submit(broken)
    with pytest.raises(OSError, match="disk full"):
        writer.close()


def test_a_batch_reading_upstream_results_waits_for_pending_writes(tmp_path: Path, fake_stages: ScriptedChatModel,  # noqa: F811
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """summarize → ner.count (reading the summaries): with slow background writes the second stage still finds
    every summary stored (it waits), and the texts-only first stage does not wait."""
    from tandem.flows.execution import run_stage_batch
    from tandem.storage import repository as repo
    from tandem.storage.db import create_db_engine, unit_of_work
    from tests.flows.test_execution import build, register

    engine = create_db_engine(f"sqlite:///{tmp_path / 'x.db'}")
    ids = register(engine, ["Alice met Bob in Paris.", "Carol flew to Oslo."])
    with unit_of_work(engine) as session:
        run_id = repo.create_run(session, "t", {}, None, None)
    save = repo.save_results

    def slow_save(*args, **kwargs):  # type: ignore[no-untyped-def]
        time.sleep(0.3)
        return save(*args, **kwargs)

    monkeypatch.setattr(repo, "save_results", slow_save)
    pipeline = build(fake_stages, first="summarize")
    with background_writes(run_id):
        started = time.perf_counter()
        first = run_stage_batch(engine, pipeline, 0, ids, run_id)
        assert time.perf_counter() - started < 0.3  # its write is still on its way
        second = run_stage_batch(engine, pipeline, 1, ids, run_id)
    assert first.processed == 2 and second.processed == 2 and second.skipped == 0
