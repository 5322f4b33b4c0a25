"""Dask workers that load their models while the flow registers the documents."""

from __future__ import annotations

import logging
import uuid
from typing import Any

logger = logging.getLogger(__name__)


def warm_up_worker(pipeline_source: str, llm: str | None, models_dir: str | None) -> None:
    """On a worker: build the pipeline (cached per process, as the batch tasks build it) and load its models."""
    from tandem.flows.execution import get_pipeline, preload_stages
    from tandem.stages.secrets import install_log_redaction

    install_log_redaction()
    preload_stages(get_pipeline(pipeline_source, llm, models_dir))


def warm_up_dask_workers(pipeline_source: str, llm: str | None, models_dir: str | None) -> int:
    """From a flow on a Dask task runner: start the cluster's client now and have every worker import Tandem
    and load the pipeline's models, in its own task thread, so the first batches it gets do not wait for them.
    Fire and forget: the batches a worker gets queue behind its warm-up; a worker that fails to warm up (or
    joins later) loads its models in its first batch, as without this. Every worker also gets Tandem's log
    redaction (:mod:`tandem.flows.dask_worker`). Returns the number of workers asked."""
    try:
        from distributed import fire_and_forget
        from prefect.context import FlowRunContext
    except ImportError:  # pragma: no cover - the dask runner needs it
        return 0
    try:
        context = FlowRunContext.get()
        # prefect-dask starts its client (and a local cluster) on first use: start it now, beside the
        # registration, rather than with the first batch
        client: Any = getattr(context.task_runner, "client", None) if context is not None else None
        if client is None:
            return 0
        from tandem.flows.dask_worker import register_redaction

        register_redaction(client)  # each worker redacts its log records, as this process does
        workers = list(client.scheduler_info()["workers"])
        for address in workers:
            fire_and_forget(client.submit(
                warm_up_worker, pipeline_source, llm, models_dir, workers=[address],
                allow_other_workers=False, pure=False, key=f"tandem-warm-up-{uuid.uuid4().hex}"))
        return len(workers)
    except Exception:  # noqa: BLE001 - an optimisation only: the batches load what they need
        logger.debug("could not warm up the Dask workers", exc_info=True)
        return 0
