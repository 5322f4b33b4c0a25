"""``tandem server``'s liveness check of the server process it recorded (psutil)."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import psutil
import pytest

from tandem.flows.server import _alive


def _exited_child() -> subprocess.Popen[bytes]:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    deadline = time.monotonic() + 30
    while psutil.Process(child.pid).status() != psutil.STATUS_ZOMBIE and time.monotonic() < deadline:
        time.sleep(0.01)
    return child


def test_a_running_process_is_alive() -> None:
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        assert _alive(child.pid)
        assert _alive(os.getpid())
    finally:
        child.kill()
        child.wait()


def test_an_exited_child_is_reaped_and_not_alive() -> None:
    child = _exited_child()
    assert not _alive(child.pid)
    assert not psutil.pid_exists(child.pid)  # reaped: no zombie left behind


def test_a_process_that_is_gone_is_not_alive() -> None:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    assert not _alive(child.pid)


def test_someone_elses_process_is_alive(monkeypatch: pytest.MonkeyPatch) -> None:
    def denied(pid: int) -> psutil.Process:
        raise psutil.AccessDenied(pid)

    monkeypatch.setattr(psutil, "Process", denied)
    assert _alive(1)
