"""The file lock that serialises Prefect temporary API starts (filelock): what it locks and for how long."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tandem.flows import server
from tandem.flows.server import START_LOCK

# another process tries the lock without waiting, with a plain flock: what a Tandem from before filelock took
_PROBE = "import fcntl, sys; fcntl.flock(open(sys.argv[1], 'a'), fcntl.LOCK_EX | fcntl.LOCK_NB)"


def _free_for_another_process(path: Path) -> bool:
    return subprocess.run([sys.executable, "-c", _PROBE, str(path)], capture_output=True, timeout=60).returncode == 0


def test_the_start_lock_is_held_from_the_launch_until_the_server_stops(tmp_path: Path,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PREFECT_HOME", str(tmp_path))
    api = server.TemporaryApi()
    try:
        assert not _free_for_another_process(tmp_path / START_LOCK)
    finally:
        api.stop()
    assert _free_for_another_process(tmp_path / START_LOCK)


def test_a_command_that_exits_during_its_checks_frees_the_lock_at_once(tmp_path: Path,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """``tandem run`` exiting 2 on a bad option after launching the API must not leave the next command of the
    same process waiting for the lock until this one's process exits."""
    monkeypatch.setenv("PREFECT_HOME", str(tmp_path))
    monkeypatch.delenv("PREFECT_API_URL", raising=False)
    monkeypatch.setattr(server, "launch", lambda: server.TemporaryApi())
    with pytest.raises(SystemExit), server.launched_api() as api:
        assert api is not None and not _free_for_another_process(tmp_path / START_LOCK)
        raise SystemExit(2)  # what typer.Exit(2) does in a failed check
    assert _free_for_another_process(tmp_path / START_LOCK)
    assert api.process is None or api.process.poll() is not None  # and its server stopped
