"""Prefect's temporary API for ``tandem run`` without a server, started early and side by side.

Without ``PREFECT_API_URL`` (and no ``tandem server``), Prefect starts a temporary API server the moment a
flow first needs it: the command imports Prefect's whole server application (about a second) only to launch
it, then waits, idle, for the server process to answer (3–4 s). :func:`launch` starts the same server
(Prefect's own ``create_app`` under uvicorn, UI off, the same Prefect home and database) as the command's
first step, without importing Prefect; the command imports its modules, reads its pipeline and loads its
models on the other core meanwhile, and :meth:`TemporaryApi.use` waits for the server and points Prefect
at it (for this process and the ones it starts, e.g. Dask workers). The server stops when the command
exits. When Prefect's settings name an API after all (a profile) or turn the temporary server off, the
launched one is stopped unused.

As with Prefect's own temporary server, one file lock in the Prefect home serialises the starts (two
commands starting at the same moment would otherwise both create or migrate its SQLite database).
"""

from __future__ import annotations

import atexit
import importlib.util
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

from filelock import FileLock

from tandem.flows.server import START_LOCK, healthy

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
