"""Progress of a running flow, reported to whoever started it in this process (the CLI's Rich bars).

A flow calls :func:`report_progress` with a name (a stage, a system, a step) and counts; the caller
sets :data:`PROGRESS` for the current context (see :func:`tandem.cli.common.progress_bars`). Without a
callback, reporting does nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from contextvars import ContextVar

ProgressCallback = Callable[[str, int, int], None]

#: ``(name, done, total)`` callback of the current context, or None
PROGRESS: ContextVar[ProgressCallback | None] = ContextVar("tandem_progress", default=None)


def report_progress(name: str, done: int, total: int) -> None:
    callback = PROGRESS.get()
    if callback is not None:
        callback(name, done, total)
