"""Tables through a real pipe (a CI log, ``| grep``, ``> file``): every value whole and each row on one line;
on a terminal Rich lays them out for the terminal's width as before."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import update

from tandem.flows.runs import repair_stale_runs
from tandem.stages import registry
from tandem.stages.options import describe_options
from tandem.storage import repository as repo
from tandem.storage.db import create_db_engine, unit_of_work
from tandem.storage.models import PipelineRunRow

#: a pipeline spec path longer than Rich's 80-column layout leaves its cell
LONG_PIPELINE = "/srv/tandem/pipelines/contracts-review-with-cleanup-and-legal-summaries.yaml"
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b\]8;[^\x1b]*\x1b\\")


def tandem_env(**extra: str) -> dict[str, str]:
    """This environment without COLUMNS and the variables that make Rich treat a pipe as a terminal."""
    env = {key: value for key, value in os.environ.items()
           if key not in ("COLUMNS", "LINES", "FORCE_COLOR", "TTY_COMPATIBLE", "NO_COLOR")}
    return {**env, **extra}


def tandem_piped(args: list[str], cwd: Path, **extra_env: str) -> str:
    """Run ``python -m tandem.cli ARGS`` with stdout a pipe; returns stdout, colours removed."""
    done = subprocess.run([sys.executable, "-m", "tandem.cli", *args], cwd=cwd, env=tandem_env(**extra_env),
                          stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    return ANSI.sub("", done.stdout)


def dead_pid() -> int:
    done = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True,
                          check=True)
    return int(done.stdout)


@pytest.fixture()
def crashed_and_stale(tmp_path: Path) -> str:
    """A database with run 1 ``crashed`` and run 2 ``running (stale)``, both of :data:`LONG_PIPELINE`."""
    url = f"sqlite:///{tmp_path / 'runs.db'}"
    engine = create_db_engine(url)
    for _ in range(2):
        with unit_of_work(engine) as session:
            run = repo.create_run(session, LONG_PIPELINE, {}, None)
            session.execute(update(PipelineRunRow).where(PipelineRunRow.id == run).values(pid=dead_pid()))
        if run == 1:
            repair_stale_runs(engine, prefect=False)
    engine.dispose()
    return url


@pytest.mark.parametrize("extra_env", [{}, {"FORCE_COLOR": "1"}], ids=["plain", "force-color"])
def test_runs_in_a_pipe_shows_every_state_and_pipeline_whole(tmp_path: Path, crashed_and_stale: str,
                                                             extra_env: dict[str, str]) -> None:
    shown = tandem_piped(["runs", "--db", crashed_and_stale], tmp_path, **extra_env)
    rows = {line.split("│")[1].strip(): line for line in shown.splitlines() if line.startswith("│")}
    assert set(rows) == {"1", "2"}, shown
    assert f"│ {LONG_PIPELINE} │ crashed " in rows["1"], shown
    assert f"│ {LONG_PIPELINE} │ running (stale) │" in rows["2"], shown
    assert "…" not in shown


@pytest.mark.parametrize("stage", ["summarize", "cleanup"])
def test_stage_options_in_a_pipe_have_their_whole_description_on_one_line(tmp_path: Path, stage: str) -> None:
    stage_class, _ = registry.resolve(stage)
    options = describe_options(stage_class.Options)
    shown = tandem_piped(["pipelines", "--stage", stage], tmp_path)
    lines = {line.split("│")[1].strip(): line for line in shown.splitlines() if line.startswith("│ ")}
    assert set(lines) == {option.name for option in options}, shown
    for option in options:
        assert f"│ {option.description} " in lines[option.name], (option.name, shown)
    assert f"change with 'tandem run --batch-size {stage}=N'" in shown  # a plain line is not wrapped either


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="a pseudo-terminal of a set size (Linux)")
def test_on_a_terminal_tables_still_fit_its_width(tmp_path: Path, crashed_and_stale: str) -> None:
    import fcntl
    import struct
    import termios

    leader, follower = os.openpty()
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
    process = subprocess.Popen([sys.executable, "-m", "tandem.cli", "runs", "--db", crashed_and_stale],
                               cwd=tmp_path, env=tandem_env(), stdin=subprocess.DEVNULL, stdout=follower,
                               stderr=subprocess.DEVNULL)
    os.close(follower)
    chunks = []
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:  # the terminal closed (EIO)
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(leader)
    assert process.wait(timeout=120) == 0
    lines = ANSI.sub("", b"".join(chunks).decode()).replace("\r", "").splitlines()
    assert any("Runs (newest first)" in line for line in lines), lines
    assert max(len(line) for line in lines) <= 80, lines
