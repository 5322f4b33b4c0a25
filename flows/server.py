"""A local Prefect server (API + UI) in the background, for interactive use: ``tandem server start|stop``.

Without a server every ``tandem run`` starts Prefect's temporary API and stops it again (a few seconds
per command, and the runs are only visible while it lives). ``tandem server start`` runs
``prefect server start`` as a background process, waits until its API answers, and records where it is
(``$TANDEM_HOME/server.json``, default ``~/.tandem``). Later ``tandem`` commands use it automatically when
``PREFECT_API_URL`` is not set (see :func:`use_running_server`); ``PREFECT_API_URL`` always wins.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path

import psutil

from tandem.settings import settings

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 4200
#: the file lock in the Prefect home that serialises temporary API starts (see :func:`start_temporary_api`)
START_LOCK = ".tandem-start.lock"


class ServerError(RuntimeError):
    """The server could not be started or stopped (the message says why and where its log is)."""


@dataclass(frozen=True)
class ServerInfo:
    pid: int
    url: str
    log: str

    @property
    def api_url(self) -> str:
        return f"{self.url}/api"


def tandem_home() -> Path:
    return settings().home


def _state_file() -> Path:
    return tandem_home() / "server.json"


def healthy(url: str, timeout: float = 1.0) -> bool:
    """Whether the Prefect API at ``url`` (without ``/api``) answers its health check."""
    try:
        with urllib.request.urlopen(f"{url}/api/health", timeout=timeout) as response:  # noqa: S310 - loopback
            return bool(response.status == 200)
    except (OSError, ValueError):
        return False


def _alive(pid: int) -> bool:
    """Whether process ``pid`` on this machine still runs. Our own child that has exited is reaped here; a
    zombie (exited, its parent has not reaped it yet) does not run; another user's process does."""
    try:
        process = psutil.Process(pid)
        process.wait(timeout=0)  # returns once it has exited, reaping it when it is our child
    except psutil.TimeoutExpired:  # still there (not our child, or our child still running)
        try:
            return process.status() != psutil.STATUS_ZOMBIE
        except psutil.NoSuchProcess:
            return False
    except psutil.NoSuchProcess:
        return False
    except psutil.AccessDenied:  # someone else's process
        return True
    return False


def _recorded_server() -> ServerInfo | None:
    """The server ``tandem server start`` recorded (None: no record, or an unreadable one)."""
    try:
        return ServerInfo(**json.loads(_state_file().read_text(encoding="utf-8")))
    except (OSError, ValueError, TypeError):
        return None


def running_server() -> ServerInfo | None:
    """The server ``tandem server start`` left running, if its process is alive and its API answers."""
    info = _recorded_server()
    return info if info is not None and _alive(info.pid) and healthy(info.url) else None


def use_running_server() -> str | None:
    """Point Prefect at the running ``tandem server`` when ``PREFECT_API_URL`` is not set; returns the API URL
    used (None: the temporary API will start). Call before Prefect reads its settings."""
    if os.environ.get("PREFECT_API_URL"):
        return os.environ["PREFECT_API_URL"]
    info = running_server()
    if info is None:
        return None
    os.environ["PREFECT_API_URL"] = info.api_url
    return info.api_url


def _prefect_command() -> list[str]:
    script = Path(sys.executable).with_name("prefect")
    if script.exists():
        return [str(script)]
    found = shutil.which("prefect")
    if found is None:
        raise ServerError("the 'prefect' command is not installed next to this Python (pip install prefect)")
    return [found]


def start_server(host: str = DEFAULT_HOST, port: int = DEFAULT_PORT, timeout: float = 90.0) -> tuple[ServerInfo, bool]:
    """Start ``prefect server start`` in the background (or find the one already running); wait until its API
    answers. Returns the server and whether this call started it. Raises :class:`ServerError`."""
    existing = running_server()
    if existing is not None:
        return existing, False
    url = f"http://{host}:{port}"
    if healthy(url):
        raise ServerError(f"something already answers on {url} (another Prefect server?): use it with "
                          f"PREFECT_API_URL={url}/api, or pick another --port")
    home = tandem_home()
    home.mkdir(parents=True, exist_ok=True)
    log_path = home / "server.log"
    env = {**os.environ, "PREFECT_SERVER_ANALYTICS_ENABLED": "false", "PREFECT_UI_API_URL": f"{url}/api"}
    env.pop("PREFECT_API_URL", None)
    with log_path.open("ab") as log:
        process = subprocess.Popen([*_prefect_command(), "server", "start", "--host", host, "--port", str(port)],
                                   stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env,
                                   start_new_session=True)
    info = ServerInfo(pid=process.pid, url=url, log=str(log_path))
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise ServerError(f"the Prefect server exited with code {process.returncode} while starting; "
                              f"see {log_path}")
        if healthy(url):
            _state_file().write_text(json.dumps(asdict(info)), encoding="utf-8")
            return info, True
        time.sleep(0.5)
    _terminate(process.pid)
    raise ServerError(f"the Prefect server did not answer on {url} within {timeout:.0f} s; see {log_path}")


def _terminate(pid: int, grace: float = 10.0) -> None:
    try:
        os.killpg(pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline and _alive(pid):
        time.sleep(0.2)
    if _alive(pid):
        try:
            os.killpg(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


def stop_server() -> ServerInfo | None:
    """Stop the server ``tandem server start`` started (its whole process group); None when none was running."""
    info = _recorded_server()
    if info is None:
        return None
    if _alive(info.pid):
        _terminate(info.pid)
    _state_file().unlink(missing_ok=True)
    return info



@contextmanager
def without_flow_heartbeats() -> Iterator[None]:
    """Prefect's flow-run heartbeats off for a ``tandem run`` (unless ``PREFECT_FLOWS_HEARTBEAT_FREQUENCY`` is
    set): the heartbeat thread sleeps in one-second steps and the run waits for it to end, up to a second per
    command; Tandem's own run heartbeats (``tandem runs``) find crashed runs and close them in Prefect too."""
    if os.environ.get("PREFECT_FLOWS_HEARTBEAT_FREQUENCY") or os.environ.get("PREFECT_RUNNER_HEARTBEAT_FREQUENCY"):
        yield
        return
    from prefect.settings import PREFECT_FLOWS_HEARTBEAT_FREQUENCY, temporary_settings

    with temporary_settings(updates={PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None}):
        yield


def start_temporary_api() -> None:
    """When no Prefect API is configured, start Prefect's temporary API server now, one command at a time.

    Every command without a server shares one Prefect home (``$PREFECT_HOME``, default ``~/.prefect``) and
    its SQLite database; two commands starting their temporary servers at the same moment could both create
    or migrate that database. An exclusive file lock in the Prefect home makes the second wait for the first
    one's start (a few seconds), then both run side by side. The flow reuses the server started here.
    """
    from filelock import FileLock
    from prefect.settings import PREFECT_API_URL, PREFECT_HOME, PREFECT_SERVER_EPHEMERAL_ENABLED

    if PREFECT_API_URL.value() or not PREFECT_SERVER_EPHEMERAL_ENABLED.value():
        return
    from prefect.server.api.server import SubprocessASGIServer

    home = Path(str(PREFECT_HOME.value())).expanduser()
    home.mkdir(parents=True, exist_ok=True)
    with FileLock(home / START_LOCK):  # no timeout: waits for as long as another command's start takes
        SubprocessASGIServer().start()
