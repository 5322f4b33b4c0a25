"""Results stored on a background thread while the next batch runs (the local runner's flow).

A batch's results go to the database in one transaction. Done in line, that transaction waits for the models
and the models wait for it; on a thread of its own most of it (SQLite's and PostgreSQL's drivers release
the GIL while they work) overlaps the next batch's model work. Order and truth stay with the database:

* a batch that reads another stage's results (anything but ``text``) first waits for every pending write,
  so it sees them (:meth:`ResultWriter.wait`);
* the flow waits for every write before it settles the run's outcomes; a write that still fails after
  :data:`WRITE_ATTEMPTS` tries fails the flow there, like a batch task out of retries;
* a crash loses at most the batches not yet written: their results are computed again by the rerun, under
  the same keys (never twice).

Only the process that registered a writer for a run uses it (:func:`writer_for`); batches run elsewhere (Dask
workers) write in line.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager

from tenacity import Retrying, stop_after_attempt, wait_exponential

#: tries of one batch's write before its error is raised (the batch tasks' own retries do not cover it)
WRITE_ATTEMPTS = 3
#: the pause before each new attempt: 0.5 s, 1 s, 2 s, ...
WRITE_WAIT = wait_exponential(multiplier=0.5)
_writers: dict[int, ResultWriter] = {}
_registry_lock = threading.Lock()


class ResultWriter:
    """One background thread that runs write jobs in the order they were submitted."""

    def __init__(self) -> None:
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="tandem-results-writer")
        self._pending: list[Future[None]] = []

    def submit(self, write: Callable[[], None]) -> None:
        self._pending.append(self._executor.submit(_with_retries, write))

    def wait(self) -> None:
        """Block until every submitted write is done; raise the first write's error, if any."""
        pending, self._pending = self._pending, []
        errors = [future.exception() for future in pending]
        for error in errors:
            if error is not None:
                raise error

    def close(self) -> None:
        try:
            self.wait()
        finally:
            self._executor.shutdown(wait=True)


def _with_retries(write: Callable[[], None]) -> None:
    """``write``, tried up to :data:`WRITE_ATTEMPTS` times, 0.5 s, 1 s, ... apart (tenacity, as the LLM calls)."""
    for attempt in Retrying(stop=stop_after_attempt(WRITE_ATTEMPTS), wait=WRITE_WAIT, reraise=True):
        with attempt:
            write()


@contextmanager
def background_writes(run_id: int) -> Iterator[ResultWriter]:
    """A writer for the batches of run ``run_id`` run in this process, waited for and closed on exit."""
    writer = ResultWriter()
    with _registry_lock:
        _writers[run_id] = writer
    try:
        yield writer
    finally:
        with _registry_lock:
            _writers.pop(run_id, None)
        writer.close()


def writer_for(run_id: int | None) -> ResultWriter | None:
    """The background writer registered for ``run_id`` in this process, if any."""
    if run_id is None:
        return None
    with _registry_lock:
        return _writers.get(run_id)
