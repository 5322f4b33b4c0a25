"""A local Prefect server (API + UI) in the background, for interactive use: ``tandem server start|stop``.

Without a server every ``tandem run`` starts Prefect's temporary API and stops it again (a few seconds
per command, and the runs are only visible while it lives). ``tandem server start`` runs
``prefect server start`` as a background process, waits until its API answers, and records where it is
(``$TANDEM_HOME/server.json``, default ``~/.tandem``). Later ``tandem`` commands use it automatically when
``PREFECT_API_URL`` is not set (see :func:`use_running_server`); ``PREFECT_API_URL`` always wins.

Without any server, a command that runs a flow starts Prefect's temporary API itself, one way only:
:func:`launch` starts the server process (Prefect's own ``create_app`` under uvicorn, UI off, the same Prefect
home and database) as the command's first step, without importing Prefect; the command imports its modules,
reads its pipeline and loads its models on the other core meanwhile, and :meth:`TemporaryApi.use` waits for
the server and points Prefect at it (for this process and the ones it starts, e.g. Dask workers). The server
stops when the command exits. When Prefect's settings name an API after all (a profile) or turn the
temporary server off, the launched one is stopped unused. One file lock in the Prefect home serialises the
starts (two commands starting at the same moment would otherwise both create or migrate its SQLite database).
"""

from __future__ import annotations

import atexit
import importlib.util
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path

import psutil
from filelock import FileLock

from tandem.settings import settings

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 4200
#: the file lock in the Prefect home that serialises temporary API starts (see :func:`launch`)
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


# -- the temporary API of a command without a server ------------------------------------------------

#: seconds to wait for the server to answer (Prefect's default for its own temporary server is 20 s)
START_TIMEOUT = 60.0
#: uvicorn's exit status when the port was taken meanwhile: start again on another port
PORT_TAKEN = 3


def _prefect_home() -> Path:
    return Path(os.environ.get("PREFECT_HOME") or "~/.prefect").expanduser()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class TemporaryApi:
    """A Prefect API server process of this command's own (see the module docstring)."""

    def __init__(self) -> None:
        home = _prefect_home()
        home.mkdir(parents=True, exist_ok=True)
        # held until the server answers (or stops); not thread-local: whichever thread waits or stops releases it
        self._lock: FileLock | None = FileLock(home / START_LOCK, thread_local=False)
        self._lock.acquire()  # blocks for as long as another command's start holds it
        self.port = 0
        self.process: subprocess.Popen[bytes] | None = None
        self._spawn()
        atexit.register(self.stop)

    @property
    def address(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def api_url(self) -> str:
        return f"{self.address}/api"

    def _spawn(self) -> None:
        spec = importlib.util.find_spec("prefect")
        if spec is None or not spec.submodule_search_locations:  # pragma: no cover - Prefect is a dependency
            raise RuntimeError("Prefect is not installed")
        app_dir = Path(list(spec.submodule_search_locations)[0]).parent
        self.port = _free_port()
        env = {**os.environ, "PREFECT_UI_ENABLED": "0", "PREFECT__SERVER_EPHEMERAL": "1",
               "PREFECT__SERVER_FINAL": "1"}
        self.process = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "--app-dir", str(app_dir), "--factory",
             "prefect.server.api.server:create_app", "--host", "127.0.0.1", "--port", str(self.port),
             "--log-level", "error", "--lifespan", "on"], env=env, stdin=subprocess.DEVNULL)

    def _release_lock(self) -> None:
        lock, self._lock = self._lock, None
        if lock is not None:
            lock.release()

    def wait(self, timeout: float = START_TIMEOUT) -> str:
        """Wait until the server answers; its API URL. RuntimeError when it does not start in time."""
        deadline = time.monotonic() + timeout
        try:
            while time.monotonic() < deadline:
                assert self.process is not None
                status = self.process.poll()
                if status == PORT_TAKEN:
                    self._spawn()
                elif status is not None:
                    raise RuntimeError(f"Prefect's temporary API server exited with status {status}")
                if healthy(self.address):
                    return self.api_url
                time.sleep(0.05)
            raise RuntimeError(f"Prefect's temporary API server did not answer within {timeout:.0f} s")
        finally:
            self._release_lock()

    def use(self) -> str | None:
        """Point Prefect at this server (waiting for it) unless Prefect's settings name another API or turn the
        temporary server off (then stop this one); the URL used, or None."""
        if not _temporary_api_wanted():
            self.stop()
            return None
        url = self.wait()
        os.environ["PREFECT_API_URL"] = url  # processes started from here on (e.g. Dask workers)
        _set_api_url(url)
        return url

    def stop(self) -> None:
        """Stop the server (at exit: after Prefect's log and event workers have sent what they hold)."""
        self._release_lock()
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _temporary_api_wanted() -> bool:
    """Prefect's settings (read now) name no API and leave the temporary server on."""
    from prefect.settings import PREFECT_API_URL, PREFECT_SERVER_EPHEMERAL_ENABLED

    return not PREFECT_API_URL.value() and bool(PREFECT_SERVER_EPHEMERAL_ENABLED.value())


def _set_api_url(url: str) -> None:
    """Make ``url`` Prefect's API for this process: in the global settings (what every thread without a
    settings context of its own reads) and in the current context's, when it has one."""
    import prefect.context
    from prefect.settings import PREFECT_API_URL, PREFECT_UI_URL

    def updated(context: prefect.context.SettingsContext) -> prefect.context.SettingsContext:
        # no UI: the server serves none, and stops with the command ("View at" links would lead nowhere)
        return context.model_copy(update={"settings": context.settings.copy_with_update(
            updates={PREFECT_API_URL: url, PREFECT_UI_URL: ""})})

    prefect.context.GLOBAL_SETTINGS_CONTEXT = updated(prefect.context.GLOBAL_SETTINGS_CONTEXT)
    current = prefect.context.SettingsContext.__var__.get(None)
    if current is not None:
        prefect.context.SettingsContext.__var__.set(updated(current))


@contextmanager
def launched_api() -> Iterator[TemporaryApi | None]:
    """:func:`launch` for the block that prepares a command (its checks may exit 2): when the block raises, the
    server is stopped and its start lock freed at once, not at the process's exit. Call
    :meth:`TemporaryApi.use` after the block."""
    api = launch()
    try:
        yield api
    except BaseException:
        if api is not None:
            api.stop()
        raise


def launch() -> TemporaryApi | None:
    """Start Prefect's temporary API server now when no API is configured (see the module docstring); call
    :meth:`TemporaryApi.use` before the flow runs. Before Prefect is imported only the environment is read
    (a Prefect profile that names an API is noticed by :meth:`TemporaryApi.use`)."""
    if "prefect.settings" in sys.modules:
        if not _temporary_api_wanted():
            return None
    elif os.environ.get("PREFECT_API_URL") or os.environ.get("PREFECT_SERVER_EPHEMERAL_ENABLED", "").lower() in (
            "0", "false", "no", "off"):
        return None
    return TemporaryApi()
