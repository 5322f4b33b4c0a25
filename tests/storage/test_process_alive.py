"""The check :func:`tandem.storage.repository.stale_runs` makes of a run's process on this machine (psutil)."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import psutil
import pytest

from tandem.storage.runs import process_alive


def test_a_running_process_is_alive() -> None:
    assert process_alive(os.getpid())
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        assert process_alive(child.pid)
    finally:
        child.kill()
        child.wait()


def test_a_finished_process_is_not_alive() -> None:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    assert not process_alive(child.pid)


def test_a_zombie_is_not_alive() -> None:
    """A process that has exited but is not reaped yet (its parent has not waited for it) runs nothing."""
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    try:
        deadline = time.monotonic() + 30
        while psutil.Process(child.pid).status() != psutil.STATUS_ZOMBIE and time.monotonic() < deadline:
            time.sleep(0.01)
        assert not process_alive(child.pid)
    finally:
        child.wait()


def test_someone_elses_process_is_alive(monkeypatch: pytest.MonkeyPatch) -> None:
    def denied(pid: int) -> psutil.Process:
        raise psutil.AccessDenied(pid)

    monkeypatch.setattr(psutil, "Process", denied)  # what another user's process answers where it is private
    assert process_alive(1)
