"""Log redaction wherever Tandem code runs: every ``tandem`` command (the app callback), the pipeline flow and its
batch task (also run by ``tandem serve`` deployments and on Dask workers), and each Dask worker's setup. A record
logged with a secret of the environment in it, through a logger and handler of its own, comes out masked."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any

import pytest
from typer.testing import CliRunner

from tandem.cli import app
from tandem.stages.secrets import log_redaction_installed

runner = CliRunner()
SECRET = "sk-test-123456789"


@pytest.fixture()
def no_redaction(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """This process's log records unredacted (as a fresh process starts), the secret in the environment."""
    monkeypatch.setenv("OPENAI_API_KEY", SECRET)
    previous = logging.getLogRecordFactory()
    logging.setLogRecordFactory(logging.LogRecord)
    yield
    logging.setLogRecordFactory(previous)


def logged_line() -> str:
    """What a fresh handler on a fresh logger receives for a record quoting the secret."""
    lines: list[str] = []

    class Capture(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            lines.append(record.getMessage())

    logger = logging.getLogger("tandem.test.redaction")
    handler = Capture()
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False
    try:
        logger.info("the server refused key %s", SECRET)
    finally:
        logger.removeHandler(handler)
    return lines[0]


def test_without_redaction_the_secret_is_logged(no_redaction: None) -> None:
    assert not log_redaction_installed() and SECRET in logged_line()


@pytest.mark.parametrize("command", [
    ["run"], ["results"], ["runs"], ["pipelines"], ["serve"], ["trigger"], ["distill"], ["compare", "classify"],
    ["compare", "ner"], ["compare", "summarize"], ["train", "classify"], ["eval", "ner"], ["server", "status"]])
def test_every_command_redacts_log_records(no_redaction: None, command: list[str]) -> None:
    result = runner.invoke(app, [*command, "--help"])
    assert result.exit_code == 0, result.output
    assert log_redaction_installed()
    assert logged_line() == "the server refused key ***"


def test_the_pipeline_flow_and_its_batch_task_redact(no_redaction: None, monkeypatch: pytest.MonkeyPatch) -> None:
    import tandem.flows.execution as execution
    import tandem.flows.pipeline as pipeline
    import tandem.flows.warmup as warmup

    def stop(*_args: Any, **_kwargs: Any) -> Any:
        raise RuntimeError("stop here")

    monkeypatch.setattr(pipeline, "get_run_logger", stop)
    monkeypatch.setattr(pipeline, "get_pipeline", stop)
    monkeypatch.setattr(execution, "get_pipeline", stop)
    for start in (lambda: pipeline.tandem_pipeline.fn(paths=[]),
                  lambda: pipeline.stage_batch_task.fn(execution.RunRef(pipeline="ner", db_url="sqlite://", run_id=1),
                                                       0, "ner", "1/1", [1]),
                  lambda: warmup.warm_up_worker("ner", None, None)):
        logging.setLogRecordFactory(logging.LogRecord)
        with pytest.raises(RuntimeError, match="stop here"):
            start()
        assert logged_line() == "the server refused key ***"


def test_dask_workers_get_the_redaction_plugin(no_redaction: None, monkeypatch: pytest.MonkeyPatch) -> None:
    from prefect.context import FlowRunContext

    from tandem.flows.dask_worker import RedactLogsPlugin
    from tandem.flows.warmup import warm_up_dask_workers

    registered: list[Any] = []
    client = SimpleNamespace(register_plugin=registered.append, scheduler_info=lambda: {"workers": {}})
    monkeypatch.setattr(FlowRunContext, "get", classmethod(lambda cls: SimpleNamespace(
        task_runner=SimpleNamespace(client=client))))
    warm_up_dask_workers("ner", None, None)
    assert [type(plugin) for plugin in registered] == [RedactLogsPlugin]
    registered[0].setup(worker=None)  # what each worker runs when it starts or joins
    assert logged_line() == "the server refused key ***"


def test_a_real_dask_worker_redacts(no_redaction: None) -> None:
    distributed = pytest.importorskip("distributed")
    from tandem.flows.dask_worker import register_redaction

    def log_on_worker() -> str:
        return logged_line()

    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=True, dashboard_address=None) as cluster, \
            distributed.Client(cluster) as client:
        assert SECRET in client.submit(log_on_worker, pure=False).result(timeout=120)
        register_redaction(client)
        assert client.submit(log_on_worker, pure=False).result(timeout=120) == "the server refused key ***"
