"""The embedded LLM's machine-wide turn: generations of different processes never overlap."""

from __future__ import annotations

import multiprocessing
import time

from tandem.stages.llm.embedded import machine_lock_path, machine_turn


def _hold(seconds: float, out: "multiprocessing.Queue[tuple[float, float]]") -> None:
    with machine_turn():
        start = time.monotonic()
        time.sleep(seconds)
        out.put((start, time.monotonic()))


def test_two_processes_take_turns() -> None:
    queue: multiprocessing.Queue[tuple[float, float]] = multiprocessing.Queue()
    workers = [multiprocessing.Process(target=_hold, args=(0.5, queue)) for _ in range(2)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=30)
    (a_start, a_end), (b_start, b_end) = sorted([queue.get(timeout=5), queue.get(timeout=5)])
    assert b_start >= a_end - 0.01  # the second began after the first ended


def test_the_turn_can_be_turned_off() -> None:
    assert machine_lock_path({"TANDEM_LLM_SHARED": "0"}) is None
    assert machine_lock_path({}) is not None and machine_lock_path({"TANDEM_LLM_SHARED": "1"}) is not None
