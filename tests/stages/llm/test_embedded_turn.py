"""The embedded LLM's machine-wide turn: generations of different processes never overlap."""

from __future__ import annotations

import multiprocessing
import time
from typing import Any

import pytest

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


def _take_turns(name: str, turns: int, hold: float, started: Any,
                out: "multiprocessing.Queue[tuple[float, str]]") -> None:
    for turn in range(turns):
        with machine_turn():
            out.put((time.monotonic(), name))
            if turn == 0 and started is not None:
                started.set()
            time.sleep(hold)
        time.sleep(0.005)  # the work between two generations: a few milliseconds


def test_a_waiting_process_gets_the_next_turn() -> None:
    """Runs interleave: a process waiting for the turn gets it when the holder lets go, not only when a poll of
    its own happens to fall between two of the holder's turns (a polling lock shuts it out turn after turn)."""
    queue: multiprocessing.Queue[tuple[float, str]] = multiprocessing.Queue()
    started = multiprocessing.Event()
    holder = multiprocessing.Process(target=_take_turns, args=("holder", 6, 0.15, started, queue))
    holder.start()
    assert started.wait(timeout=30)
    waiter = multiprocessing.Process(target=_take_turns, args=("waiter", 1, 0.0, None, queue))
    waiter.start()
    for worker in (holder, waiter):
        worker.join(timeout=30)
    order = [name for _, name in sorted(queue.get(timeout=5) for _ in range(7))]
    assert order.index("waiter") <= 2, order  # the turn after the holder's first (one more under heavy load)


def test_the_turn_can_be_turned_off(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TANDEM_LLM_SHARED", "0")
    assert machine_lock_path() is None
    monkeypatch.delenv("TANDEM_LLM_SHARED")
    assert machine_lock_path() is not None
    monkeypatch.setenv("TANDEM_LLM_SHARED", "1")
    assert machine_lock_path() is not None
